"""
======================================
10-fold cross-validation of LeNet-5
======================================

Estimate the accuracy of :class:`~skfashion.LeNet5Classifier` with 10-fold
cross-validation, exactly as for any scikit-learn classifier, and plot the
score of each fold.

The data is the 1,000-image sample shipped with skfashion, and each fold trains
a network for 5 epochs only. Run time budget: under 40 seconds on 2 CPU cores.
"""

# %%
# The folds are stratified
# ------------------------
# For a classifier, ``cross_val_score(clf, X, y, cv=10)`` splits the data with
# :class:`~sklearn.model_selection.StratifiedKFold`, so every fold holds the same
# share of each class. scikeras' own wrapper loses its classifier tags on
# scikit-learn >= 1.7, which silently turns that into an unstratified
# :class:`~sklearn.model_selection.KFold`; skfashion's classifiers declare their
# tags themselves.
from sklearn.base import is_classifier
from sklearn.model_selection import check_cv

from skfashion import LeNet5Classifier, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
clf = LeNet5Classifier(epochs=5, random_state=0)
print("is_classifier:", is_classifier(clf))
print("cv=10 means:", check_cv(10, y, classifier=is_classifier(clf)))

# %%
# Cross-validate
# --------------
# Each fold clones the estimator, trains a new network on 900 images and scores
# it on the 100 left-out ones. Each fit trains on all 900 for its budget of 5
# epochs (the default ``validation_split=0.0``: no early stopping), and without
# random shifts and flips, which ``augment="auto"`` keeps for longer budgets.
from sklearn.model_selection import cross_val_score

scores = cross_val_score(clf, X, y, cv=10)
print(f"accuracy: {scores.mean():.3f} ± {scores.std():.3f}")

# %%
# Plot the fold scores
# --------------------
from skfashion.plotting import plot_cv_scores

ax = plot_cv_scores(scores, title="LeNet-5, 10-fold CV on the 1,000-image sample")

# %%
# ``cross_val_score(..., n_jobs=2)`` runs the fits in two processes, each of
# which imports TensorFlow and builds its own models (see :ref:`parallel`). The
# ``skfashion cv`` command runs a stratified k-fold cross-validation from the
# command line (:ref:`cli`).
