"""Training data reach Keras batch by batch, from the caller's own array."""

import tracemalloc

import numpy as np
import pytest

from skfashion import LeNet5Classifier
from skfashion._batches import ImageBatches, split_indices

from .conftest import make_shapes


def _rows_of_epoch(batches):
    return np.concatenate([batches[i][1] for i in range(len(batches))])


def test_batches_keep_dtype_and_cover_the_rows_once_per_epoch():
    X = np.arange(10 * 2 * 2, dtype=np.uint8).reshape(10, 2, 2, 1)
    y = np.arange(10)
    batches = ImageBatches(X, y, indices=np.arange(1, 10), batch_size=4, shuffle=True, seed=0)
    assert len(batches) == 3
    Xb, yb = batches[0]
    assert Xb.dtype == np.uint8 and Xb.shape == (4, 2, 2, 1)
    np.testing.assert_array_equal(Xb, X[yb])
    assert list(yb) == sorted(yb)  # read in increasing order within a batch
    first = _rows_of_epoch(batches)
    assert sorted(first) == list(range(1, 10))  # row 0 was not in indices
    batches.on_epoch_end()
    second = _rows_of_epoch(batches)
    assert sorted(second) == list(range(1, 10))
    assert list(first) != list(second)
    again = ImageBatches(X, y, indices=np.arange(1, 10), batch_size=4, shuffle=True, seed=0)
    np.testing.assert_array_equal(_rows_of_epoch(again), first)
    with pytest.raises(IndexError):
        batches[3]


def test_batches_without_shuffle_keep_the_order_and_carry_weights():
    X = np.zeros((5, 1, 1, 1), np.float32)
    y = np.arange(5)
    w = np.linspace(0.1, 0.5, 5)
    batches = ImageBatches(X, y, w, indices=[4, 0, 2], batch_size=2)
    (_, y0, w0), (_, y1, w1) = batches[0], batches[1]
    assert list(y0) + list(y1) == [4, 0, 2]
    np.testing.assert_allclose(np.r_[w0, w1], w[[4, 0, 2]])
    assert ImageBatches(X, batch_size=2)[2].shape == (1, 1, 1, 1)  # images only


def test_split_indices_leaves_out_zero_weights_and_stratifies():
    y = np.repeat([0, 1], 50)
    w = np.ones(100)
    w[:10] = 0
    train, val = split_indices(y, 0.2, sample_weight=w, random_state=0)
    assert not set(range(10)) & (set(train) | set(val))
    assert len(set(train) | set(val)) == 90 and not set(train) & set(val)
    assert val.size == 18
    assert np.bincount(y[val]).tolist() == [8, 10]  # 40 and 50 rows, stratified
    train, val = split_indices(y, 0, sample_weight=w)
    assert val is None and train.tolist() == list(range(10, 100))


def _traced_peak_of_fit(X, y):
    clf = LeNet5Classifier(epochs=1, batch_size=64, validation_split=0.2, random_state=0)
    tracemalloc.start()
    try:
        clf.fit(X, y)
        return tracemalloc.get_traced_memory()[1], clf
    finally:
        tracemalloc.stop()


def test_fit_makes_no_numpy_copy_of_the_images():
    """Neither cast nor split makes new NumPy arrays of the images during fit.

    Building the model allocates the same Python objects for any data size, so
    the peak traced allocation of a fit on 3,000 images is compared with that
    of a fit on 300: a float32 copy of the images would add 4x their size, a
    split copy 1x, and the test allows a quarter.
    """
    X, y = make_shapes(n_per_class=1000, size=28)  # 3,000 images, 2.4 MB of uint8
    _traced_peak_of_fit(X[:300], y[:300])  # Keras' one-time set-up, not measured
    small, _ = _traced_peak_of_fit(X[:300], y[:300])
    large, clf = _traced_peak_of_fit(X, y)
    assert large - small < 0.25 * X.nbytes, (large, small, X.nbytes)
    assert clf.score(X, y) > 0.6


def test_fit_on_a_memmap_is_the_fit_on_the_array(tmp_path):
    X, y = make_shapes(n_per_class=30)
    path = tmp_path / "images.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    a = LeNet5Classifier(epochs=2, random_state=0).fit(mapped, y)
    b = LeNet5Classifier(epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(a.predict_proba(mapped), a.predict_proba(X))
