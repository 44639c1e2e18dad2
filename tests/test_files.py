"""The shared file policies: atomic writes and the Keras home folder."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from skfashion import _files


def test_atomic_path_renames_on_success_with_umask_permissions(tmp_path):
    path = tmp_path / "weights.h5"
    with _files.atomic_path(path, suffix=".h5") as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".h5")
        tmp.write_bytes(b"new")
        assert not path.exists()
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_files.umask()
    assert [p.name for p in tmp_path.iterdir()] == ["weights.h5"]


def test_atomic_path_keeps_the_old_file_when_the_block_fails(tmp_path):
    path = tmp_path / "data.gz"
    path.write_bytes(b"old")
    with pytest.raises(ValueError, match="checksum"):
        with _files.atomic_path(path) as tmp:
            tmp.write_bytes(b"corrupt")
            raise ValueError("checksum mismatch")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.gz"]


def test_atomic_path_replaces_a_symlink_not_its_target(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"target")
    link = tmp_path / "link"
    link.symlink_to(target)
    _files.atomic_write(link, lambda f: f.write(b"new"))
    assert target.read_bytes() == b"target"
    assert not link.is_symlink() and link.read_bytes() == b"new"


@pytest.mark.parametrize(
    "value, expected",
    [("/no/such/keras", "/no/such/keras"), ("~/k", "~/k"), ("", "/tmp/.keras")],
)
def test_keras_home_is_the_variable_when_set(monkeypatch, value, expected):
    monkeypatch.setenv("KERAS_HOME", value)
    assert _files.keras_home() == Path(os.path.expanduser(expected))


def test_keras_home_default_is_dot_keras_in_a_writable_home(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _files.keras_home() == tmp_path / ".keras"


@pytest.mark.parametrize("value", ["{tmp}/kh", ""])
def test_keras_home_agrees_with_keras_get_file(tmp_path, value):
    """Keras' public get_file caches under the folder keras_home() names."""
    source = tmp_path / "source.txt"
    source.write_text("x")
    work = tmp_path / "cwd"
    work.mkdir()
    env = dict(os.environ, KERAS_HOME=value.format(tmp=tmp_path))
    code = (
        "import keras, pathlib; from skfashion._files import keras_home; "
        f"got = pathlib.Path(keras.utils.get_file('s.txt', origin={source.as_uri()!r}));"
        "print(got.resolve() == (keras_home() / 'datasets' / 's.txt').resolve())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=work, capture_output=True, text=True
    )
    assert out.stdout.strip().splitlines()[-1:] == ["True"], out.stderr[-2000:]
