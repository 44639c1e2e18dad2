"""The fixed cost of a fit: model selection on a small data set, many fits.

On a few thousand images a fit's training takes a second or two, and what
Keras does once per fit (building the network, tracing the training step's
graph, making the optimizer's variables) is most of its time; a
``cross_val_score(cv=10)`` or a grid search pays it on every fit. This script
times three such workloads on the 1,000 real images that ship with skfashion:

* ``lenet5``: ``cross_val_score(LeNet5Classifier(epochs=5, random_state=0),
  X, y, cv=10)``, the README's first example (ten fits of 900 images);
* ``cnn``: ``cross_val_score(CNNClassifier(epochs=3, random_state=0), X, y,
  cv=5)`` (five fits of 800 images);
* ``transfer``: ``cross_val_score(TransferClassifier(epochs=5, random_state=0),
  X, y, cv=5)``: the frozen backbone's pass over the images is most of it, and
  the feature cache decides how many images it runs on (each image is in four
  folds' training sets and one fold's test set).

Each workload runs in a fresh Python process (after one warm-up fit there, so
that loading TensorFlow is not counted), for this checkout and, with
``--baseline-ref REF``, for the code of a git ref, alternately ``--turns``
times, so that both see the same phases of a noisy machine. It prints the
median seconds per fit and the mean accuracy: seeded fits of the same code are
deterministic, so a change that only saves time leaves the accuracy as it was.
(Against a ref before ``augment="auto"``, the CNN workload trains with
augmentation there and without it here: its accuracy differs for that reason.)

Usage::

    python benchmarks/small_fits.py [--baseline-ref main] [--turns 3]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

from memory import REPO, _source_of  # benchmarks/ is sys.path[0] when run as a script

WORKLOADS = {
    "lenet5": ("LeNet5Classifier", dict(epochs=5), 10),
    "cnn": ("CNNClassifier", dict(epochs=3), 5),
    "transfer": ("TransferClassifier", dict(epochs=5), 5),
}

CHILD = r"""
import json, sys, time
import skfashion
from sklearn.model_selection import cross_val_score

cls_name, params, cv = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
cls = getattr(skfashion, cls_name)
X, y = skfashion.load_fashion_mnist(subset="sample", return_X_y=True)
cls(**params, random_state=0).fit(X[:200], y[:200])  # warm-up: TensorFlow loaded
from skfashion.transfer import clear_feature_cache
clear_feature_cache()  # the transfer workload starts from no cached features
start = time.perf_counter()
scores = cross_val_score(cls(**params, random_state=0), X, y, cv=cv)
print(json.dumps({"seconds": time.perf_counter() - start, "accuracy": float(scores.mean())}))
"""


def _measure(source, workload):
    cls_name, params, cv = WORKLOADS[workload]
    result = subprocess.run(
        [sys.executable, "-c", CHILD, cls_name, json.dumps(params), str(cv)],
        capture_output=True, text=True, cwd=str(source),
        env={**os.environ, "PYTHONPATH": str(source)},
    )
    if result.returncode:
        raise RuntimeError(f"{workload} failed:\n{result.stderr[-3000:]}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return measured["seconds"] / cv, measured["accuracy"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-ref", help="also measure this git ref (e.g. main)")
    parser.add_argument("--turns", type=int, default=3, help="runs of each workload per code")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, of {sorted(WORKLOADS)}")
    args = parser.parse_args(argv)
    workloads = args.workloads.split(",")
    unknown = set(workloads) - set(WORKLOADS)
    if unknown or args.turns < 1:
        parser.error(f"unknown workloads {sorted(unknown)}" if unknown else "--turns must be >= 1")
    with tempfile.TemporaryDirectory() as folder:
        sources = [("this tree", REPO)]
        if args.baseline_ref:
            sources.append((args.baseline_ref, _source_of(args.baseline_ref, folder)))
        runs = {}
        for workload in workloads:
            for turn in range(args.turns):
                for label, source in sources:
                    per_fit, accuracy = _measure(source, workload)
                    runs.setdefault((workload, label), []).append((per_fit, accuracy))
                    print(f"# {workload} turn {turn + 1} {label}: {per_fit:.2f} s per fit, "
                          f"accuracy {accuracy:.4f}", file=sys.stderr, flush=True)
    sys.path.insert(0, str(REPO))
    from skfashion._report import cpu_description

    print(f"CPU: {cpu_description()}; Python {platform.python_version()}; "
          f"{args.turns} turns, the codes alternating")
    header = ("workload", "code", "s per fit (median)", "every turn", "mean CV accuracy")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for (workload, label), measured in runs.items():
        times = [t for t, _ in measured]
        accuracies = sorted({round(a, 4) for _, a in measured})
        print(f"| {workload} | {label} | {statistics.median(times):.2f} | "
              f"{', '.join(f'{t:.2f}' for t in times)} | "
              f"{', '.join(f'{a:.4f}' for a in accuracies)} |")


if __name__ == "__main__":
    main()
