"""Cost of training-time augmentation on CPU: Keras' layers against RandomShiftAndFlip.

The measurement behind LeNet-5's augmentation layer
(:class:`skfashion.layers.RandomShiftAndFlip`). Three LeNet-5 models that differ
only in what sits in front of :func:`skfashion.architectures.build_lenet5`'s network:

* ``none``: no augmentation;
* ``keras``: ``RandomTranslation(0.1, 0.1, fill_mode="constant")`` and
  ``RandomFlip("horizontal")``, what LeNet-5 used before (and the CNN still uses);
* ``skfashion``: :class:`~skfashion.layers.RandomShiftAndFlip` ``(0.1)``.

For each it reports the augmentation alone (milliseconds per batch, the layers
called in training mode inside one ``tf.function``) and training images/s of
the whole model (``model.fit`` over the epochs after the first, compiled as
skfashion compiles it, no validation split). The models take turns over
``--rounds`` rounds so that other load falls on all of them alike; figures are
medians.

Usage::

    python benchmarks/augmentation.py
    python benchmarks/augmentation.py --train-size 12000 --rounds 1   # quick

Nothing here is committed as a result: figures depend on the CPU and its load.
"""

import argparse
import os
import platform
import statistics
import time

import keras
import tensorflow as tf
from keras import layers

from skfashion import load_fashion_mnist
from skfashion._recipe import STEPS_PER_EXECUTION
from skfashion.architectures import build_lenet5
from skfashion.layers import RandomShiftAndFlip


def augmentations(seed):
    """name -> a fresh augmentation layer (or None) for one model."""
    return {
        "none": None,
        "keras": keras.Sequential([
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed),
            layers.RandomFlip("horizontal", seed=seed),
        ], name="keras_augmentation"),
        "skfashion": RandomShiftAndFlip(0.1, seed=seed),
    }


def layer_ms_per_batch(layer, batch, repeats=200):
    """Median milliseconds of one training-mode call over 5 blocks of ``repeats``."""
    if layer is None:
        return 0.0
    call = tf.function(lambda x: layer(x, training=True))
    call(batch)
    blocks = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            call(batch)
        blocks.append((time.perf_counter() - start) / repeats * 1e3)
    return statistics.median(blocks)


def train_img_s(augmentation, X, y, *, batch_size, epochs, seed):
    """Training images/s of LeNet-5 behind ``augmentation``, epochs after the first."""
    keras.utils.set_random_seed(seed)
    network = build_lenet5(X.shape[1:], 10)
    inputs = keras.Input(X.shape[1:])
    x = inputs if augmentation is None else augmentation(inputs)
    model = keras.Model(inputs, network(x))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    seconds = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    model.fit(X, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[Timer()])
    return [len(X) / s for s in seconds[1:]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-size", type=int, default=60_000, help="first N training images")
    parser.add_argument("--batch-size", type=int, default=256, help="LeNet5Classifier's default")
    parser.add_argument("--epochs", type=int, default=3, help="per fit; the first is warm-up")
    parser.add_argument("--rounds", type=int, default=2, help="fits per model, taking turns")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error(f"--epochs must be at least 2 (the first is warm-up); got {args.epochs}")
    X, y = load_fashion_mnist("train", return_X_y=True)
    X = X[: args.train_size].reshape(-1, 28, 28, 1).astype("float32")
    y = y[: args.train_size]
    print(f"# LeNet-5, {len(X):,} training images, batch {args.batch_size}, {args.epochs} "
          f"epochs x {args.rounds} rounds; {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()})", flush=True)

    batch = tf.constant(X[: args.batch_size])
    names = list(augmentations(0))
    layer_ms = {name: [] for name in names}
    img_s = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names:
            layer_ms[name].append(layer_ms_per_batch(augmentations(round_)[name], batch))
            img_s[name] += train_img_s(augmentations(round_)[name], X, y,
                                       batch_size=args.batch_size, epochs=args.epochs,
                                       seed=round_)
    base = statistics.median(img_s["none"])
    print("\n| augmentation | ms per batch, layers alone | train img/s | ratio to none |")
    print("|---|---:|---:|---:|")
    for name in names:
        median = statistics.median(img_s[name])
        print(f"| {name} | {statistics.median(layer_ms[name]):.2f} | {median:,.0f} "
              f"| {median / base:.2f} |")


if __name__ == "__main__":
    main()
