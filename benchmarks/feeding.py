"""Cost of skfashion's batch-by-batch feed against an array passed to ``model.fit``.

skfashion hands Keras the images one batch at a time from the caller's array
(:class:`skfashion._batches.ImageBatches`, a ``keras.utils.PyDataset``), so a
fit makes no whole copy of the data. Keras, given the array itself, slices it
inside its own input pipeline. This script trains the same LeNet-5 network
(:func:`skfashion.architectures.build_lenet5`, compiled as skfashion compiles
it, seeded, no validation split, no augmentation) by hand in one process, on
the two feeds in turn (``--turns`` turns of ``--epochs`` epochs each), and
prints every epoch's time, each turn's median images/s over the epochs after
the first, and the ratio of the feed to the array. It also times iterating the
feed alone, with no training.

Usage::

    python benchmarks/feeding.py                     # 60,000 images, 3 turns x 5 epochs
    python benchmarks/feeding.py --train-size 6000 --turns 1 --epochs 2   # smoke run

Nothing here is committed as a result: figures depend on the CPU and its load.
"""

import argparse
import platform
import statistics
import time

import keras
from throughput import _epoch_timer  # benchmarks/ is sys.path[0] when run as a script

from skfashion import load_fashion_mnist
from skfashion._batches import ImageBatches
from skfashion._recipe import compile_model, restart_schedule
from skfashion.architectures import build_lenet5

BATCH = 256


def _train(X, y, feed, epochs):
    keras.utils.set_random_seed(0)
    model = compile_model(
        build_lenet5(X.shape[1:], 10, seed=0), learning_rate=1e-2, lr_schedule="cosine",
        warmup=0.15, weight_decay=5e-4, label_smoothing=0.1,
        optimizer_kwargs={}, compile_kwargs={},
    )
    data = (dict(x=ImageBatches(X, y, batch_size=BATCH, shuffle=True, seed=0))
            if feed == "batches" else dict(x=X, y=y, batch_size=BATCH))
    restart_schedule(model.optimizer, epochs * -(-len(X) // BATCH))
    timer = _epoch_timer()
    model.fit(epochs=epochs, verbose=0, callbacks=[timer], **data)
    return timer.seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=None, help="first N training images")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per turn (at least 2)")
    parser.add_argument("--turns", type=int, default=3, help="turns of each feed")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch (tracing) is left out")
    X, y = load_fashion_mnist("train", return_X_y=True)
    X, y = X[: args.train_size, :, :, None], y[: args.train_size].astype("int32")
    feed = ImageBatches(X, y, batch_size=BATCH, shuffle=True, seed=0)
    start = time.perf_counter()
    for i in range(len(feed)):
        feed[i]
    alone = time.perf_counter() - start
    print(f"# {len(X):,} images, batch {BATCH}, {args.turns} turns x {args.epochs} epochs; "
          f"{platform.processor() or platform.machine()}, keras {keras.__version__}")
    print(f"# iterating the feed alone: {alone:.3f} s per epoch\n")
    print("| turn | feed | epoch times s | img/s, epochs after the first (median) |")
    print("|---:|---|---|---:|")
    medians = {"batches": [], "array": []}
    for turn in range(1, args.turns + 1):
        for name in ("batches", "array"):
            times = _train(X, y, name, args.epochs)
            rate = len(X) / statistics.median(times[1:])
            medians[name].append(rate)
            print(f"| {turn} | {name} | {', '.join(f'{t:.2f}' for t in times)} | {rate:,.0f} |")
    ratios = [b / a for b, a in zip(medians["batches"], medians["array"])]
    print("\nbatches / array per turn: " + ", ".join(f"{r:.2f}x" for r in ratios))


if __name__ == "__main__":
    main()
