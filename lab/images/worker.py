"""Training in a background thread, so a page stays responsive while a network trains for
minutes (a Streamlit script that trains in its own body freezes the app: streamlit#1570, #8182).

The worker is one more driver of the run protocol (lab.run): it calls only `advance` and
`snapshot`, each of which takes the run's own lock, so the page's Step button, a checkpoint
download (`state_bytes`) or a latent interpolation simply wait for the current chunk and never
touch the networks while it trains. The page draws the worker's last snapshot (`latest`).

One `Training` per browser session; the page keeps it in st.session_state. The thread:
- advances the run in chunks of about `chunk_seconds`, publishing a snapshot after each;
- pauses and resumes on request, and stops on request (a threading.Event checked between chunks);
- stops when its owner is garbage-collected (weakref.finalize: the session ended and Streamlit
  dropped its session_state), and pauses / then stops when the page's heartbeat goes quiet
  (the tab is closed or the user left the page), so no thread outlives its user;
- holds one of MAX_TRAININGS server-wide slots, released when it ends;
- is stopped and joined at interpreter exit (atexit: `streamlit run` stopped by Ctrl-C or
  SIGTERM): a daemon thread still inside torch when the interpreter tears down aborts the
  process ("terminate called without an active exception", exit code 134).
`play()` after a stop starts a fresh thread on the same run. A thread holds no reference to its
`Training`, only to the shared `_Core`; that is what lets the owner be collected while it runs.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
import time
import weakref

THREAD_NAME = "genlab-image-training"
MAX_TRAININGS = int(os.environ.get("GENLAB_MAX_TRAININGS", "2"))   # concurrent, server-wide

_slots_lock = threading.Lock()
_running = 0
_live: set = set()          # the _Core of every thread still running in this process


class CapacityError(RuntimeError):
    """The server already runs its maximum number of trainings."""


def running_count() -> int:
    with _slots_lock:
        return _running


def stop_all(timeout: float = 30.0) -> None:
    """Stop every training thread of this process and wait for them (server shutdown, tests)."""
    with _slots_lock:
        cores = list(_live)
    for core in cores:
        core.stop()
    for core in cores:
        if core.thread is not None and core.thread is not threading.current_thread():
            core.thread.join(timeout)


# atexit runs after the main thread has returned and before the interpreter tears down, while
# the threads can still finish their chunk (<= ~chunk_seconds) and release torch.
atexit.register(stop_all, timeout=30.0)


def lower_priority() -> None:
    """This training thread yields the cores to the server's own threads, as the pool's workers
    do (GENLAB_WORKER_NICE, default 5): the event loop that sends every session's redraws and
    the page runs of students joining. Two image trainings in the server took 0.45-0.65 of this
    2-core machine's cores with 20 sessions playing. Linux gives each thread its own nice value
    (setpriority on the thread's id); elsewhere that call would renice the whole server, so
    there the thread keeps the server's priority."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid)
                       + int(os.environ.get("GENLAB_WORKER_NICE", "5")))
    except (OSError, ValueError):
        pass


def _take_slot() -> None:
    global _running
    with _slots_lock:
        if _running >= MAX_TRAININGS:
            raise CapacityError(
                f"The server is already running {_running} training{'s' * (_running != 1)}, the most it "
                f"allows at once (GENLAB_MAX_TRAININGS={MAX_TRAININGS}). Try again when one finishes, "
                "or use the command line: python -m lab run image_gan ...")
        _running += 1


def _give_slot() -> None:
    global _running
    with _slots_lock:
        _running = max(0, _running - 1)


class _Core:
    """What one thread shares with the page: the run, the control events, the last snapshot."""

    def __init__(self, run, chunk_seconds: float, pause_after: float, stop_after: float):
        self.run = run
        self.chunk_seconds, self.pause_after, self.stop_after = chunk_seconds, pause_after, stop_after
        self.stop_event = threading.Event()
        self.go = threading.Event()          # set: running; clear: paused
        self.go.set()
        self.state = "new"
        self.message = ""
        self.error = ""
        self.snapshot = None
        self.beat = time.monotonic()
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        self.stop_event.set()
        self.go.set()                        # wake a paused loop so it can see the stop

    def loop(self) -> None:
        run, k = self.run, 1
        lower_priority()
        try:
            self.state = "running"
            while not self.stop_event.is_set():
                quiet = time.monotonic() - self.beat
                if quiet > self.stop_after:
                    self.message = f"stopped: the page sent no heartbeat for {self.stop_after:.0f} s"
                    break
                if quiet > self.pause_after and self.go.is_set():
                    self.go.clear()
                    self.message = f"paused: nobody watched for {self.pause_after:.0f} s"
                if not self.go.wait(timeout=0.2):
                    self.state = "paused"
                    continue
                if self.stop_event.is_set():
                    break
                if run.step >= run.total:
                    self.state = "finished"
                    return
                self.state = "running"
                t0 = time.perf_counter()
                run.advance(min(k, run.total - run.step))       # the run's lock, held for this chunk
                self.snapshot = run.snapshot()                  # ...and again for this read
                # size the next chunk so the page sees a fresh snapshot about every chunk_seconds
                per_step = (time.perf_counter() - t0) / max(k, 1)
                k = max(1, min(1000, int(self.chunk_seconds / max(per_step, 1e-6))))
        except Exception as err:  # shown on the page in one line; the thread ends cleanly
            self.error = f"{type(err).__name__}: {err}"
            self.state = "failed"
        finally:
            if self.state not in ("finished", "failed"):
                self.state = "stopped"
            with _slots_lock:
                _live.discard(self)
            _give_slot()


class Training:
    """The page's handle on a run's background training."""

    def __init__(self, run, chunk_seconds: float = 0.5, pause_after: float = 60.0, stop_after: float = 600.0):
        self._args = (chunk_seconds, pause_after, stop_after)
        self._core = _Core(run, *self._args)
        # Runs when this handle is collected (the session's state was dropped) or at exit.
        self._finalizer = weakref.finalize(self, _Core.stop, self._core)

    # ---- control --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the thread (a fresh one if an earlier thread ended); CapacityError (nothing
        started) when the server is full."""
        if self.alive:
            return
        if self._core.thread is not None:              # an ended thread: continue on a new one
            self._finalizer.detach()
            self._core = _Core(self._core.run, *self._args)
            self._finalizer = weakref.finalize(self, _Core.stop, self._core)
        core = self._core
        _take_slot()
        with _slots_lock:
            _live.add(core)
        core.beat = time.monotonic()
        core.thread = threading.Thread(target=core.loop, name=THREAD_NAME, daemon=True)
        core.thread.start()

    def play(self) -> None:
        """What the page's Play means: resume a paused thread, or start one while steps are left."""
        if self.alive:
            self.resume()
        elif self.run.step < self.run.total:
            self.start()

    def pause(self) -> None:
        self._core.go.clear()
        self._core.message = ""

    def resume(self) -> None:
        self._core.beat = time.monotonic()
        self._core.message = ""
        self._core.go.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop and wait (up to `timeout` s) for the current chunk to end."""
        self._core.stop()
        t = self._core.thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def heartbeat(self) -> None:
        """The page calls this on every redraw; silence pauses, then stops, the training."""
        self._core.beat = time.monotonic()

    # ---- reading ----------------------------------------------------------------------------
    @property
    def run(self):
        return self._core.run

    @property
    def state(self) -> str:
        """new | running | paused | finished | stopped | failed."""
        core = self._core
        if core.state in ("running", "paused") and not core.go.is_set() and not core.stop_event.is_set():
            return "paused"
        return core.state

    @property
    def alive(self) -> bool:
        t = self._core.thread
        return t is not None and t.is_alive()

    @property
    def snapshot(self):
        """The thread's last snapshot (None before its first chunk)."""
        return self._core.snapshot

    def latest(self) -> dict:
        """What the page draws: the thread's last snapshot while it trains (no wait for the lock
        it holds), else a fresh `run.snapshot()` (after a Step, a pause, or before any Play)."""
        snap = self._core.snapshot
        if self.alive and self.state == "running" and snap is not None:
            return snap
        return self.run.snapshot()

    @property
    def message(self) -> str:
        return self._core.error or self._core.message


def follow(tr: Training | None, run, playing: bool, stop: bool = False, **options) -> tuple[Training, str]:
    """The page's worker for `run` after its buttons: a new one when the run is new (the old
    thread stopped, its slot freed), then Stop, Play (start, restart or resume) or Pause.
    Returns (worker, refusal): the CapacityError's message when Play found the server full."""
    if tr is None or tr.run is not run:
        if tr is not None:
            tr.stop()
        tr = Training(run, **options)
    try:
        if stop:
            tr.stop()
        elif playing:
            tr.play()
        elif tr.alive:
            tr.pause()
    except CapacityError as err:
        return tr, str(err)
    return tr, ""


STATES = {"new": "ready: press Play", "running": "training", "paused": "paused", "finished": "finished",
          "stopped": "stopped: Play continues on a new thread", "failed": "failed"}


def pooled_state(playing: bool, step: int, total: int) -> str:
    """The state a run trained in the worker pool shows (lab.pool: it has no thread here)."""
    if step >= total:
        return "finished"
    return "running" if playing else "paused" if step else "new"


def status_line(state: str, step: int, total: int) -> str:
    return f"{STATES.get(state, state)}: step {step:,} of {total:,}"


def training_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]
