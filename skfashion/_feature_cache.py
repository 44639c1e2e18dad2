"""The per-process cache of frozen backbones and of the features they computed.

A frozen backbone's forward pass is by far the most expensive step of transfer
learning, so :class:`skfashion.BackboneFeatures` keeps the features it computes,
keyed by the backbone configuration and a hash of the images: a refit, a clone,
or a grid search over head parameters reuses them. The two backbones built
last are kept too. Everything lives in this process only. The public names are
``skfashion.transfer.feature_cache_info`` and
``skfashion.transfer.clear_feature_cache``.
"""

from collections import OrderedDict
from pathlib import Path

import joblib
import numpy as np

from skfashion.backbones import build_feature_extractor

__all__ = ["clear_feature_cache", "feature_cache_info"]

#: Upper bound on the bytes of features kept in the per-process cache.
FEATURE_CACHE_MAX_BYTES = 2 * 2**30

_EXTRACTORS = OrderedDict()  # configuration -> frozen keras.Model (a few at most)
_FEATURES = OrderedDict()  # configuration + image hash -> read-only features
_STATS = {"hits": 0, "misses": 0}


def feature_cache_info():
    """Return the feature cache's counters as a dict.

    The cache lives in this process only; :func:`clear_feature_cache` empties it.

    Returns
    -------
    info : dict
        ``misses``: backbone forward passes over an array of images;
        ``hits``: transforms answered from the cache; ``arrays`` and
        ``bytes``: the number and total size of the feature arrays it holds now.

    Examples
    --------
    >>> from skfashion import BackboneFeatures, load_fashion_mnist
    >>> from skfashion.transfer import clear_feature_cache, feature_cache_info
    >>> X, _ = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> clear_feature_cache()
    >>> features = BackboneFeatures(weights=None).fit(X[:8])
    >>> _ = features.transform(X[:8]), features.transform(X[:8])
    >>> feature_cache_info()
    {'hits': 1, 'misses': 1, 'arrays': 1, 'bytes': 40960}
    """
    return {
        **_STATS,
        "arrays": len(_FEATURES),
        "bytes": sum(f.nbytes for f in _FEATURES.values()),
    }


def clear_feature_cache():
    """Empty the feature cache and the built backbones, and reset the counters.

    Frees the memory they hold; the next transform runs the backbone again.

    Examples
    --------
    >>> from skfashion.transfer import clear_feature_cache, feature_cache_info
    >>> clear_feature_cache()
    >>> feature_cache_info()
    {'hits': 0, 'misses': 0, 'arrays': 0, 'bytes': 0}
    """
    _FEATURES.clear()
    _EXTRACTORS.clear()
    _STATS.update(hits=0, misses=0)


def weights_key(weights):
    """What identifies ``weights`` in a cache key: a file by path, size and mtime."""
    if weights is None or weights == "imagenet":
        return weights
    path = Path(weights).resolve()
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def extractor(config):
    """The frozen feature extractor of ``config``, built once and kept (two at most)."""
    if config not in _EXTRACTORS:
        backbone, weights, input_size, input_shape = config
        _EXTRACTORS[config] = build_feature_extractor(
            input_shape, backbone=backbone, weights=weights, input_size=input_size
        )
        while len(_EXTRACTORS) > 2:
            _EXTRACTORS.popitem(last=False)
    _EXTRACTORS.move_to_end(config)
    return _EXTRACTORS[config]


def features(config, X, *, batch_size, cache=True):
    """The extractor's features of the images ``X``, from the cache if it has them.

    ``config`` is ``(backbone, weights_key(weights), input_size, input_shape)``.
    With ``cache=False`` the features are computed and not kept. Kept arrays are
    read-only; the oldest are dropped beyond :data:`FEATURE_CACHE_MAX_BYTES`.
    """
    key = (config, X.shape, joblib.hash(X)) if cache else None
    if key in _FEATURES:
        _STATS["hits"] += 1
        _FEATURES.move_to_end(key)
        return _FEATURES[key]
    _STATS["misses"] += 1
    result = _predict(extractor(config), X, batch_size)
    if key is not None and result.nbytes <= FEATURE_CACHE_MAX_BYTES:
        result.setflags(write=False)
        _FEATURES[key] = result
        while sum(f.nbytes for f in _FEATURES.values()) > FEATURE_CACHE_MAX_BYTES:
            _FEATURES.popitem(last=False)
    return result


def _predict(model, X, batch_size):
    """``model.predict(X)`` in batches of ``batch_size``, never in a batch of one image.

    On some CPUs (seen on AMD Zen 3) oneDNN computes a one-image batch with
    other float32 kernels than a larger batch, and its features differ by up
    to about 1e-6: an image's features would then depend on how it was
    batched (alone, or last of ``batch_size + 1`` images). A last batch of one
    is therefore run with a copy of its image beside it, which is dropped.
    """
    n_samples = len(X)
    pad = batch_size > 1 and n_samples % batch_size == 1
    if pad:
        X = np.concatenate([X, X[-1:]])
    result = model.predict(X, batch_size=batch_size, verbose=0)
    return np.asarray(result[:n_samples], dtype=np.float32)
