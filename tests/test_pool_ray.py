"""The worker pool on Ray (lab.pool.ray_worker), an optional extra: test_pool.py's checks that
apply, run on actors of a local Ray (2 CPUs, no dashboard), a lost actor, and Ray's start-up
lines. They need Ray (pip install -r requirements-ray.txt), are marked `ray` (`-m ray` runs them
alone) and skipped without it. The fallback when Ray cannot be imported runs always."""
from __future__ import annotations

import importlib.util
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import test_pool as base
from lab.experiments.disjoint import DisjointRun
from lab.pool import Caps, Pool, RemoteRun, WorkerLost
from lab.pool.seat import WorkerProc
from lab.pool.ray_worker import RayWorker, choose, runtime_env
from lab.seeds import with_seeds

HAS_RAY = importlib.util.find_spec("ray") is not None
ROOT = Path(__file__).resolve().parents[1]


def ray_only(test):
    return pytest.mark.ray(pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (requirements-ray.txt)")(test))


def on_ray(test):
    """A test of test_pool.py, run here on the Ray pool (this module's `pool` fixture); a new
    function, so the marks stay off test_pool.py's own."""
    def run(pool):
        test(pool)
    run.__name__ = run.__qualname__ = test.__name__
    run.__doc__ = test.__doc__
    return ray_only(run)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "genlab" and r.levelno >= logging.WARNING]


def test_genlab_ray_without_ray_falls_back_to_worker_processes_with_one_line(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "ray", None)          # `import ray` fails, installed or not
    monkeypatch.setenv("GENLAB_RAY", "ray://head:10001")
    with caplog.at_level(logging.WARNING, logger="genlab"):
        pool = Pool(3)
    try:
        assert pool.spawn is WorkerProc and pool.n == 3 and pool.workers == [None] * 3
        lines = _warnings(caplog)
        assert len(lines) == 1 and "\n" not in lines[0], lines
        assert lines[0].startswith("GenLab: GENLAB_RAY=ray://head:10001 but Ray could not be imported")
        assert lines[0].endswith("requirements-ray.txt); training in worker processes on this machine instead.")
    finally:
        pool.close()


@ray_only
def test_a_cluster_that_cannot_be_reached_falls_back_with_one_line():
    """In a process of its own: the connection it gave up on goes on in a thread there."""
    code = ("import logging\nlogging.basicConfig(format='%(name)s|%(message)s')\n"
            "from lab.pool import Pool\np = Pool(3)\nprint(p.spawn.__name__, p.n)")
    env = {**os.environ, "GENLAB_RAY": "127.0.0.1:9", "GENLAB_RAY_CONNECT_S": "3"}     # the discard port
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["WorkerProc", "3"]
    lines = [line.split("|", 1)[1] for line in r.stderr.splitlines() if line.startswith("genlab|")]
    assert lines == ["GenLab: GENLAB_RAY=127.0.0.1:9 but Ray could not be reached (TimeoutError: no answer within "
                     "3 s); training in worker processes on this machine instead."], r.stderr[-2000:]
    assert time.monotonic() - t0 < 60


@ray_only
def test_genlab_ray_local_starts_a_ray_and_trains_there():
    """The server's own path, in a process of its own (before this module's Ray starts): connect
    answers as soon as Ray is up (not after its time limit), the pool is one actor per CPU, and a
    run trains on an actor after the thread that started Ray has handed it over."""
    code = ("import time\nt = time.perf_counter()\nfrom lab.pool import Pool, RemoteRun\nimport test_pool\n"
            "p = Pool(1)\nt = time.perf_counter() - t\nrun = RemoteRun(p, test_pool.build(), 's')\n"
            "run.advance(3)\nimport ray\ncpus = int(ray.cluster_resources()['CPU'])\n"
            "print(p.spawn.__name__, p.n == cpus, run.step, round(t, 1))")
    env = {**{k: v for k, v in os.environ.items() if k != "GENLAB_WORKERS"},
           "GENLAB_RAY": "local", "GENLAB_RAY_CONNECT_S": "40"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "tests", env={**env, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), env.get("PYTHONPATH", "")])}, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    kind, n, step, took = r.stdout.split()
    assert (kind, n, step) == ("RayWorker", "True", "3"), r.stdout
    assert float(took) < 30, took


@pytest.fixture(scope="module")
def ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False,      # a 2-core machine: Ray's own processes are heavy
             runtime_env=runtime_env())                # the checkout shipped, as connect() does
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def pool(ray):
    """One actor: every run shares it (as test_pool.py's one worker)."""
    p = Pool(1, Caps(session_runs=6, server_runs=20, worker_mb=4000), spawn=RayWorker)
    keeper = RemoteRun(p, base.build(), "keeper")
    yield p
    del keeper
    p.close()


@ray_only
def test_genlab_ray_sizes_the_pool_to_the_cluster(ray, monkeypatch):
    monkeypatch.setenv("GENLAB_RAY", "local")
    monkeypatch.delenv("GENLAB_WORKERS", raising=False)
    assert choose(5) == (RayWorker, 2)                 # one actor per cluster CPU
    monkeypatch.setenv("GENLAB_WORKERS", "3")
    assert choose(5) == (RayWorker, 5)                 # GENLAB_WORKERS says how many


test_a_remote_run_equals_an_in_process_run = on_ray(base.test_a_remote_run_equals_an_in_process_run)
test_two_sessions_on_one_worker_get_equal_shares_and_the_asked_rate_holds = on_ray(
    base.test_two_sessions_on_one_worker_get_equal_shares_and_the_asked_rate_holds)
test_handles_from_several_threads_at_once = on_ray(base.test_handles_from_several_threads_at_once)
test_caps_refuse_with_the_message = on_ray(base.test_caps_refuse_with_the_message)


@ray_only
def test_snapshots_come_back_as_writable_arrays(pool):
    """Pickled by the actor, not handed over by Ray's object store (read-only views there)."""
    run = RemoteRun(pool, base.build(), "writable")
    run.advance(2)
    arrays = [v for v in run.snapshot().values() if hasattr(v, "flags")]
    assert arrays and all(a.flags.writeable for a in arrays)
    run.drop()


@ray_only
def test_a_lost_actor_costs_its_run_only_and_restart_resumes_from_the_saved_step(pool, ray):
    run = RemoteRun(pool, base.build(), "crash")
    run.advance(12)                                    # Step saves the restart point
    run.play(1e6)
    time.sleep(0.3)
    ray.kill(run._box[0].actor)                        # as the server sees a node lost, or a crash on it
    line, saved = base.lost_line(run)
    assert line.startswith("The training process for this run stopped (its Ray actor or node was lost). ")
    assert "\n" not in line and saved >= 12
    with pytest.raises(WorkerLost, match=re.escape(line)):      # every later call: the same line, no hang
        run.snapshot()
    run.restart()                                      # on a new actor
    assert run.step == saved and not run.lost
    fresh = with_seeds("disjoint", base.CFG, 1, DisjointRun)
    fresh.advance(saved)
    run.advance(5)
    fresh.advance(5)
    assert run.metrics() == fresh.metrics()            # resumed, not restarted from scratch
    run.drop()


@ray_only
def test_a_dropped_run_gives_its_actor_back(pool, ray):
    """The last run of an actor dropped: the actor is killed, so its CPU and memory go back."""
    run = RemoteRun(pool, base.build(), "memory")
    w = run._box[0]
    for rid in [rid for rid in w.runs if rid != run._id]:       # leave the run alone on its actor
        w.runs.pop(rid)
    run.advance(3)
    run.drop()
    deadline = time.monotonic() + 20
    while not w.dead and time.monotonic() < deadline:
        time.sleep(0.1)
    assert w.dead == "stopped"
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(w.actor.pid.remote(), timeout=20)
