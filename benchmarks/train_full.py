"""Train skfashion's classifiers on the full Fashion-MNIST training set.

Trains each chosen estimator with its defaults (or with ``--set name=value``
overrides) on the 60,000 training images, evaluates on the official 10,000 test
images and prints one table row per model: test accuracy, epochs run, training
time and training images/s. ``--json PATH`` also writes the rows as JSON.

Usage::

    python benchmarks/train_full.py                      # both, defaults
    python benchmarks/train_full.py --model lenet5 --set augment=True
    python benchmarks/train_full.py --quick              # 12,000 images, 5 epochs

Seconds and images/s depend on the machine and on what else it is running;
compare rows measured in one run.
"""

import argparse
import ast
import json
import os
import platform
import time

from skfashion import CNNClassifier, LeNet5Classifier, load_fashion_mnist

MODELS = {"cnn": CNNClassifier, "lenet5": LeNet5Classifier}
# Accuracy the original write-ups reported, for the table.
WRITE_UP = {"cnn": "92.07 % (test)", "lenet5": "89.82 % (validation)"}


def parse_set(items):
    params = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value
    return params


def run(name, params, X_train, y_train, X_test, y_test, seed):
    est = MODELS[name](random_state=seed, **params)
    start = time.perf_counter()
    est.fit(X_train, y_train)
    train_s = time.perf_counter() - start
    epochs = len(est.history_["loss"])
    start = time.perf_counter()
    accuracy = est.score(X_test, y_test)
    predict_s = time.perf_counter() - start
    return {
        "model": name,
        "params": params,
        "test_accuracy": accuracy,
        "epochs_run": epochs,
        "best_val_accuracy": max(est.history_.get("val_accuracy", [float("nan")])),
        "train_seconds": train_s,
        "train_images_per_s": epochs * len(X_train) * 0.9 / train_s,
        "predict_images_per_s": len(X_test) / predict_s,
        "n_parameters": est.model_.count_params(),
        "write_up": WRITE_UP[name],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), action="append")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a subset: the first 12,000 training images and at most 5 epochs",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    X_train, y_train = load_fashion_mnist("train", return_X_y=True)
    X_test, y_test = load_fashion_mnist("test", return_X_y=True)
    params = parse_set(args.set)
    if args.quick:
        args.train_size = args.train_size or 12_000
        params.setdefault("epochs", 5)
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    print(
        f"# {'SUBSET: ' if len(X_train) < 60_000 else ''}"
        f"{len(X_train)} training / {len(X_test)} test images, seed {args.seed}, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS')}"
    )
    header = "| model | test acc. | write-up | epochs | train s | train img/s | params |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    rows = []
    for name in args.model or ["lenet5", "cnn"]:
        row = run(name, params, X_train, y_train, X_test, y_test, args.seed)
        rows.append(row)
        print(
            f"| {name} {params or ''} | {100 * row['test_accuracy']:.2f} % | "
            f"{row['write_up']} | {row['epochs_run']} | {row['train_seconds']:.0f} | "
            f"{row['train_images_per_s']:.0f} | {row['n_parameters']:,} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
