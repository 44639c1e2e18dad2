"""The ``precision`` parameter: float32 or Keras' mixed_bfloat16, chosen from the CPU."""

import keras
import numpy as np
import pytest
from sklearn.base import clone

from skfashion import (
    CNNClassifier,
    LeNet5Classifier,
    TransferClassifier,
    _compat,
    _config,
    _recipe,
)
from skfashion._config import BF16_CPU_FLAGS
from skfashion._recipe import PRECISIONS, resolve_precision
from skfashion.architectures import build_cnn, build_lenet5

TINY = {
    CNNClassifier: dict(filters=(4, 8), epochs=2, random_state=0),
    LeNet5Classifier: dict(epochs=2, random_state=0),
}


@pytest.fixture(scope="module")
def data(fashion_sample):
    X, y = fashion_sample
    return X[:300], y[:300]


# ------------------------------------------------------------ the choice


@pytest.mark.parametrize("flag", BF16_CPU_FLAGS)
def test_auto_is_bfloat16_on_a_cpu_with_bfloat16_instructions(flag):
    assert resolve_precision("auto", flags={"avx2", "fma", flag}, gpus=0) == "mixed_bfloat16"


@pytest.mark.parametrize("flags", [set(), {"avx2", "fma"}, {"avx2", "avx512f", "avx512_vnni"}])
def test_auto_is_float32_without_bfloat16_instructions(flags):
    assert resolve_precision("auto", flags=flags, gpus=0) == "float32"


def test_auto_is_float32_with_a_gpu():
    # bfloat16 was measured on CPUs only.
    assert resolve_precision("auto", flags={"avx512_bf16"}, gpus=1) == "float32"


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_explicit_precisions_stand_for_themselves(precision):
    assert resolve_precision(precision, flags=set(), gpus=0) == precision
    assert resolve_precision(precision, flags={"avx512_bf16"}, gpus=0) == precision


def test_an_unknown_precision_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"precision must be one of .*'float16'"):
        resolve_precision("float16")


def test_the_estimators_refuse_an_unknown_precision(data):
    X, y = data
    with pytest.raises(_compat.InvalidParameterError, match="'precision' parameter"):
        CNNClassifier(precision="mixed_float16", epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "flags, expected", [({"avx512_bf16"}, "mixed_bfloat16"), ({"avx2"}, "float32")]
)
def test_fitted_precision_follows_this_machine(data, monkeypatch, flags, expected):
    X, y = data
    monkeypatch.setattr(_config, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": flags)
    monkeypatch.setattr(_recipe, "gpu_count", lambda: 0)
    est = LeNet5Classifier(**TINY[LeNet5Classifier]).fit(X, y)
    assert est.precision == "auto"
    assert est.precision_ == expected
    assert est.model_.get_layer("c1").dtype_policy.name == expected


def test_cpu_flags_reads_the_flags_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\n")
    assert _config.cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512_bf16"}
    assert _config.cpu_flags(tmp_path / "missing") == set()


# ------------------------------------------------------------ the network


@pytest.mark.parametrize("cls", [CNNClassifier, LeNet5Classifier])
def test_bfloat16_network_computes_in_bfloat16_and_predicts_in_float32(cls, data):
    X, y = data
    est = cls(**TINY[cls], precision="mixed_bfloat16").fit(X, y)
    assert est.precision_ == "mixed_bfloat16"
    hidden = [layer for layer in est.model_.layers if layer.weights and layer.name != "predictions"]
    assert hidden and all(layer.compute_dtype == "bfloat16" for layer in hidden)
    # Weights stay float32 (mixed precision), and so does the output layer.
    assert all(w.dtype == "float32" for w in est.model_.weights)
    assert est.model_.get_layer("predictions").compute_dtype == "float32"
    proba = est.predict_proba(X[:20])
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # Keras' own default is left as it was.
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.parametrize("cls", [CNNClassifier, LeNet5Classifier])
def test_bfloat16_fit_learns_and_is_reproducible(cls, data):
    X, y = data
    # Enough steps for the tiny networks to learn 300 images (LeNet-5 is quicker).
    epochs, filters = (8, {"filters": (8, 16)}) if cls is CNNClassifier else (4, {})
    params = {**TINY[cls], **filters, "epochs": epochs, "precision": "mixed_bfloat16"}
    first = cls(**params).fit(X, y)
    second = clone(first).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    # 10 classes: chance is 10 %; both precisions fit the training images alike.
    float32 = cls(**{**params, "precision": "float32"}).fit(X, y)
    assert first.score(X, y) > 0.4
    assert abs(first.score(X, y) - float32.score(X, y)) < 0.15


def test_bfloat16_model_survives_pickle_and_keras_saving(data, tmp_path):
    import pickle

    X, y = data
    est = CNNClassifier(**TINY[CNNClassifier], precision="mixed_bfloat16").fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    assert again.precision_ == "mixed_bfloat16"
    np.testing.assert_array_equal(again.predict_proba(X[:50]), est.predict_proba(X[:50]))
    path = tmp_path / "model.keras"
    est.model_.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_layer("block1_conv1").compute_dtype == "bfloat16"
    np.testing.assert_allclose(
        loaded.predict(X[:50].reshape(-1, 28, 28, 1), verbose=0),
        est.model_.predict(X[:50].reshape(-1, 28, 28, 1), verbose=0),
        atol=1e-6,
    )


def test_transfer_has_no_precision_parameter():
    # Its head is a small dense network on cached features: nothing to gain.
    assert "precision" not in TransferClassifier().get_params()


@pytest.mark.parametrize("cls", [CNNClassifier, LeNet5Classifier])
def test_precision_and_its_fitted_attribute_are_documented(cls):
    assert all(f'"{p}"' in cls.__doc__ for p in PRECISIONS)
    assert "precision_ : str" in cls.__doc__


# ------------------------------------------------------------ the builders


@pytest.mark.parametrize("build", [build_cnn, build_lenet5])
def test_builders_give_every_layer_the_dtype_and_keep_the_output_float32(build):
    model = build((28, 28, 1), 10, augment=True, dtype="mixed_bfloat16")
    for layer in model.layers[1:]:  # after the Input layer
        expected = "float32" if layer.name == "predictions" else "mixed_bfloat16"
        assert layer.dtype_policy.name == expected, layer.name
    assert model.output.dtype == "float32"


@pytest.mark.parametrize("build", [build_cnn, build_lenet5])
def test_builders_without_dtype_follow_keras_global_policy(build):
    model = build((28, 28, 1), 10)
    assert {layer.dtype_policy.name for layer in model.layers[1:]} == {"float32"}


def test_the_estimator_ignores_keras_global_policy(data):
    # precision says what the network computes in, whatever the user set globally
    # (and whatever another thread's clear_session does to Keras' global state).
    X, y = data
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        est = LeNet5Classifier(**TINY[LeNet5Classifier], precision="float32").fit(X, y)
    finally:
        keras.config.set_dtype_policy("float32")
    assert {layer.dtype_policy.name for layer in est.model_.layers[1:]} == {"float32"}
