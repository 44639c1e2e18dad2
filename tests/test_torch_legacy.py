"""The legacy PyTorch reader on hostile input: every crafted file is refused, fast.

The crafted files are assembled here from pickle opcodes (nothing is committed).
Cases that could crash or hang the interpreter on a regression (reads past a
buffer, exponential reprs) run in a subprocess with a timeout, so that a
regression fails the test instead of killing or blocking pytest.
"""

import hashlib
import pickle
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from skfashion.backbones import _torch_legacy
from skfashion.backbones._lite0_weights import WEIGHTS_SHA256, _find_shipped_weights
from skfashion.backbones._torch_legacy import (
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    LegacyStateDictError,
    load_legacy_state_dict,
)

SHIPPED = _find_shipped_weights()

# ----------------------------------------------------------------- assembler

ORDERED_DICT = b"ccollections\nOrderedDict\n"
REBUILD = b"ctorch._utils\n_rebuild_tensor_v2\n"


def frag(obj):
    """The opcodes that push ``obj`` (ints, strs, tuples, None), without PROTO/STOP."""
    return pickle.dumps(obj, protocol=2)[2:-1]


def whole(body):
    return b"\x80\x02" + body + b"."


def storage_pid(key, numel, view=None, storage_type="FloatStorage"):
    return (
        b"(" + frag("storage") + f"ctorch\n{storage_type}\n".encode() + frag(key)
        + frag("cpu") + frag(numel) + frag(view) + b"tQ"
    )  # fmt: skip


def tensor(pid, offset, size, stride):
    return (
        REBUILD + b"(" + pid + frag(offset) + frag(tuple(size)) + frag(tuple(stride))
        + frag(False) + ORDERED_DICT + b")RtR"
    )  # fmt: skip


def state_dict(tensors):
    """An OrderedDict pickle of ``{name: tensor opcodes}``."""
    items = b"".join(frag(name) + t for name, t in tensors.items())
    return whole(ORDERED_DICT + b")R(" + items + b"u")


def header(sys_info=None):
    if sys_info is None:
        sys_info = {
            "protocol_version": PROTOCOL_VERSION,
            "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4},
        }
    return b"".join(
        pickle.dumps(obj, protocol=2) for obj in (MAGIC_NUMBER, PROTOCOL_VERSION)
    ) + (sys_info if isinstance(sys_info, bytes) else pickle.dumps(sys_info, 2))


def data(storages):
    """Part 5 and 6: the key list, then each storage's count and elements."""
    out = pickle.dumps(list(storages), protocol=2)
    for values in storages.values():
        values = np.asarray(values, dtype="<f4")
        out += np.int64(values.size).astype("<i8").tobytes() + values.tobytes()
    return out


def legacy_file(path, tensors, storages, sys_info=None):
    path.write_bytes(header(sys_info) + state_dict(tensors) + data(storages))
    return path


def billion_laughs(levels=40, width=10):
    """A few hundred bytes of pickle that stand for width**levels nested lists."""
    obj = []
    for _ in range(levels):
        obj = [obj] * width
    return pickle.dumps(obj, protocol=2)


def self_referencing():
    obj = []
    obj.append(obj)
    return pickle.dumps(obj, protocol=2)


def laughing_tuple_keys(levels=40, width=10):
    """A dict whose key is a tuple of width**levels leaves: hashing it never ends."""
    # Assembled by hand: building the dict here would hash the key, forever.
    # Each level is a tuple of `width` memo fetches of the level below.
    body = b"}" + b")q\x00"  # EMPTY_DICT, EMPTY_TUPLE, BINPUT 0
    for level in range(1, levels + 1):
        body += b"(" + b"h" + bytes([level - 1]) * 1
        body += (b"h" + bytes([level - 1])) * (width - 1) + b"tq" + bytes([level])
    return whole(body + b"K\x01s")  # the value 1, SETITEM


def run_isolated(path, timeout=60):
    """Load ``path`` in a fresh interpreter; return 'REFUSED <message>' or 'LOADED'.

    The reader modules are loaded from their files alone, under empty stand-ins
    for the ``skfashion`` packages whose ``__init__`` would import Keras (numpy,
    no Keras, no torch), so each run takes well under a second.
    """
    backbones = Path(_torch_legacy.__file__).parent
    code = (
        "import importlib, sys, types\n"
        f"for name, folder in [('skfashion', {str(backbones.parent)!r}),\n"
        f"                     ('skfashion.backbones', {str(backbones)!r})]:\n"
        "    sys.modules[name] = types.ModuleType(name)\n"
        "    sys.modules[name].__path__ = [folder]\n"
        "m = importlib.import_module('skfashion.backbones._torch_legacy')\n"
        "assert not {'keras', 'tensorflow', 'torch'} & set(sys.modules), 'heavy import'\n"
        "try:\n"
        "    m.load_legacy_state_dict(sys.argv[1])\n"
        "except m.LegacyStateDictError as exc:\n"
        "    print('REFUSED', exc)\n"
        "else:\n"
        "    print('LOADED')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"the reader crashed (exit {proc.returncode}) on {path.name}: {proc.stderr}"
    )
    return proc.stdout.strip()


# ------------------------------------------------------------------ the cases


def test_a_well_formed_crafted_file_loads(tmp_path):
    # The assembler itself is right: the refusals below are not format errors.
    path = legacy_file(
        tmp_path / "ok.pth",
        {"w": tensor(storage_pid("0", 6), 1, (2, 2), (2, 1)),
         "v": tensor(storage_pid("0", 6, ("1", 2, 4)), 0, (4,), (1,))},
        {"0": np.arange(6)},
    )  # fmt: skip
    state = load_legacy_state_dict(path)
    np.testing.assert_array_equal(state["w"], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(state["v"], [2, 3, 4, 5])


def test_a_view_past_its_storage_is_refused_in_a_subprocess(tmp_path):
    # A legacy storage view of 10**6 elements over a storage of 4: reading it
    # would return heap bytes, or segfault (exit 139).
    path = legacy_file(
        tmp_path / "view.pth",
        {"w": tensor(storage_pid("0", 4, ("1", 0, 10**6)), 0, (10**6,), (1,))},
        {"0": np.zeros(4)},
    )
    assert path.stat().st_size < 400
    result = run_isolated(path)
    assert result.startswith("REFUSED"), result
    assert str(path) in result and "has only 4 elements" in result


def test_a_tensor_past_its_storage_is_refused_in_a_subprocess(tmp_path):
    path = legacy_file(
        tmp_path / "offset.pth",
        {"w": tensor(storage_pid("0", 4), 3, (2,), (1,))},
        {"0": np.zeros(4)},
    )
    result = run_isolated(path)
    assert result.startswith("REFUSED") and "overruns" in result, result


def test_a_stride_0_tensor_is_capped_at_the_file_size(tmp_path):
    # (15000, 15000) float32 views of one element: 900 MB from a ~300-byte file.
    path = legacy_file(
        tmp_path / "stride0.pth",
        {"w": tensor(storage_pid("0", 1), 0, (15000, 15000), (0, 0))},
        {"0": [1.0]},
    )
    assert path.stat().st_size < 400
    tracemalloc.start()
    try:
        with pytest.raises(LegacyStateDictError, match="no larger than the file") as info:
            load_legacy_state_dict(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and "900,000,000 bytes" in str(info.value)
    assert peak < 2**20


def test_many_small_stride_0_tensors_are_capped_together(tmp_path):
    # Each tensor is smaller than the file; together they are not.
    pid = storage_pid("0", 1)
    tensors = {f"w{i}": tensor(pid, 0, (300,), (0,)) for i in range(30)}
    path = legacy_file(tmp_path / "many.pth", tensors, {"0": [1.0]})
    assert 300 * 4 < path.stat().st_size < 30 * 300 * 4
    with pytest.raises(LegacyStateDictError, match="bytes left for the tensors"):
        load_legacy_state_dict(path)


@pytest.mark.parametrize(
    "where", ["magic", "sys_info", "keys", "persistent_id", "dict_key", "self_ref"]
)
def test_billion_laughs_fail_fast_in_a_subprocess(tmp_path, where):
    laughs = billion_laughs()
    good = {"w": tensor(storage_pid("0", 1), 0, (1,), (1,))}
    if where == "magic":
        content = laughs
    elif where == "sys_info":
        content = header(sys_info=laughs)
    elif where == "self_ref":
        content = header(sys_info=self_referencing())
    elif where == "keys":
        content = header() + state_dict(good) + laughs
    elif where == "dict_key":
        content = header(sys_info=laughing_tuple_keys())
    else:  # the pickled persistent id itself
        content = header() + whole(laughs[2:-1] + b"Q")
    path = tmp_path / f"laughs_{where}.pth"
    path.write_bytes(content)
    assert len(content) < 2000
    start = time.perf_counter()
    result = run_isolated(path, timeout=60)
    assert result.startswith("REFUSED"), result
    assert str(path) in result and len(result) < 1500
    assert time.perf_counter() - start < 30


def test_messages_are_bounded(tmp_path):
    # A megabyte-long global name reaches the message only truncated.
    name = "x" * 10**6
    path = tmp_path / "long_name.pth"
    path.write_bytes(header() + whole(f"c{name}\n{name}\n".encode() + b")R"))
    with pytest.raises(LegacyStateDictError) as info:
        load_legacy_state_dict(path)
    assert str(path) in str(info.value) and len(str(info.value)) < 1000


def test_a_huge_announced_length_is_truncated_not_allocated(tmp_path):
    # BINUNICODE declaring 4 GB in a 100-byte file.
    path = tmp_path / "huge_string.pth"
    path.write_bytes(header() + b"\x80\x02X\xff\xff\xff\xffabc")
    tracemalloc.start()
    try:
        with pytest.raises(LegacyStateDictError, match="truncated"):
            load_legacy_state_dict(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.parametrize("target", [b"ctorch\nFloatStorage\n", REBUILD])
def test_a_refused_file_cannot_change_what_the_next_one_reads(tmp_path, target):
    # BUILD on a stand-in (pickle's __setstate__ / __dict__.update): with shared
    # module-level stand-ins this poisoned every later load in the process.
    state = frag({"dtype": "u1", "name": "Evil"})
    path = tmp_path / "poison.pth"
    path.write_bytes(header() + whole(target + state + b"b"))
    with pytest.raises(LegacyStateDictError) as info:
        load_legacy_state_dict(path)
    assert str(path) in str(info.value)
    genuine = load_legacy_state_dict(SHIPPED)
    assert genuine["_conv_stem.weight"].dtype == np.float32
    assert genuine["_fc.weight"].shape == (1000, 1280)


def test_every_failure_is_one_type_naming_the_file(tmp_path):
    cases = {
        "unknown_global.pth": header() + whole(b"cos\nsystem\n(S'true'\ntR"),
        "opcode.pth": header() + whole(b"\x8f"),  # EMPTY_SET (protocol 4)
        "key.pth": header() + state_dict(
            {"w": tensor(storage_pid(("k",), 1), 0, (1,), (1,))}
        ),
        "numel.pth": header() + state_dict(
            {"w": tensor(storage_pid("0", -5), 0, (1,), (1,))}
        ),
        "stride.pth": header() + state_dict(
            {"w": tensor(storage_pid("0", 1), 0, (1,), ("a",))}
        ),
        "storage.pth": header() + whole(REBUILD + b"(K\x01K\x00)NtR"),
    }  # fmt: skip
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(LegacyStateDictError) as info:
            load_legacy_state_dict(path)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, pickle.UnpicklingError)
        assert info.value.path == str(path) and str(path) in str(info.value), name


def test_the_genuine_file_is_the_hash_checked_one():
    digest = hashlib.sha256(Path(SHIPPED).read_bytes()).hexdigest()
    assert digest == WEIGHTS_SHA256
    assert run_isolated(Path(SHIPPED)) == "LOADED"
