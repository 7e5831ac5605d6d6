"""The core against trusted references: torch's own SVD and hand-computed losses. (Mixtures,
divergences and D* are tested in tests/test_discriminator_maths.py.)"""
import dataclasses

import pytest
import torch

from lab.gan import lipschitz, objectives
from lab.config import ConfigError, from_strings, from_strings_lenient, parse_assignments, to_strings
from lab.device import build_seeded, generator, pick_device
from lab.nets import mlp, shrink_last_layer, top_singular_values


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
