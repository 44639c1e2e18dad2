"""Tests for the IDX reader and writer (skfashion._idx)."""

import gzip
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skfashion._idx import IDXFileError, _read_idx_stream, read_idx, read_idx_file, write_idx

IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
DEBIAN_TEST_LABELS = Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")


def _dtypes():
    """Every IDX dtype, in both byte orders (one-byte types have none)."""
    return st.sampled_from(sorted(IDX_DTYPES.values(), key=str)).flatmap(
        lambda dt: st.sampled_from([dt, dt.newbyteorder("<"), dt.newbyteorder(">")])
    )


arrays = _dtypes().flatmap(
    lambda dt: hnp.arrays(
        dtype=dt,
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    )
)


def _native_bytes(a):
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("=")).tobytes()


@settings(max_examples=150, deadline=None)
@given(arrays)
def test_round_trip_every_dtype(a):
    buffer = write_idx(a)
    code = buffer[2]
    assert buffer[:2] == b"\x00\x00" and buffer[3] == a.ndim
    assert IDX_DTYPES[code].kind == a.dtype.kind
    assert IDX_DTYPES[code].itemsize == a.dtype.itemsize
    assert len(buffer) == 4 + 4 * a.ndim + a.nbytes

    for b in (
        read_idx(buffer, name="x"),
        read_idx(bytearray(buffer)),
        read_idx(memoryview(buffer)),
        _read_idx_stream(io.BytesIO(buffer), name="x"),
    ):
        assert b.shape == a.shape
        assert b.dtype.isnative and b.dtype.kind == a.dtype.kind
        assert b.dtype.itemsize == a.dtype.itemsize
        assert b.flags.writeable and b.flags.c_contiguous
        # Bytes, not values: NaN payloads and -0.0 must survive too.
        assert b.tobytes() == _native_bytes(a)
        b[...] = 0  # writable for real


@settings(max_examples=60, deadline=None)
@given(arrays.filter(lambda a: a.nbytes > 0), st.data())
def test_truncated_or_padded_buffer_raises(a, data):
    buffer = write_idx(a)
    cut = data.draw(st.integers(1, len(buffer)), label="cut")
    with pytest.raises(ValueError, match="buf"):
        read_idx(buffer[:-cut], name="buf")
    with pytest.raises(ValueError, match="buf"):
        _read_idx_stream(io.BytesIO(buffer[:-cut]), name="buf")
    with pytest.raises(ValueError, match="too long"):
        read_idx(buffer + b"\x00", name="buf")


def test_known_bytes():
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)
    assert write_idx(a) == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])
    b = np.array([1, -2], dtype="<i4")
    assert write_idx(b) == bytes.fromhex("00000c01" "00000002" "00000001" "fffffffe")
    f = read_idx(bytes.fromhex("00000d01" "00000001" "3fc00000"))
    assert f.dtype == np.float32 and f.dtype.isnative and f[0] == 1.5


def test_real_labels_header():
    # The real file must be installed (Debian package dataset-fashion-mnist).
    assert DEBIAN_TEST_LABELS.is_file(), "apt-get install dataset-fashion-mnist"
    raw = gzip.decompress(DEBIAN_TEST_LABELS.read_bytes())
    labels = read_idx(raw, name=str(DEBIAN_TEST_LABELS))
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    np.testing.assert_array_equal(labels[:5], [9, 2, 1, 1, 6])
    assert write_idx(labels) == raw


def test_truncated_message():
    buffer = write_idx(np.zeros((2, 3), dtype=">i2"))
    with pytest.raises(
        ValueError, match=r"^x\.idx: .*truncated: expected 12 bytes of data, found 7\.$"
    ):
        read_idx(buffer[:-5], name="x.idx")
    with pytest.raises(ValueError, match=r"truncated: expected 12 bytes of data, found 7"):
        _read_idx_stream(io.BytesIO(buffer[:-5]), name="x.idx")


def test_too_long_message():
    buffer = write_idx(np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"^f: .*expected 3 bytes of data, found 5\.$"):
        read_idx(buffer + b"ab", name="f")
    with pytest.raises(ValueError, match=r"^f: .*too long"):
        _read_idx_stream(io.BytesIO(buffer + b"ab"), name="f")


@pytest.mark.parametrize(
    "buffer, match",
    [
        (b"", "header too short"),
        (b"\x00\x00\x08", "header too short"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", "bad magic number 0x01000801"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x00", "unknown IDX dtype code 0x0A"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x01", "header too short"),
    ],
)
def test_bad_header(buffer, match):
    with pytest.raises(ValueError, match=match) as exc_info:
        read_idx(buffer, name="the-file")
    assert "the-file" in str(exc_info.value)
    with pytest.raises(ValueError, match=match):
        _read_idx_stream(io.BytesIO(buffer), name="the-file")


def test_default_name_in_message():
    with pytest.raises(ValueError, match="<bytes>"):
        read_idx(b"\x00\x00\x08")


@pytest.mark.parametrize("dtype", ["int64", "uint16", "bool", "complex64", "U1"])
def test_write_rejects_unsupported_dtype(dtype):
    with pytest.raises(ValueError, match="IDX cannot store dtype"):
        write_idx(np.zeros(2, dtype=dtype))


def test_stream_into_out():
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    out = np.empty((2, 3, 4), dtype=np.int32)
    result = _read_idx_stream(io.BytesIO(write_idx(a)), name="s", out=out)
    assert result is out
    np.testing.assert_array_equal(out, a)
    with pytest.raises(ValueError, match=r"s: IDX header says .*shape \(2, 3, 4\)"):
        _read_idx_stream(io.BytesIO(write_idx(a)), name="s", out=np.empty((2, 12), np.int32))
    with pytest.raises(ValueError, match="dtype"):
        _read_idx_stream(io.BytesIO(write_idx(a)), name="s", out=np.empty_like(a, np.int16))


def test_read_idx_file(tmp_path):
    a = np.arange(60, dtype=">f8").reshape(3, 4, 5)
    raw = write_idx(a)
    md5 = hashlib.md5(raw).hexdigest()
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "a.bin").write_bytes(gzip.compress(raw))
    for path, compressed in (("a.gz", None), ("a", None), ("a.bin", True)):
        array, found = read_idx_file(tmp_path / path, compressed=compressed)
        np.testing.assert_array_equal(array, a)
        assert found == md5 and array.dtype.isnative

    # Truncated gzip: not decompressible, md5 unknown.
    (tmp_path / "t.gz").write_bytes(gzip.compress(raw)[:-30])
    with pytest.raises(IDXFileError, match=r"t\.gz: cannot decompress") as exc_info:
        read_idx_file(tmp_path / "t.gz")
    assert exc_info.value.md5 is None and isinstance(exc_info.value, ValueError)

    # Too long: the md5 found is that of the whole content.
    (tmp_path / "long").write_bytes(raw + b"xyz")
    with pytest.raises(IDXFileError, match="too long") as exc_info:
        read_idx_file(tmp_path / "long")
    assert exc_info.value.md5 == hashlib.md5(raw + b"xyz").hexdigest()
