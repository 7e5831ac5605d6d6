"""`RemoteRun`: the page's handle on a run that lives in a worker process. It implements the Run
protocol (lab.run) by asking the worker; snapshots come back as plain arrays.

- Thread-safe: each request goes over its worker's connection under that connection's lock,
  and `lock` / `holding` give callers the same re-entrant lock a local run has.
- Memory goes back: `weakref.finalize` drops the remote run when the handle is collected (its
  session ended and Streamlit dropped the session's state).
- A crash costs only this run: a dead worker makes every call raise WorkerLost with one line a
  student can act on; `restart()` builds the run again on a live worker from the last state the
  handle saved (on pause, on Step, and every SAVE_EVERY seconds of play).
- Run-specific methods and attributes (a sweep's METRICS, the VAE's comparison(), ...) are
  forwarded: an attribute comes back by value, a method becomes a remote call.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref

from lab.pool.build import Build
from lab.pool.pool import Pool
from lab.pool.seat import WorkerLost, WorkerProc
from lab.pool.worker import SetAside
from lab.run import Run

log = logging.getLogger("genlab")
SAVE_EVERY = 10.0       # s of play between two saved states (the restart point)
PLAY_EVERY = 2.0        # s: a playing run's unchanged Play is re-sent this often (its heartbeat and
                        # status); between, a tick's snapshot is the only request (a worker answers
                        # one request at a time, and 20 sessions' ticks queue on two workers)
CHUNK = 0.2             # s of one synchronous advance request


# Commands that leave a run's state as it is: a snapshot asked ahead (RemoteRun.snapshot) stays
# good across them (Play re-sent to a playing run is its heartbeat; a paused run asks nothing
# ahead); any other command (Step, a retune, Pause, a forwarded method) makes it stale.
READS = frozenset({"status", "getattr", "describe", "play"})
READ_CALLS = frozenset({"snapshot", "metrics", "member_metrics", "state_bytes"})


def _drop(pool: Pool, box: list, rid: int, later: dict) -> None:
    """The finalizer: hand the drop to the pool's reaper thread. A finalizer runs wherever the
    handle happens to be collected, possibly in a thread that holds this worker's connection
    lock or the pool's lock; talking to the worker from here could wait on itself forever.
    Answers asked for ahead are forgotten (Later.forget takes no lock)."""
    for asked in list(later.values()):
        asked.later.forget()
    pool.drop_later(box[0], rid)


class _Asked:
    """A command sent ahead (Seat.ask_ahead): to which worker, with which options, when."""

    def __init__(self, worker: WorkerProc, later, options: bytes = b""):
        self.worker, self.later, self.options, self.at = worker, later, options, time.monotonic()


class RemoteRun:
    """A run in a worker: `RemoteRun(pool, Build(...), session)`."""

    def __init__(self, pool: Pool, build: Build, session: str = ""):
        self._pool, self._build, self._session = pool, build, session
        self.lock = threading.RLock()
        self._id = pool.new_id()
        self._box: list[WorkerProc] = [None]        # the worker, shared with the finalizer
        self._saved: bytes | None = None             # the restart point
        self._saved_at = 0.0
        self._lost = ""
        self._playing = False
        self._status: dict = {}
        self._asked, self._played_at = (0.0, 0.0), 0.0      # the last Play sent, and when
        # Sent ahead, answers read on a later call (shared with the finalizer): "snapshot" (the
        # next tick's), "beat" (Play re-sent: the heartbeat), "save" (the restart point).
        self._later: dict[str, _Asked] = {}
        self.look_ahead = 0.0                        # s: how old an asked-ahead snapshot may be (0: none)
        try:
            self._start_on(pool.place(session, self._id), None)
        except WorkerLost:           # the worker died before the run existed: nothing lost, once more
            self._start_on(pool.place(session, self._id), None)

    def _start_on(self, w: WorkerProc, state: bytes | None) -> None:
        self._forget()
        with self._pool.lock:           # counted already by place(); again in case a caller did not
            w.runs[self._id] = self._session
        try:
            desc = w.request("create", self._id, self._build, self._session)
        except BaseException:
            with self._pool.lock:
                w.runs.pop(self._id, None)
            raise
        self._box[0] = w
        if getattr(self, "_finalizer", None) is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _drop, self._pool, self._box, self._id, self._later)
        if state is not None:
            desc = w.request("load_state", self._id, state)
        self._take(desc)

    def _take(self, desc: dict | None) -> None:
        if desc:
            self.cfg, self.step, self._total = desc["cfg"], desc["step"], desc["total"]
            self.members, self.experiment = desc["members"], desc["experiment"]
            # A run with seed companions (lab.seeds.Seeds) saves only its shown seed's state, so
            # it cannot be rebuilt from it: its restart starts again from step 0.
            self._resumable = desc["type"] != "Seeds"

    # ---- talking to the worker ----------------------------------------------------------------
    def _ask(self, op: str, *args, **kwargs):
        if op not in READS and not (op == "call" and args and args[0] in READ_CALLS):
            self._forget("snapshot")
        return self._guard(lambda: self._box[0].request(op, self._id, *args, **kwargs))

    def _send_ahead(self, name: str, op: str, *args, options: bytes = b"", **kwargs) -> None:
        w = self._box[0]
        self._later[name] = _Asked(w, self._guard(lambda: w.ask_ahead(op, self._id, *args, **kwargs)), options)

    def _forget(self, *names: str) -> None:
        for name in names or list(self._later):
            asked = self._later.pop(name, None)
            if asked is not None:
                asked.later.forget()

    def _collect(self, name: str):
        """The answer to `name` asked ahead on this run's worker (waiting for it if it has not
        come yet), or None."""
        asked = self._later.pop(name, None)
        if asked is None:
            return None
        if asked.worker is not self._box[0]:
            asked.later.forget()
            return None
        return self._guard(asked.later.get)

    def _guard(self, talk):
        """`talk()` to the worker; a lost worker or a set-aside run becomes the one line."""
        if self._lost:
            raise WorkerLost(self._lost, self.step)
        try:
            return talk()
        except (WorkerLost, SetAside) as err:
            with self._pool.lock:
                self._box[0].runs.pop(self._id, None)
            if getattr(self, "_finalizer", None) is not None:
                self._finalizer.detach()
            at = self._saved_step()
            why = str(err.args[0] if err.args else err)
            self._lost = (f"{why}. Press Restart to continue from step {at:,}." if at else
                          f"{why}. Press Restart to start it again.")
            self._playing = False
            raise WorkerLost(self._lost, at) from None

    def _saved_step(self) -> int:
        if self._saved is None:
            return 0
        from lab import checkpoint
        return int(checkpoint.from_bytes(self._saved)["step"])

    def _call(self, name: str, *args, **kwargs):
        out, desc = self._ask("call", name, *args, **kwargs)
        self._take(desc)
        return out

    @property
    def lost(self) -> str:
        """The one line saying this run's worker died ('' while it lives)."""
        return self._lost

    def restart(self) -> None:
        """The run again on a live worker, from the last saved state (step 0 if none was saved)."""
        with self.lock:
            lost, self._lost = self._lost, ""
            try:
                self._start_on(self._pool.place(self._session, self._id), self._saved)
            except Exception:
                self._lost = lost
                raise

    def save(self) -> None:
        """Keep the run's state now as the restart point."""
        if not self._resumable:
            return
        self._forget("save")
        self._keep(self._ask("call", "state_bytes")[0], time.monotonic())

    def _keep(self, state: bytes, at: float) -> None:
        self._saved, self._saved_at = state, at
        self._pool.sizes[self._id] = len(state)

    # ---- the Run protocol -----------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self._total

    @property
    def history(self) -> dict:
        return self._ask("getattr", "history")[1]

    def advance(self, k: int, **options) -> None:
        """k steps, in chunks of about CHUNK seconds: a worker answers one command at a time, so
        a long Step (1,000 steps of a heavy run) must not hold every other session on the same
        worker waiting for its end. Saves the restart point after."""
        if k <= 0:
            return
        with self.lock:
            left, n = int(k), 1
            while left > 0:
                n = min(n, left)
                t0 = time.perf_counter()
                self._call("advance", n, **options)
                left -= n
                per_step = (time.perf_counter() - t0) / n
                n = max(1, int(CHUNK / max(per_step, 1e-6)))
            self.save()

    def retune(self, cfg) -> bool:
        with self.lock:
            return bool(self._call("retune", cfg))

    def snapshot(self, **options) -> dict:
        """The run's snapshot. While it plays in the worker with `look_ahead` > 0 (a live page's
        tick: ui.pooled.steer sets it), each snapshot also asks for the next one at once, and
        the next call takes that answer, which the worker gave between two slices while the page
        waited for its next tick: the tick then never waits for the worker (a 256-member sweep's
        tick spent ~0.25 of its 0.35 s waiting for its snapshot, and the page redrew at 1.25/s).
        The snapshot shown is then up to one period old, never older than `look_ahead` s; any
        command that changes the run (Step, retune, Pause...) drops it, so a paused or stepped
        run's snapshot is always its state now."""
        import pickle
        with self.lock:
            key = pickle.dumps(options)
            asked, got = self._later.get("snapshot"), None
            if (asked is not None and asked.options == key and self._playing
                    and time.monotonic() - asked.at <= self.look_ahead):
                got = self._collect("snapshot")             # (snapshot, None), or None if it moved
            self._forget("snapshot")
            out = got[0] if got is not None else self._call("snapshot", **options)
            if self._playing and self.look_ahead > 0 and not self._lost:
                self._send_ahead("snapshot", "call", "snapshot", options=key, **options)
            return out

    def metrics(self) -> dict:
        with self.lock:
            return self._call("metrics")

    def member_metrics(self) -> list[dict]:
        with self.lock:
            return self._call("member_metrics")

    def state_bytes(self) -> bytes:
        with self.lock:
            return self._call("state_bytes")

    def load_state(self, doc: dict) -> None:
        from lab import checkpoint
        with self.lock:
            data = checkpoint.to_bytes(doc["experiment"], self.cfg, doc["step"], doc["history"], doc["state"])
            self._take(self._ask("load_state", data))

    holding = Run.holding          # the handle itself with its lock held (None if not had in time)

    # ---- training in the worker -----------------------------------------------------------------
    def play(self, rate: float) -> dict:
        """Train in the worker at up to `rate` steps/s (its fair share may be less). The restart
        point is saved when play starts and every SAVE_EVERY s while it goes on. First, when the
        pool has moved this session to a less loaded worker, the run follows it there."""
        with self.lock:
            if self._resumable and not self._lost:
                target = self._pool.destination(self._session, self._box[0])
                if target is not None:
                    self._move(target)
            asked = (float(rate), self._pool.fair_share(self._session))
            now = time.monotonic()
            beat, saved = self._collect("beat"), self._collect("save")
            if beat is not None:
                self._heard(beat)
            if saved is not None:
                self._keep(saved[0], self._saved_at)
            if beat is not None and beat.get("error") and not beat["playing"]:
                # Its training failed in the worker (a diverged loss, out of memory): the page
                # says why and pauses (ui.pooled.stopped_line), rather than Play starting the
                # failing step again behind it, unseen. Play pressed again retries.
                return beat
            if not self._playing or asked != self._asked:      # starting, or a new rate or share
                self._asked, self._played_at = asked, now
                return self._command("play", *asked, save=not self._playing)
            # Playing on: the heartbeat and the restart point go ahead, their answers read on the
            # next call, so that a live tick never waits for the worker's slice in progress (a
            # 256-member sweep's tick took 0.3 s instead of 0.1 s every PLAY_EVERY, and 0.6 s at
            # every SAVE_EVERY, and its period doubled; with 20 sessions on 2 workers the Dirac
            # page's ticks waited 0.35 s on average, 5.2 s at most, for a worker busy with
            # another session's heavy step). Crowded or not: waited for in a crowded server
            # (stop 26/27), 20 sessions' redraws min/median 0.43/0.72 and joins p95 4.8-5.6 s;
            # ahead, 0.53/0.75-0.81 and 4.7-5.5 s (bench_classroom, two runs each).
            if now - self._played_at >= PLAY_EVERY:
                self._played_at = now
                self._send_ahead("beat", "play", *asked, True)       # again: a failure stays
            if self._resumable and now - self._saved_at > SAVE_EVERY:
                self._saved_at = now
                self._send_ahead("save", "call", "state_bytes")
            return self._status

    def _move(self, target: WorkerProc) -> bool:
        """Carry the run to `target`: paused here, its state built there, then dropped here. Any
        failure on the way leaves it where it was (a move is an optimisation, never a loss)."""
        old = self._box[0]
        self._forget()                         # answers asked ahead there: read on the new worker
        try:
            old.request("pause", self._id)
            state = old.request("call", self._id, "state_bytes")[0]
        except Exception:  # noqa: BLE001 - the next command on it says what happened
            return False
        with self._pool.lock:
            target.runs[self._id] = self._session      # counted before the lock goes (see Pool.place)
        try:
            target.request("create", self._id, self._build, self._session)
            desc = target.request("load_state", self._id, state)
        except Exception:  # noqa: BLE001 - stay on the old worker
            try:
                target.request("drop", self._id)
            except Exception:  # noqa: BLE001 - it never got there, or the target died
                pass
            self._pool.forget(target, self._id, moved=True)
            with self._pool.lock:
                self._pool.home[self._session] = old       # not again on every tick
            return False
        self._box[0] = target                  # the finalizer reads the box: it now drops from target
        self._playing = False                  # built paused there: the Play that follows is sent
        self._take(desc)
        self._saved, self._saved_at = state, time.monotonic()
        try:
            old.request("drop", self._id)
        except Exception:  # noqa: BLE001 - the old worker died meanwhile: nothing left to drop
            pass
        self._pool.forget(old, self._id, moved=True)
        log.info("GenLab pool: run %d of session %s moved from worker %d to %d (step %d)",
                 self._id, self._session[:8], old.pid, target.pid, self.step)
        return True

    def pause(self) -> dict:
        return self._command("pause", save=self._playing)

    def status(self) -> dict:
        """{playing, message, error (why its training stopped, or ''), step, steps_per_s, sessions
        (playing on this worker)}; a heartbeat."""
        return self._command("status", save=False)

    def _command(self, op: str, *args, save: bool) -> dict:
        with self.lock:
            self._forget("beat")                 # this answer is newer
            st = self._ask(op, *args)
            self._heard(st)
            if save:
                self.save()
            return st

    def _heard(self, st: dict) -> None:
        self._status = st
        self.step, self._playing = st["step"], st["playing"]
        self._pool.heard(self._box[0], self._id, st["playing"])

    @property
    def worker_pid(self) -> int:
        return self._box[0].pid

    def drop(self) -> None:
        """Free the remote run now (also done when the handle is collected)."""
        self._finalizer()

    # ---- anything else the page reads -----------------------------------------------------------
    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        kind, value = self._ask("getattr", name)
        if kind == "value":
            return value
        return lambda *args, **kwargs: self._call(name, *args, **kwargs)
