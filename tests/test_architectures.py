"""The builders: every random layer seeded by the builder itself, the fine-tuned network."""

import keras
import numpy as np
import pytest

from skfashion import LeNet5Classifier
from skfashion.architectures import (
    build_cnn,
    build_fine_tuned,
    build_head,
    build_lenet5,
)
from skfashion.backbones import build_feature_extractor, fine_tune_layers_needed
from skfashion.layers import RandomShiftAndFlip
from tests.conftest import another_thread_drawing_from_random

BUILDERS = {
    "cnn": lambda seed: build_cnn(
        (12, 12, 1), 3, filters=(4, 8), dense_units=(8,), dropout=0.1,
        dense_dropout=0.2, seed=seed,
    ),
    "lenet5": lambda seed: build_lenet5((12, 12, 1), 3, dropout=0.2, seed=seed),
    "head": lambda seed: build_head(16, 3, units=(8,), dropout=0.3, seed=seed),
}


def _random_layer_seeds(model):
    seeds = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            seeds.append(layer.kernel_initializer.seed)
        elif isinstance(layer, keras.layers.Dropout):
            seeds.append(layer.seed)
    return seeds


@pytest.mark.parametrize("name", BUILDERS)
def test_every_random_layer_gets_its_own_seed(name):
    seeds = _random_layer_seeds(BUILDERS[name](0))
    assert len(seeds) >= 3 and None not in seeds
    assert len(set(seeds)) == len(seeds)
    assert _random_layer_seeds(BUILDERS[name](0)) == seeds
    assert _random_layer_seeds(BUILDERS[name](1)) != seeds


@pytest.mark.parametrize("name", BUILDERS)
def test_same_seed_same_weights_even_while_another_thread_draws(name):
    quiet = [w.numpy() for w in BUILDERS[name](5).weights]
    with another_thread_drawing_from_random(interval=0.0002):
        busy = [w.numpy() for w in BUILDERS[name](5).weights]
    for a, b in zip(quiet, busy):
        np.testing.assert_array_equal(a, b)
    other = [w.numpy() for w in BUILDERS[name](6).weights]
    assert any(not np.array_equal(a, b) for a, b in zip(quiet, other))


def test_seed_none_leaves_the_seeds_to_keras():
    def kernel_seeds(model):
        return [layer.kernel_initializer.seed for layer in model.layers
                if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]

    first = kernel_seeds(BUILDERS["lenet5"](None))
    # Keras draws each initializer's seed itself: set, and new on each build.
    assert None not in first
    assert kernel_seeds(BUILDERS["lenet5"](None)) != first
    dropouts = [layer for layer in BUILDERS["lenet5"](None).layers
                if isinstance(layer, keras.layers.Dropout)]
    assert dropouts and all(layer.seed is None for layer in dropouts)


def test_seeded_fits_agree_while_another_thread_draws_from_random(shapes):
    X, y = shapes
    params = dict(epochs=2, augment=True, dropout=0.2, random_state=0)
    quiet = LeNet5Classifier(**params).fit(X, y).predict_proba(X)
    with another_thread_drawing_from_random(interval=0.0005):
        busy = [LeNet5Classifier(**params).fit(X, y).predict_proba(X) for _ in range(2)]
    np.testing.assert_array_equal(busy[0], quiet)
    np.testing.assert_array_equal(busy[1], quiet)


def test_build_fine_tuned_trains_the_top_of_the_backbone_but_no_batchnorm():
    extractor = build_feature_extractor(
        (28, 28, 1), backbone="mobilenetv2", weights=None, input_size=32
    )
    head = build_head(extractor.output_shape[-1], 10, units=())
    model = build_fine_tuned((28, 28, 1), extractor, head, fine_tune_layers=10)
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    base = extractor.layers[-1]
    trainable = [layer for layer in base.layers if layer.trainable]
    assert trainable and all(layer in base.layers[-10:] for layer in trainable)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in trainable)
    assert not any(isinstance(layer, RandomShiftAndFlip) for layer in model.layers)
    augmented = build_fine_tuned((28, 28, 1), extractor, head, fine_tune_layers=10,
                                 augment=True, seed=0)
    assert any(isinstance(layer, RandomShiftAndFlip) for layer in augmented.layers)


def test_build_fine_tuned_sets_every_layer_again_and_refuses_layers_without_weights():
    extractor = build_feature_extractor(
        (28, 28, 1), backbone="efficientnet_lite0", weights=None, input_size=32
    )
    head = build_head(extractor.output_shape[-1], 10, units=())
    base = extractor.layers[-1]
    assert fine_tune_layers_needed(base) == 4
    build_fine_tuned((28, 28, 1), extractor, head, fine_tune_layers=1000)
    with pytest.raises(ValueError, match=r"fine_tune_layers=3 makes no weight .* "
                                         r"\(top_bn, top_activation, avg_pool\).* "
                                         r"at least fine_tune_layers=4"):
        build_fine_tuned((28, 28, 1), extractor, head, fine_tune_layers=3)
    # Built again from the same extractor (all trainable, then none): each
    # call sets every layer, whatever the last one left.
    build_fine_tuned((28, 28, 1), extractor, head, fine_tune_layers=4)
    assert [layer.name for layer in base.layers if layer.trainable_weights] == ["top_conv"]


@pytest.mark.parametrize("fine_tune_layers", [0, -1, 2.0, True, None])
def test_build_fine_tuned_refuses_a_layer_count_that_is_no_positive_int(fine_tune_layers):
    inputs = keras.Input((4,))
    stub = keras.Model(inputs, inputs)
    with pytest.raises(ValueError, match=r"fine_tune_layers must be a positive int.*"
                                         rf"Received fine_tune_layers={fine_tune_layers!r}\."):
        build_fine_tuned((4,), stub, stub, fine_tune_layers=fine_tune_layers)
