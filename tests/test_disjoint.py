"""Disjoint supports (issue 4): closed forms vs independent computation, the theta-GAN's
behaviour on fixed seeds, the command line."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.stats import norm

from lab import cli, disjoint, divergences
from lab.config import ConfigError, from_strings
from lab.experiments.disjoint import DisjointConfig, DisjointRun
from lab.data.mixtures import Mixture
from lab.theta_gan import FAMILIES, ThetaGAN, sample_p0, sample_pair

LOG2 = math.log(2)


def _pair(theta: float, s: float) -> tuple[Mixture, Mixture]:
    return Mixture((1.0,), ((0.0,),), (s,)), Mixture((1.0,), ((theta,),), (s,))


# ---- closed forms ----------------------------------------------------------------------------
def test_lines_values_and_derivatives():
    th = np.array([-2.0, -0.3, 0.0, 1e-6, 1.7])
    v, g = disjoint.lines(th), disjoint.lines_grad(th)
    np.testing.assert_array_equal(v["kl"], [np.inf, np.inf, 0, np.inf, np.inf])
    np.testing.assert_allclose(v["js"], [LOG2, LOG2, 0, LOG2, LOG2], rtol=0, atol=0)
    np.testing.assert_array_equal(v["tv"], [1, 1, 0, 1, 1])
    np.testing.assert_array_equal(v["w1"], np.abs(th))
    away = th != 0
    for key in ("kl", "js", "tv"):
        np.testing.assert_array_equal(g[key][away], 0.0)     # no direction to move
        assert np.isnan(g[key][~away]).all()
    np.testing.assert_array_equal(g["w1"][away], np.sign(th[away]))


def test_lines_w1_equals_sorted_sample_transport():
    """W1 between the lines by an independent route: with the same y-samples, the optimal
    coupling pairs each real point with its fake twin, cost |theta| each; a random coupling
    costs more (>= |theta|)."""
    gen = torch.Generator().manual_seed(0)
    real = disjoint.lines_sample(0.0, 500, gen)
    for theta in (-1.3, 0.4, 2.0):
        fake = real.clone()
        fake[:, 0] = theta
        assert float((real - fake).norm(dim=1).mean()) == pytest.approx(abs(theta), rel=1e-6)
        perm = torch.randperm(500, generator=gen)
        assert float((real - fake[perm]).norm(dim=1).mean()) > abs(theta)
        assert float(disjoint.lines(theta)["w1"]) == abs(theta)


@pytest.mark.parametrize("theta,s", [(0.1, 1.0), (1.0, 1.0), (2.0, 0.5), (0.3, 0.2), (2.0, 0.3), (0.05, 0.05)])
def test_gaussians_match_quadrature(theta, s):
    """Closed forms and the JS trapezoid vs lab.divergences' adaptive quadrature."""
    p, q = _pair(theta, s)
    g = disjoint.gaussians(theta, s)
    assert float(g["kl"]) == pytest.approx(divergences.divergence_1d("kl", p, q), rel=1e-7, abs=1e-10)
    assert float(g["js"]) == pytest.approx(divergences.divergence_1d("js", p, q), rel=1e-7, abs=1e-10)
    assert float(g["tv"]) == pytest.approx(divergences.divergence_1d("tv", p, q), rel=1e-7, abs=1e-10)
    assert float(g["w1"]) == pytest.approx(divergences.w1_1d(p, q), rel=1e-6)
    assert float(g["w1"]) == abs(theta)


def test_tv_closed_form_vs_direct_integral():
    for theta, s in ((0.7, 0.4), (3.0, 1.5)):
        direct = integrate.quad(lambda x: 0.5 * abs(norm.pdf(x, 0, s) - norm.pdf(x, theta, s)),
                                -12 * s, theta + 12 * s, points=[theta / 2], limit=200)[0]
        assert float(disjoint.gaussians(theta, s)["tv"]) == pytest.approx(direct, rel=1e-8)


def test_js_approaches_log2_as_s_shrinks():
    """Numerical integration of the thin-Gaussian pair tends to the lines' JS = log 2."""
    theta = 1.0
    gaps = [LOG2 - divergences.divergence_1d("js", *_pair(theta, s)) for s in (1.0, 0.5, 0.25, 0.1)]
    assert all(a > b for a, b in zip(gaps, gaps[1:]))              # monotone in s
    assert gaps[0] == pytest.approx(LOG2 - 0.11142148, rel=1e-6)   # JS(N(0,1), N(1,1)) = 0.1114215
    assert 0 <= gaps[-1] < 1e-5
    assert float(disjoint.gaussians(theta, 0.01)["js"]) == pytest.approx(LOG2, abs=1e-12)
    assert float(disjoint.gaussians(theta, 0.01)["tv"]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("s", [0.3, 1.0, 2.5])
def test_gaussian_derivatives_vs_finite_differences(s):
    h = 1e-5
    for theta in (-1.1, 0.4, 2.0):
        analytic = disjoint.gaussians_grad(theta, s)
        for key in ("kl", "js", "tv", "w1"):
            fd = (disjoint.gaussians(theta + h, s)[key] - disjoint.gaussians(theta - h, s)[key]) / (2 * h)
            assert float(analytic[key]) == pytest.approx(float(fd), rel=1e-5, abs=1e-8), key


def test_js_gradient_vanishes_for_thin_gaussians():
    """The lecture's point in one line: JS's slope at theta = 1 dies as s -> 0, W1's stays 1."""
    slopes = [float(disjoint.gaussians_grad(1.0, s)["js"]) for s in (1.0, 0.3, 0.1, 0.03)]
    assert slopes[0] == pytest.approx(0.2, abs=0.05)
    assert slopes[-1] < 1e-20
    assert float(disjoint.gaussians_grad(1.0, 0.03)["w1"]) == 1.0


# ---- the trainer -----------------------------------------------------------------------------
def test_gaussian_setup_samples():
    gen = torch.Generator().manual_seed(1)
    x = sample_p0("gaussians", 0.3, 20000, gen)
    assert x.shape == (20000, 2)
    assert float(x[:, 0].std()) == pytest.approx(0.3, rel=0.03)
    assert 0 <= float(x[:, 1].min()) and float(x[:, 1].max()) <= 1
    real, fake = sample_pair("gaussians", 0.3, -1.5, 20000, seed=4)
    assert float(fake[:, 0].mean() - real[:, 0].mean()) == pytest.approx(-1.5, abs=0.02)
    np.testing.assert_allclose(np.sort(fake[:, 1])[::2000], np.arange(10) / 10, atol=0.02)  # U[0, 1] deciles


def test_gradient_theta_is_autograd_of_the_critic():
    """The SGD step on theta is -lr * d/dtheta mean(-f(z + theta e1)) = lr * mean df/dx."""
    gan = ThetaGAN("lines", 0.5, 1.5, "wgan_gp", d_steps=1, lr=0.1, seed=3)
    gen_state = gan.gen.get_state()
    out = gan.step()
    gan2 = ThetaGAN("lines", 0.5, 1.5, "wgan_gp", d_steps=1, lr=0.1, seed=3)
    gan2.gen.set_state(gen_state)
    out2 = gan2.step()
    assert out == out2                                   # same seed, same numbers
    assert out["theta"] == pytest.approx(1.5 - 0.1 * out["grad"], rel=1e-6)


def test_clip_keeps_weights_in_box():
    gan = ThetaGAN("lines", 0.5, 2.0, "wgan_clip", seed=0)
    for _ in range(5):
        gan.step()
    assert max(float(p.detach().abs().max()) for p in gan.net.parameters()) <= 0.01 + 1e-9


def _final(objective: str, **kw) -> tuple[DisjointRun, np.ndarray]:
    run = DisjointRun(DisjointConfig(objective=objective, **kw))
    run.advance(run.total)
    return run, np.asarray(run.history["theta"])


def test_wgan_gp_walks_theta_to_zero():
    run, th = _final("wgan_gp")
    assert len(th) == run.total == 300
    assert abs(th[-1]) < 0.1                       # measured: -0.0001 (seed 0)
    assert np.abs(th[-50:]).max() < 0.1            # settled, not passing through
    assert run.metrics()["lipschitz"] == pytest.approx(1.0, abs=0.3)   # GP: slope ~1 (measured 1.0)


def test_js_minimax_with_strong_d_stalls():
    run, th = _final("js_minimax")
    moved = abs(th[-1] - 2.0) / 2.0
    assert 0.0 < moved < 0.10                      # measured: 0.04 (1.92 from 2.0)
    assert np.abs(np.diff(th[-100:])).max() < 1e-4  # and it has stopped
    assert abs(run.metrics()["push"]) < 1e-6        # measured ~2e-10: the saturated signal


def test_instance_noise_rescues_js_gan():
    run, th = _final("js_minimax", instance_noise=1.0)
    assert abs(th[-1]) < 0.5 * 2.0                  # measured: 0.012 (seed 0)
    assert run.metrics()["noise"] == 1.0


def test_gaussians_wgan_gp_does_not_run_off():
    """Trained in the plane, the GP critic can turn its slope when theta overshoots 0 (in 1-D it
    could not: theta ran off to -5.2 on 6 of 6 seeds before the setup moved to the plane)."""
    _, th = _final("wgan_gp", setup="gaussians")
    assert np.abs(th[-50:]).max() < 0.1            # measured: 0.053, final -0.046


def test_overlapping_gaussians_let_the_minimax_gan_learn():
    _, th = _final("js_minimax", setup="gaussians", sigma=1.0)
    assert abs(th[-1]) < 0.2                       # measured: 0.017 (s = 1; at s = 0.01 it stalls at 1.92)


def test_annealed_noise_schedule():
    run = DisjointRun(DisjointConfig(objective="js_ns", instance_noise=0.8, anneal=True, steps=10))
    run.advance(10)
    np.testing.assert_allclose(run.history["noise"], 0.8 * (1 - np.arange(10) / 10))
    assert run.noise() == 0.0


def test_metrics_keys_and_closed_forms_at_theta0():
    run = DisjointRun(DisjointConfig(setup="gaussians", sigma=0.7, theta0=-1.2, steps=3, objective="js_ns"))
    run.advance(3)
    m = run.metrics()
    g = disjoint.gaussians(-1.2, 0.7)
    for key in ("kl", "js", "tv", "w1"):
        assert m[f"{key}_exact"] == pytest.approx(float(g[key]), rel=1e-12)
    assert m["theta_final"] == run.history["theta"][-1]
    snap = run.snapshot()
    assert snap["real"].shape == snap["fake"].shape == (200, 2)
    assert snap["fake"][:, 0].mean() - snap["real"][:, 0].mean() == pytest.approx(snap["theta"], abs=0.2)
    assert set(snap["gap_value"].shape) == {241} and np.isfinite(snap["gap_value"]).all()


def test_kept_curves_at_earlier_steps():
    run = DisjointRun(DisjointConfig(objective="js_minimax", steps=25))
    run.advance(25)
    kept = run.snapshot()["kept"]
    assert [k["step"] for k in kept] == [1, 5, 20]
    assert [k["theta"] for k in kept] == [run.history["theta"][i - 1] for i in (1, 5, 20)]
    assert all(((0 <= k["value"]) & (k["value"] <= 1)).all() for k in kept)   # D is a probability


def test_snapshot_does_not_change_the_run():
    """Reading the state (page redraws) leaves the trajectory untouched, also under spectral norm."""
    cfg = DisjointConfig(objective="wgan_sn", steps=6)
    a, b = DisjointRun(cfg), DisjointRun(cfg)
    for _ in range(3):
        a.advance(2)
        a.snapshot()
        b.advance(2)
    assert a.history["theta"] == b.history["theta"]


@pytest.mark.parametrize("key,value", [("setup", "plane"), ("objective", "wgan"), ("sigma", "0"),
                                       ("theta0", "9"), ("d_steps", "0")])
def test_bad_config_names_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        from_strings(DisjointConfig, {key: value})


def test_every_family_is_wired():
    for name, fam in FAMILIES.items():
        run = DisjointRun(DisjointConfig(objective=name, steps=2))
        run.advance(2)
        assert np.isfinite(run.history["theta"]).all(), name


# ---- command line (in process: the same main() as `python -m lab`, without a second torch import)
def test_cli_writes_metrics(tmp_path):
    out = tmp_path / "run"
    assert cli.main(["run", "disjoint", "steps=5", "objective=js_minimax", "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "metrics.json").read_text())
    m = doc["metrics"]
    assert m["kl_exact"] == "inf"
    assert m["js_exact"] == pytest.approx(LOG2) and m["tv_exact"] == 1.0 and m["w1_exact"] == 2.0
    assert isinstance(m["theta_final"], float)
    assert len(doc["history"]["theta"]) == 5
    assert doc["config"]["setup"] == "lines"
    for stem in ("divergences", "samples", "trajectories", "gap", "earlier"):
        assert (out / f"{stem}.html").exists()


def test_cli_bad_value_one_line(tmp_path, capsys):
    assert cli.main(["run", "disjoint", "objective=wgan", "--out", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "objective" in lines[0]
