"""The training recipe every skfashion classifier shares: budget, schedule, loss.

One fit is one training *budget*: ``epochs`` passes over the training images.
The recipe is built around that budget rather than around a validation split:

* **Batch size from the data.** ``batch_size="auto"`` picks a power of two that
  gives at least :data:`MIN_STEPS_PER_EPOCH` optimizer steps per epoch, between
  :data:`MIN_AUTO_BATCH` and the estimator's largest batch. A 2,000-image fit
  takes 63 steps per epoch instead of 8, so a short budget still trains.
* **Learning rate over the budget.** :class:`BudgetCosine` warms the learning
  rate up linearly over the first ``warmup`` fraction of the steps of the fit,
  then follows a half cosine down to zero at its last step. It is rescaled at
  the start of every ``fit``/``partial_fit`` call to the steps that call will
  run, so ``epochs=3`` gets a whole schedule, not the start of a long one.
* **Label smoothing** (:class:`SmoothedSparseCrossentropy`) and decoupled weight
  decay (AdamW's: Keras' ``Adam`` with ``weight_decay``), compiled in by :func:`compile_model`, the one way a
  skfashion model is compiled, and early stopping
  (:func:`early_stopping_callbacks`) when there is a validation split.

* **Augmentation from the budget.** ``augment="auto"`` gives the network its
  random shifts and flips only from a number of ``epochs`` on
  (:func:`resolve_augment`): they are a regularizer, which pays once a fit
  is long enough to start fitting its training images; at shorter budgets
  they only make the task harder.

* **Precision from the CPU.** ``precision="auto"`` builds the network under
  Keras' ``mixed_bfloat16`` dtype policy (float32 weights, bfloat16
  computation, float32 output) on a CPU with bfloat16 instructions
  (:data:`~skfashion._config.BF16_CPU_FLAGS`), where oneDNN runs bfloat16
  kernels, and in float32 elsewhere (:func:`resolve_precision`). The builders
  give the policy to every layer (their ``dtype``); it is never set globally,
  since Keras' ``clear_session`` in any thread resets the global policy of
  all threads.

The schedule and the loss are registered Keras objects, so a fitted model can
still be saved, pickled and loaded.
"""

import math

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
import numpy as np
from keras import ops

from skfashion._compat import learning_rate_schedule
from skfashion._config import BF16_CPU_FLAGS

#: ``batch_size="auto"`` gives at least this many optimizer steps per epoch.
MIN_STEPS_PER_EPOCH = 64

#: Smallest batch ``batch_size="auto"`` picks (smaller ones waste the CPU).
MIN_AUTO_BATCH = 32

#: Training steps run per call into the compiled TensorFlow graph (Keras'
#: ``steps_per_execution``). Running several steps per call removes Python's
#: per-batch overhead, which dominates for small networks on CPU (measured
#: with ``benchmarks/cpu_settings.py``; figures in docs/performance.rst).
#: The weights and predictions are exactly those of one step per call; only
#: per-batch callback hooks fire every ``STEPS_PER_EXECUTION`` batches instead
#: of every batch.
#: Change it per estimator with ``compile__steps_per_execution=1``.
STEPS_PER_EXECUTION = 16

#: Variables that weight decay leaves alone: BatchNorm's scale and shift, biases.
NO_WEIGHT_DECAY = ("gamma", "beta", "bias")

#: Values of the ``precision`` parameter.
PRECISIONS = ("auto", "float32", "mixed_bfloat16")

#: Learning-rate schedules, for messages and docs.
SCHEDULES = {
    "cosine": "linear warm-up, then a half cosine to zero over the fit's steps",
    "constant": "the learning rate stays as set",
    "plateau": "halved when val_loss stops improving (constant without validation data)",
}


def auto_batch_size(n_samples, max_batch):
    """Return the ``batch_size="auto"`` choice for ``n_samples`` training images.

    The largest power of two not above ``n_samples / MIN_STEPS_PER_EPOCH``,
    clipped to ``[MIN_AUTO_BATCH, max_batch]`` and to ``n_samples``.

    Examples
    --------
    >>> from skfashion._recipe import auto_batch_size
    >>> [auto_batch_size(n, 256) for n in (100, 2_000, 6_000, 12_000, 54_000)]
    [32, 32, 64, 128, 256]
    """
    target = n_samples / MIN_STEPS_PER_EPOCH
    batch = 2 ** int(math.floor(math.log2(target))) if target >= 1 else 1
    return int(max(1, min(n_samples, max(MIN_AUTO_BATCH, min(batch, max_batch)))))


@keras.saving.register_keras_serializable(package="skfashion")
class BudgetCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up then half-cosine decay over the steps of one ``fit`` call.

    The optimizer's step counter keeps counting over warm starts; the schedule
    reads it relative to ``start`` and over ``total`` steps, two variables that
    :meth:`restart` sets before each fit, so no retracing is needed.

    Parameters
    ----------
    peak : float
        Learning rate at the end of the warm-up.
    warmup : float, default=0.15
        Fraction of the fit's steps spent warming up, from ``peak / 10``.

    Examples
    --------
    >>> from skfashion._recipe import BudgetCosine
    >>> schedule = BudgetCosine(1e-2, warmup=0.1)
    >>> schedule.restart(start=0, total=100)
    >>> [round(float(schedule(s)), 4) for s in (0, 10, 55, 100)]
    [0.001, 0.01, 0.005, 0.0]
    """

    def __init__(self, peak, warmup=0.15):
        self.peak = float(peak)
        self.warmup = float(warmup)
        self.start = keras.Variable(0, dtype="int64", trainable=False, name="schedule_start")
        self.total = keras.Variable(1, dtype="int64", trainable=False, name="schedule_total")

    def restart(self, *, start, total):
        """Make the next ``total`` steps, counted from step ``start``, one schedule."""
        self.start.assign(int(start))
        self.total.assign(max(1, int(total)))

    def __call__(self, step):
        step = ops.cast(step, "float32") - ops.cast(self.start, "float32")
        total = ops.cast(self.total, "float32")
        # At least the last step is past the warm-up, so every fit ends at zero.
        warm = ops.clip(ops.round(self.warmup * total), 0.0, total - 1.0)
        rising = self.peak * (0.1 + 0.9 * step / ops.maximum(warm, 1.0))
        progress = ops.clip((step - warm) / ops.maximum(total - warm, 1.0), 0.0, 1.0)
        falling = self.peak * 0.5 * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < warm, rising, falling)

    def get_config(self):
        return {"peak": self.peak, "warmup": self.warmup}


def restart_schedule(optimizer, steps):
    """Fit the optimizer's :class:`BudgetCosine`, if it has one, to ``steps`` steps."""
    schedule = learning_rate_schedule(optimizer)
    if isinstance(schedule, BudgetCosine):
        schedule.restart(start=int(optimizer.iterations), total=steps)


@keras.saving.register_keras_serializable(package="skfashion")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Categorical cross-entropy with label smoothing, on integer labels.

    Keras' sparse cross-entropy has no ``label_smoothing``; this one-hot encodes
    the labels inside the loss, so the estimators keep integer targets.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        Weight moved from the true class to a uniform distribution over all
        classes; 0 is the plain cross-entropy.
    **kwargs : dict
        Passed on to :class:`keras.losses.Loss` (``name``, ``reduction``).

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion._recipe import SmoothedSparseCrossentropy
    >>> loss = SmoothedSparseCrossentropy(0.0)
    >>> round(float(loss(np.array([1]), np.array([[0.5, 0.5]]))), 4)
    0.6931
    """

    def __init__(self, label_smoothing=0.0, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            one_hot, y_pred, label_smoothing=self.label_smoothing
        )

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def compile_model(model, *, learning_rate, lr_schedule, warmup, weight_decay,
                  label_smoothing, optimizer_kwargs=None, compile_kwargs=None):
    """Compile ``model`` the one way every skfashion model is compiled.

    Adam with decoupled weight decay (``weight_decay``, not on BatchNorm
    parameters nor biases) on the label-smoothed cross-entropy, reporting
    accuracy; with ``lr_schedule="cosine"`` the learning rate follows a
    :class:`BudgetCosine` that peaks at ``learning_rate`` and is fitted to each
    fit's steps by :func:`restart_schedule`. ``optimizer_kwargs`` go to Adam,
    ``compile_kwargs`` to ``Model.compile`` (``steps_per_execution`` defaults to
    :data:`STEPS_PER_EXECUTION`); the optimizer's variables are then made at
    once (:func:`build_optimizer`). Returns ``model``.
    """
    if lr_schedule == "cosine":
        learning_rate = BudgetCosine(learning_rate, warmup=warmup)
    optimizer = keras.optimizers.Adam(
        learning_rate=learning_rate,
        weight_decay=weight_decay or None,
        **(optimizer_kwargs or {}),
    )
    if weight_decay:
        optimizer.exclude_from_weight_decay(var_names=list(NO_WEIGHT_DECAY))
    model.compile(
        optimizer=optimizer,
        loss=SmoothedSparseCrossentropy(label_smoothing),
        metrics=["accuracy"],
        **{"steps_per_execution": STEPS_PER_EXECUTION, **(compile_kwargs or {})},
    )
    build_optimizer(model)
    return model


def build_optimizer(model):
    """Make the compiled ``model``'s optimizer variables now, eagerly.

    Left to the first training step, Keras makes them while it traces that
    step's graph, at tens of milliseconds each: about 0.8 s of a small LeNet-5
    fit, paid by every fit of a grid search (``benchmarks/small_fits.py``).
    Made here they take a few milliseconds. They are the same variables with
    the same zeros, so training is the same. A model whose weights do not
    exist yet (not built) is left to Keras.
    """
    if model.built and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def early_stopping_callbacks(patience, lr_schedule):
    """Early stopping on ``val_loss`` and, for ``"plateau"``, the halving of the rate.

    Training stops after ``patience`` epochs without a better ``val_loss`` and
    the best weights are restored; ``"plateau"`` halves the learning rate after
    ``patience // 2`` such epochs. None for ``patience`` gives no callback.
    """
    if patience is None:
        return []
    callbacks = []
    if lr_schedule == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=max(1, patience // 2)
            )
        )
    callbacks.append(
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True
        )
    )
    return callbacks


def call_callbacks(callbacks, method):
    """The ``callbacks`` keyword argument of one ``fit`` or ``predict`` call, as a list.

    scikeras replaces a call's ``callbacks`` with the estimator's own, so
    they would be dropped without a word; the estimators add them to their
    own for that call instead.

    Parameters
    ----------
    callbacks : keras.callbacks.Callback, list or tuple of them, or None
        What the caller passed.
    method : str
        ``"fit"`` or ``"predict"``, named in the error message.

    Returns
    -------
    callbacks : list of keras.callbacks.Callback

    Raises
    ------
    TypeError
        If ``callbacks`` holds anything but Keras callbacks.

    Examples
    --------
    >>> import keras
    >>> from skfashion._recipe import call_callbacks
    >>> call_callbacks(None, "fit"), len(call_callbacks(keras.callbacks.History(), "fit"))
    ([], 1)
    """
    if callbacks is None:
        return []
    listed = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    if not all(isinstance(c, keras.callbacks.Callback) for c in listed):
        raise TypeError(
            f"callbacks given to {method} must be a keras.callbacks.Callback or a list "
            f"of them. Received callbacks={callbacks!r}."
        )
    return listed


def resolve_precision(precision, *, flags=None, gpus=None):
    """The Keras dtype policy a ``precision`` parameter stands for on this machine.

    ``"float32"`` and ``"mixed_bfloat16"`` stand for themselves. ``"auto"`` is
    ``"mixed_bfloat16"`` when TensorFlow sees no GPU and the CPU has one of
    :data:`~skfashion._config.BF16_CPU_FLAGS`, else ``"float32"``: where
    bfloat16 runs in hardware it trained LeNet-5 in less time (figures: the
    documentation's performance page); elsewhere it would be emulated, and on
    a GPU it was not measured.
    ``flags`` (a set of CPU flags) and ``gpus`` (a number of GPUs) replace what
    this machine reports (:func:`~skfashion._config.cpu_flags`,
    :func:`gpu_count`).

    Examples
    --------
    >>> from skfashion._recipe import resolve_precision
    >>> resolve_precision("auto", flags={"avx2", "avx512_bf16"}, gpus=0)
    'mixed_bfloat16'
    >>> resolve_precision("auto", flags={"avx2", "fma"}, gpus=0)
    'float32'
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {PRECISIONS}. Received precision={precision!r}."
        )
    if precision != "auto":
        return precision
    if gpus is None:
        gpus = gpu_count()
    if flags is None:
        flags = _config.cpu_flags()
    if gpus or not any(flag in flags for flag in BF16_CPU_FLAGS):
        return "float32"
    return "mixed_bfloat16"


def resolve_augment(augment, epochs, min_epochs):
    """Whether a network is built with its shift-and-flip augmentation.

    ``True`` and ``False`` stand for themselves; ``"auto"`` is ``True`` when the
    budget of ``epochs`` of the fit that builds the network (for
    ``partial_fit``, the estimator's ``epochs``) is at least ``min_epochs``,
    each estimator's own threshold: the budget from which augmentation was
    measured to pay (figures in the documentation's performance page).

    Examples
    --------
    >>> from skfashion._recipe import resolve_augment
    >>> resolve_augment("auto", 3, min_epochs=20), resolve_augment("auto", 20, min_epochs=20)
    (False, True)
    >>> resolve_augment(True, 3, min_epochs=20)
    True
    """
    if isinstance(augment, (bool, np.bool_)):
        return bool(augment)
    if not (isinstance(augment, str) and augment == "auto"):
        raise ValueError(
            f"augment must be True, False or 'auto'. Received augment={augment!r}."
        )
    if min_epochs is None:
        raise ValueError("augment='auto' needs the estimator's min_epochs; received None.")
    return bool(epochs >= min_epochs)


def gpu_count():
    """Number of GPUs TensorFlow sees."""
    return len(_config.load_tensorflow().config.list_physical_devices("GPU"))
