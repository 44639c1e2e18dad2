"""skfashion's Keras layers: training-time augmentation and backbone input adapters.

All are registered as serializable (package ``"skfashion"``, so
``"skfashion>RandomShiftAndFlip"``, ``"skfashion>RandomCutout"``,
``"skfashion>BackbonePreprocessing"``, ``"skfashion>GrayToRGB"``): a model that
contains them can be saved, pickled and loaded again.

:class:`RandomShiftAndFlip` is a cheap augmentation: Keras' ``RandomTranslation``
moves each image by a sub-pixel amount through a projective transform with
bilinear interpolation, and ``RandomFlip`` then copies the batch once more. For a
network as small as LeNet-5 the two took about a fifth of a training step on 2
CPU cores (``benchmarks/augmentation.py``). This layer does both in two small
batched matrix products: each output row (column) of an image picks one input
row (column), so the shift, the flip and the zero fill are all one 0/1 matrix per
image and axis. :class:`RandomCutout` zeroes a random patch of each image with
one 0/1 mask per image: a fixed-size square, as in the Cutout paper, where
:class:`keras.layers.RandomErasing` draws each patch's height, width and
probability per image and fills it with scaled random normal values by default.

:class:`GrayToRGB` and :class:`BackbonePreprocessing` adapt raw images to a
pretrained backbone inside the graph
(:func:`skfashion.backbones.build_feature_extractor`).
"""

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
from keras import layers, ops

from skfashion._validation import check_fraction

__all__ = ["BackbonePreprocessing", "GrayToRGB", "RandomCutout", "RandomShiftAndFlip"]

#: ImageNet channel means in BGR order, used by the "caffe" mode (VGG16, ResNet50).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

#: EfficientNet-Lite's input scaling, ``(x - LITE_MEAN) / LITE_STD`` for x in
#: [0, 255]: the "inception-style" constants of Google's
#: ``efficientnet_lite_builder.py``, the "lite" mode below and
#: :func:`skfashion.backbones.efficientnet_lite.preprocess_input`.
LITE_MEAN = 127.0
LITE_STD = 128.0

#: mode -> what the backbone expects, for messages and docs.
MODES = {
    "caffe": "BGR channel order, ImageNet mean subtracted, [0, 255] scale",
    "tf": "RGB scaled to [-1, 1]",
    "lite": f"RGB scaled by (x - {LITE_MEAN:g}) / {LITE_STD:g}",
    "none": "RGB in [0, 255] (the backbone rescales inside itself)",
}


@keras.saving.register_keras_serializable(package="skfashion")
class BackbonePreprocessing(layers.Layer):
    """Map RGB pixel values in [0, 255] to what a backbone was trained on.

    Parameters
    ----------
    mode : {"caffe", "tf", "lite", "none"}
        ``"caffe"``: RGB to BGR, then subtract the ImageNet channel means
        (VGG16, ResNet50). ``"tf"``: ``x / 127.5 - 1`` (ResNetV2, MobileNetV2).
        ``"lite"``: ``(x - 127) / 128`` (EfficientNet-Lite). ``"none"``: unchanged
        (keras.applications EfficientNet rescales inside the model).

    Notes
    -----
    Tensors are immutable, so unlike ``keras.applications.*.preprocess_input`` on
    a NumPy array this never modifies the caller's data.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.layers import BackbonePreprocessing
    >>> x = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    >>> np.asarray(BackbonePreprocessing("tf")(x)).ravel().tolist()
    [-1.0, 0.0, 1.0]
    """

    def __init__(self, mode, **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(
                f"Unknown preprocessing mode {mode!r}; expected one of: "
                f"{', '.join(map(repr, MODES))}. Received mode={mode!r}."
            )
        self.mode = mode

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "caffe":
            return ops.flip(x, axis=-1) - ops.convert_to_tensor(CAFFE_MEAN_BGR, x.dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "lite":
            return (x - LITE_MEAN) / LITE_STD
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="skfashion")
class GrayToRGB(layers.Layer):
    """Repeat a single gray channel three times; pass RGB through unchanged.

    The first layer of a backbone feature extractor
    (:func:`skfashion.backbones.build_feature_extractor`), so that gray
    Fashion-MNIST images reach an ImageNet backbone as RGB.

    Parameters
    ----------
    **kwargs : dict
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``...).

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.layers import GrayToRGB
    >>> tuple(GrayToRGB()(np.zeros((2, 4, 4, 1), "float32")).shape)
    (2, 4, 4, 3)
    >>> tuple(GrayToRGB()(np.zeros((2, 4, 4, 3), "float32")).shape)
    (2, 4, 4, 3)
    """

    def call(self, inputs):
        if inputs.shape[-1] == 1:
            return ops.repeat(inputs, 3, axis=-1)
        return inputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)


class _RandomAugmentation(layers.Layer):
    """Base of the training-only augmentations: seeded, for batches of known image size."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:]):
            raise ValueError(
                f"{type(self).__name__} expects a batch of images of known size, "
                f"shape (batch, height, width, channels). Received input_shape="
                f"{tuple(input_shape)!r}."
            )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="skfashion")
class RandomShiftAndFlip(_RandomAugmentation):
    """Shift each image by a random whole number of pixels and flip half of them.

    Active only in training (``training=True``, as in ``model.fit``); at
    inference the layer returns its input unchanged. Pixels shifted in from
    outside the image are 0.

    Parameters
    ----------
    factor : float, default=0.1
        Largest shift as a fraction of the image's height (vertical) and width
        (horizontal), rounded to whole pixels: 0.1 of 28 is up to 3 pixels either
        way. Each image draws its vertical and horizontal shift independently and
        uniformly from the ``2 * round(factor * size) + 1`` whole-pixel values.
    seed : int or None, default=None
        Seed of the layer's random draws.
    **kwargs : dict
        Passed on to :class:`keras.layers.Layer` (``name``, ``dtype``...).

    Notes
    -----
    Unlike :class:`keras.layers.RandomTranslation`, shifts are whole pixels, so
    no interpolation blurs the image; the flip is horizontal, which preserves the
    label of clothing (not of digits or text).

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.layers import RandomShiftAndFlip
    >>> layer = RandomShiftAndFlip(0.1, seed=0)
    >>> x = np.arange(2 * 28 * 28, dtype="float32").reshape(2, 28, 28, 1)
    >>> bool(np.array_equal(layer(x, training=False), x))
    True
    >>> layer(x, training=True).shape
    TensorShape([2, 28, 28, 1])
    """

    def __init__(self, factor=0.1, seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.factor = check_fraction(
            "factor", factor, "the largest shift as a fraction of the image size"
        )

    def call(self, inputs, training=None):
        if not training:
            return inputs
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        batch = ops.shape(inputs)[0]
        draws = keras.random.uniform((3, batch), seed=self.seed_generator)
        flip = draws[2] < 0.5
        rows = ops.arange(height)[None, :] + self._shift(draws[0], height)[:, None]
        cols = ops.arange(width)
        cols = ops.where(flip[:, None], (width - 1 - cols)[None, :], cols[None, :])
        cols = cols + self._shift(draws[1], width)[:, None]
        # Row i of an output image is input row rows[i]: one-hot of an index
        # outside the image is all zeros, which is the zero fill.
        pick_rows = ops.one_hot(rows, height, dtype=inputs.dtype)  # (batch, H, H)
        pick_cols = ops.one_hot(cols, width, dtype=inputs.dtype)  # (batch, W, W)
        x = ops.reshape(inputs, (batch, height, width * channels))
        x = ops.matmul(pick_rows, x)  # (batch, H, W*C)
        x = ops.reshape(x, (batch, height, width, channels))
        if channels == 1:  # gray images: no need to move the channel axis
            x = ops.matmul(x[..., 0], ops.transpose(pick_cols, (0, 2, 1)))
            return x[..., None]
        x = ops.transpose(x, (0, 1, 3, 2))  # (batch, H, C, W)
        x = ops.matmul(x, ops.transpose(pick_cols, (0, 2, 1))[:, None])
        return ops.transpose(x, (0, 1, 3, 2))

    def _shift(self, uniform, size):
        """Whole-pixel shifts in [-k, k] from uniform [0, 1) draws."""
        k = round(self.factor * size)
        return ops.cast(ops.floor(uniform * (2 * k + 1)), "int32") - k

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="skfashion")
class RandomCutout(_RandomAugmentation):
    """Set a patch at a random place of each image to 0 (Cutout).

    Active only in training (``training=True``, as in ``model.fit``); at
    inference the layer returns its input unchanged. Every image gets one
    patch, placed around a pixel drawn uniformly over the image (for a side
    of ``s`` pixels, from ``s // 2`` before it to ``(s - 1) // 2`` after it,
    as in the reference code of DeVries and Taylor, 2017), so a patch near the
    border is partly outside the image and covers less.

    Parameters
    ----------
    size : float, default=0.5
        Sides of the patch as a fraction of the image's height and width,
        each rounded to whole pixels (at least 1): 0.5 of 28 is 14 pixels. The
        patch is a square for square images.
    seed : int or None, default=None
        Seed of the layer's random draws.
    **kwargs : dict
        Passed on to :class:`keras.layers.Layer` (``name``, ``dtype``...).

    References
    ----------
    T. DeVries and G. W. Taylor, "Improved regularization of convolutional
    neural networks with Cutout", arXiv:1708.04552, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.layers import RandomCutout
    >>> layer = RandomCutout(0.25, seed=0)
    >>> x = np.ones((2, 28, 28, 1), dtype="float32")
    >>> bool(np.array_equal(layer(x, training=False), x))
    True
    >>> covered = 28 * 28 - np.asarray(layer(x, training=True)).sum(axis=(1, 2, 3))
    >>> bool(((covered > 0) & (covered <= 7 * 7)).all())
    True
    """

    def __init__(self, size=0.5, seed=None, **kwargs):
        super().__init__(seed, **kwargs)
        self.size = check_fraction(
            "size", size, "the side of the patch as a fraction of the image size",
            zero_allowed=False, one_allowed=True
        )

    def call(self, inputs, training=None):
        if not training:
            return inputs
        batch = ops.shape(inputs)[0]
        draws = keras.random.uniform((2, batch), seed=self.seed_generator)
        rows = self._covered(draws[0], inputs.shape[1], inputs.dtype)  # (batch, H)
        cols = self._covered(draws[1], inputs.shape[2], inputs.dtype)  # (batch, W)
        keep = 1 - rows[:, :, None, None] * cols[:, None, :, None]
        return inputs * keep

    def _covered(self, uniform, size, dtype):
        """1 where a patch centred at a uniform draw covers the index, else 0."""
        side = max(1, round(self.size * size))
        start = ops.cast(ops.floor(uniform * size), "int32") - side // 2
        index = ops.arange(size)[None, :]
        inside = (index >= start[:, None]) & (index < start[:, None] + side)
        return ops.cast(inside, dtype)

    def get_config(self):
        return {**super().get_config(), "size": self.size}
