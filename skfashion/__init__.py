"""skfashion: deep image classifiers as scikit-learn estimators.

``import skfashion`` is cheap: it imports neither TensorFlow nor NumPy. The
public names below are loaded on first access (PEP 562 module ``__getattr__``);
TensorFlow loads, with skfashion's settings (:mod:`skfashion._config`), when
the first module that needs it is imported.
"""

from skfashion import _config  # noqa: F401  (TensorFlow's env defaults, before any import of it)

__version__ = "0.1.0.dev0"

#: Each public name, and the module it is imported from on first access.
_PUBLIC = {
    "BackboneFeatures": "skfashion.transfer",
    "CLASS_NAMES": "skfashion.datasets",
    "CNNClassifier": "skfashion.cnn",
    "ImageResizer": "skfashion.preprocessing",
    "LeNet5Classifier": "skfashion.cnn",
    "TransferClassifier": "skfashion.transfer",
    "load_fashion_mnist": "skfashion.datasets",
}

#: Submodules reachable as attributes of ``skfashion`` without importing them
#: first, as in scikit-learn (``cli`` is not one: nothing imports it).
_SUBMODULES = (
    "architectures",
    "backbones",
    "cnn",
    "datasets",
    "layers",
    "parallel",
    "plotting",
    "preprocessing",
    "transfer",
)

# A literal list, for the tools that read it without importing skfashion.
__all__ = [
    "BackboneFeatures",
    "CLASS_NAMES",
    "CNNClassifier",
    "ImageResizer",
    "LeNet5Classifier",
    "TransferClassifier",
    "load_fashion_mnist",
]


def __getattr__(name):
    import importlib

    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__, *_SUBMODULES})
