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
the file runs. Any other global is refused. That pickle side (stand-ins, opcode
scan, the error type) is :mod:`skfashion.backbones._torch_pickle`; this module
reads the file's parts in order, the data section and the tensors within bounds.

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

import io
import os

import numpy as np

from skfashion.backbones._torch_pickle import (
    LegacyStateDictError,
    Storage,
    TensorRef,
    format_error,
    is_int,
    load_pickle,
    short_repr,
)

__all__ = ["LegacyStateDictError", "load_legacy_state_dict"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def _read_storages(file, path, storages):
    """Read the data section: the key list, then each storage's count and bytes."""
    keys = load_pickle(file, path, "the list of storage keys")
    bases = {k for k, s in storages.items() if isinstance(s, Storage)}
    # Types first: nothing untrusted is hashed or compared before it is a str.
    if not (
        isinstance(keys, list)
        and all(isinstance(k, str) for k in keys)
        and len(keys) == len(bases)
        and set(keys) == bases
    ):
        raise format_error(
            path,
            f"a list of the {len(bases)} storage keys named in the state_dict",
            f"{type(keys).__name__} {short_repr(keys)}",
        )
    for key in keys:
        storage = storages[key]
        header = file.read(8)
        if len(header) != 8:
            raise format_error(
                path,
                f"an int64 element count for storage {key!r}",
                f"the end of the file after {len(header)} byte(s) (truncated file)",
            )
        count = int(np.frombuffer(header, dtype="<i8")[0])
        if count != storage.numel:
            raise format_error(
                path,
                f"{storage.numel} elements in storage {key!r}",
                f"an element count of {count}",
            )
        n_bytes = storage.numel * storage.dtype.itemsize
        raw = file.read(n_bytes)
        if len(raw) != n_bytes:
            raise format_error(
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
        raise format_error(
            path, f"a non-negative size, stride and offset for {where}", ""
        )
    n_elements = 1
    for n in shape:
        n_elements *= n
    if n_elements * itemsize > budget:
        raise format_error(
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
        raise format_error(
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
        raise format_error(
            path,
            "a pickled magic number",
            "a zip archive (the format of torch.save since PyTorch 1.6; "
            "load it with torch.load)",
        )
    f = io.BytesIO(content)
    magic = load_pickle(f, path, f"the magic number {MAGIC_NUMBER:#x}")
    if not (is_int(magic) and magic == MAGIC_NUMBER):
        raise format_error(
            path, f"the magic number {MAGIC_NUMBER:#x}", short_repr(magic)
        )
    version = load_pickle(f, path, f"protocol version {PROTOCOL_VERSION}")
    if not (is_int(version) and version == PROTOCOL_VERSION):
        raise format_error(
            path, f"protocol version {PROTOCOL_VERSION}", short_repr(version)
        )
    sys_info = load_pickle(f, path, "the system information dict")
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian") is True):
        raise format_error(
            path, "system information of a little-endian machine", short_repr(sys_info)
        )
    storages = {}
    state = load_pickle(f, path, "the pickled state_dict", storages)
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, TensorRef) for k, v in state.items()
    ):
        raise format_error(
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
