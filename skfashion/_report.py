"""Writing the ``skfashion`` command's report folder: tables, JSON, figures.

Every file is written to a temporary name in its folder and then renamed, so
an interrupted run never leaves a half-written report file behind.
"""

import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path


def markdown_table(header, rows):
    """Return a Markdown table of ``rows`` (sequences of cells) under ``header``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path, write):
    """Call ``write(file)`` on a temporary file, then rename it to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private (0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return _atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_json(path, data):
    """Write ``data`` as indented JSON to ``path`` atomically; return the path."""
    text = json.dumps(data, indent=2, default=_json_default, allow_nan=False)
    return write_text(path, text + "\n")


def save_figure(fig, path, dpi=100):
    """Save a Matplotlib figure as PNG atomically, close it, return the path."""
    import matplotlib.pyplot as plt

    try:
        return _atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))
    finally:
        plt.close(fig)


def _json_default(value):
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serialisable")


def environment():
    """Versions and machine facts worth recording next to timings."""
    versions = {}
    for name in ("skfashion", "tensorflow-cpu", "tensorflow", "keras", "scikeras",
                 "scikit-learn", "numpy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "versions": versions,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
