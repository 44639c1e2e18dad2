"""Tests for skfashion.preprocessing.ImageResizer."""

import re
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from skfashion.preprocessing import INTERPOLATIONS, LUMA_WEIGHTS, ImageResizer

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None)
LAYOUTS = ("flat", "3d", "4d1", "4d3")


@st.composite
def image_batches(draw, layouts=LAYOUTS, max_side=10, max_samples=4):
    """Draw ``(X, layout, (height, width, channels))`` with values in [0, 255]."""
    layout = draw(st.sampled_from(layouts))
    n_samples = draw(st.integers(1, max_samples))
    height = draw(st.integers(1, max_side))
    width = height if layout == "flat" else draw(st.integers(1, max_side))
    n_channels = 3 if layout == "4d3" else 1
    shape = {
        "flat": (n_samples, height * width),
        "3d": (n_samples, height, width),
        "4d1": (n_samples, height, width, 1),
        "4d3": (n_samples, height, width, 3),
    }[layout]
    X = draw(arrays(np.float32, shape, elements=st.floats(0, 255, width=32)))
    return X, layout, (height, width, n_channels)


sizes = st.one_of(
    st.none(),
    st.integers(1, 40),
    st.tuples(st.integers(1, 40), st.integers(1, 40)),
)


def as_images(X, layout):
    """The (n, height, width, channels) view of a batch drawn by image_batches."""
    if layout == "flat":
        side = int(np.sqrt(X.shape[1]))
        return X.reshape(len(X), side, side, 1)
    return X[..., np.newaxis] if layout == "3d" else X


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    batch=image_batches(),
    size=sizes,
    channels=st.sampled_from([1, 3, None]),
    output=st.sampled_from(["images", "flat"]),
)
def test_output_shape_and_dtype(batch, size, channels, output):
    X, _, (height, width, n_channels) = batch
    if size is None:
        size = (height, width)
    elif isinstance(size, int):
        size = (size, size)
    expected = (len(X), *size, n_channels if channels is None else channels)

    Xt = ImageResizer(size=size, channels=channels, output=output).fit_transform(X)

    assert Xt.dtype == np.float32
    if output == "flat":
        assert Xt.shape == (len(X), int(np.prod(expected[1:])))
    else:
        assert Xt.shape == expected


@PROPERTY_SETTINGS
@given(
    batch=image_batches(),
    size=sizes,
    channels=st.sampled_from([1, 3, None]),
    interpolation=st.sampled_from(INTERPOLATIONS),
)
def test_output_stays_in_each_image_range(batch, size, channels, interpolation):
    # bicubic and lanczos overshoot; the output is clipped to each input image's
    # range, hence to [0, 255] for raw pixel values.
    X, layout, _ = batch
    images = as_images(X, layout)
    resizer = ImageResizer(size=size, channels=channels, interpolation=interpolation)

    Xt = resizer.fit_transform(X)

    assert Xt.min() >= 0 and Xt.max() <= 255
    low = images.min(axis=(1, 2, 3))
    high = images.max(axis=(1, 2, 3))
    assert np.all(Xt.min(axis=(1, 2, 3)) >= low)
    assert np.all(Xt.max(axis=(1, 2, 3)) <= high)


@PROPERTY_SETTINGS
@given(
    batch=image_batches(layouts=("flat", "3d", "4d1")),
    size=sizes,
    interpolation=st.sampled_from(INTERPOLATIONS),
)
def test_gray_to_rgb_repeats_the_gray_resize(batch, size, interpolation):
    X, _, _ = batch
    rgb = ImageResizer(size=size, channels=3, interpolation=interpolation)
    gray = ImageResizer(size=size, channels=1, interpolation=interpolation)

    Xt_rgb = rgb.fit_transform(X)
    Xt_gray = gray.fit_transform(X)

    assert Xt_rgb.shape[-1] == 3
    for channel in range(3):
        assert_array_equal(Xt_rgb[..., channel], Xt_gray[..., 0])


@PROPERTY_SETTINGS
@given(batch=image_batches(), output=st.sampled_from(["images", "flat"]))
def test_same_size_bilinear_is_identity(batch, output):
    X, layout, (height, width, _) = batch
    resizer = ImageResizer(
        size=(height, width), channels=None, interpolation="bilinear", output=output
    )

    Xt = resizer.fit_transform(X)

    expected = as_images(X, layout)
    if output == "flat":
        expected = expected.reshape(len(X), -1)
    assert_array_equal(Xt, expected)


@PROPERTY_SETTINGS
@given(
    batch=image_batches(),
    size=sizes,
    channels=st.sampled_from([1, 3, None]),
    interpolation=st.sampled_from(INTERPOLATIONS),
)
def test_resizing_is_idempotent(batch, size, channels, interpolation):
    X, _, _ = batch
    params = dict(size=size, channels=channels, interpolation=interpolation)
    once = ImageResizer(**params).fit_transform(X)

    twice = ImageResizer(**params).fit_transform(once)

    assert_array_equal(twice, once)


@PROPERTY_SETTINGS
@given(
    value=st.floats(0, 255, width=32),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 12)),
    n_channels=st.sampled_from([1, 3]),
    size=sizes,
    channels=st.sampled_from([1, 3, None]),
    interpolation=st.sampled_from(INTERPOLATIONS),
)
def test_constant_image_stays_constant(
    value, shape, n_channels, size, channels, interpolation
):
    X = np.full((*shape, n_channels), value, dtype=np.float32)
    resizer = ImageResizer(size=size, channels=channels, interpolation=interpolation)

    Xt = resizer.fit_transform(X)

    assert_array_equal(Xt, np.full_like(Xt, value))


@PROPERTY_SETTINGS
@given(
    batch=image_batches(max_samples=9),
    size=sizes,
    channels=st.sampled_from([1, 3, None]),
    interpolation=st.sampled_from(INTERPOLATIONS),
)
def test_chunking_does_not_change_the_output(batch, size, channels, interpolation):
    X, _, _ = batch
    params = dict(size=size, channels=channels, interpolation=interpolation)

    chunked = ImageResizer(batch_size=3, **params).fit_transform(X)
    whole = ImageResizer(batch_size=1000, **params).fit(X)
    one_by_one = np.concatenate([whole.transform(X[i : i + 1]) for i in range(len(X))])

    assert_array_equal(chunked, whole.transform(X))
    assert_array_equal(one_by_one, chunked)


# --------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------


def test_default_makes_32x32_rgb_from_fashion_mnist_layouts():
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(5, 28, 28)).astype(np.uint8)
    for X in (images, images.reshape(5, 784), images[..., np.newaxis]):
        Xt = ImageResizer().fit_transform(X)
        assert Xt.shape == (5, 32, 32, 3)
        assert Xt.dtype == np.float32


def test_rgb_to_gray_uses_bt601_luma():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 255, size=(4, 5, 6, 3)).astype(np.float32)

    Xt = ImageResizer(size=None, channels=1).fit_transform(X)

    expected = X[..., 0] * 0.299 + X[..., 1] * 0.587 + X[..., 2] * 0.114
    assert Xt.shape == (4, 5, 6, 1)
    assert_allclose(Xt[..., 0], expected, rtol=1e-5)
    assert_allclose(LUMA_WEIGHTS, [0.299, 0.587, 0.114])
    pure_red = np.zeros((1, 2, 2, 3), dtype=np.float32)
    pure_red[..., 0] = 255
    assert_allclose(
        ImageResizer(size=None, channels=1).fit_transform(pure_red), 0.299 * 255
    )


def test_rgb_to_gray_commutes_with_resize():
    rng = np.random.RandomState(1)
    X = rng.uniform(0, 255, size=(3, 9, 7, 3)).astype(np.float32)

    gray_then_resize = ImageResizer(size=(13, 5), channels=1).fit_transform(X)
    gray = ImageResizer(size=None, channels=1).fit_transform(X)
    resize_gray = ImageResizer(size=(13, 5), channels=None).fit_transform(gray)

    assert_allclose(gray_then_resize, resize_gray, rtol=1e-5, atol=1e-3)


def test_resize_matches_keras():
    import keras

    rng = np.random.RandomState(2)
    X = rng.uniform(0, 255, size=(3, 10, 10, 1)).astype(np.float32)
    for interpolation in ("bilinear", "nearest", "area"):
        expected = keras.ops.convert_to_numpy(
            keras.ops.image.resize(
                X, (17, 6), interpolation=interpolation, data_format="channels_last"
            )
        )
        resizer = ImageResizer(size=(17, 6), channels=None, interpolation=interpolation)
        assert_array_equal(resizer.fit_transform(X), expected)


def test_bicubic_overshoot_is_clipped():
    X = np.zeros((1, 8, 8, 1), dtype=np.float32)
    X[:, :, 4:] = 255  # a sharp edge makes bicubic and lanczos ring

    for interpolation in ("bicubic", "lanczos3", "lanczos5"):
        Xt = ImageResizer(size=29, channels=None, interpolation=interpolation)
        Xt = Xt.fit_transform(X)
        assert Xt.min() == 0 and Xt.max() == 255


def test_four_channels_pass_through_with_channels_none():
    X = np.random.RandomState(0).uniform(0, 255, size=(2, 5, 5, 4))

    Xt = ImageResizer(size=8, channels=None).fit_transform(X)

    assert Xt.shape == (2, 8, 8, 4)


def test_flat_non_square_input_uses_image_shape():
    X = np.arange(2 * 6 * 4, dtype=np.float32).reshape(2, 24)

    resizer = ImageResizer(size=None, channels=None, image_shape=(6, 4)).fit(X)

    assert resizer.input_shape_ == (6, 4, 1)
    assert_array_equal(resizer.transform(X), X.reshape(2, 6, 4, 1))


def test_fit_records_input_shape_and_n_features():
    X = np.zeros((3, 7, 5, 3))

    resizer = ImageResizer(size=4).fit(X)

    assert resizer.input_shape_ == (7, 5, 3)
    assert resizer.n_features_in_ == 105
    assert ImageResizer().fit(np.zeros((2, 784))).input_shape_ == (28, 28, 1)
    assert ImageResizer().fit(np.zeros((2, 784))).n_features_in_ == 784


def test_input_is_not_modified_nor_aliased():
    X = np.random.RandomState(0).uniform(0, 255, size=(3, 6, 6, 1)).astype(np.float32)
    X_before = X.copy()
    for params in (dict(size=None, channels=None), dict(size=9, channels=3)):
        Xt = ImageResizer(**params).fit_transform(X)
        Xt[...] = -1
        assert_array_equal(X, X_before)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64, np.float32])
@pytest.mark.parametrize("params", [dict(size=None, channels=None), dict(size=9, channels=3)])
def test_output_is_float32_for_every_input_dtype(dtype, params):
    # Without a resize or a channel change, the images used to come back in
    # their own dtype (uint8 stayed uint8).
    X = np.random.RandomState(0).randint(0, 256, size=(3, 6, 6)).astype(dtype)
    Xt = ImageResizer(**params).fit_transform(X)
    assert Xt.dtype == np.float32
    if params["size"] is None:
        assert_array_equal(Xt[..., 0], X.astype(np.float32))


def test_get_feature_names_out_for_flat_output():
    X = np.zeros((2, 5, 5))
    resizer = ImageResizer(size=(2, 3), channels=3, output="flat").fit(X)

    names = resizer.get_feature_names_out()

    assert len(names) == resizer.transform(X).shape[1] == 18
    assert list(names[:2]) == ["pixel0", "pixel1"] and names[-1] == "pixel17"
    with pytest.raises(ValueError, match="input_features should have length"):
        resizer.get_feature_names_out(["a", "b"])


def test_get_feature_names_out_raises_for_image_output():
    resizer = ImageResizer(size=4).fit(np.zeros((2, 5, 5)))

    # Absent rather than broken, so set_output and Pipeline see no names; the
    # reason travels as the cause of sklearn's generic AttributeError.
    assert not hasattr(resizer, "get_feature_names_out")
    with pytest.raises(AttributeError) as excinfo:
        resizer.get_feature_names_out()
    assert "only available with output='flat'" in str(excinfo.value.__cause__)
    assert "Received output='images'" in str(excinfo.value.__cause__)


def test_tags():
    tags = ImageResizer().__sklearn_tags__()

    assert tags.requires_fit
    assert not tags.input_tags.allow_nan
    assert tags.input_tags.three_d_array
    assert tags.transformer_tags.preserves_dtype == ["float32"]


def test_clone_round_trip():
    resizer = ImageResizer(
        size=(12, 9),
        channels=1,
        interpolation="area",
        image_shape=(7, 4),
        output="flat",
        batch_size=5,
    )
    resizer.fit(np.zeros((2, 28)))

    cloned = clone(resizer)

    assert cloned is not resizer
    assert cloned.get_params() == resizer.get_params()
    assert not hasattr(cloned, "input_shape_")
    assert_array_equal(cloned.fit_transform(np.ones((2, 28))), np.ones((2, 108)))


def test_in_pipeline_before_a_plain_classifier():
    # Two classes of 12x12 images: bright on the left or on the right.
    rng = np.random.RandomState(0)
    n_samples = 60
    y = np.arange(n_samples) % 2
    X = rng.uniform(0, 60, size=(n_samples, 12, 12)).astype(np.float32)
    X[y == 0, :, :6] += 150
    X[y == 1, :, 6:] += 150
    pipe = Pipeline(
        [
            ("resize", ImageResizer(size=8, channels=1, output="flat")),
            ("clf", LogisticRegression()),
        ]
    )

    pipe.fit(X[:40], y[:40])

    assert pipe.named_steps["resize"].input_shape_ == (12, 12, 1)
    assert pipe.score(X[40:], y[40:]) >= 0.95
    assert len(pipe[:-1].get_feature_names_out()) == 64
    assert_array_equal(clone(pipe).fit(X[:40], y[:40]).predict(X[40:]), y[40:])


def test_transform_fills_a_preallocated_output():
    # Peak numpy memory during transform: the output and a chunk at a time
    # (0.6 MB over the output here, Zen 3). A list of chunks joined at the end
    # needs one more output-sized array (37 MB), a float32 copy of the uint8
    # input 9.4 MB, a float64 one 18.8 MB: all above the 4.7 MB allowed.
    n_samples, batch_size = 3000, 256
    X = np.random.RandomState(0).randint(0, 256, size=(n_samples, 28, 28))
    X = X.astype(np.uint8)
    resizer = ImageResizer(size=32, channels=3, batch_size=batch_size).fit(X)
    out_bytes = n_samples * 32 * 32 * 3 * 4
    # The first call traces the resizing graph (Python objects that tracemalloc
    # counts, about 160 MB): made before measuring, so that the test does not
    # depend on an earlier test having made it.
    resizer.transform(X[:batch_size])

    tracemalloc.start()
    try:
        Xt = resizer.transform(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert Xt.shape == (n_samples, 32, 32, 3)
    assert peak < out_bytes + 2 * X.nbytes, (peak, out_bytes)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

X_GRAY = np.zeros((2, 6, 6), dtype=np.float32)


@pytest.mark.parametrize(
    "param, value",
    [
        ("size", 0),
        ("size", -3),
        ("size", 2.5),
        ("size", "big"),
        ("size", (0, 5)),
        ("size", (5,)),
        ("size", (2, 3, 4)),
        ("size", (2.0, 3)),
        ("size", (True, 3)),
        ("channels", 0),
        ("channels", 2),
        ("channels", 4),
        ("channels", "rgb"),
        ("channels", True),
        ("interpolation", "cubic"),
        ("interpolation", "BILINEAR"),
        ("interpolation", None),
        ("output", "flattened"),
        ("output", None),
        ("batch_size", 0),
        ("batch_size", 1.5),
        ("batch_size", None),
    ],
)
def test_invalid_parameter_is_named_with_its_value(param, value):
    resizer = ImageResizer(**{param: value})  # __init__ only stores
    got = re.escape(repr(value))
    message = rf"'{param}' parameter of ImageResizer must be .* Got {got} instead"

    with pytest.raises(ValueError, match=message):
        resizer.fit(X_GRAY)
    with pytest.raises(ValueError, match=message):
        ImageResizer().fit(X_GRAY).set_params(**{param: value}).transform(X_GRAY)


def test_invalid_image_shape_is_reported_by_check_images():
    with pytest.raises(ValueError, match="image_shape=.*does not fit"):
        ImageResizer(image_shape=(5, 5)).fit(np.zeros((2, 36)))


def test_wrong_image_shape_at_transform():
    resizer = ImageResizer().fit(np.zeros((2, 28, 28)))

    message = re.escape(
        "X has images of shape (32, 32, 1), but ImageResizer was fitted on images "
        "of shape (28, 28, 1)"
    )
    with pytest.raises(ValueError, match=message):
        resizer.transform(np.zeros((2, 32, 32)))
    with pytest.raises(ValueError, match="X has 1024 features, but ImageResizer is"):
        resizer.transform(np.zeros((2, 1024)))
    with pytest.raises(ValueError, match=re.escape("shape (28, 28, 3), but")):
        resizer.transform(np.zeros((2, 28, 28, 3)))


@pytest.mark.parametrize("channels, n_channels", [(1, 4), (3, 4), (3, 2), (1, 2)])
def test_channel_conversion_other_than_1_and_3_fails(channels, n_channels):
    X = np.zeros((2, 5, 5, n_channels))

    with pytest.raises(ValueError, match="converts between 1 and 3 channels only"):
        ImageResizer(channels=channels).fit(X)
    resizer = ImageResizer(channels=None).fit(X)
    with pytest.raises(ValueError, match=f"channels={channels}"):
        resizer.set_params(channels=channels).transform(X)


def test_five_dimensional_input_fails():
    with pytest.raises(ValueError, match="must have 2, 3 or 4 dimensions"):
        ImageResizer().fit(np.zeros((2, 6, 6, 1, 1)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_fail(bad):
    X = np.zeros((2, 6, 6))
    X[1, 2, 3] = bad
    resizer = ImageResizer().fit(np.zeros((2, 6, 6)))

    with pytest.raises(ValueError, match="NaN|infinity"):
        ImageResizer().fit(X)
    with pytest.raises(ValueError, match="NaN|infinity"):
        resizer.transform(X)


def test_transform_before_fit_fails():
    with pytest.raises(NotFittedError):
        ImageResizer().transform(X_GRAY)


def test_channels_first_input_fails():
    with pytest.raises(ValueError, match="channels-last.*np.moveaxis"):
        ImageResizer().fit(np.zeros((2, 1, 28, 28)))


def test_non_square_flat_input_without_image_shape_fails():
    with pytest.raises(ValueError, match="not a square number"):
        ImageResizer().fit(np.zeros((2, 24)))
