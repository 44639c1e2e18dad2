"""Model selection on a dask.distributed cluster, and TensorFlow's threads there.

One module-scoped ``LocalCluster`` of 2 worker processes, 1 dask thread and 1
TensorFlow thread each, serves every test here. The file costs about 60 CPU
seconds (two TensorFlow imports, ten tiny fits): 40 s on 2 idle cores, up to
100 s on 2 busy ones.

Why the scores must match exactly: a seeded fit gives bit-identical results in
any process with the same TensorFlow thread count and oneDNN setting, and
differs otherwise. The pytest process runs TensorFlow with one thread per core,
the workers with one, so the reference ``n_jobs=1`` search runs *inside* a
worker (same environment, thread count and oneDNN setting as every worker),
sequentially, while the search under test spreads its fits over both workers
through joblib's dask backend. Same folds, same seeds, same arithmetic: any
difference would be the cluster changing the results.
"""

import doctest
import os
import threading
from collections import Counter
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install 'skfashion[dask]')"
)

from skfashion import CNNClassifier, parallel  # noqa: E402
from tests.conftest import make_shapes  # noqa: E402

GRID = {"learning_rate": [1e-4, 3e-2]}


def _estimator():
    return CNNClassifier(
        filters=(4,), convs_per_block=1, dense_units=(), augment=False,
        epochs=2, batch_size=16, random_state=0,
    )


def _search(n_jobs=None):
    return GridSearchCV(_estimator(), GRID, cv=2, refit=False, n_jobs=n_jobs)


def _reference_scores(X, y):
    """Run in a worker: the plain sequential search, no joblib backend involved."""
    search = _search(n_jobs=1).fit(X, y)
    return search.cv_results_, search.best_params_


def _threads_of_first_tensor():
    """Threads TensorFlow starts in this process for its first tensor (Linux /proc).

    Its inter-op threads are named ``tf_Compute``; its intra-op (Eigen) threads
    get no name of their own. Python's threads are left out.
    """

    def native_threads():
        python = {thread.native_id for thread in threading.enumerate()}
        return Counter(
            (task / "comm").read_text().strip()
            for task in Path("/proc/self/task").iterdir()
            if int(task.name) not in python
        )

    import keras

    before = native_threads()
    keras.ops.convert_to_tensor([1.0]) + 1
    added = native_threads() - before
    return {
        "inter_op": added["tf_Compute"],
        "intra_op": sum(n for name, n in added.items() if not name.startswith("tf_")),
    }


@pytest.fixture(scope="module")
def data():
    return make_shapes(n_per_class=20)


@pytest.fixture(scope="module")
def client():
    """The cluster's client, and the threads each worker's TensorFlow started.

    The threads are counted at once, while no worker has made a tensor yet.
    """
    with parallel.local_cluster(2, n_threads=1, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            started = None
            if Path("/proc/self/task").is_dir():
                started = list(client.run(_threads_of_first_tensor).values())
            yield client, started


@pytest.fixture(scope="module")
def searched(client, data):
    """The search under dask and its reference, run in one worker with n_jobs=1."""
    client, _ = client
    X, y = data
    reference = client.submit(_reference_scores, X, y, pure=False).result()
    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_backend("dask"):
            search = _search().fit(X, y)
    return search, reference, {task["worker"] for task in tasks.data}


def test_grid_search_on_dask_matches_n_jobs_1(searched, client):
    search, (ref_results, ref_best), workers = searched
    assert workers == set(client[0].scheduler_info()["workers"])  # both workers fitted
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] != scores[1]  # best_params_ is a real choice, not a tie
    np.testing.assert_array_equal(scores, ref_results["mean_test_score"])
    for split in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(search.cv_results_[split], ref_results[split])
    assert search.best_params_ == ref_best


def test_cross_val_score_on_dask_matches_n_jobs_1(searched, data):
    _, (ref_results, _), _ = searched
    with joblib.parallel_config(backend="dask"):
        scores = cross_val_score(_estimator().set_params(**ref_results["params"][1]), *data, cv=2)
    expected = [ref_results[f"split{i}_test_score"][1] for i in (0, 1)]
    np.testing.assert_array_equal(scores, expected)


def test_workers_run_one_tensorflow_thread_each(client, searched):
    client, started = client
    reports = client.run(parallel.tensorflow_threads).values()
    assert len({report["pid"] for report in reports}) == 2
    for report in reports:
        assert report["TF_NUM_INTRAOP_THREADS"] == report["TF_NUM_INTEROP_THREADS"] == "1"
        assert report["intra_op"] == report["inter_op"] == 1
        assert report["TF_ENABLE_ONEDNN_OPTS"] == os.environ["TF_ENABLE_ONEDNN_OPTS"]
    if started is not None:  # the threads TensorFlow really started, not its settings
        assert started == [{"inter_op": 1, "intra_op": 1}] * 2


def test_conflicting_thread_settings_are_refused(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    with pytest.raises(RuntimeError, match=r"TF_NUM_INTRAOP_THREADS=3 .* 1 threads"):
        parallel.set_tensorflow_threads(1)
    # Once TensorFlow has made a tensor, its pools can no longer change.
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    import keras

    keras.ops.convert_to_tensor([1.0])
    with pytest.raises(RuntimeError, match="initialised before its threads were set"):
        parallel.set_tensorflow_threads(7)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_named(bad):
    with pytest.raises(ValueError, match=r"n_threads must be a positive int. Received"):
        parallel.worker_env(bad)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_worker_counts_are_named_before_a_cluster_starts(bad):
    # 0 workers used to start a cluster on which a search waits forever.
    with pytest.raises(ValueError, match=rf"n_workers must be a positive int. Received "
                                         rf"n_workers={bad!r}\."):
        parallel.local_cluster(bad)


def test_local_cluster_refuses_what_it_sets_itself():
    with pytest.raises(TypeError, match="threads_per_worker"):  # set by local_cluster
        parallel.local_cluster(1, threads_per_worker=4)


def test_doctests_run():
    result = doctest.testmod(parallel, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
