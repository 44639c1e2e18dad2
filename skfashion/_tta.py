"""Test-time augmentation: which views of the images a prediction averages over.

An estimator with a ``tta`` parameter predicts the mean of the class
probabilities of several views of each image:

* ``tta=True`` or ``"flip"``: the image and its left-right mirror image;
* ``tta="shift"``: each of those two shifted by up to one pixel in each
  direction (:data:`TTA_SHIFTS`, 18 views), the shifts the training
  augmentation (:class:`~skfashion.layers.RandomShiftAndFlip`) draws from;
* ``tta="auto"``: ``"flip"`` when the fitted network holds the flip
  augmentation layer, that is when it was trained on mirror images
  (:func:`tta_mode`), else no averaging.

:func:`average_over_views` takes the mean; shifted views are copies, so it
predicts chunks of rows (:func:`tta_row_chunks`) and makes each copy only when
it is reached. Everything here is NumPy except reading the fitted network.
"""

import numpy as np

from skfashion import _config

_config.load_tensorflow()  # skfashion's TensorFlow settings, before Keras imports it

import keras

from skfashion.layers import RandomShiftAndFlip

#: The string values of the ``tta`` parameter.
TTA_MODES = frozenset({"auto", "flip", "shift"})

#: The one-pixel shifts ``tta="shift"`` averages over, as (rows, columns):
#: no shift and the shifts by one pixel in each of the 8 directions.
TTA_SHIFTS = tuple((dy, dx) for dy in (0, -1, 1) for dx in (0, -1, 1))

#: ``tta="shift"`` predicts chunks of rows of about this many bytes, so its
#: shifted copies stay small and a ``np.memmap`` is read chunk by chunk.
SHIFT_TTA_CHUNK_BYTES = 64 * 2**20


def tta_mode(tta, model=None):
    """What a prediction averages over: None, ``"flip"`` or ``"shift"``.

    Parameters
    ----------
    tta : bool, None or {"auto", "flip", "shift"}
        An estimator's ``tta`` parameter (None: no averaging).
    model : keras.Model, default=None
        The fitted network, read for ``tta="auto"`` only: the mode is
        ``"flip"`` when it (or a model nested in it) holds a
        :class:`~skfashion.layers.RandomShiftAndFlip` layer, whatever the
        estimator's ``augment`` parameter says since the fit.

    Returns
    -------
    mode : {None, "flip", "shift"}

    Raises
    ------
    ValueError
        If ``tta`` is none of these values: ``tta`` acts at prediction time,
        where a typo set after ``fit`` must not pass for ``True``.

    Examples
    --------
    >>> from skfashion._tta import tta_mode
    >>> [tta_mode(tta) for tta in (False, True, "flip", "shift")]
    [None, 'flip', 'flip', 'shift']
    """
    if not (tta is None or isinstance(tta, (bool, np.bool_))
            or (isinstance(tta, str) and tta in TTA_MODES)):
        raise ValueError(
            f"tta must be a bool or one of {sorted(TTA_MODES)}. Received tta={tta!r}."
        )
    if tta == "auto":
        tta = _holds_layer(model, RandomShiftAndFlip)
    if tta in ("flip", "shift"):
        return tta
    return "flip" if tta else None


def _holds_layer(model, layer_class):
    """Whether ``model`` or a model nested in it has a layer of ``layer_class``."""
    return any(
        isinstance(layer, layer_class)
        or (isinstance(layer, keras.Model) and _holds_layer(layer, layer_class))
        for layer in model.layers
    )


def average_over_views(predict, X, mode):
    """The mean of ``predict(view)`` over the views of the images (:func:`tta_views`).

    Parameters
    ----------
    predict : callable
        Maps an array of images to an array of shape (n_images, n_outputs).
    X : ndarray of shape (n_samples, height, width, channels)
        The images (a ``np.memmap`` is read chunk by chunk).
    mode : {None, "flip", "shift"}
        The views (:func:`tta_mode`).

    Returns
    -------
    mean : ndarray of shape (n_samples, n_outputs)

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion._tta import average_over_views
    >>> x = np.array([[[[1], [3]]]], dtype="float32")  # one 1x2 image
    >>> average_over_views(lambda view: view[:, 0, :, 0], x, "flip").tolist()
    [[2.0, 2.0]]
    """
    parts = []
    for rows in tta_row_chunks(len(X), X[:1].nbytes, mode):
        total, n_views = 0.0, 0
        for view in tta_views(X[rows], mode):
            total = total + predict(view)
            n_views += 1
            del view  # before the next copy is made
        parts.append(total / n_views)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def shift_images(X, dy, dx):
    """A copy of the images shifted ``dy`` rows down and ``dx`` columns right.

    Pixels shifted in from outside the image are 0, as in the training
    augmentation (:class:`~skfashion.layers.RandomShiftAndFlip`).

    Parameters
    ----------
    X : ndarray of shape (n_samples, height, width, channels)
        The images.
    dy, dx : int
        Shift in pixels; negative values shift up and left.

    Returns
    -------
    shifted : ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion._tta import shift_images
    >>> x = np.arange(1, 10, dtype="uint8").reshape(1, 3, 3, 1)
    >>> shift_images(x, 1, -1)[0, :, :, 0].tolist()
    [[0, 0, 0], [2, 3, 0], [5, 6, 0]]
    """
    height, width = X.shape[1:3]
    shifted = np.zeros(X.shape, dtype=X.dtype)
    shifted[:, max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = X[
        :, max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)
    ]
    return shifted


def tta_row_chunks(n_samples, image_nbytes, mode):
    """Yield the slices of rows that test-time augmentation predicts at a time.

    All rows at once, except for ``mode="shift"``: slices of about
    :data:`SHIFT_TTA_CHUNK_BYTES` (at least one row), since each of its
    views is a copy of the rows.

    Examples
    --------
    >>> from skfashion._tta import tta_row_chunks
    >>> list(tta_row_chunks(10, 784, "flip"))
    [slice(0, 10, None)]
    >>> len(list(tta_row_chunks(200_000, 784, "shift")))
    3
    """
    step = n_samples if mode != "shift" else max(1, SHIFT_TTA_CHUNK_BYTES // image_nbytes)
    for start in range(0, n_samples, max(step, 1)):
        yield slice(start, min(start + step, n_samples))


def tta_views(X, mode):
    """Yield the views of the images that test-time augmentation averages over.

    Parameters
    ----------
    X : ndarray of shape (n_samples, height, width, channels)
        The images.
    mode : {None, "flip", "shift"}
        None: ``X`` alone. ``"flip"``: ``X`` and its left-right mirror image
        (a view, no copy). ``"shift"``: each of those two shifted by every
        :data:`TTA_SHIFTS` (18 views); each shifted view is a copy of the
        images, made when it is reached.

    Yields
    ------
    view : ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion._tta import tta_views
    >>> x = np.zeros((2, 28, 28, 1), dtype="uint8")
    >>> [len(list(tta_views(x, tta))) for tta in (None, "flip", "shift")]
    [1, 2, 18]
    """
    if mode not in (None, "flip", "shift"):
        raise ValueError(f"mode must be None, 'flip' or 'shift'. Received mode={mode!r}.")
    if mode is None:
        yield X
        return
    for image in (X, X[:, :, ::-1]):
        if mode == "flip":
            yield image
            continue
        for dy, dx in TTA_SHIFTS:
            yield image if dy == dx == 0 else shift_images(image, dy, dx)
