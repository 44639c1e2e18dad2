"""Figures of image classifiers: predictions, confusion matrices, training curves, CV scores.

Each function draws on a Matplotlib ``ax`` (or a new figure when ``ax`` is
``None``) and returns what it drew on, in the style of scikit-learn's ``plot``
helpers, so the ``skfashion`` command, the gallery and user code share them.
Matplotlib is an optional dependency: ``pip install "skfashion[plot]"``.
"""

import numpy as np

from skfashion.datasets import CLASS_NAMES

__all__ = [
    "plot_confusion_matrix",
    "plot_cv_scores",
    "plot_learning_curves",
    "plot_prediction_grid",
]

#: Colours of right and wrong predictions in :func:`plot_prediction_grid`.
RIGHT_COLOR, WRONG_COLOR = "tab:green", "tab:red"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skfashion's plotting functions need Matplotlib: "
            'pip install "skfashion[plot]" (or pip install matplotlib).'
        ) from exc
    return plt


def _label_names(labels, class_names):
    """Names of integer labels through ``class_names``; other labels as they are."""
    labels = np.asarray(labels)
    if class_names is None or labels.dtype.kind not in "iu":
        return [str(label) for label in labels]
    if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise ValueError(
            f"Labels range over [{labels.min()}, {labels.max()}] but class_names has "
            f"{len(class_names)} entries; pass class_names=None to show the labels."
        )
    return [str(class_names[label]) for label in labels]


def plot_prediction_grid(
    X, y_true, y_pred, *, n_images=15, n_cols=5, class_names=CLASS_NAMES, fig=None
):
    """Show images with their predicted and true labels, marked right or wrong.

    Titles read ``predicted (true)``: green where the prediction is right, red
    where it is wrong, as in the grid of the original Fashion-MNIST write-up.

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width[, channels]) or (n_samples, n_pixels)
        Images; flat rows must be square gray images. Raw pixels in [0, 255]
        or values in [0, 1]; float RGB images above 1 are divided by 255.
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels, e.g. ``clf.predict(X)``.
    n_images : int, default=15
        Number of images shown (the first ``n_images``).
    n_cols : int, default=5
        Images per row.
    class_names : sequence of str or None, default=CLASS_NAMES
        Names of integer labels; ``None`` shows the labels themselves.
    fig : matplotlib.figure.Figure or None, default=None
        Figure to draw on; a new one when ``None``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, one axes per image.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion import load_fashion_mnist
    >>> from skfashion.plotting import plot_prediction_grid
    >>> X, y = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> fig = plot_prediction_grid(X, y, y[::-1])
    >>> len(fig.axes)
    15
    """
    X = np.asarray(X)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if not (len(X) == len(y_true) == len(y_pred)):
        raise ValueError(
            f"X, y_true and y_pred must have the same length; got {len(X)}, "
            f"{len(y_true)} and {len(y_pred)}."
        )
    for name, value in (("n_images", n_images), ("n_cols", n_cols)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {name}={value!r}.")
    n = min(n_images, len(X))
    if n == 0:
        raise ValueError("X is empty: there is no image to show.")
    images = X[:n]
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(
                f"Flat rows of {images.shape[1]} pixels are not square images; "
                "pass X as (n_samples, height, width[, channels])."
            )
        images = images.reshape(n, side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 4 and images.dtype.kind == "f" and images.max() > 1:
        # Matplotlib reads float RGB in [0, 1] and clips the rest (to white):
        # raw pixels as floats (ImageResizer's output) are scaled.
        images = images / 255.0
    true_names = _label_names(y_true[:n], class_names)
    pred_names = _label_names(y_pred[:n], class_names)

    plt = _pyplot()
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    if fig is None:
        fig = plt.figure(figsize=(2.0 * n_cols, 2.3 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= n:
            ax.remove()
            continue
        ax.imshow(images[i], cmap="gray_r" if images.ndim == 3 else None)
        right = y_true[i] == y_pred[i]
        ax.set_title(
            f"{pred_names[i]}\n({true_names[i]})",
            color=RIGHT_COLOR if right else WRONG_COLOR,
            fontsize=9,
        )
    return fig


def plot_confusion_matrix(
    y_true, y_pred, *, class_names=CLASS_NAMES, normalize=None, ax=None, title=None
):
    """Plot the confusion matrix of predictions with scikit-learn's display.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    class_names : sequence of str or None, default=CLASS_NAMES
        Names of integer labels ``0 .. n - 1``; ``None`` shows the labels.
    normalize : {"true", "pred", "all"} or None, default=None
        As in :func:`sklearn.metrics.confusion_matrix`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; a new figure when ``None``.
    title : str or None, default=None
        Title of the axes.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
        Holds ``confusion_matrix``, ``ax_`` and ``figure_``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion.plotting import plot_confusion_matrix
    >>> display = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    >>> display.confusion_matrix.tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    from sklearn.metrics import ConfusionMatrixDisplay
    from sklearn.utils.multiclass import unique_labels

    plt = _pyplot()
    labels = unique_labels(y_true, y_pred)
    if ax is None:
        size = max(4.0, 0.6 * len(labels) + 2.0)
        _, ax = plt.subplots(figsize=(size + 1, size), layout="constrained")
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=_label_names(labels, class_names),
        normalize=normalize,
        values_format=".2f" if normalize else "d",
        xticks_rotation=45,
        colorbar=False,
        ax=ax,
    )
    if title is not None:
        ax.set_title(title)
    return display


def plot_learning_curves(history, *, title=None, fig=None):
    """Plot loss and accuracy per epoch, training and validation.

    Parameters
    ----------
    history : dict of list or fitted classifier
        A Keras history dict (``{"loss": [...], "val_loss": [...], ...}``) or a
        fitted skfashion classifier, whose ``history_`` is used.
    title : str or None, default=None
        Title of the figure.
    fig : matplotlib.figure.Figure or None, default=None
        Figure to draw on; a new one when ``None``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two axes: loss, then accuracy.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion.plotting import plot_learning_curves
    >>> fig = plot_learning_curves({"loss": [1.0, 0.5], "accuracy": [0.6, 0.8]})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    if not isinstance(history, dict):
        if not hasattr(history, "history_"):
            raise TypeError(
                "history must be a dict of per-epoch metrics or a fitted skfashion "
                f"classifier with a history_ attribute; got {type(history).__name__}."
            )
        history = history.history_
    metrics = [m for m in ("loss", "accuracy") if len(history.get(m, ()))]
    if not metrics:
        raise ValueError(
            "history has no 'loss' or 'accuracy' entries; got keys "
            f"{sorted(history)}."
        )
    plt = _pyplot()
    if fig is None:
        fig = plt.figure(figsize=(5.0 * len(metrics), 3.5), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False).ravel()
    for ax, metric in zip(axes, metrics):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            values = history.get(key)
            if values is not None and len(values):
                ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_cv_scores(scores, *, ylabel="accuracy", title=None, ax=None):
    """Plot one bar per cross-validation fold, with the mean and ± one std.

    Parameters
    ----------
    scores : array-like of shape (n_folds,)
        Score of each fold, e.g. from :func:`sklearn.model_selection.cross_val_score`;
        finite numbers (a fold that failed, NaN with ``error_score=np.nan``,
        is refused). The y axis starts near the lowest score for scores in
        [0, 1], and fits the scores otherwise (``scoring="neg_log_loss"``).
    ylabel : str, default="accuracy"
        Label of the y axis: the name of the score.
    title : str or None, default=None
        Title of the axes.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfashion.plotting import plot_cv_scores
    >>> ax = plot_cv_scores([0.88, 0.9, 0.86])
    >>> len(ax.containers[0])  # one bar per fold
    3
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(
            f"scores must be a non-empty 1-D array of fold scores; got shape {scores.shape}."
        )
    if not np.isfinite(scores).all():
        failed = (np.flatnonzero(~np.isfinite(scores)) + 1).tolist()
        raise ValueError(
            f"scores must be finite; the scores of folds {failed} are not (a fold "
            "whose fit failed scores NaN with error_score=np.nan). Received "
            f"scores={scores.tolist()}."
        )
    plt = _pyplot()
    if ax is None:
        width = max(4.0, 0.5 * scores.size + 2.0)
        _, ax = plt.subplots(figsize=(width, 3.5), layout="constrained")
    folds = np.arange(1, scores.size + 1)
    mean, std = scores.mean(), scores.std()
    ax.bar(folds, scores, color="tab:blue", alpha=0.8)
    ax.axhline(mean, color="black", label=f"mean {mean:.4f} ± {std:.4f}")
    ax.axhspan(mean - std, mean + std, color="gray", alpha=0.2)
    margin = 2 * max(std, 0.005)
    if scores.min() >= 0 and scores.max() <= 1:
        # Bars from near the lowest score: folds differ by fractions of a point.
        ax.set_ylim(max(0.0, scores.min() - margin), scores.max() + margin)
    ax.set_xticks(folds)
    ax.set_xlabel("fold")
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right")
    if title is not None:
        ax.set_title(title)
    return ax
