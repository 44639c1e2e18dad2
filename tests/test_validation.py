"""Unit tests of the pure checks of fit's weights and validation split, and of fractions."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from skfashion._validation import (
    check_class_weight,
    check_fraction,
    check_sample_weight,
    check_validation_split,
    training_weights,
)

# ---------------------------------------------------------------- fractions


@pytest.mark.parametrize("zero_allowed", [True, False])
@pytest.mark.parametrize("one_allowed", [True, False])
@pytest.mark.parametrize("value", [0, 0.0, 0.5, np.float32(0.25), 1, 1.0])
def test_fraction_accepted_iff_in_its_interval(value, zero_allowed, one_allowed):
    inside = (value > 0 or zero_allowed) and (value < 1 or one_allowed)
    if inside:
        result = check_fraction("rate", value, zero_allowed=zero_allowed,
                                one_allowed=one_allowed)
        assert type(result) is float and result == value
    else:
        interval = f"{'[' if zero_allowed else '('}0, 1{']' if one_allowed else ')'}"
        message = f"rate must be a float in {interval}. Received rate={value!r}."
        with pytest.raises(ValueError, match=re.escape(message)):
            check_fraction("rate", value, zero_allowed=zero_allowed, one_allowed=one_allowed)


@pytest.mark.parametrize("value", [True, False, np.bool_(True), "0.5", None, -0.1, 1.5,
                                   float("nan")])
def test_fraction_that_is_no_number_in_0_1_is_refused(value):
    with pytest.raises(ValueError, match=r"rate must be a float in \[0, 1\], of the "
                                         r"image\. Received rate="):
        check_fraction("rate", value, "of the image", one_allowed=True)


# ---------------------------------------------------------------- sample_weight


@pytest.mark.parametrize(
    "weights",
    [[1, 2, 0.5], (1, 2, 0.5), np.array([1, 2, 0.5], dtype=np.float32),
     pd.Series([1, 2, 0.5], index=[10, 20, 30])],
    ids=["list", "tuple", "float32", "series"],
)  # fmt: skip
def test_sample_weight_accepts_array_likes(weights):
    out = check_sample_weight(weights, 3)
    assert out.dtype == np.float64 and out.shape == (3,)
    assert_array_equal(out, [1, 2, 0.5])


def test_sample_weight_none_passes():
    assert check_sample_weight(None, 5) is None


@pytest.mark.parametrize(
    "weights, match",
    [
        ([1, 2], r"shape \(3,\).*Received sample_weight of shape \(2,\)"),
        ([[1, 2, 3]], r"shape \(3,\).*shape \(1, 3\)"),
        ([1, -2, 3], r"non-negative.*1 negative weight\(s\), e.g. sample_weight\[1\]=-2"),
        ([-1, -1, -1], r"3 negative weight"),
        ([0, 0, 0], "must not be all zero.*3 zero weights"),
        ([1, np.nan, 1], "finite numbers.*Received sample_weight="),
        ([1, np.inf, 1], "finite numbers"),
        (["a", "b", "c"], "finite numbers.*'a'"),
    ],
)
def test_sample_weight_refused(weights, match):
    with pytest.raises(ValueError, match=match):
        check_sample_weight(weights, 3)


def test_sample_weight_message_is_bounded():
    with pytest.raises(ValueError) as info:
        check_sample_weight(["x"] * 10_000, 10_000)
    assert len(str(info.value)) < 600


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=20))
def test_sample_weight_non_negative_passes_unless_all_zero(weights):
    if any(weights):
        assert_array_equal(check_sample_weight(weights, len(weights)), weights)
    else:
        with pytest.raises(ValueError, match="all zero"):
            check_sample_weight(weights, len(weights))


# ----------------------------------------------------------------- class_weight


@pytest.mark.parametrize(
    "class_weight",
    [None, "balanced", {0: 1.0, 1: 2}, {1: 0.0}, {np.int64(2): np.float32(0.5)}, {}],
)
def test_class_weight_passes(class_weight):
    assert check_class_weight(class_weight, np.array([0, 1, 2])) is class_weight


def test_class_weight_with_string_classes():
    weights = {"cat": 2.0}
    assert check_class_weight(weights, np.array(["cat", "dog"])) is weights


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({0: 1.0, 7: 2.0, "x": 1},
         r"keys that are not classes of y: \[7, 'x'\]; the classes are \[0, 1, 2\]"),
        ({0: -1.0}, r"non-negative.*\{0: -1.0\}"),
        ({0: -1, 1: -1, 2: -1}, "non-negative"),
        ({0: float("nan")}, "finite non-negative"),
        ({0: "heavy"}, "finite non-negative.*'heavy'"),
        ({0: True}, "finite non-negative"),
        ({0: 0, 1: 0, 2: 0}, "every class zero"),
        ("balance", r"'balanced' or None. Received class_weight='balance'"),
        ([1, 2, 3], r"Received class_weight=\[1, 2, 3\]"),
    ],
)  # fmt: skip
def test_class_weight_refused(class_weight, match):
    with pytest.raises(ValueError, match=match):
        check_class_weight(class_weight, np.array([0, 1, 2]))


# ------------------------------------------------------------- validation_split


def labels(n_per_class, n_classes=10):
    return np.repeat(np.arange(n_classes), n_per_class)


@pytest.mark.parametrize("split", [0, 0.0, 0.1, 0.5, 0.9])
def test_validation_split_passes(split):
    assert check_validation_split(split, labels(10)) == split


def test_validation_split_zero_passes_on_any_labels():
    assert check_validation_split(0.0, [0]) == 0.0


def test_validation_split_that_trains_on_one_image_is_refused():
    # The case: 0.95 of 20 images trains on one image of one class.
    y = labels(2)
    with pytest.raises(ValueError) as info:
        check_validation_split(0.95, y)
    message = str(info.value)
    assert "validation_split=0.95 holds out 19 of the 20 images" in message
    assert "leaves 1 for training" in message and "each of the 10 classes" in message
    assert "Use a validation_split from 0.5 to 0.5" in message


def test_validation_split_that_holds_out_too_few_is_refused():
    with pytest.raises(ValueError, match=r"holds out 5 of the 100 images.*from 0.1 to 0.9"):
        check_validation_split(0.05, labels(10))


def test_validation_split_with_a_single_image_class_is_refused():
    y = np.r_[labels(5, 3), [7]]
    with pytest.raises(ValueError, match=r"class\(es\) \[7\] have only 1 of the 16"):
        check_validation_split(0.5, y)


@pytest.mark.parametrize("split", [1, 1.0, -0.1, 0.99 + 0.02, float("nan"), "0.1",
                                   True, None])
def test_validation_split_out_of_range_is_refused(split):
    with pytest.raises(ValueError, match=r"in \[0, 1\). Received validation_split="):
        check_validation_split(split, labels(10))


@given(st.integers(1, 30), st.integers(2, 10), st.floats(0.001, 0.999))
def test_validation_split_accepted_iff_both_parts_hold_every_class(n_per_class,
                                                                   n_classes, split):
    y = labels(max(n_per_class, 2), n_classes)
    n_val = int(np.ceil(split * y.size))
    fits = min(n_val, y.size - n_val) >= n_classes
    if fits:
        assert check_validation_split(split, y) == split
    else:
        with pytest.raises(ValueError, match="each part needs"):
            check_validation_split(split, y)


# ----------------------------------------------------------- training weights


def test_training_weights_multiply_and_leave_the_callers_array_alone():
    sample_weight = np.array([1.0, 2.0, 0.5, 1.0])
    weights = training_weights(["a", "a", "b", "b"], sample_weight, {"a": 1.0, "b": 4.0})
    assert_array_equal(weights, [1.0, 2.0, 2.0, 4.0])
    assert_array_equal(sample_weight, [1.0, 2.0, 0.5, 1.0])
    assert training_weights([0, 1], None, None) is None
    assert_array_equal(training_weights([0, 0, 1], None, "balanced"), [0.75, 0.75, 1.5])


def test_training_weights_class_weight_may_name_every_class_of_classes():
    # partial_fit: a batch without class 2, weights for all three classes.
    weights = training_weights([0, 1], None, {0: 1.0, 1: 2.0, 2: 3.0}, classes=[0, 1, 2])
    assert_array_equal(weights, [1.0, 2.0])
    with pytest.raises(ValueError, match="class_weight has keys that are not classes of y"):
        training_weights([0, 1], None, {0: 1.0, 1: 2.0, 2: 3.0})


def test_training_weights_without_y_name_the_estimator():
    class Model:
        pass

    with pytest.raises(ValueError, match="^Model requires y to be passed"):
        training_weights(None, None, None, estimator=Model())


def test_training_weights_that_zero_every_sample_are_refused():
    # Each weight alone is valid; their product is zero everywhere.
    with pytest.raises(ValueError, match=r"\(sample_weight times class_weight\) are zero"):
        training_weights([0, 0, 1], [1.0, 1.0, 0.0], {0: 0.0, 1: 1.0})


@pytest.mark.parametrize(
    "sample_weight, class_weight, what, expected",
    [
        ([1.0, 1.0, 0.0, 0.0, 1.0], None, "sample_weight", "['b']"),
        (None, {"b": 0.0, "c": 0.0}, "class_weight", "['b', 'c']"),
        # One sample of b still weighs: only c is unlearned.
        ([1.0, 1.0, 0.0, 1.0, 1.0], {"b": 2.0, "c": 0.0}, "sample_weight times class_weight",
         "['c']"),
    ],
)
def test_training_weights_warn_about_a_class_that_weighs_zero(sample_weight, class_weight, what,
                                                             expected):
    y = ["a", "a", "b", "b", "c"]
    with pytest.warns(UserWarning, match=re.escape(f"class(es) {expected} weighs zero ({what})")):
        training_weights(y, sample_weight, class_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training_weights(y, sample_weight, class_weight, warn=False)


def test_training_weights_do_not_warn_when_every_class_weighs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training_weights([0, 0, 1], [0.0, 1.0, 1.0], {0: 1.0, 1: 0.5})
