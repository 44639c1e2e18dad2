"""Test-time augmentation: the views, the mode, the average, through the estimators."""

import itertools

import keras
import numpy as np
import pytest

import skfashion._tta
from skfashion import CNNClassifier, LeNet5Classifier
from skfashion._tta import (
    SHIFT_TTA_CHUNK_BYTES,
    TTA_SHIFTS,
    average_over_views,
    shift_images,
    tta_mode,
    tta_row_chunks,
    tta_views,
)
from skfashion.layers import RandomShiftAndFlip
from tests.conftest import TINY_CNN

# ------------------------------------------------------------- pure functions


@pytest.mark.parametrize("tta, mode", [(False, None), (None, None), (True, "flip"),
                                       ("flip", "flip"), ("shift", "shift")])
def test_tta_mode_of_the_parameter(tta, mode):
    assert tta_mode(tta) == mode


def test_auto_tta_mode_looks_for_the_flip_layer_in_nested_models():
    inputs = keras.Input((4, 4, 1))
    plain = keras.Model(inputs, keras.layers.Flatten()(inputs))
    inner = keras.Model(inputs, RandomShiftAndFlip(0.1, seed=0)(inputs))
    outer_inputs = keras.Input((4, 4, 1))
    outer = keras.Model(outer_inputs, plain(inner(outer_inputs)))
    assert tta_mode("auto", plain) is None
    assert tta_mode("auto", inner) == "flip"
    assert tta_mode("auto", outer) == "flip"  # the layer is one model down


@pytest.mark.parametrize("mode", [None, "flip", "shift"])
def test_average_over_views_is_the_mean_over_tta_views_chunk_by_chunk(mode, monkeypatch):
    X = np.random.default_rng(1).integers(0, 256, (11, 4, 5, 1), dtype=np.uint8)

    def predict(images):  # a different number per view and per image
        return images.reshape(len(images), -1)[:, :3].astype(float) * np.arange(1, 4)

    want = np.mean([predict(view) for view in tta_views(X, mode)], axis=0)
    np.testing.assert_allclose(average_over_views(predict, X, mode), want)
    # In chunks of 3 rows (mode "shift" only): the same average, row order kept.
    monkeypatch.setattr(skfashion._tta, "SHIFT_TTA_CHUNK_BYTES", 3 * X[:1].nbytes)
    np.testing.assert_allclose(average_over_views(predict, X, mode), want)
    if mode == "shift":
        assert len(list(tta_row_chunks(len(X), X[:1].nbytes, mode))) == 4


@pytest.mark.parametrize("cls", [CNNClassifier, LeNet5Classifier])
def test_tta_averages_the_image_and_its_mirror(cls, noise4):
    X, y = noise4
    params = TINY_CNN if cls is CNNClassifier else dict(epochs=2, random_state=0)
    est = cls(augment=True, **params).fit(X, y)
    assert est.tta == "auto" and est.augment_  # so on
    images = X[:20, :, :, None].astype("float32")
    plain = est.model_.predict(images, verbose=0)
    mirror = est.model_.predict(images[:, :, ::-1], verbose=0)
    np.testing.assert_allclose(est.predict_proba(X[:20]), (plain + mirror) / 2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(plain, mirror)  # so the test can tell the two apart
    est.set_params(tta=False)
    np.testing.assert_allclose(est.predict_proba(X[:20]), plain, rtol=1e-5, atol=1e-6)


def _padded_shift(x, dy, dx):
    """An independent one-pixel shift with zero fill: pad by one, then crop."""
    h, w = x.shape[1:3]
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return padded[:, 1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]


def test_tta_views_are_the_image_and_its_mirror_as_they_are_and_shifted():
    x = np.random.default_rng(0).integers(1, 256, (3, 5, 7, 2), dtype=np.uint8)
    (alone,) = tta_views(x, None)
    assert alone is x
    plain, mirror = tta_views(x, "flip")
    assert plain is x and np.shares_memory(mirror, x)  # no copy
    np.testing.assert_array_equal(mirror, x[:, :, ::-1])
    views = list(tta_views(x, "shift"))
    assert TTA_SHIFTS[0] == (0, 0) and len(TTA_SHIFTS) == 9
    assert set(TTA_SHIFTS) == set(itertools.product((-1, 0, 1), repeat=2))
    assert len(views) == 18
    expected = [_padded_shift(image, dy, dx) for image in (x, x[:, :, ::-1])
                for dy, dx in TTA_SHIFTS]
    for view, want in zip(views, expected):
        assert view.dtype == x.dtype and view.shape == x.shape
        np.testing.assert_array_equal(view, want)
    # Every one-pixel shift of both images, each once: a zero-filled border
    # row or column tells the shifts apart.
    assert len({view.tobytes() for view in views}) == 18


def test_shift_images_moves_content_and_fills_zeros():
    x = np.arange(1, 10, dtype=np.uint8).reshape(1, 3, 3, 1)
    assert shift_images(x, -1, 1)[0, :, :, 0].tolist() == [[0, 4, 5], [0, 7, 8], [0, 0, 0]]
    np.testing.assert_array_equal(shift_images(x, 0, 0), x)
    assert shift_images(x, 0, 0) is not x


def test_tta_views_refuse_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be None, 'flip' or 'shift'"):
        next(tta_views(np.zeros((1, 2, 2, 1)), "mirror"))


@pytest.mark.parametrize("n_samples, image_nbytes", [(1, 784), (10, 784), (200_000, 784),
                                                     (7, 10**9), (100, 3 * 2**20)])
def test_tta_row_chunks_cover_every_row_once_in_order(n_samples, image_nbytes):
    for mode in (None, "flip"):
        assert list(tta_row_chunks(n_samples, image_nbytes, mode)) == [slice(0, n_samples)]
    chunks = list(tta_row_chunks(n_samples, image_nbytes, "shift"))
    rows = np.concatenate([np.arange(n_samples)[chunk] for chunk in chunks])
    np.testing.assert_array_equal(rows, np.arange(n_samples))
    # Each chunk within the budget, or a single row where one row exceeds it.
    assert all((c.stop - c.start) * image_nbytes <= max(SHIFT_TTA_CHUNK_BYTES, image_nbytes)
               for c in chunks)


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_shift_tta_averages_the_18_views(noise4, monkeypatch, chunk_rows):
    X, y = noise4
    est = LeNet5Classifier(epochs=1, augment=True, tta="shift", random_state=0).fit(X, y)
    if chunk_rows:  # 20 rows in chunks of 7, 7 and 6: the same probabilities
        monkeypatch.setattr(skfashion._tta, "SHIFT_TTA_CHUNK_BYTES",
                            chunk_rows * np.asarray(X[:1]).nbytes)
        assert len(list(tta_row_chunks(20, np.asarray(X[:1]).nbytes, "shift"))) == 3
    images = X[:20, :, :, None].astype("float32")
    views = [_padded_shift(image, dy, dx) for image in (images, images[:, :, ::-1])
             for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    proba = [est.model_.predict(view, verbose=0) for view in views]
    np.testing.assert_allclose(est.predict_proba(X[:20]), np.mean(proba, axis=0),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(proba[4], np.mean(proba, axis=0))  # proba[4]: no shift
    flip = np.mean([proba[4], proba[13]], axis=0)
    np.testing.assert_allclose(est.set_params(tta="flip").predict_proba(X[:20]), flip,
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(flip, np.mean(proba, axis=0))


@pytest.mark.parametrize("augment, tta, used", [
    (True, "auto", True), (False, "auto", False), (False, True, True), (True, False, False),
])
def test_auto_tta_follows_the_flip_augmentation(noise4, augment, tta, used):
    X, y = noise4
    est = LeNet5Classifier(epochs=1, augment=augment, tta=tta, random_state=0).fit(X, y)
    plain = est.model_.predict(X[:20, :, :, None].astype("float32"), verbose=0)
    assert np.allclose(est.predict_proba(X[:20]), plain, rtol=1e-5, atol=1e-6) != used


def test_auto_tta_reads_the_fitted_network_not_the_parameter(noise4):
    X, y = noise4
    est = LeNet5Classifier(epochs=1, augment=True, random_state=0).fit(X, y)
    est.set_params(augment=False)  # the fitted network was still trained on mirrors
    assert est._uses_tta()
    est = LeNet5Classifier(epochs=1, random_state=0).fit(X, y)
    assert not est.set_params(augment=True)._uses_tta()
