"""TransferClassifier on the full Fashion-MNIST data: frozen and fine-tuned.

For each ``--input-size`` (default: the classifier's own, 96), trains
``TransferClassifier(backbone, input_size=...)`` on the 60,000 training images
with the backbone frozen, then (unless
``--no-fine-tune``) a second one that also fine-tunes the top
``--fine-tune-layers`` backbone layers, and prints test accuracy, time and the
backbone's feature-extraction throughput. The feature cache is cleared before
each fit, so every fit time includes building the backbone and its pass over the
training images, as a user's first fit does.

Usage::

    python benchmarks/transfer_full.py --input-size 32 --input-size 64
    python benchmarks/transfer_full.py --train-size 6000 --no-fine-tune   # quick

Fine-tuning runs the whole backbone forward and backward for every image and
epoch: on 2 CPU cores, fine-tuning every layer at 96x96 took about 3.5 minutes per
epoch over 54,000 images (4 epochs: 92.71 % test accuracy, 953 s in all; 8 epochs:
93.49 %, 1,759 s; 12 epochs: 93.86 %, 3,202 s with the cores shared for part of it)::

    python benchmarks/transfer_full.py --input-size 96 --fine-tune-layers 1000 \
        --fine-tune-epochs 12 --fine-tune-learning-rate 1e-4

``--params`` (a JSON object) sets more parameters of the fine-tuned classifier,
for instance the shared recipe with augmentation and no validation split::

    python benchmarks/transfer_full.py --input-size 96 --fine-tune-layers 1000 \
        --fine-tune-epochs 6 --fine-tune-learning-rate 2e-4 --params \
        '{"augment": true, "lr_schedule": "cosine", "validation_split": 0.0, "label_smoothing": 0.1}'

The fine-tuned figures above were measured before the cache was cleared between
the two fits: their head trained on the frozen run's cached features, so they
leave out one pass of the backbone over the training images (about 2 minutes at
96x96).
"""

import argparse
import json
import os
import time

from skfashion import BackboneFeatures, TransferClassifier, load_fashion_mnist
from skfashion._report import cpu_description
from skfashion.transfer import clear_feature_cache, feature_cache_info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--input-size", type=int, action="append")
    parser.add_argument("--train-size", type=int, default=None)
    parser.add_argument("--fine-tune-layers", type=int, default=60)
    parser.add_argument("--fine-tune-epochs", type=int, default=5)
    parser.add_argument("--fine-tune-learning-rate", type=float, default=1e-5)
    parser.add_argument("--no-fine-tune", action="store_true")
    parser.add_argument("--no-frozen", action="store_true", help="train only the fine-tuned model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--params", type=json.loads, default={},
                        help="JSON object of more parameters of the fine-tuned classifier")
    parser.add_argument("--shift-tta", action="store_true",
                        help='also score a model trained on mirrored images with tta="shift" '
                             "(18 views per image: at 96x96 several minutes per 10,000)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if not isinstance(args.params, dict):
        parser.error(f"--params must be a JSON object; received {args.params!r}")

    X_train, y_train = load_fashion_mnist("train", return_X_y=True)
    X_test, y_test = load_fashion_mnist("test", return_X_y=True)
    if args.train_size:
        X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    print(
        f"# {'SUBSET: ' if len(X_train) < 60_000 else ''}{len(X_train)} training / "
        f"{len(X_test)} test images, backbone {args.backbone}, seed {args.seed}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"# CPU: {cpu_description()}")
    print(f"# fine-tuning: top {args.fine_tune_layers} layers, "
          f"{args.fine_tune_epochs} epochs at learning rate {args.fine_tune_learning_rate}"
          f"{', ' + json.dumps(args.params) if args.params else ''}")
    print("| mode | input | test acc. | without TTA | shift TTA | epochs | fit s "
          "| extract img/s |")
    print("|---|---|---|---|---|---|---|---|")
    common = dict(backbone=args.backbone, random_state=args.seed)
    if args.no_frozen and args.no_fine_tune:
        parser.error("--no-frozen with --no-fine-tune leaves nothing to train")
    modes = {} if args.no_frozen else {"frozen": common}
    if not args.no_fine_tune:
        modes["fine-tuned"] = {
            **common,
            "fine_tune_layers": args.fine_tune_layers,
            "fine_tune_epochs": args.fine_tune_epochs,
            "fine_tune_learning_rate": args.fine_tune_learning_rate,
            **args.params,
        }
        # A bad --params fails here, not after the frozen run's minutes.
        check = TransferClassifier(**modes["fine-tuned"])
        check._validate_params()
        check._check_routed_params()
        if not check.fine_tune_layers:
            parser.error("--fine-tune-layers 0 fine-tunes nothing: use --no-fine-tune")
    rows = []
    for size in args.input_size or [TransferClassifier().input_size]:
        features = BackboneFeatures(args.backbone, input_size=size).fit(X_test[:256])
        features.transform(X_test[:256])  # build and trace once, outside the timing
        start = time.perf_counter()
        features.transform(X_test)
        extract = len(X_test) / (time.perf_counter() - start)
        for mode, params in modes.items():
            clf = TransferClassifier(**params, input_size=size)
            clear_feature_cache()  # each fit time includes its pass over the images
            start = time.perf_counter()
            clf.fit(X_train, y_train)
            fit_s = time.perf_counter() - start
            accuracy, no_tta, shift_tta = clf.score(X_test, y_test), None, None
            if clf._uses_tta():
                no_tta = clf.set_params(tta=False).score(X_test, y_test)
                if args.shift_tta:
                    shift_tta = clf.set_params(tta="shift").score(X_test, y_test)
            row = {
                "mode": mode,
                "input_size": size,
                "params": args.params if mode == "fine-tuned" else {},
                "test_accuracy": accuracy,
                "test_accuracy_without_tta": no_tta,
                "test_accuracy_shift_tta": shift_tta,
                "epochs_run": len(clf.history_["loss"]),
                "fit_seconds": fit_s,
                "extract_images_per_s": extract,
            }
            rows.append(row)
            print(
                f"| {mode} | {size}x{size} | {100 * row['test_accuracy']:.2f} % | "
                f"{'' if no_tta is None else f'{100 * no_tta:.2f} %'} | "
                f"{'' if shift_tta is None else f'{100 * shift_tta:.2f} %'} | "
                f"{row['epochs_run']} | {fit_s:.0f} | {extract:.0f} |",
                flush=True,
            )
    print(f"# feature cache: {feature_cache_info()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
