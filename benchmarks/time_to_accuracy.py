"""Accuracy against training time: the new training recipe and the previous one.

Trains each estimator on the Fashion-MNIST training images and scores it on the
official 10,000 test images, one configuration per fresh Python process, one
after the other (never two at once: on 2 cores that would ruin both timings).
For every configuration it prints, after each epoch, the wall-clock training
time so far and the test accuracy of the model at that point (evaluating it is
not counted as training time), then a final Markdown table: test accuracy
(with and, where the estimator has ``tta``, without the mirror-image
test-time augmentation, and with ``tta="shift"``: the 18 views of the
image and its mirror shifted by up to one pixel; only for a network trained
on mirror images), epochs, batch size, whether the network was augmented
(``augment_``), precision (``precision_``), training time (``fit`` wall
clock, model building included) and training images/s.

Configurations (``--configs``, comma-separated):

* ``cnn``, ``lenet5``: the estimator's defaults with ``random_state=0``.
* ``cnn-large``: the documented larger CNN setting (``stem_stride=None,
  filters=(24, 48, 96, 192), epochs=24, tta="shift"``: full resolution in the
  first block, four blocks, 18-view test-time augmentation).
* ``cnn-previous``, ``lenet5-previous``: the recipe and network of the previous
  release (constant Adam learning rate halved on plateau, early stopping on a
  10 % validation split, no label smoothing, no weight decay, no test-time
  augmentation, float32; the CNN's VGG network with its dense layer). One difference:
  the CNN's augmentation is now :class:`~skfashion.layers.RandomShiftAndFlip`
  instead of Keras' ``RandomTranslation`` and ``RandomFlip``.
* ``cnn-no-<lever>``, ``lenet5-no-<lever>``: the defaults with one lever of the
  recipe switched off (``LEVERS`` below), for each lever's contribution.
* ``cnn-with-augment``, ``lenet5-with-augment``: augmentation forced on
  (``augment="auto"``, the default, turns it on from a budget of epochs: 15
  for the CNN, 25 for LeNet-5; with ``-no-augment`` these compare the two at
  any ``--epochs``).
* ``lenet5-no-bfloat16``, ``cnn-with-bfloat16``, ``cnn-with-cutout``: the
  defaults with one lever that is off by default switched on, or (LeNet-5's
  bfloat16) one that is on switched off.

Usage::

    python benchmarks/time_to_accuracy.py                     # cnn, lenet5 and their previous recipes
    python benchmarks/time_to_accuracy.py --configs lenet5,lenet5-previous
    python benchmarks/time_to_accuracy.py --levers lenet5     # lenet5 and every lever off
    python benchmarks/time_to_accuracy.py --configs cnn --epochs 3 --train-size 6000
    python benchmarks/time_to_accuracy.py --json results.json  # also write the rows as JSON
    python benchmarks/time_to_accuracy.py --configs lenet5 --random-state 1  # another seed
    python benchmarks/time_to_accuracy.py --configs cnn --params '{"filters": [32, 64, 128, 256]}'

``--epochs`` and ``--train-size`` (a stratified subset) give short-budget and
small-data rows; ``--params`` (a JSON object) sets estimator parameters on top
of every configuration's, for a variant that has no row of its own. Figures depend on the CPU and its load; the CPU model and its
relevant flags are printed with the table.
"""

import argparse
import json
import subprocess
import sys
import time

#: The previous release's recipe, common to both networks.
_PREVIOUS_RECIPE = dict(
    learning_rate=1e-3,
    lr_schedule="plateau",
    weight_decay=0.0,
    label_smoothing=0.0,
    validation_split=0.1,
    tta=False,
    precision="float32",
)

#: name -> (estimator class name, parameters on top of random_state=0).
CONFIGS = {
    "cnn": ("CNNClassifier", {}),
    "lenet5": ("LeNet5Classifier", {}),
    "cnn-large": ("CNNClassifier", {"stem_stride": None, "filters": (24, 48, 96, 192),
                                    "epochs": 24, "tta": "shift"}),
    "cnn-previous": (
        "CNNClassifier",
        dict(
            _PREVIOUS_RECIPE,
            stem_stride=None,
            residual=False,
            global_pool=False,
            dense_units=256,
            dropout=0.25,
            augment=True,
            epochs=40,
            batch_size=128,
            patience=5,
        ),
    ),
    "lenet5-previous": (
        "LeNet5Classifier",
        dict(_PREVIOUS_RECIPE, augment=True, epochs=150, batch_size=256, patience=10),
    ),
}

#: lever -> the parameters that switch it off.
LEVERS = {
    "tta": {"tta": False},
    "label-smoothing": {"label_smoothing": 0.0},
    "weight-decay": {"weight_decay": 0.0},
    "schedule": {"lr_schedule": "constant", "learning_rate": 1e-3},
    "augment": {"augment": False},
}
#: Levers of the CNN only: its network.
CNN_LEVERS = {
    "residual-stem": {
        "stem_stride": None,
        "residual": False,
        "global_pool": False,
        "dense_units": 256,
        "dropout": 0.25,
    },
}
for _model, _cls in (("cnn", "CNNClassifier"), ("lenet5", "LeNet5Classifier")):
    for _lever, _params in {**LEVERS, **(CNN_LEVERS if _model == "cnn" else {})}.items():
        CONFIGS[f"{_model}-no-{_lever}"] = (_cls, _params)
    #: augment="auto" decides from the budget; this row forces it on, the
    #: -no-augment row off, so the two compare at any --epochs.
    CONFIGS[f"{_model}-with-augment"] = (_cls, {"augment": True})
#: precision: LeNet-5's default "auto" is mixed_bfloat16 on CPUs with bfloat16
#: instructions (elsewhere its no-bfloat16 row trains the defaults' float32
#: model); the CNN's default is float32.
CONFIGS["lenet5-no-bfloat16"] = ("LeNet5Classifier", {"precision": "float32"})
CONFIGS["cnn-with-bfloat16"] = ("CNNClassifier", {"precision": "mixed_bfloat16"})
#: Cutout (a random 7x7 square of each training image set to 0) is off by default.
CONFIGS["cnn-with-cutout"] = ("CNNClassifier", {"cutout": 0.25})


def _child(spec):
    """Train one configuration in this process; print progress and one JSON line."""
    import keras
    import numpy as np
    from sklearn.model_selection import train_test_split

    import skfashion

    X, y = skfashion.load_fashion_mnist("train", return_X_y=True)
    X_test, y_test = skfashion.load_fashion_mnist("test", return_X_y=True)
    if spec["train_size"] and spec["train_size"] < len(y):
        X, _, y, _ = train_test_split(
            X, y, train_size=spec["train_size"], stratify=y, random_state=0
        )
    cls_name, params = CONFIGS[spec["config"]]
    params = {**params, **spec["params"], "random_state": spec["random_state"], "verbose": 0}
    if spec["epochs"]:
        params["epochs"] = spec["epochs"]
    curve, off_clock = [], [0.0]  # closures: scikeras may copy the callback
    start = None  # set just before fit; read by the callback

    class TestCurve(keras.callbacks.Callback):
        """Test accuracy after each epoch; its own time is kept off the clock."""

        def on_epoch_end(self, epoch, logs=None):
            paused = time.perf_counter()
            proba = self.model.predict(X_test, batch_size=1024, verbose=0)
            accuracy = float(np.mean(proba.argmax(axis=1) == y_test))
            elapsed = paused - start - off_clock[0]
            curve.append((epoch + 1, round(elapsed, 1), round(accuracy, 4)))
            print(f"  {spec['config']}: epoch {epoch + 1:3d}  {elapsed:7.1f} s  "
                  f"test {accuracy:.2%}", file=sys.stderr, flush=True)
            off_clock[0] += time.perf_counter() - paused

    clf = getattr(skfashion, cls_name)(**params, callbacks=[TestCurve()])
    start = time.perf_counter()
    clf.fit(X, y)
    train_s = time.perf_counter() - start - off_clock[0]
    accuracy = float(clf.score(X_test, y_test))
    no_tta = shift_tta = None
    if getattr(clf, "tta", False) and clf._uses_tta():
        clf.set_params(tta=False)
        no_tta = float(clf.score(X_test, y_test))
        clf.set_params(tta="shift")
        shift_tta = float(clf.score(X_test, y_test))
    epochs = len(clf.history_["loss"])
    print(json.dumps({
        "config": spec["config"],
        "estimator": cls_name,
        "params": {k: v for k, v in params.items() if k != "verbose"},
        "train_size": int(len(y)),
        "epochs": epochs,
        "batch_size": int(clf.batch_size_),
        "train_s": round(train_s, 1),
        "img_per_s": round(len(y) * epochs / train_s),
        "test_accuracy": round(accuracy, 4),
        "test_accuracy_without_tta": None if no_tta is None else round(no_tta, 4),
        "test_accuracy_shift_tta": None if shift_tta is None else round(shift_tta, 4),
        "n_parameters": int(clf.model_.count_params()),
        "precision": clf.precision_,
        "augment": bool(clf.augment_),
        "curve": curve,
    }), flush=True)


def _run(config, args):
    spec = {"config": config, "epochs": args.epochs, "train_size": args.train_size,
            "random_state": args.random_state, "params": args.params}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        stdout=subprocess.PIPE, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"configuration {config!r} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _table(rows):
    header = ("configuration", "test accuracy", "without TTA", "shift TTA", "epochs",
              "batch", "augment", "precision", "training time", "train img/s", "parameters")
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for r in rows:
        no_tta, shift_tta = r["test_accuracy_without_tta"], r.get("test_accuracy_shift_tta")
        lines.append(
            f"| {r['config']} | {r['test_accuracy']:.2%} | "
            f"{'' if no_tta is None else f'{no_tta:.2%}'} | "
            f"{'' if shift_tta is None else f'{shift_tta:.2%}'} | {r['epochs']} | "
            f"{r['batch_size']} | {'yes' if r['augment'] else 'no'} | {r.get('precision', 'float32')} | {r['train_s']:,.0f} s | {r['img_per_s']:,} | "
            f"{r['n_parameters']:,} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="cnn,lenet5,cnn-previous,lenet5-previous",
                        help=f"comma-separated, from: {', '.join(CONFIGS)}")
    parser.add_argument("--levers", choices=("cnn", "lenet5"),
                        help="run the model's defaults and each lever switched off")
    parser.add_argument("--epochs", type=int, help="override every configuration's epochs")
    parser.add_argument("--train-size", type=int,
                        help="train on a stratified subset of this many images")
    parser.add_argument("--random-state", type=int, default=0,
                        help="random_state of every configuration (default 0)")
    parser.add_argument("--params", type=json.loads, default={},
                        help="JSON object of estimator parameters set on top of every configuration's")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not isinstance(args.params, dict):
        parser.error(f"--params must be a JSON object; received {args.params!r}")
    if args.child:
        return _child(json.loads(args.child))
    if args.levers:
        configs = [args.levers] + [
            c for c in CONFIGS
            if c.startswith((f"{args.levers}-no-", f"{args.levers}-with-"))
        ]
    else:
        configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; expected some of: {', '.join(CONFIGS)}")
    from skfashion._report import cpu_description

    cpu = cpu_description()
    print(f"CPU: {cpu}", file=sys.stderr)
    rows = []
    for config in configs:
        rows.append(_run(config, args))
        r = rows[-1]
        print(f"{config}: {r['test_accuracy']:.2%} in {r['train_s']:,.0f} s "
              f"({r['epochs']} epochs)", file=sys.stderr, flush=True)
    print(f"\nCPU: {cpu}")
    print(f"Training images: {rows[0]['train_size']:,}; test images: 10,000 (official split)")
    if args.params:
        print(f"Parameters on top of every configuration's: {json.dumps(args.params)}")
    print()
    print(_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
