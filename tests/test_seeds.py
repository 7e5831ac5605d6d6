"""lab.seeds: a run with k - 1 seed companions. Each seed's metrics are its own single run's (the
companions train as one batched sweep, or one after another for an unrolled GAN), the summary is
numpy's mean / min / max, and live keys retune every seed."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from lab.experiments.mode_collapse import ModeCollapseConfig, ModeCollapseRun
from lab.seeds import summarise
from lab.sweep import SweepRun, seeded

SMALL = dict(width=16, depth=1, latent=4, batch=32, eval_every=10, steps=60, lr_d=1e-3, lr_g=1e-3)


def _single(cfg, seed, steps):
    run = ModeCollapseRun(dataclasses.replace(cfg, seed=seed))
    run.advance(steps)
    return run


@pytest.mark.parametrize("unroll", [0, 1])
def test_each_seed_is_its_single_run(unroll):
    cfg = ModeCollapseConfig(seed=5, unroll=unroll, **SMALL)
    run = seeded(cfg, 3)
    assert run.members == 3
    assert isinstance(run.others[0], SweepRun)       # the companions are one batched sweep, unrolled or not
    run.advance(40)
    rows = run.seed_table()
    assert [r["seed"] for r in rows] == [5, 6, 7]
    for r in rows:
        one = _single(cfg, r["seed"], 40)
        assert r["modes"] == one.history["modes"][-1]
        assert r["hq"] == pytest.approx(one.history["hq"][-1], abs=1e-12)


def test_summary_is_numpys_and_skips_infinite_in_the_mean():
    rows = [{"modes": 3, "kl": math.inf}, {"modes": 8, "kl": 0.5}, {"modes": 5, "kl": 1.5}]
    s = summarise(rows, ("modes", "kl"))
    assert s["modes"] == {"mean": pytest.approx(np.mean([3, 8, 5])), "min": 3.0, "max": 8.0, "n": 3}
    assert s["kl"]["mean"] == pytest.approx(1.0) and s["kl"]["max"] == math.inf and s["kl"]["min"] == 0.5


def test_snapshot_metrics_and_retune():
    cfg = ModeCollapseConfig(**SMALL)
    run = seeded(cfg, 4)
    run.advance(20)
    snap = run.snapshot()
    assert snap["seeds"]["k"] == 4 and len(snap["seeds"]["rows"]) == 4
    assert "scatter" not in snap and snap["step"] == 20 and "heat" in snap     # the shown run's picture
    m = run.metrics()
    assert m["seeds"] == 4 and m["modes_min"] <= m["modes_mean"] <= m["modes_max"]
    faster = dataclasses.replace(cfg, lr_d=5e-4)
    assert run.retune(faster)                     # a live key: every seed takes it in place
    assert run.primary.gan.opt_d.param_groups[0]["lr"] == 5e-4
    assert all(c.lr_d == 5e-4 for c in run.others[0].configs)
    assert run.retune(dataclasses.replace(cfg, unroll=2))       # live in the single run, and in its companions
    assert run.primary.gan.cfg.unroll == 2 and {g.model.unroll for g in run.others[0].groups} == {2}
    assert not run.retune(dataclasses.replace(cfg, width=8))    # structural: rebuild


def test_an_experiment_without_a_batched_sweep_trains_its_seeds_as_single_runs():
    from lab.experiments.robust_mean.config import RobustMeanConfig
    from lab.experiments.robust_mean.run import RobustMeanRun
    from lab.seeds import with_seeds

    def errors(run):
        return {f"error_{k}": v for k, v in run.metrics()["error"].items()}

    cfg = RobustMeanConfig(seed=3, n=400, epochs=2)
    run = with_seeds("robust_mean", cfg, 3, RobustMeanRun, numbers=errors)
    assert [type(r).__name__ for r in run.others] == ["RobustMeanRun"] * 2
    run.advance(10)
    rows = run.seed_table()
    assert [r["seed"] for r in rows] == [3, 4, 5]
    for r in rows:
        one = RobustMeanRun(dataclasses.replace(cfg, seed=r["seed"]))
        one.advance(10)
        assert r == pytest.approx({"seed": r["seed"], **errors(one)}, rel=1e-12)
    stats = run.snapshot()["seeds"]["stats"]
    assert stats["error_mean"]["max"] == pytest.approx(max(r["error_mean"] for r in rows))
    assert with_seeds("robust_mean", cfg, 1, RobustMeanRun).members == 1        # k = 1: the plain run


def test_a_key_with_no_finite_value_reads_inf_when_every_seed_is_infinite():
    s = summarise([{"kl": math.inf}, {"kl": math.inf}], ("kl",))
    assert s["kl"]["mean"] == math.inf and s["kl"]["n"] == 2
    assert math.isnan(summarise([{"kl": math.nan}], ("kl",))["kl"]["mean"])


def test_two_seeds_of_disjoint_read_the_batched_companion_as_members():
    """With 2 seeds the companion is a batched run of one member: its numbers come from its
    member list, not from the single run's `theta` (which it does not have)."""
    from lab.experiments.disjoint import DisjointConfig
    from lab.experiments.disjoint.run import DisjointRun
    from lab.seeds import with_seeds
    run = with_seeds("disjoint", DisjointConfig(steps=5), 2, DisjointRun)
    run.advance(2)
    m = run.metrics()
    assert m["seeds"] == 2
    assert m["abs_theta_min"] <= abs(run.primary.theta) <= m["abs_theta_max"]
    assert 1.9 < m["abs_theta_mean"] < 2.0
