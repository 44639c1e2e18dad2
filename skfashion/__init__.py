"""skfashion: deep image classifiers as scikit-learn estimators."""

from skfashion import _config

_config.import_tensorflow()
_config.quiet_tensorflow()
_config.fix_op_determinism_default()

from skfashion.cnn import CNNClassifier, LeNet5Classifier  # noqa: E402
from skfashion.datasets import CLASS_NAMES, load_fashion_mnist  # noqa: E402
from skfashion.preprocessing import ImageResizer  # noqa: E402
from skfashion.transfer import BackboneFeatures, TransferClassifier  # noqa: E402

__version__ = "0.1.0.dev0"

__all__ = [
    "BackboneFeatures",
    "CLASS_NAMES",
    "CNNClassifier",
    "ImageResizer",
    "LeNet5Classifier",
    "TransferClassifier",
    "load_fashion_mnist",
]
