"""Order of the examples inside each gallery sub-folder.

The examples named in ``FIRST`` come first, in that order (a tutorial before the
variations on it); any other example follows, by file name. A class named by its
import path, as sphinx-gallery asks, so that Sphinx can cache the configuration.
"""

from pathlib import Path

FIRST = (
    "plot_quick_start.py",
    "plot_image_resizer.py",
    "plot_transfer_frozen.py",
    "plot_backbone_features.py",
    "plot_fine_tuning.py",
)


class ExampleOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        rank = FIRST.index(name) if name in FIRST else len(FIRST)
        return rank, name

    def __repr__(self):
        return "<ExampleOrder>"
