"""The GAN kit against references: each objective on hand-computed values, every closed-form
optimum D* against a numerical minimisation of the pointwise objective, the one D step against
a hand-written update, and the recipe registry against the papers' settings."""
from __future__ import annotations

import math

import pytest
import torch
from scipy import optimize

from lab.config import ConfigError
from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives, recipes
from lab.gan.step import d_objective, d_step, g_loss
from lab.nets import mlp


@pytest.mark.parametrize("name", [n for n, o in objectives.OBJECTIVES.items() if o.d_star is not None])
@pytest.mark.parametrize("p, q", [(0.7, 0.3), (0.2, 0.9), (1.3, 1.3), (0.05, 2.0)])
def test_closed_form_optimum_minimises_the_pointwise_d_loss(name, p, q):
    """At a point x with densities p (real) and q (fake), D's loss integrand is
    p * l_real(t) + q * l_fake(t) in D's raw output t; D* minimises it (Goodfellow et al.
    Prop. 1; Mao et al. eq. 10 for LSGAN: D*_LS = (b p + a q)/(p + q))."""
    obj = objectives.get(name)

    def pointwise(t):
        t = torch.tensor([float(t)], dtype=torch.float64)
        # d_loss(real, fake) = mean l_real(real) + mean l_fake(fake): split it with a far output
        real_part = obj.d_loss(t, torch.tensor([0.0], dtype=torch.float64)) - obj.d_loss(
            torch.tensor([0.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))
        fake_part = obj.d_loss(torch.tensor([0.0], dtype=torch.float64), t) - obj.d_loss(
            torch.tensor([0.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))
        return float(p * real_part + q * fake_part)

    best = optimize.minimize_scalar(pointwise, bounds=(-30, 30), method="bounded", options={"xatol": 1e-10}).x
    star = float(obj.d_star(torch.tensor(math.log(p / q), dtype=torch.float64)))
    assert star == pytest.approx(best, abs=1e-5)


def test_lsgan_optimum_is_b_p_plus_a_q_over_p_plus_q():
    r = torch.tensor([math.log(3.0)])                 # p = 3 q
    assert float(objectives.get("lsgan").d_star(r)) == pytest.approx((1 * 3 + (-1) * 1) / 4)
    # b - c = 1 and b - a = 2: the coding under which LSGAN minimises Pearson chi^2 (Mao et al. Thm. 1)
    assert objectives.LS_B - objectives.LS_C == 1 and objectives.LS_B - objectives.LS_A == 2


def test_objectives_on_hand_computed_values():
    r, f = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 1.0])
    sig = torch.sigmoid
    tv = objectives.get("tv")
    torch.testing.assert_close(tv.d_loss(r, f), sig(f).mean() - sig(r).mean())
    torch.testing.assert_close(tv.g_loss(f), -sig(f))
    hinge = objectives.get("hinge")
    torch.testing.assert_close(hinge.d_loss(r, f), torch.tensor((1.0 + 0.0) / 2 + (0.0 + 2.0) / 2))
    torch.testing.assert_close(objectives.get("wasserstein").g_loss(f), -f)
    with pytest.raises(ConfigError, match="objective='nope'"):
        objectives.get("nope")


def _net(seed=0, layer="plain"):
    return build_seeded(seed, lambda: mlp(2, 1, 8, 1, layer=layer))


@pytest.mark.parametrize("constraint", ["none", "clip", "gp", "sn"])
def test_the_one_d_step_is_the_hand_written_update(constraint):
    """d_step = loss (+ penalty) backward, one optimiser step, then the constraint's projection."""
    layer = "sn" if constraint == "sn" else "plain"
    a, b = _net(1, layer), _net(1, layer)
    obj = objectives.get("wasserstein" if constraint != "none" else "ns")
    con_a = lipschitz.make_constraint(constraint, clip=0.05, gp_lambda=10.0)
    con_b = lipschitz.make_constraint(constraint, clip=0.05, gp_lambda=10.0)
    opt_a = torch.optim.SGD(a.parameters(), lr=0.1)
    opt_b = torch.optim.SGD(b.parameters(), lr=0.1)
    g = generator(0)
    real, fake = torch.randn(16, 2, generator=g), torch.randn(16, 2, generator=g) + 2
    out = d_step(lambda x: a(x).squeeze(-1), a, obj, con_a, opt_a, real, fake, generator(5))
    # by hand
    fb = lambda x: b(x).squeeze(-1)  # noqa: E731
    both = fb(torch.cat([real, fake]))
    loss = obj.d_loss(both[:16], both[16:])
    pen = con_b.penalty(fb, real, fake, generator(5))
    opt_b.zero_grad()
    (loss if pen is None else loss + pen).backward()
    opt_b.step()
    con_b.after_step(b)
    assert float(out.loss) == pytest.approx(float(loss), rel=1e-6)
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb)
    if constraint == "clip":
        assert max(float(p.detach().abs().max()) for p in a.parameters()) <= 0.05 + 1e-9
    assert (out.penalty is None) == (constraint != "gp")


def test_separate_passes_equal_the_joint_pass_without_batch_norm():
    net = _net(2)
    obj, con = objectives.get("ns"), lipschitz.make_constraint("none")
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    f = lambda x: net(x).squeeze(-1)  # noqa: E731
    joint = d_objective(f, obj, con, real, fake, joint=True)
    apart = d_objective(f, obj, con, real, fake, joint=False)
    torch.testing.assert_close(joint[0], apart[0])


def test_g_loss_is_the_mean_per_sample_loss():
    net = _net(3)
    fake = torch.randn(10, 2)
    f = lambda x: net(x).squeeze(-1)  # noqa: E731
    for name in ("minimax", "ns", "lsgan", "wasserstein", "tv"):
        obj = objectives.get(name)
        torch.testing.assert_close(g_loss(f, obj, fake), obj.g_loss(f(fake)).mean())


# ---- recipes --------------------------------------------------------------------------------
class _Cfg:
    """A config with only a recipe and explicit keys (None = the recipe's)."""
    def __init__(self, recipe, **kw):
        self.recipe = recipe
        for k in recipes.KEYS:
            setattr(self, k, kw.get(k))


@pytest.mark.parametrize("name, want", [
    ("wgan", dict(objective="wasserstein", constraint="clip", optimizer="rmsprop", lr_d=5e-5, d_steps=5, clip=0.01)),
    ("wgan_gp", dict(objective="wasserstein", constraint="gp", optimizer="adam", lr_d=1e-4, lr_g=1e-4, beta1=0.0,
                     beta2=0.9, d_steps=5, gp_lambda=10.0)),
    ("sngan", dict(objective="hinge", constraint="sn", optimizer="adam", lr_d=2e-4, beta1=0.5, beta2=0.999, d_steps=1)),
    ("ns", dict(objective="ns", constraint="none", optimizer="adam", lr_d=2e-4, lr_g=2e-4, beta1=0.5, beta2=0.999)),
    ("lsgan", dict(objective="lsgan", constraint="none", optimizer="adam", beta1=0.5)),
    ("metz", dict(objective="ns", lr_d=1e-4, lr_g=1e-3, beta1=0.5)),
    ("js_gan", dict(objective="ns", optimizer="sgd", lr_d=0.2, lr_g=0.02, d_steps=5)),
    ("tv_gan", dict(objective="tv", optimizer="sgd", lr_d=0.2, lr_g=0.02, d_steps=5)),
])
def test_recipes_are_the_papers_settings(name, want):
    r = recipes.resolve(_Cfg(name))
    assert {k: getattr(r, k) for k in want} == want
    assert r.cite                                     # every recipe says where it comes from


def test_explicit_keys_override_and_scale_sits_between():
    r = recipes.resolve(_Cfg("wgan_gp", lr_d=1e-3, d_steps=2))
    assert (r.lr_d, r.d_steps, r.lr_g, r.gp_lambda) == (1e-3, 2, 1e-4, 10.0)
    scale = {"wgan_gp": {"lr_d": 5e-4, "lr_g": 7e-4}}
    r = recipes.resolve(_Cfg("wgan_gp", lr_d=1e-3), scale)
    assert (r.lr_d, r.lr_g) == (1e-3, 7e-4)
    line = recipes.describe(_Cfg("wgan_gp", lr_d=1e-3))
    assert "lr_d 0.001 (yours)" in line and "lr_g 0.0001," in line and "Gulrajani" in line
    with pytest.raises(ConfigError, match="recipe='nope'"):
        recipes.resolve(_Cfg("nope"))
    with pytest.raises(ConfigError, match="constraint='x'"):
        recipes.resolve(_Cfg("ns", constraint="x"))


def test_make_optimizer_builds_the_named_kind():
    p = [torch.nn.Parameter(torch.zeros(3))]
    assert isinstance(recipes.make_optimizer("adam", p, 1e-3, (0.0, 0.9)), torch.optim.Adam)
    assert isinstance(recipes.make_optimizer("rmsprop", p, 1e-3), torch.optim.RMSprop)
    opt = recipes.make_optimizer("sgd", p, 0.5)
    recipes.set_lr(opt, 0.25)
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["lr"] == 0.25
    with pytest.raises(ConfigError):
        recipes.make_optimizer("lbfgs", p, 1.0)


def test_spectral_norm_is_one_lipschitz_up_to_the_power_iteration():
    """The power iteration's estimate u^T W v never exceeds the top singular value, so W / estimate
    has spectral norm >= 1: above 1 while the iteration has not converged (here a weight whose
    two top singular values differ by 1%), and down to 1 as the iterations (one per training
    forward pass, Miyato et al.) converge. 1-Lipschitz up to the estimate, not strictly."""
    from torch.nn.utils.parametrizations import spectral_norm

    from lab.nets import top_singular_values
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(16, 16, generator=g))
    v, _ = torch.linalg.qr(torch.randn(16, 16, generator=g))
    lin = torch.nn.Linear(16, 16)
    with torch.no_grad():
        lin.weight.copy_(u @ torch.diag(torch.linspace(1.0, 0.5, 16) ** 0.05) @ v.T)   # 1, 0.998, ...
    layer = spectral_norm(lin, n_power_iterations=1)
    layer.train()
    layer(torch.randn(4, 16))
    first = top_singular_values(torch.nn.Sequential(layer))[0]
    for _ in range(3000):
        layer(torch.randn(4, 16))
    later = top_singular_values(torch.nn.Sequential(layer))[0]
    assert first > 1.0 + 1e-4                        # not converged: visibly above 1
    assert 1.0 - 1e-5 <= later < first and later < 1.0 + 1e-3
