"""One worker process: it holds runs by id, answers the server's commands over one connection,
and between commands trains its playing runs itself.

Scheduling inside a worker (fair shares): the playing runs are grouped by session; each slice
(about SLICE seconds of training) goes to the session that has had the least training time so
far (CPU time of the training thread where the CPU trains, so that a slice another process
pre-empted is not charged for the wait; wall time where a GPU trains), and inside a session to
its run with the fewest steps (a page's runs stay at equal step counts, as the in-process
driver keeps them). A session that starts playing joins at the least
time of those already playing, so it neither waits nor takes back time it did not use. Each run
is held to the rate its page asked for (steps per tick / tick period; a token bucket) and stops
at its total. Commands come first: the connection is polled before every slice.

Each session's training is also capped at its share of a core (`share`, sent by the server with
Play: workers / sessions playing server-wide, Pool.fair_share): a session alone on a worker while
another worker holds two must not take twice their time. A share of 1 is no cap.

Heartbeat: any command on a run counts; a playing run that hears nothing for `idle_s` pauses
(the tab was closed), so it stops taking a share; after `drop_s` of silence it is dropped, so
its memory goes back even before Streamlit collects the closed session.

Lowered priority (os.nice, after start-up): the server's page runs come before training on a
busy machine.
"""
from __future__ import annotations

import gc
import os
import pickle
import time
from collections import deque

SLICE = 0.02            # s of training between two looks at the connection (a page's request waits
                        # for the slice in progress: at 0.05 s, 20 sessions' requests queued for seconds)
BURST = 0.5             # s of asked rate a run may catch up after a hiccup
RATE_WINDOW = 3.0       # s over which a run's steps/s is measured
SHARE_BURST = 0.25      # s of training a capped session may bank while waiting


def _gpu_trains() -> bool:
    """Whether runs here train on a GPU (lab.device.pick_device's "auto"): then a slice's work is
    not CPU time of this thread and fairness counts wall time."""
    global _GPU
    if _GPU is None:
        import torch
        _GPU = torch.cuda.is_available() or bool(getattr(torch.backends, "mps", None)
                                                and torch.backends.mps.is_available())
    return _GPU


_GPU: bool | None = None


class SetAside(LookupError):
    """The run was dropped by its worker after a long silence (its page was closed)."""


class Entry:
    """A run and its scheduling state."""

    def __init__(self, run, group: str):
        self.run, self.group = run, group
        self.playing = False
        self.rate = 0.0                  # asked steps/s while playing
        self.credit = 0.0                # steps it may take now (token bucket)
        self.started = time.monotonic()  # when it last started playing
        self.last_fill = time.monotonic()
        self.beat = time.monotonic()
        self.per_step = None             # s, moving average
        self.done: deque = deque()       # (start, end, steps) of recent slices
        self.message = ""
        self.error = ""                  # why training stopped in this process ("" : it did not)

    def steps_per_s(self, now: float) -> float:
        """Steps per wall-clock second over the last RATE_WINDOW s (or since it started playing)."""
        while self.done and now - self.done[0][1] > RATE_WINDOW:
            self.done.popleft()
        if not self.done:
            return 0.0
        span = max(now - max(self.done[0][0], self.started), 1e-3)
        return sum(n for _, _, n in self.done) / span

    def left(self) -> int:
        return max(int(self.run.total) - int(self.run.step), 0)


class Worker:
    def __init__(self, idle_s: float = 60.0, drop_s: float = 600.0):
        self.runs: dict[int, Entry] = {}
        self.used: dict[str, float] = {}     # training seconds per session since it last joined
        self.share: dict[str, float] = {}    # a capped session's share of a core (absent: no cap)
        self.allow: dict[str, tuple[float, float]] = {}   # capped session -> (seconds it may train, when)
        self.idle_s, self.drop_s = idle_s, drop_s
        self.set_aside: dict[int, str] = {}  # run id -> why it was dropped

    # ---- scheduling -------------------------------------------------------------------------
    def playing_groups(self) -> set[str]:
        return {e.group for e in self.runs.values() if e.playing and e.left() > 0}

    def _refill(self, e: Entry, now: float) -> None:
        e.credit = min(e.credit + e.rate * (now - e.last_fill), max(e.rate * BURST, 1.0))
        e.last_fill = now

    def set_aside_silent(self, now: float) -> None:
        """Drop runs no page asked about for `drop_s` (a closed tab whose session Streamlit has
        not yet collected): their memory goes back; the handle can restart from its saved state."""
        silent = [rid for rid, e in self.runs.items() if now - e.beat > self.drop_s]
        for rid in silent:
            self.set_aside[rid] = (f"This run was set aside after {self.drop_s / 60:.0f} minutes without a page "
                                   "watching it")
            del self.runs[rid]
        if silent:
            release_memory()

    def ready(self, now: float) -> list[Entry]:
        out = []
        for e in self.runs.values():
            if not e.playing:
                continue
            if now - e.beat > self.idle_s:
                e.playing = False
                e.message = f"paused: no page asked for this run for {self.idle_s:.0f} s"
                continue
            if e.left() == 0:
                continue
            self._refill(e, now)
            if e.credit >= 1.0 and self.allowance(e.group, now) > 0:
                out.append(e)
        return out

    def allowance(self, group: str, now: float) -> float:
        """Seconds of training a capped session may take now (its share of the time since it was
        last counted, banked up to SHARE_BURST); infinite when uncapped."""
        share = self.share.get(group)
        if share is None:
            return float("inf")
        left, at = self.allow.get(group, (SLICE, now))
        left = min(left + share * (now - at), SHARE_BURST)
        self.allow[group] = (left, now)
        return left

    def wait_time(self, now: float) -> float:
        """Until the next rate-limited or capped run may step (at most 0.5 s, so heartbeats are
        checked)."""
        waits = [(1.0 - e.credit) / e.rate for e in self.runs.values() if e.playing and e.rate > 0 and e.left()]
        owed = {g: self.allowance(g, now) for g in self.playing_groups() if g in self.share}
        waits += [-left / self.share[g] + 1e-3 for g, left in owed.items() if left <= 0]
        return max(0.0, min([0.5, *waits]))

    def pick(self, ready: list[Entry]) -> Entry:
        group = min({e.group for e in ready}, key=lambda g: self.used.get(g, 0.0))
        return min((e for e in ready if e.group == group), key=lambda e: e.run.step)

    def train_slice(self, e: Entry) -> None:
        k = max(1, int(SLICE / e.per_step)) if e.per_step else 1
        k = min(k, int(e.credit), e.left())
        t0, cpu0, start = time.perf_counter(), time.thread_time(), time.monotonic()
        try:
            e.run.advance(k)
        except Exception as err:  # a diverged run: it stops, the page shows the one line
            e.playing = False
            e.message = e.error = f"Training stopped: {type(err).__name__}: {err}"[:400]
            return
        took = time.perf_counter() - t0
        cpu = time.thread_time() - cpu0
        per = took / k
        e.per_step = per if e.per_step is None else 0.7 * e.per_step + 0.3 * per
        e.credit -= k
        now = time.monotonic()
        e.done.append((start, now, k))
        self.used[e.group] = self.used.get(e.group, 0.0) + (took if _gpu_trains() else cpu)
        if e.group in self.share:
            left, at = self.allow.get(e.group, (0.0, now))
            self.allow[e.group] = (left - took, at)

    # ---- commands ---------------------------------------------------------------------------
    def play(self, rid: int, rate: float, share: float = 1.0, again: bool = False) -> None:
        """`again`: Play re-sent to a playing run (its heartbeat): a run whose training failed
        stays stopped, so its page hears why; a Play pressed retries it."""
        e = self.runs[rid]
        if again and e.error and not e.playing:
            return
        if not e.playing:
            others = [self.used.get(g, 0.0) for g in self.playing_groups() if g != e.group]
            if e.group not in self.playing_groups():
                self.used[e.group] = min(others) if others else 0.0
                self.allow.pop(e.group, None)
            e.credit, e.last_fill = 0.0, time.monotonic()
            e.started, e.done = time.monotonic(), deque()
        e.playing, e.rate, e.message, e.error = True, max(float(rate), 0.0), "", ""
        if share < 1.0:
            self.share[e.group] = max(float(share), 0.01)
        else:
            self.share.pop(e.group, None)
            self.allow.pop(e.group, None)

    def pause(self, rid: int) -> None:
        self.runs[rid].playing = False

    def status(self, rid: int) -> dict:
        e, now = self.runs[rid], time.monotonic()
        return {"playing": e.playing, "message": e.message, "error": e.error, "step": int(e.run.step),
                "steps_per_s": e.steps_per_s(now), "sessions": len(self.playing_groups())}

    def handle(self, op: str, rid: int, args: tuple, kwargs: dict):
        if op == "create":
            build, group = args
            self.runs[rid] = Entry(build(), group)
            return self.describe(rid)
        if op == "ping":
            return os.getpid()
        if op == "rss":
            return rss_bytes()
        if op == "configure":          # tests: shorter silences
            self.idle_s, self.drop_s = float(args[0]), float(args[1])
            return None
        if op == "exit":
            raise SystemExit(0)
        if rid not in self.runs:
            raise SetAside(self.set_aside.get(rid, "This run no longer exists in its training process"))
        if op == "set_aside":          # the server: its session is gone
            self.set_aside[rid] = args[0]
            del self.runs[rid]
            release_memory()
            return None
        e = self.runs[rid]
        e.beat = time.monotonic()
        run = e.run
        if op == "drop":
            del self.runs[rid]
            if not any(x.group == e.group for x in self.runs.values()):
                for table in (self.used, self.share, self.allow):
                    table.pop(e.group, None)
            del e, run
            release_memory()
            return None
        if op == "play":
            self.play(rid, *args)
            return self.status(rid)
        if op == "pause":
            self.pause(rid)
            return self.status(rid)
        if op == "status":
            return self.status(rid)
        if op == "describe":
            return self.describe(rid)
        if op == "load_state":
            from lab import checkpoint
            run.load_state(checkpoint.from_bytes(args[0]))
            return self.describe(rid)
        if op == "getattr":
            value = getattr(run, args[0])
            return ("callable", None) if callable(value) else ("value", value)
        if op == "call":
            name, *rest = args
            out = getattr(run, name)(*rest, **kwargs)
            return (out, self.describe(rid)) if name in ("advance", "retune", "load_state") else (out, None)
        raise ValueError(f"unknown command {op!r}")

    def describe(self, rid: int) -> dict:
        """What the handle keeps locally: the protocol's cheap attributes."""
        run = self.runs[rid].run
        return {"cfg": run.cfg, "step": int(run.step), "total": int(run.total), "members": int(getattr(run, "members", 1)),
                "experiment": getattr(run, "experiment", ""), "type": type(run).__name__}


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def release_memory() -> None:
    """Give freed memory back to the system: glibc keeps freed arenas mapped otherwise."""
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def send_plain(conn, message) -> None:
    """`conn.send(message)` with the standard pickler. Connection.send pickles with
    multiprocessing's ForkingPickler, to which torch adds a reduction that passes a tensor as
    shared memory (a file descriptor handed over by a resource-sharer thread); over the pool's
    connection it never arrived, and the asker waited forever (a forwarded method that returned
    a tensor hung its page). Standard pickle copies the tensor's bytes, and the other side's
    `recv` reads either. A Ray mailbox (lab.pool.ray_worker) has no send_bytes and serialises
    its own way."""
    if hasattr(conn, "send_bytes"):
        conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    else:
        conn.send(message)


def _reply(conn, value) -> None:
    try:
        send_plain(conn, ("ok", value))
    except Exception as err:  # the answer does not pickle: say so instead of dying
        conn.send(("err", RuntimeError(f"the worker's answer could not be sent back: {type(err).__name__}: {err}")))


def _error(conn, err: BaseException) -> None:
    try:
        send_plain(conn, ("err", err))
    except Exception:
        conn.send(("err", RuntimeError(f"{type(err).__name__}: {err}"[:400])))


def main(conn, nice: int | None = None, idle_s: float = 60.0, drop_s: float = 600.0) -> None:
    """A worker process: start up, then serve the server's connection until it goes away."""
    start_up(nice)
    serve(conn, Worker(idle_s, drop_s))


def start_up(nice: int | None = None) -> None:
    """Start-up imports (torch, every experiment) run at normal priority, so the first run does
    not wait behind a busy server; training after them runs `nice` lower (GENLAB_WORKER_NICE,
    default 5: about a third of the server's weight on a busy core)."""
    from lab import experiments
    from lab.device import small_net_threads
    small_net_threads()
    for name in experiments.names():        # the first run of every page then builds at once
        try:
            experiments.get(name)
        except Exception:  # noqa: BLE001 - an experiment that cannot load fails when a page builds it
            pass
    try:
        os.nice(int(os.environ.get("GENLAB_WORKER_NICE", "5")) if nice is None else nice)
    except (OSError, AttributeError, ValueError):
        pass


def serve(conn, w: Worker) -> None:
    """The worker's loop: commands first, then one slice of training, until `exit` or the server
    goes away. `conn` is anything with Connection's poll/recv/send: a socket pair's end in a
    worker process, or a Ray actor's mailbox (lab.pool.ray_worker)."""
    while True:
        now = time.monotonic()
        w.set_aside_silent(now)
        ready = w.ready(now)
        try:
            has = conn.poll(0 if ready else w.wait_time(now))
        except (EOFError, OSError):
            return
        if has:
            try:
                op, rid, args, kwargs = conn.recv()
            except (EOFError, OSError):
                return                      # the server went away
            try:
                _reply(conn, w.handle(op, rid, args, kwargs))
            except SystemExit:
                conn.send(("ok", None))
                return
            except Exception as err:
                _error(conn, err)
            continue
        if ready:
            w.train_slice(w.pick(ready))

