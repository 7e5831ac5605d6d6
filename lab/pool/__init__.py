"""Training outside the server process: a small pool of worker processes (one per core by
default, GENLAB_WORKERS; 0 keeps training in the server as before), each holding runs by id and
training its playing runs in fair time slices; `RemoteRun` is the page's handle, implementing
the Run protocol. A crash in a worker costs that run, never the server.
With GENLAB_RAY set, the workers are actors on a Ray cluster instead (lab.pool.ray_worker).

    from lab.pool import Build, RemoteRun, get_pool
    pool = get_pool()                                   # None when GENLAB_WORKERS=0
    run = RemoteRun(pool, Build(with_seeds, "disjoint", cfg, 1, DisjointRun), session="abc")
    run.play(rate=250); ...; run.snapshot(); run.pause()

Names load on first use: the server starts its workers (get_pool) before torch is imported, so
a page can draw its opening lines meanwhile; only RemoteRun needs torch.
"""
import importlib

_WHERE = {"Build": "build", "experiment_run": "build", "RemoteRun": "handle", "CapacityError": "pool",
          "Caps": "pool", "Pool": "pool", "WorkerLost": "seat", "get_pool": "pool", "shutdown": "pool",
          "workers_wanted": "pool"}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'lab.pool' has no attribute {name!r}")
    return getattr(importlib.import_module(f"lab.pool.{_WHERE[name]}"), name)
