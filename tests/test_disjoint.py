"""Disjoint supports: the closed forms against scipy and quadrature, the lines sampler, the
theta-GAN on the recipes (lab.gan), the page's claims on fixed seeds, the Run protocol (pure
snapshots, live retunes, state files), old key names, the command line."""
from __future__ import annotations

import dataclasses
import functools
import json
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lab import cli, divergences, run as lab_run
from lab.config import ConfigError, from_strings, from_strings_noted
from lab.data.lines import Line
from lab.data.mixtures import Mixture
from lab.experiments import get
from lab.experiments.disjoint import DisjointConfig, DisjointRun, closed_forms as cf
from lab.experiments.disjoint.config import RECIPES, recipes_from_link
from lab.experiments.disjoint.trainer import ThetaGAN, sample_pair
from lab.gan import lipschitz, recipes

LOG2 = math.log(2)
SEEDS = (0, 1, 2)


def _pair(theta: float, s: float) -> tuple[Mixture, Mixture]:
    return Mixture((1.0,), ((0.0,),), (s,)), Mixture((1.0,), ((theta,),), (s,))


# ---- closed forms ----------------------------------------------------------------------------
def test_lines_values_and_derivatives():
    th = np.array([-2.0, -0.3, 0.0, 1e-6, 1.7])
    v, g = cf.lines(th), cf.lines_grad(th)
    np.testing.assert_array_equal(v["kl"], [np.inf, np.inf, 0, np.inf, np.inf])
    np.testing.assert_allclose(v["js"], [LOG2, LOG2, 0, LOG2, LOG2], rtol=0, atol=0)
    np.testing.assert_array_equal(v["tv"], [1, 1, 0, 1, 1])
    np.testing.assert_array_equal(v["w1"], np.abs(th))
    away = th != 0
    for key in ("kl", "js", "tv"):
        np.testing.assert_array_equal(g[key][away], 0.0)     # no direction to move
        assert np.isnan(g[key][~away]).all()
    np.testing.assert_array_equal(g["w1"][away], np.sign(th[away]))


def test_lines_w1_equals_the_twin_coupling():
    """W1 between the lines by an independent route: with the same y-samples, the optimal
    coupling pairs each real point with its fake twin, cost |theta| each; a random coupling
    costs more."""
    gen = torch.Generator().manual_seed(0)
    real = Line(0.0).sample(500, gen)
    for theta in (-1.3, 0.4, 2.0):
        fake = real.clone()
        fake[:, 0] = theta
        assert float((real - fake).norm(dim=1).mean()) == pytest.approx(abs(theta), rel=1e-6)
        perm = torch.randperm(500, generator=gen)
        assert float((real - fake[perm]).norm(dim=1).mean()) > abs(theta)
        assert float(cf.lines(theta)["w1"]) == abs(theta)


@pytest.mark.parametrize("theta,s", [(0.1, 1.0), (1.0, 1.0), (2.0, 0.5), (0.3, 0.2), (2.0, 0.3), (0.05, 0.05)])
def test_gaussians_match_quadrature(theta, s):
    """Closed forms and the JS trapezoid vs adaptive quadrature (lab.divergences)."""
    p, q = _pair(theta, s)
    g = cf.gaussians(theta, s)
    assert float(g["kl"]) == pytest.approx(divergences.divergence_1d("kl", p, q), rel=1e-7, abs=1e-10)
    assert float(g["js"]) == pytest.approx(divergences.divergence_1d("js", p, q), rel=1e-7, abs=1e-10)
    assert float(g["tv"]) == pytest.approx(divergences.divergence_1d("tv", p, q), rel=1e-7, abs=1e-10)
    assert float(g["w1"]) == pytest.approx(divergences.w1_1d(p, q), rel=1e-6)
    assert float(g["w1"]) == abs(theta)


@pytest.mark.parametrize("theta,s", [(0.7, 0.4), (3.0, 1.5), (1.0, 1.0)])
def test_closed_forms_vs_scipy_integrals(theta, s):
    """TV and JS straight from scipy.stats densities and scipy.integrate.quad; W1 from
    scipy.stats.wasserstein_distance on quantiles (exact for the pair up to the grid)."""
    lp = lambda x: stats.norm.logpdf(x, 0, s)          # noqa: E731
    lq = lambda x: stats.norm.logpdf(x, theta, s)      # noqa: E731
    lo, hi = -12 * s, theta + 12 * s

    def js(x):
        lm = np.logaddexp(lp(x), lq(x)) - LOG2
        return 0.5 * (np.exp(lp(x)) * (lp(x) - lm) + np.exp(lq(x)) * (lq(x) - lm))
    tv = integrate.quad(lambda x: 0.5 * abs(np.exp(lp(x)) - np.exp(lq(x))), lo, hi, points=[theta / 2], limit=200)[0]
    g = cf.gaussians(theta, s)
    assert float(g["tv"]) == pytest.approx(tv, rel=1e-8)
    assert float(g["js"]) == pytest.approx(integrate.quad(js, lo, hi, points=[theta / 2], limit=200)[0], rel=1e-7)
    u = (np.arange(20000) + 0.5) / 20000
    w1 = stats.wasserstein_distance(stats.norm.ppf(u, 0, s), stats.norm.ppf(u, theta, s))
    assert float(g["w1"]) == pytest.approx(w1, rel=1e-9)
    assert float(g["kl"]) == pytest.approx(integrate.quad(lambda x: np.exp(lp(x)) * (lp(x) - lq(x)), lo, hi)[0],
                                           rel=1e-7)


def test_js_approaches_log2_as_s_shrinks():
    """Numerical integration of the thin-Gaussian pair tends to the lines' JS = log 2."""
    theta = 1.0
    gaps = [LOG2 - divergences.divergence_1d("js", *_pair(theta, s)) for s in (1.0, 0.5, 0.25, 0.1)]
    assert all(a > b for a, b in zip(gaps, gaps[1:]))              # monotone in s
    assert gaps[0] == pytest.approx(LOG2 - 0.11142148, rel=1e-6)   # JS(N(0,1), N(1,1)) = 0.1114215
    assert 0 <= gaps[-1] < 1e-5
    assert float(cf.gaussians(theta, 0.01)["js"]) == pytest.approx(LOG2, abs=1e-12)
    assert float(cf.gaussians(theta, 0.01)["tv"]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("s", [0.3, 1.0, 2.5])
def test_gaussian_derivatives_vs_finite_differences(s):
    h = 1e-5
    for theta in (-1.1, 0.4, 2.0):
        analytic = cf.gaussians_grad(theta, s)
        for key in ("kl", "js", "tv", "w1"):
            fd = (cf.gaussians(theta + h, s)[key] - cf.gaussians(theta - h, s)[key]) / (2 * h)
            assert float(analytic[key]) == pytest.approx(float(fd), rel=1e-5, abs=1e-8), key


def test_js_gradient_vanishes_for_thin_gaussians():
    """The lecture's point in one line: JS's slope at theta = 1 dies as s -> 0, W1's stays 1."""
    slopes = [float(cf.gaussians_grad(1.0, s)["js"]) for s in (1.0, 0.3, 0.1, 0.03)]
    assert slopes[0] == pytest.approx(0.2, abs=0.05)
    assert 0 <= slopes[-1] < 1e-20
    assert float(cf.gaussians_grad(1.0, 0.03)["w1"]) == 1.0


# ---- the lines sampler (lab.data.lines) ------------------------------------------------------
def test_line_sampler():
    a, b = (Line(1.5).sample(5000, torch.Generator().manual_seed(3)) for _ in range(2))
    assert a.shape == (5000, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)                                        # seeded by the caller's generator
    assert (a[:, 0] == 1.5).all()
    assert stats.kstest(a[:, 1].numpy(), "uniform").pvalue > 0.01   # y ~ U[0, 1]
    thick = Line(-1.0, 0.3).sample(20000, torch.Generator().manual_seed(1))
    assert stats.kstest(thick[:, 0].numpy(), "norm", args=(-1.0, 0.3)).pvalue > 0.01
    assert 0 <= float(thick[:, 1].min()) and float(thick[:, 1].max()) <= 1


def test_sample_pair_shifts_the_fakes_by_theta():
    real, fake = sample_pair("gaussians", 0.3, -1.5, 20000, seed=4)
    assert float(fake[:, 0].mean() - real[:, 0].mean()) == pytest.approx(-1.5, abs=0.02)
    assert float(real[:, 0].std()) == pytest.approx(0.3, rel=0.03)
    np.testing.assert_allclose(np.sort(fake[:, 1])[::2000], np.arange(10) / 10, atol=0.02)  # U[0, 1] deciles


# ---- the trainer on the recipes --------------------------------------------------------------
def test_recipes_bring_their_papers_settings_with_this_experiments_scale():
    gp = ThetaGAN(DisjointConfig(recipe="wgan_gp"))
    assert isinstance(gp.opt_d, torch.optim.Adam) and isinstance(gp.constraint, lipschitz.GradientPenalty)
    group = gp.opt_d.param_groups[0]
    assert group["lr"] == 1e-3 and group["betas"] == (0.0, 0.9)    # WGAN-GP's betas; the scale's rate
    assert gp.constraint.lam == 10.0 and gp.recipe.d_steps == 5 and gp.lr_g == 0.02
    clip = ThetaGAN(DisjointConfig(recipe="wgan"))
    assert isinstance(clip.opt_d, torch.optim.RMSprop) and clip.opt_d.param_groups[0]["lr"] == 5e-5
    assert clip.constraint.c == 0.01 and clip.lr_g == 20.0 and clip.recipe.d_steps == 5
    js = ThetaGAN(DisjointConfig(recipe="gan"))
    assert js.objective.name == "minimax" and js.recipe.d_steps == 5 and js.opt_d.param_groups[0]["betas"] == (0.5, 0.9)
    assert ThetaGAN(DisjointConfig(recipe="ns")).objective.name == "ns"
    sn = ThetaGAN(DisjointConfig(recipe="wgan_sn"))
    assert any(hasattr(m, "parametrizations") for m in sn.net.modules())
    # Explicit keys beat the recipe and the scale; the page's line says which are yours.
    mine = DisjointConfig(recipe="wgan_gp", lr_d=3e-4, d_steps=2, gp_lambda=1.0)
    r = recipes.resolve(mine, mine.recipe_scale)
    assert (r.lr_d, r.d_steps, r.gp_lambda, r.lr_g) == (3e-4, 2, 1.0, 0.02)
    line = recipes.describe(mine, mine.recipe_scale)
    assert "lr_d 0.0003 (yours)" in line and "lr_g 0.02," in line and "d_steps 2 (yours)" in line


def test_theta_step_is_sgd_on_autograd_of_the_critic():
    """theta <- theta - lr_g * d/dtheta mean loss_G; same seed, same numbers."""
    cfg = DisjointConfig(recipe="wgan_gp", d_steps=1, lr_g=0.1, theta0=1.5, seed=3)
    a, b = ThetaGAN(cfg), ThetaGAN(cfg)
    out, out2 = a.step(), b.step()
    assert out == out2
    assert out["theta"] == pytest.approx(1.5 - 0.1 * out["grad"], rel=1e-6)
    assert out["grad"] != 0


def test_clip_keeps_weights_in_box():
    gan = ThetaGAN(DisjointConfig(recipe="wgan", steps=5))
    for _ in range(5):
        gan.step()
    assert max(float(p.detach().abs().max()) for p in gan.net.parameters()) == pytest.approx(0.01, abs=1e-9)


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_is_wired(recipe):
    run = DisjointRun(DisjointConfig(recipe=recipe, **get("disjoint").smoke))
    run.advance(run.total)
    assert run.step == 3 and np.isfinite(run.history["theta"]).all()
    assert run.history["theta"][-1] != run.cfg.theta0


# ---- the page's claims, on their seeds -------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _trained(**kw) -> tuple[dict, np.ndarray]:
    run = DisjointRun(DisjointConfig(**kw))
    run.advance(run.total)
    return run.metrics(), np.asarray(run.history["theta"])


@pytest.mark.parametrize("seed", SEEDS)
def test_wgan_gp_walks_theta_to_zero(seed):
    m, th = _trained(recipe="wgan_gp", seed=seed)
    assert len(th) == 300
    assert abs(th[-1]) < 0.1                       # measured: 0.002, 0.026, 0.001
    assert np.abs(th[-50:]).max() < 0.2            # settled near 0 (measured <= 0.154), not passing through
    assert m["lipschitz"] == pytest.approx(1.0, abs=0.3)   # GP: slope ~1 (measured 1.03-1.17)


@pytest.mark.parametrize("seed", SEEDS)
def test_minimax_js_gan_moves_a_few_percent_then_freezes(seed):
    m, th = _trained(recipe="gan", seed=seed)
    assert 0.01 < m["moved"] < 0.10                 # measured: 0.041, 0.037, 0.039
    assert np.abs(np.diff(th[-100:])).max() < 1e-6  # stopped (measured: exactly 0)
    assert 1e-12 < abs(m["push"]) < 1e-8            # measured ~2e-10: D saturated


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_non_saturating_js_gan_reaches_zero_even_on_the_lines(seed):
    _, th = _trained(recipe="ns", seed=seed)
    assert abs(th[-1]) < 0.05                       # measured: 0.0002, 0.0008 (seed 2: 0.003)


@pytest.mark.parametrize("recipe,seed", [("gan", 0), ("gan", 1), ("ns", 0)])
def test_instance_noise_rescues_the_js_gans(recipe, seed):
    m, th = _trained(recipe=recipe, instance_noise=1.0, seed=seed)
    assert abs(th[-1]) < 0.05                       # measured: 0.0017, 0.013 (gan); 0.0008 (ns)
    assert m["noise"] == 1.0


def test_annealed_noise_still_brings_theta_home():
    """"Tick anneal: does theta arrive before the noise is gone?" Yes on seed 0 (final -0.014)."""
    m, th = _trained(recipe="gan", instance_noise=1.0, noise_anneal=-1, seed=0)
    assert abs(th[-1]) < 0.05 and m["noise"] == 0.0


def test_a_weaker_d_lets_the_minimax_gan_move_further():
    """k = 1 D step per theta step: theta moves ~25% (measured 0.27, 0.24) instead of ~4%."""
    for seed in SEEDS[:2]:
        strong, _ = _trained(recipe="gan", seed=seed)
        weak, _ = _trained(recipe="gan", d_steps=1, seed=seed)
        assert 0.15 < weak["moved"] < 0.5 and weak["moved"] > 3 * strong["moved"]


def test_the_minimax_stall_is_a_matter_of_distance():
    """From theta0 = 0.25 the minimax GAN reaches 0 (measured final 0.0000, 0.022)."""
    for seed in SEEDS[:2]:
        _, th = _trained(recipe="gan", theta0=0.25, seed=seed)
        assert abs(th[-1]) < 0.05


def test_clipped_critic_needs_its_large_theta_rate():
    m, th = _trained(recipe="wgan", seed=0)
    assert 1e-4 < m["lipschitz"] < 1e-2             # K ~ 1e-3 (measured 6e-4)
    assert abs(th[-1]) < 0.1                        # with lr_g 20: measured 0.018
    slow, _ = _trained(recipe="wgan", lr_g=0.05, seed=0)
    assert 0.0 < slow["moved"] < 0.03               # with the JS-GANs' 0.05: measured 0.012


def test_overlapping_gaussians_let_the_minimax_gan_learn():
    _, th = _trained(recipe="gan", setup="gaussians", sigma=1.0)
    assert abs(th[-1]) < 0.1                        # measured: 0.017 (s = 1; at s = 0.01 it stalls at 1.92)


def test_gaussians_wgan_gp_does_not_run_off():
    """Trained in the plane, the GP critic can turn its slope when theta overshoots 0 (in 1-D it
    could not: theta ran off to -5.2 on 6 of 6 seeds)."""
    _, th = _trained(recipe="wgan_gp", setup="gaussians", seed=0)
    assert np.abs(th[-50:]).max() < 0.25            # measured: 0.174 (seed 1: 0.098)


# ---- the run: schedule, metrics, kept curves -------------------------------------------------
def test_noise_schedule():
    run = DisjointRun(DisjointConfig(recipe="ns", instance_noise=0.8, noise_anneal=5, steps=10))
    run.advance(10)
    np.testing.assert_allclose(run.history["noise"], 0.8 * np.maximum(0, 1 - np.arange(10) / 5))
    assert run.noise() == 0.0
    const = DisjointRun(DisjointConfig(recipe="ns", instance_noise=0.8, steps=3))
    const.advance(3)
    assert const.history["noise"] == [0.8, 0.8, 0.8]


def test_metrics_keys_and_closed_forms_at_theta0():
    run = DisjointRun(DisjointConfig(setup="gaussians", sigma=0.7, theta0=-1.2, steps=3, recipe="ns"))
    run.advance(3)
    m = run.metrics()
    g = cf.gaussians(-1.2, 0.7)
    for key in ("kl", "js", "tv", "w1"):
        assert m[f"{key}_exact"] == pytest.approx(float(g[key]), rel=1e-12)
    assert m["theta_final"] == run.history["theta"][-1]
    assert (m["lr_g"], m["lr_d"], m["d_steps"]) == (0.05, 1e-3, 5)
    snap = run.snapshot()
    n = len(snap["real"])
    assert snap["real"].shape == snap["fake"].shape == (n, 2) and n >= 50
    shown = run.gan.eval_base[:2 * n].numpy()                  # the fixed evaluation points, no noise here
    np.testing.assert_array_equal(snap["real"], shown[:n])
    np.testing.assert_allclose(snap["fake"][:, 0] - snap["theta"], shown[n:, 0], atol=1e-6)
    assert snap["gap_value"].shape == (241,) and np.isfinite(snap["gap_value"]).all()


def test_kept_curves_at_earlier_steps():
    run = DisjointRun(DisjointConfig(recipe="gan", steps=25))
    run.advance(25)
    kept = run.snapshot()["kept"]
    assert [k["step"] for k in kept] == [1, 5, 20]
    assert [k["theta"] for k in kept] == [run.history["theta"][i - 1] for i in (1, 5, 20)]
    assert all(((0 <= k["value"]) & (k["value"] <= 1)).all() for k in kept)   # D is a probability


# ---- the protocol -----------------------------------------------------------------------------
def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("recipe", ["wgan_sn", "wgan_gp"])
def test_snapshot_is_pure(recipe):
    """Twice the same snapshot; step and history untouched; the trajectory is the one of a run
    nobody looked at (spectral norm's power iteration does not move while drawing)."""
    cfg = DisjointConfig(recipe=recipe, steps=6)
    a, b = DisjointRun(cfg), DisjointRun(cfg)
    for _ in range(3):
        a.advance(2)
        hist = {k: list(v) for k, v in a.history.items()}
        s1, s2 = a.snapshot(), a.snapshot()
        assert _same(s1, s2)
        assert a.step == s1["step"] and a.history == hist
        a.metrics()
        b.advance(2)
    assert a.history == b.history


def test_retune_of_live_keys_keeps_theta_and_the_critic():
    cfg = DisjointConfig(recipe="wgan_gp", steps=20)
    run = DisjointRun(cfg)
    run.advance(10)
    gan, theta = run.gan, run.theta
    weights = [p.detach().clone() for p in gan.net.parameters()]
    new = dataclasses.replace(cfg, lr_g=0.1, lr_d=5e-4, d_steps=2, instance_noise=0.3, noise_anneal=50,
                              steps=40, gp_lambda=5.0)
    assert run.retune(new)
    assert run.gan is gan and run.theta == theta and run.step == 10 and run.total == 40
    assert all(torch.equal(p, w) for p, w in zip(gan.net.parameters(), weights))
    assert gan.opt_d.param_groups[0]["lr"] == 5e-4 and gan.constraint.lam == 5.0 and gan.recipe.d_steps == 2
    run.advance(1)
    assert run.history["theta"][-1] == pytest.approx(theta - 0.1 * run.history["grad"][-1], rel=1e-6)
    assert run.history["noise"][-1] == pytest.approx(0.3 * (1 - 10 / 50))
    assert not run.retune(dataclasses.replace(new, width=32))      # not live: the caller rebuilds
    assert not run.retune(dataclasses.replace(new, recipe="ns"))


def test_state_bytes_round_trip_continues_the_same_trajectory():
    cfg = DisjointConfig(recipe="wgan_gp", steps=30, seed=5)
    run = DisjointRun(cfg)
    run.advance(21)                               # past the kept step 20
    back = lab_run.load(run.state_bytes())
    assert isinstance(back, DisjointRun) and back.step == 21 and back.theta == run.theta
    assert [k["step"] for k in back.kept] == [1, 5, 20]
    np.testing.assert_array_equal(back.kept[-1]["value"], run.kept[-1]["value"])
    run.advance(5)
    back.advance(5)
    assert back.history["theta"] == run.history["theta"]


# ---- old key names --------------------------------------------------------------------------
@pytest.mark.parametrize("old,new", [("js_minimax", "gan"), ("js_ns", "ns"), ("wgan_clip", "wgan"),
                                     ("wgan_gp", "wgan_gp"), ("wgan_sn", "wgan_sn")])
def test_old_objective_reads_as_recipe(old, new):
    cfg, notes = from_strings_noted(DisjointConfig, {"objective": old})
    assert cfg.recipe == new
    assert len(notes) == 1 and "objective" in notes[0] and f"recipe={new}" in notes[0]


def test_old_rate_names():
    cfg, notes = from_strings_noted(DisjointConfig, {"d_lr": "0.01", "lr": "0.3"})
    assert (cfg.lr_d, cfg.lr_g) == (0.01, 0.3) and len(notes) == 2
    zero = from_strings(DisjointConfig, {"d_lr": "0", "lr": "0.0"})     # 0 was "the default"
    assert zero.lr_d is None and zero.lr_g is None
    with pytest.raises(ConfigError, match="lr_g"):
        from_strings(DisjointConfig, {"lr": "fast"})


def test_old_anneal_flag():
    on = from_strings(DisjointConfig, {"anneal": "true", "instance_noise": "0.8", "steps": "10"})
    off = from_strings(DisjointConfig, {"anneal": "false"})
    assert on.noise_anneal == -1 and on.anneal_steps() == 10 and off.noise_anneal == 0
    run = DisjointRun(dataclasses.replace(on, recipe="ns"))
    run.advance(10)                                # as the old anneal=true: 0.8 (1 - t / steps)
    np.testing.assert_allclose(run.history["noise"], 0.8 * (1 - np.arange(10) / 10))
    with pytest.raises(ConfigError, match="noise_anneal"):
        from_strings(DisjointConfig, {"anneal": "maybe"})


@pytest.mark.parametrize("key,value", [("setup", "plane"), ("recipe", "wgan_zz"), ("sigma", "0"),
                                       ("theta0", "9"), ("d_steps", "0"), ("noise_anneal", "-2"),
                                       ("seed", "-3"), ("lr_g", "0")])
def test_bad_config_names_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        from_strings(DisjointConfig, {key: value})


# ---- command line (in process: the same main() as `python -m lab`) ----------------------------
def test_cli_writes_metrics_and_reads_old_keys(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "disjoint", "steps=5", "objective=js_minimax", "--out", str(out), "--quiet"]) == 0
    assert "objective=js_minimax" in capsys.readouterr().err        # the old name's note
    doc = json.loads((out / "metrics.json").read_text())
    m = doc["metrics"]
    assert m["kl_exact"] == "inf"
    assert m["js_exact"] == pytest.approx(LOG2) and m["tv_exact"] == 1.0 and m["w1_exact"] == 2.0
    assert isinstance(m["theta_final"], float)
    assert len(doc["history"]["theta"]) == 5
    assert doc["config"]["setup"] == "lines" and doc["config"]["recipe"] == "gan"
    for stem in ("divergences", "samples", "trajectories", "gap", "earlier"):
        assert (out / f"{stem}.html").exists()


@pytest.mark.parametrize("params,want,notes", [
    ({}, ["gan", "ns", "wgan", "wgan_gp"], 0),
    ({"recipes": "wgan_sn,gan,wgan_sn"}, ["wgan_sn", "gan"], 0),
    ({"objectives": "js_minimax,wgan_clip"}, ["gan", "wgan"], 1),
    ({"objective": "js_ns"}, ["ns"], 0),                 # one recipe, as the command line says it
    ({"recipes": "zzz,ns,lsgan"}, ["ns"], 2),
    ({"recipes": "zzz"}, ["gan", "ns", "wgan", "wgan_gp"], 1),
])
def test_the_pages_recipe_list_from_a_link(params, want, notes):
    got, said = recipes_from_link(params)
    assert got == want and len(said) == notes
    assert all(name in " ".join(said) for name in ("zzz", "lsgan") if name in params.get("recipes", ""))
