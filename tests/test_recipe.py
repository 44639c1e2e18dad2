"""The shared training recipe: batch size, learning-rate schedule, loss."""

import math

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfashion import CNNClassifier, _recipe
from skfashion._compat import learning_rate_schedule
from skfashion._recipe import (
    MIN_AUTO_BATCH,
    MIN_STEPS_PER_EPOCH,
    BudgetCosine,
    SmoothedSparseCrossentropy,
    auto_batch_size,
)
from tests.conftest import TINY_CNN

# ------------------------------------------------------------ auto batch size


@given(st.integers(1, 10**6), st.sampled_from([32, 64, 128, 256, 512]))
def test_auto_batch_size_gives_enough_steps(n_samples, max_batch):
    batch = auto_batch_size(n_samples, max_batch)
    assert 1 <= batch <= min(n_samples, max_batch)
    if batch < n_samples:
        assert batch & (batch - 1) == 0  # a power of two
    steps = math.ceil(n_samples / batch)
    # Enough steps per epoch unless the smallest batch, or the largest, is hit.
    assert steps >= MIN_STEPS_PER_EPOCH or batch in (MIN_AUTO_BATCH, n_samples)
    if batch < max_batch and n_samples > MIN_AUTO_BATCH:
        # ... and the largest such power of two: doubling would give too few steps.
        assert batch == MIN_AUTO_BATCH or n_samples / (2 * batch) < MIN_STEPS_PER_EPOCH


# ------------------------------------------------------------------ schedule


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 5000),
    st.floats(0, 0.9),
    st.integers(0, 10**6),
)
def test_budget_cosine_shape(total, warmup, start):
    peak = 0.01
    schedule = BudgetCosine(peak, warmup=warmup)
    schedule.restart(start=start, total=total)
    steps = np.unique(np.linspace(0, total, 50).astype(int))
    lr = np.array([float(schedule(start + s)) for s in steps])
    assert np.all(lr >= -1e-9) and np.all(lr <= peak * (1 + 1e-6))
    assert lr[-1] == pytest.approx(0.0, abs=1e-9)  # zero at the end of the fit
    # The schedule computes in float32 (0.3 * 1595 is 478.49999... in float64
    # but 478.50002 in float32), rounding half to even as np.round does.
    warm = int(min(np.round(np.float32(warmup) * np.float32(total)), total - 1))
    rising, falling = lr[steps < warm], lr[steps >= warm]
    tolerance = peak * 1e-6  # float32 arithmetic
    assert np.all(np.diff(rising) >= -tolerance)
    assert np.all(np.diff(falling) <= tolerance)
    if warm:
        assert lr[0] == pytest.approx(peak / 10, rel=1e-5)
    assert float(schedule(start + warm)) == pytest.approx(peak, rel=1e-5)


def test_budget_cosine_restart_moves_the_schedule():
    schedule = BudgetCosine(1.0, warmup=0.0)
    schedule.restart(start=0, total=10)
    assert float(schedule(10)) == pytest.approx(0.0, abs=1e-7)
    schedule.restart(start=10, total=20)
    assert float(schedule(10)) == pytest.approx(1.0)
    assert float(schedule(20)) == pytest.approx(0.5, abs=1e-6)


def test_budget_cosine_round_trips_through_keras_serialization():
    schedule = BudgetCosine(0.003, warmup=0.2)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(again, BudgetCosine)
    assert (again.peak, again.warmup) == (0.003, 0.2)


# ---------------------------------------------------------------------- loss


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_smoothed_loss_matches_keras_on_one_hot_labels(smoothing):
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(10), size=32).astype("float32")
    labels = rng.integers(0, 10, 32)
    ours = SmoothedSparseCrossentropy(smoothing)(labels, proba)
    reference = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)(
        np.eye(10)[labels], proba
    )
    assert float(ours) == pytest.approx(float(reference), rel=1e-5)
    if smoothing == 0.0:
        sparse = keras.losses.SparseCategoricalCrossentropy()(labels, proba)
        assert float(ours) == pytest.approx(float(sparse), rel=1e-5)


# ----------------------------------------------------------------- estimators


def _lr_now(est):
    return float(est.model_.optimizer.learning_rate)


def test_schedule_spans_exactly_the_fit_and_restarts_on_warm_start(noise4):
    X, y = noise4
    est = CNNClassifier(**TINY_CNN).fit(X, y)
    assert est.batch_size_ == 32  # 200 images: the smallest automatic batch
    steps = 2 * math.ceil(len(y) / 32)
    assert int(est.model_.optimizer.iterations) == steps
    assert _lr_now(est) == pytest.approx(0.0, abs=1e-9)  # the schedule ended with the fit
    schedule = learning_rate_schedule(est.model_.optimizer)
    assert float(schedule(steps // 2)) > 0
    est.set_params(warm_start=True, epochs=1).fit(X, y)
    # A new whole schedule over this call's steps, not the tail of the first one.
    assert int(est.model_.optimizer.iterations) == steps + steps // 2
    assert float(schedule(steps + 1)) > 0.1 * est.learning_rate
    assert _lr_now(est) == pytest.approx(0.0, abs=1e-9)


def test_constant_schedule_keeps_the_learning_rate(noise4):
    X, y = noise4
    est = CNNClassifier(**TINY_CNN, lr_schedule="constant", learning_rate=0.004).fit(X, y)
    assert _lr_now(est) == pytest.approx(0.004)


def test_plateau_schedule_halves_on_plateau_only_with_a_validation_split(noise4):
    X, y = noise4
    # Without validation data there is no plateau to detect: the rate stays.
    est = CNNClassifier(**TINY_CNN, lr_schedule="plateau", learning_rate=0.004).fit(X, y)
    assert _lr_now(est) == pytest.approx(0.004)
    # Random labels: the validation loss stalls after the first epoch.
    est = CNNClassifier(**{**TINY_CNN, "epochs": 8}, lr_schedule="plateau", learning_rate=0.01,
                        validation_split=0.2, patience=4).fit(X, y)
    assert "val_loss" in est.history_
    halvings = np.log2(0.01 / _lr_now(est))
    assert halvings >= 1 and halvings == pytest.approx(round(halvings), abs=1e-5)


def test_weight_decay_spares_batchnorm_and_biases(noise4):
    X, y = noise4
    est = CNNClassifier(**TINY_CNN, weight_decay=0.1).fit(X, y)
    optimizer = est.model_.optimizer
    decayed = {v.name for v in est.model_.trainable_variables if optimizer._use_weight_decay(v)}
    assert any(name == "kernel" for name in decayed)
    assert not decayed & {"gamma", "beta", "bias"}


def test_weight_decay_zero_is_plain_adam(noise4):
    X, y = noise4
    est = CNNClassifier(**TINY_CNN, weight_decay=0.0).fit(X, y)
    assert est.model_.optimizer.weight_decay is None


def test_previous_cnn_is_expressible():
    """The write-up's VGG-style network is the same class with parameters."""
    est = CNNClassifier(
        stem_stride=None, residual=False, global_pool=False, dense_units=256, dropout=0.25
    )
    model = est._build_architecture((28, 28, 1), 10, seed=0)
    assert model.count_params() == 815_658  # the previous default network
    new = CNNClassifier()._build_architecture((28, 28, 1), 10, seed=0)
    assert any(layer.name.endswith("_add") for layer in new.layers)
    assert new.count_params() < 500_000


def test_seeded_fits_are_identical_with_the_recipe(noise4):
    X, y = noise4
    a = CNNClassifier(**TINY_CNN).fit(X, y).predict_proba(X)
    b = CNNClassifier(**TINY_CNN).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_optimizer_is_built_before_training_and_trains_as_if_keras_built_it(
    noise4, monkeypatch
):
    X, y = noise4
    built = []
    build = _recipe.build_optimizer

    def spy(model):
        build(model)
        built.append(model.optimizer.built and len(model.optimizer.variables))

    monkeypatch.setattr(_recipe, "build_optimizer", spy)
    eager = CNNClassifier(**TINY_CNN).fit(X, y).predict_proba(X)
    # Adam's two slots per trainable variable exist before the first step.
    n_trainable = len(CNNClassifier(**TINY_CNN)._build_architecture(
        (12, 12, 1), 4, seed=0).trainable_variables)
    assert len(built) == 1 and built[0] > 2 * n_trainable
    # Left to Keras, they are made while the first training step is traced.
    monkeypatch.setattr(_recipe, "build_optimizer", lambda model: None)
    lazy = CNNClassifier(**TINY_CNN).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(eager, lazy)


def test_predict_batch_size_follows_fit_unless_routed(noise4, monkeypatch):
    X, y = noise4
    est = CNNClassifier(**TINY_CNN).fit(X, y)
    seen = []
    predict = type(est.model_).predict

    def spy(model, x, **kwargs):
        seen.append(x.batch_size)  # the images reach Keras as ImageBatches
        return predict(model, x, **kwargs)

    monkeypatch.setattr(type(est.model_), "predict", spy)
    est.predict(X[:5])
    est.set_params(predict__batch_size=7).predict(X[:5])
    assert seen[0] == est.batch_size_ == 32 and seen[-1] == 7
