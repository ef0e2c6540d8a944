"""
A ``dask.distributed`` client for the comfort field: a :class:`~distributed.LocalCluster` on this
machine by default, or an existing cluster by its scheduler address.

Settings (``api.settings``): ``KAITEKI_DASK_SCHEDULER`` (``tcp://host:8786``; empty = local
cluster), ``KAITEKI_DASK_WORKERS`` (worker processes of the local cluster) and
``KAITEKI_DASK_MEMORY_LIMIT`` (per worker, e.g. ``4GB``; a worker above it is restarted by its
nanny, and dask spills to disk before that). docs/DEPLOY.md, "A Dask cluster for the field".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sensors.errors import DaskClusterError

#: Seconds to wait for an existing scheduler to answer.
CONNECT_TIMEOUT_S = 10.0


@contextmanager
def dask_client(
    scheduler: str | None = None,
    workers: int = 2,
    memory_limit: str | int = "4GB",
    processes: bool = True,
) -> Iterator[Any]:
    """
    A :class:`distributed.Client` for the duration of the ``with`` block.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``); None or empty starts a local
        cluster, closed at the end of the block.
    workers
        Worker processes of the local cluster (one thread each: the kernels are numpy and
        already use the core fully).
    memory_limit
        Memory limit of each local worker (``"4GB"``, bytes as an int).
    processes
        Workers as processes (default) or as threads of this process (tests, notebooks).

    Raises
    ------
    DaskClusterError
        The scheduler does not answer, or the local cluster cannot start.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DaskClusterError(
                f"no Dask scheduler answers at {scheduler!r} ({exc}). Start one (`dask "
                "scheduler` and `dask worker ADDRESS`, see docs/DEPLOY.md) or unset "
                "KAITEKI_DASK_SCHEDULER to use a local cluster."
            ) from exc
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise DaskClusterError(
            f"KAITEKI_DASK_WORKERS must be >= 1; got {workers}. Set it to the number of cores "
            "the field may use."
        )
    try:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            memory_limit=memory_limit,
            processes=processes,
            dashboard_address=":0",  # a free port: never "8787 is already in use"
        )
    except (OSError, ValueError, TypeError) as exc:
        raise DaskClusterError(
            f"the local Dask cluster ({workers} workers, {memory_limit} each) cannot start "
            f"({exc}). Check KAITEKI_DASK_WORKERS and KAITEKI_DASK_MEMORY_LIMIT (e.g. 4GB)."
        ) from exc
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def worker_peak_rss_mb(client: Any) -> dict[str, float]:
    """Peak resident memory (MB) of each worker process so far, by worker address."""
    return {str(k): float(v) for k, v in client.run(_peak_rss_mb).items()}


def _peak_rss_mb() -> float:
    """
    Peak resident memory (MB) of this process's own program image.

    Linux: ``VmHWM`` of ``/proc/self/status``. Not ``getrusage``'s ``ru_maxrss``: a worker is
    forked from the client process and then runs its own program, and ``ru_maxrss`` keeps the
    client's size at the fork (GBs when the client holds a fitted city), which the worker
    never used. Elsewhere ``ru_maxrss``.
    """
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
