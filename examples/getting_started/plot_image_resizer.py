"""
======================================
Resizing images in a Pipeline
======================================

:class:`~skfashion.ImageResizer` is a stateless transformer that resizes images
and converts them between gray and RGB. Placed first in a
:class:`~sklearn.pipeline.Pipeline`, it lets any estimator consume images of the
size it needs, and its ``size`` becomes a hyper-parameter like any other.

Here it shrinks Fashion-MNIST images before a logistic regression, and a grid
search picks the size. Run time budget: under 20 seconds on 2 CPU cores.
"""

# %%
# What the transformer does
# -------------------------
# Pixel values are never rescaled: raw [0, 255] images stay in [0, 255] (the
# "area" method averages pixels, so the brightest values drop as images shrink),
# and each model scales them itself.
import matplotlib.pyplot as plt

from skfashion import ImageResizer, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
sizes = [28, 14, 10, 7]
fig, axes = plt.subplots(1, len(sizes), figsize=(8, 2.4), layout="constrained")
for ax, size in zip(axes, sizes):
    small = ImageResizer(size=size, channels=None, interpolation="area").fit_transform(X[:1])
    print(f"{size}x{size}: {small.shape}, values in [{small.min():.0f}, {small.max():.0f}]")
    ax.imshow(small[0, :, :, 0], cmap="gray_r", vmin=0, vmax=255)
    ax.set_title(f"{size}x{size}")
    ax.set_axis_off()
plt.show()

# %%
# A pipeline and a grid search over the size
# ------------------------------------------
# ``output="flat"`` returns one row per image, which is what a plain
# scikit-learn estimator expects. ``interpolation="area"`` averages pixels when
# shrinking.
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
pipe = make_pipeline(
    ImageResizer(channels=None, interpolation="area", output="flat"),
    StandardScaler(),
    LogisticRegression(C=0.1, max_iter=1000),
)
search = GridSearchCV(pipe, {"imageresizer__size": sizes}, cv=3)
search.fit(X_train, y_train)
print("best size:", search.best_params_["imageresizer__size"])
print(f"test accuracy: {search.score(X_test, y_test):.3f}")

# %%
# Plot the mean CV accuracy per size
# ----------------------------------
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.errorbar(
    sizes,
    search.cv_results_["mean_test_score"],
    yerr=search.cv_results_["std_test_score"],
    marker="o",
    capsize=3,
)
ax.set_xlabel("image side after ImageResizer (pixels)")
ax.set_ylabel("mean CV accuracy")
ax.set_title("Logistic regression on resized images")
plt.show()

# %%
# For a pretrained backbone, ``ImageResizer(size=32)`` (RGB by default) would
# bring the images to the smallest input those networks accept; skfashion's
# :class:`~skfashion.TransferClassifier` and :class:`~skfashion.BackboneFeatures`
# already resize inside their own graph.
