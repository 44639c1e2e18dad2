"""The work behind the ``skfashion`` command's sub-commands.

:mod:`skfashion.cli` parses the arguments and imports this module only then;
the data it runs on (models, budgets, grids, the write-ups' figures) is in
:mod:`skfashion._grids`.
"""

import contextlib
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras
import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_validate,
    train_test_split,
)

from skfashion import _report
from skfashion._feature_cache import extractor as _extractor
from skfashion._grids import (
    FULL_RUN_NOTE,
    GRIDS,
    QUICK_BUDGETS,
    SAMPLE_MAX_EPOCHS,
    SAMPLE_TEST_FRACTION,
    WRITE_UP,
    WRITE_UP_NOTE,
)
from skfashion._validation import check_validation_split
from skfashion.cnn import CNNClassifier, LeNet5Classifier
from skfashion.datasets import load_fashion_mnist
from skfashion.transfer import BackboneFeatures, TransferClassifier


class CommandError(Exception):
    """A run that cannot go on; its message is printed, the exit status is 1."""


@dataclass
class Data:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    subset: bool
    description: str


class EpochProgress(keras.callbacks.Callback):
    """A progress bar (tqdm, on stderr) over the epochs of every fit.

    It holds no bar between fits, so ``clone`` (a deep copy) works on an
    estimator that carries it, as in cross-validation and grid search.
    """

    def __init__(self, desc):
        super().__init__()
        self.desc = desc
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.params.get("epochs"), initial=epoch,
                             desc=self.desc, unit="epoch", leave=False, file=sys.stderr)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._bar.set_postfix(
            {k: f"{logs[k]:.4f}" for k in ("loss", "val_accuracy") if k in logs},
            refresh=False,
        )
        self._bar.update(1)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __deepcopy__(self, memo):
        return type(self)(self.desc)


class Log:
    """Progress messages on stderr, silenced by ``--quiet``."""

    def __init__(self, quiet):
        self.quiet = quiet

    def __call__(self, message):
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def sklearn_verbosity(self):
        return 0 if self.quiet else 2


def run(args):
    """Run the sub-command ``args.command`` with the parsed arguments."""
    log = Log(args.quiet)
    # The report goes to a fresh folder beside --out, created before anything
    # else (so an unwritable --out fails at once) and moved into place only when
    # the whole report is written: an interrupted run leaves the previous
    # report as it was, never mixed with this one's files.
    with _report.staged_folder(args.out) as out:
        data = load_data(args, log)
        check_training_sizes(args, data)
        if "transfer" in (args.models if args.command == "compare" else [args.model]):
            # Build the backbone now (it stays cached), so that missing ImageNet
            # weights stop the run before anything else has trained.
            log(f"Building the {args.backbone} backbone at "
                f"{args.input_size}x{args.input_size} ...")
            BackboneFeatures(args.backbone, input_size=args.input_size).fit(
                data.X_train[:1])
        command = {"compare": compare, "cv": cross_validation, "tune": tune}
        command[args.command](args, data, log, out)
    log(f"Report written to {args.out}/ (report.md, results.json"
        f"{', PNGs' if not getattr(args, 'no_plots', True) else ''})")


# ----------------------------------------------------------------- data


def load_data(args, log):
    """Load the training and test images that ``args`` asks for."""
    start = time.perf_counter()
    if args.sample:
        log("Loading the embedded sample of 1,000 Fashion-MNIST test images ...")
        X, y = load_fashion_mnist("sample", return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=SAMPLE_TEST_FRACTION, stratify=y, random_state=args.seed
        )
        description = (f"SUBSET: the embedded sample, {len(X_train):,} training / "
                       f"{len(X_test):,} test images")
    else:
        log("Loading Fashion-MNIST (verifying checksums) ...")
        X_train, y_train = load_fashion_mnist("train", data_home=args.data_home,
                                              return_X_y=True)
        X_test, y_test = load_fashion_mnist("test", data_home=args.data_home,
                                            return_X_y=True)
        n = args.train_size
        if n is not None and n > len(X_train):
            raise CommandError(f"--train-size {n:,} is larger than the {len(X_train):,} "
                               "training images.")
        if n is not None and n < len(X_train):
            X_train, _, y_train, _ = train_test_split(
                X_train, y_train, train_size=n, stratify=y_train, random_state=args.seed
            )
        description = (f"{len(X_train):,} training / {len(X_test):,} test images")
        if len(X_train) < 60_000:
            description = f"SUBSET: a stratified {description}"
        if args.quick:
            description = "SUBSET: quick budgets (" + "; ".join(
                f"{m}: {'all' if n is None else f'a stratified {n:,}'} training images"
                f" x {args.epochs or e} epochs" for m, (n, e) in QUICK_BUDGETS.items()
            ) + f"), {len(X_test):,} test images"
    if args.sample:
        description += f", at most {args.epochs or SAMPLE_MAX_EPOCHS} epochs"
    log(f"{description} (loaded in {time.perf_counter() - start:.1f} s)")
    subset = description.startswith("SUBSET")
    return Data(X_train, y_train, X_test, y_test, subset, description)


# ---------------------------------------------------------------- models


def make_model(name, args, progress=True):
    """The estimator called ``name`` with the run's seed, epochs and backbone."""
    if name == "cnn":
        est = CNNClassifier(random_state=args.seed)
    elif name == "lenet5":
        est = LeNet5Classifier(random_state=args.seed)
    else:
        est = TransferClassifier(args.backbone, input_size=args.input_size,
                                 random_state=args.seed)
    if args.epochs:
        est.set_params(epochs=args.epochs)
    elif args.quick:
        est.set_params(epochs=QUICK_BUDGETS[name][1])
    elif args.sample:
        est.set_params(epochs=min(est.epochs, SAMPLE_MAX_EPOCHS))
    if progress and not args.quiet:
        est.set_params(callbacks=[EpochProgress(name)])
    return est


def check_training_sizes(args, data):
    """Refuse, before any model trains, training sets too small for a model.

    Each model's validation split needs an image of every class in both parts
    (:func:`skfashion._validation.check_validation_split`); ``cv`` and ``tune``
    train on folds, checked as the first fold of their split.
    """
    for name in args.models if args.command == "compare" else [args.model]:
        est = make_model(name, args, progress=False)
        _, y = training_images(name, args, data)
        try:
            if args.command != "compare":
                cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
                train, _ = next(cv.split(np.zeros((len(y), 1)), y))
                y = y[train]
            check_validation_split(est.validation_split, y)
        except ValueError as exc:
            raise CommandError(
                f"{name} cannot train on these {len(y):,} images: {exc} Train on "
                "more images (--train-size) or fewer folds (--folds)."
            ) from None


def training_images(name, args, data):
    """The training images and labels model ``name`` gets: a subset with ``--quick``."""
    n = QUICK_BUDGETS[name][0] if args.quick else None
    if n is None or n >= len(data.y_train):
        return data.X_train, data.y_train
    X, _, y, _ = train_test_split(data.X_train, data.y_train, train_size=n,
                                  stratify=data.y_train, random_state=args.seed)
    return X, y


def count_parameters(est):
    """``(total, trainable)`` weights of a fitted classifier, backbone included."""
    total = est.model_.count_params()
    trainable = sum(int(np.prod(w.shape)) for w in est.model_.trainable_weights)
    encoder = getattr(est, "feature_encoder_", None)
    if isinstance(encoder, BackboneFeatures):  # frozen backbone outside model_
        total += _extractor(encoder._cache_key()).count_params()
    return total, trainable


def _augmented(est):
    """Whether a fitted model trained on shifted and flipped images (what ``"auto"`` chose).

    The CNN and LeNet-5 keep the choice as ``augment_``; the transfer model's
    ``augment`` is a plain bool.
    """
    if hasattr(est, "augment_"):
        return bool(est.augment_)
    augment = getattr(est, "augment", False)
    return not isinstance(augment, str) and bool(augment)


def _params_text(est):
    """The estimator's repr, without the progress callback the command added."""
    return repr(clone(est).set_params(callbacks=None))


def _header(command, args, data):
    return [
        f"# skfashion {command}",
        "",
        f"**{data.description}**, seed {args.seed}.",
        "",
        f"Command: `{_report.environment()['command']}`, run "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        f"CPU: {_report.cpu_description()}.",
        "",
    ]


def _write_report(out, lines, results):
    _report.write_json(out / "results.json", results)
    _report.write_text(out / "report.md", "\n".join(lines) + "\n")


# --------------------------------------------------------------- compare


def compare(args, data, log, out):
    """Train every model of ``args.models``, score it, write the report."""
    from skfashion import plotting

    results, rows, sections = [], [], []
    for name in args.models:
        est = make_model(name, args)
        X_train, y_train = training_images(name, args, data)
        stopping = (f"early stopping on a {est.validation_split:.0%} validation split"
                    if est.validation_split and est.patience else "a fixed budget")
        log(f"[{name}] training {type(est).__name__} on {len(X_train):,} images, "
            f"{est.epochs} epochs ({stopping})")
        start = time.perf_counter()
        if name == "transfer":
            log(f"[{name}] extracting frozen {args.backbone} features at "
                f"{args.input_size}x{args.input_size} (computed once, then cached) ...")
            BackboneFeatures(args.backbone, input_size=args.input_size).fit(
                X_train).transform(X_train)
            log(f"[{name}] features ready after {time.perf_counter() - start:.1f} s")
        est.fit(X_train, y_train)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        y_pred = est.predict(data.X_test)
        predict_s = time.perf_counter() - start
        accuracy = accuracy_score(data.y_test, y_pred)
        total, trainable = count_parameters(est)
        epochs = len(est.history_["loss"])
        augmented = _augmented(est)
        log(f"[{name}] test accuracy {100 * accuracy:.2f} % after {epochs} epochs, "
            f"{train_s:.0f} s")
        rows.append([name, f"**{100 * accuracy:.2f} %**", WRITE_UP[name], epochs,
                     f"{train_s:,.0f} s", f"{total:,} ({trainable:,} trained)"])
        results.append({
            "model": name,
            "estimator": _params_text(est),
            "train_size": len(y_train),
            "test_accuracy": accuracy,
            "write_up": WRITE_UP[name],
            "epochs_run": epochs,
            "train_seconds": train_s,
            "predict_seconds": predict_s,
            "n_parameters": total,
            "n_trainable_parameters": trainable,
            "precision": getattr(est, "precision_", "float32"),
            "augmented": augmented,
            "history": {k: [float(v) for v in vs] for k, vs in est.history_.items()},
        })
        sections += [f"## {name}", "", f"`{_params_text(est)}`", "",
                     f"Trained in {getattr(est, 'precision_', 'float32')}, "
                     f"{'with' if augmented else 'without'} random shifts and flips.", ""]
        if not args.no_plots:
            sections += _compare_figures(plotting, name, est, data, y_pred, out)
    header = ["model", "test accuracy", "write-up", "epochs run", "training time",
              "parameters"]
    table = _report.markdown_table(header, rows)
    notes = [WRITE_UP_NOTE] + ([FULL_RUN_NOTE] if args.quick else [])
    print(f"{data.description}\n\n{table}\n\n" + "\n\n".join(notes), flush=True)
    lines = _header("compare", args, data) + [table, ""]
    for note in notes:
        lines += [note, ""]
    lines += sections
    _write_report(out, lines, {
        "command": "compare",
        "subset": data.subset,
        "data": data.description,
        "seed": args.seed,
        "environment": _report.environment(),
        "write_up_note": WRITE_UP_NOTE,
        "models": results,
    })


def _compare_figures(plotting, name, est, data, y_pred, out):
    title = f"{name}: {100 * accuracy_score(data.y_test, y_pred):.2f} % test accuracy"
    figures = {
        f"predictions_{name}.png": plotting.plot_prediction_grid(
            data.X_test, data.y_test, y_pred, n_images=15),
        f"confusion_{name}.png": plotting.plot_confusion_matrix(
            data.y_test, y_pred, title=title).figure_,
        f"learning_curves_{name}.png": plotting.plot_learning_curves(est, title=name),
    }
    figures[f"predictions_{name}.png"].suptitle(
        f"{name}: predicted (true) label, green right, red wrong")
    lines = []
    for filename, fig in figures.items():
        _report.save_figure(fig, out / filename)
        lines += [f"![{filename}]({filename})", ""]
    return lines


# -------------------------------------------------------------------- cv


@contextlib.contextmanager
def _sklearn_output_to_stderr():
    """scikit-learn prints its per-fold progress on stdout; keep stdout for results."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def cross_validation(args, data, log, out):
    """Stratified k-fold cross-validation of ``args.model`` on the training images."""
    est = make_model(args.model, args, progress=args.n_jobs == 1)
    X_train, y_train = training_images(args.model, args, data)
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    log(f"[{args.model}] {args.folds}-fold stratified cross-validation of "
        f"{type(est).__name__} on {len(X_train):,} training images ...")
    with _sklearn_output_to_stderr():
        scores = cross_validate(est, X_train, y_train, cv=cv,
                                n_jobs=args.n_jobs, verbose=log.sklearn_verbosity(),
                                error_score="raise")
    accuracy = scores["test_score"]
    summary = (f"{args.model}: {args.folds}-fold CV accuracy "
               f"{100 * accuracy.mean():.2f} % ± {100 * accuracy.std():.2f} %")
    rows = [[i + 1, f"{100 * a:.2f} %", f"{t:.1f} s"]
            for i, (a, t) in enumerate(zip(accuracy, scores["fit_time"]))]
    table = _report.markdown_table(["fold", "accuracy", "fit time"], rows)
    print(f"{data.description}\n\n{table}\n\n{summary}", flush=True)
    lines = _header("cv", args, data) + [f"`{_params_text(est)}`", "", table, "",
                                         summary, ""]
    if not args.no_plots:
        from skfashion.plotting import plot_cv_scores

        ax = plot_cv_scores(accuracy, title=summary)
        _report.save_figure(ax.figure, out / "cv_scores.png")
        lines += ["![cv_scores.png](cv_scores.png)", ""]
    _write_report(out, lines, {
        "command": "cv",
        "subset": data.subset,
        "data": data.description,
        "seed": args.seed,
        "model": args.model,
        "estimator": _params_text(est),
        "folds": args.folds,
        "accuracy": accuracy,
        "mean_accuracy": accuracy.mean(),
        "std_accuracy": accuracy.std(),
        "fit_seconds": scores["fit_time"],
        "environment": _report.environment(),
    })


# ------------------------------------------------------------------ tune


def tune(args, data, log, out):
    """``GridSearchCV`` over ``GRIDS[args.model]``, then the best model's test score."""
    est = make_model(args.model, args, progress=args.n_jobs == 1)
    X_train, y_train = training_images(args.model, args, data)
    grid = GRIDS[args.model]
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    search = GridSearchCV(est, grid, cv=cv, n_jobs=args.n_jobs,
                          verbose=log.sklearn_verbosity(), error_score="raise")
    n_candidates = int(np.prod([len(v) for v in grid.values()]))
    log(f"[{args.model}] grid search over {grid}: {n_candidates} candidates x "
        f"{args.folds} folds, then a refit on {len(X_train):,} images ...")
    start = time.perf_counter()
    with _sklearn_output_to_stderr():
        search.fit(X_train, y_train)
    search_s = time.perf_counter() - start
    test_accuracy = search.score(data.X_test, data.y_test)
    res = search.cv_results_
    order = np.argsort(res["rank_test_score"], kind="stable")
    rows = [[res["rank_test_score"][i], _format_params(res["params"][i]),
             f"{100 * res['mean_test_score'][i]:.2f} % ± "
             f"{100 * res['std_test_score'][i]:.2f} %",
             f"{res['mean_fit_time'][i]:.1f} s"] for i in order]
    table = _report.markdown_table(["rank", "parameters", "CV accuracy", "mean fit time"],
                                   rows)
    summary = (f"best: {_format_params(search.best_params_)}, CV accuracy "
               f"{100 * search.best_score_:.2f} %, test accuracy of the refit model "
               f"{100 * test_accuracy:.2f} % (search took {search_s:,.0f} s)")
    print(f"{data.description}\n\n{table}\n\n{summary}", flush=True)
    lines = _header("tune", args, data) + [f"`{_params_text(est)}`", "",
                                           f"Grid: `{grid}`, {args.folds} folds.", "",
                                           table, "", summary, ""]
    _write_report(out, lines, {
        "command": "tune",
        "subset": data.subset,
        "data": data.description,
        "seed": args.seed,
        "model": args.model,
        "estimator": _params_text(est),
        "grid": grid,
        "folds": args.folds,
        "best_params": search.best_params_,
        "best_cv_accuracy": search.best_score_,
        "test_accuracy": test_accuracy,
        "search_seconds": search_s,
        "candidates": [
            {"params": res["params"][i], "rank": res["rank_test_score"][i],
             "mean_accuracy": res["mean_test_score"][i],
             "std_accuracy": res["std_test_score"][i],
             "mean_fit_seconds": res["mean_fit_time"][i]}
            for i in order
        ],
        "environment": _report.environment(),
    })


def _format_params(params):
    return ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
