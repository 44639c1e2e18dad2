"""Prediction of skfashion's classifiers, a mixin of the private base class.

``predict``, ``predict_proba`` and ``score`` are scikeras', with two changes
made in ``_predict_raw``, the one place where every prediction is made:

* the images reach Keras one batch at a time from the caller's own array, as
  in ``fit`` (:class:`~skfashion._batches.ImageBatches`): a ``np.memmap`` is
  never loaded whole;
* with a ``tta`` parameter, a prediction is the mean of the class
  probabilities of several views of each image (:mod:`skfashion._tta`).

The input checks are the base class's ``_validate_data`` (shape and pixel
range of ``fit``); this module adds none of its own.
"""

from sklearn.utils.validation import check_is_fitted

from skfashion._batches import ImageBatches
from skfashion._compat import release_custom_gradients
from skfashion._docstrings import fill_doc
from skfashion._recipe import call_callbacks
from skfashion._tta import average_over_views, tta_mode
from skfashion._validation import check_fit_arguments


class PredictionMixin:
    """``predict``, ``predict_proba``, ``score`` and test-time augmentation.

    Mixed into :class:`skfashion._base.BaseImageClassifier` before scikeras'
    ``KerasClassifier``, whose methods it documents and whose
    ``_predict_raw`` it replaces. Not for direct use.
    """

    # scikeras' own docstrings of the methods below describe options that
    # skfashion refuses or does not have; the behaviour is scikeras'.

    @fill_doc
    def predict(self, X, **kwargs):
        """Predict the class label of each image.

        Parameters
        ----------
        %(prediction_parameters)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, of the same type as the ``y`` seen in ``fit``.
        """
        return super().predict(X, **kwargs)

    @fill_doc
    def predict_proba(self, X, **kwargs):
        """Predict the probability of each class for each image.

        Parameters
        ----------
        %(prediction_parameters)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax probabilities, columns in the order of ``classes_``; one
            row per image, also for a single image.
        """
        proba = super().predict_proba(X, **kwargs)
        # scikeras' label encoder squeezes its output: one image's row would
        # come back as a 1-D array of n_classes values.
        return proba.reshape(1, -1) if proba.ndim == 1 else proba

    def score(self, X, y, sample_weight=None):
        """Return the mean accuracy on images ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of images
            Test images, in the pixel range (``pixel_range_``) of ``fit``.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        score : float
            Accuracy of ``predict(X)`` against ``y``.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def _tta_mode(self):
        """What predictions average over: None, ``"flip"`` or ``"shift"``.

        ``tta="auto"`` reads the fitted network (:func:`skfashion._tta.tta_mode`).
        """
        tta = getattr(self, "tta", False)
        if tta == "auto":
            check_is_fitted(self, "model_")
        return tta_mode(tta, getattr(self, "model_", None))

    def _uses_tta(self):
        """Whether predictions average more than the images themselves."""
        return self._tta_mode() is not None

    def _predict_raw(self, X, **kwargs):
        # scikeras' steps (validate, encode, route predict__ parameters), with
        # the images fed batch by batch as in fit: a np.memmap is never loaded
        # whole.
        check_is_fitted(self, "model_")
        X, _ = self._validate_data(X, reset=False)
        # predict__callbacks are among scikeras' _predict_callbacks already.
        routed = {
            k: v for k, v in self._routed("predict").items() if not k.startswith("callbacks")
        }
        args = {"verbose": self.verbose, **routed, **kwargs}
        batch_size = args.pop("batch_size", None)
        if batch_size is None:
            batch_size = getattr(self, "batch_size_", 256)
        else:
            check_fit_arguments({"batch_size": batch_size}, method="predict")
        # scikeras' own, then this call's (scikeras would drop this call's).
        args["callbacks"] = [
            *self._predict_callbacks,
            *call_callbacks(args.pop("callbacks", None), "predict"),
        ]

        def predict(images):
            # One view of the images, encoded (a transfer model's frozen
            # backbone) after the test-time augmentation made it.
            encoded = self.feature_encoder_.transform(images)
            return self.model_.predict(ImageBatches(encoded, batch_size=batch_size), **args)

        with release_custom_gradients():
            return average_over_views(predict, X, self._tta_mode())
