"""
===========
Quick start
===========

Train :class:`~skfashion.LeNet5Classifier` on real Fashion-MNIST images, score
it on held-out images and look at its learning curves, as with any scikit-learn
classifier.

The data is the 1,000-image sample that ships inside skfashion (100 test images
of each class), so the example needs no data files and no network. Run time
budget: under 20 seconds on 2 CPU cores.
"""

# %%
# Load the embedded sample
# ------------------------
# :func:`~skfashion.load_fashion_mnist` returns raw ``uint8`` pixels of shape
# ``(n_samples, 28, 28)``. Nothing needs to be scaled: every skfashion model
# scales the pixels inside its own network.
from sklearn.model_selection import train_test_split

from skfashion import CLASS_NAMES, LeNet5Classifier, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
print(X.shape, X.dtype, X.min(), X.max())
print("classes:", ", ".join(CLASS_NAMES))

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Fit and score
# -------------
# The estimator follows scikit-learn's API: ``fit``, ``predict``,
# ``predict_proba`` and ``score``. The default budget is 15 epochs, with a
# learning-rate schedule over them and no validation split: every image trains.
clf = LeNet5Classifier(random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
print("probabilities of the first test image:", clf.predict_proba(X_test[:1]).round(2))

# %%
# Learning curves
# ---------------
# ``history_`` keeps Keras' per-epoch metrics on the training images; with
# ``validation_split=0.1`` it would also hold them on a stratified 10 % held
# out, and training would stop early when those stop improving.
from skfashion.plotting import plot_learning_curves

fig = plot_learning_curves(clf, title="LeNet-5 on 700 sample images")

# %%
# With 700 training images the model is far from its full-data accuracy; the
# README's results table gives the figures measured on the 60,000 training
# images.
