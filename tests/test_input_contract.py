"""The input contract at estimator level: pixel range, weights, splits, NumPy scalars.

The pure checks behind it are tested in test_validation.py; here each is seen
through ``fit`` and ``predict`` of a real estimator.
"""

import re
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, train_test_split

from skfashion import (
    BackboneFeatures,
    CNNClassifier,
    LeNet5Classifier,
    TransferClassifier,
    load_fashion_mnist,
)
from skfashion._compat import InvalidParameterError
from skfashion._images import check_images
from tests.conftest import make_shapes

TINY = dict(augment=False, epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_per_class=20)


@pytest.fixture(scope="module")
def raw_fit(shapes):
    X, y = shapes
    return LeNet5Classifier(**TINY).fit(X, y)


@pytest.fixture(scope="module")
def unit_fit(shapes):
    X, y = shapes
    return LeNet5Classifier(**TINY).fit(X / 255.0, y)


# --------------------------------------------------------------- pixel contract


def test_auto_pixel_range_is_found_and_stored(raw_fit, unit_fit):
    assert raw_fit.pixel_range_ == (0, 255)
    assert unit_fit.pixel_range_ == (0, 1)


def test_unit_images_train_the_same_model_as_raw_pixels(shapes, raw_fit, unit_fit):
    X, _ = shapes
    np.testing.assert_allclose(
        unit_fit.predict_proba(X / 255.0), raw_fit.predict_proba(X), atol=1e-4
    )


def test_raw_pixels_after_a_unit_fit_are_refused(shapes, unit_fit):
    X, _ = shapes
    with pytest.raises(ValueError) as info:
        unit_fit.predict(X)
    message = str(info.value)
    assert "X has values in [0, 255]" in message
    assert "fitted on images in [0, 1] (pixel_range_=(0, 1))" in message
    assert "X / 255" in message
    with pytest.raises(ValueError, match=r"pixel_range_=\(0, 1\)"):
        unit_fit.score(X.astype(np.float32), shapes[1])


def test_unit_images_after_a_raw_fit_are_warned_about(shapes, raw_fit):
    X, _ = shapes
    with pytest.warns(UserWarning, match=r"fitted on raw pixels in \[0, 255\].*X \* 255"):
        raw_fit.predict(X / 255.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raw_fit.predict(X)  # raw pixels: no warning
        raw_fit.predict(X.astype(np.float64))


def test_stated_pixel_range_refuses_other_images(shapes):
    X, y = shapes
    with pytest.raises(ValueError, match=r"outside the stated pixel_range=\(0, 1\)"):
        LeNet5Classifier(pixel_range=(0, 1), **TINY).fit(X, y)
    with pytest.raises(ValueError, match=r"outside the stated pixel_range=\(0, 255\)"):
        LeNet5Classifier(pixel_range=(0, 255), **TINY).fit(X - 10.0, y)
    with pytest.warns(UserWarning, match=r"pixel_range=\(0, 255\) was stated.*X \* 255"):
        est = LeNet5Classifier(pixel_range=[0, 255], **TINY).fit(X / 255.0, y)
    assert est.pixel_range_ == (0, 255)  # stated: not guessed


def test_auto_pixel_range_warning_names_what_it_found(shapes):
    X, y = shapes
    with pytest.warns(UserWarning, match=r"values outside \[0, 1\] as raw pixels"):
        LeNet5Classifier(**TINY).fit(X / 255.0 - 0.5, y)


@pytest.mark.parametrize("pixel_range", [(0, 2), (0,), ("a", "b"), (-1, 1), "raw"])
def test_bad_pixel_range_is_named(shapes, pixel_range):
    X, y = shapes
    match = (
        r"pixel_range.* must be a str among \{'auto'\}.*Got 'raw'"
        if pixel_range == "raw"
        else r"pixel_range must be 'auto', \(0, 255\) or \(0, 1\). Received pixel_range="
    )
    with pytest.raises(ValueError, match=match):
        LeNet5Classifier(pixel_range=pixel_range, **TINY).fit(X, y)


def test_uint8_images_of_zeros_and_ones_are_warned_about(shapes):
    # Read as raw pixels, binarized uint8 images are nearly black.
    X, y = shapes
    binary = (X > 127).astype(np.uint8)
    with pytest.warns(UserWarning, match="X is uint8 with every value 0 or 1"):
        est = LeNet5Classifier(**TINY).fit(binary, y)
    assert est.pixel_range_ == (0, 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LeNet5Classifier(pixel_range=(0, 255), **TINY).fit(binary, y)  # stated: as they are
        assert LeNet5Classifier(pixel_range=(0, 1), **TINY).fit(binary, y).pixel_range_ == (0, 1)


def test_values_outside_every_pixel_range_are_warned_about_at_fit(shapes):
    X, y = shapes
    with pytest.warns(UserWarning, match=r"X has values in \[-1, 1\], outside the pixel"):
        LeNet5Classifier(**TINY).fit(X / 127.5 - 1, y)


@pytest.mark.slow
def test_real_unit_images_score_as_raw_pixels(real_files):
    """The issue's case: [0, 1] images used to score 56 % against 75 % for raw."""
    X, y = load_fashion_mnist("train", download_if_missing=False, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=3000, test_size=1000, stratify=y, random_state=0
    )
    params = dict(epochs=5, augment=False, validation_split=0.0, random_state=0)
    raw = LeNet5Classifier(**params).fit(X_train, y_train)
    unit = LeNet5Classifier(**params).fit(X_train / 255.0, y_train)
    raw_score = raw.score(X_test, y_test)
    unit_score = unit.score(X_test / 255.0, y_test)
    print(f"{raw_score=} {unit_score=}")
    assert raw_score > 0.6, raw_score
    assert abs(unit_score - raw_score) < 0.02, (unit_score, raw_score)


def test_backbone_features_of_unit_images_are_those_of_raw_pixels():
    """The write-ups' 10 % transfer runs fed [0, 1] images to an ImageNet backbone."""
    X, _ = load_fashion_mnist(subset="sample", return_X_y=True)
    X = X[:16]
    raw = BackboneFeatures(cache=False).fit(X)
    unit = BackboneFeatures(cache=False).fit(X / 255.0)
    assert raw.pixel_range_ == (0, 255) and unit.pixel_range_ == (0, 1)
    np.testing.assert_allclose(unit.transform(X / 255.0), raw.transform(X), atol=1e-3)
    with pytest.warns(UserWarning, match=r"fitted on raw pixels in \[0, 255\]"):
        raw.transform(X / 255.0)
    with pytest.raises(ValueError, match=r"fitted on images in \[0, 1\]"):
        unit.transform(X)


# ----------------------------------------------------------- dtype and copies


def test_uint8_and_float32_images_are_not_copied():
    X = np.arange(4 * 36, dtype=np.uint8).reshape(4, 6, 6)
    for images in (X, X.astype(np.float32), X.reshape(4, 36)):
        checked = check_images(images)
        assert checked.dtype == images.dtype and np.shares_memory(checked, images)
    assert check_images(X.astype(np.float64)).dtype == np.float32
    assert check_images(X.tolist()).dtype == np.float32


def test_memmap_images_are_read_in_place(tmp_path):
    path = tmp_path / "images.u8"
    stored = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(3, 8, 8))
    stored[:] = 7
    stored.flush()
    images = np.load(path, mmap_mode="r")
    checked = check_images(images)
    assert checked.dtype == np.uint8 and np.shares_memory(checked, images)


def test_uint8_images_predict_as_float32_ones(shapes, raw_fit):
    X, _ = shapes
    np.testing.assert_array_equal(
        raw_fit.predict_proba(X), raw_fit.predict_proba(X.astype(np.float32))
    )


# ------------------------------------------------------------- image shapes


@pytest.mark.parametrize(
    "image_shape", [(6, 6), (6, 6, 1), (-1, 6), (6, -1, 1), (6, 6, -1)]
)
@pytest.mark.parametrize("ndim", [2, 3, 4])
def test_a_stated_image_shape_that_fits_reads_any_layout(image_shape, ndim):
    X = np.arange(4 * 36, dtype=np.uint8).reshape(4, 6, 6, 1)
    images = {2: X.reshape(4, 36), 3: X[..., 0], 4: X}[ndim]
    np.testing.assert_array_equal(check_images(images, image_shape=image_shape), X)


@pytest.mark.parametrize(
    "image_shape, images",
    [
        ((28, 28), np.zeros((2, 12, 12), np.uint8)),
        ((12, 10), np.zeros((2, 12, 12), np.uint8)),
        ((12, 12, 3), np.zeros((2, 12, 12, 1), np.uint8)),
        ((-1, 12, 1), np.zeros((2, 12, 10, 1), np.uint8)),
    ],
)
def test_a_stated_image_shape_that_contradicts_shaped_images_is_refused(image_shape, images):
    # Images that have a shape are not reshaped; a stated image_shape they do
    # not have is a mistake, which used to be ignored silently.
    message = f"image_shape={image_shape!r} does not match the images in X, of shape"
    with pytest.raises(ValueError, match=re.escape(message)):
        check_images(images, image_shape=image_shape)


def test_a_classifier_refuses_images_that_contradict_its_image_shape(shapes):
    X, y = shapes  # 12x12 gray images
    est = LeNet5Classifier(image_shape=(28, 28), **TINY)
    with pytest.raises(ValueError, match=r"image_shape=\(28, 28\) does not match .* \(12, 12, 1\)"):
        est.fit(X, y)
    assert not hasattr(est, "model_")
    fitted = LeNet5Classifier(image_shape=(12, 12), **TINY).fit(X, y)
    np.testing.assert_array_equal(
        fitted.predict_proba(X), fitted.predict_proba(X.reshape(len(X), -1))
    )


def test_dataframe_columns_are_checked_at_prediction(shapes):
    # A DataFrame of pixel columns (the Kaggle CSV) in another column order
    # would be other images: refused, as scikit-learn's estimators do.
    X, y = shapes
    df = pd.DataFrame(X.reshape(len(X), -1), columns=[f"pixel{i}" for i in range(144)])
    est = LeNet5Classifier(**TINY).fit(df, y)
    assert list(est.feature_names_in_) == list(df.columns)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        est.predict(df[df.columns[::-1]])
    features = BackboneFeatures(weights=None, input_size=32).fit(df)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        features.transform(df[df.columns[::-1]])


# --------------------------------------------------------- weights and splits


def test_negative_weights_are_refused(shapes):
    X, y = shapes
    with pytest.raises(ValueError, match=r"sample_weight must be non-negative.*\[3\]=-1.0"):
        LeNet5Classifier(**TINY).fit(X, y, sample_weight=np.r_[[1, 1, 1, -1], np.ones(56)])
    with pytest.raises(ValueError, match=r"class_weight values must be .*\{1: -2.0\}"):
        LeNet5Classifier(class_weight={1: -2.0}, **TINY).fit(X, y)


def test_unknown_class_weight_keys_are_refused_by_name(shapes):
    X, y = shapes
    with pytest.raises(ValueError, match=r"not classes of y: \[7, 'x'\]; the classes are \[0, 1, 2\]"):
        LeNet5Classifier(class_weight={0: 1.0, 7: 2.0, "x": 1}, **TINY).fit(X, y)


def test_sample_weight_of_another_length_is_refused(shapes):
    X, y = shapes
    with pytest.raises(ValueError, match=r"shape \(60,\).*shape \(59,\)"):
        LeNet5Classifier(**TINY).fit(X, y, sample_weight=np.ones(59))


def test_validation_split_that_trains_on_one_image_is_refused():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(20, 12, 12), dtype=np.uint8)
    y = np.repeat(np.arange(10), 2)
    with pytest.raises(ValueError) as info:
        LeNet5Classifier(validation_split=0.95, **TINY).fit(X, y)
    message = str(info.value)
    assert "validation_split=0.95 holds out 19 of the 20 images" in message
    assert "leaves 1 for training" in message and "from 0.5 to 0.5" in message


@pytest.mark.parametrize(
    "as_weights", [list, pd.Series, np.asarray], ids=["list", "series", "array"]
)
def test_sample_weight_array_likes_with_class_weight(shapes, as_weights):
    X, y = shapes
    weights = as_weights([1.0] * len(y))
    est = LeNet5Classifier(class_weight="balanced", **TINY).fit(X, y, sample_weight=weights)
    assert est.predict(X).shape == y.shape
    assert list(weights) == [1.0] * len(y)  # the caller's weights are not changed


def test_class_weight_is_a_product_with_sample_weight(shapes):
    X, y = shapes
    by_class = LeNet5Classifier(class_weight={0: 3.0}, **TINY).fit(X, y)
    by_sample = LeNet5Classifier(**TINY).fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


def test_class_weight_and_sample_weight_in_one_fit_multiply(shapes):
    X, y = shapes
    sample_weight = np.linspace(0.5, 2.0, len(y))
    both = LeNet5Classifier(class_weight={0: 3.0, 2: 0.5}, **TINY).fit(
        X, y, sample_weight=sample_weight
    )
    product = sample_weight * np.select([y == 0, y == 2], [3.0, 0.5], 1.0)
    by_sample = LeNet5Classifier(**TINY).fit(X, y, sample_weight=product)
    np.testing.assert_array_equal(both.predict_proba(X), by_sample.predict_proba(X))


def test_a_class_that_weighs_zero_is_warned_about(shapes):
    X, y = shapes
    with pytest.warns(UserWarning, match=r"class\(es\) \[1\] weighs zero \(sample_weight\)"):
        LeNet5Classifier(**TINY).fit(X, y, sample_weight=(y != 1).astype(float))
    with pytest.raises(ValueError, match=r"\(sample_weight times class_weight\) are zero"):
        LeNet5Classifier(class_weight={1: 0.0, 2: 0.0}, **TINY).fit(
            X, y, sample_weight=(y != 0).astype(float)
        )


@pytest.mark.parametrize(
    "as_weights", [list, pd.Series, np.asarray], ids=["list", "series", "array"]
)
def test_partial_fit_weights_as_fit_does(shapes, as_weights):
    # scikeras' partial_fit multiplies sample_weight by the class weights in
    # place: the caller's array or Series would be changed.
    X, y = shapes
    weights = as_weights([1.0] * len(y))
    est = LeNet5Classifier(class_weight={0: 3.0}, **TINY)
    est.partial_fit(X, y, sample_weight=weights).partial_fit(X, y, sample_weight=weights)
    assert est.predict(X).shape == y.shape
    assert list(weights) == [1.0] * len(y)
    by_class = LeNet5Classifier(class_weight={0: 3.0}, **TINY).partial_fit(X, y)
    by_sample = LeNet5Classifier(**TINY).partial_fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


def test_partial_fit_checks_parameters_and_weights_as_fit_does(shapes):
    X, y = shapes
    with pytest.raises(InvalidParameterError, match="'label_smoothing' parameter"):
        LeNet5Classifier(label_smoothing=2.0, **TINY).partial_fit(X, y)
    with pytest.raises(ValueError, match=r"sample_weight must be non-negative"):
        LeNet5Classifier(**TINY).partial_fit(X, y, sample_weight=np.r_[-1.0, np.ones(59)])
    with pytest.raises(ValueError, match=r"not classes of y: \[7\]"):
        LeNet5Classifier(class_weight={7: 2.0}, **TINY).partial_fit(X, y)


def test_partial_fit_checks_class_weight_against_every_class(shapes):
    # A batch may lack a class that class_weight names: partial_fit checks
    # against classes (or classes_), not against the batch's labels.
    X, y = shapes
    first, second = y != 2, y != 0
    est = LeNet5Classifier(class_weight={2: 3.0}, **TINY)
    est.partial_fit(X[first], y[first], classes=[0, 1, 2])
    est.partial_fit(X[second], y[second])
    assert list(est.classes_) == [0, 1, 2]
    by_sample = LeNet5Classifier(**TINY)
    by_sample.partial_fit(
        X[first], y[first], classes=[0, 1, 2], sample_weight=np.ones(first.sum())
    )
    by_sample.partial_fit(X[second], y[second], sample_weight=np.where(y[second] == 2, 3.0, 1.0))
    np.testing.assert_array_equal(est.predict_proba(X), by_sample.predict_proba(X))
    with pytest.raises(ValueError, match=r"not classes of y: \[7\]"):
        LeNet5Classifier(class_weight={7: 2.0}, **TINY).partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_classes_are_sorted_and_fixed_once_built(shapes):
    X, y = shapes
    est = LeNet5Classifier(**TINY).partial_fit(X, y, classes=[2, 0, 1])
    assert isinstance(est.classes_, np.ndarray) and est.classes_.tolist() == [0, 1, 2]
    est.partial_fit(X, y, classes=[1, 2, 0])  # the same classes: trains on
    assert est.classes_.tolist() == [0, 1, 2]
    proba = est.predict_proba(X)
    np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], est.predict(X))
    for classes in ([0, 1, 2, 3], [0, 1]):
        with pytest.raises(ValueError, match=r"differs from the classes of the fitted model"):
            est.partial_fit(X, y, classes=classes)
    with pytest.raises(ValueError, match=r"y has labels that are not classes of the model: \[3\]"):
        est.partial_fit(X, np.where(y == 2, 3, y))
    assert est.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match=r"y has labels that are not classes of the model: \[2\]"):
        LeNet5Classifier(**TINY).partial_fit(X, y, classes=[0, 1])


def test_partial_fit_after_fit_keeps_the_fitted_classes(shapes):
    X, y = shapes
    est = LeNet5Classifier(**TINY).fit(X, y)
    with pytest.raises(ValueError, match=r"differs from the classes of the fitted model"):
        est.partial_fit(X, y, classes=[2, 1, 0, 5])
    est.partial_fit(X[y != 2], y[y != 2])  # a batch without a class
    assert est.classes_.tolist() == [0, 1, 2]
    assert est.predict_proba(X).shape == (len(X), 3)


def test_warm_start_fit_keeps_classes_and_refuses_new_labels(shapes):
    X, y = shapes
    est = LeNet5Classifier(warm_start=True, **TINY).fit(X, y)
    est.fit(X, y)
    assert est.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match=r"not classes of the model: \[3\]"):
        est.fit(X, np.where(y == 2, 3, y))
    # Without warm_start a fit starts anew, with the classes of its y.
    cold = LeNet5Classifier(**TINY).fit(X, y)
    assert cold.fit(X, np.where(y == 2, 3, y)).classes_.tolist() == [0, 1, 3]


@pytest.mark.parametrize(
    "params",
    [
        {"learning_rate": 1e-9},  # compiled in
        {"filters": (4, 8)},  # built in: an architecture parameter
        {"augment": True},
        {"optimizer__beta_1": 0.5},
        {"callbacks": [keras.callbacks.History()]},
        {"random_state": 1},
    ],
    ids=lambda params: next(iter(params)),
)
def test_a_warm_start_refuses_what_it_would_ignore(shapes, params):
    # The network, its compilation and callbacks are the first fit's: these
    # changes used to be ignored without a word.
    X, y = shapes
    est = CNNClassifier(filters=(4,), convs_per_block=1, warm_start=True, **TINY).fit(X, y)
    est.set_params(**params)
    name = next(iter(params))
    with pytest.raises(ValueError, match=rf"warm_start=True goes on training .* {name} \("):
        est.fit(X, y)
    with pytest.raises(ValueError, match=rf"^partial_fit goes on training .* {name} \("):
        est.partial_fit(X, y)
    est.set_params(warm_start=False).fit(X, y)  # a new network takes them


def test_a_warm_start_takes_what_each_fit_reads(shapes):
    X, y = shapes
    est = LeNet5Classifier(warm_start=True, **TINY).fit(X, y)
    est.set_params(epochs=1, batch_size=8, validation_split=0.2, patience=1,
                   class_weight={0: 2.0}, verbose=0, tta=True, fit__shuffle=False)
    est.fit(X, y).partial_fit(X, y)
    assert est.batch_size_ == 8 and "val_loss" in est.history_


def test_partial_fit_refuses_balanced_class_weight(shapes):
    # Balanced by each batch's own frequencies would be a different weighting per call.
    X, y = shapes
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit.*"
                       "compute_class_weight"):
        LeNet5Classifier(class_weight="balanced", **TINY).partial_fit(X, y)


# ---------------------------------------------------------------- fine-tuning

FINE_TUNE = dict(
    backbone="mobilenetv2",
    weights=None, input_size=32,
    head_units=(),
    epochs=1,
    learning_rate=1e-9,  # the head barely moves: what changes comes from fine-tuning
    fine_tune_layers=10,
    fine_tune_epochs=6,
    fine_tune_learning_rate=0.02,
    validation_split=0.0,
    random_state=0,
)


@pytest.fixture(scope="module")
def shapes28():
    return make_shapes(n_per_class=10, size=28)


@pytest.mark.parametrize(
    "as_weights", [list, pd.Series], ids=["list", "series"]
)
def test_fine_tuning_takes_array_like_sample_weight(shapes28, as_weights):
    X, y = shapes28
    est = TransferClassifier(**{**FINE_TUNE, "fine_tune_epochs": 1, "validation_split": 0.2})
    est.fit(X, y, sample_weight=as_weights([1.0] * len(y)))
    assert len(est.history_["loss"]) == 2 and "val_loss" in est.history_


def test_fine_tuning_honours_class_weight(shapes28):
    X, y = shapes28
    plain = TransferClassifier(**FINE_TUNE).fit(X, y)
    weighted = TransferClassifier(class_weight={0: 100.0}, **FINE_TUNE).fit(X, y)
    shift = weighted.predict_proba(X)[:, 0].mean() - plain.predict_proba(X)[:, 0].mean()
    print(shift, np.mean(weighted.predict(X) == 0), np.mean(plain.predict(X) == 0))
    # The head barely trains (learning_rate=1e-9): the shift is fine-tuning's.
    assert shift > 0.05, shift
    assert np.mean(weighted.predict(X) == 0) > np.mean(plain.predict(X) == 0)


def test_fine_tuning_refuses_bad_weights_before_training(shapes28):
    X, y = shapes28
    est = TransferClassifier(**FINE_TUNE)
    with pytest.raises(ValueError, match="non-negative"):
        est.fit(X, y, sample_weight=-np.ones(len(y)))
    # Refused by fit's checks, not by the fine-tuning after the head trained.
    assert not hasattr(est, "model_")


def test_fine_tuning_warns_once_about_a_class_that_weighs_zero(shapes28):
    X, y = shapes28
    est = TransferClassifier(class_weight={2: 0.0}, **{**FINE_TUNE, "fine_tune_epochs": 1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    zero = [w for w in caught if "weighs zero" in str(w.message)]
    assert len(zero) == 1, [str(w.message) for w in caught]
    assert len(est.history_["loss"]) == 2  # the head's epoch and one of fine-tuning


# ---------------------------------------------------------- NumPy scalar params


def test_numpy_random_state_equals_the_python_int(shapes):
    X, y = shapes
    as_int = LeNet5Classifier(**{**TINY, "random_state": 0}).fit(X, y)
    as_numpy = LeNet5Classifier(**{**TINY, "random_state": np.int64(0)}).fit(X, y)
    np.testing.assert_array_equal(as_int.predict_proba(X), as_numpy.predict_proba(X))


def test_numpy_scalars_for_every_number_parameter(shapes):
    X, y = shapes
    est = LeNet5Classifier(
        augment=False,
        epochs=np.int64(2),
        batch_size=np.int32(16),
        learning_rate=np.float32(0.01),
        validation_split=np.float64(0.25),
        patience=np.int64(3),
        dropout=np.float32(0.1),
        random_state=np.int32(1),
        verbose=np.int64(0),
    ).fit(X, y)
    assert len(est.history_["loss"]) == 2


def test_grid_search_over_a_numpy_array_of_input_sizes(shapes28):
    X, y = shapes28
    search = GridSearchCV(
        TransferClassifier(weights=None, head_units=(), epochs=1, validation_split=0.0,
                           random_state=0),
        {"input_size": np.array([32, 48])},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["input_size"] in (32, 48)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
