"""Augmentation layers, and when the estimators use them.

RandomShiftAndFlip: each training output is its input moved by whole pixels.
RandomCutout: each training output is its input with one square patch set to 0.
augment="auto": the shift-and-flip layer from a budget of epochs on.
"""

import pickle

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfashion import CNNClassifier, LeNet5Classifier
from skfashion._compat import InvalidParameterError
from skfashion._recipe import resolve_augment
from skfashion._tta import _holds_layer
from skfashion.architectures import build_cnn
from skfashion.cnn import (
    AUGMENT_MIN_EPOCHS_CNN,
    AUGMENT_MIN_EPOCHS_LENET,
    EPOCHS_CNN,
    EPOCHS_LENET,
)
from skfashion.layers import RandomCutout, RandomShiftAndFlip


def shifted(image, dy, dx, flip):
    """Reference: out[i, j] = in[i + dy, j + dx] of the (flipped) image, 0 outside."""
    image = image[:, ::-1] if flip else image
    height, width = image.shape[:2]
    out = np.zeros_like(image)
    rows = slice(max(0, -dy), min(height, height - dy))
    cols = slice(max(0, -dx), min(width, width - dx))
    src_rows = slice(rows.start + dy, rows.stop + dy)
    src_cols = slice(cols.start + dx, cols.stop + dx)
    out[rows, cols] = image[src_rows, src_cols]
    return out


def matching_moves(image, output, factor):
    """Every (dy, dx, flip) within the layer's range that maps image to output."""
    ky, kx = round(factor * image.shape[0]), round(factor * image.shape[1])
    return [
        (dy, dx, flip)
        for flip in (False, True)
        for dy in range(-ky, ky + 1)
        for dx in range(-kx, kx + 1)
        if np.allclose(shifted(image, dy, dx, flip), output, rtol=0, atol=1e-6)
    ]


@settings(max_examples=15, deadline=None)
@given(
    height=st.integers(3, 12),
    width=st.integers(3, 12),
    channels=st.sampled_from([1, 3]),
    factor=st.sampled_from([0.0, 0.1, 0.25, 0.4]),
    seed=st.integers(0, 2**16),
)
def test_each_output_is_a_whole_pixel_shift_of_its_input(height, width, channels, factor, seed):
    rng = np.random.default_rng(seed)
    # Distinct positive values, so a wrong pixel cannot match by accident.
    x = rng.permutation(8 * height * width * channels).astype("float32") + 1
    x = x.reshape(8, height, width, channels)
    out = np.asarray(RandomShiftAndFlip(factor, seed=seed)(x, training=True))
    assert out.shape == x.shape
    for image, result in zip(x, out):
        assert len(matching_moves(image, result, factor)) == 1


def test_shifts_and_flips_cover_their_range():
    # Distinct values within each image (784 consecutive numbers modulo 997).
    x = np.arange(150 * 28 * 28, dtype="float32").reshape(150, 28, 28, 1) % 997 + 1
    out = np.asarray(RandomShiftAndFlip(0.1, seed=0)(x, training=True))
    moves = [matching_moves(a, b, 0.1)[0] for a, b in zip(x, out)]
    dys, dxs, flips = zip(*moves)
    assert set(dys) == set(dxs) == set(range(-3, 4))  # 0.1 * 28 -> 3 pixels
    assert 50 < sum(flips) < 100


def test_inactive_outside_training_and_seeded():
    x = np.random.default_rng(0).random((16, 10, 10, 1)).astype("float32")
    layer = RandomShiftAndFlip(0.2, seed=3)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    first = np.asarray(RandomShiftAndFlip(0.2, seed=3)(x, training=True))
    again = np.asarray(RandomShiftAndFlip(0.2, seed=3)(x, training=True))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, x)


@pytest.mark.parametrize("factor", [-0.1, 1.0, "0.1", True, None])
def test_bad_factor_is_refused(factor):
    with pytest.raises(ValueError, match=r"factor must be a float in \[0, 1\).*Received factor="):
        RandomShiftAndFlip(factor)


def test_input_of_unknown_size_is_refused():
    with pytest.raises(ValueError, match=r"batch of images of known size.*\(None, None, None, 1\)"):
        RandomShiftAndFlip(0.1)(keras.Input(shape=(None, None, 1)))


def test_model_with_the_layer_round_trips_through_keras_and_pickle(tmp_path, shapes):
    X, y = shapes
    est = LeNet5Classifier(augment=True, tta=False, epochs=1, batch_size=16,
                           random_state=0).fit(X, y)
    path = tmp_path / "lenet.keras"
    est.model_.save(path)
    loaded = keras.models.load_model(path)
    layer = loaded.get_layer("random_shift_flip")
    assert isinstance(layer, RandomShiftAndFlip) and layer.factor == 0.1
    np.testing.assert_allclose(loaded.predict(X, verbose=0), est.predict_proba(X), rtol=1e-6)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))


def zeroed_box(image, output):
    """Rows and columns of the one box where output is 0 and image is not, else None."""
    changed = ~np.isclose(image, output, rtol=0, atol=1e-6).all(axis=-1)
    if not (output[changed] == 0).all():
        return None
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    box = np.zeros_like(changed)
    if rows.size:
        box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
    return (rows, cols) if np.array_equal(box, changed) else None


@settings(max_examples=15, deadline=None)
@given(
    height=st.integers(3, 12),
    width=st.integers(3, 12),
    channels=st.sampled_from([1, 3]),
    size=st.sampled_from([0.1, 0.25, 0.5, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_each_cutout_output_is_its_input_with_one_square_set_to_zero(
    height, width, channels, size, seed
):
    x = np.random.default_rng(seed).random((8, height, width, channels)).astype("float32") + 1
    out = np.asarray(RandomCutout(size, seed=seed)(x, training=True))
    assert out.shape == x.shape
    for image, result in zip(x, out):
        box = zeroed_box(image, result)
        assert box is not None
        for covered, side in zip(box, (height, width)):
            # The patch is centred on a pixel of the image, so at least the
            # half of it on that pixel's side lies inside the image.
            patch = max(1, round(size * side))
            assert min(side, -(-patch // 2)) <= covered.size <= patch


def test_cutout_patches_cover_the_whole_image():
    x = np.ones((300, 28, 28, 1), dtype="float32")
    out = np.asarray(RandomCutout(0.25, seed=0)(x, training=True))
    boxes = [zeroed_box(a, b) for a, b in zip(x, out)]
    rows = np.concatenate([r for r, _ in boxes])
    cols = np.concatenate([c for _, c in boxes])
    assert set(rows) == set(cols) == set(range(28))
    sizes = {(r.size, c.size) for r, c in boxes}
    assert (7, 7) in sizes and any(r < 7 or c < 7 for r, c in sizes)  # clipped at a border


def test_cutout_inactive_outside_training_and_seeded():
    x = np.random.default_rng(0).random((16, 10, 10, 1)).astype("float32") + 1
    layer = RandomCutout(0.3, seed=3)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    first = np.asarray(RandomCutout(0.3, seed=3)(x, training=True))
    again = np.asarray(RandomCutout(0.3, seed=3)(x, training=True))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, x)


@pytest.mark.parametrize("size", [0, -0.1, 1.5, "0.5", True, None])
def test_bad_cutout_size_is_refused(size):
    with pytest.raises(ValueError, match=r"size must be a float in \(0, 1\].*Received size="):
        RandomCutout(size)


def test_cutout_input_of_unknown_size_is_refused():
    with pytest.raises(ValueError, match=r"batch of images of known size.*\(None, None, 12, 1\)"):
        RandomCutout(0.5)(keras.Input(shape=(None, 12, 1)))


@pytest.mark.parametrize("cutout", [1.5, -0.1, True, "0.25"])
def test_build_cnn_names_a_bad_cutout(cutout):
    with pytest.raises(ValueError, match=r"cutout must be a float in \[0, 1\]\. Received cutout="):
        build_cnn((12, 12, 1), 3, filters=(4,), cutout=cutout)


def test_cutout_in_bfloat16_zeroes_the_same_patch():
    x = np.random.default_rng(0).random((8, 12, 12, 1)).astype("float32") + 1
    full = np.asarray(RandomCutout(0.5, seed=1)(x, training=True))
    half = RandomCutout(0.5, seed=1, dtype="mixed_bfloat16")(x, training=True)
    assert keras.backend.standardize_dtype(half.dtype) == "bfloat16"
    np.testing.assert_array_equal(np.asarray(half, dtype="float32") == 0, full == 0)


def test_shift_and_flip_saved_before_the_shared_base_still_loads():
    # The config a model saved by the previous release holds for this layer.
    old = {"name": "random_shift_flip", "trainable": True, "dtype": "float32",
           "factor": 0.1, "seed": 7}
    layer = RandomShiftAndFlip.from_config(old)
    assert (layer.factor, layer.seed, layer.name) == (0.1, 7, "random_shift_flip")
    assert {k: layer.get_config()[k] for k in ("factor", "seed")} == {"factor": 0.1, "seed": 7}


def test_cutout_keeps_the_initial_weights_of_the_network_without_it():
    without = build_cnn((12, 12, 1), 3, filters=(4, 8), augment=True, seed=0)
    with_cutout = build_cnn((12, 12, 1), 3, filters=(4, 8), augment=True, cutout=0.5, seed=0)
    assert "cutout" not in [layer.name for layer in without.layers]
    assert isinstance(with_cutout.get_layer("cutout"), RandomCutout)
    for a, b in zip(without.get_weights(), with_cutout.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_cnn_with_cutout_round_trips_and_refuses_a_bad_size(tmp_path, shapes):
    X, y = shapes
    est = CNNClassifier(filters=(4, 8), cutout=0.25, epochs=1, batch_size=16,
                        random_state=0).fit(X, y)
    path = tmp_path / "cnn.keras"
    est.model_.save(path)
    layer = keras.models.load_model(path).get_layer("cutout")
    assert isinstance(layer, RandomCutout) and layer.size == 0.25
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
    with pytest.raises(InvalidParameterError, match="'cutout' parameter"):
        CNNClassifier(cutout=1.5).fit(X, y)


# --------------------------------------------------- augment="auto": the budget


@pytest.mark.parametrize("augment, epochs, expected", [
    ("auto", 1, False), ("auto", 4, False), ("auto", 5, True), ("auto", 50, True),
    ("auto", np.int64(5), True), (True, 1, True), (False, 50, False),
    (np.bool_(True), 1, True),
])
def test_resolve_augment_follows_the_budget(augment, epochs, expected):
    assert resolve_augment(augment, epochs, min_epochs=5) is expected


@pytest.mark.parametrize("augment", ["on", "Auto", None, 1, 0.0])
def test_resolve_augment_names_a_bad_value(augment):
    with pytest.raises(ValueError, match=r"augment must be True, False or 'auto'\. Received"):
        resolve_augment(augment, 10, min_epochs=5)


@pytest.mark.parametrize("cls, epochs, min_epochs, augments", [
    (CNNClassifier, EPOCHS_CNN, AUGMENT_MIN_EPOCHS_CNN, True),
    (LeNet5Classifier, EPOCHS_LENET, AUGMENT_MIN_EPOCHS_LENET, False),
])
def test_default_budget_is_on_the_measured_side_of_the_threshold(cls, epochs, min_epochs, augments):
    # The CNN's default 20 epochs were measured to gain from augmentation on the
    # full data and LeNet-5's 15 to lose by it: "auto" must keep both defaults.
    est = cls()
    assert est.augment == "auto" and est.epochs == epochs
    assert cls._augment_min_epochs == min_epochs
    assert resolve_augment(est.augment, est.epochs, min_epochs) is augments
    # The docstring states the threshold the code uses.
    assert f"at least {min_epochs} ``epochs``" in " ".join(cls.__doc__.split())


@pytest.mark.parametrize("cls", [CNNClassifier, LeNet5Classifier])
def test_auto_augment_builds_the_layer_from_the_threshold_on(cls, noise4, monkeypatch):
    X, y = noise4
    monkeypatch.setattr(cls, "_augment_min_epochs", 2)
    params = dict(filters=(4, 8), random_state=0) if cls is CNNClassifier else dict(random_state=0)
    short = cls(epochs=1, **params).fit(X, y)
    long = cls(epochs=2, **params).fit(X, y)
    assert short.augment_ is False and long.augment_ is True
    assert not _holds_layer(short.model_, RandomShiftAndFlip)
    assert _holds_layer(long.model_, RandomShiftAndFlip)
    # tta="auto" follows the network: the mirror images only for the long fit.
    assert not short._uses_tta() and long._uses_tta()
    # An explicit choice wins over the budget, either way.
    assert cls(epochs=1, augment=True, **params).fit(X, y).augment_ is True
    explicit_off = cls(epochs=2, augment=False, **params).fit(X, y)
    assert explicit_off.augment_ is False
    assert not _holds_layer(explicit_off.model_, RandomShiftAndFlip)
    # A warm start keeps the network, so augment_ still describes it.
    long.set_params(warm_start=True, epochs=1).fit(X, y)
    assert long.augment_ is True and _holds_layer(long.model_, RandomShiftAndFlip)


@pytest.mark.parametrize("cls", [CNNClassifier, LeNet5Classifier])
def test_bad_augment_is_named(cls, noise4):
    X, y = noise4
    with pytest.raises(InvalidParameterError, match="'augment' parameter"):
        cls(augment="on", epochs=1).fit(X, y)
