"""
=====================================
Comparing CNN, LeNet-5 and transfer
=====================================

Train the three kinds of skfashion classifiers on the same images and compare
their test accuracy and training time in a bar chart:

* :class:`~skfashion.CNNClassifier`, a residual network trained from
  scratch (here a small one: two blocks of one convolution each, 16 and 32
  filters);
* :class:`~skfashion.LeNet5Classifier`, the 1998 LeNet-5;
* :class:`~skfashion.TransferClassifier`, a dense head on the frozen
  EfficientNet-Lite0 backbone with its ImageNet weights.

This runs on the 1,000-image sample (700 images to train, 300 to test) with few
epochs, within a run time budget of 50 seconds on 2 CPU cores. Such a small
comparison says little about the models' full-data accuracy: the README's
results table gives the accuracies measured on the 60,000 training images, and
``skfashion compare`` reproduces them.
"""

# %%
# The same split for every model
# ------------------------------
from sklearn.model_selection import train_test_split

from skfashion import (
    CNNClassifier,
    LeNet5Classifier,
    TransferClassifier,
    load_fashion_mnist,
)

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# For 10 epochs the networks trained from scratch learn faster without random
# shifts and flips, which pay off only with longer budgets: ``augment="auto"``,
# the default, leaves them out below 15 epochs (the CNN) or 25 (LeNet-5). The
# two train on all their images; the transfer model's head holds out 10 % of
# them for early stopping.
small_cnn = {"filters": (16, 32), "convs_per_block": 1, "dense_units": 64}
models = {
    "CNN": CNNClassifier(**small_cnn, epochs=10, random_state=0),
    "LeNet-5": LeNet5Classifier(epochs=10, random_state=0),
    "transfer": TransferClassifier("efficientnet_lite0", epochs=20, random_state=0),
}

# %%
# Fit, time and score
# -------------------
from time import perf_counter

accuracy, seconds = {}, {}
for name, model in models.items():
    start = perf_counter()
    model.fit(X_train, y_train)
    seconds[name] = perf_counter() - start
    accuracy[name] = model.score(X_test, y_test)
    print(f"{name:>8}: accuracy {accuracy[name]:.3f}, fit in {seconds[name]:.1f} s")

# %%
# Plot
# ----
import matplotlib.pyplot as plt

fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(8, 3.5), layout="constrained")
names = list(models)
bars = ax_acc.bar(names, [accuracy[n] for n in names], color="tab:blue")
ax_acc.bar_label(bars, fmt="%.3f")
ax_acc.axhline(0.1, color="gray", linestyle="--", label="chance (10 classes)")
ax_acc.set_ylim(0, 1)
ax_acc.set_ylabel("test accuracy")
ax_acc.legend(loc="lower right")
bars = ax_time.bar(names, [seconds[n] for n in names], color="tab:orange")
ax_time.bar_label(bars, fmt="%.1f s")
ax_time.set_ylim(0, 1.15 * max(seconds.values()))
ax_time.set_ylabel("fit time (s)")
fig.suptitle("700 training images, 300 test images (SUBSET)")
plt.show()

# %%
# The transfer model's fit time includes building the backbone and extracting
# its features once; a second fit on the same images reads the features from
# the cache (see :ref:`sphx_glr_auto_examples_transfer_learning_plot_transfer_frozen.py`).
