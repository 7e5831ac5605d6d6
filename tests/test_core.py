"""The core against trusted references: scipy densities and integrals, torch's own SVD, and
hand-computed losses."""
import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lab import divergences
from lab.gan import lipschitz, objectives
from lab.config import ConfigError, from_strings, from_strings_lenient, parse_assignments, to_strings
from lab.device import build_seeded, generator, pick_device
from lab.data.mixtures import PAIRS, PRESETS, parse, resolve
from lab.nets import mlp, shrink_last_layer, top_singular_values


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


# ---- networks and Lipschitz ---------------------------------------------------------------
def test_spectral_norm_layers_have_unit_top_singular_value():
    torch.manual_seed(0)
    net = mlp(2, 1, 32, 3, layer="sn")
    net.train()
    for _ in range(30):                      # power iteration converges over forward passes
        net(torch.randn(8, 2))
    net.eval()
    svs = top_singular_values(net)
    assert len(svs) == 4
    for s in svs:
        assert s == pytest.approx(1.0, abs=0.02)
    plain = mlp(2, 1, 32, 3)
    assert max(top_singular_values(plain)) != pytest.approx(1.0, abs=0.02)


def test_measured_lipschitz_of_a_linear_map_is_its_weight_norm():
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, -4.0]]))
    f = lambda x: lin(x).squeeze(-1)  # noqa: E731
    assert lipschitz.measured_lipschitz(f, torch.randn(100, 2)) == pytest.approx(5.0, rel=1e-6)


def test_gradient_penalty_on_a_known_linear_critic():
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.6, 0.8]]) * 3)     # gradient norm 3 everywhere
    f = lambda x: lin(x).squeeze(-1)  # noqa: E731
    gp = lipschitz.gradient_penalty(f, torch.randn(64, 2), torch.randn(64, 2), generator(0))
    assert float(gp.detach()) == pytest.approx((3 - 1) ** 2, rel=1e-6)
    gp.backward()                                               # differentiable in the weights
    assert lin.weight.grad is not None and torch.isfinite(lin.weight.grad).all()


def test_weight_clipping_bounds_every_parameter():
    net = mlp(1, 1, 16, 2)
    lipschitz.clip_weights(net, 0.01)
    assert max(float(p.abs().max()) for p in net.parameters()) <= 0.01 + 1e-9


def test_gp_warmup_ramps_lambda():
    con = lipschitz.GradientPenalty(10.0, warmup=4)
    f = lambda x: (2 * x).sum(-1)  # noqa: E731   gradient norm 2 in 1-D: penalty (2-1)^2 = 1
    x = torch.zeros(4, 1)
    got = [float(con.penalty(f, x, x, generator(0))) for _ in range(6)]
    assert got == pytest.approx([2.5, 5.0, 7.5, 10.0, 10.0, 10.0])


def test_shrink_last_layer_starts_near_constant():
    net = build_seeded(0, lambda: mlp(1, 1, 32, 2))
    shrink_last_layer(net)
    out = net(torch.linspace(-3, 3, 50)[:, None])
    assert float(out.abs().max()) < 0.05


def test_build_seeded_is_repeatable_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_seeded(5, lambda: mlp(2, 1, 8, 1))
    after = torch.rand(1)
    b = build_seeded(5, lambda: mlp(2, 1, 8, 1))
    assert torch.equal(before, after)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


# ---- objectives ---------------------------------------------------------------------------
def test_objectives_on_hand_computed_values():
    r, f = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 1.0])
    sig = torch.sigmoid
    bce = -(torch.log(sig(r)).mean() + torch.log(1 - sig(f)).mean())
    torch.testing.assert_close(objectives.get("minimax").d_loss(r, f), bce)
    torch.testing.assert_close(objectives.get("ns").d_loss(r, f), bce)
    torch.testing.assert_close(objectives.get("minimax").g_loss(f), torch.log(1 - sig(f)))
    torch.testing.assert_close(objectives.get("ns").g_loss(f), -torch.log(sig(f)))
    # a = -1, b = 1, c = 0: 1/2 (D(x) - 1)^2 + 1/2 (D(G(z)) + 1)^2, and 1/2 D(G(z))^2 for G
    torch.testing.assert_close(objectives.get("lsgan").d_loss(r, f), torch.tensor((0.5 + 0.5) / 2 + (0.0 + 2.0) / 2))
    torch.testing.assert_close(objectives.get("lsgan").g_loss(f), torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(objectives.get("wasserstein").d_loss(r, f), torch.tensor(0.0 - 1.0))
    torch.testing.assert_close(objectives.get("hinge").d_loss(r, f), torch.tensor((1.0 + 0.0) / 2 + (0.0 + 2.0) / 2))
    torch.testing.assert_close(objectives.get("hinge").g_loss(f), -f)


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


def test_unknown_objective_is_a_clear_error():
    with pytest.raises(ConfigError, match="objective='bogus' is not one of"):
        objectives.get("bogus")


# ---- config --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Cfg:
    n: int = 3
    lr: float = 0.1
    name: str = "a"
    flag: bool = False


def test_config_round_trip_and_errors():
    cfg = from_strings(_Cfg, {"n": "7", "lr": "1e-3", "flag": "true"})
    assert cfg == _Cfg(7, 1e-3, "a", True)
    assert from_strings(_Cfg, to_strings(cfg)) == cfg
    with pytest.raises(ConfigError, match="n='2.5' is not a whole number"):
        from_strings(_Cfg, {"n": "2.5"})
    with pytest.raises(ConfigError, match="unknown key 'm'"):
        from_strings(_Cfg, {"m": "1"})
    with pytest.raises(ConfigError, match="not key=value"):
        parse_assignments(["lr0.1"])
    assert parse_assignments(["real=0.5*N(0,1)+0.5*N(1,1)"]) == {"real": "0.5*N(0,1)+0.5*N(1,1)"}


def test_lenient_config_keeps_good_values_and_reports_bad_ones():
    cfg, notes = from_strings_lenient(_Cfg, {"n": "x", "lr": "0.5", "other": "1"})
    assert cfg == _Cfg(3, 0.5)
    assert len(notes) == 1 and "n='x'" in notes[0]


def test_cpu_is_picked_here_and_cuda_refused_clearly():
    if torch.cuda.is_available():
        pytest.skip("this test describes a machine without CUDA")
    assert pick_device().type in ("cpu", "mps")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        pick_device("cuda")


def test_warm_up_imports_on_one_background_thread_once():
    import sys
    from lab import device
    device._warming = None
    sys.modules.pop("tabnanny", None)
    first = device.warm_up(("tabnanny",), delay=0.0)
    assert first.daemon and device.warm_up(("tabnanny",)) is first
    first.join(10)
    assert not first.is_alive() and "tabnanny" in sys.modules
    device._warming = None
