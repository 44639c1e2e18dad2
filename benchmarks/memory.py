"""Peak memory of fitting LeNet5Classifier, beyond TensorFlow's own.

Each measurement runs in a fresh Python process, which loads uint8 images
(saved once as ``.npy`` files in a temporary folder, so that loading adds no
temporary copies) and fits ``LeNet5Classifier(epochs=1, random_state=0)``:

* ``baseline``: 1,000 images, in memory: TensorFlow, Keras and the model.
* ``60k``: the 60,000 training images, in memory (45 MiB of uint8).
* ``memmap``: ``--n-memmap`` images (default 300,000: the training set tiled)
  read through ``np.load(mmap_mode="r")``.

Two figures per run, each minus the baseline's: the peak resident set size
(``VmHWM``: it counts the pages of a memory-mapped file that were read too), and
the peak anonymous memory (``RssAnon`` sampled every 2 ms: the memory the
process allocated itself). The target is at most 1.5x the size of the uint8
images. ``--baseline-ref REF`` measures the code of a git ref (e.g. ``main``)
in the same run, for a before/after table.

Usage::

    python benchmarks/memory.py [--baseline-ref main] [--n-memmap 300000]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, threading, time
import numpy as np

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

peak_anon = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak_anon[0] = max(peak_anon[0], status("RssAnon"))
        time.sleep(0.002)

import skfashion
path, kind, n_images = sys.argv[1], sys.argv[2], int(sys.argv[3])
labels = np.load(path + ".labels.npy")[:n_images]
if kind == "memmap":
    X = np.load(path + ".images.npy", mmap_mode="r")[:n_images]
else:
    X = np.array(np.load(path + ".images.npy", mmap_mode="r")[:n_images])
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
clf = skfashion.LeNet5Classifier(epochs=1, random_state=0).fit(X, labels)
seconds = time.perf_counter() - start
stop.set()
print(json.dumps({"vmhwm": status("VmHWM"), "anon": peak_anon[0],
                  "seconds": seconds, "nbytes": int(X.nbytes)}))
"""


def _prepare(folder, n_memmap):
    """Write the training images (and their tiling) as .npy files; return paths."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from skfashion import load_fashion_mnist

    X, y = load_fashion_mnist("train", return_X_y=True)
    paths = {}
    train = str(Path(folder) / "train")
    np.save(train + ".images.npy", X)
    np.save(train + ".labels.npy", y)
    paths["train"] = train
    tiled = str(Path(folder) / "tiled")
    reps = -(-n_memmap // len(X))
    out = np.lib.format.open_memmap(
        tiled + ".images.npy", mode="w+", dtype=np.uint8, shape=(n_memmap, *X.shape[1:])
    )
    for i in range(reps):
        chunk = slice(i * len(X), min((i + 1) * len(X), n_memmap))
        out[chunk] = X[: chunk.stop - chunk.start]
    out.flush()
    del out
    np.save(tiled + ".labels.npy", np.resize(y, n_memmap))
    paths["tiled"] = tiled
    return paths


def _source_of(ref, folder):
    """Export the tree of git ``ref`` into ``folder``; return its path."""
    target = Path(folder) / f"src-{ref.replace('/', '_')}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _measure(source, path, kind, n_images):
    env = {**os.environ, "PYTHONPATH": str(source)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, path, kind, str(n_images)],
        capture_output=True, text=True, env=env, cwd=str(source),
    )
    if result.returncode:
        raise RuntimeError(f"{kind} {n_images} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-ref", help="also measure this git ref (e.g. main)")
    parser.add_argument("--n-memmap", type=int, default=300_000)
    parser.add_argument("--skip-ref-memmap", action="store_true",
                        help="do not run the memmap case on --baseline-ref")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        paths = _prepare(folder, args.n_memmap)
        sources = [("this tree", REPO)]
        if args.baseline_ref:
            sources.append((args.baseline_ref, _source_of(args.baseline_ref, folder)))
        cases = [("1,000 in memory (baseline)", "train", "memory", 1000),
                 ("60,000 in memory", "train", "memory", 60_000),
                 (f"{args.n_memmap:,} np.memmap", "tiled", "memmap", args.n_memmap)]
        rows = []
        for label, source in sources:
            base = None
            for case, data, kind, n in cases:
                if kind == "memmap" and label != "this tree" and args.skip_ref_memmap:
                    continue
                m = _measure(source, paths[data], kind, n)
                if base is None:
                    base = m
                    continue
                rows.append((label, case, m["nbytes"], m["vmhwm"] - base["vmhwm"],
                             m["anon"] - base["anon"], m["seconds"]))
    sys.path.insert(0, str(REPO))
    from skfashion._report import cpu_description

    print(f"CPU: {cpu_description()}; Python {platform.python_version()}")
    print("Peak memory of LeNet5Classifier(epochs=1).fit beyond a 1,000-image fit")
    header = ("code", "images", "uint8 MiB", "peak RSS MiB", "x uint8",
              "peak anon MiB", "x uint8", "fit s")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    mib = 2**20
    for label, case, nbytes, rss, anon, seconds in rows:
        print(f"| {label} | {case} | {nbytes / mib:.0f} | {rss / mib:.0f} | "
              f"{rss / nbytes:.2f} | {anon / mib:.0f} | {anon / nbytes:.2f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
