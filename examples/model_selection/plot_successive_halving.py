"""
==============================================
Successive halving over the training budget
==============================================

Search :class:`~skfashion.LeNet5Classifier`'s learning rate and weight decay
with scikit-learn's :class:`~sklearn.model_selection.HalvingGridSearchCV`, using
the number of training epochs as the resource: every candidate first trains
for a short budget, and only the best half go on to twice as many epochs.

This works because every fit of a skfashion classifier is one whole training
budget: the learning rate warms up and then decays to zero over the steps of
that fit, whatever ``epochs`` is. A 2-epoch fit is a finished short training,
not the first 2 epochs of a long one, so short-budget scores rank candidates
fairly.

To stay within its run time budget (50 seconds measured on 2 CPU cores) the
example searches 4 candidates with 2 folds on 2,000 images of the Fashion-MNIST
training set, from 2 up to 8 epochs.
"""

# %%
# Data and search
# ---------------
# ``HalvingGridSearchCV`` is still experimental in scikit-learn and has to be
# enabled by an import. With ``resource="epochs"``, ``max_resources`` must be
# given: the largest number of epochs any candidate gets. ``factor=2`` keeps the
# best half of the candidates at each round and doubles their epochs.
import numpy as np
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, train_test_split

from skfashion import LeNet5Classifier, load_fashion_mnist

X, y = load_fashion_mnist("train", return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=2_000, test_size=2_000, stratify=y, random_state=0
)
param_grid = {"learning_rate": [1e-3, 1e-2], "weight_decay": [0.0, 5e-4]}
search = HalvingGridSearchCV(
    LeNet5Classifier(random_state=0),
    param_grid,
    resource="epochs",
    min_resources=2,
    max_resources=8,
    factor=2,
    cv=2,
    random_state=0,
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# Rounds
# ------
# Each round trains the surviving candidates for ``n_resources_`` epochs.
for iteration, (n_candidates, epochs) in enumerate(
    zip(search.n_candidates_, search.n_resources_)
):
    print(f"round {iteration}: {n_candidates} candidates x {epochs} epochs")

# %%
# Plot the scores per round
# -------------------------
# One line per candidate: its mean cross-validated accuracy at each budget it
# reached. Candidates that stop early were dropped at that round.
import matplotlib.pyplot as plt

results = search.cv_results_
fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
for params in results["params"][: search.n_candidates_[0]]:  # round 0: all of them
    rows = [i for i, p in enumerate(results["params"]) if p == params]
    epochs = np.asarray(results["n_resources"])[rows]
    scores = np.asarray(results["mean_test_score"])[rows]
    label = f"lr={params['learning_rate']:g}, wd={params['weight_decay']:g}"
    ax.plot(epochs, scores, marker="o", label=label)
ax.set_xscale("log", base=2)
ax.set_xlabel("epochs (resource)")
ax.set_ylabel("mean CV accuracy")
ax.set_title("HalvingGridSearchCV of LeNet5Classifier")
ax.legend(fontsize="small")
plt.show()
