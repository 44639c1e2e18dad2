"""
==========================================
Grid search on a dask.distributed cluster
==========================================

Run :class:`~sklearn.model_selection.GridSearchCV` over
:class:`~skfashion.LeNet5Classifier` on a ``dask.distributed`` cluster: each fit
becomes a task on a worker process, and each worker trains one model at a time
on a TensorFlow thread pool sized to the cores it owns. Here the cluster is two
local worker processes of one thread each; the same code runs on a real cluster
by connecting the client to its scheduler instead (see the user guide's page on
clusters).

Needs ``pip install "skfashion[dask]"``. The data is the 1,000-image sample
shipped with skfashion and each fit trains for 5 epochs, without augmentation.
Run time budget: about a minute of CPU time in all (three TensorFlow imports and
six small fits): about 30 seconds on 2 idle CPU cores.
"""

# %%
# The search
# ----------
# Three learning rates, two folds each: six fits of a LeNet-5 on 500 images.
# ``refit=False`` skips the final fit on all the data, which would run here in the
# client process rather than on the cluster. Nothing here is specific to dask.
from sklearn.model_selection import GridSearchCV

from skfashion import LeNet5Classifier, load_fashion_mnist

X, y = load_fashion_mnist(subset="sample", return_X_y=True)
search = GridSearchCV(
    LeNet5Classifier(epochs=5, random_state=0),
    {"learning_rate": [3e-4, 1e-3, 3e-3]},
    cv=2,
    refit=False,
)

# %%
# Fit on a local cluster
# ----------------------
# :func:`skfashion.parallel.local_cluster` starts worker processes whose
# TensorFlow uses ``n_threads`` threads each, set through the environment before
# the worker makes its first tensor and checked on every worker as it starts:
# two workers of one thread on two cores, no oversubscription. Inside
# ``joblib.parallel_config(backend="dask")`` scikit-learn sends every fit to the
# cluster.
#
# Worker processes import this script again when they start, so a script must
# start the cluster under ``if __name__ == "__main__":`` (this page is run as
# ``__main__``).
import time

import joblib
from distributed import Client

from skfashion.parallel import local_cluster

if __name__ == "__main__":
    start = time.perf_counter()
    with local_cluster(n_workers=2, n_threads=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            print(client)
            with joblib.parallel_config(backend="dask"):
                search.fit(X, y)
    print(f"search done in {time.perf_counter() - start:.0f} s")
    print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# Mean test score per grid point
# ------------------------------
# A seeded fit gives the same result on a worker as in any other process with
# the same TensorFlow thread count and oneDNN setting, so these scores do not
# depend on which worker ran which fit.
import matplotlib.pyplot as plt

if __name__ == "__main__":
    results = search.cv_results_
    labels = [f"{p['learning_rate']:g}" for p in results["params"]]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(
        labels,
        results["mean_test_score"],
        yerr=results["std_test_score"],
        color="tab:blue",
        capsize=4,
    )
    ax.set_ylim(0, 1)
    ax.set_xlabel("learning_rate")
    ax.set_ylabel("mean accuracy over 2 folds")
    ax.set_title("LeNet-5 grid search on a dask cluster")
    fig.tight_layout()

# %%
# On a real cluster
# -----------------
# Start the workers with one dask thread each and the environment of
# :func:`skfashion.parallel.worker_env`, then connect the client to the
# scheduler and register the check::
#
#     from skfashion.parallel import TensorFlowThreads
#
#     client = Client("tcp://scheduler:8786")
#     client.register_plugin(TensorFlowThreads(n_threads=1))
#     with joblib.parallel_config(backend="dask"):
#         search.fit(X, y)
