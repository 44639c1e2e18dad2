"""The one private base class of skfashion's classifiers, on scikeras' KerasClassifier.

It repairs scikeras 0.13 for scikit-learn >= 1.7 and owns everything the
estimators share, so that every classifier trains through one path:

* **Tags.** scikeras' ``KerasClassifier`` lists ``BaseEstimator`` before
  ``ClassifierMixin``, and ``BaseEstimator.__sklearn_tags__`` does not call
  ``super()``, so on scikit-learn >= 1.7 ``is_classifier()`` is False and
  ``cross_val_score(cv=10)`` silently uses unstratified ``KFold``.
  ``__sklearn_tags__`` below states the classifier tags itself.
* **Input contract.** Images as flat rows, ``(n, H, W)`` or ``(n, H, W, C)`` raw
  pixel values (see :mod:`skfashion._images`); the model scales them inside
  its own graph.
* **Seeding.** ``random_state`` seeds Python, NumPy, TensorFlow, the augmentation
  layers and the validation split; a ``RandomState`` instance gives a fresh seed
  per fit (scikeras maps every instance to seed 0).
* **Training recipe.** One fit is a budget of ``epochs`` passes, trained with
  Adam with decoupled weight decay, label smoothing, a batch size that follows
  the data size and a learning-rate schedule over the budget (see
  :mod:`skfashion._recipe`).
* **Validation split and early stopping.** With ``validation_split > 0`` the
  validation set is a stratified random split of row indices (Keras'
  ``validation_split`` takes the *last* rows, which are a single class in
  sorted data); training
  stops after ``patience`` epochs without a better ``val_loss``, restoring the
  best weights, and ``lr_schedule="plateau"`` halves the learning rate after
  ``patience // 2`` such epochs.
* **Prediction.** ``predict``, ``predict_proba`` and ``score``, with the
  test-time augmentation of an estimator with a ``tta`` parameter, come from
  :class:`skfashion._prediction.PredictionMixin`.
* **Seeds under threads.** Keras seeds every layer built without a seed from
  Python's global ``random``, which any other thread may draw from meanwhile
  (dask's worker threads do); the builders of :mod:`skfashion.architectures`
  therefore give every random layer a seed of its own, drawn from ``seed``.
* **Memory.** The images reach Keras one batch at a time from the caller's own
  array, in its own dtype (:mod:`skfashion._batches`): a fit or a prediction
  needs no copy of the data (``tta="shift"``: a shifted copy of a chunk of
  rows at a time), and a ``np.memmap`` is read batch by batch, or chunk by chunk. Keras' global state is
  cleared before each new model is built, so a long grid search does not grow
  in memory.
"""

import numbers

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
import numpy as np
from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from skfashion._batches import ImageBatches, shuffle_seed, split_indices
from skfashion._compat import (
    Interval,
    StrOptions,
    check_scikeras,
    release_custom_gradients,
    validate_params,
)
from skfashion._images import (
    check_fitted_image_shape,
    check_images,
    check_pixel_range,
    fit_pixel_range,
    to_raw_pixels,
)
from skfashion._recipe import (
    SCHEDULES,
    auto_batch_size,
    call_callbacks,
    compile_model,
    early_stopping_callbacks,
    resolve_augment,
    resolve_precision,
    restart_schedule,
)
from skfashion._routing import RoutedParametersMixin
from skfashion._prediction import PredictionMixin
from skfashion._validation import (
    changed_params,
    check_classes,
    check_fit_arguments,
    training_weights,
)

check_scikeras()

class BaseImageClassifier(RoutedParametersMixin, PredictionMixin, KerasClassifier):
    """Base class of skfashion's image classifiers. Not for direct use.

    Subclasses define ``__init__`` (storing their architecture parameters, then
    calling ``BaseImageClassifier.__init__`` with the shared ones) and
    ``_build_architecture(input_shape, n_classes, seed)``, which returns an
    uncompiled :class:`keras.Model`.
    """

    # Fixed by design, read by scikeras; not parameters.
    model = None
    build_fn = None
    loss = "sparse_categorical_crossentropy"
    metrics = None
    validation_batch_size = None
    shuffle = True
    run_eagerly = False

    #: Largest batch ``batch_size="auto"`` picks; subclasses may change it.
    _max_auto_batch = 256

    #: Budget (epochs) from which ``augment="auto"`` augments; set by the
    #: estimators with an ``augment`` parameter (:func:`resolve_augment`).
    _augment_min_epochs = None

    #: Parameters read by every call of ``fit``, so a warm start or a later
    #: ``partial_fit`` may change them (as may ``fit__`` and ``predict__``
    #: ones); the others shape the network, its compilation or its callbacks,
    #: which a warm start keeps (:func:`changed_params`).
    _per_call_params = frozenset({
        "epochs", "batch_size", "validation_split", "patience", "class_weight",
        "verbose", "warm_start", "tta",
    })

    _parameter_constraints = {
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "warmup": [Interval(numbers.Real, 0, 1, closed="left")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "validation_split": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "image_shape": ["array-like", None],
        "pixel_range": [StrOptions({"auto"}), tuple, list],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "callbacks": [list, tuple, dict, keras.callbacks.Callback, None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        epochs,
        batch_size,
        learning_rate,
        lr_schedule,
        warmup,
        weight_decay,
        label_smoothing,
        validation_split,
        patience,
        image_shape,
        pixel_range="auto",
        random_state,
        verbose,
        warm_start,
        callbacks,
        class_weight,
        **kwargs,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.warmup = warmup
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.validation_split = validation_split
        self.patience = patience
        self.image_shape = image_shape
        self.pixel_range = pixel_range
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.class_weight = class_weight
        # Routed parameters (``optimizer__beta_1=0.8``, ``fit__shuffle=False``):
        # stored as attributes, exactly as scikeras does, so that get_params,
        # set_params and clone keep them.
        vars(self).update(kwargs)
        self._user_params = set(kwargs)

    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.regressor_tags = None
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build a new model and train it on images ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels), (n_samples, height, width) \
                or (n_samples, height, width, channels)
            Training images: raw pixel values in [0, 255], or values in [0, 1]
            (see ``pixel_range``).
        y : array-like of shape (n_samples,)
            Class labels (ints or strings).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights (a list, an array, a pandas
            Series...), multiplied by ``class_weight``; ``None`` weighs every
            sample equally. Samples of weight 0 are left out.
        **kwargs : dict
            Passed on to :meth:`keras.Model.fit` (prefer ``fit__name``
            parameters). The arguments skfashion makes itself are refused with
            a ``ValueError`` that says what to use instead: ``validation_data``
            and ``validation_split`` (use the ``validation_split`` parameter),
            ``class_weight``, ``validation_batch_size``, and ``fit__batch_size``
            or ``fit__initial_epoch`` as parameters.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        sample_weight = self._check_fit(y, sample_weight, kwargs)
        if self.warm_start and self.initialized_:
            # The network goes on training: its outputs are fixed, and so is
            # what it was built and compiled with.
            self._check_unchanged_since_built("A fit with warm_start=True")
            check_classes(y, None, fitted_classes=self.classes_)
        else:
            self.classes_ = None
        # KerasClassifier.fit is skipped: all it adds is the product of
        # sample_weight and class_weight, which _training_weights has made
        # (scikeras multiplies in place: a caller's array is changed, a list fails).
        self._fit_epochs = kwargs.get("epochs", self.epochs)
        BaseWrapper.fit(self, X, y, sample_weight=sample_weight, **kwargs)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train the model one more epoch on ``X``, building it on the first call.

        Parameters
        ----------
        X : array-like of images
            Training images, as for :meth:`fit`.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class label, given on the first call when a batch may lack
            some classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, multiplied by ``class_weight``.
        **kwargs : dict
            Passed on to :meth:`keras.Model.fit` (not ``epochs`` nor
            ``initial_epoch``: one call is one epoch), with the refusals of
            :meth:`fit`.

        Returns
        -------
        self : object
            The estimator.
        """
        # KerasClassifier.partial_fit is skipped: it checks no parameters and
        # multiplies a caller's sample_weight by the class weights in place.
        fitted_classes = self.classes_ if self.initialized_ else None
        classes = check_classes(y, classes, fitted_classes=fitted_classes)
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: each "
                "batch would be balanced by its own class frequencies. Compute the "
                "weights once, with sklearn.utils.class_weight.compute_class_weight"
                "('balanced', classes=classes, y=y), and pass them as a dict."
            )
        sample_weight = self._check_fit(y, sample_weight, kwargs, classes=classes)
        if self.initialized_:
            self._check_unchanged_since_built("partial_fit")
        self.classes_ = classes
        self._fit_epochs = self.epochs
        # Each call shuffles anew (_fit_keras_model): from the same seed,
        # every call (one epoch) would see the rows in the same order.
        self._partial = True
        try:
            BaseWrapper.partial_fit(self, X, y, sample_weight=sample_weight, **kwargs)
        finally:
            self._partial = False
        return self

    def _built_with(self):
        """The parameters the network was built, compiled and given callbacks with."""
        return {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name not in self._per_call_params
            # Routed fit__ and predict__ parameters are read by each call, but
            # scikeras makes its callbacks once, with the network.
            and (not name.startswith(("fit__", "predict__"))
                 or name.startswith(("fit__callbacks", "predict__callbacks")))
        }

    def _check_unchanged_since_built(self, what):
        """Refuse parameters changed since the network was built, which a warm start would ignore."""
        changed = changed_params(getattr(self, "_built_params", None), self._built_with())
        if changed:
            raise ValueError(
                f"{what} goes on training the network of the first fit, which was "
                f"built and compiled with other values of {', '.join(changed)}: "
                "they would be ignored. Set them back, or fit with "
                "warm_start=False to build a new network with them."
            )

    def _check_fit(self, y, sample_weight, fit_kwargs=(), classes=None):
        """The checks of ``fit`` and ``partial_fit``; returns the training weights."""
        validate_params(self)
        self._check_routed_params(fit_kwargs)
        check_fit_arguments(fit_kwargs)
        # Before anything is built: a failed call leaves a fitted model as it was.
        call_callbacks(dict(fit_kwargs).get("callbacks"), "fit")
        return self._training_weights(y, sample_weight, classes=classes)

    def _training_weights(self, y, sample_weight, classes=None, warn=True):
        """The training weights (:func:`skfashion._validation.training_weights`)."""
        return training_weights(
            y, sample_weight, self.class_weight, classes=classes, estimator=self, warn=warn
        )

    def _compile(self, model, learning_rate):
        """Compile ``model`` with the recipe (:func:`skfashion._recipe.compile_model`)."""
        return compile_model(
            model,
            learning_rate=learning_rate,
            lr_schedule=self.lr_schedule,
            warmup=self.warmup,
            weight_decay=self.weight_decay,
            label_smoothing=self.label_smoothing,
            optimizer_kwargs=self._routed("optimizer"),
            compile_kwargs=self._routed("compile"),
        )

    def _initialize(self, X, y=None):
        # Same steps as scikeras' BaseWrapper._initialize, with two repairs:
        # Keras state is freed first, and a RandomState draws a real seed.
        keras.backend.clear_session(free_memory=True)
        if isinstance(self.random_state, np.random.RandomState):
            self._random_state = int(self.random_state.randint(np.iinfo(np.int32).max))
        else:
            # A NumPy integer is refused by the seeding of Python's random.
            self._random_state = None if self.random_state is None else int(self.random_state)
        # One validation split per model, also unseeded: fine-tuning (a warm
        # start of the same fit) holds out the rows the head was judged on.
        self._split_seed = (
            int(np.random.randint(np.iinfo(np.int32).max))
            if self._random_state is None
            else self._random_state
        )
        X, y = self._validate_data(X, y, reset=True)
        self.target_encoder_ = self.target_encoder.fit(y)
        vars(self).update(**self.target_encoder_.get_metadata())
        self.feature_encoder_ = self.feature_encoder.fit(X)
        self.model_ = self._build_keras_model()
        self._initialize_callbacks()
        self._built_params = self._built_with()
        self._training_calls = 0
        return X, y

    def _precision(self):
        """The dtype policy of the network: what ``precision`` stands for on this machine.

        The builders give it to every layer; Keras' global policy is left alone.
        Estimators without a ``precision`` parameter build in float32.
        """
        return resolve_precision(getattr(self, "precision", "float32"))

    def _augment(self):
        """Whether the network gets its shift-and-flip layer: ``augment`` at this budget."""
        # The budget of this fit: the epochs given to fit, else the parameter.
        epochs = getattr(self, "_fit_epochs", self.epochs)
        return resolve_augment(self.augment, epochs, self._augment_min_epochs)

    def _keras_build_fn(self):
        if hasattr(self, "precision"):
            self.precision_ = self._precision()
        if self._augment_min_epochs is not None:
            self.augment_ = self._augment()
        model = self._build_architecture(
            input_shape=self.input_shape_,
            n_classes=self.n_classes_,
            seed=self._random_state,
        )
        return self._compile(model, float(self.learning_rate))

    def _shuffle_call(self):
        """Which shuffling this training call gets (:func:`shuffle_seed`).

        A ``partial_fit`` call: the number of training calls on this network
        before it, so that each call shuffles anew. Any other call (a fit, a
        warm start, fine-tuning): 0, the seed itself, as always.
        """
        calls = getattr(self, "_training_calls", 0)
        self._training_calls = calls + 1
        return calls if getattr(self, "_partial", False) else 0

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        # The data reach Keras as ImageBatches over the caller's array: only
        # index arrays are split, filtered (weight 0) and shuffled.
        train, val = split_indices(
            y,
            self.validation_split,
            sample_weight=sample_weight,
            random_state=self._split_seed,
        )
        batch_size = kwargs.pop("batch_size", self.batch_size)
        if batch_size == "auto":
            batch_size = auto_batch_size(train.size, self._max_auto_batch)
        self.batch_size_ = int(batch_size)
        shuffle = kwargs.pop("shuffle", self._routed("fit").get("shuffle", self.shuffle))
        batches = ImageBatches(
            X, y, sample_weight, indices=train, batch_size=self.batch_size_,
            shuffle=shuffle, seed=shuffle_seed(self._random_state, self._shuffle_call()),
        )
        extra_callbacks = []
        if val is not None:
            kwargs["validation_data"] = ImageBatches(
                X, y, sample_weight, indices=val, batch_size=self.batch_size_
            )
            extra_callbacks = early_stopping_callbacks(self.patience, self.lr_schedule)
        # Keras must neither split (the split is made above, stratified) nor
        # shuffle (ImageBatches does) nor batch again.
        kwargs.update(validation_split=0.0, shuffle=False, batch_size=None)
        # One whole learning-rate schedule over the steps of this call, also on
        # warm starts and partial_fit.
        restart_schedule(self.model_.optimizer, epochs * len(batches))
        user_callbacks = self._fit_callbacks
        this_call = call_callbacks(kwargs.pop("callbacks", None), "fit")
        self._fit_callbacks = [*user_callbacks, *this_call, *extra_callbacks]
        try:
            with release_custom_gradients():
                super()._fit_keras_model(
                    batches,
                    None,
                    sample_weight=None,
                    warm_start=warm_start,
                    epochs=epochs,
                    initial_epoch=initial_epoch,
                    **kwargs,
                )
        finally:
            self._fit_callbacks = user_callbacks

    # ------------------------------------------------------------ input checks

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if y is not None:
            y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            if reset and getattr(self, "classes_", None) is None and np.unique(y).size < 2:
                raise ValueError(
                    f"y contains only one class ({np.unique(y)[0]!r}); "
                    f"{type(self).__name__} needs samples of at least 2 classes."
                )
            _, y = super()._validate_data(X=None, y=y, reset=reset)
        if X is None:
            return X, y
        # feature_names_in_ of a DataFrame at fit; its columns checked after.
        validate_data(self, X, reset=reset, skip_check_array=True, ensure_2d=False)
        X = check_images(X, image_shape=self.image_shape, estimator=self)
        if y is not None:
            check_consistent_length(X, y)
        if reset:
            self.input_shape_ = X.shape[1:]
            self.n_features_in_ = int(np.prod(self.input_shape_))
            self.X_dtype_ = X.dtype
            self.X_shape_ = X.shape
            self.pixel_range_ = fit_pixel_range(X, self.pixel_range, self)
        else:
            check_fitted_image_shape(X, self.input_shape_, self)
            check_pixel_range(X, self.pixel_range_, self)
        return to_raw_pixels(X, self.pixel_range_), y

    def _validate_sample_weight(self, X, y, sample_weight):
        # scikeras drops the samples of weight 0 here, copying X; the weights
        # were validated in fit, and _fit_keras_model leaves those rows out by
        # index instead.
        return X, y, np.asarray(sample_weight, dtype=keras.backend.floatx())
