"""Pure checks of parameters and of ``fit``'s arguments.

Each returns the validated value or raises a ``ValueError`` naming the
parameter, the value received and what is accepted: fractions (rates and
sizes), ``sample_weight``, ``class_weight`` and ``validation_split``, and
:func:`training_weights`, the one place where the two weights are combined. The
layers and builders use :func:`check_fraction` too, so this module imports
nothing of Keras. The image contract (shapes, dtypes, pixel ranges) is in
:mod:`skfashion._images`.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d


def short_repr(value, limit=80):
    """``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_fraction(name, value, meaning=None, *, zero_allowed=True, one_allowed=False):
    """``value`` as a float, if it is a real number in the interval (not a bool).

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    value : object
        What was passed.
    meaning : str or None, default=None
        What the fraction is of, added to the message.
    zero_allowed : bool, default=True
        Whether 0 is allowed.
    one_allowed : bool, default=False
        Whether 1 is allowed.

    Returns
    -------
    value : float

    Raises
    ------
    ValueError
        Naming the parameter, the interval and the value received.

    Examples
    --------
    >>> from skfashion._validation import check_fraction
    >>> check_fraction("dropout", 0.25)
    0.25
    >>> check_fraction("dropout", 1)
    Traceback (most recent call last):
        ...
    ValueError: dropout must be a float in [0, 1). Received dropout=1.
    """
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not (0 <= value if zero_allowed else 0 < value)
        or not (value <= 1 if one_allowed else value < 1)
    ):
        interval = f"{'[' if zero_allowed else '('}0, 1{']' if one_allowed else ')'}"
        what = f", {meaning}" if meaning else ""
        raise ValueError(
            f"{name} must be a float in {interval}{what}. "
            f"Received {name}={short_repr(value)}."
        )
    return float(value)


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight`` for ``n_samples`` rows, the scikit-learn way.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Per-sample weights: a list, a numpy array, a pandas Series, ...
    n_samples : int
        The number of rows of ``X``.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), dtype float64, or None
        None when ``sample_weight`` is None (every sample weighs 1).

    Raises
    ------
    ValueError
        If the weights are not a 1-D array of ``n_samples`` finite numbers, if
        any is negative (it would train by gradient ascent on that sample) or if
        they are all zero (nothing would be learned).
    """
    if sample_weight is None:
        return None
    try:
        weights = check_array(
            sample_weight,
            ensure_2d=False,
            dtype=np.float64,
            ensure_all_finite=True,
            input_name="sample_weight",
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "sample_weight must be None or an array-like of finite numbers of shape "
            f"(n_samples,). Received sample_weight={short_repr(sample_weight)} "
            f"({exc})."
        ) from exc
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample. "
            f"Received sample_weight of shape {weights.shape}."
        )
    negative = np.flatnonzero(weights < 0)
    if negative.size:
        raise ValueError(
            "sample_weight must be non-negative: a negative weight trains by "
            f"gradient ascent on its sample. Received {negative.size} negative "
            f"weight(s), e.g. sample_weight[{negative[0]}]={float(weights[negative[0]])!r}."
        )
    if n_samples and not weights.any():
        raise ValueError(
            "sample_weight must not be all zero: nothing would be learned. "
            f"Received {n_samples} zero weights."
        )
    return weights


def check_class_weight(class_weight, classes):
    """Validate ``class_weight`` against the classes of ``y``.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        A mapping of class label to weight, ``"balanced"`` (weights inversely
        proportional to the class frequencies) or None (every class weighs 1).
    classes : array-like of shape (n_classes,)
        The classes found in ``y``.

    Returns
    -------
    class_weight : dict, "balanced" or None
        ``class_weight`` unchanged.

    Raises
    ------
    ValueError
        If ``class_weight`` is of another type, names a class that is not in
        ``classes`` (it would be ignored silently), or gives a weight that is
        not a finite non-negative number, or weighs every class zero.
    """
    if class_weight is None or (
        isinstance(class_weight, str) and class_weight == "balanced"
    ):
        return class_weight
    if not isinstance(class_weight, dict):
        raise ValueError(
            "class_weight must be a dict of class label to weight, 'balanced' or "
            f"None. Received class_weight={short_repr(class_weight)}."
        )
    classes = list(np.asarray(classes).tolist())
    unknown = [key for key in class_weight if key not in classes]
    if unknown:
        raise ValueError(
            f"class_weight has keys that are not classes of y: "
            f"{short_repr(unknown, 200)}; the classes are "
            f"{short_repr(classes, 200)}. Received "
            f"class_weight={short_repr(class_weight, 200)}."
        )
    bad = {
        key: weight
        for key, weight in class_weight.items()
        if isinstance(weight, bool)
        or not isinstance(weight, numbers.Real)
        or not np.isfinite(weight)
        or weight < 0
    }
    if bad:
        raise ValueError(
            "class_weight values must be finite non-negative numbers: a negative "
            "weight trains by gradient ascent on its class. Received "
            f"{short_repr(bad, 200)} in class_weight."
        )
    if len(class_weight) == len(classes) and not any(class_weight.values()):
        raise ValueError(
            "class_weight must not weigh every class zero: nothing would be "
            f"learned. Received class_weight={short_repr(class_weight, 200)}."
        )
    return class_weight


def training_weights(
    y, sample_weight, class_weight, *, classes=None, estimator=None, warn=True
):
    """Validated ``sample_weight`` times the ``class_weight`` of each label.

    The one place where training weights are made, for head training and
    fine-tuning alike; the caller's ``sample_weight`` is never changed.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    sample_weight : array-like of shape (n_samples,) or None
        Checked by :func:`check_sample_weight`.
    class_weight : dict, "balanced" or None
        Checked by :func:`check_class_weight`; a dict may name any of
        ``classes``.
    classes : array-like, default=None
        Every class label (for ``partial_fit``); by default the labels in ``y``.
    estimator : object, default=None
        The estimator, named in the message when ``y`` is None.
    warn : bool, default=True
        Warn when every sample of a class weighs zero (False when the same
        weights were checked before in the same fit).

    Returns
    -------
    weights : ndarray of shape (n_samples,), dtype float64, or None
        None when neither weight is set.

    Raises
    ------
    ValueError
        If a weight is invalid (:func:`check_sample_weight`,
        :func:`check_class_weight`) or the product is zero for every sample.

    Warns
    -----
    UserWarning
        If every sample of a class weighs zero: the class stays among the
        classes, but nothing is learned of it.

    Examples
    --------
    >>> from skfashion._validation import training_weights
    >>> training_weights([0, 0, 1], [1, 2, 1], {0: 1.0, 1: 3.0}).tolist()
    [1.0, 2.0, 3.0]
    >>> training_weights([0, 1], None, None) is None
    True
    """
    if y is None:
        name = type(estimator).__name__ if estimator is not None else "This estimator"
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y"))
    check_classification_targets(y)
    sample_weight = check_sample_weight(sample_weight, y.shape[0])
    class_weight = check_class_weight(class_weight, np.unique(y if classes is None else classes))
    if class_weight is None:
        weights = sample_weight
    else:
        if isinstance(class_weight, dict):
            # Only the classes in this y: scikit-learn refuses a dict that names
            # absent classes while leaving present ones out (partial_fit batches).
            present = set(np.unique(y).tolist())
            class_weight = {k: v for k, v in class_weight.items() if k in present}
        weights = compute_sample_weight(class_weight, y)
        if sample_weight is not None:
            weights = weights * sample_weight
    if weights is not None:
        what = " times ".join(
            name
            for name, value in (("sample_weight", sample_weight), ("class_weight", class_weight))
            if value is not None
        )
        _check_every_class_weighs(y, weights, what, warn=warn)
    return weights


def _check_every_class_weighs(y, weights, what, *, warn):
    """Refuse weights that are all zero; warn about classes whose samples all weigh zero.

    Such a class stays in ``classes_`` (and among the network's outputs) but
    nothing is learned of it: a model that never predicts it, whatever the
    images, is better said than found out.
    """
    if y.shape[0] and not weights.any():
        raise ValueError(
            f"The training weights ({what}) are zero for every sample: nothing "
            "would be learned. Give some samples of each class a weight above zero."
        )
    labels, codes = np.unique(y, return_inverse=True)
    zero = labels[np.bincount(codes, weights=weights, minlength=labels.size) == 0]
    if warn and zero.size:
        warnings.warn(
            f"Every sample of class(es) {short_repr(zero.tolist(), 200)} weighs zero "
            f"({what}): nothing is learned of them, yet they stay among the "
            "classes the model can predict. Drop their samples from X and y, or give "
            "them a weight above zero.",
            UserWarning,
            stacklevel=6,  # the caller of fit or partial_fit
        )


def check_validation_split(validation_split, y):
    """Check that ``validation_split`` leaves every class in both parts.

    The split holds out ``ceil(validation_split * n_samples)`` images, as
    ``BaseImageClassifier`` does. Each part needs at least one image of each
    class: with fewer, training misses classes, or validation (and early
    stopping) is skipped.

    Parameters
    ----------
    validation_split : float in [0, 1)
        Fraction of the training images held out; 0 holds out none.
    y : array-like of shape (n_samples,)
        The training labels.

    Returns
    -------
    validation_split : float

    Raises
    ------
    ValueError
        If ``validation_split`` is not in [0, 1), or if it leaves fewer images
        than classes in either part, or if a class has a single image (it
        cannot be in both parts). The message gives the numbers and the range
        of splits that would work.
    """
    check_fraction("validation_split", validation_split)
    if validation_split == 0:
        return validation_split
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    n_samples, n_classes = int(counts.sum()), labels.size
    n_val = math.ceil(validation_split * n_samples)
    n_train = n_samples - n_val
    if counts.min() < 2:
        single = labels[counts < 2].tolist()
        raise ValueError(
            f"validation_split={validation_split!r} needs at least 2 images of each "
            f"class, one for each part; class(es) {short_repr(single, 200)} have "
            f"only 1 of the {n_samples} images. Add images or use "
            "validation_split=0 (no validation, no early stopping)."
        )
    if min(n_val, n_train) < n_classes:
        # Every class has 2 images or more, so n_samples >= 2 * n_classes and
        # this range is never empty.
        lowest, highest = n_classes / n_samples, (n_samples - n_classes) / n_samples
        raise ValueError(
            f"validation_split={validation_split!r} holds out {n_val} of the "
            f"{n_samples} images for validation and leaves {n_train} for training: "
            f"each part needs at least one image of each of the {n_classes} "
            f"classes. Use a validation_split from {lowest:.3g} to {highest:.3g}, "
            "or validation_split=0 (no validation, no early stopping)."
        )
    return validation_split


def check_classes(y, classes, *, fitted_classes=None):
    """The classes of a ``partial_fit`` or warm-start fit, checked against ``y``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels of this call.
    classes : array-like or None
        The ``classes`` argument of ``partial_fit``; None when not given.
    fitted_classes : ndarray or None, default=None
        ``classes_`` of the model being trained further; None for a new one.

    Returns
    -------
    classes : ndarray or None
        The sorted classes (``fitted_classes`` when given), or None when
        neither is known (the classes of ``y`` are then taken).

    Raises
    ------
    ValueError
        If ``classes`` differs from ``fitted_classes`` (the network's outputs
        are fixed once built), or if ``y`` has labels outside the classes.

    Examples
    --------
    >>> from skfashion._validation import check_classes
    >>> check_classes([1, 0], [2, 0, 1]).tolist()
    [0, 1, 2]
    >>> check_classes([3], None, fitted_classes=np.array([0, 1]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y has labels that are not classes of the model: [3]; ...
    """
    if classes is not None:
        classes = np.unique(column_or_1d(check_array(classes, ensure_2d=False, dtype=None,
                                                     input_name="classes")))
        if fitted_classes is not None and not np.array_equal(classes, fitted_classes):
            raise ValueError(
                f"classes={short_repr(classes.tolist(), 200)} differs from the classes "
                f"of the fitted model, {short_repr(np.asarray(fitted_classes).tolist(), 200)}: "
                "the network's outputs are fixed when it is built. Pass the same "
                "classes (or none) to go on training, or call fit to start anew."
            )
    if fitted_classes is not None:
        classes = np.asarray(fitted_classes)
    if classes is None:
        return None
    labels = np.unique(column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y")))
    unknown = labels[~np.isin(labels, classes)]
    if unknown.size:
        raise ValueError(
            f"y has labels that are not classes of the model: "
            f"{short_repr(unknown.tolist(), 200)}; the classes are "
            f"{short_repr(classes.tolist(), 200)}. The outputs are fixed when the "
            "network is built: give every label to partial_fit's first call "
            "(classes=...), or fit anew (warm_start=False)."
        )
    return classes


def changed_params(before, after):
    """The parameters whose value differs between two ``get_params``, with both values.

    Parameters
    ----------
    before, after : dict or None
        Parameter values; None for ``before`` (nothing recorded) gives no
        change.

    Returns
    -------
    changed : list of str
        ``"name (old -> new)"`` for each parameter that changed, sorted.

    Examples
    --------
    >>> from skfashion._validation import changed_params
    >>> changed_params({"a": 1, "b": (2, 3)}, {"a": 1, "b": (2, 4)})
    ['b ((2, 3) -> (2, 4))']
    """
    if before is None:
        return []

    def same(a, b):
        try:
            return a is b or bool(np.all(a == b))
        except Exception:  # values that cannot be compared are taken as changed
            return False

    return sorted(
        f"{name} ({short_repr(before.get(name))} -> {short_repr(value)})"
        for name, value in after.items()
        if not same(before.get(name), value)
    )


def check_fit_arguments(kwargs, method="fit"):
    """Check ``epochs``, ``initial_epoch`` and ``batch_size`` passed to ``fit``.

    The constructor's values are checked by the parameter constraints; these
    come as keyword arguments of ``fit`` and would otherwise reach Keras as
    they are (``epochs=0`` trains nothing, ``batch_size=2.5`` is truncated).

    Parameters
    ----------
    kwargs : dict
        Keyword arguments of ``fit`` or ``partial_fit``.
    method : str, default="fit"
        The method named in the message (``"predict"`` for its batch size).

    Raises
    ------
    ValueError
        Naming the argument, the value received and what is accepted.

    Examples
    --------
    >>> from skfashion._validation import check_fit_arguments
    >>> check_fit_arguments({"epochs": 3, "batch_size": "auto"})
    >>> check_fit_arguments({"epochs": 0})
    Traceback (most recent call last):
    ...
    ValueError: fit's epochs must be an int >= 1; received 0.
    """
    def is_int(value):
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    for name, low in (("epochs", 1), ("initial_epoch", 0)):
        if name in kwargs and not (is_int(kwargs[name]) and kwargs[name] >= low):
            raise ValueError(
                f"{method}'s {name} must be an int >= {low}; received "
                f"{short_repr(kwargs[name])}."
            )
    if "batch_size" in kwargs:
        value = kwargs["batch_size"]
        auto = method != "predict"
        if not (auto and value == "auto" if isinstance(value, str) else is_int(value) and value >= 1):
            accepted = "an int >= 1 or 'auto'" if auto else "an int >= 1"
            raise ValueError(
                f"{method}'s batch_size must be {accepted}; received {short_repr(value)}."
            )
