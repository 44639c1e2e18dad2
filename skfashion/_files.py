"""The file policies every module shares: one atomic write, one home-folder lookup.

Nothing here imports TensorFlow, Keras or NumPy.
"""

import contextlib
import os
import tempfile
from pathlib import Path


def umask():
    """The process's file-creation mask, read without changing it for long."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path, *, suffix=""):
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    The block writes (and may verify) the temporary file. If the block raises,
    the temporary file is removed and ``path`` is left as it was, so ``path``
    never holds a partial file. The temporary file is created private (0600) and
    given the permissions the user's umask asks for just before the rename.
    ``os.replace`` replaces a symlink at ``path`` itself, never its target.

    Parameters
    ----------
    path : str or path-like
        The final file. Its folder must exist.
    suffix : str, default=""
        Suffix of the temporary name, for writers that choose a format by the
        file's extension (Keras' ``.weights.h5``).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path, write):
    """Call ``write(binary_file)`` on a temporary file, then rename it to ``path``.

    Returns ``path`` as a :class:`~pathlib.Path`. See :func:`atomic_path`.
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            write(f)
    return Path(path)


def keras_home():
    """The folder Keras' downloads cache in, found the way ``keras.utils.get_file`` finds it.

    ``$KERAS_HOME`` when the variable is set, otherwise ``~/.keras`` (``/tmp/.keras``
    when the home folder is not writable), with ``~`` expanded. When that folder
    exists but is not writable, or the variable is set to ``""``, Keras falls back
    to ``/tmp/.keras``, and so does this. Keras reads the variable once, when it is
    imported; this reads it on each call.
    """
    if "KERAS_HOME" in os.environ:
        home = os.path.expanduser(os.environ["KERAS_HOME"])
    else:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        home = os.path.join(base, ".keras")
    if (home == "" or os.path.exists(home)) and not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return Path(home)
