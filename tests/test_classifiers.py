"""Behaviour of CNNClassifier and LeNet5Classifier as scikit-learn classifiers."""

import pickle

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    check_cv,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline

from skfashion import CNNClassifier, ImageResizer, LeNet5Classifier
from skfashion._batches import split_indices
from skfashion._recipe import STEPS_PER_EXECUTION
from tests.conftest import another_thread_drawing_from_random, make_shapes

TINY = dict(epochs=2, batch_size=16, random_state=0)
FACTORIES = {
    # The VGG-style variant: on 12x12 shapes, a 2-filter network needs the
    # flattened feature map (global pooling would keep 2 numbers per image).
    "cnn": lambda **kw: CNNClassifier(
        **{"filters": (4, 8), "convs_per_block": 1, "dense_units": 16, "augment": False,
           "stem_stride": None, "residual": False, "global_pool": False, **TINY, **kw}
    ),
    "lenet5": lambda **kw: LeNet5Classifier(**{"augment": False, **TINY, **kw}),
}


@pytest.fixture(scope="module", params=sorted(FACTORIES))
def fitted(request, shapes):
    """A tiny classifier of each kind, fitted once on the synthetic shapes."""
    X, y = shapes
    return FACTORIES[request.param]().fit(X, y)


# --------------------------------------------------------------- classifier identity


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_is_classifier_alone_and_at_the_end_of_a_pipeline(name):
    est = FACTORIES[name]()
    assert is_classifier(est)
    assert is_classifier(make_pipeline(ImageResizer(size=28, channels=1), est))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_cv_10_uses_stratified_folds(name, shapes):
    _, y = shapes
    cv = check_cv(10, y, classifier=is_classifier(FACTORIES[name]()))
    assert isinstance(cv, StratifiedKFold)
    assert cv.get_n_splits() == 10


def test_cross_val_score_cv10_gives_ten_stratified_scores(shapes):
    X, y = shapes
    scores = cross_val_score(FACTORIES["lenet5"](epochs=3), X, y, cv=10)
    assert scores.shape == (10,)
    # 90 images, 3 classes: stratified folds of 9 hold 3 of each class, so every
    # score is a multiple of 1/9 (plain KFold on this shuffled data is not).
    assert np.allclose(scores * 9, np.round(scores * 9))
    assert scores.mean() > 0.6


# ----------------------------------------------------------------- params and clone


def test_clone_keeps_every_parameter_including_routed_ones():
    est = CNNClassifier(
        filters=(8, 16), dropout=0.1, optimizer__beta_1=0.8, fit__shuffle=False
    )
    params = est.get_params()
    assert params["optimizer__beta_1"] == 0.8 and params["fit__shuffle"] is False
    cloned = clone(est)
    assert cloned.get_params() == params
    cloned.set_params(optimizer__beta_1=0.7, filters=(4,))
    assert cloned.optimizer__beta_1 == 0.7 and cloned.filters == (4,)
    assert est.optimizer__beta_1 == 0.8


def test_routed_optimizer_parameter_reaches_adam(shapes):
    X, y = shapes
    est = FACTORIES["lenet5"](epochs=1, optimizer__beta_1=0.8, learning_rate=0.005,
                              lr_schedule="constant").fit(X, y)
    assert float(est.model_.optimizer.beta_1) == pytest.approx(0.8)
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.005)
    # A grid search sets routed parameters on a clone with set_params.
    est = clone(FACTORIES["lenet5"](epochs=1)).set_params(optimizer__beta_2=0.9).fit(X, y)
    assert float(est.model_.optimizer.beta_2) == pytest.approx(0.9)


def test_steps_per_execution_changes_speed_not_the_model(shapes):
    X, y = shapes
    default = FACTORIES["lenet5"](epochs=2).fit(X, y)
    assert default.model_.steps_per_execution == STEPS_PER_EXECUTION > 1
    # 90 images in batches of 16 make 6 steps an epoch, fewer than one execution.
    one_step = FACTORIES["lenet5"](epochs=2, compile__steps_per_execution=1).fit(X, y)
    assert one_step.model_.steps_per_execution == 1
    np.testing.assert_array_equal(default.predict_proba(X), one_step.predict_proba(X))
    assert default.history_["loss"] == one_step.history_["loss"]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"colour": 3}, "Unknown parameter 'colour'"),
        ({"optimizer__learning_rate": 0.1}, "learning_rate="),
        ({"compile__loss": "mse"}, "compile__loss cannot be set"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"validation_split": 1.0}, "'validation_split' parameter"),
    ],
)
def test_bad_parameters_are_named(shapes, params, match):
    X, y = shapes
    with pytest.raises(ValueError, match=match):
        FACTORIES["lenet5"](**params).fit(X, y)


@pytest.mark.parametrize(
    "params, fit_kwargs, match",
    [
        ({"fit__batch_size": 7}, {}, "fit__batch_size.*the batch_size parameter"),
        ({"fit__initial_epoch": 2}, {}, "fit__initial_epoch.*warm_start=True"),
        ({"fit__epochs": 2}, {}, "fit__epochs.*the epochs parameter"),
        ({"fit__validation_split": 0.2}, {}, "fit__validation_split.*validation_split parameter"),
        ({"fit__class_weight": {0: 2.0}}, {}, "fit__class_weight.*class_weight parameter"),
        ({}, {"validation_data": ("X", "y")}, "validation_data.*validation_split parameter"),
        ({}, {"validation_split": 0.2}, "does not take validation_split"),
        ({}, {"class_weight": {0: 2.0}}, "does not take class_weight"),
        ({}, {"validation_batch_size": 8}, "validation_batch_size.*batch_size parameter"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_fit_arguments_skfashion_makes_are_refused(shapes, params, fit_kwargs, match, method):
    # Keras would override these without a word (fit__batch_size, a
    # validation_split) or read raw, unencoded labels (validation_data).
    X, y = shapes
    est = FACTORIES["lenet5"](epochs=1, **params)
    with pytest.raises(ValueError, match=match):
        getattr(est, method)(X, y, **fit_kwargs)
    assert not hasattr(est, "model_")


def test_fit_batch_size_keyword_is_honoured(shapes):
    X, y = shapes
    assert FACTORIES["lenet5"](epochs=1).fit(X, y, batch_size=7).batch_size_ == 7


@pytest.mark.parametrize(
    "fit_kwargs, match",
    [
        ({"epochs": 0}, r"fit's epochs must be an int >= 1; received 0"),
        ({"epochs": 2.5}, r"fit's epochs must be an int >= 1; received 2.5"),
        ({"initial_epoch": -1}, r"fit's initial_epoch must be an int >= 0; received -1"),
        ({"batch_size": 0}, r"fit's batch_size must be an int >= 1 or 'auto'; received 0"),
        ({"batch_size": 2.5}, r"fit's batch_size .* received 2.5"),
        ({"batch_size": "big"}, r"fit's batch_size .* received 'big'"),
        ({"epochs": True}, r"fit's epochs must be an int >= 1; received True"),
        ({"initial_epoch": False}, r"fit's initial_epoch must be an int >= 0; received False"),
        ({"batch_size": True}, r"fit's batch_size .* received True"),
    ],
)
def test_fit_keywords_are_checked(shapes, fit_kwargs, match):
    # Keras would train nothing (epochs=0), truncate (2.5) or divide by zero.
    X, y = shapes
    est = FACTORIES["lenet5"](epochs=1)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, **fit_kwargs)
    assert not hasattr(est, "model_")


def test_predict_batch_size_is_checked(fitted, shapes):
    X, _ = shapes
    for bad in (0, "auto", 2.5):
        with pytest.raises(ValueError, match=r"predict's batch_size must be an int >= 1; "):
            fitted.predict(X, batch_size=bad)
    np.testing.assert_array_equal(fitted.predict(X, batch_size=np.int64(7)), fitted.predict(X))


def test_partial_fit_batch_size_is_checked_and_numpy_ints_are_ints(shapes):
    X, y = shapes
    with pytest.raises(ValueError, match=r"fit's batch_size must be an int >= 1 or 'auto'"):
        FACTORIES["lenet5"](epochs=1).partial_fit(X, y, batch_size=0)
    est = FACTORIES["lenet5"](epochs=1).fit(X, y, epochs=np.int64(2), batch_size=np.int64(8))
    assert len(est.history_["loss"]) == 2 and est.batch_size_ == 8


def test_each_partial_fit_shuffles_anew_and_reproducibly(shapes, monkeypatch):
    # From one seed every call (one epoch) used to see the rows in one order.
    import skfashion._base

    orders = []  # the order of the rows in the first epoch of each call
    batches_class = skfashion._base.ImageBatches

    def recorded(*args, **kwargs):
        batches = batches_class(*args, **kwargs)
        orders.append(batches._order.copy())
        return batches

    monkeypatch.setattr(skfashion._base, "ImageBatches", recorded)
    X, y = shapes
    runs = []
    for _ in range(2):
        est = FACTORIES["lenet5"]()
        for _ in range(3):
            est.partial_fit(X, y, classes=np.unique(y))
        runs.append(est.predict_proba(X))
    first, second, third = orders[:3]
    assert not np.array_equal(first, second) and not np.array_equal(second, third)
    for a, b in zip(orders[:3], orders[3:]):  # the same seed, the same orders
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(runs[0], runs[1])


def test_augment_auto_follows_the_epochs_given_to_fit(shapes):
    # The budget fit trains for decides, not the parameter that it overrides.
    X, y = shapes
    est = CNNClassifier(filters=(4,), epochs=20, random_state=0)
    assert est.fit(X, y, epochs=1).augment_ is False
    assert len(est.history_["loss"]) == 1


@pytest.mark.parametrize("name", ["colour", "loss__from_logits", "model__units", "fit_shuffle"])
def test_set_params_refuses_names_fit_would_ignore(name):
    est = FACTORIES["lenet5"]()
    with pytest.raises(ValueError, match=f"Unknown parameter '{name}' for LeNet5Classifier"):
        est.set_params(**{name: 1})
    assert name not in est.get_params()
    est.set_params(fit__shuffle=False, epochs=3)  # routed and constructor names still work
    assert est.get_params()["fit__shuffle"] is False and est.epochs == 3


# ------------------------------------------------------------------ search and CV


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_architecture_parameters(shapes, n_jobs):
    X, y = shapes
    grid = GridSearchCV(
        FACTORIES["cnn"](epochs=3),
        {"filters": [(2,), (8, 16)], "dense_units": [(), 16]},
        cv=2,
        n_jobs=n_jobs,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_ in grid.cv_results_["params"]
    assert grid.best_estimator_.filters == grid.best_params_["filters"]
    assert grid.best_score_ > 0.6
    assert grid.score(X, y) > 0.6


# ------------------------------------------------------------ outputs and persistence


def test_predict_proba_rows_sum_to_one(fitted, shapes):
    X, _ = shapes
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(fitted.classes_[proba.argmax(axis=1)], fitted.predict(X))


def test_predict_proba_of_one_image_is_one_row(fitted, shapes):
    # scikeras squeezes its output: one image used to give a 1-D array.
    X, y = shapes
    assert fitted.predict_proba(X[:1]).shape == (1, 3)
    assert fitted.predict(X[:1]).shape == (1,)
    binary = FACTORIES["lenet5"](epochs=1).fit(X[y < 2], y[y < 2])
    assert binary.predict_proba(X[:1]).shape == (1, 2)


def test_callbacks_given_to_fit_and_predict_are_called(shapes):
    # scikeras replaces a call's callbacks with the estimator's own.
    X, y = shapes

    class Count(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = self.predictions = 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1

        def on_predict_end(self, logs=None):
            self.predictions += 1

    in_call, routed = Count(), Count()
    est = FACTORIES["lenet5"](predict__callbacks=[routed]).fit(X, y, callbacks=[in_call])
    assert in_call.epochs == 2
    est.predict(X, callbacks=in_call)
    assert (in_call.predictions, routed.predictions) == (1, 1)  # each called once
    with pytest.raises(TypeError, match="callbacks given to fit must be a keras"):
        FACTORIES["lenet5"]().fit(X, y, callbacks=["early_stopping"])


def test_a_tta_set_after_fit_is_checked_at_prediction(fitted, shapes):
    # tta acts at prediction time only: a typo must not pass for True.
    X, _ = shapes
    try:
        fitted.set_params(tta="shfit")
        with pytest.raises(ValueError, match=r"tta must be a bool or one of .*tta='shfit'"):
            fitted.predict_proba(X)
    finally:
        fitted.set_params(tta="auto")


def test_learned_attributes(fitted, shapes):
    assert fitted.input_shape_ == (12, 12, 1)
    assert fitted.n_features_in_ == 144
    assert fitted.n_classes_ == 3
    assert set(fitted.history_) == {"loss", "accuracy"}  # no validation split by default
    assert fitted.batch_size_ == 16


def test_history_has_validation_metrics_with_a_split(shapes):
    X, y = shapes
    est = FACTORIES["lenet5"](validation_split=0.2).fit(X, y)
    assert set(est.history_) == {"loss", "accuracy", "val_loss", "val_accuracy"}


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_round_trip_predicts_identically(fitted, shapes, tmp_path, dump):
    X, _ = shapes
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(fitted))
    else:
        joblib.dump(fitted, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_same_random_state_predicts_identically(name, shapes):
    X, y = shapes
    first = FACTORIES[name]().fit(X, y).predict_proba(X)
    second = FACTORIES[name]().fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = FACTORIES[name](random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


def test_same_random_state_while_another_thread_draws_from_random(shapes):
    X, y = shapes
    quiet = FACTORIES["cnn"]().fit(X, y).predict_proba(X)
    with another_thread_drawing_from_random():
        busy = FACTORIES["cnn"]().fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(busy, quiet)


def test_string_labels_and_flat_input(shapes):
    X, y = shapes
    names = np.array(["shirt", "sock", "shoe"])[y]
    est = FACTORIES["lenet5"](epochs=4).fit(X.reshape(len(X), -1), names)
    assert set(est.classes_) == set(names)
    pred = est.predict(X.reshape(len(X), -1))
    assert pred.dtype == names.dtype and set(pred) <= set(names)
    assert np.mean(pred == names) > 0.6


@pytest.mark.parametrize(
    "name, layer_names",
    [("cnn", {"random_shift_flip"}), ("lenet5", {"random_shift_flip"})],
)
def test_augmentation_is_in_the_graph_and_inactive_at_prediction(name, layer_names, shapes):
    X, y = shapes
    est = FACTORIES[name](augment=True).fit(X, y)
    names = {layer.name for layer in est.model_.layers}
    assert layer_names <= names
    # The layer leaves images as they are outside training.
    images = np.asarray(X, dtype="float32")[..., None]
    out = est.model_.get_layer("random_shift_flip")(images, training=False)
    np.testing.assert_array_equal(np.asarray(out), images)


def test_validation_split_is_stratified_on_sorted_labels():
    _, y = make_shapes(n_per_class=10)
    y = np.sort(y)  # Keras would take the last rows: one class
    train, val = split_indices(y, 0.3, random_state=0)
    assert np.bincount(y[val]).tolist() == [3, 3, 3]
    assert len(train) == 21 and not set(train) & set(val)


def test_early_stopping_restores_best_weights(shapes):
    import keras

    X, y = shapes
    snapshots = []  # the weights after each epoch
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(record.model.get_weights())
    )
    est = FACTORIES["lenet5"](epochs=40, patience=1, learning_rate=0.05,
                              lr_schedule="constant", validation_split=0.1,
                              callbacks=[record]).fit(X, y)
    n_epochs = len(est.history_["loss"])
    assert n_epochs < 40 and len(snapshots) == n_epochs
    best = int(np.argmin(est.history_["val_loss"]))
    assert best == n_epochs - 2  # stopped one epoch after the best one
    final = est.model_.get_weights()
    for got, want in zip(final, snapshots[best], strict=True):
        np.testing.assert_array_equal(got, want)
    assert any(not np.array_equal(got, last) for got, last in zip(final, snapshots[-1]))


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "make_X, match",
    [
        (lambda X: np.where(X > 250, np.nan, X), "NaN"),
        (lambda X: np.where(X > 250, np.inf, X), "infinity"),
        (lambda X: X[:, :, :, None, None], "2, 3 or 4 dimensions"),
        (lambda X: X[:, 0, 0], "Expected 2D array"),
        (lambda X: X[:, None, :, :].repeat(12, axis=1), "channels-last"),
        (lambda X: X.reshape(len(X), -1)[:, :-1], "not a square number"),
    ],
)
def test_bad_images_at_fit(shapes, make_X, match):
    X, y = shapes
    with pytest.raises(ValueError, match=match):
        FACTORIES["lenet5"]().fit(make_X(X.astype(float)), y)


def test_mismatched_lengths_empty_input_and_one_class(shapes):
    X, y = shapes
    est = FACTORIES["lenet5"]()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="only one class"):
        est.fit(X, np.zeros_like(y))


def test_predict_before_fit_and_other_image_size(fitted, shapes):
    X, _ = shapes
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clone(fitted).predict(X)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(12, 12, 1\)"):
        fitted.predict(np.zeros((2, 16, 16)))
    with pytest.raises(ValueError, match="expecting 144 features"):
        fitted.predict(np.zeros((2, 100)))


# ------------------------------------------------------------------------- memory


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(
    not __import__("os").path.exists("/proc/self/statm"), reason="needs Linux /proc"
)
def test_thirty_consecutive_fits_do_not_grow_memory(shapes):
    X, y = shapes
    rss = []
    for i in range(30):
        FACTORIES["lenet5"](epochs=1, random_state=i).fit(X, y).predict(X)
        rss.append(_rss_bytes())
    # Compare with the 5th fit: the first ones load and trace TensorFlow kernels.
    assert rss[-1] < 1.10 * rss[4], [f"{r / 2**20:.0f} MiB" for r in rss]


# ---------------------------------------------------------------------- real data


@pytest.mark.parametrize(
    "factory",
    [
        lambda: CNNClassifier(filters=(16, 32), convs_per_block=1, dense_units=64,
                              augment=False, epochs=10, random_state=0),
        lambda: LeNet5Classifier(augment=False, batch_size=32, epochs=10, random_state=0),
    ],
    ids=["cnn", "lenet5"],
)
@pytest.mark.slow
def test_real_sample_accuracy_far_above_chance(fashion_sample, factory):
    """Trains on 800 real Fashion-MNIST images; a one-class collapse scores 10 %."""
    X, y = fashion_sample
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=200, stratify=y, random_state=0
    )
    est = factory().fit(X_train, y_train)
    assert est.score(X_test, y_test) > 0.65
    assert len(np.unique(est.predict(X_test))) == 10


@pytest.mark.parametrize("name", ["fit", "predict", "predict_proba", "score", "set_params"])
def test_public_methods_carry_skfashion_docstrings(name):
    # scikeras' docstrings of these describe options skfashion refuses (such as
    # optimizer__learning_rate) and would land in the API reference.
    from skfashion import TransferClassifier

    for cls in (CNNClassifier, LeNet5Classifier, TransferClassifier):
        method = getattr(cls, name)
        assert method.__module__.startswith("skfashion."), (cls.__name__, name)
        assert "Parameters\n" in method.__doc__ and "Returns\n" in method.__doc__
