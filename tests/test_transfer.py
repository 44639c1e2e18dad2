"""TransferClassifier, BackboneFeatures and the backbone registry."""

import pickle
import time

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline

from skfashion import BackboneFeatures, ImageResizer, TransferClassifier, _feature_cache
from skfashion._compat import keras_file_utils
from skfashion._tta import tta_views
from skfashion.backbones import BACKBONES, build_backbone, build_feature_extractor
from skfashion.layers import CAFFE_MEAN_BGR
from skfashion.transfer import clear_feature_cache, feature_cache_info
from tests.conftest import make_shapes

# What each backbone must receive, written out independently of the registry.
EXPECTED_PREPROCESSING = {
    "efficientnet_lite0": lambda rgb: (rgb - 127.0) / 128.0,
    "vgg16": lambda rgb: rgb[..., ::-1] - np.array(CAFFE_MEAN_BGR),
    "resnet50": lambda rgb: rgb[..., ::-1] - np.array(CAFFE_MEAN_BGR),
    "resnet152v2": lambda rgb: rgb / 127.5 - 1.0,
    "mobilenetv2": lambda rgb: rgb / 127.5 - 1.0,
    "efficientnetb0": lambda rgb: rgb,  # keras.applications EfficientNet rescales itself
    "efficientnetb1": lambda rgb: rgb,
}


def test_every_registered_backbone_has_an_expected_preprocessing():
    assert set(EXPECTED_PREPROCESSING) == set(BACKBONES)


@pytest.fixture(scope="module")
def shapes28():
    return make_shapes(n_per_class=10, size=28)


@pytest.mark.parametrize("backbone", sorted(BACKBONES))
def test_backbone_api_and_preprocessing(backbone, shapes28):
    """Fit/predict on every backbone (random weights), and check what it receives."""
    X, y = shapes28
    clf = TransferClassifier(
        backbone, weights=None, input_size=32, head_units=(), epochs=1, random_state=0
    ).fit(X, y)
    assert clf.predict(X).shape == (len(X),)
    proba = clf.predict_proba(X[:4])
    assert proba.shape == (4, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)

    # The input of the backbone itself: gray 28x28 [0, 255] -> 32x32 RGB, then
    # the backbone's own preprocessing, on a copy of the caller's array.
    extractor = build_feature_extractor(
        (28, 28, 1), backbone=backbone, weights=None, input_size=32
    )
    to_backbone = keras.Model(extractor.input, extractor.get_layer("preprocess").output)
    gray = np.full((1, 28, 28, 1), 200.0, dtype=np.float32)
    gray[0, :, :14] = 10.0
    before = gray.copy()
    received = np.asarray(to_backbone.predict(gray, verbose=0))
    np.testing.assert_array_equal(gray, before)
    assert received.shape == (1, 32, 32, 3)
    rgb = np.repeat(np.asarray(keras.ops.image.resize(gray, (32, 32))), 3, axis=-1)
    np.testing.assert_allclose(received, EXPECTED_PREPROCESSING[backbone](rgb), atol=1e-3)


def test_unknown_backbone_lists_the_valid_names(shapes28):
    X, y = shapes28
    with pytest.raises(ValueError, match="'backbone' parameter"):
        TransferClassifier("vgg61").fit(X, y)
    with pytest.raises(ValueError, match=r"Unknown backbone 'vgg61'; expected one of: .*'vgg16'"):
        build_backbone("vgg61")


def test_input_size_below_32_is_refused(shapes28):
    X, y = shapes28
    with pytest.raises(ValueError, match="input_size must be .* >= 32"):
        TransferClassifier(input_size=(16, 16), weights=None).fit(X, y)


def test_offline_imagenet_download_fails_fast_with_a_helpful_message(monkeypatch, tmp_path):
    file_utils = keras_file_utils()

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://example.invalid: [Errno -2] simulated")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "get_file", offline)
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as info:
        build_backbone("vgg16", weights="imagenet", input_size=32)
    assert time.perf_counter() - start < 10
    message = str(info.value)
    assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(tmp_path / "models") in message
    assert "weights='/path/to/" in message and "efficientnet_lite0" in message


def test_weights_from_a_local_file(tmp_path):
    random_model = build_backbone("mobilenetv2", weights=None, input_size=32)
    path = tmp_path / "mobilenetv2.weights.h5"
    random_model.save_weights(path)
    loaded = build_backbone("mobilenetv2", weights=path, input_size=32)
    for a, b in zip(random_model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        build_backbone("mobilenetv2", weights=tmp_path / "missing.h5", input_size=32)


def test_fine_tuning_unfreezes_top_layers_but_not_batchnorm(shapes28):
    X, y = shapes28
    clf = TransferClassifier(
        "mobilenetv2",
        weights=None, input_size=32,
        epochs=2,
        fine_tune_layers=10,
        fine_tune_epochs=2,
        patience=None,
        random_state=0,
    ).fit(X, y)
    base = clf.model_.get_layer("mobilenetv2_features").layers[-1]
    assert base.name.startswith("mobilenet")
    trainable = [layer for layer in base.layers if layer.trainable]
    assert trainable and all(layer in base.layers[-10:] for layer in trainable)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in trainable)
    assert len(clf.history_["loss"]) == 4  # 2 head epochs, then 2 fine-tuning epochs
    assert clf.model_.input_shape == (None, 28, 28, 1)  # images in, not features
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_fine_tuning_with_augment_shifts_and_flips_the_images(shapes28):
    X, y = shapes28
    clf = TransferClassifier(
        "mobilenetv2", weights=None, input_size=32, epochs=1, fine_tune_layers=5,
        fine_tune_epochs=1,
        augment=True, validation_split=0.0, random_state=0,
    ).fit(X, y)
    layer = clf.model_.get_layer("random_shift_flip")
    images = X[:8, :, :, None].astype("float32")
    np.testing.assert_array_equal(layer(images, training=False), images)  # off at inference
    assert not np.array_equal(layer(images, training=True), images)
    assert clf._uses_tta()  # tta="auto": the network was trained on mirror images
    restored = pickle.loads(pickle.dumps(clf))
    assert isinstance(restored.model_.get_layer("random_shift_flip"), type(layer))
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("random_state", [None, 0])
def test_fine_tuning_holds_out_the_rows_the_head_was_judged_on(
    shapes28, monkeypatch, random_state
):
    # Unseeded too: a fresh split would judge early stopping on training rows.
    from skfashion import _base

    splits = []

    def spy(*args, **kwargs):
        splits.append(_base_split(*args, **kwargs))
        return splits[-1]

    _base_split = _base.split_indices
    monkeypatch.setattr(_base, "split_indices", spy)
    X, y = shapes28
    TransferClassifier(
        "mobilenetv2", weights=None, input_size=32, epochs=1, fine_tune_layers=5,
        fine_tune_epochs=1,
        validation_split=0.3, random_state=random_state,
    ).fit(X, y)
    (head_train, head_val), (tune_train, tune_val) = splits
    assert head_val.size == 9
    np.testing.assert_array_equal(tune_val, head_val)
    np.testing.assert_array_equal(np.sort(tune_train), np.sort(head_train))


def test_fit_arguments_reach_fine_tuning_and_a_warm_start_goes_on_fine_tuning(shapes28):
    X, y = shapes28
    clf = TransferClassifier(
        "mobilenetv2", weights=None, input_size=32, epochs=3, fine_tune_layers=5,
        fine_tune_epochs=1,
        validation_split=0.0, random_state=0,
    ).fit(X, y, batch_size=7)
    assert clf.batch_size_ == 7  # the fine-tuning's batches, not batch_size="auto"
    assert len(clf.history_["loss"]) == 3 + 1
    clf.set_params(warm_start=True).fit(X, y)
    # The whole network trains on for fine_tune_epochs, not for the head's
    # epochs (history_ is the last fit's, as for every scikeras estimator).
    assert len(clf.history_["loss"]) == 1
    assert clf.model_.name == "fine_tuned"


def test_augment_without_fine_tuning_is_refused(shapes28):
    X, y = shapes28
    clf = TransferClassifier(
        "mobilenetv2", weights=None, input_size=32, epochs=1, augment=True
    )
    with pytest.raises(ValueError, match="augment=True acts while fine-tuning only"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="partial_fit trains a head .* augment=True"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "model_")


def test_partial_fit_refuses_fine_tuning(shapes28):
    # It trains the head only: fine_tune_layers used to be ignored silently.
    X, y = shapes28
    clf = TransferClassifier("mobilenetv2", weights=None, input_size=32, fine_tune_layers=5)
    with pytest.raises(ValueError, match=r"partial_fit .* Received fine_tune_layers=5"):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert not hasattr(clf, "model_")


def test_a_head_then_a_warm_start_with_fine_tuning(shapes28):
    # A head-only model is fine-tuned by a later warm fit: the fine-tuning
    # parameters may change until then, and are fixed once it is fine-tuned.
    X, y = shapes28
    clf = TransferClassifier("mobilenetv2", weights=None, input_size=32, epochs=1,
                             validation_split=0.0, random_state=0).fit(X, y)
    clf.set_params(warm_start=True, fine_tune_layers=5, fine_tune_epochs=1,
                   fine_tune_learning_rate=1e-3).fit(X, y)
    assert clf.model_.name == "fine_tuned"
    clf.set_params(fine_tune_epochs=2).fit(X, y)  # read by each fit
    clf.set_params(fine_tune_learning_rate=1e-4)
    with pytest.raises(ValueError, match=r"fine_tune_learning_rate \(0.001 -> 0.0001\)"):
        clf.fit(X, y)


def test_fine_tune_layers_that_train_no_weight_are_refused_before_training(shapes28):
    # EfficientNet-Lite0's top 3 layers are BatchNorm, ReLU and pooling.
    X, y = shapes28
    clf = TransferClassifier("efficientnet_lite0", weights=None, input_size=32,
                             fine_tune_layers=3, epochs=1)
    with pytest.raises(ValueError, match=r"fine_tune_layers=3 would train no weight .* "
                                         r"at least fine_tune_layers=4"):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")  # the head did not train first


@pytest.mark.parametrize("fine_tune_layers", [0, 5])
def test_tta_averages_the_image_and_its_mirror_frozen_or_fine_tuned(shapes28, fine_tune_layers):
    X, y = shapes28
    # The real (offline) ImageNet weights: random ones give every image the same
    # features, hence the same prediction as its mirror's.
    clf = TransferClassifier(
        "efficientnet_lite0", epochs=2, fine_tune_layers=fine_tune_layers,
        fine_tune_epochs=1, validation_split=0.0, tta=True, random_state=0,
    ).fit(X, y)
    clf.set_params(tta=False)
    plain = clf.predict_proba(X[:20])
    mirror = clf.predict_proba(X[:20, :, ::-1])
    assert not np.allclose(plain, mirror)  # so the test can tell the two apart
    clf.set_params(tta=True)
    np.testing.assert_allclose(clf.predict_proba(X[:20]), (plain + mirror) / 2, rtol=1e-5, atol=1e-6)
    clf.set_params(tta="auto")  # augment=False: no test-time augmentation
    np.testing.assert_allclose(clf.predict_proba(X[:20]), plain, rtol=1e-5, atol=1e-6)
    # The shifted views too are taken of the images, before the features.
    views = [clf.predict_proba(view) for view in tta_views(X[:20], "shift")]
    clf.set_params(tta="shift")
    np.testing.assert_allclose(clf.predict_proba(X[:20]), np.mean(views, axis=0),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.mean(views, axis=0), (plain + mirror) / 2)  # not the flip alone


# ----------------------------------------------------------------- feature caching


def _small_random_transfer():
    # No validation split: cross-validation folds of shapes28 hold too few
    # images per class for one.
    return TransferClassifier("mobilenetv2", weights=None, input_size=32, epochs=1,
                              validation_split=0.0, random_state=0)


def test_grid_search_over_head_parameters_runs_the_backbone_once_per_image(shapes28):
    X, y = shapes28
    clear_feature_cache()
    grid = GridSearchCV(
        _small_random_transfer(),
        {"head_units": [(), (8,)], "dropout": [0.0, 0.2]},
        cv=2,
    ).fit(X, y)
    info = feature_cache_info()
    # cv=2 splits the images into two halves: the first split's fit runs the
    # backbone on one half and its score on the other; the other 15 transforms
    # (4 candidates x 2 splits x (fit + score) + 1 refit on all images) find
    # every image in the cache.
    assert (info["misses"], info["hits"]) == (2, 15)
    assert info["computed"] == info["images"] == len(X)
    clone(grid.best_estimator_).fit(X, y)  # a refit of a clone: no new forward pass
    assert feature_cache_info()["computed"] == len(X)


def test_cross_validation_folds_share_the_features_of_their_images(shapes28):
    # Each image is in the training set of all folds but one: without a
    # per-image cache, 5 folds would run the backbone on 5 times the images.
    X, y = shapes28
    clear_feature_cache()
    scores = cross_val_score(_small_random_transfer(), X, y, cv=5)
    assert len(scores) == 5
    assert feature_cache_info()["computed"] == len(X)


def test_cached_features_equal_fresh_ones_in_a_new_array(shapes28):
    X, _ = shapes28
    fresh = BackboneFeatures("mobilenetv2", weights=None, input_size=32, cache=False)
    fresh = fresh.fit(X).transform(X)
    clear_feature_cache()
    fitted = BackboneFeatures("mobilenetv2", weights=None, input_size=32).fit(X)
    first = fitted.transform(X)
    again = pickle.loads(pickle.dumps(fitted)).transform(X)
    assert feature_cache_info()["computed"] == len(X)
    np.testing.assert_array_equal(fresh, first)
    np.testing.assert_array_equal(again, first)
    # A new, writable array each time: writing into it leaves the cache intact.
    assert again is not first and again.flags.writeable
    again[:] = 0
    np.testing.assert_array_equal(fitted.transform(X), first)
    # Another image is another key; a repeated image is computed once.
    changed = X[:3].copy()
    changed[0, 0, 0] += 1
    twice = np.concatenate([changed, changed[:1]])
    out = fitted.transform(twice)
    assert feature_cache_info()["computed"] == len(X) + 1
    np.testing.assert_array_equal(out[1:3], first[1:3])
    np.testing.assert_array_equal(out[3], out[0])
    assert not np.array_equal(out[0], first[0])


def test_the_cache_keeps_the_most_recent_images_within_its_bound(shapes28, monkeypatch):
    X, _ = shapes28
    fresh = BackboneFeatures("mobilenetv2", weights=None, input_size=32, cache=False)
    fresh = fresh.fit(X).transform(X[:8])
    clear_feature_cache()
    fitted = BackboneFeatures("mobilenetv2", weights=None, input_size=32).fit(X)
    width = fitted.n_features_out_ * 4  # bytes of one float32 vector
    monkeypatch.setattr(_feature_cache, "FEATURE_CACHE_MAX_BYTES", 5 * width)
    out = fitted.transform(X[:8])  # more images than the cache holds
    np.testing.assert_array_equal(out, fresh)
    info = feature_cache_info()
    assert (info["images"], info["bytes"]) == (5, 5 * width)
    fitted.transform(X[3:8])  # the 5 kept are the last 5
    assert feature_cache_info()["computed"] == 8
    # A hit makes its images the most recent: X[3] outlives X[4] now.
    fitted.transform(X[3:4])
    fitted.transform(X[8:9])  # one new image: the least recent one goes
    fitted.transform(X[3:4])
    assert feature_cache_info()["computed"] == 9
    fitted.transform(X[4:5])
    assert feature_cache_info()["computed"] == 10
    # A call with cached and new images refreshes the cached ones too: X[6]
    # outlives X[7] when X[9] comes in.
    mixed = fitted.transform(X[[6, 9]])
    np.testing.assert_array_equal(mixed[0], fresh[6])
    assert feature_cache_info()["computed"] == 11
    fitted.transform(X[6:7])
    assert feature_cache_info()["computed"] == 11
    fitted.transform(X[7:8])
    assert feature_cache_info()["computed"] == 12


def test_at_most_two_backbones_are_kept_the_least_recent_goes():
    clear_feature_cache()
    configs = [("mobilenetv2", None, (size, size), (28, 28, 1)) for size in (32, 40, 48)]
    _, second, _ = (_feature_cache.extractor(c) for c in configs)
    assert list(_feature_cache._EXTRACTORS) == configs[1:]
    assert _feature_cache.extractor(configs[1]) is second  # kept: not rebuilt
    _feature_cache.extractor(configs[0])  # rebuilt; configs[2] is now the least recent
    assert list(_feature_cache._EXTRACTORS) == [configs[1], configs[0]]
    clear_feature_cache()


def test_a_rewritten_weights_file_is_another_cache_key(tmp_path):
    # Features of the old weights must not be served for the new ones.
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"old")
    key = _feature_cache.weights_key(path)
    assert _feature_cache.weights_key(str(path)) == key  # a path as str or Path
    path.write_bytes(b"new weights")
    assert _feature_cache.weights_key(path) != key
    assert _feature_cache.weights_key("imagenet") == "imagenet"
    assert _feature_cache.weights_key(None) is None


def test_an_array_larger_than_the_cache_keeps_its_last_images(shapes28, monkeypatch):
    X, _ = shapes28
    clear_feature_cache()
    fitted = BackboneFeatures("mobilenetv2", weights=None, input_size=32).fit(X)
    width = fitted.n_features_out_ * 4
    monkeypatch.setattr(_feature_cache, "FEATURE_CACHE_MAX_BYTES", 3 * width + 1)
    fitted.transform(X[:8])
    assert (feature_cache_info()["images"], feature_cache_info()["bytes"]) == (3, 3 * width)
    fitted.transform(X[5:8])
    assert feature_cache_info()["computed"] == 8


def test_features_of_an_image_do_not_depend_on_how_it_was_batched(shapes28):
    # Some CPUs compute a one-image batch with other float32 kernels: alone, or
    # last of batch_size + 1 images, an image must get the same features.
    X = shapes28[0][:5]
    fitted = BackboneFeatures(weights=None, input_size=32, batch_size=4, cache=False).fit(X)
    in_batches = fitted.transform(X)  # a batch of 4, then a batch of 1
    alone = np.concatenate([fitted.transform(X[i : i + 1]) for i in range(len(X))])
    in_one_batch = fitted.set_params(batch_size=8).transform(X)
    np.testing.assert_array_equal(alone, in_one_batch)
    np.testing.assert_array_equal(in_batches, in_one_batch)


def test_backbone_features_in_a_pipeline_with_a_sklearn_classifier(shapes28):
    X, y = shapes28
    pipe = make_pipeline(
        ImageResizer(size=32, channels=3),
        BackboneFeatures("mobilenetv2", weights=None, input_size=32),
        LogisticRegression(max_iter=200),
    ).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    assert pipe[1].get_feature_names_out()[0] == "mobilenetv20"


# ------------------------------------------------------------- real ImageNet weights


@pytest.fixture(scope="module")
def sample_split(fashion_sample):
    X, y = fashion_sample
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


@pytest.mark.slow
def test_efficientnet_lite0_real_weights_far_above_chance(sample_split):
    """Real ImageNet features on real Fashion-MNIST: a collapse would score 10 %.

    The default input_size (96) scored 0.818 here on a Zen 3; the previous
    default, 32, scored 0.736: the bound tells the two apart.
    """
    X_train, X_test, y_train, y_test = sample_split
    clf = TransferClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.78
    assert len(np.unique(clf.predict(X_test))) == 10


def test_grid_search_with_cached_features_gives_the_same_results_in_two_processes(
    sample_split,
):
    X_train, _, y_train, _ = sample_split
    results = {}
    for n_jobs in (1, 2):
        grid = GridSearchCV(
            TransferClassifier(learning_rate=3e-3, random_state=0),
            {"head_units": [(), (64,)]},
            cv=2,
            n_jobs=n_jobs,
        ).fit(X_train, y_train)
        results[n_jobs] = grid.cv_results_["mean_test_score"]
    assert results[1].min() > 0.5
    # Worker processes compute their own features (the cache is per process);
    # TensorFlow's thread count there differs, hence a tolerance, not equality.
    np.testing.assert_allclose(results[2], results[1], atol=0.05)
