"""The ``skfashion`` command: reproduce and beat the original write-ups' comparison.

Sub-commands (``skfashion <command> --help`` lists every option):

``compare``
    Train the chosen models on the training split, score them on the official
    test split, print a table next to the write-ups' figures and write a report
    folder (``report.md``, ``results.json``, one prediction grid, confusion
    matrix and learning-curve PNG per model).
``cv``
    Stratified k-fold cross-validation of one model (10 folds by default): mean
    ± std, a per-fold plot.
``tune``
    ``GridSearchCV`` over the small documented grid of one model
    (:data:`skfashion._grids.GRIDS`), then the best model's test accuracy.

The default is the full run on the 60,000 training and 10,000 test images.
``--quick`` gives each model a short budget
(:data:`skfashion._grids.QUICK_BUDGETS`: LeNet-5 the 60,000 training images,
the CNN and the transfer model a stratified subset, a few epochs each; how long
that takes is in docs/cli.rst); ``--sample`` uses the 1,000 images shipped in
the package (70 % to train, 30 % to test), for smoke tests. Both are labelled
SUBSET in everything they write.

Progress goes to stderr (``--quiet`` silences it); the results table goes to
stdout. Exit status: 0 on success, 2 for bad arguments, 1 when the run fails
(missing data, unknown backbone weights, ...), with the reason on stderr.

This module only parses and dispatches: the work is in :mod:`skfashion._commands`,
imported once the arguments are parsed, so that ``--help``, ``--version`` and
argument errors import neither TensorFlow nor NumPy. Nothing imports this module.
"""

import argparse
import sys
from pathlib import Path

from skfashion import __version__
from skfashion._grids import MODEL_NAMES, QUICK_BUDGETS, TRANSFER_INPUT_SIZE

# --------------------------------------------------------------------- parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text):
    # scikit-learn's random_state takes an int in [0, 2**32 - 1].
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to 2**32 - 1, got {text!r}"
        )
    return value


def _n_jobs(text):
    # joblib's n_jobs: 1, 2, ... workers, or -1 for all cores (-2: all but one).
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a nonzero integer (-1 for all cores), got {text!r}"
        )
    return value


def _folder(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder, got an empty path")
    return text


def _model_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODEL_NAMES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(MODEL_NAMES)}; got {text!r}"
        )
    return list(dict.fromkeys(names))


def build_parser():
    """Return the ``argparse`` parser of the ``skfashion`` command."""
    from skfashion.backbones import BACKBONES

    parser = argparse.ArgumentParser(
        prog="skfashion",
        description="Reproduce and beat the Fashion-MNIST write-ups' comparison.",
        epilog="Run 'skfashion <command> --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"skfashion {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    common = argparse.ArgumentParser(add_help=False)
    data = common.add_argument_group("data")
    size = data.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="a short budget per model: " + "; ".join(
                          f"{m} {'all' if n is None else f'{n:,}'} images x {e} epochs"
                          for m, (n, e) in QUICK_BUDGETS.items()) + " (labelled SUBSET)")
    size.add_argument("--sample", action="store_true",
                      help="the 1,000 images shipped in the package, 70/30 split "
                      "(smoke tests; labelled SUBSET)")
    size.add_argument("--train-size", type=_positive_int, metavar="N",
                      help="stratified subset of N training images")
    data.add_argument("--data-home", type=_folder, metavar="DIR",
                      help="folder searched first for the Fashion-MNIST files")
    run = common.add_argument_group("run")
    run.add_argument("--epochs", type=_positive_int, metavar="N",
                     help="training epochs (default: each model's own budget)")
    run.add_argument("--seed", type=_seed, default=0, help="random_state (default: 0)")
    run.add_argument("--backbone", choices=sorted(BACKBONES), default="efficientnet_lite0",
                     help="backbone of the transfer model (default: efficientnet_lite0, "
                     "whose ImageNet weights ship offline)")
    run.add_argument("--input-size", type=_positive_int, default=TRANSFER_INPUT_SIZE,
                     metavar="N", help="input size of the transfer backbone, at least 32 "
                     f"(default: {TRANSFER_INPUT_SIZE})")
    run.add_argument("--out", metavar="DIR",
                     help="report folder (default: skfashion-report/<command>)")
    run.add_argument("--quiet", "-q", action="store_true",
                     help="no progress output; print only the results table")

    compare = commands.add_parser(
        "compare", parents=[common], help="train and test models, write a report",
        description="Train models on the training split, score them on the test split, "
        "print a table next to the write-ups' figures and write a report folder.")
    compare.add_argument("--models", type=_model_list, default=list(MODEL_NAMES),
                         metavar="M[,M...]",
                         help=f"models to compare (default: {','.join(MODEL_NAMES)})")
    compare.add_argument("--no-plots", action="store_true",
                         help="write no PNGs (Matplotlib not needed)")

    for name, summary in (("cv", "stratified k-fold cross-validation of one model"),
                          ("tune", "grid search over one model's documented grid")):
        sub = commands.add_parser(name, parents=[common], help=summary,
                                  description=summary[0].upper() + summary[1:] + ".")
        sub.add_argument("--model", choices=MODEL_NAMES, default="lenet5",
                         help="model (default: lenet5)")
        sub.add_argument("--folds", type=_positive_int, default=10 if name == "cv" else 3,
                         metavar="K", help=f"folds (default: {10 if name == 'cv' else 3})")
        sub.add_argument("--n-jobs", type=_n_jobs, default=1, metavar="N",
                         help="parallel fits (joblib; -1 for all cores; default: 1)")
        if name == "cv":
            sub.add_argument("--no-plots", action="store_true",
                             help="write no PNG (Matplotlib not needed)")
    return parser


# ----------------------------------------------------------------- main


def main(argv=None):
    """Run the ``skfashion`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 1 when the run fails.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.input_size < 32:
        parser.error(f"argument --input-size: must be at least 32, got {args.input_size}")
    if args.sample and args.data_home is not None:
        parser.error("argument --data-home: not allowed with argument --sample (the "
                     "sample ships inside the package)")
    if getattr(args, "folds", 2) < 2:
        parser.error(f"argument --folds: must be at least 2, got {args.folds}")
    if not getattr(args, "no_plots", True):
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            parser.error("the PNGs need Matplotlib: pip install 'skfashion[plot]', "
                         "or pass --no-plots")
    args.out = Path(args.out or Path("skfashion-report") / args.command)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"argument --out: {str(args.out)!r} exists and is not a folder")

    from skfashion import _commands

    try:
        _commands.run(args)
    except (_commands.CommandError, FileNotFoundError, ValueError, OSError) as exc:
        print(f"skfashion {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skfashion {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
