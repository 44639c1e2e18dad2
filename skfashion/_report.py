"""Writing the ``skfashion`` command's report folder: tables, JSON, figures.

Every file is written to a temporary name in its folder and then renamed, so
an interrupted run never leaves a half-written report file behind. The folder
as a whole is all-or-nothing too: see :func:`staged_folder`.
"""

import contextlib
import fnmatch
import json
import os
import platform
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from skfashion._config import BF16_CPU_FLAGS, cpu_fields
from skfashion._files import atomic_write, umask


def markdown_table(header, rows):
    """Return a Markdown table of ``rows`` (sequences of cells) under ``header``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


#: What a report folder holds: a folder with anything else is never replaced.
REPORT_FILES = ("report.md", "results.json", "*.png")


class ReportFolderError(OSError):
    """The report folder cannot be written, or holds files that are not a report."""


@contextlib.contextmanager
def staged_folder(out):
    """Yield a fresh folder beside ``out``; on success it replaces ``out`` whole.

    The report is written into a new hidden folder in ``out``'s parent, created
    before any training, which proves at once that the report can be written.
    Only when the ``with`` block ends normally does it take ``out``'s place (two
    renames); on any exception, Ctrl-C included, it is removed and the previous
    report stays as it was. So ``out`` always holds one whole run's report, or
    (for the instant between the two renames) nothing: never a mix of two runs.

    A staging folder, rather than removing the previous report before training,
    keeps the last good report until a new one is complete, and it cannot leave
    behind files of an earlier run (the PNGs of a model not run this time).

    Raises
    ------
    ReportFolderError
        Before anything is trained, if ``out`` exists but holds files other than
        a report's (:data:`REPORT_FILES`; they would be lost), or if the folder
        (or its parent) is not writable.
    """
    out = Path(out)
    _check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new",
                                        dir=out.parent))
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes it private (0700)
    except OSError as exc:
        raise ReportFolderError(
            f"--out {str(out)!r}: cannot write the report there ({exc}). Make the "
            "folder writable or choose another one with --out DIR."
        ) from exc
    try:
        yield staging
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old",
                                        dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_replaceable(out):
    if not out.is_dir():
        return
    others = sorted(
        p.name for p in out.iterdir()
        if not (p.is_file() and any(fnmatch.fnmatch(p.name, g) for g in REPORT_FILES))
    )
    if others:
        shown = ", ".join(repr(n) for n in others[:5]) + (", ..." if len(others) > 5 else "")
        raise ReportFolderError(
            f"--out {str(out)!r} holds files that are not a skfashion report "
            f"({shown}); the new report replaces the whole folder. Choose a new "
            "or empty folder with --out DIR, or one holding only a previous "
            "report (report.md, results.json, PNGs)."
        )
    if not os.access(out, os.W_OK | os.X_OK):
        raise ReportFolderError(
            f"--out {str(out)!r} is not writable, so the previous report in it "
            "cannot be replaced. Make it writable or choose another folder with "
            "--out DIR."
        )


def write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_json(path, data):
    """Write ``data`` as indented JSON to ``path`` atomically; return the path."""
    text = json.dumps(data, indent=2, default=_json_default, allow_nan=False)
    return write_text(path, text + "\n")


def save_figure(fig, path, dpi=100):
    """Save a Matplotlib figure as PNG atomically, close it, return the path."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))
    finally:
        plt.close(fig)


def _json_default(value):
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serialisable")


#: CPU flags that decide which kernels TensorFlow and oneDNN can use.
CPU_FLAGS_OF_NOTE = ("avx2", "fma", "avx512f", *BF16_CPU_FLAGS, "amx_tile")


def cpu_description(cpuinfo="/proc/cpuinfo"):
    """The CPU model, family and flags of note, as one line (``"unknown"`` parts if unreadable).

    Examples
    --------
    >>> from skfashion._report import cpu_description
    >>> "cores" in cpu_description()
    True
    """
    fields = cpu_fields(cpuinfo)
    flags = set(fields.get("flags", "").split())
    shown = [f for f in CPU_FLAGS_OF_NOTE if f in flags]
    model = fields.get("model name", platform.processor() or "unknown CPU")
    family = f" (family {fields['cpu family']}, model {fields.get('model', '?')})" \
        if "cpu family" in fields else ""
    return (f"{model}{family}, {os.cpu_count()} cores, flags: "
            f"{' '.join(shown) or 'none of ' + ', '.join(CPU_FLAGS_OF_NOTE)}")


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
        "cpu": cpu_description(),
        "cpu_count": os.cpu_count(),
        "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "versions": versions,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
