"""Reader and writer for the IDX file format used by (Fashion-)MNIST.

An IDX file is a big-endian header followed by the array data in C order:

* 4 magic bytes ``0x00 0x00 <dtype code> <ndim>``;
* ``ndim`` big-endian unsigned 32-bit dimensions;
* ``prod(dims)`` big-endian items of the dtype.

========  ==========  ==================
code      numpy       meaning
========  ==========  ==================
``0x08``  ``u1``      unsigned byte
``0x09``  ``i1``      signed byte
``0x0B``  ``>i2``     short
``0x0C``  ``>i4``     int
``0x0D``  ``>f4``     float
``0x0E``  ``>f8``     double
========  ==========  ==================

:func:`read_idx` parses an in-memory buffer; :func:`read_idx_file` reads a
file, gzipped or not, straight into a (possibly preallocated) array while
computing the SHA-256 of the decompressed bytes, so a large file is decompressed
once and never held twice in memory.
"""

import gzip
import hashlib
import math
import os
import sys
import zlib

import numpy as np

__all__ = ["IDXFileError", "read_idx", "read_idx_file", "write_idx"]

# dtype code -> big-endian numpy dtype of the items in the file.
_CODE_TO_DTYPE = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# (kind, itemsize) -> dtype code, to accept an array of either byte order.
_KIND_TO_CODE = {(dt.kind, dt.itemsize): code for code, dt in _CODE_TO_DTYPE.items()}

_MAX_DIM = 2**32 - 1
_CHUNK = 1 << 22  # bytes per readinto() call when streaming


def _describe_codes():
    return ", ".join(
        f"0x{code:02X} ({dt.str.lstrip('|')})" for code, dt in _CODE_TO_DTYPE.items()
    )


def _parse_magic(magic, name):
    """Return ``(big-endian dtype, ndim)`` for the 4 magic bytes."""
    if len(magic) < 4:
        raise ValueError(
            f"{name}: not an IDX file: header too short, expected at least 4 bytes "
            f"of magic number, found {len(magic)}."
        )
    zero0, zero1, code, ndim = bytes(magic[:4])
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"{name}: not an IDX file: bad magic number 0x{bytes(magic[:4]).hex()}; "
            "an IDX file starts with two zero bytes, a dtype code and the number "
            "of dimensions."
        )
    if code not in _CODE_TO_DTYPE:
        raise ValueError(
            f"{name}: bad magic number 0x{bytes(magic[:4]).hex()}: unknown IDX "
            f"dtype code 0x{code:02X}; expected one of {_describe_codes()}."
        )
    return _CODE_TO_DTYPE[code], ndim


def _parse_dims(raw, ndim, name):
    if len(raw) < 4 * ndim:
        raise ValueError(
            f"{name}: IDX header too short: {ndim} dimensions need "
            f"{4 + 4 * ndim} header bytes, found {4 + len(raw)}."
        )
    return tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim))


def _truncated(name, expected, found):
    return ValueError(
        f"{name}: IDX data truncated: expected {expected} bytes of data, found "
        f"{found}."
    )


def _too_long(name, expected, found=None):
    found = "more" if found is None else found
    return ValueError(
        f"{name}: IDX data too long: expected {expected} bytes of data, found "
        f"{found}."
    )


def read_idx(buffer, *, name="<bytes>"):
    """Parse an IDX buffer into a numpy array.

    Parameters
    ----------
    buffer : bytes-like
        The whole (uncompressed) IDX file.
    name : str, default="<bytes>"
        Named in error messages, e.g. the path the bytes came from.

    Returns
    -------
    array : ndarray
        A new, writable, C-contiguous array in native byte order, with the
        shape given by the header.

    Raises
    ------
    ValueError
        If the magic number or dtype code is invalid, the header is too short,
        or the payload is shorter or longer than the dimensions say. The
        message names ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion._idx import read_idx, write_idx
    >>> a = np.arange(6, dtype=np.int16).reshape(2, 3)
    >>> read_idx(write_idx(a))
    array([[0, 1, 2],
           [3, 4, 5]], dtype=int16)
    """
    view = memoryview(buffer).cast("B")
    dtype, ndim = _parse_magic(view[:4], name)
    header = 4 + 4 * ndim
    shape = _parse_dims(view[4:header], ndim, name)
    count = math.prod(shape)
    expected = count * dtype.itemsize
    found = len(view) - header
    if found < expected:
        raise _truncated(name, expected, found)
    if found > expected:
        raise _too_long(name, expected, found)
    data = np.frombuffer(view, dtype=dtype, count=count, offset=header)
    return data.astype(dtype.newbyteorder("="), order="C").reshape(shape)


def _read_exact(fileobj, n):
    """Read up to ``n`` bytes, looping over short reads; fewer means EOF."""
    chunks = []
    while n > 0:
        chunk = fileobj.read(n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class _HeaderMismatchError(ValueError):
    """The header disagrees with the shape or dtype the caller expects."""


def _fill(fileobj, flat, name, update):
    """Fill the byte memoryview ``flat`` from ``fileobj``; raise if the data end first."""
    filled = 0
    while filled < len(flat):
        n = fileobj.readinto(flat[filled : filled + _CHUNK])
        if not n:
            break
        update(flat[filled : filled + n])
        filled += n
    if filled < len(flat):
        raise _truncated(name, len(flat), filled)


def _read_growing(fileobj, expected, name, update):
    """Read ``expected`` bytes into a new uint8 array that grows as data arrive.

    At most one chunk more than the bytes actually present is ever allocated.
    """
    buffer = bytearray()
    while len(buffer) < expected:
        chunk = fileobj.read(min(_CHUNK, expected - len(buffer)))
        if not chunk:
            raise _truncated(name, expected, len(buffer))
        update(chunk)
        buffer += chunk
    return np.frombuffer(buffer, dtype=np.uint8)


def _read_idx_stream(fileobj, *, name, out=None, hasher=None):
    """Read one IDX file from a binary file object into an array.

    The data are read with ``readinto`` straight into the result (or into
    ``out``), so no second copy of the file is made.

    Parameters
    ----------
    fileobj : binary file object
        Positioned at the start of the IDX file (e.g. a ``gzip.GzipFile``).
    name : str
        Named in error messages.
    out : ndarray or None, default=None
        C-contiguous, writable, native-order array to fill. Its shape and dtype
        must match the header exactly, otherwise ``ValueError``.
    hasher : hashlib object or None, default=None
        Updated with every byte of the file, as stored (header included).

    Returns
    -------
    array : ndarray
        ``out`` if given, else a new native-order array.
    """
    update = hasher.update if hasher is not None else lambda data: None
    magic = _read_exact(fileobj, 4)
    update(magic)
    dtype, ndim = _parse_magic(magic, name)
    raw_dims = _read_exact(fileobj, 4 * ndim)
    update(raw_dims)
    shape = _parse_dims(raw_dims, ndim, name)
    native = dtype.newbyteorder("=")
    if out is None:
        # The header is not trusted with an allocation: the buffer grows with
        # the bytes actually read, so a header declaring 2**32 - 1 items costs
        # only what the (truncated) file holds.
        out = _read_growing(fileobj, math.prod(shape) * dtype.itemsize, name, update)
        out = out.view(native).reshape(shape)
    elif out.shape != shape or out.dtype != native:
        raise _HeaderMismatchError(
            f"{name}: IDX header says an array of shape {shape} and dtype "
            f"{dtype.str.lstrip('|<>=')}, expected shape {out.shape} and dtype "
            f"{out.dtype}."
        )
    elif not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("out must be a writable C-contiguous array.")
    else:
        flat = out.reshape(-1).view(np.uint8) if out.size else memoryview(b"")
        _fill(fileobj, memoryview(flat), name, update)
    expected = out.nbytes
    extra = fileobj.read(1)
    if extra:
        update(extra)
        raise _too_long(name, expected)
    if dtype.itemsize > 1 and sys.byteorder == "little":
        out.byteswap(inplace=True)
    return out


class IDXFileError(ValueError):
    """An IDX file cannot be decompressed or parsed.

    Attributes
    ----------
    sha256 : str or None
        Hex SHA-256 of the file's whole decompressed content, or None when it
        cannot be decompressed or was refused on its header alone.
    """

    def __init__(self, message, sha256=None):
        super().__init__(message)
        self.sha256 = sha256


def read_idx_file(path, *, compressed=None, out=None):
    """Read an IDX file, gzipped or not, and the SHA-256 of its decompressed bytes.

    Parameters
    ----------
    path : str or path-like
        The file.
    compressed : bool or None, default=None
        Whether the file is gzipped; None means "if its name ends in .gz".
    out : ndarray or None, default=None
        Writable C-contiguous native-order array to read into; its shape and
        dtype must match the header.

    Returns
    -------
    array : ndarray
        ``out`` if given, else a new writable native-order array.
    sha256 : str
        Hex SHA-256 of the decompressed file, header included.

    Raises
    ------
    IDXFileError
        A ``ValueError`` naming the path, if the file cannot be decompressed
        (truncated or corrupted gzip) or is not a valid IDX file. Its ``sha256``
        is that of the whole decompressed content when it can be computed; it
        is None when the file cannot be decompressed and when the header alone
        disagrees with ``out`` (the data are then not read at all).

    Notes
    -----
    Memory is never allocated on the header's word: into ``out``, a header of
    another shape is refused before any data are read; without ``out``, the
    result grows with the bytes actually read, so a small file declaring a huge
    array fails as truncated after allocating about its own size.
    """
    path = os.fspath(path)
    if compressed is None:
        compressed = path.endswith(".gz")
    hasher = hashlib.sha256()
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as f:
            try:
                array = _read_idx_stream(f, name=path, out=out, hasher=hasher)
            except _HeaderMismatchError as exc:
                # Refused on the header alone: reading (perhaps gigabytes of
                # decompressed) data only to hash them would make it slow.
                raise IDXFileError(str(exc)) from exc
            except ValueError as exc:
                for chunk in iter(lambda: f.read(_CHUNK), b""):
                    hasher.update(chunk)
                raise IDXFileError(str(exc), sha256=hasher.hexdigest()) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IDXFileError(f"{path}: cannot decompress it ({exc})") from exc
    except MemoryError as exc:
        raise IDXFileError(
            f"{path}: not enough memory to read it: its IDX header declares an "
            "array larger than this machine can hold."
        ) from exc
    return array, hasher.hexdigest()


def write_idx(array):
    """Serialise an array to IDX bytes.

    Parameters
    ----------
    array : array-like
        Array of dtype uint8, int8, int16, int32, float32 or float64 (any
        byte order), with at most 255 dimensions each below 2**32.

    Returns
    -------
    data : bytes
        The IDX file: magic number, big-endian dimensions, big-endian data.

    Raises
    ------
    ValueError
        If the dtype or shape cannot be stored in IDX.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion._idx import write_idx
    >>> write_idx(np.array([1, 2], dtype=np.uint8))
    b'\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x02\\x01\\x02'
    """
    array = np.asarray(array)
    code = _KIND_TO_CODE.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(
            f"IDX cannot store dtype {array.dtype}; expected one of uint8, int8, "
            "int16, int32, float32, float64."
        )
    if array.ndim > 255 or any(d > _MAX_DIM for d in array.shape):
        raise ValueError(
            f"IDX cannot store an array of shape {array.shape}: at most 255 "
            f"dimensions, each at most {_MAX_DIM}."
        )
    header = bytes((0, 0, code, array.ndim)) + np.asarray(
        array.shape, dtype=">u4"
    ).tobytes()
    data = np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).tobytes()
    return header + data
