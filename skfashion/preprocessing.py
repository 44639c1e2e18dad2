"""Image preprocessing transformers.

:class:`ImageResizer` resizes images and converts them between gray and RGB so
that any estimator can follow it in a :class:`~sklearn.pipeline.Pipeline`: a
frozen ImageNet backbone that needs 32x32 RGB input or larger, or a plain
scikit-learn classifier fed flat rows.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from skfashion import _config
from skfashion._compat import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    validate_params,
)
from skfashion._images import check_fitted_image_shape, check_images

#: Interpolation methods accepted by ``keras.ops.image.resize``.
INTERPOLATIONS = ("area", "bicubic", "bilinear", "lanczos3", "lanczos5", "nearest")

#: ITU-R BT.601 luma weights for R, G and B, used to turn RGB images gray.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _resize_chunk(images, size, interpolation):
    """Resize a float32 ``(n, h, w, c)`` chunk to ``size`` with Keras; return numpy."""
    _config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it
    from keras import ops  # imported here: a resize-free transform needs no TensorFlow

    resized = ops.image.resize(
        images, size, interpolation=interpolation, data_format="channels_last"
    )
    return ops.convert_to_numpy(resized)


class ImageResizer(TransformerMixin, BaseEstimator):
    """Resize images and convert them between gray and RGB.

    A stateless transformer to put in front of any estimator in a
    :class:`~sklearn.pipeline.Pipeline`: it brings 28x28 gray Fashion-MNIST
    images to the size and channel count a model needs (frozen ImageNet
    backbones need 32x32x3 or larger), or flattens them for a plain
    scikit-learn estimator. Pixel values are not rescaled: raw ``[0, 255]``
    input gives ``[0, 255]`` output, and each model scales inside its own graph.

    Parameters
    ----------
    size : int, tuple of (int, int) or None, default=(32, 32)
        Output ``(height, width)``; an int gives a square image. None keeps the
        input size.

    channels : {1, 3} or None, default=3
        Output channels. 3 turns gray images into RGB by repeating the channel;
        1 turns RGB images gray with the ITU-R BT.601 luma weights
        (0.299, 0.587, 0.114). Only 1 and 3 channels can be converted. None
        keeps the input channels, whatever their number.

    interpolation : {"bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", \
"area"}, default="bilinear"
        Interpolation method of :func:`keras.ops.image.resize`.

    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` used to read flat
        ``(n_samples, n_pixels)`` input as images; one entry may be -1 and is
        then inferred. None reads flat rows as square gray images. 3-D and
        4-D input that does not have this shape is refused.

    output : {"images", "flat"}, default="images"
        ``"images"`` returns ``(n_samples, height, width, channels)``;
        ``"flat"`` returns ``(n_samples, height * width * channels)`` rows so
        that a plain scikit-learn estimator can follow.

    batch_size : int, default=1024
        Number of images resized at a time; bounds the memory used on top of
        the output array.

    Attributes
    ----------
    n_features_in_ : int
        Number of values per input image, ``height * width * channels``.

    input_shape_ : tuple of (int, int, int)
        ``(height, width, channels)`` of the images seen during :term:`fit`.
        :meth:`transform` accepts only images of this shape.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    keras.ops.image.resize : The resize function used, chunk by chunk.
    sklearn.preprocessing.FunctionTransformer : Wrap any other image function.

    Notes
    -----
    Input may be flat ``(n_samples, n_pixels)`` rows, ``(n_samples, height,
    width)`` gray images or channels-last ``(n_samples, height, width,
    channels)`` images with 1 to 4 channels. The output is always float32.

    The transformer learns nothing from the data, but :term:`fit` records the
    input image shape and :meth:`transform` checks it, as for any scikit-learn
    transformer.

    Each output image is clipped to the value range of its own input image, so
    that the overshoot of the "bicubic" and "lanczos" kernels never leaves the
    input range: raw ``[0, 255]`` images give ``[0, 255]`` output. The other
    methods never overshoot. Resizing is skipped when the input already has the
    requested size, and the channel conversion is done on the side with fewer
    channels (before resizing for RGB to gray, after it for gray to RGB).

    Without anti-aliasing, shrinking images by a large factor with "bilinear"
    or "nearest" drops detail unevenly; use "area" to shrink.

    The output array is allocated once and filled `batch_size` images at a
    time: 60,000 28x28 images resized to 32x32 RGB need about 740 MB for the
    output and 190 MB for the float32 input, and nothing more of that order.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.preprocessing import ImageResizer
    >>> X = np.zeros((2, 28, 28))
    >>> ImageResizer(size=32).fit_transform(X).shape
    (2, 32, 32, 3)
    >>> ImageResizer(size=(8, 8), channels=1, output="flat").fit_transform(X).shape
    (2, 64)
    """

    _parameter_constraints: dict = {
        "size": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "channels": [Options(Integral, {1, 3}), None],
        "interpolation": [StrOptions(set(INTERPOLATIONS))],
        "image_shape": ["array-like", None],
        "output": [StrOptions({"images", "flat"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        size=(32, 32),
        *,
        channels=3,
        interpolation="bilinear",
        image_shape=None,
        output="images",
        batch_size=1024,
    ):
        self.size = size
        self.channels = channels
        self.interpolation = interpolation
        self.image_shape = image_shape
        self.output = output
        self.batch_size = batch_size

    def _check_params(self):
        """Finish the checks `_parameter_constraints` cannot express.

        Returns the requested ``(height, width)`` or None.
        """
        name = type(self).__name__
        for param, accepted in (
            ("channels", "1, 3 or None"),
            ("batch_size", "an int >= 1"),
        ):
            if isinstance(getattr(self, param), (bool, np.bool_)):
                raise InvalidParameterError(
                    f"The {param!r} parameter of {name} must be {accepted}, not a "
                    f"bool. Got {getattr(self, param)!r} instead."
                )
        size = self.size
        if size is None:
            return None
        if isinstance(size, Integral) and not isinstance(size, (bool, np.bool_)):
            return int(size), int(size)
        pair = tuple(size) if np.ndim(size) == 1 else ()
        if len(pair) != 2 or not all(
            isinstance(s, Integral) and not isinstance(s, (bool, np.bool_)) and s >= 1
            for s in pair
        ):
            raise InvalidParameterError(
                f"The 'size' parameter of {name} must be an int >= 1, a "
                "(height, width) pair of ints >= 1, or None. "
                f"Got {size!r} instead."
            )
        return int(pair[0]), int(pair[1])

    def _output_shape(self, input_shape):
        """Return the output ``(height, width, channels)`` for one input image."""
        size = self._check_params()
        height, width, n_channels = input_shape
        if size is None:
            size = (height, width)
        if self.channels is None or self.channels == n_channels:
            out_channels = n_channels
        elif n_channels in (1, 3):
            out_channels = int(self.channels)
        else:
            raise ValueError(
                f"{type(self).__name__} converts between 1 and 3 channels only: X "
                f"has images of shape {tuple(input_shape)} with {n_channels} "
                f"channels, and channels={self.channels!r} was requested. Use "
                f"channels=None to keep the {n_channels} input channels."
            )
        return (*size, out_channels)

    def _check_images(self, X):
        return check_images(X, image_shape=self.image_shape, estimator=self)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the shape of the input images.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), \
(n_samples, height, width) or (n_samples, height, width, channels)
            Images with raw pixel values.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        # Records feature_names_in_ for DataFrame input; the array itself is
        # checked by check_images (ensure_2d=False skips the tabular n_features).
        validate_data(self, X, reset=True, skip_check_array=True, ensure_2d=False)
        input_shape = tuple(int(s) for s in self._check_images(X).shape[1:])
        self._output_shape(input_shape)
        self.input_shape_ = input_shape
        self.n_features_in_ = int(np.prod(input_shape))
        return self

    def transform(self, X):
        """Resize the images and convert their channels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), \
(n_samples, height, width) or (n_samples, height, width, channels)
            Images of the shape seen in :term:`fit`, with raw pixel values.

        Returns
        -------
        X_out : ndarray of shape (n_samples, height, width, channels) or \
(n_samples, height * width * channels), dtype float32
            Resized images, or their flat rows if ``output="flat"``.
        """
        check_is_fitted(self)
        validate_params(self)
        validate_data(self, X, reset=False, skip_check_array=True, ensure_2d=False)
        images = self._check_images(X)
        check_fitted_image_shape(images, self.input_shape_, self)
        out_h, out_w, out_c = self._output_shape(images.shape[1:])
        n_samples, height, width, n_channels = images.shape
        resize = (out_h, out_w) != (height, width)
        to_gray = n_channels == 3 and out_c == 1
        to_rgb = n_channels == 1 and out_c == 3

        if not (resize or to_gray or to_rgb):
            # float32 as promised (uint8 input stays uint8 in check_images),
            # and never a view of the caller's array.
            out = np.array(images, dtype=np.float32, copy=True)
        else:
            out = np.empty((n_samples, out_h, out_w, out_c), dtype=np.float32)
            for start in range(0, n_samples, self.batch_size):
                stop = min(start + self.batch_size, n_samples)
                chunk = images[start:stop]
                if not (resize or to_gray):  # gray to RGB at the same size
                    out[start:stop] = chunk
                    continue
                low = chunk.min(axis=(1, 2, 3), keepdims=True)
                high = chunk.max(axis=(1, 2, 3), keepdims=True)
                if to_gray:
                    chunk = (chunk @ LUMA_WEIGHTS)[..., np.newaxis]
                if resize:
                    chunk = _resize_chunk(chunk, (out_h, out_w), self.interpolation)
                # Broadcasts the gray channel over RGB when to_rgb.
                out[start:stop] = np.clip(chunk, low, high)

        if self.output == "flat":
            return out.reshape(n_samples, -1)
        return out

    def _check_flat_output(self):
        if self.output != "flat":
            raise AttributeError(
                "get_feature_names_out is only available with output='flat': "
                "images have no feature names. "
                f"Received output={self.output!r}."
            )
        return True

    @available_if(_check_flat_output)
    def get_feature_names_out(self, input_features=None):
        """Get output feature names, with ``output="flat"`` only.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against `feature_names_in_` and `n_features_in_`.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["pixel0", "pixel1", ...]``, one per output value, numbered in
            the order of the flat rows (row by row, channels last).
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        n_features_out = int(np.prod(self._output_shape(self.input_shape_)))
        return np.asarray([f"pixel{i}" for i in range(n_features_out)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        # Stateless, but transform checks the image shape recorded by fit.
        tags.requires_fit = True
        return tags
