"""Importing skfashion is quiet, keeps the user's warnings and settings."""

import os
import subprocess
import sys

NOISE = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard", "I0000")


def _run(code, **env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")} | env
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_import_prints_no_tensorflow_noise_and_keeps_user_warnings():
    code = (
        "import warnings, sys\n"
        "import skfashion\n"
        "skfashion.CNNClassifier  # the first estimator loads TensorFlow\n"
        "import keras\n"
        "keras.ops.convert_to_tensor([1.0]) + 1\n"
        "warnings.warn('the user warning')\n"
        "print('stderr after import', file=sys.stderr)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert "the user warning" in result.stderr
    assert "stderr after import" in result.stderr
    assert not [line for line in result.stderr.splitlines() if any(n in line for n in NOISE)]


def test_import_sets_defaults_but_user_environment_wins():
    code = "import os, skfashion; print(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    assert _run(code).stdout.split() == ["1", "3"]
    assert _run(code, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="1").stdout.split() == ["0", "1"]


def test_tensorflow_import_errors_still_reach_stderr():
    # Anything TensorFlow prints at import other than the known noise is replayed.
    code = (
        "import os, sys\n"
        "os.write(2, b'I0000 00:00:1 1 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "import skfashion._config as c\n"
        "sys.modules.pop('tensorflow', None)\n"
        "import builtins\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name == 'tensorflow':\n"
        "        os.write(2, b'I0000 00:00:1 1 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "        os.write(2, b'E0000 something real went wrong\\n')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "c.import_tensorflow()\n"
    )
    result = _run(code)
    assert "something real went wrong" in result.stderr
    # The line written before skfashion was imported is not ours to drop; the
    # one written during the import is.
    assert result.stderr.count("oneDNN custom operations") == 1


def test_a_seeded_fit_does_not_leave_op_determinism_on():
    # scikeras sets TF_DETERMINISTIC_OPS=1 around a seeded fit; had TensorFlow
    # not read its default before, determinism stayed on and the next unseeded
    # fit failed ("Random ops require a seed to be set ...").
    code = (
        "import skfashion\n"
        "from skfashion._compat import is_op_determinism_enabled\n"
        "from tests.conftest import make_shapes\n"
        "X, y = make_shapes()\n"
        "params = dict(filters=(4,), convs_per_block=1, dense_units=8, epochs=1)\n"
        "skfashion.CNNClassifier(random_state=0, **params).fit(X, y)\n"
        "assert not is_op_determinism_enabled()\n"
        "skfashion.CNNClassifier(**params).fit(X, y).predict(X)\n"
        "print('unseeded fit ok')\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert "unseeded fit ok" in result.stdout
