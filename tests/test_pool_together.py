"""A page's several runs are built together: their Builds go out at once on the pool's pipelined
connection, so the worker builds them back to back instead of one round trip each (a late
joiner's discriminators page waited five). Each run is its own, equal to the one built here."""
from __future__ import annotations

import time

import pytest

import lab.pool
from lab.config import ConfigError
from lab.experiments.disjoint import DisjointConfig, DisjointRun
from lab.pool import Build, Caps, Pool, RemoteRun
from lab.seeds import with_seeds
from test_pool import _equal
from tests.faulty_runs import refused
from ui import pooled

SEEDS = (3, 4, 5)


def build(seed: int) -> Build:
    return Build(with_seeds, "disjoint", DisjointConfig(steps=100_000, seed=seed), 1, DisjointRun)


@pytest.fixture(scope="module")
def pool():
    p = Pool(1, Caps(session_runs=8, server_runs=20, worker_mb=4000))
    keeper = RemoteRun(p, build(9), "keeper")
    yield p
    del keeper
    p.close()


def sends(worker, monkeypatch) -> list:
    """Every command sent to `worker` from now on, by name."""
    sent, send = [], worker._send
    monkeypatch.setattr(worker, "_send", lambda op, rid, args, kw: sent.append(args[0] if op == "call" else op)
                        or send(op, rid, args, kw))
    return sent


def test_materialise_all_builds_the_runs_together_each_its_own(pool, monkeypatch):
    monkeypatch.setattr(lab.pool, "get_pool", lambda: pool)
    w, order = pool.workers[0], []
    sent, result = sends(w, monkeypatch), w._result

    def slow(ticket):                   # each answer read late: one at a time, all would wait
        time.sleep(0.3)
        order.append(sent.count("create"))
        return result(ticket)
    monkeypatch.setattr(w, "_result", slow)
    made = {f"s{s}": build(s) for s in SEEDS} | {"bad": Build(refused, DisjointConfig(seed=7)),
                                                   "local": "a run already"}
    runs = pooled.materialise_all(made)
    # every build was sent before the first build's answer was read (before: one, then its answer)
    assert sent.count("create") == 4 and [n for n in order if n][0] == 4, order
    monkeypatch.setattr(w, "_result", result)
    assert isinstance(runs["bad"], ConfigError) and "seed 7 is refused" in str(runs["bad"])
    assert runs["local"] == "a run already"
    for s in SEEDS:
        run = runs[f"s{s}"]
        assert isinstance(run, RemoteRun) and run.cfg.seed == s
        run.advance(4)
        here = DisjointRun(DisjointConfig(steps=100_000, seed=s))
        here.advance(4)
        _equal(run.snapshot(), here.snapshot())
    assert len({r._id for n, r in runs.items() if n.startswith("s")}) == len(SEEDS)
