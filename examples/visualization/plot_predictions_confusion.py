"""
=============================================
Prediction grid and confusion matrix
=============================================

Look at what a classifier gets right and wrong with the helpers of
:mod:`skfashion.plotting`: a grid of test images titled with the predicted and
true classes, and the confusion matrix.

A small :class:`~skfashion.CNNClassifier` trained on 700 images of the embedded
sample; run time budget under 30 seconds on 2 CPU cores.
"""

# %%
# Train a small CNN
# -----------------
from sklearn.model_selection import train_test_split

from skfashion import CNNClassifier, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
clf = CNNClassifier(
    filters=(16, 32),  # two small blocks,
    convs_per_block=1,  # of one convolution each
    dense_units=64,
    epochs=10,  # augment="auto": no random shifts and flips below 15 epochs
    random_state=0,
)
y_pred = clf.fit(X_train, y_train).predict(X_test)
print(f"test accuracy: {(y_pred == y_test).mean():.3f}")

# %%
# Prediction grid
# ---------------
# Titles read "predicted (true)": green when right, red when wrong.
from skfashion.plotting import plot_prediction_grid

fig = plot_prediction_grid(X_test, y_test, y_pred, n_images=20)

# %%
# Confusion matrix
# ----------------
# Rows are the true classes, columns the predicted ones; ``normalize="true"``
# shows the share of each true class, so the diagonal holds each class's recall.
from skfashion.plotting import plot_confusion_matrix

display = plot_confusion_matrix(y_test, y_pred, normalize="true")

# %%
# The largest cell off the diagonal is the most frequent mistake:
import numpy as np

from skfashion import CLASS_NAMES

mistakes = display.confusion_matrix.copy()
np.fill_diagonal(mistakes, 0)
true, predicted = np.unravel_index(mistakes.argmax(), mistakes.shape)
print(
    f"{mistakes[true, predicted]:.0%} of the {CLASS_NAMES[true]} images "
    f"were taken for {CLASS_NAMES[predicted]}"
)
