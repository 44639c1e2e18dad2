"""The input contract shared by every skfashion estimator and transformer.

Images come in one of three layouts and are always returned as a float32
``(n_samples, height, width, channels)`` array of raw pixel values:

* ``(n_samples, n_pixels)`` flat rows, e.g. ``(n, 784)`` for 28x28 images. A
  width that is a perfect square is read as a square gray image; any other width
  needs an explicit ``image_shape``.
* ``(n_samples, height, width)`` gray images.
* ``(n_samples, height, width, channels)`` channels-last images, 1 to 4 channels.

Values are not rescaled here: each model scales inside its own graph.
"""

import math
import numbers

import numpy as np
from sklearn.utils.validation import check_array

MAX_CHANNELS = 4


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
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or not all(
        isinstance(s, numbers.Integral) and (s > 0 or s == -1) for s in shape
    ):
        raise ValueError(
            "image_shape must be None or a tuple (height, width) or "
            "(height, width, channels) of positive ints, at most one of them -1. "
            f"Received image_shape={image_shape!r}."
        )
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
    """Validate images and return them as float32 ``(n, height, width, channels)``.

    Parameters
    ----------
    X : array-like
        Images in one of the layouts listed in the module docstring.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(height, width, channels)`` used to unflatten
        2-D input; one entry may be -1 and is then inferred. Ignored for 3-D
        and 4-D input.
    estimator : estimator instance or None, default=None
        Named in error messages.
    input_name : str, default="X"
        Named in error messages.

    Returns
    -------
    images : ndarray of shape (n_samples, height, width, channels), dtype float32
    """
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"Sparse input is not supported: {input_name} must be a dense array of "
            "images. Convert it with X.toarray() first."
        )
    X = check_array(
        X,
        dtype=np.float32,
        allow_nd=True,
        ensure_all_finite=True,
        estimator=estimator,
        input_name=input_name,
    )
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
