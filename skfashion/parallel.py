"""Fit skfashion estimators on a dask.distributed cluster, one thread pool per worker.

Inside ``joblib.parallel_config(backend="dask")`` each fit of ``GridSearchCV`` or
``cross_val_score`` is a task on a dask worker process, which should run one fit
at a time on TensorFlow pools sized to its cores. TensorFlow sizes them at its
first tensor, from ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS``;
``tf.config.threading`` in the client never reaches the workers. Needs the
``dask`` extra; the user guide's page on clusters covers real clusters and GPUs.
"""

import numbers
import os

try:
    from distributed import WorkerPlugin
except ImportError:  # the dask extra is not installed: fail when used, not on import
    WorkerPlugin = object

from skfashion import _config

#: The environment variables from which TensorFlow sizes its two thread pools.
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int. Received {name}={value!r}.")
    return int(value)


def _check_n_threads(n_threads):
    return _check_positive_int("n_threads", n_threads)


def worker_env(n_threads=1):
    """Environment variables that give a worker process ``n_threads`` TensorFlow threads.

    Both pools get ``n_threads`` threads, as TensorFlow gives them on a machine
    with that many cores. ``TF_ENABLE_ONEDNN_OPTS`` and ``TF_CPP_MIN_LOG_LEVEL``
    are copied from this process, so workers compute as the client does.

    Parameters
    ----------
    n_threads : int, default=1
        Cores each worker process owns.

    Returns
    -------
    env : dict of str to str
        For ``LocalCluster(env=...)``, or to export before ``dask worker``.

    Examples
    --------
    >>> from skfashion.parallel import worker_env
    >>> env = worker_env(2)
    >>> env["TF_NUM_INTRAOP_THREADS"], env["TF_NUM_INTEROP_THREADS"], env["TF_ENABLE_ONEDNN_OPTS"]
    ('2', '2', '1')
    """
    n_threads = str(_check_n_threads(n_threads))
    return {
        **dict.fromkeys(THREAD_VARIABLES, n_threads),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1"),
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
    }


def tensorflow_threads():
    """The thread settings of TensorFlow in this process.

    Returns
    -------
    report : dict
        ``intra_op`` and ``inter_op``, the configured pool sizes (0: left to the
        environment variables, else one thread per core); ``TF_NUM_INTRAOP_THREADS``,
        ``TF_NUM_INTEROP_THREADS``, ``TF_ENABLE_ONEDNN_OPTS`` (``None`` if unset); ``pid``.

    Examples
    --------
    >>> from skfashion.parallel import tensorflow_threads
    >>> tensorflow_threads()["TF_ENABLE_ONEDNN_OPTS"]
    '1'
    """
    threading = _config.load_tensorflow().config.threading
    return {
        "intra_op": threading.get_intra_op_parallelism_threads(),
        "inter_op": threading.get_inter_op_parallelism_threads(),
        **{name: os.environ.get(name) for name in (*THREAD_VARIABLES, "TF_ENABLE_ONEDNN_OPTS")},
        "pid": os.getpid(),
    }


def set_tensorflow_threads(n_threads):
    """Give TensorFlow in this process ``n_threads`` threads, or say why it cannot.

    Works until the process makes its first tensor; after that it only accepts
    pools that already have ``n_threads`` threads. Raises ``RuntimeError``, naming
    the setting, if an environment variable asks for another number or the pools
    are fixed with another size; returns :func:`tensorflow_threads` otherwise.

    Parameters
    ----------
    n_threads : int
        Threads of each of TensorFlow's two pools.

    Returns
    -------
    threads : dict
        :func:`tensorflow_threads` after the change: the two pools' sizes,
        the thread variables of the environment and the process id.

    Raises
    ------
    RuntimeError
        If the environment or TensorFlow's fixed pools ask for another number.

    Examples
    --------
    >>> from skfashion.parallel import set_tensorflow_threads
    >>> set_tensorflow_threads(2)["intra_op"]  # doctest: +SKIP
    2
    """
    n_threads = _check_n_threads(n_threads)
    threading = _config.load_tensorflow().config.threading
    fix = f"Start the worker with the environment of skfashion.parallel.worker_env({n_threads})."
    for name in THREAD_VARIABLES:
        if os.environ.get(name, str(n_threads)) != str(n_threads):
            raise RuntimeError(
                f"{name}={os.environ[name]} in process {os.getpid()}, but "
                f"{n_threads} threads were asked for. {fix}"
            )
    try:
        threading.set_intra_op_parallelism_threads(n_threads)
        threading.set_inter_op_parallelism_threads(n_threads)
    except RuntimeError:  # TensorFlow has made a tensor: its pools are fixed
        report = tensorflow_threads()
        for pool, name in zip(("intra_op", "inter_op"), THREAD_VARIABLES):
            if report[pool] != n_threads and (report[pool] or report[name] is None):
                raise RuntimeError(
                    f"TensorFlow in process {os.getpid()} was initialised before its "
                    f"threads were set and cannot switch to {n_threads} threads "
                    f"({pool}={report[pool]}, 0 meaning one per core). {fix}"
                ) from None
    return tensorflow_threads()


class TensorFlowThreads(WorkerPlugin):
    """Dask worker plugin: each worker runs TensorFlow with ``n_threads`` threads.

    :meth:`setup` calls :func:`set_tensorflow_threads` on every worker that joins,
    so a worker set up for another thread count fails instead of oversubscribing.

    Parameters
    ----------
    n_threads : int, default=1
        Threads of each of TensorFlow's pools on each worker.

    Examples
    --------
    >>> from skfashion.parallel import TensorFlowThreads
    >>> client.register_plugin(TensorFlowThreads(n_threads=2))  # doctest: +SKIP
    """

    name = "skfashion-tensorflow-threads"

    def __init__(self, n_threads=1):
        if WorkerPlugin is object:
            raise ImportError("TensorFlowThreads needs dask: pip install 'skfashion[dask]'.")
        self.n_threads = _check_n_threads(n_threads)

    def setup(self, worker):
        set_tensorflow_threads(self.n_threads)


def local_cluster(n_workers=None, *, n_threads=1, **kwargs):
    """Start a ``distributed.LocalCluster`` of worker processes that fit models.

    Each worker process has one dask thread (one fit at a time) and ``n_threads``
    TensorFlow threads (:func:`worker_env`), checked by :class:`TensorFlowThreads`.

    Parameters
    ----------
    n_workers : int or None, default=None
        Worker processes, at least 1; ``None`` gives one per ``n_threads``
        available cores.
    n_threads : int, default=1
        TensorFlow threads of each worker.
    **kwargs : dict
        Passed to ``LocalCluster`` (``dashboard_address``, ``memory_limit``, ...);
        ``env`` is added to :func:`worker_env`. ``threads_per_worker``,
        ``processes`` and ``plugins`` are set here and cannot be passed.

    Returns
    -------
    cluster : distributed.LocalCluster
        Connect with ``distributed.Client(cluster)``; close both when done.

    Notes
    -----
    Each worker process starts by importing the ``__main__`` module again: in a
    script, start the cluster under ``if __name__ == "__main__":``.

    Examples
    --------
    >>> import joblib
    >>> from distributed import Client
    >>> from skfashion.parallel import local_cluster
    >>> with local_cluster(2) as cluster, Client(cluster):  # doctest: +SKIP
    ...     with joblib.parallel_config(backend="dask"):
    ...         search.fit(X, y)
    """
    import joblib
    from distributed import LocalCluster

    n_threads = _check_n_threads(n_threads)
    if n_workers is None:
        n_workers = max(1, joblib.cpu_count() // n_threads)  # heeds affinity and cgroups
    else:
        # 0 workers would start a cluster on which a search waits forever.
        n_workers = _check_positive_int("n_workers", n_workers)
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        env={**worker_env(n_threads), **kwargs.pop("env", {})},
        plugins=(TensorFlowThreads(n_threads),),
        **kwargs,
    )
