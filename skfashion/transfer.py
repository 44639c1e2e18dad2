"""Transfer learning: frozen pretrained backbones as a transformer and a classifier.

:class:`BackboneFeatures` turns images into pooled features of a pretrained
backbone (defined in :mod:`skfashion._backbone_features`, public here and as
``skfashion.BackboneFeatures``); :class:`TransferClassifier` trains a small
head on those features and can then fine-tune the top of the backbone. Features are cached per process
(:mod:`skfashion._feature_cache`): :func:`feature_cache_info` reports the cache
and :func:`clear_feature_cache` empties it.
"""

import functools
import numbers

from sklearn.preprocessing import FunctionTransformer

from skfashion._backbone_features import BackboneFeatures
from skfashion._base import BaseImageClassifier
from skfashion._compat import Interval, StrOptions, validate_params
from skfashion._docstrings import fill_doc
from skfashion._feature_cache import clear_feature_cache, feature_cache_info
from skfashion._tta import TTA_MODES
from skfashion.architectures import build_fine_tuned, build_head
from skfashion.backbones import (
    build_backbone,
    build_feature_extractor,
    check_input_size,
    fine_tune_layers_needed,
)

__all__ = [
    "BackboneFeatures",
    "TransferClassifier",
    "clear_feature_cache",
    "feature_cache_info",
]


class _ClassifierFeatures(BackboneFeatures):
    """The frozen backbone inside a TransferClassifier.

    Its images come from the classifier, which has already applied the pixel
    contract (checked them, warned, scaled [0, 1] images to raw pixels): they
    are raw pixels and are not checked a second time.
    """

    def _fit_pixel_range(self, X):
        return (0, 255)

    def _check_pixel_range(self, X):
        pass


@functools.lru_cache(maxsize=None)
def _fine_tune_layers_needed(backbone, input_size):
    """:func:`~skfashion.backbones.fine_tune_layers_needed` of a backbone, once per process.

    Read from the backbone with random weights: the layers are the same.
    """
    return fine_tune_layers_needed(build_backbone(backbone, weights=None, input_size=input_size))


@fill_doc
class TransferClassifier(BaseImageClassifier):
    """A pretrained ImageNet backbone with a trainable head, as a classifier.

    The backbone is frozen; its features (computed once per image and cached)
    train a small dense head with Adam and early stopping.
    With ``fine_tune_layers > 0``, the top layers of the backbone are then
    unfrozen (BatchNorm stays frozen and in inference mode) and the whole
    network trains for ``fine_tune_epochs`` more epochs at
    ``fine_tune_learning_rate``.

    Parameters
    ----------
    backbone : str, default="efficientnet_lite0"
        A key of :data:`skfashion.backbones.BACKBONES`: ``"efficientnet_lite0"``
        (ImageNet weights ship offline), ``"vgg16"``, ``"resnet50"``,
        ``"resnet152v2"``, ``"mobilenetv2"``, ``"efficientnetb0"``,
        ``"efficientnetb1"``.
    weights : "imagenet", path or None, default="imagenet"
        ImageNet weights, a weights file, or ``None`` (random weights give
        chance-level features: use it for tests only).
    input_size : int or (int, int), default=96
        Size images are resized to (inside the model) before the backbone, at
        least 32. Larger is slower (the backbone's cost grows with the pixel
        count) and more accurate; measured figures are in the user guide
        (:ref:`transfer-accuracy`).
    head_units : int or tuple of int, default=(256,)
        Hidden units of the head; ``()`` for a linear head.
    dropout : float, default=0.3
        Dropout rate of the head.
    fine_tune_layers : int, default=0
        Number of top backbone layers to unfreeze after the head has trained;
        0 keeps the backbone frozen. Every layer counts, those without weights
        too: a number whose layers hold no weight to train (the top 3 of
        ``"efficientnet_lite0"`` are BatchNorm, activation and pooling) is
        refused before training. ``partial_fit`` trains the head only and
        refuses ``fine_tune_layers > 0``.
    fine_tune_epochs : int, default=5
        Maximum epochs of fine-tuning.
    fine_tune_learning_rate : float, default=1e-5
        Adam's learning rate while fine-tuning.
    augment : bool, default=False
        Random whole-pixel shifts of up to 10 % and horizontal flips of the
        images while fine-tuning. The head's first training sees the cached
        features of the unaltered images, so ``augment=True`` needs
        ``fine_tune_layers > 0``.
    tta : bool or {"auto", "flip", "shift"}, default="auto"
        Test-time augmentation: ``predict`` and ``predict_proba`` average the
        probabilities of each image and of its left-right mirror image (twice
        the prediction cost; a frozen model computes the mirror images'
        features too). ``"auto"``: only when the network was fine-tuned on
        mirror images (``augment=True``).
        %(tta_shift_description)s
    epochs : int, default=40
        Maximum epochs of head training.
    batch_size : int or "auto", default=128
        Samples per gradient step; ``"auto"`` as in :class:`CNNClassifier`.
    learning_rate : float, default=1e-3
        Adam's learning rate for the head.
    lr_schedule : {"plateau", "cosine", "constant"}, default="plateau"
        Learning rate of the head training and of the fine-tuning: halved after
        ``patience // 2`` epochs without a better ``val_loss``; or a warm-up then
        half cosine to zero over each of the two trainings; or constant.
    warmup : float, default=0.15
        Fraction of the steps spent warming up (``lr_schedule="cosine"``).
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW); 0 is plain Adam.
    label_smoothing : float, default=0.0
        Weight of the uniform distribution mixed into the one-hot targets.
    validation_split : float, default=0.1
        Stratified fraction held out for early stopping.
    patience : int or None, default=5
        Early-stopping patience on ``val_loss`` (the learning rate is halved
        after ``patience // 2``); ``None`` disables both.
    %(common_parameters)s

    Attributes
    ----------
    model_ : keras.Model
        The head (features in) while frozen; after fine-tuning, the whole
        network (raw images in).
    feature_encoder_ : BackboneFeatures or FunctionTransformer
        Turns images into the model's input: the frozen backbone, or the
        identity after fine-tuning.
    history_ : dict of list
        Per-epoch metrics of the last ``fit``: head training followed by
        fine-tuning.
    %(fitted_attributes)s

    See Also
    --------
    BackboneFeatures : The frozen backbone as a transformer.
    CNNClassifier : A network trained from scratch.

    Notes
    -----
    Each backbone's preprocessing runs inside the model on the raw [0, 255]
    pixels (VGG16 and ResNet50: BGR with the ImageNet mean subtracted;
    ResNetV2 and MobileNetV2: [-1, 1]; keras.applications EfficientNet: [0, 255],
    it rescales itself). Feeding [0, 1] images to EfficientNet is what made the
    original write-up's transfer runs predict a single class (10 %). ImageNet
    weights are subject to ImageNet's non-commercial terms of use.

    Examples
    --------
    >>> from skfashion import TransferClassifier, load_fashion_mnist
    >>> X, y = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> clf = TransferClassifier(epochs=20, random_state=0).fit(X[::2], y[::2])
    >>> clf.score(X[1::2], y[1::2]) > 0.6
    True
    """

    _parameter_constraints = {
        **BaseImageClassifier._parameter_constraints,
        **{
            name: BackboneFeatures._parameter_constraints[name]
            for name in ("backbone", "weights", "input_size")
        },
        "head_units": [tuple, list, Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "fine_tune_layers": [Interval(numbers.Integral, 0, None, closed="left")],
        "fine_tune_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "fine_tune_learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "augment": ["boolean"],
        "tta": ["boolean", StrOptions(set(TTA_MODES))],
    }

    def __init__(
        self,
        backbone="efficientnet_lite0",
        *,
        weights="imagenet",
        input_size=96,
        head_units=(256,),
        dropout=0.3,
        fine_tune_layers=0,
        fine_tune_epochs=5,
        fine_tune_learning_rate=1e-5,
        augment=False,
        tta="auto",
        epochs=40,
        batch_size=128,
        learning_rate=1e-3,
        lr_schedule="plateau",
        warmup=0.15,
        weight_decay=0.0,
        label_smoothing=0.0,
        validation_split=0.1,
        patience=5,
        image_shape=None,
        pixel_range="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
        class_weight=None,
        **kwargs,
    ):
        self.backbone = backbone
        self.weights = weights
        self.input_size = input_size
        self.head_units = head_units
        self.dropout = dropout
        self.fine_tune_layers = fine_tune_layers
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_learning_rate = fine_tune_learning_rate
        self.augment = augment
        self.tta = tta
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
            warmup=warmup,
            weight_decay=weight_decay,
            label_smoothing=label_smoothing,
            validation_split=validation_split,
            patience=patience,
            image_shape=image_shape,
            pixel_range=pixel_range,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            class_weight=class_weight,
            **kwargs,
        )

    @property
    def feature_encoder(self):
        """The frozen backbone that turns images into the head's input."""
        return _ClassifierFeatures(
            self.backbone, weights=self.weights, input_size=self.input_size
        )

    # A warm start of a fine-tuned model fine-tunes for fine_tune_epochs more.
    _per_call_params = BaseImageClassifier._per_call_params | {"fine_tune_epochs"}

    def _built_with(self):
        built = super()._built_with()
        if not self._is_fine_tuned():
            # A head on the frozen backbone: the next fit builds the fine-tuned
            # network from these, so they may change until then.
            for name in ("fine_tune_layers", "fine_tune_learning_rate", "augment"):
                built.pop(name, None)
        return built

    def _is_fine_tuned(self):
        """Whether ``model_`` is the whole fine-tuned network (not a head on features)."""
        return isinstance(getattr(self, "feature_encoder_", None), FunctionTransformer)

    def _build_architecture(self, input_shape, n_classes, seed):
        return build_head(
            self.feature_encoder_.n_features_out_,
            n_classes,
            units=self.head_units,
            dropout=self.dropout,
            seed=seed,
        )

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Train the head on frozen features, then fine-tune if asked.

        Parameters
        ----------
        X : array-like of images
            Flat rows, ``(n, H, W)`` or ``(n, H, W, C)`` with 1 or 3 channels:
            raw pixel values in [0, 255], or values in [0, 1] (see
            ``pixel_range``).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        **kwargs : dict
            Passed on to :meth:`keras.Model.fit`, for head training and
            fine-tuning (``epochs`` and ``initial_epoch``: head training only);
            the arguments skfashion makes itself (``validation_data``,
            ``class_weight``...) are refused, as by the other classifiers. With
            ``warm_start=True``, a fit of a fine-tuned model goes on training
            the whole network for ``fine_tune_epochs`` epochs.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        fine_tuned = self.warm_start and self._is_fine_tuned()
        if fine_tuned:
            # A warm start of a fine-tuned model goes on fine-tuning the whole
            # network: for fine_tune_epochs, as the first fine-tuning did.
            kwargs.setdefault("epochs", self.fine_tune_epochs)
        super().fit(X, y, sample_weight=sample_weight, **kwargs)
        if self.fine_tune_layers and isinstance(self.feature_encoder_, BackboneFeatures):
            # epochs and initial_epoch, when given, are the head's.
            fit_kwargs = {k: v for k, v in kwargs.items() if k not in ("epochs", "initial_epoch")}
            self._fine_tune(X, y, sample_weight, **fit_kwargs)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train the head for one epoch on the frozen features of a batch.

        Parameters
        ----------
        X : array-like of images
            A batch of images, as for ``fit``.
        y : array-like of shape (n_samples,)
            Class labels of the batch.
        classes : array-like, default=None
            Every class label; needed on the first call if a batch may lack some.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, multiplied by ``class_weight``.
        **kwargs : dict
            Passed on to :meth:`keras.Model.fit`.

        Returns
        -------
        self : object
            The estimator.
        """
        validate_params(self)
        if self.fine_tune_layers or self.augment:
            raise ValueError(
                "partial_fit trains a head on the frozen backbone's features, one "
                "epoch per call; fine-tuning (and augment=True, which acts while "
                "fine-tuning) is fit's, and a fine-tuned model goes on fine-tuning "
                "with fit and warm_start=True. Set fine_tune_layers=0 and "
                "augment=False, or call fit. Received "
                f"fine_tune_layers={self.fine_tune_layers!r}, augment={self.augment!r}."
            )
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight, **kwargs)

    def _fit(self, X, y, **kwargs):
        # The one path of fit (after its parameter checks), partial_fit and
        # the fine-tuning.
        if self.augment and not self.fine_tune_layers:
            raise ValueError(
                "augment=True acts while fine-tuning only (the head trains on the "
                "cached features of the unaltered images): set fine_tune_layers > 0, "
                f"or augment=False. Received fine_tune_layers={self.fine_tune_layers!r}."
            )
        if self.fine_tune_layers:
            # Before the head trains: a number of layers that trains nothing
            # would only be found out after it.
            needed = _fine_tune_layers_needed(self.backbone, check_input_size(self.input_size))
            if self.fine_tune_layers < needed:
                raise ValueError(
                    f"fine_tune_layers={self.fine_tune_layers!r} would train no weight "
                    f"of backbone {self.backbone!r}: its top {needed - 1} layer(s) have "
                    "no weights, or BatchNorm's, which stay frozen. Use at least "
                    f"fine_tune_layers={needed}, or 0 to train the head only."
                )
        return super()._fit(X, y, **kwargs)

    def _fine_tune(self, X, y, sample_weight, **kwargs):
        extractor = build_feature_extractor(
            self.input_shape_,
            backbone=self.backbone,
            weights=self.weights,
            input_size=self.input_size,
        )
        model = build_fine_tuned(
            self.input_shape_,
            extractor,
            self.model_,
            fine_tune_layers=self.fine_tune_layers,
            augment=self.augment,
            seed=self._random_state,
        )
        self.model_ = self._compile(model, float(self.fine_tune_learning_rate))
        self.feature_encoder_ = FunctionTransformer()
        self._built_params = self._built_with()  # what the fine-tuned network has
        # The path head training took (BaseImageClassifier.fit): the same input
        # checks, weights, validation split and callbacks, on the whole network.
        self._fit(
            X,
            y,
            # Checked by fit already, warnings included.
            sample_weight=self._training_weights(y, sample_weight, warn=False),
            warm_start=True,
            epochs=self.fine_tune_epochs,
            initial_epoch=self.current_epoch,
            **kwargs,
        )
