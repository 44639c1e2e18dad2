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
the file runs. Any other global is refused.

The reader is safe on any input, not only on the shipped file (which is
hash-checked before it is read anyway):

* the whole file is read into memory first, so no length announced inside a
  pickle can make the reader allocate more than the file's size;
* every storage, view, offset, size and stride is checked against the bytes
  actually present, and all the tensors together may hold at most as many bytes
  as the file: a stride-0 tensor cannot turn a few bytes into gigabytes;
* each pickle's opcodes are checked before it runs: only those of the layout,
  and no container fetched twice from the memo, so a self-referencing or
  exponentially shared ("billion laughs") structure is refused at once and the
  objects built are never larger than the pickle;
* untrusted objects reach messages only through a bounded :mod:`reprlib` repr,
  and keys are checked to be strings before they are hashed or compared;
* the stand-ins are created afresh for every file and refuse pickle's ``BUILD``
  (``__setstate__``), so no file can change state that another file sees;
* every failure is a :class:`LegacyStateDictError` that names the file.
"""

import collections
import io
import os
import pickle
import pickletools
import reprlib

import numpy as np

__all__ = ["LegacyStateDictError", "load_legacy_state_dict"]

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

#: numpy's limit on the number of dimensions of an array.
MAX_NDIM = 64

#: Longest storage key accepted (PyTorch writes small decimal integers).
MAX_KEY_LENGTH = 64

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlong = 60


def _short(obj):
    """A repr of an untrusted object, bounded in length and nesting depth."""
    return _REPR.repr(obj)


def _short_text(text, limit=200):
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LegacyStateDictError(ValueError, pickle.UnpicklingError):
    """A file is not a readable legacy PyTorch state_dict, or is refused as unsafe.

    One type for every failure of :func:`load_legacy_state_dict`: a format
    error, a truncated file, a global outside the legacy layout, a tensor out
    of the bounds of its storage. It is both a ``ValueError`` and a
    ``pickle.UnpicklingError``.

    Attributes
    ----------
    path : str
        The file that was refused.
    """

    def __init__(self, message, path):
        super().__init__(message)
        self.path = path


class _Refused(Exception):
    """Raised inside the unpickler; the loader turns it into LegacyStateDictError."""


class _NoSetState:
    """A stand-in that a pickle cannot modify: ``BUILD`` is refused."""

    __slots__ = ()

    def __setstate__(self, state):
        raise _Refused(
            f"a pickle BUILD instruction on {type(self).__name__.lstrip('_')}, "
            "which the legacy layout never uses"
        )


class _StorageType(_NoSetState):
    """Stand-in for ``torch.<Name>Storage``: only its element dtype matters."""

    __slots__ = ("name", "dtype")

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])

    def __repr__(self):
        return f"torch.{self.name}"


class _Storage(_NoSetState):
    """A storage announced by the pickle, filled from the data section afterwards."""

    __slots__ = ("key", "dtype", "numel", "array")

    def __init__(self, key, dtype, numel):
        self.key = key
        self.dtype = dtype
        self.numel = numel
        self.array = None  # 1-D array of exactly `numel` elements, once read

    @property
    def data(self):
        return self.array


class _StorageView(_NoSetState):
    """A slice ``[offset : offset + numel]`` of another storage (legacy views)."""

    __slots__ = ("key", "base", "offset", "numel", "dtype")

    def __init__(self, key, base, offset, numel):
        self.key = key
        self.base = base
        self.offset = offset
        self.numel = numel
        self.dtype = base.dtype

    @property
    def data(self):
        # offset + numel <= base.numel was checked when the view was announced.
        return self.base.array[self.offset : self.offset + self.numel]


class _TensorRef(_NoSetState):
    """What ``_rebuild_tensor_v2`` returns: a strided view, materialised later."""

    __slots__ = ("storage", "storage_offset", "size", "stride")

    def __init__(self, storage, storage_offset, size, stride):
        self.storage = storage
        self.storage_offset = storage_offset
        self.size = size
        self.stride = stride


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _int_tuple(value):
    return (
        isinstance(value, (tuple, list))
        and len(value) <= MAX_NDIM
        and all(_is_int(v) for v in value)
    )


class _RebuildTensor(_NoSetState):
    """Stand-in for ``torch._utils._rebuild_tensor_v2``."""

    __slots__ = ()

    def __call__(self, storage, storage_offset, size, stride, *_ignored):
        # The remaining arguments are requires_grad, backward_hooks and, in later
        # versions, metadata: none of them changes the values.
        if not isinstance(storage, (_Storage, _StorageView)):
            raise _Refused(f"a tensor whose storage is {_short(storage)}")
        if not (
            _is_int(storage_offset)
            and _int_tuple(size)
            and _int_tuple(stride)
            and len(size) == len(stride)
        ):
            raise _Refused(
                "a tensor whose offset, size and stride are not an int and two "
                f"tuples of ints of the same length (at most {MAX_NDIM}): "
                f"offset {_short(storage_offset)}, size {_short(size)}, stride "
                f"{_short(stride)}"
            )
        return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of the legacy layout.

    Its stand-ins are its own: nothing it returns or changes outlives it.
    """

    def __init__(self, file, path, storages):
        super().__init__(file)
        self._path = path
        self.storages = storages
        self._globals = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): _RebuildTensor(),
            **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
        }

    def find_class(self, module, name):
        try:
            return self._globals[module, name]
        except KeyError:
            raise LegacyStateDictError(
                f"Refusing to load global '{_short_text(module, 80)}."
                f"{_short_text(name, 80)}' from {self._path!r}: a PyTorch "
                "state_dict in the legacy format needs only "
                "'collections.OrderedDict', 'torch._utils._rebuild_tensor_v2' and "
                "the torch storage types ("
                + ", ".join(f"'torch.{n}'" for n in STORAGE_DTYPES)
                + "). No code named by a file is ever run.",
                self._path,
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise _Refused(
                f"an unexpected persistent id {_short(pid)}; expected ('storage', "
                "storage_type, key, location, numel, view_metadata)"
            )
        _, storage_type, key, _location, numel, view_metadata = pid
        if not isinstance(storage_type, _StorageType):
            raise _Refused(
                f"a storage of type {_short(storage_type)}; expected a torch "
                "storage type"
            )
        _check_key(key)
        if not _is_int(numel) or numel < 0:
            raise _Refused(f"storage {key!r} with {_short(numel)} elements")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, storage_type.dtype, numel)
        elif not (
            isinstance(storage, _Storage)
            and (storage.dtype, storage.numel) == (storage_type.dtype, numel)
        ):
            raise _Refused(f"storage {key!r} announced twice, differently")
        if view_metadata is None:
            return storage
        if not (
            isinstance(view_metadata, tuple)
            and len(view_metadata) == 3
            and _is_int(view_metadata[1])
            and _is_int(view_metadata[2])
        ):
            raise _Refused(
                f"view metadata {_short(view_metadata)} of storage {key!r}; "
                "expected (view_key, offset, numel)"
            )
        view_key, offset, view_numel = view_metadata
        _check_key(view_key)
        if offset < 0 or view_numel < 0 or offset + view_numel > numel:
            raise _Refused(
                f"a view {view_key!r} of elements {offset} to {offset + view_numel} "
                f"of storage {key!r}, which has only {numel} elements"
            )
        view = self.storages.get(view_key)
        if view is None:
            view = self.storages[view_key] = _StorageView(
                view_key, storage, offset, view_numel
            )
        elif not (
            isinstance(view, _StorageView)
            and (view.base, view.offset, view.numel) == (storage, offset, view_numel)
        ):
            raise _Refused(f"storage view {view_key!r} announced twice, differently")
        return view


def _check_key(key):
    # Checked before the key is hashed, compared or formatted.
    if not (isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH):
        raise _Refused(
            f"a storage key {_short(key)}; expected a string of 1 to "
            f"{MAX_KEY_LENGTH} characters"
        )


def _fail(path, expected, found):
    return LegacyStateDictError(
        f"{path!r} is not a readable PyTorch state_dict in the legacy (pre-1.6, "
        f"non-zip) format: expected {expected}, found {found}.",
        path,
    )


def _refused(path, what):
    return LegacyStateDictError(
        f"Refusing {path!r}: it holds {what}. Only PyTorch state_dicts in the "
        "legacy (pre-1.6, non-zip) format are read, and no code named by a file "
        "is ever run.",
        path,
    )


#: The pickle opcodes of the legacy layout (protocol 2), small variants included.
_OPCODES = frozenset({
    "PROTO", "STOP", "MARK", "GLOBAL", "REDUCE", "BUILD", "BINPERSID",
    "PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET",
    "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1",
    "BINFLOAT", "BINUNICODE", "SHORT_BINUNICODE",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "EMPTY_LIST", "APPEND", "APPENDS", "EMPTY_DICT", "SETITEM", "SETITEMS",
})  # fmt: skip

#: What a memo slot may hold for the pickle to fetch it again: globals and
#: strings, as in the legacy layout. Sharing containers is what makes a
#: self-referencing or exponentially shared ("billion laughs") object.
_SHAREABLE = frozenset({"GLOBAL", "BINUNICODE", "SHORT_BINUNICODE"})


def _scan_pickle(file):
    """Check the opcodes of the next pickle without running it; rewind the file.

    A linear pass over the bytes: refuses opcodes outside the legacy layout and
    any memo fetch of a container, so that the objects built are a tree (plus
    shared strings and globals) no larger than the pickle itself.
    """
    start = file.tell()
    memo, previous = {}, None
    for opcode, arg, _ in pickletools.genops(file):
        if opcode.name not in _OPCODES:
            raise _Refused(f"the pickle opcode {opcode.name}, outside the legacy layout")
        if opcode.name.endswith("PUT"):
            memo[arg] = previous
        elif opcode.name.endswith("GET") and memo.get(arg) not in _SHAREABLE:
            raise _Refused(
                "a pickle that fetches a shared container from its memo (a "
                "self-referencing or exponentially shared object)"
            )
        previous = opcode.name
    file.seek(start)


def _load_pickle(file, path, what, storages=None):
    """Unpickle the next part of the file; every failure becomes LegacyStateDictError.

    ``storages`` (a dict) receives the storages the persistent ids announce.
    """
    unpickler = _RestrictedUnpickler(file, path, {} if storages is None else storages)
    try:
        _scan_pickle(file)
        return unpickler.load()
    except LegacyStateDictError:
        raise
    except _Refused as exc:
        raise _refused(path, exc) from None
    except Exception as exc:  # noqa: BLE001 - only stand-ins ran: a format error
        text = _short_text(f"{type(exc).__name__}: {exc}")
        # "truncated": pickle's own error; "only N remain": pickletools' scan.
        if isinstance(exc, EOFError) or "truncated" in text or text.endswith("remain"):
            found = (
                f"the end of the file inside a pickle ({text}): the file is truncated"
            )
        else:
            found = f"bytes that are not a valid pickle ({text})"
        raise _fail(path, what, found) from None


def _read_storages(file, path, storages):
    """Read the data section: the key list, then each storage's count and bytes."""
    keys = _load_pickle(file, path, "the list of storage keys")
    bases = {k for k, s in storages.items() if isinstance(s, _Storage)}
    # Types first: nothing untrusted is hashed or compared before it is a str.
    if not (
        isinstance(keys, list)
        and all(isinstance(k, str) for k in keys)
        and len(keys) == len(bases)
        and set(keys) == bases
    ):
        raise _fail(
            path,
            f"a list of the {len(bases)} storage keys named in the state_dict",
            f"{type(keys).__name__} {_short(keys)}",
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
        count = int(np.frombuffer(header, dtype="<i8")[0])
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
        storage.array = np.frombuffer(raw, dtype=storage.dtype)


def _materialise(name, ref, path, budget):
    """A C-contiguous, writeable, native-endian copy of a strided tensor view.

    ``budget`` is how many bytes the tensors may still take: tensors hold at
    most as many bytes as the file, whatever their strides say.
    """
    data = ref.storage.data
    shape, itemsize = ref.size, data.itemsize
    where = (
        f"tensor {name!r} (size {shape}, stride {ref.stride}, offset "
        f"{ref.storage_offset})"
    )
    if any(s < 0 for s in shape + ref.stride) or ref.storage_offset < 0:
        raise _fail(path, f"a non-negative size, stride and offset for {where}", "")
    n_elements = 1
    for n in shape:
        n_elements *= n
    if n_elements * itemsize > budget:
        raise _fail(
            path,
            f"tensors no larger than the file could hold ({budget:,} bytes left "
            "for the tensors)",
            f"{where} of {n_elements * itemsize:,} bytes",
        )
    if n_elements == 0:
        return np.empty(shape, dtype=data.dtype.newbyteorder("=")), 0
    last = ref.storage_offset + sum(
        (n - 1) * s for n, s in zip(shape, ref.stride, strict=True)
    )
    if last >= data.size:
        raise _fail(
            path,
            f"{where} to fit in its storage of {data.size} elements",
            "it overruns the storage",
        )
    # Bounds proved above: every element read lies in data[offset : last + 1].
    # A dimension of size 1 is never stepped over, so its stride is irrelevant.
    view = np.lib.stride_tricks.as_strided(
        data[ref.storage_offset : last + 1],
        shape=shape,
        strides=tuple(0 if n == 1 else s * itemsize for n, s in zip(shape, ref.stride)),
        writeable=False,
    )
    array = np.array(view, dtype=data.dtype.newbyteorder("="), order="C", copy=True)
    return array, array.nbytes


def load_legacy_state_dict(path):
    """Read a PyTorch state_dict saved in the legacy (pre-1.6) format, without torch.

    Safe on any input: see the module docstring for what is checked.

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
    LegacyStateDictError
        A ``ValueError`` (and ``pickle.UnpicklingError``) naming the file, if it
        is not in the legacy format (a zip-based checkpoint from PyTorch >= 1.6,
        another file), is truncated, holds something other than a mapping of
        names to tensors, names a global other than those of the legacy layout
        (no code named by the file is ever run), or declares a tensor outside
        the bytes it holds.

    Examples
    --------
    >>> from skfashion.backbones._torch_legacy import load_legacy_state_dict
    >>> state = load_legacy_state_dict(path)  # doctest: +SKIP
    >>> state["_conv_stem.weight"].shape  # doctest: +SKIP
    (32, 3, 3, 3)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        content = f.read()
    if content.startswith(b"PK\x03\x04"):
        raise _fail(
            path,
            "a pickled magic number",
            "a zip archive (the format of torch.save since PyTorch 1.6; "
            "load it with torch.load)",
        )
    f = io.BytesIO(content)
    magic = _load_pickle(f, path, f"the magic number {MAGIC_NUMBER:#x}")
    if not (_is_int(magic) and magic == MAGIC_NUMBER):
        raise _fail(path, f"the magic number {MAGIC_NUMBER:#x}", _short(magic))
    version = _load_pickle(f, path, f"protocol version {PROTOCOL_VERSION}")
    if not (_is_int(version) and version == PROTOCOL_VERSION):
        raise _fail(path, f"protocol version {PROTOCOL_VERSION}", _short(version))
    sys_info = _load_pickle(f, path, "the system information dict")
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian") is True):
        raise _fail(
            path, "system information of a little-endian machine", _short(sys_info)
        )
    storages = {}
    state = _load_pickle(f, path, "the pickled state_dict", storages)
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, _TensorRef) for k, v in state.items()
    ):
        raise _fail(
            path,
            "a state_dict (a mapping of names to tensors)",
            f"an object of type {type(state).__name__}",
        )
    _read_storages(f, path, storages)

    result, budget = {}, len(content)
    for name, ref in state.items():
        result[name], n_bytes = _materialise(name, ref, path, budget)
        budget -= n_bytes
    return result
