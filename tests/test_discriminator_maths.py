"""Mixtures, exact divergences and the optimal discriminators against trusted references:
scipy's densities, integrals and Wasserstein distance, closed forms for Gaussians."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lab import divergences
from lab.config import ConfigError
from lab.data.mixtures import PAIRS, PRESETS, pair_of, pairs, parse, resolve
from lab.device import generator
from lab.gan import objectives


# ---- mixtures -----------------------------------------------------------------------------
def test_1d_log_density_matches_scipy():
    mix = parse("0.3*N(-2,0.5)+0.7*N(1.5,0.3)")
    x = np.linspace(-4, 4, 41)
    want = np.log(0.3 * stats.norm.pdf(x, -2, 0.5) + 0.7 * stats.norm.pdf(x, 1.5, 0.3))
    got = mix.log_prob(torch.tensor(x[:, None], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mix.log_prob_np(x), want, rtol=1e-10, atol=1e-10)


def test_2d_log_density_matches_scipy():
    mix = parse("0.25*N((0,1),0.5)+0.75*N((2,-1),1.5)")
    x = np.random.default_rng(0).normal(size=(50, 2)) * 2
    want = np.log(0.25 * stats.multivariate_normal.pdf(x, [0, 1], 0.25 * np.eye(2))
                  + 0.75 * stats.multivariate_normal.pdf(x, [2, -1], 2.25 * np.eye(2)))
    np.testing.assert_allclose(mix.log_prob_np(x), want, rtol=1e-10)


def test_weights_are_normalised_and_unweighted_terms_weigh_one():
    mix = parse("N(0,1)+3*N(2,1)")
    assert mix.weights == pytest.approx((0.25, 0.75), abs=1e-12)


def test_sampling_is_seeded_and_matches_moments():
    mix = parse("0.3*N(-2,0.5)+0.7*N(1.5,0.3)")
    a = mix.sample(20000, generator(3))
    b = mix.sample(20000, generator(3))
    assert torch.equal(a, b)
    mean = 0.3 * -2 + 0.7 * 1.5
    var = 0.3 * (0.25 + 4) + 0.7 * (0.09 + 2.25) - mean**2
    assert float(a.mean()) == pytest.approx(mean, abs=0.03)
    assert float(a.var()) == pytest.approx(var, rel=0.03)


@pytest.mark.parametrize("spec, part", [
    ("0.3*N(-2,0.5)+0.7*N(1.5,)", "term 2"),
    ("0.3*N(-2,0)", "standard deviation must be positive"),
    ("-1*N(0,1)", "term 1"),
    ("", "empty"),
    ("0.5*N((0,0),1)+0.5*N(1,1)", "term 2"),
])
def test_malformed_spec_names_the_bad_part(spec, part):
    with pytest.raises(ConfigError, match=part):
        parse(spec)


def test_presets_parse_and_pairs_agree_on_dimension():
    for name, spec in PRESETS.items():
        assert parse(spec).dim == (2 if "2d" in name else 1)
    for real, fake in PAIRS.values():
        assert parse(PRESETS[real]).dim == parse(PRESETS[fake]).dim
    ring = resolve("ring2d_real", 2)
    angles = {round(math.atan2(m[1], m[0]), 6) for m in ring.means}
    assert len(angles) == 8                       # eight distinct modes, none repeated


def test_resolve_rejects_wrong_dimension():
    with pytest.raises(ConfigError, match="2-D mixture but dim=1"):
        resolve("apart2d_real", 1)


def test_spec_round_trip():
    mix = parse("0.3*N(-2,0.5)+0.7*N(1.5,0.3)")
    assert parse(mix.to_spec()) == mix


# ---- divergences --------------------------------------------------------------------------
def test_equal_std_gaussians_closed_forms():
    p, q = parse("N(1,0.7)"), parse("N(-0.5,0.7)")
    ex = divergences.exact(p, q)
    assert ex["w1"] == pytest.approx(1.5, abs=1e-7)                         # |mean difference|
    assert ex["kl"] == pytest.approx(1.5**2 / (2 * 0.49), rel=1e-7)         # (mu1-mu2)^2 / 2s^2
    assert ex["tv"] == pytest.approx(2 * stats.norm.cdf(1.5 / (2 * 0.7)) - 1, rel=1e-7)


def test_js_of_well_separated_bumps_is_log2_and_js_matches_grid_sum():
    far = divergences.exact(parse("N(-6,0.3)"), parse("N(6,0.3)"))
    assert far["js"] == pytest.approx(math.log(2), abs=1e-9)
    assert far["tv"] == pytest.approx(1.0, abs=1e-9)
    p, q = parse("0.5*N(-1,0.5)+0.5*N(1,0.8)"), parse("N(0.3,1.2)")
    x = np.linspace(-12, 12, 200001)
    lp, lq = p.log_prob_np(x), q.log_prob_np(x)
    m = 0.5 * (np.exp(lp) + np.exp(lq))
    js = 0.5 * np.trapezoid(np.exp(lp) * (lp - np.log(m)) + np.exp(lq) * (lq - np.log(m)), x)
    assert divergences.exact(p, q)["js"] == pytest.approx(js, rel=1e-6)


def test_w1_matches_scipy_wasserstein_on_samples():
    p, q = parse("0.4*N(-1,0.3)+0.6*N(2,0.5)"), parse("N(0,1)")
    g = generator(0)
    xs, ys = p.sample(200000, g)[:, 0].numpy(), q.sample(200000, g)[:, 0].numpy()
    assert divergences.w1_1d(p, q) == pytest.approx(stats.wasserstein_distance(xs, ys), rel=0.02)


def test_2d_grid_divergences_match_1d_on_a_product():
    # Two isotropic 2-D Gaussians differing along x only: KL is the 1-D KL (y factors cancel).
    p, q = parse("N((1,0),0.6)"), parse("N((-1,0),0.6)")
    assert divergences.divergence_2d("kl", p, q) == pytest.approx(4 / (2 * 0.36), rel=1e-3)
    tv1 = divergences.divergence_1d("tv", parse("N(1,0.6)"), parse("N(-1,0.6)"))
    assert divergences.divergence_2d("tv", p, q) == pytest.approx(tv1, rel=1e-3)


def test_d_star_is_the_density_ratio():
    p, q = parse("N(1,0.5)"), parse("0.5*N(-1,0.5)+0.5*N(0,2)")
    x = torch.linspace(-3, 3, 13)[:, None].double()
    pp, qq = p.log_prob(x).exp(), q.log_prob(x).exp()
    torch.testing.assert_close(divergences.d_star(p, q, x), pp / (pp + qq))


def test_minimax_d_loss_at_d_star_gives_js():
    # max_D V = 2 JS - log 4 (note 000): evaluate -d_loss at D* by quadrature.
    p, q = parse("N(0.5,1)"), parse("N(-0.5,1)")
    def integrand(x):
        xs = torch.tensor([[x]], dtype=torch.float64)
        logit = divergences.d_star_logit(p, q, xs)
        return float(p.log_prob(xs).exp() * -torch.nn.functional.softplus(-logit)
                     + q.log_prob(xs).exp() * -torch.nn.functional.softplus(logit))
    v = integrate.quad(integrand, -12, 12, limit=200)[0]
    assert v == pytest.approx(2 * divergences.exact(p, q)["js"] - math.log(4), abs=1e-7)


def test_lsgan_optimum_is_p_minus_q_over_p_plus_q_and_minimises_the_loss():
    """Mao et al. 2017 eq. 10 with a = -1, b = 1: D*_LS = (b p + a q)/(p + q). Against scipy's
    densities, and by quadrature: the LS loss at D*_LS is 2 int p q / (p + q) (substitute D*_LS
    into 1/2 E_p (D - 1)^2 + 1/2 E_q (D + 1)^2), and any other D does worse."""
    p, q = parse("N(0.5,1)"), parse("0.5*N(-1,0.5)+0.5*N(1.5,0.7)")
    x = np.linspace(-4, 4, 33)
    pp = stats.norm.pdf(x, 0.5, 1)
    qq = 0.5 * stats.norm.pdf(x, -1, 0.5) + 0.5 * stats.norm.pdf(x, 1.5, 0.7)
    r = divergences.d_star_logit(p, q, torch.tensor(x[:, None]))
    np.testing.assert_allclose(objectives.get("lsgan").d_star(r).numpy(), (pp - qq) / (pp + qq), atol=1e-12)

    dens = lambda mix, t: float(np.exp(mix.log_prob_np(np.array([t]))[0]))  # noqa: E731

    def loss(d):          # 1/2 E_p (D - 1)^2 + 1/2 E_q (D + 1)^2 for D = d(p, q)
        def integrand(t):
            a, b = dens(p, t), dens(q, t)
            return 0.5 * a * (d(a, b) - 1) ** 2 + 0.5 * b * (d(a, b) + 1) ** 2
        return integrate.quad(integrand, -10, 10, limit=200)[0]
    best = loss(lambda a, b: (a - b) / (a + b))
    closed = integrate.quad(lambda t: 2 * dens(p, t) * dens(q, t) / (dens(p, t) + dens(q, t)), -10, 10, limit=200)[0]
    assert best == pytest.approx(closed, rel=1e-7)
    assert loss(lambda a, b: 0.9 * (a - b) / (a + b)) > best + 1e-4
    assert loss(lambda a, b: (a - b) / (a + b) + 0.05) > best + 1e-4


def test_the_pairs_by_dimension_and_back_from_their_mixtures():
    assert pairs(1) == ["Notes' Figures 1-2: bumps apart", "Overlapping bumps", "Bimodal data, wide generator",
                        "Far apart (vanishing gradient)"]
    assert all(name.startswith("2-D") for name in pairs(2)) and len(pairs(2)) == 3
    assert pair_of(resolve("overlap_real", 1), resolve("overlap_fake", 1)) == "Overlapping bumps"
    assert pair_of(parse("N(0.5,1)"), parse("N(-0.5,1)")) == "Overlapping bumps"       # typed, not named
    assert pair_of(resolve("overlap_fake", 1), resolve("overlap_real", 1)) is None     # swapped: custom
    assert pair_of(parse("N(0.5,1)"), parse("N(-0.5,1.1)")) is None
