"""The image contract shared by every skfashion estimator and transformer.

Images come in one of three layouts and are always returned as a
``(n_samples, height, width, channels)`` array, a view of the input where it can
be (no copy of uint8 or float32 data, nor of a ``np.memmap``): uint8 and
float32 images keep their dtype, any other dtype becomes float32. The model
casts to float inside its own graph, batch by batch.

* ``(n_samples, n_pixels)`` flat rows, e.g. ``(n, 784)`` for 28x28 images. A
  width that is a perfect square is read as a square gray image; any other width
  needs an explicit ``image_shape``.
* ``(n_samples, height, width)`` gray images.
* ``(n_samples, height, width, channels)`` channels-last images, 1 to 4 channels.

Pixel values: the pixel contract
--------------------------------
Every model scales raw ``[0, 255]`` pixels inside its own graph. A classifier's
``pixel_range`` parameter says which range its images use:

* ``"auto"`` (default): float images whose values all lie in [0, 1] at ``fit``
  are read as [0, 1] images; anything else as [0, 255] pixels (uint8 images of
  0s and 1s with a warning).
* ``(0, 255)`` or ``(0, 1)``: stated; ``fit`` refuses images outside it.

``fit`` stores the range as ``pixel_range_``, and [0, 1] images are multiplied
by 255 (into a float32 array) before the model, at ``fit`` and at every
``predict``, ``predict_proba`` and ``score``. At prediction time:

* fitted on [0, 1]: images with a value outside [0, 1] (raw pixels, most
  likely) are refused with a ``ValueError``;
* fitted on [0, 255]: float images whose values all lie in [0, 1] (images
  normalised by ``X / 255``, most likely) give a ``UserWarning``, as do values
  outside [0, 255] (at ``fit`` too, with ``pixel_range="auto"``).

The rules are applied by :func:`fit_pixel_range` and :func:`check_pixel_range`;
the user guide's "Input" page states them for users.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.utils.validation import check_array

from skfashion._validation import short_repr

MAX_CHANNELS = 4

#: Image dtypes kept as they are (the model casts them in its graph); the first
#: is the one any other dtype is converted to.
KEPT_DTYPES = (np.float32, np.uint8)

#: The values ``pixel_range`` accepts besides "auto".
PIXEL_RANGES = ((0, 255), (0, 1))


def _check_image_shape(image_shape):
    """``image_shape`` as a tuple of 2 or 3 ints, each positive or -1."""
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and (s > 0 or s == -1)
        for s in shape
    ):
        raise ValueError(
            "image_shape must be None or a tuple (height, width) or "
            "(height, width, channels) of positive ints, at most one of them -1. "
            f"Received image_shape={image_shape!r}."
        )
    return shape


def _check_stated_shape(image_shape, X, input_name):
    """Refuse images ``X`` (4-D) whose shape contradicts a stated ``image_shape``.

    ``image_shape`` unflattens 2-D input; images that already have a shape are
    used as they are, but a stated shape they do not have is a mistake (of the
    shape or of the data) that would otherwise go unnoticed.
    """
    shape = _check_image_shape(image_shape)
    if all(s in (-1, actual) for s, actual in zip(shape, X.shape[1:])):
        return
    raise ValueError(
        f"image_shape={image_shape!r} does not match the images in {input_name}, of "
        f"shape {X.shape[1:]} (height, width, channels). image_shape only reads "
        "flat 2-D input as images: set it to None for images that already have "
        "a shape, or check that these are the images you meant."
    )


def _resolve_image_shape(image_shape, n_features):
    """Return ``(height, width, channels)`` for flat rows of ``n_features`` values."""
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"Cannot read flat rows of {n_features} values as images: "
                f"{n_features} is not a square number of pixels. Pass X as "
                "(n_samples, height, width) or (n_samples, height, width, channels), "
                "or set image_shape=(height, width[, channels]). "
                f"Received X with {n_features} features."
            )
        return side, side, 1
    shape = _check_image_shape(image_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    known = math.prod(s for s in shape if s != -1)
    if sum(s == -1 for s in shape) > 1 or (
        -1 in shape and n_features % known
    ) or (-1 not in shape and known != n_features):
        raise ValueError(
            f"image_shape={image_shape!r} does not fit flat rows of {n_features} "
            "values: height * width * channels must equal the number of features."
        )
    return tuple(n_features // known if s == -1 else s for s in shape)


def check_images(X, *, image_shape=None, estimator=None, input_name="X"):
    """Validate images and return them as ``(n, height, width, channels)``.

    Parameters
    ----------
    X : array-like
        Images in one of the layouts listed in the module docstring.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` used to unflatten
        2-D input; one entry may be -1 and is then inferred. 3-D and 4-D input
        keeps its own shape, which must agree with ``image_shape`` if it is
        given.
    estimator : estimator instance or None, default=None
        Named in error messages.
    input_name : str, default="X"
        Named in error messages.

    Returns
    -------
    images : ndarray of shape (n_samples, height, width, channels)
        dtype uint8 or float32: ``X`` itself or a view of it when ``X`` is a
        uint8 or float32 array (of a ``np.memmap``: a view of its mapped file),
        else a float32 copy.
    """
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"Sparse input is not supported: {input_name} must be a dense array of "
            "images. Convert it with X.toarray() first."
        )
    X = check_array(
        X,
        dtype=list(KEPT_DTYPES),
        allow_nd=True,
        ensure_all_finite=True,
        estimator=estimator,
        input_name=input_name,
    )
    ndim = X.ndim
    if X.ndim == 2:
        X = X.reshape(X.shape[0], *_resolve_image_shape(image_shape, X.shape[1]))
    elif X.ndim == 3:
        X = X[..., np.newaxis]
    elif X.ndim != 4:
        raise ValueError(
            f"{input_name} must have 2, 3 or 4 dimensions: (n_samples, n_pixels), "
            "(n_samples, height, width) or (n_samples, height, width, channels). "
            f"Received {input_name} with shape {X.shape}."
        )
    if X.shape[-1] > MAX_CHANNELS:
        raise ValueError(
            f"{input_name} has {X.shape[-1]} channels in its last axis; images must "
            f"be channels-last (n_samples, height, width, channels) with 1 to "
            f"{MAX_CHANNELS} channels. Received {input_name} with shape {X.shape}; "
            "for channels-first data use np.moveaxis(X, 1, -1)."
        )
    if min(X.shape[1:3]) < 1:
        raise ValueError(
            f"{input_name} has empty images of shape {X.shape[1:]}; "
            "height and width must be at least 1."
        )
    if image_shape is not None and ndim > 2:
        _check_stated_shape(image_shape, X, input_name)
    return X


def check_fitted_image_shape(X, fitted_shape, estimator):
    """Raise if the images ``X`` do not have the shape seen in ``fit``.

    The message starts the way scikit-learn's does for a wrong number of features.
    """
    if X.shape[1:] != tuple(fitted_shape):
        name = type(estimator).__name__
        raise ValueError(
            f"X has {int(np.prod(X.shape[1:]))} features, but {name} is expecting "
            f"{int(np.prod(fitted_shape))} features as input: X has images of shape "
            f"{X.shape[1:]}, but {name} was fitted on images of shape "
            f"{tuple(fitted_shape)} (height, width, channels)."
        )


# ----------------------------------------------------------- pixel contract


def _value_range(X):
    """``(min, max)`` of ``X`` as Python numbers, without a copy."""
    if X.size == 0:
        return 0, 0
    return X.min().item(), X.max().item()


def _format_range(low, high):
    return f"[{low:.4g}, {high:.4g}]"


def fit_pixel_range(X, pixel_range, estimator):
    """Return the pixel range of the training images ``X``, as ``fit`` stores it.

    Parameters
    ----------
    X : ndarray
        Training images (from :func:`check_images`).
    pixel_range : "auto", (0, 255) or (0, 1)
        The estimator's parameter (see the module docstring).
    estimator : estimator instance
        Named in messages.

    Returns
    -------
    pixel_range_ : (0, 255) or (0, 1)

    Raises
    ------
    ValueError
        If ``pixel_range`` is none of the accepted values, or is stated and ``X``
        has values outside it.
    """
    name = type(estimator).__name__
    if isinstance(pixel_range, str) and pixel_range == "auto":
        stated = None
    else:
        try:
            stated = tuple(float(v) for v in pixel_range)
        except (TypeError, ValueError):
            stated = ()
        if stated not in PIXEL_RANGES:
            raise ValueError(
                "pixel_range must be 'auto', (0, 255) or (0, 1). Received "
                f"pixel_range={short_repr(pixel_range)}."
            )
        stated = PIXEL_RANGES[PIXEL_RANGES.index(stated)]
    if X.dtype == np.uint8 and stated != (0, 1):
        # Every uint8 value is a raw pixel; but uint8 images of 0s and 1s
        # (binarized, or [0, 1] images cast to uint8) would be nearly black.
        if stated is None and X.size and X.max() == 1:
            warnings.warn(
                f"X is uint8 with every value 0 or 1: {name} reads uint8 images as "
                "raw pixels in [0, 255], so these are nearly black. If they are "
                "[0, 1] images (binarized, say), pass X * 255 or "
                "pixel_range=(0, 1); pixel_range=(0, 255) keeps them as they are "
                "without this warning.",
                UserWarning,
                stacklevel=4,
            )
        return (0, 255)
    low, high = _value_range(X)
    if stated is None:
        if X.dtype.kind == "f" and X.size and 0 <= low and high <= 1:
            return (0, 1)
        if low < 0 or high > 255:
            warnings.warn(
                f"X has values in {_format_range(low, high)}, outside the pixel range "
                f"[0, 255] that {name} reads them in (pixel_range='auto' reads "
                "images with values outside [0, 1] as raw pixels): the model "
                "divides them by 255. Pass raw pixels in [0, 255], or images "
                "scaled to [0, 1].",
                UserWarning,
                stacklevel=4,
            )
        return (0, 255)
    if low < stated[0] or high > stated[1]:
        raise ValueError(
            f"X has values in {_format_range(low, high)}, outside the stated "
            f"pixel_range={stated}. Pass images in {list(stated)}, or "
            "pixel_range='auto' to read the range from the training images."
        )
    if stated == (0, 255) and X.dtype.kind == "f" and 0 < high <= 1:
        warnings.warn(
            f"X has float values in {_format_range(low, high)}, but pixel_range="
            f"(0, 255) was stated: if these are images scaled to [0, 1], {name} "
            "trains on nearly black images. Pass raw pixels (X * 255), or "
            "pixel_range='auto' or (0, 1).",
            UserWarning,
            stacklevel=4,
        )
    return stated


def check_pixel_range(X, pixel_range_, estimator):
    """Check images to predict on against the range seen in ``fit``.

    Raises a ``ValueError`` for values outside [0, 1] when ``fit`` saw [0, 1]
    images; warns for [0, 1]-looking float images, or values outside
    [0, 255], when it saw [0, 255] pixels. See the module docstring.
    """
    name = type(estimator).__name__
    if X.dtype == np.uint8 and pixel_range_ != (0, 1):
        return
    low, high = _value_range(X)
    if pixel_range_ == (0, 1):
        if low < 0 or high > 1:
            raise ValueError(
                f"X has values in {_format_range(low, high)}, but {name} was fitted "
                "on images in [0, 1] (pixel_range_=(0, 1)). Scale X as the training "
                "images were (X / 255 for raw pixels), or fit on raw pixels "
                "(pixel_range=(0, 255))."
            )
        return
    if X.dtype.kind == "f" and 0 <= low and 0 < high <= 1:
        message = (
            f"X has float values in {_format_range(low, high)}, but {name} was "
            "fitted on raw pixels in [0, 255] (pixel_range_=(0, 255)): if these "
            f"are images scaled to [0, 1], {name}'s output on them is meaningless. "
            "Pass raw pixels (X * 255), or fit on [0, 1] images."
        )
    elif low < 0 or high > 255:
        message = (
            f"X has values in {_format_range(low, high)}, outside the pixel range "
            f"[0, 255] {name} was fitted on (pixel_range_=(0, 255))."
        )
    else:
        return
    warnings.warn(message, UserWarning, stacklevel=4)


def to_raw_pixels(X, pixel_range_):
    """``X`` in [0, 255] for the model: ``X`` itself, or ``255 * X`` as float32."""
    if pixel_range_ == (0, 1):
        return np.multiply(X, np.float32(255), dtype=np.float32)
    return X
