"""The per-process cache of frozen backbones and of the features they computed.

A frozen backbone's forward pass is by far the most expensive step of transfer
learning, so :class:`skfashion.BackboneFeatures` keeps the features it computes,
one vector per image, keyed by the backbone configuration and a hash of the
image: a refit, a clone, a grid search over head parameters, or the folds of a
cross-validation (each image is in several folds' training sets) run the
backbone only on images it has not seen. The two backbones built last are
kept too. Everything lives in this process only. The public names are
``skfashion.transfer.feature_cache_info`` and
``skfashion.transfer.clear_feature_cache``.
"""

import hashlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from skfashion.backbones import build_feature_extractor

__all__ = ["clear_feature_cache", "feature_cache_info"]

#: Upper bound on the bytes of features kept in the per-process cache.
FEATURE_CACHE_MAX_BYTES = 2 * 2**30

_EXTRACTORS = OrderedDict()  # configuration -> frozen keras.Model (a few at most)
_FEATURES = OrderedDict()  # (configuration, image digest) -> read-only feature vector
_STATS = {"hits": 0, "misses": 0, "computed": 0, "bytes": 0}


def feature_cache_info():
    """Return the feature cache's counters as a dict.

    The cache lives in this process only; :func:`clear_feature_cache` empties it.

    Returns
    -------
    info : dict
        ``hits``: transforms answered from the cache alone; ``misses``:
        transforms that ran the backbone, on the images the cache lacked;
        ``computed``: the images the backbone ran on; ``images`` and
        ``bytes``: the number and total size of the feature vectors it holds
        now.

    Examples
    --------
    >>> from skfashion import BackboneFeatures, load_fashion_mnist
    >>> from skfashion.transfer import clear_feature_cache, feature_cache_info
    >>> X, _ = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> clear_feature_cache()
    >>> features = BackboneFeatures(weights=None).fit(X[:8])
    >>> _ = features.transform(X[:8]), features.transform(X[:8])
    >>> _ = features.transform(X[4:12])  # 4 images seen, 4 new
    >>> feature_cache_info()
    {'hits': 1, 'misses': 2, 'computed': 12, 'images': 12, 'bytes': 61440}
    """
    return {
        "hits": _STATS["hits"],
        "misses": _STATS["misses"],
        "computed": _STATS["computed"],
        "images": len(_FEATURES),
        "bytes": _STATS["bytes"],
    }


def clear_feature_cache():
    """Empty the feature cache and the built backbones, and reset the counters.

    Frees the memory they hold; the next transform runs the backbone again.

    Examples
    --------
    >>> from skfashion.transfer import clear_feature_cache, feature_cache_info
    >>> clear_feature_cache()
    >>> feature_cache_info()
    {'hits': 0, 'misses': 0, 'computed': 0, 'images': 0, 'bytes': 0}
    """
    _FEATURES.clear()
    _EXTRACTORS.clear()
    _STATS.update(hits=0, misses=0, computed=0, bytes=0)


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
    """The extractor's features of the images ``X``, from the cache where it has them.

    ``config`` is ``(backbone, weights_key(weights), input_size, input_shape)``.
    The backbone runs once over the images the cache lacks (each distinct
    image once); with ``cache=False`` it runs over all of them and keeps
    nothing. Returns a new array; the least recently used vectors are dropped
    beyond :data:`FEATURE_CACHE_MAX_BYTES`.
    """
    if not cache:
        _STATS["misses"] += 1
        _STATS["computed"] += len(X)
        return _predict(extractor(config), X, batch_size)
    keys = [(config, digest) for digest in _image_digests(X)]
    new = {}  # key -> index in X of the first image with it, among those not cached
    for i, key in enumerate(keys):
        if key not in _FEATURES and key not in new:
            new[key] = i
    if not new:
        _STATS["hits"] += 1
        for key in keys:  # most recently used last
            _FEATURES.move_to_end(key)
        return np.stack([_FEATURES[key] for key in keys])
    _STATS["misses"] += 1
    _STATS["computed"] += len(new)
    if len(new) == len(keys):  # all new and distinct: the backbone's output as it is
        result = _predict(extractor(config), X, batch_size)
        _store(keys, result)
        return result
    computed = _predict(extractor(config), X[list(new.values())], batch_size)
    computed = dict(zip(new, computed))
    result = np.stack([computed[key] if key in new else _FEATURES[key] for key in keys])
    for key in keys:
        if key in _FEATURES:
            _FEATURES.move_to_end(key)
    _store(list(computed), list(computed.values()))
    return result


def _image_digests(X):
    """A digest of each image's dtype, shape and pixel bytes."""
    X = np.ascontiguousarray(X)
    prefix = f"{X.dtype.str}{X.shape[1:]}".encode()
    return [
        hashlib.blake2b(prefix + image.tobytes(), digest_size=16).digest() for image in X
    ]


def _store(keys, vectors):
    """Keep new feature vectors, dropping the oldest beyond the byte bound.

    Only the last vectors that fit in :data:`FEATURE_CACHE_MAX_BYTES` are kept;
    each is copied, so that it keeps neither its batch nor the caller's array
    alive, and made read-only. The bound counts the vectors' bytes, not the
    few hundred bytes of bookkeeping per image.
    """
    start = max(len(keys) - FEATURE_CACHE_MAX_BYTES // vectors[0].nbytes, 0)
    for key, vector in zip(keys[start:], vectors[start:]):
        vector = vector.copy()
        vector.setflags(write=False)
        _FEATURES[key] = vector
        _STATS["bytes"] += vector.nbytes
    while _STATS["bytes"] > FEATURE_CACHE_MAX_BYTES:
        _, dropped = _FEATURES.popitem(last=False)
        _STATS["bytes"] -= dropped.nbytes


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
