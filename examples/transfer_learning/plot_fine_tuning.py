"""
========================================
Fine-tuning the top of a backbone
========================================

With ``fine_tune_layers=N``, :class:`~skfashion.TransferClassifier` first trains
its head on the frozen backbone's features, then unfreezes the top ``N`` layers
of the backbone and trains the whole network for ``fine_tune_epochs`` more
epochs at the small ``fine_tune_learning_rate``. BatchNorm layers stay frozen
and in inference mode throughout, so their ImageNet statistics are kept.

Fine-tuning runs the backbone forward and backward for every image and epoch;
on 2 CPU cores that is affordable only for small data. This example uses 700
images of the embedded sample, 3 fine-tuning epochs and 32x32 inputs instead
of the default 96x96 (which took about a minute here): run time budget under
50 seconds on 2 CPU cores.
"""

# %%
# Frozen, then fine-tuned
# -----------------------
# The last 12 layers of EfficientNet-Lite0 are its final inverted-residual block
# (``block7a``) and its 1x1 head convolution (``top_conv``).
from sklearn.model_selection import train_test_split

from skfashion import TransferClassifier, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

clf = TransferClassifier(
    "efficientnet_lite0",
    input_size=32,
    epochs=20,
    fine_tune_layers=12,
    fine_tune_epochs=3,
    fine_tune_learning_rate=1e-4,
    random_state=0,
)
clf.fit(X_train, y_train)
# Early stopping (patience=5) cannot end 3 fine-tuning epochs early, so the
# last 3 epochs of the history are the fine-tuning ones.
n_head_epochs = len(clf.history_["loss"]) - clf.fine_tune_epochs
print(f"head epochs: {n_head_epochs}, fine-tuning epochs: {clf.fine_tune_epochs}")
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# What was trained
# ----------------
# After fine-tuning, ``model_`` is the whole network, from raw images to class
# probabilities. Its trainable weights are those of the head and of the
# unfrozen layers, BatchNorm excluded.
backbone = clf.model_.get_layer("efficientnet_lite0_features").get_layer("efficientnet_lite0")
trainable = [layer.name for layer in backbone.layers if layer.trainable_weights]
print("trainable backbone layers:", trainable)

# %%
# Learning curves
# ---------------
# ``history_`` holds the head's epochs followed by the fine-tuning epochs.
from skfashion.plotting import plot_learning_curves

fig = plot_learning_curves(clf, title="Head training, then fine-tuning")
for ax in fig.axes:
    ax.axvline(n_head_epochs + 0.5, color="gray", linestyle="--")
    ax.text(n_head_epochs + 0.7, ax.get_ylim()[1], "fine-tuning", va="top", color="gray")

# %%
# On 700 images and 3 epochs the effect of fine-tuning is small and noisy; it
# is meant for large data and, preferably, a GPU.
