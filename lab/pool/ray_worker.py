"""Workers as Ray actors, for a class bigger than one machine: with GENLAB_RAY set, the pool's
workers are actors on a Ray cluster instead of processes on the server (Ray is an optional extra,
requirements-ray.txt; `lab` imports it only when GENLAB_RAY is set).

    GENLAB_RAY=local                  start a Ray on this machine, or attach to one `ray start` began here
    GENLAB_RAY=auto                   Ray's own word: the cluster this machine belongs to
    GENLAB_RAY=ray://head:10001       a cluster's Ray Client port (or head:6379, its GCS address)

Each actor runs the worker process's own loop (lab.pool.worker.serve) in a thread, fed through a
mailbox; `RayWorker` is the server's side of one actor with WorkerProc's interface, so the Pool's
placement, caps and recycling and the page's RemoteRun are the same on both transports.

Messages are pickled both ways, as on a worker process's connection: a run travels by the same
rules on both (a Build by import name; an answer that does not pickle comes back as one error),
and arrays come back writable (Ray would hand them back as read-only views of its object store).
A lost actor (killed, its node gone) raises WorkerLost with the same one line, so the page's
Restart works. Anything wrong with Ray at start-up costs one line in the server log: training
then stays in this machine's worker processes.
"""
from __future__ import annotations

import logging
import os
import pickle
import queue
import threading
import traceback
from typing import Callable

from lab.pool.seat import ROOT, Seat, WorkerLost, WorkerProc, _env

ENV = "GENLAB_RAY"
CONNECT_S = 60.0        # s ray.init may take (starting a local Ray: ~10 s here) before training stays here
START_S = 120.0         # s a new actor may take to start (a node importing torch) before its run is lost
SHIPPED_WITHOUT = [".git", "tests", "benchmarks"]       # besides what .gitignore names: not needed to train

log = logging.getLogger("genlab")
_EMPTY = object()


def choose(n: int) -> tuple[Callable, int]:
    """How the pool's workers start, and how many: `n` worker processes on this machine, or, with
    GENLAB_RAY set and Ray answering, actors on the cluster, one per cluster CPU (GENLAB_WORKERS,
    if set, says how many instead)."""
    address = os.environ.get(ENV, "").strip()
    if not address:
        return WorkerProc, n
    try:
        ray = connect(address)
        cpus = int(ray.cluster_resources().get("CPU", 0))
    except ImportError as err:
        log.warning("GenLab: %s=%s but Ray could not be imported (%s; pip install -r requirements-ray.txt); "
                    "training in worker processes on this machine instead.", ENV, address, err)
        return WorkerProc, n
    except Exception as err:  # noqa: BLE001 - any failure to reach the cluster: one line, and train here
        first = (str(err).strip().splitlines() or [""])[0][:300]
        log.warning("GenLab: %s=%s but Ray could not be reached (%s: %s); training in worker processes "
                    "on this machine instead.", ENV, address, type(err).__name__, first)
        return WorkerProc, n
    if os.environ.get("GENLAB_WORKERS", "").strip() == "":
        n = max(1, cpus)
    log.info("GenLab: training on Ray (%s=%s): %d workers on %d CPUs.", ENV, address, n, cpus)
    return RayWorker, n


def connect(address: str):
    """Ray, connected, with `runtime_env` for the whole job (Ray ships a local folder only at this
    level). A Ray already started in this process (a test, a notebook) is used as it is.

    ray.init runs in a thread of its own, which the caller waits for CONNECT_S seconds: on an
    address where no Ray answers it waits as long as it takes (over 10 minutes seen), and the
    server's first page must not hang. The thread then lives as long as the server: the Ray it
    starts for `local` dies with the thread that started it (Linux's parent-death signal follows
    the thread; seen when a page's script thread, or a thread that returned, started it)."""
    import ray
    if ray.is_initialized():
        return ray
    done: list = []
    answered = threading.Event()

    def init() -> None:
        try:
            if address == "local":          # the dashboard's dozen processes (~1 GB) serve no one here
                ray.init(include_dashboard=False, runtime_env=runtime_env())
            else:
                ray.init(address=address, runtime_env=runtime_env())
        except BaseException as err:  # noqa: BLE001 - handed to the caller
            done.append(err)
            answered.set()
            return
        done.append(None)
        answered.set()
        threading.Event().wait()            # keep Ray's local processes' parent alive

    wait = _env("GENLAB_RAY_CONNECT_S", CONNECT_S)
    threading.Thread(target=init, name="genlab-ray-connect", daemon=True).start()
    answered.wait(wait)
    if not done:
        raise TimeoutError(f"no answer within {wait:.0f} s")
    if done[0] is not None:
        raise done[0]
    return ray


def runtime_env() -> dict:
    """What each actor gets (ray.init's runtime_env): this checkout (lab and its assets; Ray uploads
    it once, cached by its hash, so a node needs the requirements installed but not a checkout)
    and the server's GENLAB_ settings (GENLAB_DATA_ROOT, GENLAB_WORKER_NICE, ...)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("GENLAB_") and k != ENV}
    return {"working_dir": str(ROOT), "excludes": SHIPPED_WITHOUT, "env_vars": env}


# ---- the actor ------------------------------------------------------------------------------------
class Mailbox:
    """The loop's end of the actor: Connection's poll/recv/send over two queues. `send` pickles,
    so an answer that does not pickle fails here, where the loop turns it into one error."""

    def __init__(self):
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._held = _EMPTY

    def poll(self, timeout: float = 0.0) -> bool:
        if self._held is _EMPTY:
            try:
                self._held = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
            except queue.Empty:
                return False
        return True

    def recv(self):
        msg, self._held = (self.inbox.get() if self._held is _EMPTY else self._held), _EMPTY
        return pickle.loads(msg)

    def send(self, obj) -> None:
        self.outbox.put(pickle.dumps(obj))


class WorkerActor:
    """The actor (wrapped by ray.remote in `RayWorker`): a worker's loop in a thread of its own,
    so it trains between commands; `request` hands the loop one command and waits for its answer."""

    def __init__(self, idle_s: float, drop_s: float):
        from lab.pool import worker
        worker.start_up()
        self.mailbox = Mailbox()
        self.loop = threading.Thread(target=self._serve, args=(worker.Worker(idle_s, drop_s),),
                                     name="genlab-worker", daemon=True)
        self.loop.start()

    def _serve(self, w) -> None:
        from lab.pool import worker
        try:
            worker.serve(self.mailbox, w)
        except BaseException:  # noqa: BLE001 - as a worker process dies of it: the server reads a lost actor
            traceback.print_exc()
            os._exit(1)

    def pid(self) -> int:
        return os.getpid()

    def request(self, msg: bytes) -> bytes:
        self.mailbox.inbox.put(msg)
        while True:
            try:
                return self.mailbox.outbox.get(timeout=1.0)
            except queue.Empty:
                if not self.loop.is_alive():        # it answered `exit` already: nothing will answer
                    os._exit(0)


_remote = None


def _actor_class():
    global _remote
    if _remote is None:
        import ray
        _remote = ray.remote(WorkerActor)
    return _remote


# ---- the server's side --------------------------------------------------------------------------
class RayWorker(Seat):
    """One actor and the handle to it, with WorkerProc's interface (lab.pool.pool): `request` is
    one command and its answer, under a lock, in the order the page sent them."""

    def __init__(self, idle_s: float, drop_s: float):
        super().__init__()
        self.actor = self._pid = None
        try:
            self.actor = _actor_class().options(num_cpus=1).remote(idle_s, drop_s)
            self._pid = self.actor.pid.remote()     # answers once the actor has started (imported torch)
        except Exception as err:  # noqa: BLE001 - the cluster went away since: the run's page shows one line
            first = (str(err).strip().splitlines() or [""])[0][:200]
            self.dead = f"The training process for this run could not start on the Ray cluster ({type(err).__name__}: {first})"
            log.warning("GenLab: %s", self.dead)

    @property
    def pid(self) -> int:
        """The actor's process id (on its own node)."""
        with self.lock:
            self._started()
        return self._pid if isinstance(self._pid, int) else 0

    def _started(self) -> None:
        if self._pid is not None and not isinstance(self._pid, int):
            import ray
            self._pid = int(ray.get(self._pid, timeout=START_S))

    def request(self, op: str, rid: int = 0, *args, **kwargs):
        import ray
        msg = pickle.dumps((op, rid, args, kwargs))
        with self.lock:
            if not self.dead and not ray.is_initialized():      # shut down (at exit): never start a new Ray
                self.dead = "The training process for this run stopped (Ray was shut down)"
            if self.dead:
                raise WorkerLost(self.dead)
            try:
                self._started()
                status, value = pickle.loads(ray.get(self.actor.request.remote(msg)))
            except ray.exceptions.GetTimeoutError:
                self.dead = (f"The training process for this run did not start within {START_S:.0f} s on the "
                             "Ray cluster (no node with a free CPU?)")
                self._kill()
                raise WorkerLost(self.dead) from None
            except ray.exceptions.RayError as err:
                why = "its Ray actor or node was lost" if isinstance(err, ray.exceptions.RayActorError) \
                    else type(err).__name__
                self.dead = f"The training process for this run stopped ({why})"
                raise WorkerLost(self.dead) from None
        if status == "err":
            raise value
        return value

    def stop(self, timeout: float = 5.0) -> None:
        import ray
        if not ray.is_initialized():            # Ray shut down first (at exit): its actors went with it
            self.dead = self.dead or "stopped"
            return
        if not self.dead:
            try:
                self.request("exit")
            except Exception:  # noqa: BLE001 - stopping anyway
                pass
        self._kill()
        self.dead = self.dead or "stopped"

    def _kill(self) -> None:
        import ray
        if self.actor is None:
            return
        try:
            ray.kill(self.actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
