"""Plotting helpers: what they draw, and clear errors on bad input."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="plotting needs the [plot] extra")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skfashion.datasets import CLASS_NAMES  # noqa: E402
from skfashion.plotting import (  # noqa: E402
    RIGHT_COLOR,
    WRONG_COLOR,
    plot_confusion_matrix,
    plot_cv_scores,
    plot_learning_curves,
    plot_prediction_grid,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_prediction_grid_marks_right_and_wrong(fashion_sample):
    X, y = fashion_sample
    y_pred = y.copy()
    y_pred[[1, 4]] = (y[[1, 4]] + 1) % 10
    fig = plot_prediction_grid(X, y, y_pred, n_images=15, n_cols=5)
    assert len(fig.axes) == 15
    colors = [ax.title.get_color() for ax in fig.axes]
    wrong = [i for i, c in enumerate(colors) if matplotlib.colors.same_color(c, WRONG_COLOR)]
    assert wrong == [1, 4]
    assert all(
        matplotlib.colors.same_color(c, RIGHT_COLOR)
        for i, c in enumerate(colors)
        if i not in wrong
    )
    title = fig.axes[1].get_title()
    assert title == f"{CLASS_NAMES[y_pred[1]]}\n({CLASS_NAMES[y[1]]})"
    # The image shown is the one given, not a copy of another.
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), X[3])


def test_prediction_grid_flat_rows_and_fewer_images():
    X = np.arange(4 * 16).reshape(4, 16)
    fig = plot_prediction_grid(X, [0, 1, 2, 3], [0, 1, 2, 0], n_images=15, class_names=None)
    assert len(fig.axes) == 4
    assert fig.axes[0].images[0].get_array().shape == (4, 4)
    assert fig.axes[3].get_title() == "0\n(3)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X": np.zeros((3, 15)), "y_true": [0] * 3, "y_pred": [0] * 3}, "not square"),
        ({"X": np.zeros((3, 4, 4)), "y_true": [0] * 2, "y_pred": [0] * 3}, "same length"),
        ({"X": np.zeros((3, 4, 4)), "y_true": [0] * 3, "y_pred": [0] * 3, "n_images": 0},
         "n_images"),
        ({"X": np.zeros((3, 4, 4)), "y_true": [0] * 3, "y_pred": [0] * 3, "n_images": True},
         "n_images=True"),
        ({"X": np.zeros((3, 4, 4)), "y_true": [0] * 3, "y_pred": [0] * 3, "n_cols": False},
         "n_cols=False"),
        ({"X": np.zeros((1, 4, 4)), "y_true": [12], "y_pred": [0]}, "class_names"),
    ],
)
def test_prediction_grid_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_prediction_grid(**kwargs)


def test_prediction_grid_shows_float_rgb_pixels_in_0_255_unclipped():
    # ImageResizer's output: float32 RGB in [0, 255], which Matplotlib would
    # clip to [0, 1], nearly white.
    X = np.full((2, 4, 4, 3), 178.0, dtype=np.float32)
    fig = plot_prediction_grid(X, [0, 1], [0, 1], class_names=None)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), 178.0 / 255)


def test_confusion_matrix_counts_and_names():
    display = plot_confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], title="m")
    np.testing.assert_array_equal(
        display.confusion_matrix, [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    )
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == list(CLASS_NAMES[:3])
    assert display.ax_.get_title() == "m"
    normalized = plot_confusion_matrix([0, 0, 1], [0, 1, 1], normalize="true")
    np.testing.assert_allclose(normalized.confusion_matrix, [[0.5, 0.5], [0.0, 1.0]])


def test_learning_curves_from_history_and_estimator():
    history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, 0.6],
               "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]}
    fig = plot_learning_curves(history, title="t")
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    np.testing.assert_array_equal(acc_ax.lines[1].get_ydata(), history["val_accuracy"])

    class Fitted:
        history_ = {"loss": [2.0, 1.0]}

    fig = plot_learning_curves(Fitted())
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "loss"
    with pytest.raises(TypeError, match="history_"):
        plot_learning_curves([1.0, 0.5])
    with pytest.raises(ValueError, match="no 'loss' or 'accuracy'"):
        plot_learning_curves({"lr": [0.1]})


def test_cv_scores_bars_and_mean():
    scores = [0.8, 0.9, 0.85, 0.95]
    ax = plot_cv_scores(scores, title="cv")
    heights = [bar.get_height() for bar in ax.containers[0]]
    np.testing.assert_allclose(heights, scores)
    assert "0.8750" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="1-D"):
        plot_cv_scores([[0.1, 0.2]])
    with pytest.raises(ValueError, match="non-empty"):
        plot_cv_scores([])
    # A failed fold (error_score=np.nan) is named, not an axis-limit error.
    with pytest.raises(ValueError, match=r"the scores of folds \[2\] are not"):
        plot_cv_scores([0.8, np.nan, 0.9])


def test_cv_scores_of_another_scale_are_all_shown():
    scores = [-0.45, -0.40, -0.50]  # scoring="neg_log_loss"
    ax = plot_cv_scores(scores, ylabel="neg_log_loss")
    low, high = ax.get_ylim()
    assert low <= min(scores) and max(scores) <= high
    assert ax.get_ylabel() == "neg_log_loss"
