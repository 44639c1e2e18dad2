"""Training and prediction throughput of skfashion against plain Keras and PyTorch.

For each model (``lenet5``, ``cnn``) the same network is trained three ways on the
same images, batch size (the estimator's default unless ``--batch-size`` is
given), number of epochs and augmentation setting, with no validation split
and no early stopping:

* **skfashion**: ``LeNet5Classifier`` / ``CNNClassifier`` with
  ``validation_split=0``, ``patience=None`` and ``random_state`` set to the
  repeat's number, fed the raw uint8 images as a user would (scikeras turns on
  TensorFlow's op determinism while a seeded estimator fits);
* **Keras by hand**: ``skfashion.architectures.build_lenet5`` / ``build_cnn``
  with the estimator's defaults (every builder argument that shapes the
  network, and its precision: LeNet-5's ``precision="auto"`` is bfloat16 on a
  CPU with AVX-512 BF16 or AMX), compiled as the estimators compile it
  (``skfashion._recipe.compile_model``: Adam with decoupled weight decay,
  label-smoothed cross-entropy, the learning-rate schedule, accuracy, and
  skfashion's ``steps_per_execution``, so that the ratio is the wrapper's own
  cost; ``--keras-steps-per-execution 1`` gives Keras' default instead), seeded
  with ``keras.utils.set_random_seed`` and trained under scikeras'
  ``tensorflow_random_state``, the TensorFlow op determinism a seeded skfashion
  fit runs under (it cost the CNN about 8 % in a separate measurement), again
  so that the ratio is the wrapper's own cost, by ``model.fit`` on the images
  as float32 ``(n, 28, 28, 1)``, converted inside the timed fit as the
  estimator converts them;
* **PyTorch**: the same network written in ``torch.nn`` (same shapes, padding,
  strided stem, residual blocks and global pooling where the defaults have
  them, BatchNorm momentum and epsilon), trained by a plain loop with AdamW
  (Keras' epsilon, the same weight decay), label smoothing, and bfloat16
  autocast where the Keras networks run in bfloat16; the learning-rate
  schedule is left out, which costs nothing. Optional: without ``torch``
  (``pip install torch``, CPU wheel) the column says n/a and why; it is also
  n/a with ``--augment``, which has no PyTorch twin here.

Each framework runs in a fresh process of its own, so its peak RSS is its own
and no warm state helps another; the three take turns (every repeat, prediction
and small fit is run by each in turn) so that the other load of a shared machine
falls on all three alike. Reported per framework: training images/s over the epochs
after the first (tracing and warm-up excluded; median over epochs and
repeats), over whole ``fit`` calls (setup and first epoch included), prediction
images/s, peak RSS, and the median time and RSS growth per fit over ``--fits``
consecutive small fits (1 epoch on 1,000 images) in one process. The ratio
columns divide skfashion by the other framework.

Usage::

    python benchmarks/throughput.py                  # both models, 60,000 images
    python benchmarks/throughput.py --quick          # small subset, 2 epochs: smoke run
    python benchmarks/throughput.py --model cnn --epochs 4 --repeats 5 --json out.json

Numbers depend on the machine and on what else runs on it; nothing here is
committed as a result. Compare ratios measured in one run.
"""

import argparse
import concurrent.futures
import importlib.util
import inspect
import json
import multiprocessing
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

FRAMEWORKS = ("skfashion", "keras", "torch")
ARRAYS = ("X_train", "y_train", "X_test", "y_test")


# ----------------------------------------------------------------- measuring


def _rss_mb():
    """Current resident set size in MB (Linux /proc, else psutil, else None)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        try:
            import psutil
        except ImportError:
            return None
        return psutil.Process().memory_info().rss / 2**20


def _peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if platform.system() == "Darwin" else peak / 2**10


def _median_rate(n_images, seconds):
    return n_images / statistics.median(seconds)


# Each framework lives in its own process; these run there, on its module state.
_STATE = {}


def _setup(framework, model, cfg, data_dir):
    trainers = {"skfashion": _SkfashionTrainer, "keras": _KerasTrainer, "torch": _TorchTrainer}
    _STATE["cfg"] = cfg
    _STATE["data"] = {name: np.load(Path(data_dir) / f"{name}.npy") for name in ARRAYS}
    _STATE["trainer"] = trainers[framework](model, cfg)


def _fit_once(seed):
    """One full fit; returns its seconds and the seconds of each of its epochs."""
    data, cfg = _STATE["data"], _STATE["cfg"]
    start = time.perf_counter()
    epochs = _STATE["trainer"].fit(data["X_train"], data["y_train"], cfg["epochs"], seed=seed)
    return time.perf_counter() - start, epochs


def _predict_once():
    start = time.perf_counter()
    _STATE["trainer"].predict(_STATE["data"]["X_test"])
    return time.perf_counter() - start


def _describe():
    """Peak RSS so far, trainable parameters and threads of the last model."""
    trainer = _STATE["trainer"]
    return {"peak_rss_mb": _peak_rss_mb(), "trainable_params": trainer.n_params,
            "threads": trainer.threads()}


def _small_fit(seed):
    """1 epoch on the first images, then predict them; returns seconds and RSS after."""
    data, n = _STATE["data"], _STATE["cfg"]["fit_size"]
    start = time.perf_counter()
    _STATE["trainer"].fit(data["X_train"][:n], data["y_train"][:n], 1, seed=seed)
    _STATE["trainer"].predict(data["X_train"][:n])
    return time.perf_counter() - start, _rss_mb()


def measure(frameworks, model, cfg, data_dir):
    """Run each framework in a fresh process, taking turns so that load hits all alike.

    Returns a dict of figures per framework, or ``{"error": why}`` for one that
    cannot run.
    """
    context = multiprocessing.get_context("spawn")
    pools, results = {}, {}
    for name in frameworks:
        pools[name] = concurrent.futures.ProcessPoolExecutor(1, mp_context=context)
        try:
            pools[name].submit(_setup, name, model, cfg, data_dir).result()
        except Exception as error:  # one framework failing must not hide the others
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            pools.pop(name).shutdown()

    def each(function, *args):  # one call in every live framework, in turn
        return {name: pool.submit(function, *args).result() for name, pool in pools.items()}

    try:
        fits = [each(_fit_once, repeat) for repeat in range(cfg["repeats"])]
        each(_predict_once)  # warm-up: the first call traces
        predicts = [each(_predict_once) for _ in range(cfg["repeats"])]
        described = each(_describe)
        small = [each(_small_fit, seed) for seed in range(cfg["fits"])]
    finally:
        for pool in pools.values():
            pool.shutdown()
    n_train, n_test = len(_load(data_dir, "y_train")), len(_load(data_dir, "y_test"))
    for name in pools:
        fit_s = [f[name][0] for f in fits]
        later = [s for f in fits for s in f[name][1][1:]]
        results[name] = {
            "train_img_s_later_epochs": _median_rate(n_train, later) if later else None,
            "train_img_s_whole_fit": _median_rate(n_train * cfg["epochs"], fit_s),
            "first_epoch_s": statistics.median(f[name][1][0] for f in fits),
            "predict_img_s": _median_rate(n_test, [p[name] for p in predicts]),
            **described[name],
        }
        if small:
            rss = [s[name][1] for s in small]
            results[name]["small_fit_s"] = statistics.median(s[name][0] for s in small)
            if len(small) > 1 and None not in rss:  # after the first fit, which loads kernels
                results[name]["rss_first_fit_mb"], results[name]["rss_last_fit_mb"] = rss[0], rss[-1]
                results[name]["rss_growth_mb_per_fit"] = (rss[-1] - rss[0]) / (len(rss) - 1)
    return results


def _load(data_dir, name):
    return np.load(Path(data_dir) / f"{name}.npy", mmap_mode="r")


# --------------------------------------------------------------- the trainers


def _epoch_timer():
    """A Keras callback that records the seconds of each epoch in ``.seconds``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


class _SkfashionTrainer:
    def __init__(self, model, cfg):
        from skfashion import CNNClassifier, LeNet5Classifier

        self.cls = {"lenet5": LeNet5Classifier, "cnn": CNNClassifier}[model]
        self.cfg, self.n_params = cfg, None

    def fit(self, X, y, epochs, seed):
        timer = _epoch_timer()
        self.est = self.cls(
            epochs=epochs, batch_size=self.cfg["batch_size"], augment=self.cfg["augment"],
            validation_split=0.0, patience=None, random_state=seed, callbacks=[timer],
        ).fit(X, y)
        self.n_params = _keras_trainable(self.est.model_)
        return timer.seconds

    def predict(self, X):
        return self.est.predict_proba(X)

    threads = staticmethod(lambda: _tensorflow_threads())


def _tensorflow_threads():
    import tensorflow as tf

    intra = tf.config.threading.get_intra_op_parallelism_threads()
    return intra or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0)) or f"{os.cpu_count()} (default)"


def _keras_trainable(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


class _KerasTrainer:
    def __init__(self, model, cfg):
        import skfashion  # noqa: F401 - sets TF_ENABLE_ONEDNN_OPTS before TensorFlow loads
        from skfashion.architectures import build_cnn, build_lenet5

        self.build = {"lenet5": build_lenet5, "cnn": build_cnn}[model]
        self.cfg, self.n_params = cfg, None

    @staticmethod
    def _images(X):
        return X.astype(np.float32)[..., np.newaxis]

    def fit(self, X, y, epochs, seed):
        import keras

        from skfashion._recipe import compile_model, restart_schedule

        X = self._images(X)
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        self.model = self.build(X.shape[1:], 10, **self.cfg["network"],
                                augment=self.cfg["augment"], seed=seed,
                                dtype=self.cfg["precision"])
        compile_model(self.model, **self.cfg["recipe"], compile_kwargs={
            "steps_per_execution": self.cfg["keras_steps_per_execution"]})
        batch = self.cfg["batch_size"]
        restart_schedule(self.model.optimizer, epochs * -(-len(y) // batch))
        timer = _epoch_timer()
        # The seeding a seeded skfashion fit runs under, op determinism included.
        from skfashion._compat import seeded_global_random_state

        with seeded_global_random_state(seed):
            self.model.fit(X, y, batch_size=batch, epochs=epochs,
                           shuffle=True, verbose=0, callbacks=[timer])
        self.n_params = _keras_trainable(self.model)
        return timer.seconds

    def predict(self, X):
        return self.model.predict(self._images(X), batch_size=self.cfg["batch_size"], verbose=0)

    threads = staticmethod(lambda: _tensorflow_threads())


def _build_torch(model, cfg):
    """The network of build_lenet5 / build_cnn, with the estimator's defaults, in torch.nn.

    Same shapes and layer order (strided stem, residual blocks with their
    projection convolution, global average pooling: whatever the defaults
    select); Keras' "same" max-pooling is ``ceil_mode=True``; BatchNorm takes
    Keras' epsilon (1e-3) and skfashion's momentum (PyTorch counts momentum the
    other way round). Initialisers differ, which costs nothing.
    """
    import torch
    from torch import nn

    class Rescale(nn.Module):  # the models scale raw pixels inside, as the Keras ones do
        def forward(self, x):
            return x / 255.0

    if model == "lenet5":
        return nn.Sequential(
            Rescale(), nn.ZeroPad2d(2),
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )
    p, bn = cfg["network"], {"eps": 1e-3, "momentum": 1.0 - cfg["bn_momentum"]}
    filters = (p["filters"],) if isinstance(p["filters"], int) else tuple(p["filters"])
    dense = (p["dense_units"],) if isinstance(p["dense_units"], int) else tuple(p["dense_units"])

    def conv(channels, n_filters, stride=1):
        # Keras' "same" padding; with stride 2 on an even side it pads one pixel
        # less on the top and left, which gives the same output shape and cost.
        return [nn.Conv2d(channels, n_filters, p["kernel_size"], stride=stride,
                          padding=p["kernel_size"] // 2, bias=False),
                nn.BatchNorm2d(n_filters, **bn), nn.ReLU()]

    class Block(nn.Module):
        def __init__(self, channels, n_filters, last):
            super().__init__()
            project = p["residual"] and channels != n_filters
            self.project = nn.Sequential(*conv(channels, n_filters)) if project else None
            channels = n_filters if project else channels
            convs = []
            for _ in range(p["convs_per_block"]):
                convs += conv(channels, n_filters)
                channels = n_filters
            self.convs = nn.Sequential(*convs)
            after = [] if (p["global_pool"] and last) else [nn.MaxPool2d(2, ceil_mode=True)]
            after += [nn.Dropout(p["dropout"])] if p["dropout"] else []
            self.after = nn.Sequential(*after)

        def forward(self, x):
            if self.project is not None:
                x = self.project(x)
            y = self.convs(x)
            return self.after(x + y if p["residual"] else y)

    layers, channels, side = [Rescale()], 1, 28
    if p["stem_stride"] is not None:
        layers += conv(channels, filters[0], stride=p["stem_stride"])
        channels, side = filters[0], -(-side // p["stem_stride"])
    for i, n_filters in enumerate(filters):
        last = i == len(filters) - 1
        layers.append(Block(channels, n_filters, last))
        channels = n_filters
        if not (p["global_pool"] and last):
            side = -(-side // 2)
    if p["global_pool"]:
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        features = channels
    else:
        layers.append(nn.Flatten())
        features = channels * side * side
    for units in dense:
        layers += [nn.Linear(features, units, bias=False), nn.BatchNorm1d(units, **bn), nn.ReLU()]
        layers += [nn.Dropout(p["dense_dropout"])] if p["dense_dropout"] else []
        features = units
    layers.append(nn.Linear(features, 10))
    net = nn.Sequential(*layers)
    with torch.no_grad():  # the shapes add up, as in Keras
        assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    return net


class _TorchTrainer:
    def __init__(self, model, cfg):
        import torch

        if cfg["augment"]:
            raise RuntimeError("no PyTorch twin of the Keras augmentation layers here")
        self.torch, self.model_name, self.cfg = torch, model, cfg

    def threads(self):
        return self.torch.get_num_threads()

    def fit(self, X, y, epochs, seed):
        torch = self.torch
        torch.manual_seed(seed)
        self.net = _build_torch(self.model_name, self.cfg)
        self.n_params = sum(p.numel() for p in self.net.parameters() if p.requires_grad)
        recipe = self.cfg["recipe"]  # the rate's schedule is left out: it costs nothing
        optimizer = torch.optim.AdamW(self.net.parameters(), lr=recipe["learning_rate"],
                                      weight_decay=recipe["weight_decay"], eps=1e-7)  # Keras' eps
        X = torch.from_numpy(X.astype(np.float32)).unsqueeze(1)
        y = torch.from_numpy(y.astype(np.int64))
        seconds, batch = [], self.cfg["batch_size"]
        for _ in range(epochs):
            start = time.perf_counter()
            self.net.train()
            order, correct = torch.randperm(len(y)), 0
            for i in range(0, len(y), batch):
                index = order[i : i + batch]
                optimizer.zero_grad()
                with self._precision():
                    logits = self.net(X[index])
                loss = torch.nn.functional.cross_entropy(
                    logits.float(), y[index], label_smoothing=recipe["label_smoothing"])
                loss.backward()
                optimizer.step()
                correct += (logits.argmax(1) == y[index]).sum()  # Keras tracks accuracy too
            int(correct)
            seconds.append(time.perf_counter() - start)
        return seconds

    def predict(self, X):
        torch, batch = self.torch, self.cfg["batch_size"]
        X = torch.from_numpy(X.astype(np.float32)).unsqueeze(1)
        self.net.eval()
        with torch.inference_mode(), self._precision():
            return torch.cat(
                [torch.softmax(self.net(X[i : i + batch]).float(), 1)
                 for i in range(0, len(X), batch)]
            ).numpy()

    def _precision(self):
        """bfloat16 autocast where the Keras networks run under ``mixed_bfloat16``."""
        bf16 = self.cfg["precision"] == "mixed_bfloat16"
        return self.torch.autocast("cpu", dtype=self.torch.bfloat16, enabled=bf16)


# ------------------------------------------------------------------ the run


def _batch(estimator, batch_size, n_samples):
    """``batch_size``, else the estimator's, with ``"auto"`` resolved as fit does."""
    from skfashion._recipe import auto_batch_size

    batch_size = batch_size or estimator.batch_size
    if batch_size == "auto":
        batch_size = auto_batch_size(n_samples, estimator._max_auto_batch)
    return batch_size


def _model_config(model, n_samples, batch_size=None):
    """The estimator's defaults: its network (as builder arguments), precision, recipe, batch.

    Every keyword argument of the builder that shapes the network is read from
    the estimator's ``get_params()``, so that Keras by hand and the PyTorch twin
    train the network the estimator builds; a builder argument the estimator
    does not have fails here, loudly, rather than silently falling back to the
    builder's own default.
    """
    from skfashion import CNNClassifier, LeNet5Classifier
    from skfashion._recipe import resolve_precision
    from skfashion.architectures import BN_MOMENTUM, build_cnn, build_lenet5

    estimator = {"lenet5": LeNet5Classifier, "cnn": CNNClassifier}[model]()
    builder = {"lenet5": build_lenet5, "cnn": build_cnn}[model]
    params = estimator.get_params()
    shaping = [name for name, p in inspect.signature(builder).parameters.items()
               if p.kind is p.KEYWORD_ONLY and name not in ("augment", "seed", "dtype")]
    missing = [name for name in shaping if name not in params]
    if missing:
        raise RuntimeError(f"{builder.__name__} arguments {missing} are no "
                           f"{type(estimator).__name__} parameters: update this benchmark")
    network = {name: params[name] for name in shaping}
    if model == "lenet5":
        assert (network["activation"], network["pooling"], network["dropout"]) == (
            "relu", "max", 0.0), "the PyTorch twin of LeNet-5 is written for these"
    recipe = {name: params[name] for name in
              ("learning_rate", "lr_schedule", "warmup", "weight_decay", "label_smoothing")}
    return {"bn_momentum": BN_MOMENTUM, "network": network, "recipe": recipe,
            "precision": resolve_precision(params.get("precision", "float32")),
            "batch_size": _batch(estimator, batch_size, n_samples)}


ROWS = (  # result key, label, format
    ("train_img_s_later_epochs", "train img/s, epochs after the first", "{:,.0f}"),
    ("train_img_s_whole_fit", "train img/s, whole fit (setup + all epochs)", "{:,.0f}"),
    ("first_epoch_s", "first epoch s (tracing included)", "{:.2f}"),
    ("predict_img_s", "predict img/s", "{:,.0f}"),
    ("peak_rss_mb", "peak RSS MB", "{:,.0f}"),
    ("small_fit_s", "s per small fit + predict (median)", "{:.2f}"),
    ("rss_growth_mb_per_fit", "RSS growth MB per small fit", "{:+.1f}"),
    ("trainable_params", "trainable parameters", "{:,}"),
)


def _cell(result, key, fmt):
    if "error" in result:
        return "n/a"
    value = result.get(key)
    return "n/a" if value is None else fmt.format(value)


def _ratio(a, b, key):
    if "error" in a or "error" in b or a.get(key) in (None, 0) or b.get(key) in (None, 0):
        return "n/a"
    if key == "rss_growth_mb_per_fit":
        return "-"  # a difference of near-zeros is no ratio
    return f"{a[key] / b[key]:.2f}"


def print_table(results):
    print("| model | measure | skfashion | Keras by hand | PyTorch | skfashion/Keras"
          " | skfashion/PyTorch |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for model, by_framework in results.items():
        ours, keras_, torch_ = (by_framework.get(f, {"error": "not run"}) for f in FRAMEWORKS)
        for key, label, fmt in ROWS:
            cells = [_cell(r, key, fmt) for r in (ours, keras_, torch_)]
            print(f"| {model} | {label} | {' | '.join(cells)} | {_ratio(ours, keras_, key)} "
                  f"| {_ratio(ours, torch_, key)} |")
    print()
    for model, by_framework in results.items():
        for framework, result in by_framework.items():
            if "error" in result:
                print(f"{model}, {framework}: n/a because {result['error']}")
            else:
                print(f"{model}, {framework}: {result['threads']} intra-op threads")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("lenet5", "cnn"), action="append")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default: each estimator's own default")
    parser.add_argument("--keras-steps-per-execution", type=int, default=None,
                        help="for the Keras model trained by hand; default: skfashion's")
    parser.add_argument("--epochs", type=int, default=3, help="per fit; the first is warm-up")
    parser.add_argument("--repeats", type=int, default=3, help="fits (and predictions) per framework")
    parser.add_argument("--train-size", type=int, default=None, help="first N training images")
    parser.add_argument("--test-size", type=int, default=None, help="first N test images")
    parser.add_argument("--augment", action="store_true", help="random shifts and flips")
    parser.add_argument("--fits", type=int, default=30, help="consecutive small fits")
    parser.add_argument("--quick", action="store_true",
                        help="2,048 training and 2,000 test images, 2 epochs, 2 repeats, "
                             "10 small fits")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_size = args.train_size or 2048
        args.test_size = args.test_size or 2000
        args.epochs, args.repeats = 2, 2
        args.fits = min(args.fits, 10)

    from skfashion import load_fashion_mnist

    X_train, y_train = load_fashion_mnist("train", return_X_y=True)
    X_test, y_test = load_fashion_mnist("test", return_X_y=True)
    X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    X_test, y_test = X_test[: args.test_size], y_test[: args.test_size]
    from skfashion._recipe import STEPS_PER_EXECUTION

    args.keras_steps_per_execution = args.keras_steps_per_execution or STEPS_PER_EXECUTION
    cfg = {"keras_steps_per_execution": args.keras_steps_per_execution, "epochs": args.epochs, "repeats": args.repeats,
           "augment": args.augment, "fits": args.fits, "fit_size": min(1000, len(y_train))}
    torch_spec = importlib.util.find_spec("torch")
    versions = {name: _version(name) for name in ("tensorflow", "keras", "scikeras", "torch")}
    print(
        f"# {'SUBSET: ' if len(y_train) < 60_000 else ''}{len(y_train):,} training / "
        f"{len(y_test):,} test images of Fashion-MNIST, "
        f"Keras by hand with steps_per_execution={args.keras_steps_per_execution}, "
        f"{args.epochs} epochs x {args.repeats} repeats, augment={args.augment}; "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS')}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + ". Noisy if the machine is shared: compare ratios within one run.",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory() as data_dir:
        for name, array in zip(ARRAYS, (X_train, y_train, X_test, y_test)):
            np.save(Path(data_dir) / f"{name}.npy", array)
        for model in args.model or ["lenet5", "cnn"]:
            model_cfg = {**cfg, **_model_config(model, len(y_train), args.batch_size)}
            print(f"# {model}: batch {model_cfg['batch_size']}, {model_cfg['precision']}, "
                  f"network {model_cfg['network']}", flush=True)
            frameworks = [f for f in FRAMEWORKS if f != "torch" or torch_spec is not None]
            start = time.perf_counter()
            results[model] = measure(frameworks, model, model_cfg, data_dir)
            if torch_spec is None:
                results[model]["torch"] = {
                    "error": "torch is not installed (pip install torch, the CPU wheel)"
                }
            print(f"# {model}: {time.perf_counter() - start:.0f} s", flush=True)
    print()
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": {**cfg, **vars(args), "versions": versions},
                       "results": results}, f, indent=2)


def _version(name):
    from importlib.metadata import PackageNotFoundError, version

    for dist in (name, f"{name}-cpu"):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "not installed"


if __name__ == "__main__":
    main()
