"""Tests for the IDX reader and writer (skfashion._idx)."""

import gzip
import hashlib
import io
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skfashion._idx import (
    IDXFileError,
    _read_idx_stream,
    read_idx,
    read_idx_file,
    write_idx,
)

IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


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
    # The name leads the message (NumPy's own "buffer is smaller" would not).
    with pytest.raises(ValueError, match=r"^f\.idx: "):
        read_idx(buffer[:-cut], name="f.idx")
    with pytest.raises(ValueError, match=r"^f\.idx: "):
        _read_idx_stream(io.BytesIO(buffer[:-cut]), name="f.idx")
    with pytest.raises(ValueError, match="too long"):
        read_idx(buffer + b"\x00", name="buf")


def test_known_bytes():
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)
    assert write_idx(a) == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])
    b = np.array([1, -2], dtype="<i4")
    assert write_idx(b) == bytes.fromhex("00000c01" "00000002" "00000001" "fffffffe")
    f = read_idx(bytes.fromhex("00000d01" "00000001" "3fc00000"))
    assert f.dtype == np.float32 and f.dtype.isnative and f[0] == 1.5


def test_real_labels_header(real_files):
    path = real_files["test-labels"]
    raw = gzip.decompress(path.read_bytes())
    labels = read_idx(raw, name=str(path))
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
    sha256 = hashlib.sha256(raw).hexdigest()
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "a.bin").write_bytes(gzip.compress(raw))
    for path, compressed in (("a.gz", None), ("a", None), ("a.bin", True)):
        array, found = read_idx_file(tmp_path / path, compressed=compressed)
        np.testing.assert_array_equal(array, a)
        assert found == sha256 and array.dtype.isnative

    # Truncated gzip: not decompressible, checksum unknown.
    (tmp_path / "t.gz").write_bytes(gzip.compress(raw)[:-30])
    with pytest.raises(IDXFileError, match=r"t\.gz: cannot decompress") as exc_info:
        read_idx_file(tmp_path / "t.gz")
    assert exc_info.value.sha256 is None and isinstance(exc_info.value, ValueError)

    # Too long: the checksum found is that of the whole content.
    (tmp_path / "long").write_bytes(raw + b"xyz")
    with pytest.raises(IDXFileError, match="too long") as exc_info:
        read_idx_file(tmp_path / "long")
    assert exc_info.value.sha256 == hashlib.sha256(raw + b"xyz").hexdigest()


# --------------------------------------------------------------------------
# Headers are never trusted with an allocation


def zeros_gzip(header, n_zeros):
    """A gzip file: ``header`` then ``n_zeros`` zero bytes, a few MB for 2**31.

    Gzip members concatenate, so one compressed member of 16 MiB of zeros is
    repeated instead of compressing gigabytes in the test.
    """
    block = 1 << 24
    member = gzip.compress(bytes(block), compresslevel=9)
    return gzip.compress(header) + member * (n_zeros // block)


def peak_allocation(function, *args, **kwargs):
    """Run ``function``; return (its exception, peak bytes traced by tracemalloc)."""
    tracemalloc.start()
    try:
        function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - returned to the test
        error = exc
    else:
        error = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


@pytest.mark.parametrize(
    "shape", [(2**32 - 1,), (2**32 - 1, 2**32 - 1, 2**32 - 1)], ids=["labels", "images"]
)
def test_huge_header_in_a_small_file_is_truncated_not_allocated(tmp_path, shape):
    # Without `out`, the buffer grows with the data read: a header declaring
    # 2**32 - 1 labels (or 2**96 pixels) fails as truncated, naming the file,
    # instead of a bare MemoryError or a 4 GB allocation.
    header = bytes((0, 0, 0x08, len(shape))) + np.asarray(shape, ">u4").tobytes()
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(header + bytes(1000)))
    error, peak = peak_allocation(read_idx_file, path)
    assert isinstance(error, IDXFileError), error
    assert str(path) in str(error) and "truncated" in str(error)
    assert "found 1000" in str(error)
    assert error.sha256 == hashlib.sha256(header + bytes(1000)).hexdigest()
    assert peak < 16 * 2**20


def test_header_of_another_shape_is_refused_before_reading_the_data(tmp_path):
    # 2**31 labels: 2 GiB once decompressed, 2 MB on disk. Into `out`, the
    # header alone refuses it: no allocation, no decompression of the data.
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(zeros_gzip(b"\x00\x00\x08\x01" + (2**31).to_bytes(4, "big"), 2**31))
    start = time.perf_counter()
    error, peak = peak_allocation(
        read_idx_file, path, out=np.empty(10_000, dtype=np.uint8)
    )
    elapsed = time.perf_counter() - start
    assert isinstance(error, IDXFileError), error
    assert str(path) in str(error)
    assert "shape (2147483648,)" in str(error) and "expected shape (10000,)" in str(error)
    assert error.sha256 is None  # not computed: the data were not read
    assert peak < 16 * 2**20
    assert elapsed < 1.0, f"took {elapsed:.1f} s: the data were read"


def test_memory_error_names_the_file(tmp_path, monkeypatch):
    import skfashion._idx as idx

    def no_memory(*args):
        raise MemoryError

    monkeypatch.setattr(idx, "_read_growing", no_memory)
    path = tmp_path / "labels"
    path.write_bytes(write_idx(np.zeros(3, np.uint8)))
    with pytest.raises(IDXFileError, match=r"labels: not enough memory"):
        read_idx_file(path)
