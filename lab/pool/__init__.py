"""Training outside the server process: a small pool of worker processes (one per core by
default, GENLAB_WORKERS; 0 keeps training in the server as before), each holding runs by id and
training its playing runs in fair time slices; `RemoteRun` is the page's handle, implementing
the Run protocol. A crash in a worker costs that run, never the server.

    from lab.pool import Build, RemoteRun, get_pool
    pool = get_pool()                                   # None when GENLAB_WORKERS=0
    run = RemoteRun(pool, Build(with_seeds, "disjoint", cfg, 1, DisjointRun), session="abc")
    run.play(rate=250); ...; run.snapshot(); run.pause()
"""
from lab.pool.build import Build, experiment_run
from lab.pool.handle import RemoteRun
from lab.pool.pool import CapacityError, Caps, Pool, WorkerLost, get_pool, shutdown, workers_wanted

__all__ = ["Build", "CapacityError", "Caps", "Pool", "RemoteRun", "WorkerLost", "experiment_run", "get_pool",
           "shutdown", "workers_wanted"]
