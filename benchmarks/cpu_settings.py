"""Training speed of skfashion's estimators under each CPU setting, one setting at a time.

This is the measurement behind the CPU defaults the library ships (see
``skfashion._config`` and ``skfashion._recipe.STEPS_PER_EXECUTION``). Every row
trains the estimator with its shipped defaults except the one setting named in
the row, in a fresh Python process (TensorFlow reads oneDNN and thread settings
only when it is imported), and the rows take turns over ``--rounds`` rounds so
that other load on a shared machine falls on all of them alike.

Reported per row: training images/s over the epochs after the first (median
over those epochs and the rounds; an epoch's time includes any pass over a
validation split, so this is what a user sees), the same over the whole
``fit`` call (model building, tracing and the first epoch included), the
ratio of both to the shipped defaults, and the training accuracy of the last
epoch, which shows that a speed-up did not come from training a different
model (the defaults are unseeded, so accuracies differ by a little noise;
batch size and augmentation do change what is trained).

Usage::

    python benchmarks/cpu_settings.py                      # LeNet-5, 60,000 images
    python benchmarks/cpu_settings.py --model cnn --train-size 12000 --epochs 3
    python benchmarks/cpu_settings.py --quick              # 6,000 images, smoke run
    python benchmarks/cpu_settings.py --model cnn --settings precision=float32,precision=mixed_bfloat16

Nothing here is committed as a result: figures depend on the CPU and its load.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

#: name -> (estimator parameters, environment variables) that differ from the defaults.
SETTINGS = {
    # The estimators' defaults: unseeded (random_state=None), no validation
    # split, steps_per_execution=16, oneDNN on, no XLA, precision="auto".
    "shipped defaults": ({}, {}),
    # A seeded fit runs under TensorFlow's op determinism (scikeras turns it on).
    "random_state=0": ({"random_state": 0}, {}),
    "steps_per_execution=1": ({"compile__steps_per_execution": 1}, {}),
    # The shipped "auto" leaves a short fit unaugmented; this row measures the layer's cost.
    "augment=True": ({"augment": True}, {}),
    # Keras compiles with XLA only when every layer supports it and op
    # determinism is off; the "XLA used" column says what Keras did.
    "XLA (compile__jit_compile=True)": ({"compile__jit_compile": True}, {}),
    "oneDNN off": ({}, {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "1 inter-op thread": ({}, {"TF_NUM_INTEROP_THREADS": "1"}),
    "1 intra-op thread": ({}, {"TF_NUM_INTRAOP_THREADS": "1"}),
    # precision="auto" (the default) is one of these two, from the CPU's flags.
    "precision=float32": ({"precision": "float32"}, {}),
    "precision=mixed_bfloat16": ({"precision": "mixed_bfloat16"}, {}),
}
#: Batch sizes tried besides the default.
BATCH_SIZES = (64, 128, 256, 512)


def _child(spec):
    """Train once in this process and print one JSON line of timings."""
    import keras
    import numpy as np

    import skfashion
    from skfashion import load_fashion_mnist

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds, self.accuracy = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)
            self.accuracy.append(logs["accuracy"])

    X, y = load_fashion_mnist("train", return_X_y=True)
    X, y = X[: spec["train_size"]], y[: spec["train_size"]]
    cls = {"lenet5": skfashion.LeNet5Classifier, "cnn": skfashion.CNNClassifier}[spec["model"]]
    timer = EpochTimer()
    est = cls(**{"epochs": spec["epochs"], "patience": None, "callbacks": [timer],
                 **spec["params"]})
    start = time.perf_counter()
    est.fit(X, y)
    fit_seconds = time.perf_counter() - start
    n_train = len(y) - int(np.ceil(est.validation_split * len(y)))
    print(json.dumps({
        "epoch_img_s": [n_train / s for s in timer.seconds],
        "fit_img_s": n_train * len(timer.seconds) / fit_seconds,
        "train_accuracy": timer.accuracy[-1],
        "batch_size": est.batch_size_,
        "xla": bool(est.model_.jit_compile),
        "precision": est.precision_,
    }))


def _run(model, setting, params, env, args):
    spec = {"model": model, "params": params, "train_size": args.train_size, "epochs": args.epochs}
    result = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        env={**os.environ, **env}, capture_output=True, text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        raise RuntimeError(f"{model}, {setting} failed:\n{result.stderr[-2000:]}")
    return json.loads(lines[-1])


def settings(model):
    """The rows for ``model``: the named settings, then each other batch size."""
    from skfashion import CNNClassifier, LeNet5Classifier

    default = {"lenet5": LeNet5Classifier, "cnn": CNNClassifier}[model]().batch_size
    rows = dict(SETTINGS)
    rows.update({f"batch_size={b}": ({"batch_size": b}, {}) for b in BATCH_SIZES if b != default})
    return rows


def measure(model, args):
    rows = settings(model)
    if args.settings:
        wanted = {"shipped defaults", *(n.strip() for n in args.settings.split(","))}
        unknown = wanted - set(rows)
        if unknown:
            raise SystemExit(f"unknown setting(s) {sorted(unknown)}; expected some of: "
                             f"{', '.join(rows)}")
        rows = {name: row for name, row in rows.items() if name in wanted}
    runs = {name: [] for name in rows}
    for round_ in range(args.rounds):
        for name, (params, env) in rows.items():
            runs[name].append(_run(model, name, params, env, args))
            print(f"# {model}, round {round_ + 1}, {name}: "
                  f"{statistics.median(runs[name][-1]['epoch_img_s'][1:]):,.0f} img/s",
                  file=sys.stderr, flush=True)
    table = {}
    for name, results in runs.items():
        table[name] = {
            "batch_size": results[0]["batch_size"],
            "xla": results[0]["xla"],
            "precision": results[0]["precision"],
            "steady_img_s": statistics.median(r for res in results for r in res["epoch_img_s"][1:]),
            "fit_img_s": statistics.median(res["fit_img_s"] for res in results),
            "train_accuracy": statistics.median(res["train_accuracy"] for res in results),
        }
    return table


def print_table(model, table):
    base = table["shipped defaults"]
    print(f"\n| {model}: setting | batch | XLA used | precision "
          "| train img/s, epochs after the first | ratio | train img/s, whole fit | ratio "
          "| train accuracy, last epoch |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for name, row in table.items():
        print(f"| {name} | {row['batch_size']} | {'yes' if row['xla'] else 'no'} "
              f"| {row['precision']} "
              f"| {row['steady_img_s']:,.0f} "
              f"| {row['steady_img_s'] / base['steady_img_s']:.2f} | {row['fit_img_s']:,.0f} "
              f"| {row['fit_img_s'] / base['fit_img_s']:.2f} | {row['train_accuracy']:.4f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("lenet5", "cnn"), action="append")
    parser.add_argument("--train-size", type=int, default=60_000, help="first N training images")
    parser.add_argument("--epochs", type=int, default=4, help="per fit; the first is warm-up")
    parser.add_argument("--rounds", type=int, default=2, help="fits per setting, taking turns")
    parser.add_argument("--settings", default=None,
                        help="comma-separated rows to run (the shipped defaults always run)")
    parser.add_argument("--quick", action="store_true", help="6,000 images, 2 epochs, 1 round")
    parser.add_argument("--json", default=None, metavar="PATH")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(json.loads(args.child))
    if args.epochs < 2:
        parser.error(f"--epochs must be at least 2 (the first is warm-up); got {args.epochs}")
    if args.quick:
        args.train_size, args.epochs, args.rounds = 6000, 2, 1
    from skfashion._report import cpu_description

    print(f"# {args.train_size:,} training images of Fashion-MNIST, {args.epochs} epochs, "
          f"{args.rounds} rounds; CPU: {cpu_description()}. Noisy if the machine is "
          "shared: compare ratios within one run.", flush=True)
    results = {}
    for model in args.model or ["lenet5"]:
        results[model] = measure(model, args)
        print_table(model, results[model])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": vars(args), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
