"""Runs in worker processes (lab.pool): the same numbers as in the server, fair shares, a killed
worker costs only its run (one clear line, restart from the saved step), handles from several
threads, memory back after a drop, caps refuse with their message."""
from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time

import numpy as np
import pytest
from multiprocessing.connection import Connection

from lab.experiments.disjoint import DisjointConfig, DisjointRun
from lab.experiments.dirac_gan import DiracConfig
from lab.pool import Build, CapacityError, Caps, Pool, RemoteRun, WorkerLost, experiment_run
from lab.pool.seat import WorkerProc
from lab.seeds import with_seeds

CFG = DisjointConfig(steps=100_000, seed=3)
IDLE, DROP = 1.5, 3.0          # s of silence before a run pauses, and before it is set aside


def build(cfg=CFG, seeds: int = 1) -> Build:
    return Build(with_seeds, "disjoint", cfg, seeds, DisjointRun)


@pytest.fixture(scope="module")
def pool():
    """One worker: every run shares it (a worker with no run left is recycled, so a keeper stays)."""
    p = Pool(1, Caps(session_runs=6, server_runs=20, worker_mb=4000))
    keeper = RemoteRun(p, build(), "keeper")
    yield p
    del keeper
    p.close()


def _equal(a, b) -> None:
    """Snapshots equal: every array and number, recursively."""
    if isinstance(a, dict):
        assert set(a) == set(b)
        for k in a:
            _equal(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _equal(x, y)
    elif isinstance(a, np.ndarray) or hasattr(a, "numpy"):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def lost_line(run: RemoteRun) -> tuple[str, int]:
    """Poll a run whose worker was just killed until its call raises WorkerLost: the one line,
    and the step it says Restart continues from."""
    with pytest.raises(WorkerLost) as err:
        for _ in range(50):
            run.status()
            time.sleep(0.05)
    line = str(err.value)
    return line, int(re.search(r"Press Restart to continue from step (\d+)\.$", line).group(1))


class _Exited:
    """A stand-in worker's process: ended, exit code 0."""
    pid = 0

    def wait(self, timeout=None) -> int:
        return 0


def stand_in(serve) -> WorkerProc:
    """A WorkerProc whose worker is `serve(its end of the connection)` on a thread."""
    ours, theirs = socket.socketpair()
    w = WorkerProc(1.0, 1.0, spawn=lambda idle, drop: (_Exited(), Connection(ours.detach())))
    threading.Thread(target=serve, args=(Connection(theirs.detach()),), daemon=True).start()
    return w


def test_a_remote_run_equals_an_in_process_run(pool):
    remote = RemoteRun(pool, build(), "equal")
    local = with_seeds("disjoint", CFG, 1, DisjointRun)
    for k in (7, 13):
        remote.advance(k)
        local.advance(k)
    assert remote.step == local.step == 20 and remote.total == local.total and remote.members == 1
    assert remote.metrics() == local.metrics()
    assert remote.member_metrics() == local.member_metrics()
    _equal(remote.snapshot(), local.snapshot())
    assert remote.history == local.history
    assert remote.theta == local.theta and remote.noise(3) == local.noise(3)     # run-specific, forwarded
    live = DisjointConfig(steps=100_000, seed=3, instance_noise=0.5)
    assert remote.retune(live) and local.retune(live) and remote.cfg == live
    remote.advance(5)
    local.advance(5)
    assert remote.metrics() == local.metrics()
    remote.drop()


def test_two_sessions_on_one_worker_get_equal_shares_and_the_asked_rate_holds(pool):
    dirac = Build(experiment_run, "dirac_gan", DiracConfig(steps=100_000))     # ~400 steps/s: many slices
    a, b = RemoteRun(pool, dirac, "share-a"), RemoteRun(pool, dirac, "share-b")
    slow = RemoteRun(pool, dirac, "share-slow")          # held to 20 steps/s
    s0 = slow.step
    for r in (a, b):
        r.play(1e6)
    slow.play(20)
    t0 = time.perf_counter()
    # Shares are counted once both play: a alone until b's Play arrived (a moment, or on a busy
    # CI machine most of a second: a 612 to b 337 when counted from before Play) is not a share.
    a0, b0 = a.status()["step"], b.status()["step"]
    time.sleep(3.0)
    sa, sb = a.status(), b.status()
    ss, took = slow.status(), time.perf_counter() - t0
    assert pool.sessions_playing() == 3
    for r in (a, b, slow):
        r.pause()
    da, db = sa["step"] - a0, sb["step"] - b0
    assert da > 20 and db > 20
    assert 0.6 < da / db < 1.0 / 0.6, (da, db)
    assert sa["sessions"] == 3
    assert 0.5 * 20 * took <= ss["step"] - s0 <= 20 * took + 20 * 0.5 + 2, ss     # the token bucket's burst at most
    for r in (a, b, slow):
        r.drop()


def test_a_killed_worker_costs_its_run_only_and_restart_resumes_from_the_saved_step(pool):
    run = RemoteRun(pool, build(), "crash")
    run.advance(12)                          # Step saves the restart point
    run.play(1e6)
    time.sleep(0.3)
    os.kill(run.worker_pid, signal.SIGKILL)
    line, saved = lost_line(run)
    assert "stopped (SIGKILL)" in line and "\n" not in line
    assert saved >= 12                        # Step's save, or Play's (taken as play began)
    with pytest.raises(WorkerLost):          # every later call: the same line, no hang
        run.snapshot()
    other = RemoteRun(pool, build(), "crash-other")         # the pool answers new runs
    other.advance(3)
    assert other.step == 3
    run.restart()
    assert run.step == saved and not run.lost
    fresh = with_seeds("disjoint", CFG, 1, DisjointRun)
    fresh.advance(saved)
    run.advance(5)
    fresh.advance(5)
    assert run.metrics() == fresh.metrics()                   # resumed, not restarted from scratch
    run.drop()
    other.drop()


def test_handles_from_several_threads_at_once(pool):
    runs = [RemoteRun(pool, build(), f"threads-{i}") for i in range(2)]
    errors = []

    def hammer(i: int) -> None:
        try:
            for j in range(8):
                r = runs[(i + j) % 2]
                r.advance(1)
                assert "history" in r.snapshot()
                r.metrics()
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.step for r in runs) == 32
    for r in runs:
        r.drop()


def test_commands_from_several_threads_are_pipelined_and_each_gets_its_own_answer():
    """A worker gets the next thread's command before it has answered the one before (here a
    stand-in worker that answers only once it holds 4 commands: with one round trip at a time
    under the lock, as before, it never got them), and the answers, sent in order, reach the
    threads that asked. An error comes back to its own caller; a worker gone is WorkerLost."""
    def serve(worker_end) -> None:
        held = [worker_end.recv() for _ in range(4)]
        for op, rid, args, kwargs in held:
            worker_end.send(("ok", (op, rid, args)))
        op, *_ = worker_end.recv()
        worker_end.send(("err", ValueError(f"no {op}")))
        worker_end.close()

    w = stand_in(serve)
    answers = {}
    threads = [threading.Thread(target=lambda i=i: answers.update({i: w.request("snapshot", i, i * 10)}), daemon=True)
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert answers == {i: ("snapshot", i, (i * 10,)) for i in range(4)}
    with pytest.raises(ValueError, match="no metrics"):
        w.request("metrics", 7)
    with pytest.raises(WorkerLost, match=r"stopped \(exit code 0\)"):
        w.request("status", 8)
    with pytest.raises(WorkerLost):                  # and at once from then on
        w.request("status", 9)


def test_an_answer_asked_ahead_is_read_later_and_a_forgotten_one_is_dropped_whenever_it_comes():
    """Seat.ask_ahead: the command goes out at once (the stand-in answers only once it holds all
    three), its answer is read as it comes (the worker never waits to send it) and kept until
    asked for; a forgotten answer, come before or after the forget, is dropped (nothing kept
    for nobody), and the next request gets its own answer."""
    release = threading.Event()

    def serve(worker_end) -> None:
        held = [worker_end.recv() for _ in range(3)]
        for op, rid, args, kwargs in held[:2]:
            worker_end.send(("ok", (op, rid)))
        release.wait(10)
        worker_end.send(("ok", held[2][:2]))
        for _ in range(4):
            op, rid, *_ = worker_end.recv()
            worker_end.send(("ok", (op, rid)))

    w = stand_in(serve)
    first, gone, late = (w.ask_ahead("call", rid, "snapshot") for rid in (1, 2, 3))
    assert first.get() == ("call", 1)
    deadline = time.monotonic() + 10
    while 1 not in w._answers and time.monotonic() < deadline:   # read as it came, kept for its asker
        time.sleep(0.01)
    assert w._answers == {1: ("ok", ("call", 2))}
    gone.forget()                                   # come already: dropped now
    late.forget()                                   # not come yet: dropped when it comes
    assert w._answers == {} and w._dropped == {2}
    release.set()
    assert w.request("status", 4) == ("status", 4)
    assert w._answers == {} and w._dropped == set()
    assert w.request("status", 5) == ("status", 5)
    kept = w.ask_ahead("call", 6, "snapshot")
    assert w.request("status", 7) == ("status", 7)  # 6's answer came first, and is kept...
    assert list(w._answers.values()) == [("ok", ("call", 6))]
    kept.forget()                                   # ...until forgotten
    assert w._answers == {} and w._dropped == set()


def test_a_worker_never_waits_to_send_an_answer_nobody_has_taken_yet():
    """An answer asked ahead is taken a tick later; meanwhile the worker must be free to train.
    A 16 MB answer (far over a socket's buffer) is sent in full with nobody asking for it:
    the connection's reader took it (before, the stand-in's send blocked until a request's
    thread came to read, and a VAE page's worker trained 4 steps/s instead of 20)."""
    sent = threading.Event()
    big = np.zeros(2 ** 21)                          # 16 MB

    def serve(worker_end) -> None:
        worker_end.recv()
        worker_end.send(("ok", big))
        sent.set()

    w = stand_in(serve)
    later = w.ask_ahead("call", 1, "snapshot")
    assert sent.wait(30)
    assert later.get().nbytes == big.nbytes


def test_a_playing_runs_snapshot_is_asked_a_tick_ahead_and_any_change_makes_it_fresh(pool):
    """While a run plays with look_ahead on (a live page's tick), each snapshot asks for the next
    at once: the next call gets that answer, which the worker gave at once (a few steps on), not
    the state after the page's wait. Pause (any command that changes the run) drops it: the
    snapshot after is the run's state now, and nothing is left behind on the connection."""
    dirac = Build(experiment_run, "dirac_gan", DiracConfig(steps=100_000))
    r = RemoteRun(pool, dirac, "ahead")
    r.play(1e6)
    r.look_ahead = 60.0
    s1 = r.snapshot()
    time.sleep(1.0)
    s2 = r.snapshot()                               # asked for as s1 came back
    now = r.status()["step"]
    assert s1["step"] <= s2["step"] and now - s1["step"] > 20
    assert s2["step"] - s1["step"] < 0.5 * (now - s1["step"]), (s1["step"], s2["step"], now)
    assert "snapshot" in r._later
    st = r.pause()
    assert "snapshot" not in r._later
    assert r.snapshot()["step"] == st["step"] == r.status()["step"]     # paused: its state now
    w = r._box[0]
    assert w._answers == {} and w._dropped == set()
    r.look_ahead = 0.0
    r.drop()


@pytest.mark.parametrize("look_ahead", [0.0, 60.0])
def test_play_on_sends_its_heartbeat_and_restart_point_ahead(pool, monkeypatch, look_ahead):
    """A playing run's re-sent Play (heartbeat) and its restart point go ahead, whether or not
    its snapshots do (look_ahead: a crowded server or not); the next call reads them (status and
    saved state up to date), so a live tick never waits for them. Starting is waited for."""
    from lab.pool import handle
    monkeypatch.setattr(handle, "PLAY_EVERY", 0.0)
    monkeypatch.setattr(handle, "SAVE_EVERY", 0.0)
    r = RemoteRun(pool, build(), "beat")
    r.look_ahead = look_ahead
    r.play(1e6)                                     # starting: sent and waited for, saved
    assert r._later == {} and r._saved is not None
    first_save = r._saved
    time.sleep(0.3)
    r.play(1e6)
    assert set(r._later) == {"beat", "save"}
    deadline = time.monotonic() + 20                # a loaded machine may give the worker no slice at once
    while time.monotonic() < deadline:
        time.sleep(0.3)
        r.play(1e6)                                 # reads both, sends both again
        assert set(r._later) == {"beat", "save"}
        if r._saved != first_save:
            break
    assert r._saved != first_save and r._status["step"] > 0 and r._status["playing"]
    r.pause()
    assert "beat" not in r._later
    r.drop()


def test_a_dropped_run_gives_its_memory_back(pool):
    """The last run of a worker dropped: the worker is recycled (its process ends)."""
    run = RemoteRun(pool, build(DisjointConfig(steps=1000, seed=0), seeds=8), "memory")
    w = run._box[0]
    others = [rid for rid in w.runs if rid != run._id]
    for rid in others:                     # leave the run alone on its worker
        w.runs.pop(rid)
    run.advance(3)
    before = w.request("rss")
    run.drop()
    w.proc.wait(20)
    assert w.proc.returncode == 0 and before > 50 * 2 ** 20


def test_a_run_dropped_while_the_server_shuts_down_does_not_stop_its_worker_twice():
    """close() (the server stopping) takes every worker and stops each; a run dropped meanwhile
    left its worker empty, and the drop started a second stop of the same worker: its connection
    was closed twice (OSError: Bad file descriptor, a traceback in the server's log on CI)."""
    p = Pool(1, Caps(session_runs=6, server_runs=20, worker_mb=4000))
    run = RemoteRun(p, build(), "closing")
    w = run._box[0]
    stops = []
    real_stop, w.stop = w.stop, lambda *a, **k: stops.append(threading.current_thread().name)
    try:
        p.close()                                    # stopping (here: only noted, not yet dead)
        p.forget(w, run._id)                         # the run's drop arrives meanwhile
        time.sleep(0.5)                              # a recycle thread would have run by now
        assert stops == [threading.current_thread().name]
    finally:
        real_stop()


def test_caps_refuse_with_the_message(pool):
    old = pool.caps
    pool.caps = Caps(session_runs=1, server_runs=20, worker_mb=4000)
    try:
        keep = RemoteRun(pool, build(), "capped")
        with pytest.raises(CapacityError, match="GENLAB_SESSION_RUNS=1"):
            RemoteRun(pool, build(), "capped")
        pool.caps = Caps(session_runs=5, server_runs=1, worker_mb=4000)
        with pytest.raises(CapacityError, match="The server is full.*GENLAB_SERVER_RUNS=1"):
            RemoteRun(pool, build(), "another")
        keep.advance(1)                       # saves its state: a few kB
        pool.caps = Caps(session_runs=5, session_mb=1e-3, server_runs=20, worker_mb=4000)
        with pytest.raises(CapacityError, match="GENLAB_SESSION_MB"):
            RemoteRun(pool, build(), "capped")
        pool.caps = Caps(session_runs=5, server_runs=20, worker_mb=1)
        pool.workers[0].rss_at = 0.0
        with pytest.raises(CapacityError, match="out of memory.*GENLAB_WORKER_MB=1 "):
            RemoteRun(pool, build(), "another")
        keep.drop()
    finally:
        pool.caps = old


def test_a_run_whose_training_fails_in_its_worker_says_why_and_is_not_played_again_unseen(pool):
    """The worker stops a run whose step raises; the page's next ticks (Play re-sent as its
    heartbeat) hear why and are not answered by a fresh Play that would hide it."""
    from tests.faulty_runs import FAIL_AT, FailingRun
    run = RemoteRun(pool, Build(FailingRun, CFG), "fails")
    st = run.play(1e6)
    assert st["playing"] and st["error"] == ""
    deadline = time.monotonic() + 30
    while not st.get("error") and time.monotonic() < deadline:
        time.sleep(0.3)
        st = run.play(1e6)            # a tick: the heartbeat goes ahead every PLAY_EVERY
    assert st["error"] == "Training stopped: FloatingPointError: the loss is nan", st
    assert not st["playing"] and st["step"] == FAIL_AT
    after = run.status()              # that tick did not start it again
    assert not after["playing"] and after["error"] == st["error"] and after["step"] == FAIL_AT
    again = run.play(1e6)             # Play pressed again: it retries, and fails the same way
    assert again["playing"] and again["error"] == ""
    deadline = time.monotonic() + 10
    while run.status()["playing"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.status()["error"] == st["error"]
    run.drop()


def test_tensors_travel_both_ways(pool):
    """A Build carrying a tensor, and a forwarded method answering with one: both arrive (sent
    with multiprocessing's pickler, torch passes a tensor as shared memory, and the answer never
    came: the asker waited forever)."""
    import torch
    from tests.faulty_runs import TensorRun
    out = {}

    def ask() -> None:
        try:
            run = RemoteRun(pool, Build(TensorRun, CFG, torch.arange(5.0)), "tensor")
            out["doubled"] = run.doubled()
            run.drop()
        except Exception as err:  # noqa: BLE001 - reported below
            out["error"] = err
    t = threading.Thread(target=ask, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "a tensor never arrived"
    assert "error" not in out, out
    assert torch.equal(out["doubled"], torch.arange(5.0) * 2)


def test_a_silent_run_pauses_then_is_set_aside_and_restarts_from_its_saved_step(pool):
    run = RemoteRun(pool, build(), "silent")
    run._box[0].request("configure", 0, IDLE, DROP)
    run.advance(4)
    run.play(50)
    time.sleep(IDLE + 0.7)
    st = run.status()
    assert not st["playing"] and "no page asked for this run" in st["message"]
    step = st["step"]
    time.sleep(1.0)
    assert run.status()["step"] == step                     # paused: no more steps
    time.sleep(DROP + 0.5)
    with pytest.raises(WorkerLost, match=r"set aside after .* Press Restart to continue from step 4\."):
        run.snapshot()
    run._box[0].request("configure", 0, 60.0, 600.0)
    run.restart()
    assert run.step == 4
    run.drop()


def test_a_run_with_seed_companions_restarts_from_step_0(pool):
    """Its saved state is the shown seed's alone: a restart rebuilds it, never half-loads it."""
    run = RemoteRun(pool, build(seeds=2), "seeds")
    run.advance(3)
    os.kill(run.worker_pid, signal.SIGKILL)
    with pytest.raises(WorkerLost, match="Press Restart to start it again"):
        for _ in range(50):
            run.status()
            time.sleep(0.05)
    run.restart()
    assert run.step == 0 and run.members == 2
    run.advance(2)
    assert run.step == 2
    run.drop()
