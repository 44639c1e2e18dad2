"""``python -m skfashion``: the same as the ``skfashion`` command."""

import sys

from skfashion.cli import main

sys.exit(main())
