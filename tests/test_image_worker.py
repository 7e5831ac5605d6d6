"""The background worker, one more driver of the run protocol: start, pause, resume, stop, play
again; the run's own lock is the only lock (a holder of it stops the worker, a Step from
another thread interleaves safely); the server-wide cap; and no training thread left behind
after stop, after the owner is dropped, or after the heartbeat goes quiet."""
from __future__ import annotations

import gc
import os
import sys
import threading
import time

import pytest

from lab.images import worker
from lab.images.worker import CapacityError, Training, training_threads


def _tiny_run(steps=100_000):
    from lab.experiments.image_gan import ImageGANConfig, make_run
    return make_run(ImageGANConfig(steps=steps, width=8, batch=8, latent=8, fd_every=0, fd_samples=0, device="cpu"))


def _until(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(autouse=True)
def _no_leftovers():
    gc.collect()                 # another test's dropped AppTest session stops its thread here...
    worker.stop_all()            # ...and any still running elsewhere in this process is stopped
    assert worker.running_count() == 0
    yield
    assert _until(lambda: not training_threads(), 30)
    assert worker.running_count() == 0


def test_start_pause_resume_stop_leaves_no_thread():
    t = Training(_tiny_run(), chunk_seconds=0.05)
    t.start()
    assert _until(lambda: t.snapshot is not None and t.run.step > 0)
    assert t.state == "running" and len(training_threads()) == 1
    assert t.snapshot["samples"].shape == (64, 1, 28, 28)
    t.pause()
    assert _until(lambda: t.state == "paused")
    time.sleep(0.2)                                # a chunk started just before the pause may end...
    with t.run.holding() as run:                   # ...and with the run's lock held, it has
        held = run.step
    time.sleep(0.3)
    assert t.run.step == held                      # paused means no more steps
    t.resume()
    assert _until(lambda: t.run.step > held)
    t.stop()
    assert not t.alive and t.state == "stopped"
    assert training_threads() == []


def test_dropping_the_owner_stops_the_thread():
    t = Training(_tiny_run(), chunk_seconds=0.05)
    t.start()
    assert _until(lambda: t.run.step > 0)
    assert len(training_threads()) == 1
    del t                       # what happens when Streamlit drops a finished session's state
    gc.collect()
    assert _until(lambda: not training_threads(), 30)


def test_silent_page_pauses_then_stops_the_training():
    t = Training(_tiny_run(), chunk_seconds=0.05, pause_after=0.3, stop_after=1.0)
    t.start()
    assert _until(lambda: t.state == "paused", 30)
    assert "nobody watched" in t.message
    assert _until(lambda: not t.alive, 30)
    assert t.state == "stopped" and "no heartbeat" in t.message


def test_stop_all_stops_every_thread():
    a, b = Training(_tiny_run(), chunk_seconds=0.05), Training(_tiny_run(), chunk_seconds=0.05)
    a.start()
    b.start()
    assert _until(lambda: len(training_threads()) == 2)
    worker.stop_all()
    assert training_threads() == [] and a.state == b.state == "stopped"


def test_run_to_the_end_finishes_and_frees_the_slot():
    t = Training(_tiny_run(steps=12), chunk_seconds=0.05)
    t.start()
    assert _until(lambda: t.state == "finished")
    assert t.run.step == 12 and not t.alive


def test_server_wide_cap_is_enforced_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(worker, "MAX_TRAININGS", 1)
    a, b = Training(_tiny_run(), chunk_seconds=0.05), Training(_tiny_run(), chunk_seconds=0.05)
    a.start()
    with pytest.raises(CapacityError, match=r"already running 1 training, the most it allows at once"):
        b.start()
    assert not b.alive and worker.running_count() == 1
    a.stop()
    b.start()                                      # the slot was given back
    assert _until(lambda: b.run.step > 0)
    b.stop()


def test_a_failing_run_reports_one_line_and_ends():
    run = _tiny_run()

    def broken(k, **options):
        raise RuntimeError("out of memory on the device")
    run._advance = broken
    t = Training(run)
    t.start()
    assert _until(lambda: t.state == "failed")
    assert t.message == "RuntimeError: out of memory on the device"


def test_the_run_s_own_lock_holds_the_worker_between_two_chunks():
    t = Training(_tiny_run(), chunk_seconds=0.05)
    t.start()
    assert _until(lambda: t.run.step > 0)
    with t.run.holding() as run:                   # what a download or an interpolation does
        held = run.step
        time.sleep(0.3)
        assert run.step == held                    # the worker waits for the lock, trains nothing
    assert _until(lambda: t.run.step > held)
    t.stop()


def test_step_from_another_thread_while_the_worker_trains_adds_up():
    """The page's Step and the worker both call run.advance: serialised by the run's lock,
    every step counted once, no exception."""
    t = Training(_tiny_run(), chunk_seconds=0.02)
    t.start()
    assert _until(lambda: t.run.step > 0)
    for _ in range(20):
        before = t.run.step
        t.run.advance(3)
        assert t.run.step >= before + 3
        snap = t.latest()
        assert snap["step"] <= t.run.step and snap["samples"].shape == (64, 1, 28, 28)
    t.stop()
    assert t.state == "stopped" and t.message == ""
    h = t.run.history["step"]
    assert h == sorted(h) and h[-1] == t.run.step


def test_play_after_stop_continues_the_same_run_on_a_fresh_thread():
    t = Training(_tiny_run(), chunk_seconds=0.05)
    t.play()
    assert _until(lambda: t.run.step > 0)
    t.stop()
    stopped_at, run = t.run.step, t.run
    t.play()
    assert t.alive and t.run is run
    assert _until(lambda: t.run.step > stopped_at)
    t.stop()
    assert worker.running_count() == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_the_training_thread_runs_lower_than_the_server_and_the_server_keeps_its_priority(monkeypatch):
    """The thread yields the cores to the server's page runs and its event loop (as the pool's
    workers do): its nice value is GENLAB_WORKER_NICE above the server's, the server's is unchanged."""
    monkeypatch.setenv("GENLAB_WORKER_NICE", "3")
    before = os.getpriority(os.PRIO_PROCESS, 0)
    tr = Training(_tiny_run())
    tr.start()
    try:
        tid = tr._core.thread.native_id
        assert _until(lambda: os.getpriority(os.PRIO_PROCESS, tid) == min(before + 3, 19), 10), \
            os.getpriority(os.PRIO_PROCESS, tid)
        assert os.getpriority(os.PRIO_PROCESS, 0) == before
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    finally:
        tr.stop()
