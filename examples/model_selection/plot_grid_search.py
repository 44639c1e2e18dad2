"""
=================================
Tuning a CNN with GridSearchCV
=================================

Search the learning rate and the width of :class:`~skfashion.CNNClassifier`
with scikit-learn's :class:`~sklearn.model_selection.GridSearchCV`: every
constructor argument is a hyper-parameter that ``set_params`` and ``clone``
understand, so no wrapper or glue code is needed.

To stay within its run time budget (under 40 seconds on 2 CPU cores) the example
searches a 2 x 2 grid with 2 folds on 700 images of the embedded sample, with
one-block networks trained for 6 epochs.
"""

# %%
# Data and estimator
# ------------------
# Small networks: ``filters`` has one entry per convolution block, here a single
# block of one convolution (``convs_per_block=1``), followed directly by the
# softmax output (``dense_units=()``). Each fit trains on all its images for a
# budget of 6 epochs (the default ``validation_split=0.0``: no early stopping),
# without random shifts and flips: ``augment="auto"`` keeps them for budgets of
# 15 epochs or more, where they pay.
from sklearn.model_selection import GridSearchCV, train_test_split

from skfashion import CNNClassifier, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
cnn = CNNClassifier(
    convs_per_block=1,
    dense_units=(),
    epochs=6,
    random_state=0,
)

# %%
# Search
# ------
# 4 candidates x 2 folds = 8 fits, plus one refit of the best candidate on all
# 700 training images. Two folds keep the example short; use more on real work. Keras-side arguments such as Adam's ``beta_1`` could be
# searched too, as ``optimizer__beta_1``.
param_grid = {"filters": [(8,), (16,)], "learning_rate": [1e-3, 3e-3]}
search = GridSearchCV(cnn, param_grid, cv=2)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best CV accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# Plot the grid
# -------------
# ``cv_results_`` is an ordinary dict of arrays, one entry per candidate.
import matplotlib.pyplot as plt
import numpy as np

scores = search.cv_results_["mean_test_score"].reshape(2, 2)  # filters x rates
fig, ax = plt.subplots(figsize=(4.5, 3.5), layout="constrained")
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks([0, 1], labels=[str(v) for v in param_grid["learning_rate"]])
ax.set_yticks([0, 1], labels=[str(v) for v in param_grid["filters"]])
ax.set_xlabel("learning_rate")
ax.set_ylabel("filters")
for (i, j), score in np.ndenumerate(scores):
    color = "black" if score > scores.mean() else "white"
    ax.text(j, i, f"{score:.3f}", ha="center", va="center", color=color)
fig.colorbar(image, ax=ax, label="mean CV accuracy")
ax.set_title("GridSearchCV of CNNClassifier")
plt.show()

# %%
# ``GridSearchCV`` expands the grid in sorted order of the parameter names, so
# ``filters`` varies slowest and the reshape above puts it on the rows. On the
# full data, each candidate takes minutes per fold on 2 CPU cores; the
# ``skfashion tune`` command runs such a search end to end.
