"""The server's side of the worker processes: starting them, placing runs, sending requests
(pipelined per worker, lab.pool.seat.WorkerProc.request), noticing a dead worker and starting a
replacement, caps, and recycling an empty worker so its memory goes back to the system.

Fair shares across workers. A worker divides its core equally between the sessions playing on
it (lab.pool.worker), so the server must keep the playing sessions spread evenly: with 3
sessions on 2 workers placed 2 + 1, one student got 213 steps/s and two got 65. Two parts:
- Rebalancing: each session has a home worker, where its runs live. When a session plays on a
  worker that holds at least two more playing sessions than the least loaded one, its home moves
  there, and each of its runs carries its saved state across on its next Play (`destination`,
  RemoteRun._move). A difference of one is left alone, so nothing moves back and forth.
- A cap: each playing session may train at most workers / sessions of a core (`fair_share`), sent
  with every Play. That evens out the difference of one that rebalancing leaves (3 sessions on 2
  workers: 0.5, 0.5 and 0.67 instead of 0.5, 0.5 and 1.0); the time a capped worker leaves
  unused goes to the server's drawing. With no more sessions than workers it is 1: no cap.
"""
from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable

from lab.config import ConfigError
from lab.pool.seat import WorkerLost, WorkerProc, _env


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
        self.home: dict[str, WorkerProc] = {}   # session -> the worker its runs live on
        self.gone_s = _env("GENLAB_GONE_S", 30.0)   # a closed tab's runs are set aside after this
        self._alive: Callable[[str], bool] | None = None
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

    # ---- sessions that went away ----------------------------------------------------------------
    def watch(self, alive: Callable[[str], bool], every: float = 5.0) -> None:
        """Set aside the runs of a session whose browser is gone (`alive(session)` False for
        `gone_s`): a class that closes its tabs gets its memory back within a minute, not after
        the long silence (GENLAB_DROP_S) a paused page may keep without a word. The server
        says what alive means (ui: the session's websocket is connected); set once."""
        with self.lock:
            first, self._alive = self._alive is None, alive
        if first:
            threading.Thread(target=self._watch, args=(every,), name="genlab-pool-watch", daemon=True).start()

    def _watch(self, every: float) -> None:
        gone_since: dict[str, float] = {}
        while not self.closed:
            time.sleep(every)
            with self.lock:
                sessions = {s for w in self.live_workers() for s in w.runs.values() if s}
            now = time.monotonic()
            for s in list(gone_since):
                if s not in sessions:
                    del gone_since[s]
            for s in sessions:
                try:
                    here = self._alive(s)
                except Exception:  # noqa: BLE001 - when in doubt a session is alive
                    here = True
                if here:
                    gone_since.pop(s, None)
                elif now - gone_since.setdefault(s, now) >= self.gone_s:
                    self.set_aside_session(s, "This run was set aside when its browser tab closed")
                    del gone_since[s]

    def set_aside_session(self, session: str, why: str) -> None:
        """Every run of `session` leaves its worker (a later call on its handle says `why`)."""
        with self.lock:
            held = [(w, rid) for w in self.live_workers() for rid, s in w.runs.items() if s == session]
        for w, rid in held:
            try:
                w.request("set_aside", rid, why)
            except Exception:  # noqa: BLE001 - the worker died: nothing left to set aside
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
        home = self._home(session)                     # a session's runs stay together
        if home is None:
            home = next((w for w in self.live_workers() if session in w.runs.values()), None)
        if home is not None:
            self.home[session] = home
            return home
        playing = self._playing()          # the least loaded worker: playing sessions, then all
        order = sorted(range(self.n), key=lambda i: (len(self._load(i, playing)), len(self._sessions(i))))
        for i in order:
            w = self._worker(i)
            if w.runs and time.monotonic() - w.rss_at > 5.0:      # a fresh worker is small
                try:
                    w.rss, w.rss_at = int(w.request("rss")), time.monotonic()
                except WorkerLost:
                    continue
            if w.rss < self.caps.worker_mb * 2 ** 20:
                self.home[session] = w
                return w
        raise CapacityError(
            f"The training processes are out of memory (GENLAB_WORKER_MB={self.caps.worker_mb:.0f} MB each). "
            "Try again when a session closes, or use smaller settings.")

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def forget(self, w: WorkerProc, rid: int, moved: bool = False) -> None:
        """A run dropped (or `moved` to another worker): when its worker holds nothing any more,
        it is recycled (stopped; a fresh one starts on the next placement), so a long day's freed
        memory goes back to the system."""
        with self.lock:
            session = w.runs.pop(rid, None)
            w.playing.pop(rid, None)
            if not moved:
                self.sizes.pop(rid, None)
            if session is not None and not any(session in x.runs.values() for x in self.live_workers()):
                self.home.pop(session, None)
            if w.runs or w.dead or w not in self.workers:
                # Not ours to stop any more: a dead one was replaced, or close() (the server
                # shutting down) took every worker and is stopping it. Two stops at once closed
                # one connection twice (OSError: Bad file descriptor in the server's log).
                return
            self.workers[self.workers.index(w)] = None
        threading.Thread(target=w.stop, name="genlab-pool-recycle", daemon=True).start()

    # ---- fair shares across workers (see the module's doc) ----------------------------------------
    def heard(self, w: WorkerProc, rid: int, playing: bool) -> None:
        """A handle's latest status of run `rid` on `w`."""
        with self.lock:
            if playing and rid in w.runs:
                w.playing[rid] = time.monotonic()
            else:
                w.playing.pop(rid, None)

    def _playing(self) -> set[str]:
        """Sessions playing now: a run heard playing within the idle pause (a closed tab's runs
        stop counting when their worker would pause them)."""
        now = time.monotonic()
        return {w.runs[rid] for w in self.live_workers() for rid, at in w.playing.items()
                if rid in w.runs and now - at <= self.idle_s}

    def _home(self, session: str) -> WorkerProc | None:
        w = self.home.get(session)
        return w if w is not None and not w.dead and w in self.workers else None

    def _sessions(self, i: int) -> set[str]:
        w = self.workers[i]
        return set(w.runs.values()) if w is not None and not w.dead else set()

    def _load(self, i: int, playing: set[str]) -> set[str]:
        """The playing sessions whose home is worker i (where they train, or will after a move)."""
        w = self.workers[i]
        if w is None or w.dead:
            return set()
        return {s for s in playing if self._home(s) is w}

    def sessions_playing(self) -> int:
        """Sessions training across the server."""
        with self.lock:
            return len(self._playing())

    def fair_share(self, session: str) -> float:
        """The most of a core one playing session may train: workers / sessions playing, at most 1."""
        with self.lock:
            n = len(self._playing() | {session})
        return min(1.0, self.n / n)

    def destination(self, session: str, w: WorkerProc) -> WorkerProc | None:
        """The worker a run of `session` now on `w` should move to before it plays, or None.
        The session's home moves when its worker has at least two more playing sessions than
        the least loaded live worker (only a started worker: a fresh one imports torch for
        seconds, and a tick must not wait for it)."""
        with self.lock:
            home = self._home(session)
            if home is not None and home is not w:
                return home                   # the session moved: its other runs follow
            here = next((i for i, x in enumerate(self.workers) if x is w), None)
            if here is None or w.dead or self.closed:
                return None
            playing = self._playing() | {session}
            self.home[session] = w
            load = {i: len(self._load(i, playing) - {session}) for i in range(self.n)
                    if self.workers[i] is not None and not self.workers[i].dead}
            there = min((i for i in load if i != here), key=lambda i: load[i], default=None)
            if there is None or load[here] + 1 - load[there] < 2:
                return None
            target = self.workers[there]
            if target.rss >= self.caps.worker_mb * 2 ** 20:
                return None
            self.home[session] = target
            return target

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
