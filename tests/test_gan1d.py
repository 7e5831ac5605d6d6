"""The 1-D GAN game (lab.experiments.gan1d): its quadrature against references (histograms of
many G(z) draws, scipy's quad and wasserstein_distance, the Gaussian pair's closed forms), the
claims its page makes with their seeds, and the command line."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lab import divergences
from lab.cli import main
from lab.data.mixtures import parse
from lab.experiments.gan1d import densities as dens
from lab.experiments.gan1d.config import Gan1dConfig
from lab.experiments.gan1d.run import Gan1dRun
from lab.nets import mlp

N_DRAWS = 400_000


def _net(seed: int, activation: str) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = mlp(1, 1, 16, 2, activation)
    with torch.no_grad():                 # spread it out: a random net maps z to a narrow range
        net[-1].weight.mul_(8.0)
    return net


def _g(net, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.as_tensor(z, dtype=torch.float32)[:, None]).squeeze(-1).double().numpy()


@pytest.mark.parametrize("prior", dens.PRIORS)
@pytest.mark.parametrize("seed,activation", [(0, "tanh"), (1, "leaky_relu"), (2, "tanh"), (3, "relu")])
def test_the_pushforward_is_a_histogram_of_many_draws(prior, seed, activation):
    """The exact p_G of random nets (monotone or folded, with flat ReLU pieces) against a histogram
    of 400,000 draws of G(z): every bin within 5 binomial standard deviations (+1e-4), and the
    same check fails for the density without the 1/|G'| factor."""
    net = _net(seed, activation)
    z = dens.z_grid(prior)
    g = _g(net, z)
    edges = np.linspace(g.min() - 0.1, g.max() + 0.1, 41)
    exact = dens.pushforward_masses(dens.segment_masses(prior, z), g, edges)
    draws = (torch.rand(N_DRAWS, generator=torch.Generator().manual_seed(seed)).numpy() * 2 - 1 if prior == "uniform"
             else torch.randn(N_DRAWS, generator=torch.Generator().manual_seed(seed)).numpy())
    hist = np.histogram(_g(net, draws), bins=edges)[0] / N_DRAWS
    sd = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / N_DRAWS)
    assert exact.sum() == pytest.approx(1.0, abs=3e-9)
    assert np.all(np.abs(exact - hist) <= 5 * sd + 1e-4), np.abs(exact - hist).max()
    # Without the change of variables (density p_z at the preimage, no 1/|G'|): the check catches it.
    zc = 0.5 * (z[:-1] + z[1:])
    wrong = np.histogram(0.5 * (g[:-1] + g[1:]), bins=edges, weights=dens.prior_pdf(prior, zc) * np.abs(np.diff(g)))[0]
    wrong = wrong / wrong.sum()
    assert np.abs(wrong - hist).max() > 10 * (5 * sd.max() + 1e-4)


def test_an_affine_generator_gives_the_gaussian_and_every_quantity_matches_scipy():
    """G(z) = 0.6 z + 1.5 on N(0, 1): p_G = N(1.5, 0.6^2). D*, JS and W1 by the bins against the
    exact Gaussian pair (scipy quad through lab.divergences; W1 by quad of |F_p - F_q|, and by
    scipy.stats.wasserstein_distance on 10^6 draws)."""
    p, q = parse("N(2,0.5)"), parse("N(1.5,0.6)")
    z = dens.z_grid("normal")
    g = 0.6 * z + 1.5
    m = dens.segment_masses("normal", z)
    lo, hi = p.extent(6.0)
    edges = dens.bin_edges(float(lo[0]), float(hi[0]), g.min(), g.max())
    P, Q = dens.data_masses(p.cdf_1d, edges), dens.pushforward_masses(m, g, edges)
    x = 0.5 * (edges[:-1] + edges[1:])
    on = P + Q > 1e-6
    star = stats.norm.pdf(x, 2, 0.5) / (stats.norm.pdf(x, 2, 0.5) + stats.norm.pdf(x, 1.5, 0.6))
    assert np.abs(dens.d_star(P, Q) - star)[on].max() == pytest.approx(0, abs=2e-3)
    js_quad = divergences.divergence_1d("js", p, q)
    assert dens.js(P, Q) == pytest.approx(js_quad, rel=2e-3)
    assert dens.c_of_g(dens.js(P, Q)) == pytest.approx(-math.log(4) + 2 * js_quad, abs=1e-4)
    w1_quad = integrate.quad(lambda t: abs(stats.norm.cdf(t, 2, 0.5) - stats.norm.cdf(t, 1.5, 0.6)), -5, 8,
                             points=[1.5, 2], limit=200)[0]
    assert dens.w1(p.cdf_1d, m, g, edges) == pytest.approx(w1_quad, rel=1e-4)
    rng = np.random.default_rng(0)
    sampled = stats.wasserstein_distance(rng.normal(2, 0.5, 10**6), rng.normal(1.5, 0.6, 10**6))
    assert dens.w1(p.cdf_1d, m, g, edges) == pytest.approx(sampled, abs=3e-3)


def test_value_at_d_star_is_c_of_g_and_any_other_d_is_below():
    """V(D*, G) = -log 4 + 2 JS (Goodfellow et al. Thm 1) and V(D, G) < C(G) for another D, on a
    folded generator's bins; mean D* on real and fake is 1/2 when p_G = p_data."""
    z = dens.z_grid("uniform")
    g = np.sin(2.5 * z) + 0.3 * z                     # folds: two preimages for some x
    m = dens.segment_masses("uniform", z)
    p = parse("0.5*N(-0.5,0.3)+0.5*N(0.7,0.4)")
    edges = dens.bin_edges(-3, 3, g.min(), g.max())
    P, Q = dens.data_masses(p.cdf_1d, edges), dens.pushforward_masses(m, g, edges)
    star = np.clip(dens.d_star(P, Q), 1e-15, 1 - 1e-15)
    logit = np.log(star) - np.log1p(-star)
    # the fake side over the bins too (G's midpoints would need D* between the bins' centres)
    v_star = dens.value(P, logit, Q, logit)
    assert v_star == pytest.approx(dens.c_of_g(dens.js(P, Q)), abs=1e-7)
    assert dens.value(P, logit + 0.3, Q, logit + 0.3) < v_star - 1e-3
    assert dens.mean_d(P, np.zeros_like(logit)) == 0.5
    assert not dens.is_monotone(g) and dens.preimages(g) == 3


def _trained(seed: int) -> dict:
    run = Gan1dRun(Gan1dConfig(seed=seed))
    run.advance(run.total)
    return run.metrics()


def test_the_default_game_ends_near_its_equilibrium():
    """The page's claim with the defaults (one Gaussian, normal z, NS, 1,500 G steps), seeds 0-7: on
    every seed JS falls from 0.693 by more than 95%, D's means settle near 1/2 and V(D, G) near -log 4
    (and never above C(G): D is at best D*); on about half the seeds JS reaches ~0.001. The seeds
    split in two: 1, 2, 6, 7 (and 0 on some CPUs) end near 0.001, 3, 4, 5 stall near 0.02.
    Measured here (Intel Xeon, AVX-512), seeds 0-7: JS 0.0061, 0.0009, 0.0004, 0.0176, 0.0172,
    0.0236, 0.0005, 0.0007; D real/fake within 0.022 of 1/2; V(D, G) -1.3814, -1.3891, -1.3873,
    -1.3600, -1.3686, -1.3700, -1.3874, -1.3858 (-log 4 = -1.3863); W1 0.007-0.059. The same code on
    this CPU with other kernels (ATEN_CPU_CAPABILITY=default; MKL_ENABLE_INSTRUCTIONS=AVX2): seed 0
    JS 0.0036 and 0.0030, the others within 0.01 of the values above (W1 up to 0.082). On the AMD
    EPYC CI (seeds 0, 1, 2): JS 0.0010, 0.0009, 0.0004; mean D real/fake 0.500/0.500, 0.509/0.507,
    0.496/0.496; V(D, G) -1.3864, -1.3891, -1.3873; W1 0.009, 0.013, 0.013."""
    ms = [_trained(seed) for seed in range(8)]
    js = np.array([m["js"] for m in ms])
    assert ((js > 0) & (js < 0.05 * math.log(2))).all(), js                  # every seed: JS down by > 95%
    assert (js < 0.002).sum() >= 3, js                                       # about half: ~0.001
    for m in ms:
        assert 0.45 < m["d_fake"] <= m["d_real"] + 0.01 and m["d_real"] < 0.55, m
        assert m["c_g"] == pytest.approx(-math.log(4) + 2 * m["js"], abs=1e-12)
        assert -math.log(4) - 0.01 < m["value"] <= m["c_g"] + 1e-9, m
        assert 0.0 < m["w1"] < 0.1, m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_minimax_signal_saturates_under_a_strong_d(seed):
    """Note 002: after 300 D-only steps D rejects the fakes (mean D(fake) ~1e-3), and at step 0
    the minimax loss's push at the fakes is ~3 orders of magnitude below the non-saturating one.
    Measured (seeds 0, 1, 2): mean D(fake) 1.3e-3, 7.1e-4, 1.1e-3; minimax 0.021, 0.0091, 0.016
    against non-saturating 12.0, 11.5, 12.3 (ratios 1.7e-3, 7.9e-4, 1.3e-3)."""
    run = Gan1dRun(Gan1dConfig(seed=seed, d_pretrain=300, steps=1))
    h = run.history
    assert h["d_fake"][0] < 0.01 and h["d_real"][0] > 0.99
    assert 1e-4 < h["grad_minimax"][0] / h["grad_ns"][0] < 1e-2
    plain = Gan1dRun(Gan1dConfig(seed=seed, steps=1)).history    # a fresh D: no opinion, same push
    assert plain["grad_minimax"][0] == pytest.approx(plain["grad_ns"][0], rel=0.01)


def test_cli_writes_the_contracted_metrics(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "gan1d", "steps=20", "batch=32", "width=8", "d_steps=2", "lr_d=0.003", "lr_g=0.001",
                 "recipe=gan", "target=two_bumps", "seed=4", "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "metrics.json").read_text())
    m = doc["metrics"]
    assert {"js", "d_real", "d_fake", "w1", "value", "c_g", "grad_minimax", "grad_ns"} <= set(m)
    assert 0 <= m["js"] <= math.log(2) and 0 < m["d_fake"] < 1 and m["w1"] > 0
    assert doc["config"]["target"] == "two_bumps" and m["d_steps"] == 2 and m["steps"] == 20
    assert doc["history"]["step"] == [0, 10, 20]
    assert {p.name for p in out.glob("*.html")} == {"figure1.html", "equilibrium.html", "saturation.html"}


@pytest.mark.parametrize("args,needle", [(["target=N(0,1"], "target"), (["prior=cauchy"], "prior"),
                                         (["recipe=js_gan"], "recipe"), (["d_steps=0"], "d_steps")])
def test_bad_values_are_one_line(args, needle, tmp_path, capsys):
    assert main(["run", "gan1d", *args, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0]
    assert not (tmp_path / "x" / "metrics.json").exists()


@pytest.mark.parametrize("recipe", ["wgan_gp", "lsgan"])
def test_other_recipes_train_and_read(recipe):
    run = Gan1dRun(Gan1dConfig(recipe=recipe, steps=10, batch=32, width=8, log_every=5))
    run.advance(10)
    snap = run.snapshot()
    assert snap["probabilistic"] is False and math.isnan(snap["metrics"]["grad_ns"])
    assert np.isfinite(snap["metrics"]["js"]) and len(snap["history"]["step"]) == 3
