"""A cheap training-time augmentation layer: whole-pixel shifts and left-right flips.

Keras' ``RandomTranslation`` moves each image by a sub-pixel amount through a
projective transform with bilinear interpolation, and ``RandomFlip`` then copies
the batch once more. For a network as small as LeNet-5 the two took about a fifth
of a training step on 2 CPU cores (``benchmarks/augmentation.py``).
:class:`RandomShiftAndFlip` does both in two small batched matrix products: each
output row (column) of an image picks one input row (column), so the shift, the
flip and the zero fill are all one 0/1 matrix per image and axis.
"""

import numbers

import keras
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="skfashion")
class RandomShiftAndFlip(layers.Layer):
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
    >>> from skfashion.augmentation import RandomShiftAndFlip
    >>> layer = RandomShiftAndFlip(0.1, seed=0)
    >>> x = np.arange(2 * 28 * 28, dtype="float32").reshape(2, 28, 28, 1)
    >>> bool(np.array_equal(layer(x, training=False), x))
    True
    >>> layer(x, training=True).shape
    TensorShape([2, 28, 28, 1])
    """

    def __init__(self, factor=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(factor, (bool, np.bool_))
            or not isinstance(factor, numbers.Real)
            or not 0 <= factor < 1
        ):
            raise ValueError(
                f"factor must be a float in [0, 1), the largest shift as a fraction "
                f"of the image size. Received factor={factor!r}."
            )
        self.factor = float(factor)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:]):
            raise ValueError(
                f"{type(self).__name__} expects a batch of images of known size, "
                f"shape (batch, height, width, channels). Received input_shape="
                f"{tuple(input_shape)!r}."
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

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
