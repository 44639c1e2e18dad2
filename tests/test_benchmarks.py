"""The benchmarks compare like with like: the networks they build by hand are the estimators'."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from skfashion import CNNClassifier, LeNet5Classifier

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCHMARKS.glob("*.py")))
def test_every_benchmark_script_loads(name, monkeypatch):
    # What each script imports from skfashion still exists; running them is
    # minutes to hours, so only their entry point is checked. A script run as
    # such finds its sibling scripts on sys.path.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    assert callable(_load(name).main)


@pytest.fixture(scope="module")
def throughput():
    return _load("throughput")


def _estimator_params(cls, X, y):
    est = cls(epochs=1, augment=False, random_state=0).fit(X, y)  # as the benchmark, by default
    return sum(int(np.prod(w.shape)) for w in est.model_.trainable_weights), est


@pytest.mark.parametrize("model, cls", [("cnn", CNNClassifier), ("lenet5", LeNet5Classifier)])
def test_throughput_keras_by_hand_builds_the_estimators_network(throughput, model, cls):
    X = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    y = np.arange(64) % 10
    n_params, est = _estimator_params(cls, X, y)
    cfg = {"keras_steps_per_execution": 1, "augment": False,
           **throughput._model_config(model, len(y))}
    assert cfg["precision"] == est.precision_
    trainer = throughput._KerasTrainer(model, cfg)
    trainer.fit(X, y, epochs=1, seed=0)
    assert trainer.n_params == n_params
    hand = [(layer.__class__.__name__, layer.output.shape) for layer in trainer.model.layers]
    ours = [(layer.__class__.__name__, layer.output.shape) for layer in est.model_.layers]
    assert hand == ours


def test_throughput_torch_twin_has_the_estimators_shapes(throughput):
    # The twin is optional in the benchmark (torch is no dependency of skfashion).
    torch = pytest.importorskip("torch", reason="the PyTorch twin needs torch (CPU wheel)")
    est = CNNClassifier()
    cfg = throughput._model_config("cnn", 60_000)
    net = throughput._build_torch("cnn", cfg)
    n_torch = sum(p.numel() for p in net.parameters() if p.requires_grad)
    keras_model = est._build_architecture((28, 28, 1), 10, seed=0)
    n_keras = sum(int(np.prod(w.shape)) for w in keras_model.trainable_weights)
    assert n_torch == n_keras
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_time_to_accuracy_configurations_are_valid_estimator_settings():
    # Each row is one fresh process an hour long: a misspelt or removed
    # parameter must fail here, not at the end of someone's benchmark run.
    # The estimators take **kwargs (routed ``optimizer__...`` names), so a
    # misspelt name would be kept as an attribute until fit refuses it.
    import inspect

    import skfashion

    configs = _load("time_to_accuracy").CONFIGS
    assert {"cnn", "lenet5", "cnn-large", "cnn-with-cutout"} <= set(configs)
    for name, (cls_name, params) in configs.items():
        cls = getattr(skfashion, cls_name)
        unknown = set(params) - set(inspect.signature(cls).parameters)
        assert not unknown, f"{name}: {cls_name} has no parameter(s) {sorted(unknown)}"
        cls(**params, random_state=0)._validate_params()


def test_small_fits_workloads_are_valid_estimator_settings(monkeypatch):
    import skfashion

    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as when run as a script: it imports memory
    workloads = _load("small_fits").WORKLOADS
    assert set(workloads) == {"lenet5", "cnn", "transfer"}
    for cls_name, params, cv in workloads.values():
        getattr(skfashion, cls_name)(**params, random_state=0)._validate_params()
        assert cv >= 2
