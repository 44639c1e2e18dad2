"""Tripwires of the private reaches in skfashion._compat.

Each test fails when the internal moves, or when it stops having the effect
skfashion relies on. None may be skipped or relaxed on a new dependency
version: read the failing reach's docstring in skfashion/_compat.py instead.
"""

import inspect
import numbers

import keras
import numpy as np
import pytest
import sklearn
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if

from skfashion import LeNet5Classifier, _compat
from tests.conftest import make_shapes

TINY = dict(augment=False, epochs=1, batch_size=16, validation_split=0.0)


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_per_class=10)


# ----------------------------------------------------------------- scikit-learn


def test_sklearn_private_names_are_the_real_ones():
    from sklearn.base import _fit_context

    assert _compat._fit_context is _fit_context
    interval = _compat.Interval(numbers.Integral, 1, None, closed="left")
    assert interval.is_satisfied_by(np.int64(3)) and not interval.is_satisfied_by(0)
    assert _compat.StrOptions({"auto"}).is_satisfied_by("auto")
    assert issubclass(_compat.InvalidParameterError, ValueError)
    est = BaseEstimator()
    est.n_features_in_ = 2
    np.testing.assert_array_equal(
        _compat._check_feature_names_in(est, None), ["x0", "x1"]
    )
    assert callable(available_if)
    assert sklearn.__version__ >= "1.7"


def test_parameter_validation_goes_through_compat(shapes):
    X, y = shapes
    with pytest.raises(_compat.InvalidParameterError, match="'epochs' parameter"):
        LeNet5Classifier(epochs=0).fit(X, y)


def test_validate_params_is_sklearns_own_check(shapes, monkeypatch):
    est = LeNet5Classifier(epochs=0)
    with pytest.raises(_compat.InvalidParameterError, match="'epochs' parameter"):
        _compat.validate_params(est)
    _compat.validate_params(LeNet5Classifier())  # valid parameters pass
    # The checks of fit and partial_fit go through it.
    calls = []
    monkeypatch.setattr(BaseEstimator, "_validate_params",
                        lambda self: calls.append(type(self).__name__))
    _, y = shapes
    LeNet5Classifier(epochs=0)._check_fit(y, None)
    assert calls == ["LeNet5Classifier"]


# --------------------------------------------------------------------- scikeras


def test_scikeras_hooks_are_present():
    _compat.check_scikeras()
    for name in _compat.SCIKERAS_HOOKS:
        assert hasattr(KerasClassifier, name), name


def test_scikeras_check_fails_loudly_on_a_changed_hook(monkeypatch):
    def _fit(self, X, y, sample_weight, epochs):  # a changed signature
        raise AssertionError

    monkeypatch.setattr(KerasClassifier, "_fit", _fit)
    with pytest.raises(ImportError, match=r"KerasClassifier\._fit .*scikeras==0\.13\.0"):
        _compat.check_scikeras()
    monkeypatch.undo()
    monkeypatch.setitem(_compat.SCIKERAS_HOOKS, "_renamed_hook", ("self",))
    with pytest.raises(ImportError, match="no such method"):
        _compat.check_scikeras()


def test_scikeras_fit_only_adds_class_weights_to_basewrapper_fit():
    # BaseImageClassifier.fit calls BaseWrapper.fit itself, skipping
    # KerasClassifier.fit: that is only right while this is all it adds.
    source = inspect.getsource(KerasClassifier.fit)
    body = source.split('"""')[-1]
    statements = [line.strip() for line in body.splitlines() if line.strip()]
    assert statements == [
        "self.classes_ = None",
        "if self.class_weight is not None:",
        "sample_weight = 1 if sample_weight is None else sample_weight",
        "sample_weight *= compute_sample_weight(class_weight=self.class_weight, y=y)",
        "super().fit(X=X, y=y, sample_weight=sample_weight, **kwargs)",
        "return self",
    ]


def test_scikeras_partial_fit_only_adds_classes_and_class_weights():
    # BaseImageClassifier.partial_fit calls BaseWrapper.partial_fit itself,
    # skipping KerasClassifier.partial_fit: only right while this is all it adds.
    source = inspect.getsource(KerasClassifier.partial_fit)
    body = source.split('"""')[-1]
    statements = " ".join(line.strip() for line in body.splitlines() if line.strip())
    assert statements == (
        "self.classes_ = ( classes if classes is not None else getattr(self, \"classes_\", None) ) "
        "if self.class_weight is not None: "
        "sample_weight = 1 if sample_weight is None else sample_weight "
        "sample_weight *= compute_sample_weight(class_weight=self.class_weight, y=y) "
        "super().partial_fit(X, y, sample_weight=sample_weight, **kwargs) "
        "return self"
    )


# ------------------------------------------------------------------- TensorFlow


def _custom_gradients(registry):
    return {name for name in registry if name.startswith("CustomGradient-")}


def test_gradient_registry_still_leaks_without_the_fix(shapes):
    # The leak is what release_custom_gradients repairs: if TensorFlow stops
    # leaking, the reach can go.
    X, y = shapes
    registry = _compat.gradient_registry()
    before = set(registry)
    model = keras.Sequential(
        [keras.Input((12, 12)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    try:
        model.fit(X.astype("float32"), y, epochs=1, verbose=0)
        assert _custom_gradients(set(registry) - before)
    finally:
        for name in _custom_gradients(set(registry) - before):
            registry.pop(name)


def test_gradient_registry_does_not_grow_over_fits(shapes):
    X, y = shapes
    registry = _compat.gradient_registry()
    LeNet5Classifier(**TINY, random_state=0).fit(X, y).predict(X)
    size = len(registry)
    for seed in range(3):
        LeNet5Classifier(**TINY, random_state=seed).fit(X, y).predict(X)
    assert len(registry) == size


def test_gradient_registry_guard_fails_loudly(monkeypatch):
    from tensorflow.python.framework import ops

    monkeypatch.setattr(ops, "_gradient_registry", None)
    with pytest.raises(RuntimeError, match="gradient registry"):
        with _compat.release_custom_gradients():
            pass


def test_op_determinism_flag_follows_the_public_setter():
    # In a fresh process: the public setter has no public inverse.
    import subprocess
    import sys

    code = (
        "import tensorflow as tf\n"
        "from skfashion._compat import is_op_determinism_enabled as f\n"
        "assert f() is False\n"
        "tf.config.experimental.enable_op_determinism()\n"
        "assert f() is True\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_seeded_global_random_state_seeds_then_restores_every_generator():
    import random

    import tensorflow as tf

    random.seed(123)
    np.random.seed(123)
    python_before, numpy_before = random.getstate(), np.random.get_state()[1].copy()
    draws = []
    for _ in range(2):
        with _compat.seeded_global_random_state(5):
            draws.append((random.random(), np.random.rand(), float(tf.random.uniform(()))))
            assert _compat.is_op_determinism_enabled()
    assert draws[0] == draws[1]  # seeded: the same draws each time
    assert random.getstate() == python_before
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_before)


# ------------------------------------------------------------------------ Keras


def test_keras_file_utils_is_where_applications_download():
    file_utils = _compat.keras_file_utils()
    assert keras.utils.get_file is file_utils.get_file
    assert "file_utils.get_file(" in inspect.getsource(keras.applications.VGG16)


def test_learning_rate_schedule_is_the_optimizers_own():
    import keras

    from skfashion._compat import learning_rate_schedule
    from skfashion._recipe import BudgetCosine

    schedule = BudgetCosine(0.01)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    assert learning_rate_schedule(optimizer) is schedule


def test_learning_rate_schedule_guard_fails_loudly():
    from skfashion._compat import learning_rate_schedule

    with pytest.raises(RuntimeError, match="_learning_rate attribute"):
        learning_rate_schedule(object())
