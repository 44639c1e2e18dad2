"""Shared fixtures: small seeded synthetic images, the embedded real sample, the real data."""

import os
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


#: A CNN small enough for many tests: two blocks of 4 and 8 filters, 2 epochs.
TINY_CNN = dict(filters=(4, 8), epochs=2, random_state=0)


@pytest.fixture(scope="session")
def noise4():
    """200 random 12x12 uint8 images, 4 classes of 50 in order: nothing to learn.

    For tests of how a model trains and predicts, not of what it learns.
    """
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(200, 12, 12), dtype=np.uint8)
    y = np.repeat(np.arange(4), 50)
    return X, y


@pytest.fixture(scope="session")
def shapes():
    """90 synthetic 12x12 gray images of 3 classes (see make_shapes)."""
    return make_shapes(n_per_class=30)


@pytest.fixture(scope="session")
def fashion_sample():
    """The embedded real sample: 1,000 Fashion-MNIST test images, 100 per class."""
    return load_fashion_mnist(subset="sample", return_X_y=True)


REQUIRE_DATA = "SKFASHION_REQUIRE_DATA"


def skip_or_fail(reason):
    """Skip the test for lack of the real data, or fail it when ``$SKFASHION_REQUIRE_DATA=1``.

    Contributors without the data installed see skips; CI installs the data and
    sets the variable, so a lost data folder fails there instead of hiding.
    """
    if os.environ.get(REQUIRE_DATA) == "1":
        pytest.fail(f"{reason} ({REQUIRE_DATA}=1: the real data are required)", pytrace=False)
    pytest.skip(reason)


def find_real_files():
    """``{key: path}`` of the four real Fashion-MNIST files, or skip (or fail) the test.

    They are looked for where :func:`~skfashion.load_fashion_mnist` looks, and
    never downloaded.
    """
    from skfashion import _dataset_files

    try:
        hits = _dataset_files.locate(_dataset_files.CANONICAL, download_if_missing=False)
    except FileNotFoundError as exc:
        skip_or_fail(
            f"the real Fashion-MNIST files are not installed ({str(exc).splitlines()[0]} "
            "Install them with `apt-get install dataset-fashion-mnist`; see "
            "docs/install.rst for other ways)"
        )
    return {key: hit.path for key, hit in hits.items()}


@pytest.fixture(scope="session")
def real_files():
    """The real data files, ``{"train-images": path, ...}``; skips the test without them."""
    return find_real_files()
