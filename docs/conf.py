"""Sphinx configuration of the skfashion documentation.

Build with ``.ci/build-docs`` (or ``python -m sphinx -W --keep-going -b html docs
docs/_build/html`` from the repository root). Every gallery example runs during
the build; set ``-D plot_gallery=0`` to skip them while editing prose.
"""

import os
import sys
from pathlib import Path

# Document the skfashion of this checkout, not another installed copy.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "sphinxext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import skfashion  # noqa: E402

project = "skfashion"
author = "skfashion developers"
copyright = "skfashion developers"
version = release = skfashion.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
default_role = "literal"  # `x` in docstrings, as in scikit-learn
nitpicky = False  # links to Keras and scikit-learn have no inventory offline

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False  # methods are listed by the class template
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False


def _constant_docstring(app, what, name, obj, options, lines):
    """Give a re-exported constant the ``#:`` comment of the module defining it.

    autodoc looks for the doc comment of ``skfashion.CLASS_NAMES`` in
    ``skfashion`` only, where the name is merely imported, and would fall back to
    the docstring of ``tuple``.
    """
    if what != "data" or getattr(obj, "__doc__", None) != type(obj).__doc__:
        return
    from sphinx.pycode import ModuleAnalyzer

    attr = name.rsplit(".", 1)[-1]
    for module_name, module in sorted(sys.modules.items()):
        if module_name.startswith("skfashion") and getattr(module, attr, None) is obj:
            comment = ModuleAnalyzer.for_module(module_name).find_attr_docs().get(("", attr))
            if comment:
                lines[:] = list(comment)
                return


# -- Gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": "/plot_",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("skfashion",),
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    "show_memory": False,
    # An example that raises fails the build (the default); keep it that way.
    "only_warn_on_example_error": False,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skfashion {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path = []
html_show_sourcelink = False


def setup(app):
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _constant_docstring, priority=400)
