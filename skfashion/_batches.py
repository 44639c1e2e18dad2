"""Training data fed to Keras one batch at a time, straight from the caller's array.

Keras turns a NumPy array passed to ``Model.fit`` into one TensorFlow constant,
a whole copy of the data, and scikit-learn's splitting helpers return copies
too. Here the caller's images stay where they are, in their own dtype (uint8
stays uint8; the model casts and scales inside its graph), and only an array of
row indices is split, shuffled and filtered: each batch copies its own rows and
nothing more. An ``np.memmap`` is therefore read from disk batch by batch,
never loaded whole.
"""

import math

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from skfashion._validation import check_validation_split


class ImageBatches(keras.utils.PyDataset):
    """Batches of ``(X, y[, sample_weight])`` rows chosen by an index array.

    Parameters
    ----------
    X : ndarray of shape (n_samples, height, width, channels)
        The images, indexed but never copied whole (a ``np.memmap`` works).
    y : ndarray of shape (n_samples,) or None
        Encoded targets; None for prediction.
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample weights.
    indices : ndarray of int or None
        The rows to use, in this order unless ``shuffle``; None for all.
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new order of the rows before each epoch. Within a batch the
        rows are read in increasing order (faster on a memory-mapped file; a
        batch's gradient does not depend on the order of its rows).
    seed : int or None, default=None
        Seed of the shuffling.
    """

    def __init__(self, X, y=None, sample_weight=None, *, indices=None, batch_size,
                 shuffle=False, seed=None):
        super().__init__()
        self._arrays = tuple(a for a in (X, y, sample_weight) if a is not None)
        if sample_weight is not None and y is None:
            raise ValueError("sample_weight needs y.")
        self._indices = np.arange(X.shape[0]) if indices is None else np.asarray(indices)
        self.batch_size = int(batch_size)
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._indices
        if shuffle:
            self.on_epoch_end()

    def __len__(self):
        return math.ceil(self._indices.size / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        if self._shuffle:
            rows = np.sort(rows)
        batch = tuple(array[rows] for array in self._arrays)
        return batch if len(batch) > 1 else batch[0]

    def on_epoch_end(self):
        if self._shuffle:
            self._order = self._rng.permutation(self._indices)


def shuffle_seed(seed, call):
    """The seed of the shuffling of a training call.

    ``seed`` itself for call 0 (a fit, a first ``partial_fit``), so a seeded
    fit shuffles as it always did; a seed drawn from both for a later
    ``partial_fit``, which would otherwise repeat the first call's order.

    Parameters
    ----------
    seed : int or None
        The fit's seed; None shuffles unseeded.
    call : int
        The number of training calls on the network before this one.

    Returns
    -------
    seed : int or None

    Examples
    --------
    >>> from skfashion._batches import shuffle_seed
    >>> shuffle_seed(0, 0), shuffle_seed(None, 3), shuffle_seed(0, 1) != shuffle_seed(0, 2)
    (0, None, True)
    """
    if seed is None or call == 0:
        return seed
    return int(np.random.SeedSequence([seed, call]).generate_state(1)[0])


def split_indices(y, validation_split, *, sample_weight=None, random_state=None):
    """Row indices for training and for validation (None when none is held out).

    Rows of weight 0 are left out of both. The validation rows are a random
    ``validation_split`` of the rest, stratified by ``y`` when every class has
    at least two rows and both parts can hold every class; a split that leaves
    a class out of either part is refused
    (:func:`skfashion._validation.check_validation_split`). Nothing but the
    index arrays is copied.
    """
    rows = np.arange(y.shape[0]) if sample_weight is None else np.flatnonzero(sample_weight)
    if not validation_split:
        return rows, None
    check_validation_split(validation_split, y[rows])
    n_val = int(np.ceil(validation_split * rows.size))
    if n_val < 1 or rows.size - n_val < 1:
        return rows, None
    _, counts = np.unique(y[rows], return_counts=True)
    stratify = (
        y[rows]
        if counts.min() >= 2 and min(n_val, rows.size - n_val) >= counts.size
        else None
    )
    train, val = train_test_split(
        rows, test_size=n_val, stratify=stratify, random_state=random_state
    )
    return train, val
