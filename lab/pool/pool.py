"""The server's side of the worker processes: starting them, placing runs, sending one request
at a time per worker, noticing a dead worker and starting a replacement, caps, and recycling an
empty worker so its memory goes back to the system.

A worker is a fresh interpreter (`python -m lab.pool FD ...`), never a fork: forking a
process whose torch already runs threads is unsafe (the child inherits locks held by threads
that do not exist in it). Not multiprocessing's "spawn" either: spawn re-imports the parent's
main script in the child (the `streamlit` command, pytest, or a user's script without a
`__main__` guard, which then starts workers itself). The two ends of a socket pair carry
multiprocessing Connection messages (pickles of commands and plain answers).
"""
from __future__ import annotations

import atexit
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from lab.config import ConfigError


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def workers_wanted() -> int:
    """GENLAB_WORKERS: 0 trains in the server process (as before); default one per core."""
    raw = os.environ.get("GENLAB_WORKERS", "").strip()
    if raw == "":
        return 0 if os.name == "nt" else os.cpu_count() or 1     # passing a socket to a child is POSIX
    try:
        return max(0, int(raw))
    except ValueError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Caps:
    session_runs: int = int(_env("GENLAB_SESSION_RUNS", 12))      # live runs one browser session may hold
    session_mb: float = _env("GENLAB_SESSION_MB", 400)             # their saved states (state_bytes) together
    server_runs: int = int(_env("GENLAB_SERVER_RUNS", 120))        # live runs in all workers together
    worker_mb: float = _env("GENLAB_WORKER_MB", 1500)              # one worker's memory beyond which it takes no new run


class CapacityError(ConfigError):
    """A cap is reached: one line the page shows (ConfigError, so pages show it as a bad setting)."""


class WorkerLost(RuntimeError):
    """The worker process that held a run stopped (killed, crashed). The run's handle can restart
    from its last saved state on another worker."""

    def __init__(self, message: str, step: int = 0):
        super().__init__(message)
        self.step = step


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        import signal
        try:
            return f"stopped ({signal.Signals(-code).name})"
        except ValueError:
            return f"stopped (signal {-code})"
    return f"stopped (exit code {code})"


ROOT = Path(__file__).resolve().parents[2]


def _spawn(idle_s: float, drop_s: float) -> tuple[subprocess.Popen, Connection]:
    ours, theirs = socket.socketpair()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "lab.pool", str(theirs.fileno()), str(idle_s), str(drop_s)],
                            pass_fds=[theirs.fileno()], cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    theirs.close()                      # our copy: the worker's death then reads as EOF here
    return proc, Connection(ours.detach())


class WorkerProc:
    """One worker process and the connection to it; `request` is one command and its answer,
    under a lock, so several Streamlit threads never interleave messages on the connection."""

    def __init__(self, idle_s: float, drop_s: float):
        self.proc, self.conn = _spawn(idle_s, drop_s)
        self.lock = threading.Lock()
        self.runs: dict[int, str] = {}     # run id -> session
        self.playing: set[int] = set()
        self.sessions_playing = 0          # the worker's last report
        self.dead = ""                     # why, once it died
        self.rss, self.rss_at = 0, 0.0     # resident bytes, and when measured

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(self, op: str, rid: int = 0, *args, **kwargs):
        with self.lock:
            if self.dead:
                raise WorkerLost(self.dead)
            try:
                self.conn.send((op, rid, args, kwargs))
                status, value = self.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                try:
                    code = self.proc.wait(2.0)
                except subprocess.TimeoutExpired:
                    code = None
                self.dead = f"The training process for this run {_describe_exit(code)}"
                raise WorkerLost(self.dead) from None
        if status == "err":
            raise value
        return value

    def stop(self, timeout: float = 5.0) -> None:
        if not self.dead and self.proc.poll() is None:
            try:
                self.request("exit")
            except Exception:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
        self.dead = self.dead or "stopped"
        self.conn.close()


class Pool:
    """`n` worker processes (started on first use); runs placed on the worker that holds the
    fewest sessions, a session's runs together (so the worker's fair share is per session)."""

    def __init__(self, n: int, caps: Caps | None = None, idle_s: float | None = None, drop_s: float | None = None,
                 spawn=None):
        self.n = max(1, int(n))
        # How a worker starts: a process here, or an actor on a Ray cluster when GENLAB_RAY says so
        # (lab.pool.ray_worker, which then sizes the pool to the cluster).
        from lab.pool.ray_worker import choose
        self.spawn, self.n = (spawn, self.n) if spawn else choose(self.n)
        self.caps = caps or Caps()
        self.idle_s = _env("GENLAB_IDLE_S", 60.0) if idle_s is None else idle_s      # pause after this silence
        self.drop_s = _env("GENLAB_DROP_S", 600.0) if drop_s is None else drop_s     # drop after this one
        self.lock = threading.Lock()
        self.workers: list[WorkerProc | None] = [None] * self.n
        self.next_id = 1
        self.closed = False
        self.sizes: dict[int, int] = {}      # run id -> bytes of its last saved state
        self._drops: queue.SimpleQueue = queue.SimpleQueue()     # reentrant: safe from a finalizer
        threading.Thread(target=self._reap, name="genlab-pool-reaper", daemon=True).start()

    def drop_later(self, w: WorkerProc, rid: int) -> None:
        """Drop run `rid` from worker `w` on the reaper thread (see handle._drop)."""
        self._drops.put((w, rid))

    def _reap(self) -> None:
        while True:
            w, rid = self._drops.get()
            if w is None:
                return
            try:
                w.request("drop", rid)
            except Exception:  # noqa: BLE001 - the worker died or is stopping: nothing left to drop
                pass
            self.forget(w, rid)

    def warm(self) -> None:
        """Start every worker now (each imports torch, a few seconds) so the first run waits less."""
        with self.lock:
            for i in range(self.n):
                self._worker(i)

    # ---- workers ------------------------------------------------------------------------------
    def _worker(self, i: int) -> WorkerProc:
        w = self.workers[i]
        if w is None or w.dead:
            w = self.workers[i] = self.spawn(self.idle_s, self.drop_s)
        return w

    def live_workers(self) -> list[WorkerProc]:
        return [w for w in self.workers if w is not None and not w.dead]

    def place(self, session: str, rid: int | None = None) -> WorkerProc:
        """The worker for a new run of `session`, or CapacityError with the one line to show.
        With `rid`, the run is counted on that worker before the lock is let go: a concurrent
        drop of the worker's last run (`forget`) would otherwise recycle the worker between its
        choice and the run's creation (seen: "stopped (exit code 0)" on the run's first step)."""
        with self.lock:
            w = self._place(session)
            if rid is not None:
                w.runs[rid] = session
            return w

    def _place(self, session: str) -> WorkerProc:
        """place() under its lock: the least-busy live worker with memory to spare."""
        if self.closed:
            raise CapacityError("The server is shutting down.")
        mine = sum(1 for w in self.live_workers() for s in w.runs.values() if s == session)
        if mine >= self.caps.session_runs:
            raise CapacityError(
                f"This browser session already trains {mine} runs, the most one session may hold "
                f"(GENLAB_SESSION_RUNS={self.caps.session_runs}). Close another page's runs (Reset, or fewer "
                "seeds or recipes) and try again.")
        held = sum(size for rid, size in self.sizes.items()
                   if any(w.runs.get(rid) == session for w in self.live_workers()))
        if held >= self.caps.session_mb * 2 ** 20:
            raise CapacityError(
                f"This browser session's runs already hold {held / 2 ** 20:.0f} MB of weights, the most one "
                f"session may (GENLAB_SESSION_MB={self.caps.session_mb:.0f}). Close another page's runs "
                "(Reset, or fewer seeds or recipes) or use smaller settings.")
        total = sum(len(w.runs) for w in self.live_workers())
        if total >= self.caps.server_runs:
            raise CapacityError(
                f"The server is full: {total} runs are training for all sessions, its most "
                f"(GENLAB_SERVER_RUNS={self.caps.server_runs}). Try again when a session closes.")
        for i, w in enumerate(self.workers):          # a session's runs stay together
            if w is not None and not w.dead and session in w.runs.values():
                return w
        order = sorted(range(self.n), key=lambda i: (len(set(self.workers[i].runs.values()))
                                                     if self.workers[i] is not None and not self.workers[i].dead else 0))
        for i in order:
            w = self._worker(i)
            if w.runs and time.monotonic() - w.rss_at > 5.0:      # a fresh worker is small
                try:
                    w.rss, w.rss_at = int(w.request("rss")), time.monotonic()
                except WorkerLost:
                    continue
            if w.rss < self.caps.worker_mb * 2 ** 20:
                return w
        raise CapacityError(
            f"The training processes are out of memory (GENLAB_WORKER_MB={self.caps.worker_mb:.0f} MB each). "
            "Try again when a session closes, or use smaller settings.")

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def forget(self, w: WorkerProc, rid: int) -> None:
        """A run dropped: when its worker holds nothing any more, it is recycled (stopped; a fresh
        one starts on the next placement), so a long day's freed memory goes back to the system."""
        with self.lock:
            w.runs.pop(rid, None)
            w.playing.discard(rid)
            self.sizes.pop(rid, None)
            if w.runs or w.dead:
                return
            for i, x in enumerate(self.workers):
                if x is w:
                    self.workers[i] = None
        threading.Thread(target=w.stop, name="genlab-pool-recycle", daemon=True).start()

    def sessions_playing(self) -> int:
        """Sessions training across the server, from each worker's last report."""
        return sum(w.sessions_playing for w in self.live_workers())

    def rss(self) -> list[int]:
        """Each live worker's resident memory in bytes."""
        out = []
        for w in self.live_workers():
            try:
                w.rss = int(w.request("rss"))
            except WorkerLost:
                continue
            out.append(w.rss)
        return out

    def close(self) -> None:
        self._drops.put((None, 0))
        with self.lock:
            self.closed = True
            workers = [w for w in self.workers if w is not None]
            self.workers = [None] * self.n
        for w in workers:
            w.stop()


_pool: Pool | None = None
_pool_lock = threading.Lock()


def get_pool() -> Pool | None:
    """The server's pool, or None when GENLAB_WORKERS=0 (training stays in this process)."""
    global _pool
    n = workers_wanted()
    if n == 0:
        return None
    with _pool_lock:
        if _pool is None or _pool.closed:
            _pool = Pool(n)
        return _pool


def shutdown() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()


atexit.register(shutdown)
