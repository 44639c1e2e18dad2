"""The frozen backbone as a scikit-learn transformer: :class:`BackboneFeatures`.

Public as :class:`skfashion.BackboneFeatures` and
``skfashion.transfer.BackboneFeatures``; :class:`~skfashion.TransferClassifier`
trains its head on these features (:mod:`skfashion.transfer`). The features
are cached per process, one vector per image (:mod:`skfashion._feature_cache`).
"""

import numbers
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from skfashion import _feature_cache
from skfashion._compat import Interval, StrOptions, validate_params
from skfashion._images import (
    check_fitted_image_shape,
    check_images,
    check_pixel_range,
    fit_pixel_range,
    to_raw_pixels,
)
from skfashion.backbones import BACKBONES, MIN_INPUT_SIZE, check_input_size

__all__ = ["BackboneFeatures"]


class BackboneFeatures(TransformerMixin, BaseEstimator):
    """Pooled features of a frozen pretrained backbone, as a transformer.

    Resizing, gray->RGB and the backbone's own preprocessing happen inside the
    Keras graph, on raw [0, 255] pixels ([0, 1] images are scaled to them, see
    ``pixel_range``). Features are cached per process (see
    :func:`feature_cache_info`), so transforming the same images again costs a
    hash instead of a forward pass.

    Parameters
    ----------
    backbone : str, default="efficientnet_lite0"
        A key of :data:`skfashion.backbones.BACKBONES`.
    weights : "imagenet", path or None, default="imagenet"
        ImageNet weights (offline for ``"efficientnet_lite0"``), a weights file,
        or ``None`` for random weights (chance-level features; for tests only).
    input_size : int or (int, int), default=96
        Size the images are resized to before the backbone; at least 32. An
        ImageNet backbone sees little in a 32x32 image: larger is slower and
        more accurate (:ref:`transfer-accuracy`).
    image_shape : tuple of int or None, default=None
        Shape of flat 2-D input, as in :class:`skfashion.CNNClassifier`.
    pixel_range : "auto", (0, 255) or (0, 1), default="auto"
        Pixel range of the images, kept as ``pixel_range_`` (:ref:`pixel-range`):
        [0, 1] images are scaled to [0, 255] before the backbone's own
        preprocessing, never fed to it as they are.
    batch_size : int, default=256
        Images per forward pass.
    cache : bool, default=True
        Keep features in the per-process cache.

    Attributes
    ----------
    input_shape_ : tuple of int
        ``(height, width, channels)`` of the images seen in ``fit``.
    pixel_range_ : (0, 255) or (0, 1)
        Pixel range of the images seen in ``fit``, and of those to transform.
    n_features_in_ : int
        Pixel values per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame of flat images seen in ``fit``, checked
        by ``transform``. Defined only when they are all strings.
    n_features_out_ : int
        Length of the feature vectors.

    See Also
    --------
    TransferClassifier : A trainable head on these features, with fine-tuning.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skfashion import BackboneFeatures, load_fashion_mnist
    >>> X, y = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> pipe = make_pipeline(BackboneFeatures(), StandardScaler(),
    ...                      LogisticRegression(C=0.1))
    >>> pipe.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.6
    True
    """

    _parameter_constraints = {
        "backbone": [StrOptions(set(BACKBONES))],
        "weights": [StrOptions({"imagenet"}), str, Path, None],
        "input_size": [
            Interval(numbers.Integral, MIN_INPUT_SIZE, None, closed="left"),
            tuple,
            list,
        ],
        "image_shape": ["array-like", None],
        "pixel_range": [StrOptions({"auto"}), tuple, list],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "cache": ["boolean"],
    }

    def __init__(
        self,
        backbone="efficientnet_lite0",
        *,
        weights="imagenet",
        input_size=96,
        image_shape=None,
        pixel_range="auto",
        batch_size=256,
        cache=True,
    ):
        self.backbone = backbone
        self.weights = weights
        self.input_size = input_size
        self.image_shape = image_shape
        self.pixel_range = pixel_range
        self.batch_size = batch_size
        self.cache = cache

    def _cache_key(self):
        """The key of this fitted transformer's extractor and features in the
        process-wide cache (:mod:`skfashion._feature_cache`)."""
        return (
            self.backbone,
            _feature_cache.weights_key(self.weights),
            check_input_size(self.input_size),
            tuple(self.input_shape_),
        )

    def fit(self, X, y=None):
        """Check the images and build the backbone; nothing is learned.

        Parameters
        ----------
        X : array-like of images
            See :class:`skfashion.CNNClassifier` for the accepted layouts.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        validate_params(self)
        validate_data(self, X, reset=True, skip_check_array=True, ensure_2d=False)
        X = check_images(X, image_shape=self.image_shape, estimator=self)
        self.input_shape_ = X.shape[1:]
        self.n_features_in_ = int(np.prod(self.input_shape_))
        self.pixel_range_ = self._fit_pixel_range(X)
        extractor = _feature_cache.extractor(self._cache_key())
        self.n_features_out_ = int(extractor.output_shape[-1])
        return self

    def transform(self, X):
        """Return the backbone's pooled features of the images ``X``.

        Parameters
        ----------
        X : array-like of images
            Same layout and size as in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, `n_features_out_`), dtype float32
            A new array; the backbone ran only on the images the cache lacked.
        """
        check_is_fitted(self, "n_features_out_")
        validate_data(self, X, reset=False, skip_check_array=True, ensure_2d=False)
        X = check_images(X, image_shape=self.image_shape, estimator=self)
        check_fitted_image_shape(X, self.input_shape_, self)
        self._check_pixel_range(X)
        return _feature_cache.features(
            self._cache_key(),
            to_raw_pixels(X, self.pixel_range_),
            batch_size=self.batch_size,
            cache=self.cache,
        )

    def _fit_pixel_range(self, X):
        return fit_pixel_range(X, self.pixel_range, self)

    def _check_pixel_range(self, X):
        check_pixel_range(X, self.pixel_range_, self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def get_feature_names_out(self, input_features=None):
        """Get output feature names: ``<backbone>0``, ``<backbone>1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the names depend only on the backbone.

        Returns
        -------
        feature_names_out : ndarray of str
            One name per feature, ``n_features_out_`` in all.
        """
        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"{self.backbone}{i}" for i in range(self.n_features_out_)])
