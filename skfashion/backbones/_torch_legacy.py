"""Read a PyTorch state_dict saved in the legacy (pre-1.6, non-zip) format, with numpy.

``torch.save`` wrote this format by default before PyTorch 1.6 (and still does with
``_use_new_zipfile_serialization=False``). A file is six parts, one after another:

1. a pickle of the magic number ``0x1950a86a20f9469cfc6c``;
2. a pickle of the protocol version, ``1001``;
3. a pickle of system information (byte order and C type sizes);
4. the pickle of the object saved: here a state_dict, an ``OrderedDict`` of names to
   tensors. Each tensor is pickled as ``torch._utils._rebuild_tensor_v2(storage,
   storage_offset, size, stride, ...)``; each storage as a *persistent id*
   ``("storage", storage_type, key, location, numel, view_metadata)``;
5. a pickle of the list of the storage keys, in the order of their data;
6. per key: the element count as a little-endian int64, then the raw elements.

Only the globals this layout needs are resolved, each to a local stand-in: nothing
from ``torch`` is imported (PyTorch need not be installed) and no code named by
the file runs. Any other global is refused with :class:`pickle.UnpicklingError`.
"""

import collections
import os
import pickle

import numpy as np

__all__ = ["load_legacy_state_dict"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

#: Storage classes of the legacy format and the little-endian dtype of their elements.
#: (``BFloat16Storage`` has no numpy dtype and is refused like any unknown global.)
STORAGE_DTYPES = {
    "DoubleStorage": "<f8",
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class _StorageType:
    """Stand-in for ``torch.<Name>Storage``: only its element dtype matters."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])

    def __repr__(self):
        return f"torch.{self.name}"


class _Storage:
    """A storage announced by the pickle, filled from the data section afterwards."""

    def __init__(self, key, storage_type, numel):
        self.key = key
        self.dtype = storage_type.dtype
        self.numel = numel
        self.data = None  # 1-D array of `numel` elements, set by `_read_storages`


class _StorageView:
    """A slice ``[offset : offset + numel]`` of another storage (legacy views)."""

    def __init__(self, base, offset, numel):
        self.base = base
        self.offset = offset
        self.numel = numel
        self.dtype = base.dtype

    @property
    def data(self):
        return self.base.data[self.offset : self.offset + self.numel]


class _TensorRef:
    """What ``_rebuild_tensor_v2`` returns: a strided view, materialised later."""

    def __init__(self, storage, storage_offset, size, stride):
        self.storage = storage
        self.storage_offset = int(storage_offset)
        self.size = tuple(int(s) for s in size)
        self.stride = tuple(int(s) for s in stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_ignored):
    # The remaining arguments are requires_grad, backward_hooks and, in later
    # versions, metadata: none of them changes the values.
    return _TensorRef(storage, storage_offset, size, stride)


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
}


class _RefusedError(pickle.UnpicklingError):
    """A global or persistent id outside the legacy layout (never a format error)."""


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of the legacy layout."""

    def __init__(self, file, path):
        super().__init__(file)
        self._path = path
        self.storages = {}

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[module, name]
        except KeyError:
            raise _RefusedError(
                f"Refusing to load global '{module}.{name}' from {self._path!r}: a "
                "PyTorch state_dict in the legacy format needs only "
                "'collections.OrderedDict', 'torch._utils._rebuild_tensor_v2' and "
                "the torch storage types ("
                + ", ".join(f"'torch.{n}'" for n in STORAGE_DTYPES)
                + ")."
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise _RefusedError(
                f"Unexpected persistent id {pid!r} in {self._path!r}; expected "
                "('storage', storage_type, key, location, numel, view_metadata)."
            )
        _, storage_type, key, _location, numel, view_metadata = pid
        if not isinstance(storage_type, _StorageType):
            raise _RefusedError(
                f"Storage {key!r} in {self._path!r} has type {storage_type!r}; "
                "expected a torch storage type."
            )
        if key not in self.storages:
            self.storages[key] = _Storage(key, storage_type, int(numel))
        storage = self.storages[key]
        if view_metadata is None:
            return storage
        view_key, offset, view_numel = view_metadata
        if view_key not in self.storages:
            self.storages[view_key] = _StorageView(
                storage, int(offset), int(view_numel)
            )
        return self.storages[view_key]


#: What a truncated or corrupt pickle raises while it is read.
_FORMAT_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    OverflowError,
)


def _fail(path, expected, found):
    return ValueError(
        f"{path!r} is not a readable PyTorch state_dict in the legacy (pre-1.6, "
        f"non-zip) format: expected {expected}, found {found}."
    )


def _load_pickle(file, path, what):
    """Unpickle the next part of the file; format errors become a clear ValueError.

    Returns the object and the storages its persistent ids announced.
    """
    unpickler = _RestrictedUnpickler(file, path)
    try:
        return unpickler.load(), unpickler.storages
    except _RefusedError:
        raise
    except _FORMAT_ERRORS as exc:
        if isinstance(exc, EOFError) or "truncated" in str(exc):
            found = (
                f"the end of the file inside a pickle ({exc}): the file is truncated"
            )
        else:
            found = f"bytes that are not a valid pickle ({exc!r})"
        raise _fail(path, what, found) from None


def _read_storages(file, path, storages):
    """Read the data section: the key list, then each storage's count and bytes."""
    keys, _ = _load_pickle(file, path, "the list of storage keys")
    if not isinstance(keys, list) or set(keys) != {
        k for k, s in storages.items() if isinstance(s, _Storage)
    }:
        raise _fail(
            path,
            f"a list of the {len(storages)} storage keys named in the state_dict",
            f"{type(keys).__name__} {str(keys)[:80]}",
        )
    for key in keys:
        storage = storages[key]
        header = file.read(8)
        if len(header) != 8:
            raise _fail(
                path,
                f"an int64 element count for storage {key!r}",
                f"the end of the file after {len(header)} byte(s) (truncated file)",
            )
        (count,) = np.frombuffer(header, dtype="<i8")
        if count != storage.numel:
            raise _fail(
                path,
                f"{storage.numel} elements in storage {key!r}",
                f"an element count of {count}",
            )
        n_bytes = storage.numel * storage.dtype.itemsize
        raw = file.read(n_bytes)
        if len(raw) != n_bytes:
            raise _fail(
                path,
                f"{n_bytes} bytes of data for storage {key!r}",
                f"only {len(raw)} byte(s) before the end of the file (truncated file)",
            )
        storage.data = np.frombuffer(raw, dtype=storage.dtype)


def _materialise(name, ref, path):
    """A C-contiguous, writeable, native-endian copy of a strided tensor view."""
    storage = ref.storage
    if any(s < 0 for s in ref.size + ref.stride) or ref.storage_offset < 0:
        raise _fail(
            path,
            f"a non-negative size, stride and offset for tensor {name!r}",
            f"size {ref.size}, stride {ref.stride}, offset {ref.storage_offset}",
        )
    if all(ref.size):
        last = ref.storage_offset + sum(
            (n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True)
        )
        if last >= storage.numel:
            raise _fail(
                path,
                f"tensor {name!r} (size {ref.size}, stride {ref.stride}, offset "
                f"{ref.storage_offset}) to fit in its storage of {storage.numel} "
                "elements",
                "it overruns the storage",
            )
    data = storage.data
    view = np.lib.stride_tricks.as_strided(
        data[ref.storage_offset :] if data.size else data,
        shape=ref.size,
        strides=tuple(s * data.itemsize for s in ref.stride),
        writeable=False,
    )
    return np.array(view, dtype=data.dtype.newbyteorder("="), order="C", copy=True)


def load_legacy_state_dict(path):
    """Read a PyTorch state_dict saved in the legacy (pre-1.6) format, without torch.

    Parameters
    ----------
    path : str or os.PathLike
        File written by ``torch.save(state_dict, path)`` with PyTorch < 1.6 (or with
        ``_use_new_zipfile_serialization=False``).

    Returns
    -------
    state_dict : dict of str to numpy.ndarray
        The tensors in file order, as C-contiguous, writeable arrays with the
        tensors' shapes and the storage dtype (``float32`` for ``FloatStorage``,
        ``int64`` for ``LongStorage``, ...).

    Raises
    ------
    ValueError
        If the file is not in the legacy format (a zip-based checkpoint from
        PyTorch >= 1.6, another file), is truncated, or holds something other than
        a mapping of names to tensors.
    pickle.UnpicklingError
        If the file names a global other than those of the legacy layout: no code
        named by the file is ever run.

    Examples
    --------
    >>> from skfashion.backbones._torch_legacy import load_legacy_state_dict
    >>> state = load_legacy_state_dict(path)  # doctest: +SKIP
    >>> state["_conv_stem.weight"].shape  # doctest: +SKIP
    (32, 3, 3, 3)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith(b"PK\x03\x04"):
            raise _fail(
                path,
                "a pickled magic number",
                "a zip archive (the format of torch.save since PyTorch 1.6; "
                "load it with torch.load)",
            )
        f.seek(0)
        magic, _ = _load_pickle(f, path, f"the magic number {MAGIC_NUMBER:#x}")
        if magic != MAGIC_NUMBER:
            raise _fail(path, f"the magic number {MAGIC_NUMBER:#x}", repr(magic)[:80])
        version, _ = _load_pickle(f, path, f"protocol version {PROTOCOL_VERSION}")
        if version != PROTOCOL_VERSION:
            raise _fail(
                path, f"protocol version {PROTOCOL_VERSION}", repr(version)[:80]
            )
        sys_info, _ = _load_pickle(f, path, "the system information dict")
        if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
            raise _fail(
                path, "system information of a little-endian machine", repr(sys_info)
            )
        state, storages = _load_pickle(f, path, "the pickled state_dict")
        if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, _TensorRef) for k, v in state.items()
        ):
            raise _fail(
                path,
                "a state_dict (a mapping of names to tensors)",
                f"an object of type {type(state).__name__}",
            )
        _read_storages(f, path, storages)

    return {name: _materialise(name, ref, path) for name, ref in state.items()}
