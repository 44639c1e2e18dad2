"""Unpickle the parts of a legacy PyTorch file safely: stand-ins, opcode scan, errors.

The pickle side of :mod:`skfashion.backbones._torch_legacy`. Only the globals of
the legacy layout are resolved, each to a stand-in created afresh for every file
(``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and the
``torch.<Name>Storage`` types): nothing from ``torch`` is imported and no code named
by the file runs. Before a pickle runs, its opcodes are scanned: only those of the
layout, and no container fetched twice from the memo. Untrusted objects reach
messages only through a bounded :mod:`reprlib` repr, and every failure is a
:class:`LegacyStateDictError` that names the file.
"""

import collections
import pickle
import pickletools
import reprlib

import numpy as np

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


def short_repr(obj):
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


class Storage(_NoSetState):
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


class TensorRef(_NoSetState):
    """What ``_rebuild_tensor_v2`` returns: a strided view, materialised later."""

    __slots__ = ("storage", "storage_offset", "size", "stride")

    def __init__(self, storage, storage_offset, size, stride):
        self.storage = storage
        self.storage_offset = storage_offset
        self.size = size
        self.stride = stride


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _int_tuple(value):
    return (
        isinstance(value, (tuple, list))
        and len(value) <= MAX_NDIM
        and all(is_int(v) for v in value)
    )


class _RebuildTensor(_NoSetState):
    """Stand-in for ``torch._utils._rebuild_tensor_v2``."""

    __slots__ = ()

    def __call__(self, storage, storage_offset, size, stride, *_ignored):
        # The remaining arguments are requires_grad, backward_hooks and, in later
        # versions, metadata: none of them changes the values.
        if not isinstance(storage, (Storage, _StorageView)):
            raise _Refused(f"a tensor whose storage is {short_repr(storage)}")
        if not (
            is_int(storage_offset)
            and _int_tuple(size)
            and _int_tuple(stride)
            and len(size) == len(stride)
        ):
            raise _Refused(
                "a tensor whose offset, size and stride are not an int and two "
                f"tuples of ints of the same length (at most {MAX_NDIM}): "
                f"offset {short_repr(storage_offset)}, size {short_repr(size)}, stride "
                f"{short_repr(stride)}"
            )
        return TensorRef(storage, storage_offset, tuple(size), tuple(stride))


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
                f"an unexpected persistent id {short_repr(pid)}; expected ('storage', "
                "storage_type, key, location, numel, view_metadata)"
            )
        _, storage_type, key, _location, numel, view_metadata = pid
        if not isinstance(storage_type, _StorageType):
            raise _Refused(
                f"a storage of type {short_repr(storage_type)}; expected a torch "
                "storage type"
            )
        _check_key(key)
        if not is_int(numel) or numel < 0:
            raise _Refused(f"storage {key!r} with {short_repr(numel)} elements")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = Storage(key, storage_type.dtype, numel)
        elif not (
            isinstance(storage, Storage)
            and (storage.dtype, storage.numel) == (storage_type.dtype, numel)
        ):
            raise _Refused(f"storage {key!r} announced twice, differently")
        if view_metadata is None:
            return storage
        if not (
            isinstance(view_metadata, tuple)
            and len(view_metadata) == 3
            and is_int(view_metadata[1])
            and is_int(view_metadata[2])
        ):
            raise _Refused(
                f"view metadata {short_repr(view_metadata)} of storage {key!r}; "
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
            f"a storage key {short_repr(key)}; expected a string of 1 to "
            f"{MAX_KEY_LENGTH} characters"
        )


def format_error(path, expected, found):
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
            raise _Refused(
                f"the pickle opcode {opcode.name}, outside the legacy layout"
            )
        if opcode.name.endswith("PUT"):
            memo[arg] = previous
        elif opcode.name.endswith("GET") and memo.get(arg) not in _SHAREABLE:
            raise _Refused(
                "a pickle that fetches a shared container from its memo (a "
                "self-referencing or exponentially shared object)"
            )
        previous = opcode.name
    file.seek(start)


def load_pickle(file, path, what, storages=None):
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
        raise format_error(path, what, found) from None
