"""The one live driver under every page: it builds, retunes or keeps a page's runs from its
configs, and trains them in time-boxed ticks of a Streamlit fragment while Play is on.

Why time-boxed: a tick longer than the fragment's timer makes the browser's timer requests queue
behind it, so redraws fall to one per tick, Pause waits for the queue (3 of 5 presses ignored for
40 s on the mode-collapse page when a tick trained 1.5 s on a 0.2 s timer), and on a busy
machine a late tick's charts went blank. So training gets TICK_SHARE of the timer's period
minus the measured drawing time. GAN Lab throttles drawing the same way.

Why locks: every run method takes the run's own lock (lab.run.Run), so a script rerun, this
fragment's tick, a deferred download and a worker thread never touch one run's tensors at
once. The driver itself only calls the protocol.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import threading
import time
from typing import Any, Callable

import streamlit as st

from lab.config import ConfigError

SENT_WAIT_S = 0.5   # s a tick waits at most for its output to leave (ui.delivery)
TICK_SHARE = 0.8   # of the fragment timer's period one tick may use (1.0 measured 4.7 redraws/s, 0.8 5.0/s)
log = logging.getLogger("genlab")
SCRIPT_THREAD = "ScriptRunner.scriptThread"      # the name Streamlit gives every script-run thread


def let_script_runs_finish(timeout: float = 10.0) -> None:
    """At interpreter exit (`streamlit run` stopped by Ctrl-C or SIGTERM): wait for script runs
    still in flight. They are daemon threads; one inside torch when the interpreter tears down
    aborts the process ("terminate called without an active exception", exit code 134), seen
    when the server stopped just after a class of 12 opened it. A run or a live tick is
    time-boxed, so this waits about one tick."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name == SCRIPT_THREAD and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


atexit.register(let_script_runs_finish)


# ---- one session, several script threads -----------------------------------------------------
# Streamlit answers a click by starting a new script thread at once and asking the old one to stop
# at its next Streamlit call ("fast reruns"); until then both run. Seen here: a Step pressed just
# after a CSV upload trained a run that the slower upload rerun, finishing later, replaced with a
# fresh one. Turning fast reruns off instead left Pause unanswered for 30 s behind the live
# fragment's ticks. So every full run takes a number when it starts (genlab.py), and only the
# newest run of a session may build or replace that session's runs; an older one, still finishing,
# draws what is there. A run's own lock guards its tensors either way.
_seq_lock = threading.Lock()
_thread = threading.local()


# Page runs first. All sessions draw in this one process, under one GIL: with 20 sessions'
# live ticks runnable, a student opening a page got a twentieth of it and waited 10 s. So while
# any session's full run is in flight, a playing page's tick waits before drawing (sleeping, so
# the GIL is free), for its period's slack or PAGE_FIRST_S, the longer: a tick that outlasts its
# period is still seen, since it waits for its output to leave (ui.delivery).
# Waiting, not skipping: a fragment run that draws nothing blanks the live part of the page.
PAGE_FIRST_S = 1.0      # s a tick gives way at least, even past its period (its output is kept: ui.delivery)
IN_FLIGHT_S = 8.0       # s after which a full run that never said it ended (st.stop) no longer counts
_in_flight: dict[int, float] = {}       # thread id -> when its full run began


def begin_script_run() -> None:
    """Called at the top of every full run of the app (genlab.py). A full run the driver itself
    asked for to re-arm a fragment's timer (`respace`) is nobody's click or page: it does not
    make the others' ticks give way (20 sessions re-arming every 6 s or more kept one in flight
    most of the time)."""
    ss = st.session_state
    internal = ss.pop("genlab.respacing", False)
    with _seq_lock:
        n = ss.get("genlab.run_seq", 0) + 1
        ss["genlab.run_seq"] = n
        if not internal:
            _in_flight[threading.get_ident()] = time.monotonic()
    _thread.seq = n
    _thread.watched = set()


def end_script_run() -> None:
    """Called at the end of a full run of the app (genlab.py; a run that stopped early is forgotten
    after IN_FLIGHT_S)."""
    with _seq_lock:
        _in_flight.pop(threading.get_ident(), None)


def _full_run_in_flight() -> bool:
    now = time.monotonic()
    with _seq_lock:
        for ident, began in list(_in_flight.items()):
            if now - began > IN_FLIGHT_S:
                del _in_flight[ident]
        return bool(_in_flight)


def page_runs_first(most: float) -> float:
    """A live tick gives way: it sleeps while any session's full run is in flight, `most`
    seconds at most. Returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < most and _full_run_in_flight():
        time.sleep(0.05)
    return time.monotonic() - t0


def give_way_s(now_every: float, tick: float) -> float:
    """How long a tick may wait for other sessions' page runs: its period's slack, and at least
    PAGE_FIRST_S (a tick past its period is still seen: ui.delivery)."""
    from ui.pace import OVERRUN
    return max(PAGE_FIRST_S, now_every - OVERRUN * tick)


# Drawing slots. A page's figures are built in Python under the GIL: with 20 sessions drawing at
# once, the server's event loop (which sends every session's output and serves a joining
# student's page and files) got a small share of it. So at most DRAW_SLOTS ticks draw at a time,
# in the order they came (a waiting tick sleeps, the GIL free); asking workers for snapshots is
# outside (no GIL needed while waiting for an answer). bench_classroom, 20 sessions on 2 cores:
# no slots: joins p50/p95 5.8/7.6 s, redraws min/median 0.43/0.75; 2 slots: 4.8/6.1 s,
# 0.50/0.86; 1 slot: 3.9/5.3 s, 0.50/0.63 (every session 0.50-0.77: served in turn).
def _slots() -> int:
    try:
        return max(1, int(os.environ.get("GENLAB_DRAW_SLOTS", "1")))
    except ValueError:              # a typo in the setting: the default, never a broken app
        log.warning("GenLab: GENLAB_DRAW_SLOTS=%r is not a whole number; using 1",
                    os.environ.get("GENLAB_DRAW_SLOTS"))
        return 1


DRAW_SLOTS = _slots()
_draw_slot = threading.BoundedSemaphore(DRAW_SLOTS)


@contextlib.contextmanager
def drawing():
    """Hold a drawing slot (the live tick's `body`)."""
    _draw_slot.acquire()
    _thread.drawing = True
    try:
        yield
    finally:
        _thread.drawing = False
        _draw_slot.release()


@contextlib.contextmanager
def off_the_slot():
    """Inside a tick's drawing, a wait that needs no GIL (a run's lock held by its trainer for a
    chunk, up to 0.5 s on the image page) hands the slot to the next session meanwhile."""
    held = getattr(_thread, "drawing", False)
    if held:
        _thread.drawing = False
        _draw_slot.release()
    try:
        yield
    finally:
        if held:
            _draw_slot.acquire()
            _thread.drawing = True


def watching(ns: str) -> None:
    """The page drawn by this full run shows `ns`'s runs (keep_runs calls it): at the run's end,
    the session's runs under other namespaces stop training (ui.pooled.pause_unwatched)."""
    if not hasattr(_thread, "watched"):
        _thread.watched = set()
    _thread.watched.add(ns)


def watched() -> set[str] | None:
    """The namespaces this full run drew (None outside genlab.py's numbering)."""
    return getattr(_thread, "watched", None) if getattr(_thread, "seq", None) is not None else None


def is_newest_run() -> bool:
    """Whether this script thread is the session's newest full run (True outside genlab.py's
    numbering, e.g. a page run on its own in a test)."""
    mine = getattr(_thread, "seq", None)
    return mine is None or mine == st.session_state.get("genlab.run_seq")


class Latest:
    """The last drawn tick's snapshots, for the export buttons. Streamlit runs a deferred
    download on another thread, where st.session_state cannot be read: so the page hands the
    button this object, and each tick swaps in a new dict (one reference assignment, never a
    dict changing under a reader)."""

    def __init__(self) -> None:
        self.snaps: dict[str, dict] = {}


def latest(ns: str) -> Latest:
    return st.session_state.setdefault(f"{ns}.latest", Latest())


def keep_runs(ns: str, cfgs: dict[str, Any] | None, make: Callable[[str, Any], Any], reset: bool = False,
              token: Any = None) -> dict[str, Any]:
    """The page's runs, one per name in `cfgs`: kept when the config is unchanged, retuned in
    place when only live keys changed (`run.retune`), rebuilt otherwise, on Reset, or when
    `token` (what the config does not say, e.g. an uploaded file's hash) changed.
    `cfgs` None means a widget holds a bad value: the last good runs stay, so nothing is lost.
    A run that cannot be built shows its one-line error and the old one (if any) stays.
    `make` may return a lab.pool.Build instead of a run: the run then lives in a worker process
    when the pool is on (ui.pooled). A run whose worker died shows one line and a Restart button
    here, and the page stops there (Reset builds it anew)."""
    from lab.pool import WorkerLost
    from ui import plain, pooled
    ss = st.session_state
    watching(ns)
    runs: dict[str, Any] = ss.setdefault(f"{ns}.runs", {})
    if not reset:
        pooled.offer_restart(ns, runs)
    if cfgs is None or not is_newest_run():
        return runs
    fresh = reset or ss.get(f"{ns}.token") != token
    for name in [n for n in runs if n not in cfgs]:
        del runs[name]
    wanted = {}
    for name, cfg in cfgs.items():
        run = runs.get(name)
        try:
            if run is not None and not fresh and run.retune(cfg):
                continue
        except WorkerLost:
            pooled.offer_restart(ns, runs)
        wanted[name] = _outcome(make, name, cfg)
    built = pooled.materialise_all({n: m for n, m in wanted.items() if not isinstance(m, Exception)})
    if built and not is_newest_run():    # a newer run of this session started while these built
        return runs                      # (a run in a worker takes a moment): that one decides
    for name in wanted:
        made = built.get(name, wanted[name])
        if isinstance(made, ConfigError):
            st.error(plain(f"{name}: {made}" if len(cfgs) > 1 else made), icon=":material/error:")
        elif isinstance(made, Exception):
            raise made
        else:
            runs[name] = made
            ss.pop(f"{ns}.stopped", None)      # a training failure was the old run's
    ss[f"{ns}.token"] = token
    return runs


def _outcome(make: Callable, *args) -> Any:
    try:
        return make(*args)
    except ConfigError as err:     # shown by keep_runs with the run's name
        return err


def step_runs(runs: dict[str, Any], k: int, **options) -> None:
    """The Step button: k more steps for every run (each under its own lock), never past its total.
    A run in a worker steps there and waits for it; a worker lost meanwhile: the page's next run
    shows the one line and Restart."""
    from lab.pool import WorkerLost
    try:
        for run in runs.values():
            run.advance(min(k, max(run.total - run.step, 0)), **options)
    except WorkerLost:
        st.rerun()


def _train(ns: str, runs: dict[str, Any], k: int, budget: float) -> None:
    """Up to k more steps for every run, in small round-robin chunks (the runs stay at equal step
    counts), within `budget` seconds. A chunk is sized from the measured time per step to a
    quarter of the budget, so the time box holds for a heavy setting too (unroll 20, 1,000 steps
    per tick: a fixed k/5 chunk overran a 0.2 s tick fourfold and kept Pause waiting); each tick
    makes at least one step of progress."""
    clock = st.session_state.setdefault(f"{ns}.clock", {})
    per_step = clock.get("per_step")
    chunk = max(1, min(k // 5 or 1, int(0.25 * budget / per_step))) if per_step else 1
    t0 = time.perf_counter()
    done = 0
    while done < k and (done == 0 or time.perf_counter() - t0 < budget):
        step = min(chunk, k - done)
        t_chunk = time.perf_counter()
        for run in runs.values():
            run.advance(min(step, max(run.total - run.step, 0)))
        took = (time.perf_counter() - t_chunk) / step
        per_step = took if per_step is None else 0.7 * per_step + 0.3 * took
        done += step
        chunk = max(1, min(k // 5 or 1, int(0.25 * budget / max(per_step, 1e-7))))
    clock["per_step"] = per_step
    clock["train"] = time.perf_counter() - t0


def live(ns: str, runs: dict[str, Any], body: Callable[[dict[str, dict]], None], k: int, every: float = 0.2,
         snapshot: Callable[[Any], dict] | None = None, train: bool = True) -> None:
    """Draw `body(snaps)` in a fragment that reruns every `every` seconds while Play is on: only
    the live part of the page redraws, the controls stay put. Each tick trains (time-boxed, as
    above), takes every run's snapshot (`snapshot(run)`, default `run.snapshot()`), keeps them
    in st.session_state[f"{ns}.latest"] for the export buttons (which must read finished data,
    never a net in training), and draws. When every run has reached its total, Play switches
    itself off (a forgotten tab must not train forever). `train=False`: someone else trains
    (a background worker); the tick only draws.
    Runs in the worker pool (ui.pooled) train there: each tick asks them to play at k steps per
    period (or pause), then only draws, and says the session's share when others train too;
    under load the period grows (drawing slows before training does)."""
    from lab.device import small_net_threads
    from lab.pool import WorkerLost
    from ui import delivery, pace, plain, pooled
    from ui.transport import pause, playing
    ss = st.session_state
    watching(ns)
    take = snapshot or (lambda run: run.snapshot())
    remote = any(pooled.is_remote(r) for r in runs.values())
    now_every = pace.now_every(ns, every)

    calls = []                       # this full run's tick first, then the fragment's reruns

    @functools.wraps(body)           # the fragment keeps the page function's identity
    def tick() -> None:
        small_net_threads()          # a fragment rerun may run on a new thread
        clock = ss.setdefault(f"{ns}.clock", {})
        clock.update(every=every, train=0.0)
        # When a fragment rerun began: one that begins as the last tick ended was asked for while
        # it ran (ui.pace). A full run's own tick follows a click, not the timer: None.
        began = time.monotonic() if calls else None
        calls.append(1)
        if remote and playing(ns):     # another session's page being drawn goes first
            page_runs_first(give_way_s(now_every, clock.get("tick", 0.0)))
        t0, c0 = time.perf_counter(), time.thread_time()
        calm = pace.uncrowded()          # every playing session has a worker of its own
        share = ""
        try:
            if remote:
                # Snapshots asked for a tick ahead (the worker answers while the page waits), so
                # a tick's own time is its drawing; not beyond the classroom's MAX_EVERY, and
                # only while each playing session has a worker of its own (pace.look_ahead).
                ahead = pace.look_ahead(now_every, calm)
                statuses = pooled.steer(ns, runs, playing(ns), k / every, ahead)
                share = pooled.share_line(statuses)
                if playing(ns) and (stopped := pooled.stopped_line(statuses)):   # shown until Play
                    pause(ns)
                    ss[f"{ns}.stopped"] = stopped
                    st.rerun(scope="app")
            elif train and playing(ns) and runs:
                draw = clock.get("draw", 0.0)
                # When the picture alone overruns the timer, redraws are slow whatever we do:
                # then train for half as long as we draw, not one chunk per tick.
                _train(ns, runs, k, max(TICK_SHARE * every - draw, 0.5 * draw))
            if playing(ns):
                ss.pop(f"{ns}.stopped", None)
            elif why := ss.get(f"{ns}.stopped"):
                st.error(plain(why), icon=":material/error:")
            snaps = {name: take(run) for name, run in runs.items()}
            latest(ns).snaps = snaps
            with drawing():
                body(snaps)
            # Under the read-outs: a line that comes and goes with other sessions must not move the
            # live figure (on a projector it stays above the fold at 1024x768).
            if share:
                st.caption(share, help="Training time is shared equally between the sessions playing now; "
                           "redraws slow down before training does.")
            delivery.wait_sent(SENT_WAIT_S)   # seen in the browser before the next tick can drop it
        except WorkerLost:            # the next full run shows the one line and Restart
            pause(ns)
            st.rerun(scope="app")
        except ConfigError as err:
            pause(ns)
            st.error(plain(err), icon=":material/error:")
            return
        except Exception as err:  # a diverged run or a bug: one line on the page, the trace in the log
            log.exception("GenLab tick failed on %s", ns)
            pause(ns)
            st.error(plain(f"Training stopped: {type(err).__name__}: {err}"[:400]), icon=":material/error:")
            return
        spent = time.perf_counter() - t0
        drawn = spent - clock["train"]
        # A slow tick counts at once, a fast one slowly: one hiccup must not starve training.
        clock["draw"] = drawn if drawn > clock.get("draw", 0.0) else 0.7 * clock["draw"] + 0.3 * drawn
        cpu = time.thread_time() - c0          # drawing's own CPU (the training is in a worker)
        clock["draw_cpu"] = 0.7 * clock.get("draw_cpu", cpu) + 0.3 * cpu
        clock["drawn_at"] = time.monotonic()
        if playing(ns) and runs and all(r.step >= r.total for r in runs.values()):
            pause(ns)
            st.rerun(scope="app")
        # The tick's own time: training in the server fills what its period leaves (_train), so
        # only the rest (snapshots, drawing, a worker's answers) must fit in the period.
        clock["tick"] = pace.tick_time(clock, drawn, began, now_every, patient=calm)
        clock["ended_at"] = time.monotonic()
        load = pace.load_every(every, clock["draw_cpu"]) if remote else every
        if playing(ns) and pace.should_respace(ns, every, now_every, load, clock["tick"]):
            ss["genlab.respacing"] = True
            st.rerun(scope="app")

    st.fragment(tick, run_every=now_every if playing(ns) else None)()
