"""Cheap checks of the documentation sources; no Sphinx build, no TensorFlow.

The API reference must list every public name, and every gallery example must
open with the title docstring sphinx-gallery needs and state its run time.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
API_RST = ROOT / "docs" / "api.rst"
EXAMPLES = ROOT / "examples"


def module_all(relative_path):
    """The ``__all__`` of a module, read from its source without importing it."""
    tree = ast.parse((ROOT / relative_path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{relative_path} defines no __all__")


def documented_names():
    """Fully qualified names of the autosummary entries of docs/api.rst."""
    names, module, in_autosummary = set(), None, False
    for line in API_RST.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module, in_autosummary = match.group(1), False
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and re.match(r"   [A-Za-z_]\w*$", line):
            names.add(f"{module}.{line.strip()}")
        elif line and not line.startswith(" "):
            in_autosummary = False
    return names


API_NAMES = (
    [f"skfashion.{name}" for name in module_all("skfashion/__init__.py")]
    + [f"skfashion.plotting.{name}" for name in module_all("skfashion/plotting.py")]
    + [f"skfashion.layers.{name}" for name in module_all("skfashion/layers.py")]
    + ["skfashion.backbones.BACKBONES", "skfashion.backbones.build_backbone"]
)


def test_documented_names_are_parsed():
    # Guards the parser below: a test that finds nothing would pass vacuously.
    assert "skfashion.CNNClassifier" in documented_names()


@pytest.mark.parametrize("name", API_NAMES)
def test_public_name_in_api_reference(name):
    assert name in documented_names(), f"{name} is missing from docs/api.rst"


EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.py"))


def test_examples_exist():
    assert len(EXAMPLE_FILES) >= 9
    assert (EXAMPLES / "README.txt").is_file()


@pytest.mark.parametrize(
    "folder",
    sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))),
    ids=lambda p: p.name,
)
def test_example_folder_has_readme(folder):
    assert (folder / "README.txt").is_file(), f"{folder.name}/ needs a README.txt"


@pytest.mark.parametrize(
    "path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_example_has_title_docstring(path):
    assert path.name.startswith("plot_"), "sphinx-gallery runs only plot_*.py files"
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
    assert docstring, f"{path.name} has no module docstring"
    lines = docstring.strip("\n").splitlines()
    assert len(lines) >= 3, f"{path.name}: the docstring must open with a title"
    rule_above, title, rule_below = (line.rstrip() for line in lines[:3])
    assert title.strip(), f"{path.name}: empty title"
    for rule in (rule_above, rule_below):
        assert set(rule) == {"="} and len(rule) >= len(title), (
            f"{path.name}: the title must stand between two '=' rules at least as "
            "long as the title"
        )
    assert re.search(r"run\s+time\s+budget", docstring, re.IGNORECASE), (
        f"{path.name}: the introduction must state the example's run time budget"
    )


def test_shared_docstring_fragments_are_filled():
    from skfashion import CNNClassifier, LeNet5Classifier, TransferClassifier
    from skfashion._docstrings import fill_doc

    for cls in (CNNClassifier, LeNet5Classifier):
        assert "%(" not in cls.__doc__
        assert cls.__doc__.count("label_smoothing : float, default=0.1") == 1
    for cls in (CNNClassifier, LeNet5Classifier, TransferClassifier):
        assert "%(" not in cls.__doc__
        assert cls.__doc__.count("``callbacks__name``") == 1

    class Typo:
        """Parameters

        %(no_such_fragment)s
        """

    with pytest.raises(KeyError, match="no_such_fragment"):
        fill_doc(Typo)


@pytest.mark.parametrize("name", ["CNNClassifier", "LeNet5Classifier", "TransferClassifier",
                                  "BackboneFeatures", "ImageResizer"])
def test_every_constructor_parameter_is_documented_once_with_its_default(name):
    import inspect

    from numpydoc.docscrape import ClassDoc

    import skfashion

    cls = getattr(skfashion, name)
    documented = [p.name for p in ClassDoc(cls)["Parameters"]]
    signature = inspect.signature(cls.__init__).parameters
    expected = [n for n in signature if n != "self"]
    assert sorted(documented) == sorted(n if n != "kwargs" else "**kwargs" for n in expected)
    types = {p.name: p.type for p in ClassDoc(cls)["Parameters"]}
    for n, parameter in signature.items():
        if parameter.default is not inspect.Parameter.empty:
            written = types[n].split("default=", 1)[1]
            assert ast.literal_eval(written) == parameter.default, (n, types[n])
