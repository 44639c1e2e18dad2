"""Shared fixtures: small seeded synthetic images and the embedded real sample."""

import random
import threading
from contextlib import contextmanager

import numpy as np
import pytest

from skfashion import load_fashion_mnist


def make_shapes(n_per_class=20, size=12, n_classes=3, seed=0):
    """Gray images whose class is where a bright square sits, plus noise.

    Easy enough that one epoch of a small network separates the classes, so a
    test can tell a model that learns from one that predicts a single class.
    """
    rng = np.random.default_rng(seed)
    n = n_per_class * n_classes
    X = rng.integers(0, 60, size=(n, size, size)).astype(np.uint8)
    y = np.repeat(np.arange(n_classes), n_per_class)
    half = size // 2
    corners = [(0, 0), (0, half), (half, 0), (half, half)]
    for i, label in enumerate(y):
        r, c = corners[label]
        X[i, r : r + half, c : c + half] = rng.integers(200, 256, size=(half, half))
    order = rng.permutation(n)
    return X[order], y[order]


@contextmanager
def another_thread_drawing_from_random(interval=0.001):
    """Run the block while another thread keeps drawing from Python's ``random``.

    As a dask worker's own threads do: Keras used to seed unseeded layers from
    that shared generator, so seeded fits there were not reproducible.
    """
    stop = threading.Event()

    def draw():
        while not stop.wait(interval):
            random.random()

    drawer = threading.Thread(target=draw, daemon=True)
    drawer.start()
    try:
        yield
    finally:
        stop.set()
        drawer.join()


@pytest.fixture(scope="session")
def shapes():
    """90 synthetic 12x12 gray images of 3 classes (see make_shapes)."""
    return make_shapes(n_per_class=30)


@pytest.fixture(scope="session")
def fashion_sample():
    """The embedded real sample: 1,000 Fashion-MNIST test images, 100 per class."""
    return load_fashion_mnist(subset="sample", return_X_y=True)
