"""Make the Fashion-MNIST sample embedded in skfashion (``subset="sample"``).

The sample holds the first 100 images of each class of the real Fashion-MNIST
*test* split, 1,000 images in all, kept in test-set order. It is written to
``skfashion/data/`` as two gzipped IDX files (gzip ``mtime=0``, so running the
script again gives the same bytes) plus the MIT licence of the data:

* ``fashion-mnist-sample-images-idx3-ubyte.gz``
* ``fashion-mnist-sample-labels-idx1-ubyte.gz``
* ``FASHION-MNIST-LICENSE.txt``

The test split is read with ``load_fashion_mnist(subset="test",
download_if_missing=False)``, i.e. from any verified local copy (e.g. the
Debian package ``dataset-fashion-mnist``). The script prints the SHA-256 of the
decompressed sample files: record them in ``FILES`` in
``skfashion/_dataset_files.py``.

Usage::

    pip install -e .   # or: export PYTHONPATH=$PWD
    python tools/make_fashion_sample.py [--out-dir skfashion/data]
"""

import argparse
import gzip
import hashlib
from pathlib import Path

import numpy as np

from skfashion._idx import write_idx
from skfashion.datasets import load_fashion_mnist

PER_CLASS = 100

LICENSE = """\
Fashion-MNIST sample shipped with skfashion
===========================================

This folder holds a sample of Fashion-MNIST
(https://github.com/zalandoresearch/fashion-mnist): the first {per_class} images
of each of the 10 classes of the official test split (t10k-images-idx3-ubyte),
{total} images in all, kept in test-set order, with their labels. It was made by
tools/make_fashion_sample.py. Fashion-MNIST is distributed under the MIT licence:

The MIT License (MIT)

Copyright (c) 2017 Zalando SE

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def sample_indices(target, per_class=PER_CLASS):
    """Indices of the first ``per_class`` images of each class, in input order."""
    keep = np.zeros(len(target), dtype=bool)
    for label in np.unique(target):
        keep[np.flatnonzero(target == label)[:per_class]] = True
    return np.flatnonzero(keep)


def main(argv=None):
    default_out = Path(__file__).resolve().parents[1] / "skfashion" / "data"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=default_out)
    args = parser.parse_args(argv)

    X, y = load_fashion_mnist(subset="test", download_if_missing=False, return_X_y=True)
    idx = sample_indices(y)
    images, labels = X[idx], y[idx].astype(np.uint8)
    assert images.shape == (10 * PER_CLASS, 28, 28)
    assert (np.bincount(labels) == PER_CLASS).all()

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        raw = write_idx(array)
        path = args.out_dir / f"fashion-mnist-sample-{kind}-ubyte.gz"
        path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
        print(f"{path}: SHA-256 of decompressed bytes {hashlib.sha256(raw).hexdigest()}")
    (args.out_dir / "FASHION-MNIST-LICENSE.txt").write_text(
        LICENSE.format(per_class=PER_CLASS, total=10 * PER_CLASS)
    )


if __name__ == "__main__":
    main()
