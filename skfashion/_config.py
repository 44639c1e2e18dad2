"""Process-wide TensorFlow settings that must be made before TensorFlow is imported.

``import skfashion`` imports this module, which only sets two environment
variable defaults (cheap; TensorFlow is not imported). Every setting uses
``os.environ.setdefault`` so a value the user exported before importing
skfashion always wins:

* ``TF_CPP_MIN_LOG_LEVEL=3`` silences TensorFlow's C++ start-up log lines.
* ``TF_ENABLE_ONEDNN_OPTS=1`` turns on oneDNN kernels, which TensorFlow enables
  by default only on some Intel CPUs; on AMD CPUs it makes training up to 4x
  faster. Opt out with ``TF_ENABLE_ONEDNN_OPTS=0``.

Neither takes effect if TensorFlow was imported before skfashion.

TensorFlow itself is imported by :func:`load_tensorflow`, which every skfashion
module that imports Keras or TensorFlow calls first (before ``import keras``),
so the first TensorFlow import drops its start-up noise, its loggers are set
to ERROR and the op-determinism default is fixed, whichever module comes first.

The other CPU settings were measured with ``benchmarks/cpu_settings.py`` and
left where that put them (figures in docs/performance.rst): TensorFlow's
default thread pools (as many intra-op threads as cores), no XLA (Keras'
default on CPU; it was slower, and Keras cannot compile a seeded fit with
it), and
``STEPS_PER_EXECUTION`` steps per graph call, set in :mod:`skfashion._recipe`.

:func:`fix_op_determinism_default` repairs a scikeras bug that a seeded fit
would otherwise leave behind (see there).
"""

import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# Lines TensorFlow 2.21 writes straight to file descriptor 2 while it is imported,
# before absl logging is initialised, so TF_CPP_MIN_LOG_LEVEL cannot stop them.
_IMPORT_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|I\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on)"
)


def import_tensorflow():
    """Import TensorFlow once, dropping only its known start-up noise.

    While TensorFlow is imported, file descriptor 2 is sent to a temporary file;
    afterwards every captured line is written back to stderr except the lines
    matched by ``_IMPORT_NOISE``. Errors, warnings and anything unexpected still
    reach the terminal. Nothing is captured when TensorFlow is already imported
    or when the user asked for TensorFlow's INFO logs (TF_CPP_MIN_LOG_LEVEL=0).
    """
    if "tensorflow" in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"] in ("", "0"):
        import tensorflow

        return tensorflow
    import tempfile

    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _IMPORT_NOISE.match(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
    return tensorflow


def quiet_tensorflow():
    """Lower TensorFlow's Python and absl loggers to ERROR.

    Only TensorFlow's own loggers are touched: the user's ``warnings`` filters
    and logging configuration stay as they are.
    """
    import logging

    tf = import_tensorflow()
    tf.get_logger().setLevel(logging.ERROR)
    try:
        from absl import logging as absl_logging
    except ImportError:  # pragma: no cover - absl ships with TensorFlow
        return
    absl_logging.set_verbosity(absl_logging.ERROR)


def fix_op_determinism_default():
    """Make TensorFlow read its op-determinism default now, before any fit.

    TensorFlow reads ``TF_DETERMINISTIC_OPS`` once, the first time the
    op-determinism flag is queried. scikeras sets that variable to 1 around a
    seeded fit and then asks whether determinism was on before, to switch it
    off again afterwards; if that was the first query, TensorFlow answers True
    (from the variable just set), scikeras leaves determinism on for the rest
    of the process, and every later fit with ``random_state=None`` fails with
    "Random ops require a seed to be set when determinism is enabled". Querying
    the flag once here fixes the default to what the user's environment says.
    """
    from skfashion._compat import is_op_determinism_enabled

    return is_op_determinism_enabled()


#: CPU flags (``/proc/cpuinfo``) of the bfloat16 instructions oneDNN uses for
#: bfloat16 tensors: AVX-512 BF16 (AMD Zen 4 and later; Intel Cooper Lake and
#: Sapphire Rapids and later Xeons) and AMX (Intel Sapphire Rapids and later).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_fields(cpuinfo="/proc/cpuinfo"):
    """The first value of each field of ``cpuinfo`` (``{}`` if it cannot be read).

    ``"flags"`` lists the instruction sets, ``"model name"`` the CPU model. Read
    without TensorFlow, for the run-time choices of :mod:`skfashion._recipe` and
    the CPU line of every report.
    """
    fields = {}
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep and key.strip() not in fields:
                    fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The CPU's instruction-set flags, as a set (empty if ``cpuinfo`` cannot be read)."""
    return set(cpu_fields(cpuinfo).get("flags", "").split())


_loaded = False


def load_tensorflow():
    """Import TensorFlow with skfashion's settings, once; return the module.

    The first call imports TensorFlow through :func:`import_tensorflow`, then
    runs :func:`quiet_tensorflow` and :func:`fix_op_determinism_default`; later
    calls only return the module. Every skfashion module that imports Keras or
    TensorFlow at top level calls this before it does (``import skfashion``
    does not: TensorFlow loads when an estimator module is first imported).
    """
    global _loaded
    tensorflow = import_tensorflow()
    if not _loaded:
        quiet_tensorflow()
        fix_op_determinism_default()
        _loaded = True
    return tensorflow
