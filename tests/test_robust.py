"""Robust mean estimation: the contamination model, every estimator against known answers,
the GAN estimators' behaviour with fixed seeds, theory lines, sweeps, the run and the CLI."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import optimize, stats

from lab.config import ConfigError
from lab.device import generator
from lab.experiments.robust_mean import RobustMeanConfig, RobustMeanRun
from lab.robust import estimators as E
from lab.robust import theory
from lab.data.huber import Contamination, sample_huber
from lab.robust.gan import GanEstimator, GanRecipe, outlier_auc
from lab.robust.sweeps import Sweep

ROOT = Path(__file__).resolve().parents[1]
CLASSICAL = ["mean", "cw_median", "geo_median", "trimmed_mean", "tukey"]


def data(n, p, eps, kind="far", mu=5.0, seed=0, theta=0.0):
    return sample_huber(n, p, eps, np.full(p, theta), Contamination(kind, mu), generator(seed))


# ---- the model ---------------------------------------------------------------------------
def test_contamination_proportions_and_locations():
    X, out = data(20_000, 3, 0.2, "far", 5.0, theta=1.0)
    share = out.float().mean().item()
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / 20_000)
    np.testing.assert_allclose(X[out].mean(0).numpy(), 5.0, atol=0.05)
    np.testing.assert_allclose(X[~out].mean(0).numpy(), 1.0, atol=0.03)
    np.testing.assert_allclose(X[~out].std(0).numpy(), 1.0, atol=0.03)
    Xp, outp = data(500, 3, 0.3, "point", 2.5)
    assert torch.all(Xp[outp] == 2.5)
    Xc, outc = data(20_000, 2, 0.5, "cauchy", 3.0)
    # a t_1 vector's marginals are standard Cauchy around the centre: quartiles at +-1
    q25, q75 = np.percentile(Xc[outc].numpy()[:, 0], [25, 75])
    assert abs(q25 - 2.0) < 0.08 and abs(q75 - 4.0) < 0.08


def test_same_seed_same_data_and_cluster_needs_2d():
    a, _ = data(100, 4, 0.2, seed=7)
    b, _ = data(100, 4, 0.2, seed=7)
    assert torch.equal(a, b)
    with pytest.raises(ConfigError, match="p=2"):
        Contamination("cluster").location(3)
    with pytest.raises(ConfigError, match="contamination"):
        Contamination("nowhere")


# ---- classical estimators ----------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSICAL)
def test_no_contamination_every_estimator_is_near_theta(name):
    X, _ = data(4000, 2, 0.0, theta=1.5)
    err = np.linalg.norm(E.estimate(name, X.double().numpy()) - 1.5)
    # E||mean - theta||^2 = p/n; the medians pay a factor pi/2 in variance
    assert 0.002 < err < 4 * math.sqrt(2 / 4000)


def test_mean_bias_formula_under_far_contamination():
    p, n, eps = 5, 40_000, 0.2
    X, _ = data(n, p, eps)
    err = np.linalg.norm(E.sample_mean(X.double().numpy()))
    q = Contamination("far", 5.0)
    assert theory.mean_bias(p, eps, np.zeros(p), q) == pytest.approx(eps * 5 * math.sqrt(p))
    assert err == pytest.approx(theory.mean_exact(n, p, eps, np.zeros(p), q), rel=0.03)


def test_cw_median_matches_its_population_bias():
    # per-coordinate bias 0.3186 at eps = 0.2, Q = N(5 1_p, I_p) (ANCHORS.md)
    q = Contamination("far", 5.0)
    big = theory.cw_median_exact(10**12, 1, 0.2, np.zeros(1), q)
    assert big == pytest.approx(0.3186, abs=5e-4)
    X, _ = data(40_000, 5, 0.2)
    err = np.linalg.norm(E.cw_median(X.double().numpy()))
    assert err == pytest.approx(theory.cw_median_exact(40_000, 5, 0.2, np.zeros(5), q), rel=0.05)


def test_weiszfeld_matches_a_brute_force_minimiser_in_2d():
    X, _ = data(300, 2, 0.2, "far", 4.0, seed=3)
    X = X.double().numpy()
    cost = lambda y: np.linalg.norm(X - y, axis=1).sum()  # noqa: E731
    y = E.geo_median(X)
    ref = optimize.minimize(cost, X.mean(0), method="Nelder-Mead",
                            options=dict(xatol=1e-10, fatol=1e-12, maxiter=20_000)).x
    assert np.linalg.norm(y - ref) < 1e-4
    assert cost(y) == pytest.approx(cost(ref), rel=1e-9)
    assert np.linalg.norm(y - X.mean(0)) > 0.3        # and it is not the mean


def test_trimmed_mean_is_scipys_and_a_sort_and_slice():
    X, _ = data(1000, 3, 0.2, seed=4)
    X = X.double().numpy()
    got = E.trimmed_mean(X, 0.2)
    np.testing.assert_allclose(got, stats.trim_mean(X, 0.2, axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got, np.sort(X, 0)[200:800].mean(0), rtol=0, atol=1e-12)
    with pytest.raises(ConfigError, match="trim"):
        E.trimmed_mean(X, 0.5)


def test_tukey_median_of_a_symmetric_cloud_is_its_centre():
    # A centrally symmetric set has depth 1/2 at its centre, the deepest possible.
    Y = np.random.default_rng(0).standard_normal((250, 2)) * [1.0, 3.0] + [[5.0, 5.0]]
    X = np.vstack([Y, 2 * 1.0 - Y])                      # symmetric about (1, 1)
    np.testing.assert_allclose(E.tukey_median(X), [1.0, 1.0], atol=0.03)
    Z = np.vstack([Y, -Y])[:, [0, 1, 0]] * [1, 1, -1]    # 3-D, symmetric about 0
    assert np.linalg.norm(E.tukey_median(Z, seed=1)) < 0.1


def test_tukey_refuses_high_dimension_with_a_clear_message():
    X = np.zeros((50, E.TUKEY_MAX_P + 1))
    with pytest.raises(ConfigError, match=f"p={E.TUKEY_MAX_P}"):
        E.tukey_median(X)
    assert "tukey" not in E.applicable(E.TUKEY_MAX_P + 1)
    assert "tukey" in E.applicable(E.TUKEY_MAX_P)


# ---- GANs --------------------------------------------------------------------------------
def test_js_gan_beats_the_coordinatewise_median_on_far_contamination():
    X, out = data(2000, 4, 0.2, seed=0)
    g = GanEstimator(X, GanRecipe(batch=100, epochs=60, avg_epochs=10), seed=0)
    g.run()
    gan_err = np.linalg.norm(g.estimate())
    med_err = np.linalg.norm(E.cw_median(X.double().numpy()))
    assert 0.01 < gan_err < 0.2 and med_err > 0.5      # measured: 0.088 vs 0.585
    assert np.linalg.norm(g.start) == pytest.approx(med_err, rel=1e-5)   # started at the median
    assert outlier_auc(g, X, out) > 0.99                 # D has found the outliers


def test_tv_gan_is_robust_too():
    X, _ = data(2000, 2, 0.2, seed=1)
    g = GanEstimator(X, GanRecipe(loss="tv", batch=100, epochs=60, avg_epochs=10), seed=1)
    assert 0.005 < np.linalg.norm(g.run()) < 0.15        # measured 0.049; the median: 0.45


def test_no_hidden_layer_discriminator_only_matches_means():
    # JS_g = 0 iff the means agree (note 002): eta -> (1 - eps) theta + eps E_Q X, the mean.
    X, _ = data(2000, 2, 0.2, seed=1)
    g = GanEstimator(X, GanRecipe(hidden=(), batch=100, lr_g=0.1, epochs=100, avg_epochs=20), seed=1)
    eta = g.run()
    assert np.linalg.norm(eta - X.mean(0).double().numpy()) < 0.12     # measured 0.019
    assert np.linalg.norm(eta) > 1.2                                   # theta is at 0


def test_gan_is_deterministic_and_steppable():
    X, _ = data(600, 3, 0.2, seed=2)
    r = GanRecipe(batch=100, epochs=10, avg_epochs=4)
    a, b = GanEstimator(X, r, 5), GanEstimator(X, r, 5)
    a.step(3)
    a.step(a.total - 3)
    b.run()
    assert a.total == math.ceil(10 * 6 / 5) and a.done
    np.testing.assert_array_equal(a.estimate(), b.estimate())
    assert not np.array_equal(a.estimate(), a.start.double().numpy())


def test_recipe_rejects_bad_values():
    with pytest.raises(ConfigError, match="loss"):
        GanRecipe(loss="kl")
    with pytest.raises(ConfigError, match="avg_epochs"):
        GanRecipe(epochs=10, avg_epochs=11)


# ---- the run, sweeps, figures, CLI -------------------------------------------------------
def test_run_metrics_snapshot_and_determinism():
    cfg = RobustMeanConfig(n=800, p=2, batch=100, epochs=10, avg_epochs=4, seed=3)
    a, b = RobustMeanRun(cfg), RobustMeanRun(cfg)
    a.advance(a.total)
    b.advance(5)
    b.advance(b.total)
    assert set(a.metrics()["error"]) == {*CLASSICAL, "js_gan", "tv_gan", "js_linear"}
    assert a.metrics()["error"] == b.metrics()["error"]
    snap = a.snapshot()
    assert snap["points"].shape == (800, 2) and snap["heat"]["z"].shape == (80, 80)
    assert 0 <= snap["heat"]["z"].min() and snap["heat"]["z"].max() <= 1
    from lab.figures.robust_mean import comparison_rows, errors_figure, history_figure, scatter_figure
    fig = scatter_figure(snap)
    assert any(t.type == "heatmap" for t in fig.data)
    assert errors_figure(snap["metrics"]).data and history_figure(snap).data
    rows = comparison_rows(snap["metrics"])
    assert [r["breakdown point"] for r in rows][:2] == ["0", "1/2"]


def test_config_errors_name_the_key():
    for bad, key in [({"contamination": "cluster", "p": 3}, "cluster"), ({"hidden": "a"}, "hidden"),
                     ({"estimators": "mean,foo"}, "estimators"), ({"p": 20, "estimators": "tukey"}, "tukey"),
                     ({"eps": 0.6}, "eps")]:
        with pytest.raises(ConfigError, match=key):
            RobustMeanConfig(**bad)


def test_sweep_over_eps_follows_the_theory_and_can_stop():
    base = RobustMeanConfig(n=3000, p=3, estimators="mean,cw_median")
    s = Sweep(base, "eps", [0.0, 0.1, 0.3], reps=2)
    seen = [done for done, total in s.iterate() if done < 4 or True]
    assert seen == [1, 2, 3, 4, 5, 6]
    res = s.result()
    mean_err = np.mean(res["errors"]["mean"], axis=1)
    np.testing.assert_allclose(mean_err[1:], [0.1 * 5 * math.sqrt(3), 0.3 * 5 * math.sqrt(3)], rtol=0.08)
    assert res["theory"]["mean_bias"] == pytest.approx([0.0, 0.1 * 5 * math.sqrt(3), 0.3 * 5 * math.sqrt(3)])
    s2 = Sweep(base, "p", [2, 4], reps=3)
    for done, _ in s2.iterate():
        if done == 2:
            break                                           # cancelled: the rest stays empty
    errs = np.array(s2.result()["errors"]["mean"])
    assert np.isfinite(errs[:, 0]).all() and np.isnan(errs[:, 1:]).all()
    assert len(s2.rows()) == 4


def test_cli_writes_the_error_mapping(tmp_path):
    out = tmp_path / "rm"
    cmd = [sys.executable, "-m", "lab", "run", "robust_mean", "n=600", "p=2", "eps=0.2", "contamination=far",
           "q_mu=5", "estimators=mean,cw_median,js_gan", "epochs=6", "avg_epochs=2", "batch=100", "seed=1",
           "--out", str(out), "--quiet"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=120)
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["experiment"] == "robust_mean" and set(doc["metrics"]["error"]) == {"mean", "cw_median", "js_gan"}
    assert 0.8 < doc["metrics"]["error"]["mean"] < 2.0
    bad = subprocess.run(cmd[:5] + ["eps=0.7", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "eps" in lines[0]
