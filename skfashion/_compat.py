"""Every reach of skfashion into private parts of its dependencies, in one place.

No other module imports a private path of TensorFlow, Keras, scikeras or
scikit-learn: they import the names below. Each reach is guarded so that it
fails loudly (an ``ImportError`` or ``RuntimeError`` naming the internal and the
versions it was written against) instead of becoming a silent no-op, and each
has a tripwire test in ``tests/test_compat.py`` that fails when the internal
moves or stops having its effect. Written against scikit-learn 1.7 to 1.9,
Keras 3.15, TensorFlow 2.21 and scikeras 0.13.

================================================  =================================
private reach                                     used for
================================================  =================================
``sklearn.utils._param_validation``               ``Interval``, ``StrOptions``,
                                                  ``Options``,
                                                  ``InvalidParameterError`` in
                                                  ``_parameter_constraints``
``sklearn.base._fit_context``                     ``ImageResizer.fit``
``BaseEstimator._validate_params``                 :func:`validate_params` (``fit``,
                                                  ``partial_fit``, ``transform``)
``sklearn.utils.validation._check_feature_names_in``  ``ImageResizer.get_feature_names_out``
``tensorflow.python.framework.ops._gradient_registry``  :func:`release_custom_gradients`
``tensorflow.python.framework.config``            :func:`is_op_determinism_enabled`
``keras.src.utils.file_utils``                    :func:`keras_file_utils` (tests)
``keras.optimizers.Optimizer._learning_rate``     :func:`learning_rate_schedule`
scikeras underscore methods                       :data:`SCIKERAS_HOOKS`
``scikeras.utils.random_state``                   :func:`seeded_global_random_state`
                                                  (undocumented)
================================================  =================================

``available_if`` has a public home (``sklearn.utils.metaestimators``) and is
imported from there.
"""

import inspect
from contextlib import contextmanager

import sklearn

_TESTED = (
    "skfashion was written against scikit-learn 1.7-1.9, Keras 3.15, "
    "TensorFlow 2.21 and scikeras 0.13"
)

# ----------------------------------------------------------------- scikit-learn

try:
    from sklearn.base import _fit_context
    from sklearn.utils._param_validation import (
        Interval,
        InvalidParameterError,
        Options,
        StrOptions,
    )
    from sklearn.utils.validation import _check_feature_names_in
except ImportError as exc:  # pragma: no cover - only on an untested scikit-learn
    raise ImportError(
        f"scikit-learn {sklearn.__version__} moved a private name skfashion uses "
        f"({exc}); {_TESTED}. Install scikit-learn>=1.7,<1.10."
    ) from exc



def validate_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    scikit-learn's own (private) ``BaseEstimator._validate_params``, for the
    methods that cannot take the ``_fit_context`` decorator: they check
    routed parameters or call scikeras between the checks.

    Raises
    ------
    InvalidParameterError
        If a parameter breaks its constraint.
    RuntimeError
        If scikit-learn's estimators no longer have ``_validate_params``.
    """
    method = getattr(estimator, "_validate_params", None)
    if method is None:  # pragma: no cover - only on an untested scikit-learn
        raise RuntimeError(
            f"scikit-learn {sklearn.__version__} has no BaseEstimator._validate_params, "
            f"which checks skfashion's parameters; {_TESTED}. Install "
            "scikit-learn>=1.7,<1.10."
        )
    method()


# --------------------------------------------------------------------- scikeras

#: The scikeras 0.13 internals :class:`skfashion._base.BaseImageClassifier`
#: relies on, with the parameters it calls them with. Methods are overridden
#: (``_initialize``, ``_fit_keras_model``, ``_validate_data``,
#: ``_validate_sample_weight``; ``_predict_raw`` in
#: :class:`skfashion._prediction.PredictionMixin`) or called (``_fit``,
#: ``_build_keras_model``, ``_initialize_callbacks``); the attributes
#: ``_fit_callbacks``, ``_predict_callbacks``, ``_user_params`` and
#: ``_random_state`` are read or swapped. :func:`check_scikeras` verifies them when skfashion is imported.
SCIKERAS_HOOKS = {
    "_initialize": ("self", "X", "y"),
    "_fit": ("self", "X", "y", "sample_weight", "warm_start", "epochs", "initial_epoch"),
    "_fit_keras_model": (
        "self", "X", "y", "sample_weight", "warm_start", "epochs", "initial_epoch",
    ),
    "_validate_data": ("self", "X", "y", "reset", "y_numeric"),
    "_validate_sample_weight": ("X", "y", "sample_weight"),
    "_predict_raw": ("self", "X"),
    "_build_keras_model": ("self",),
    "_initialize_callbacks": ("self",),
}  # fmt: skip

#: Attributes scikeras sets and skfashion reads or swaps (see SCIKERAS_HOOKS),
#: and ``_keras_build_fn``, the method scikeras calls to build the model when
#: no ``model`` is given (skfashion defines it; scikeras has no default).
SCIKERAS_ATTRIBUTES = (
    "_fit_callbacks", "_predict_callbacks", "_random_state", "_user_params",
    "_keras_build_fn",
)


def check_scikeras():
    """Raise ``ImportError`` unless scikeras has the internals skfashion overrides.

    Each name of :data:`SCIKERAS_HOOKS` must be a method of scikeras'
    ``KerasClassifier`` whose leading parameters are the ones listed.
    :mod:`skfashion._base` calls it when it is imported.
    """
    import scikeras
    from scikeras.wrappers import BaseWrapper, KerasClassifier

    for name, expected in SCIKERAS_HOOKS.items():
        method = inspect.getattr_static(KerasClassifier, name, None)
        if isinstance(method, staticmethod):
            method = method.__func__
        params = () if method is None else tuple(inspect.signature(method).parameters)
        if params[: len(expected)] != expected:
            raise ImportError(
                f"scikeras {scikeras.__version__} changed the internal method "
                f"KerasClassifier.{name} that skfashion overrides or calls: expected "
                f"parameters {expected}, found {params or 'no such method'}; "
                f"{_TESTED}. Install scikeras==0.13.0."
            )
    source = inspect.getsource(BaseWrapper)
    missing = [name for name in SCIKERAS_ATTRIBUTES if f"self.{name}" not in source]
    if missing:
        raise ImportError(
            f"scikeras {scikeras.__version__} no longer uses {missing}, which "
            f"skfashion reads or defines; {_TESTED}. Install scikeras==0.13.0."
        )


@contextmanager
def seeded_global_random_state(seed):
    """Seed Python's, NumPy's and TensorFlow's global generators for a block.

    scikeras' own ``scikeras.utils.random_state.tensorflow_random_state``
    (undocumented), the state a seeded fit runs in: the three generators are
    seeded, TensorFlow's op determinism is on, and all is restored after the
    block. For code that cannot seed each layer itself (a backbone of
    ``keras.applications`` built with random weights); it changes process-wide
    state, so keep such blocks short.

    Raises
    ------
    ImportError
        If scikeras no longer has it.
    """
    try:
        from scikeras.utils.random_state import tensorflow_random_state
    except ImportError as exc:  # pragma: no cover - only on an untested scikeras
        import scikeras

        raise ImportError(
            f"scikeras {scikeras.__version__} no longer has "
            f"scikeras.utils.random_state.tensorflow_random_state ({exc}); "
            f"{_TESTED}. Install scikeras==0.13.0."
        ) from exc
    with tensorflow_random_state(seed):
        yield


# ------------------------------------------------------------------- TensorFlow


def gradient_registry():
    """TensorFlow's global registry of gradient functions, as a dict.

    Raises
    ------
    RuntimeError
        If TensorFlow no longer keeps it at
        ``tensorflow.python.framework.ops._gradient_registry._registry``.
    """
    from tensorflow.python.framework import ops

    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    if not isinstance(registry, dict):
        import tensorflow

        raise RuntimeError(
            f"TensorFlow {tensorflow.__version__} no longer keeps its gradient "
            "registry at tensorflow.python.framework.ops._gradient_registry._registry, "
            "which skfashion prunes after each fit (else each fit leaks about 10 MB); "
            f"{_TESTED}. Install tensorflow-cpu==2.21.*."
        )
    return registry


@contextmanager
def release_custom_gradients():
    """Drop the gradient registrations that TensorFlow leaks while tracing.

    In graph mode, every call of a ``tf.custom_gradient`` function (Keras uses
    them in its losses) registers a new ``CustomGradient-<uid>`` in TensorFlow's
    global gradient registry and never removes it. Each entry keeps its whole
    traced graph alive: about 10 MB per fit, without bound over a grid search.
    An entry is only used while the function that registered it is being traced,
    so the entries added inside this block are removed when it ends. Keras
    training is not thread-safe anyway; do not fit in several threads at once.
    """
    registry = gradient_registry()
    before = set(registry)
    try:
        yield
    finally:
        for name in set(registry) - before:
            if name.startswith("CustomGradient-"):
                registry.pop(name, None)


def is_op_determinism_enabled():
    """TensorFlow's op-determinism flag (only its setter is public API)."""
    from tensorflow.python.framework import config

    return config.is_op_determinism_enabled()


# ------------------------------------------------------------------------ Keras


def learning_rate_schedule(optimizer):
    """The learning-rate schedule (or value) a Keras optimizer was built with.

    Keras keeps it in the private ``_learning_rate``; the public
    ``learning_rate`` evaluates a schedule at the current step instead.
    :func:`skfashion._recipe.restart_schedule` needs the object itself.

    Raises
    ------
    RuntimeError
        If this Keras keeps the schedule elsewhere: skfashion could then not
        restart it for a new fit, which would train at a learning rate of zero.
    """
    if not hasattr(optimizer, "_learning_rate"):
        import keras

        raise RuntimeError(
            f"{type(optimizer).__name__} of Keras {keras.__version__} has no "
            "_learning_rate attribute, where skfashion finds the learning-rate "
            f"schedule to restart it for each fit; {_TESTED}. Install keras==3.15.*."
        )
    return optimizer._learning_rate


def keras_file_utils():
    """Keras' ``keras.src.utils.file_utils``, whose ``get_file`` downloads weights.

    ``keras.applications`` calls ``file_utils.get_file`` through this module, so
    a test that patches the attribute here makes every download fail offline.
    """
    from keras.src.utils import file_utils

    return file_utils


__all__ = [
    "Interval",
    "InvalidParameterError",
    "Options",
    "SCIKERAS_HOOKS",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "check_scikeras",
    "gradient_registry",
    "is_op_determinism_enabled",
    "keras_file_utils",
    "learning_rate_schedule",
    "release_custom_gradients",
    "seeded_global_random_state",
]
