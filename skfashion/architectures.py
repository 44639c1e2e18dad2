"""Pure Keras builders for skfashion's own architectures.

Each builder takes the image shape and the number of classes and returns an
**uncompiled** :class:`keras.Model` that maps raw pixel values in [0, 255] to class
probabilities. Scaling to [0, 1] happens inside the graph, so the same model can
be saved, served or called from plain Keras without any outside preprocessing.
The head (:func:`build_head`) maps pooled backbone features instead, and
:func:`build_fine_tuned` joins a backbone feature extractor and a head. The
estimators in :mod:`skfashion.cnn` and :mod:`skfashion.transfer` call these
builders and compile the result; nothing here trains or holds state.
"""

import functools
import numbers
import random

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
from keras import layers

from skfashion._validation import check_fraction
from skfashion.backbones import fine_tune_layers_needed
from skfashion.layers import RandomCutout, RandomShiftAndFlip

#: LeNet-5 reads a 32x32 field, as in LeCun et al. (1998).
LENET_FIELD = 32

#: Keras' default BatchNorm momentum (0.99) leaves the moving statistics mostly
#: at their initial values after a few hundred steps, so a short fit predicts a
#: single class in inference mode; 0.9 (PyTorch's default) converges in ~50 steps.
BN_MOMENTUM = 0.9


def _check_positive_ints(name, values, *, allow_empty=False):
    values = (values,) if isinstance(values, numbers.Integral) else tuple(values)
    if (not values and not allow_empty) or not all(
        isinstance(v, numbers.Integral) and v > 0 for v in values
    ):
        raise ValueError(
            f"{name} must be a positive int or a non-empty sequence of positive "
            f"ints. Received {name}={values!r}."
        )
    return values


class _Seeds:
    """The seeds of one model's random layers, one per layer in build order.

    ``_Seeds(seed)()`` gives the next seed: None when ``seed`` is None (Keras
    then seeds the layer itself), else what Keras' own draw
    (``random.randint(1, 10**9)``) gives from a generator seeded with ``seed``,
    so a seeded model has the weights it had when Keras drew the seeds from a
    freshly seeded global generator, without sharing that generator with other
    threads.
    """

    def __init__(self, seed):
        self._random = None if seed is None else random.Random(int(seed))

    def __call__(self):
        return None if self._random is None else self._random.randint(1, int(1e9))

    def initializer(self):
        """Keras' default kernel initializer (Glorot uniform), seeded."""
        return keras.initializers.GlorotUniform(seed=self())


def _inputs(input_shape, dtype):
    """Input layer and scaling to [0, 1]."""
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    return inputs, layers.Rescaling(1.0 / 255.0, dtype=dtype, name="rescale")(inputs)


def _conv_bn_relu(x, filters, kernel_size, *, seeds, dtype, name, strides=1):
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False,
        kernel_initializer=seeds.initializer(), dtype=dtype, name=name,
    )(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype, name=f"{name}_bn")(x)
    return layers.Activation("relu", dtype=dtype, name=f"{name}_relu")(x)


def _dense_block(x, units, *, dropout, seeds, dtype, name):
    x = layers.Dense(
        units, use_bias=False, kernel_initializer=seeds.initializer(), dtype=dtype,
        name=f"{name}_dense",
    )(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, dtype=dtype, name=f"{name}_bn")(x)
    x = layers.Activation("relu", dtype=dtype, name=f"{name}_relu")(x)
    if dropout:
        x = layers.Dropout(dropout, seed=seeds(), dtype=dtype, name=f"{name}_dropout")(x)
    return x


def build_cnn(
    input_shape,
    n_classes,
    *,
    filters=(32, 64, 128),
    convs_per_block=2,
    kernel_size=3,
    stem_stride=None,
    residual=False,
    global_pool=False,
    dense_units=256,
    dropout=0.25,
    dense_dropout=0.5,
    augment=False,
    cutout=0.0,
    seed=None,
    dtype=None,
):
    """Build a CNN of blocks of conv + BatchNorm + ReLU, max-pooling and dropout.

    The defaults are the VGG-style network of the original write-up: each block
    is ``convs_per_block`` convolutions, 2x2 max-pooling and dropout, then the
    feature map is flattened into dense layers. Three options make it a small
    residual network that costs less per image (the ``CNNClassifier`` default):
    a strided ``stem_stride`` convolution that halves the image first, blocks
    whose convolutions are added to their input (``residual``, with one more
    convolution in front when the number of filters changes), and global
    average pooling instead of flattening (``global_pool``, no pooling after
    the last block).

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the images. Any size from 1x1 works:
        pooling uses ``"same"`` padding.
    n_classes : int
        Number of output units (softmax).
    filters : int or tuple of int, default=(32, 64, 128)
        Number of filters of the convolutions in each block; one block per entry.
    convs_per_block : int, default=2
        Convolutions (each followed by BatchNorm and ReLU) before each pooling.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    stem_stride : int or None, default=None
        Stride of a first convolution with ``filters[0]`` filters before the
        blocks (2 halves the image); ``None`` for no stem.
    residual : bool, default=False
        Add each block's input to the output of its convolutions.
    global_pool : bool, default=False
        Average the last feature map over the image instead of flattening it.
    dense_units : int or tuple of int, default=256
        Units of the dense layers (BatchNorm, ReLU, dropout) before the output;
        ``()`` for none.
    dropout : float, default=0.25
        Dropout rate after each pooling.
    dense_dropout : float, default=0.5
        Dropout rate after each dense layer.
    augment : bool, default=False
        Add random whole-pixel shifts (up to 10 %) and horizontal flips, active
        in training only (:class:`~skfashion.layers.RandomShiftAndFlip`).
    cutout : float, default=0.0
        Side of a patch set to 0 at a random place of each training image, as
        a fraction of the image's height and width (a square for square
        images; :class:`~skfashion.layers.RandomCutout`, after the shifts and
        flips); 0 for none.
    seed : int or None, default=None
        Seed of the initial weights, the dropout masks and the augmentation:
        the weight and dropout layers each get a seed drawn from this one, the
        shift-and-flip layer ``seed`` itself and the cutout layer ``seed + 1``
        (so cutout leaves the initial weights as they are without it). None
        lets Keras draw one per layer.
    dtype : str or None, default=None
        Keras dtype policy of the layers, e.g. ``"mixed_bfloat16"`` (float32
        weights, bfloat16 computation); the output layer computes in the
        policy's variable dtype (float32). None follows Keras' global policy.

    Returns
    -------
    model : keras.Model
        Uncompiled model from raw [0, 255] images to class probabilities.

    Examples
    --------
    >>> from skfashion.architectures import build_cnn
    >>> model = build_cnn((28, 28, 1), 10, filters=(8, 16), dense_units=32)
    >>> model.output_shape
    (None, 10)
    """
    filters = _check_positive_ints("filters", filters)
    dense_units = _check_positive_ints("dense_units", dense_units, allow_empty=True)
    (convs_per_block,) = _check_positive_ints("convs_per_block", convs_per_block)
    (kernel_size,) = _check_positive_ints("kernel_size", kernel_size)
    if stem_stride is not None:
        (stem_stride,) = _check_positive_ints("stem_stride", stem_stride)
    check_fraction("dropout", dropout)
    check_fraction("dense_dropout", dense_dropout)
    check_fraction("cutout", cutout, one_allowed=True)

    seeds = _Seeds(seed)
    inputs, x = _inputs(input_shape, dtype)
    if augment:
        # Active only during training: whole-pixel shifts of up to 10 % and
        # left-right flips, both label-preserving for clothing.
        x = RandomShiftAndFlip(0.1, seed=seed, dtype=dtype, name="random_shift_flip")(x)
    if cutout:
        # Seeded apart from the other layers, so that a network with cutout
        # starts from the initial weights of the same network without it.
        x = RandomCutout(
            cutout, seed=None if seed is None else int(seed) + 1, dtype=dtype, name="cutout"
        )(x)
    conv = functools.partial(_conv_bn_relu, kernel_size=kernel_size, seeds=seeds, dtype=dtype)
    if stem_stride is not None:
        x = conv(x, filters[0], strides=stem_stride, name="stem")
    for block, n_filters in enumerate(filters, start=1):
        if residual and x.shape[-1] != n_filters:
            x = conv(x, n_filters, name=f"block{block}_project")
        shortcut = x
        for i in range(1, convs_per_block + 1):
            x = conv(x, n_filters, name=f"block{block}_conv{i}")
        if residual:
            x = layers.Add(dtype=dtype, name=f"block{block}_add")([shortcut, x])
        if not (global_pool and block == len(filters)):
            x = layers.MaxPooling2D(
                2, padding="same", dtype=dtype, name=f"block{block}_pool"
            )(x)
        if dropout:
            x = layers.Dropout(
                dropout, seed=seeds(), dtype=dtype, name=f"block{block}_dropout"
            )(x)
    if global_pool:
        x = layers.GlobalAveragePooling2D(dtype=dtype, name="global_pool")(x)
    else:
        x = layers.Flatten(dtype=dtype, name="flatten")(x)
    for i, units in enumerate(dense_units, start=1):
        x = _dense_block(
            x, units, dropout=dense_dropout, seeds=seeds, dtype=dtype, name=f"fc{i}"
        )
    outputs = _predictions(x, n_classes, seeds, dtype)
    return keras.Model(inputs, outputs, name="cnn")


def _to_lenet_field(x, input_shape, dtype):
    """Zero-pad images smaller than 32x32 (centred) and resize larger ones."""
    height, width = input_shape[:2]
    pad_h, pad_w = max(LENET_FIELD - height, 0), max(LENET_FIELD - width, 0)
    if pad_h or pad_w:
        x = layers.ZeroPadding2D(
            ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)),
            dtype=dtype, name="pad_to_32",
        )(x)
    if max(height, width) > LENET_FIELD:
        x = layers.Resizing(LENET_FIELD, LENET_FIELD, dtype=dtype, name="resize_to_32")(x)
    return x


def build_lenet5(
    input_shape,
    n_classes,
    *,
    activation="relu",
    pooling="max",
    dropout=0.0,
    augment=False,
    seed=None,
    dtype=None,
):
    """Build LeNet-5: 6@5x5 conv, pool, 16@5x5 conv, pool, dense 120, 84, output.

    The network reads a 32x32 field as in the original paper: 28x28
    Fashion-MNIST images are zero-padded by 2 pixels on each side (as LeCun et al.
    padded MNIST); larger images are resized to 32x32.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of the images.
    n_classes : int
        Number of output units (softmax).
    activation : str, default="relu"
        Keras activation of the hidden layers (``"tanh"`` is the 1998 choice).
    pooling : {"max", "avg"}, default="max"
        Subsampling layers: max-pooling or the original average pooling.
    dropout : float, default=0.0
        Dropout rate after the two hidden dense layers.
    augment : bool, default=False
        Add random whole-pixel shifts (up to 10 %) and horizontal flips, active
        in training only (:class:`~skfashion.layers.RandomShiftAndFlip`).
    seed : int or None, default=None
        Seed of the initial weights, the dropout masks and the augmentation
        (each random layer gets its own seed, drawn from this one); None lets
        Keras draw one per layer.
    dtype : str or None, default=None
        Keras dtype policy of the layers, e.g. ``"mixed_bfloat16"`` (float32
        weights, bfloat16 computation); the output layer computes in the
        policy's variable dtype (float32). None follows Keras' global policy.

    Returns
    -------
    model : keras.Model
        Uncompiled model from raw [0, 255] images to class probabilities.

    Examples
    --------
    >>> from skfashion.architectures import build_lenet5
    >>> build_lenet5((28, 28, 1), 10).count_params()
    61706
    """
    pools = {"max": layers.MaxPooling2D, "avg": layers.AveragePooling2D}
    if pooling not in pools:
        raise ValueError(
            f"Unknown pooling {pooling!r}; expected one of: 'max', 'avg'. "
            f"Received pooling={pooling!r}."
        )
    try:
        keras.activations.get(activation)
    except ValueError:
        raise ValueError(
            f"Unknown activation {activation!r}; expected the name of a Keras "
            f"activation such as 'relu' or 'tanh'. Received activation={activation!r}."
        ) from None
    check_fraction("dropout", dropout)
    pool = pools[pooling]

    seeds = _Seeds(seed)
    inputs, x = _inputs(input_shape, dtype)
    if augment:
        # Keras' RandomTranslation + RandomFlip are a large part of a LeNet-5
        # training step on CPU; whole-pixel shifts by matrix products are cheap.
        x = RandomShiftAndFlip(0.1, seed=seed, dtype=dtype, name="random_shift_flip")(x)
    x = _to_lenet_field(x, input_shape, dtype)
    for n_filters, conv_name, pool_name in ((6, "c1", "s2"), (16, "c3", "s4")):
        x = layers.Conv2D(
            n_filters, 5, activation=activation, kernel_initializer=seeds.initializer(),
            dtype=dtype, name=conv_name,
        )(x)
        x = pool(2, dtype=dtype, name=pool_name)(x)
    x = layers.Flatten(dtype=dtype, name="flatten")(x)
    for units, name in ((120, "c5"), (84, "f6")):
        x = layers.Dense(
            units, activation=activation, kernel_initializer=seeds.initializer(),
            dtype=dtype, name=name,
        )(x)
        if dropout:
            x = layers.Dropout(dropout, seed=seeds(), dtype=dtype, name=f"{name}_dropout")(x)
    outputs = _predictions(x, n_classes, seeds, dtype)
    return keras.Model(inputs, outputs, name="lenet5")


def build_head(n_features, n_classes, *, units=(256,), dropout=0.3, seed=None):
    """Build the trainable classifier head that sits on pooled backbone features.

    Parameters
    ----------
    n_features : int
        Length of the feature vectors.
    n_classes : int
        Number of output units (softmax).
    units : int or tuple of int, default=(256,)
        Units of the hidden dense layers (BatchNorm, ReLU, dropout); ``()`` gives
        multinomial logistic regression on the features.
    dropout : float, default=0.3
        Dropout rate on the features and after each hidden layer.
    seed : int or None, default=None
        Seed of the initial weights and of the dropout masks; None lets Keras
        draw one per layer.

    Returns
    -------
    model : keras.Model
        Uncompiled model from features to class probabilities.

    Examples
    --------
    >>> from skfashion.architectures import build_head
    >>> build_head(1280, 10, units=()).count_params()
    12810
    """
    units = _check_positive_ints("units", units, allow_empty=True)
    check_fraction("dropout", dropout)
    seeds = _Seeds(seed)
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    if dropout:
        x = layers.Dropout(dropout, seed=seeds(), name="features_dropout")(x)
    for i, n_units in enumerate(units, start=1):
        x = _dense_block(
            x, n_units, dropout=dropout, seeds=seeds, dtype=None, name=f"head{i}"
        )
    outputs = _predictions(x, n_classes, seeds, None)
    return keras.Model(inputs, outputs, name="head")


def build_fine_tuned(input_shape, extractor, head, *, fine_tune_layers, augment=False,
                     seed=None):
    """Join a backbone feature extractor and a trained head, the backbone's top trainable.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one image, as the extractor takes it.
    extractor : keras.Model
        A backbone feature extractor
        (:func:`skfashion.backbones.build_feature_extractor`), whose last layer
        is the backbone; its top ``fine_tune_layers`` layers are made trainable,
        every other layer and every BatchNormalization layer frozen.
    head : keras.Model
        The classifier head (:func:`build_head`), from features to class
        probabilities, usually trained already on the frozen features.
    fine_tune_layers : int
        Number of top layers of the backbone to train, at least 1, counting
        every layer (those without weights too); they must hold a trainable
        weight other than BatchNorm's.
    augment : bool, default=False
        Put a :class:`~skfashion.layers.RandomShiftAndFlip` (shifts of up to
        10 %, flips) in front of the extractor.
    seed : int or None, default=None
        Seed of the augmentation.

    Returns
    -------
    model : keras.Model
        Uncompiled model from images to class probabilities.

    Raises
    ------
    ValueError
        If ``fine_tune_layers`` is not a positive int, or if the layers it
        names have no weight to train; the message says how many would.

    Examples
    --------
    >>> from skfashion.architectures import build_fine_tuned, build_head
    >>> from skfashion.backbones import build_feature_extractor
    >>> extractor = build_feature_extractor((28, 28, 1), backbone="efficientnet_lite0",
    ...                                     weights=None)
    >>> model = build_fine_tuned((28, 28, 1), extractor, build_head(1280, 10, units=()),
    ...                          fine_tune_layers=4)
    >>> [layer.name for layer in model.layers]
    ['images', 'efficientnet_lite0_features', 'head']
    """
    if (
        isinstance(fine_tune_layers, bool)
        or not isinstance(fine_tune_layers, numbers.Integral)
        or fine_tune_layers < 1
    ):
        raise ValueError(
            "fine_tune_layers must be a positive int (the number of top backbone "
            f"layers to train). Received fine_tune_layers={fine_tune_layers!r}."
        )
    base = extractor.layers[-1]
    base.trainable = True
    first_trained = len(base.layers) - fine_tune_layers
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= first_trained and not isinstance(
            layer, layers.BatchNormalization
        )
    if not base.trainable_weights:
        needed = fine_tune_layers_needed(base)
        raise ValueError(
            f"fine_tune_layers={fine_tune_layers!r} makes no weight of backbone "
            f"{base.name!r} trainable: its top {fine_tune_layers} layer(s) "
            f"({', '.join(layer.name for layer in base.layers[-fine_tune_layers:])}) "
            f"have no weights, or BatchNorm's, which stay frozen. Use at least "
            f"fine_tune_layers={needed}, or 0 to train the head only."
        )
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = inputs
    if augment:
        x = RandomShiftAndFlip(0.1, seed=seed, name="random_shift_flip")(x)
    return keras.Model(inputs, head(extractor(x)), name="fine_tuned")


def _predictions(x, n_classes, seeds, dtype):
    # In the variable dtype of the policy (float32 under a mixed policy): the
    # probabilities and the loss keep their precision (Keras' mixed-precision
    # guide).
    policy = keras.config.dtype_policy() if dtype is None else keras.DTypePolicy(dtype)
    return layers.Dense(
        n_classes, activation="softmax", kernel_initializer=seeds.initializer(),
        dtype=policy.variable_dtype, name="predictions",
    )(x)
