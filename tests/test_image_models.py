"""DCGAN by every recipe / conv VAE: shapes at every size, one finite CPU step, the layer
factory's spectral norm, recipes applied by name (explicit keys override), live retuning, pure
snapshots, safe checkpoints and exact resume."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

import lab.run
from lab import checkpoint
from lab.config import ConfigError, from_strings_noted
from lab.data.images import ImageData
from lab.experiments.image_gan import ImageGANConfig, make_run as make_gan
from lab.experiments.image_gan.config import RECIPES
from lab.experiments.image_vae import ImageVAEConfig, make_run as make_vae
from lab.gan import lipschitz, recipes
from lab.images.conv_vae import ConvVAE
from lab.images.dcgan import Discriminator, build, d_norm
from lab.images.trainer import GANTrainer, VAETrainer

TINY = dict(steps=10, width=8, batch=8, latent=8, fd_every=0, fd_samples=0, device="cpu")


def _tiny_data(size=28, channels=1, n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    return ImageData(imgs, torch.randint(0, 10, (n,), generator=g), "test")


def _curves(run) -> dict:
    """The history without the wall-clock speed (the one thing two identical runs differ in);
    NaN (no Fréchet score on that row) as None, so that equal histories compare equal."""
    return {k: [None if x != x else x for x in v] for k, v in run.history.items() if k != "images_per_sec"}


def _bn(net) -> list:
    return [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("constraint", lipschitz.CONSTRAINTS)
def test_generator_and_discriminator_shapes(size, constraint):
    G, D = build(16, 3, size, 8, norm=d_norm(constraint), layer=lipschitz.make_constraint(constraint).layer)
    x = G(torch.randn(4, 16))
    assert x.shape == (4, 3, size, size)
    assert float(x.detach().abs().max()) <= 1                    # tanh output
    assert D(x).shape == (4,)
    # batch norm in D unless the constraint is per sample (gp) or spectral norm
    assert (len(_bn(D)) > 0) == (constraint in ("none", "clip"))
    assert any(hasattr(m, "parametrizations") for m in D.modules()) == (constraint == "sn")


@pytest.mark.parametrize("size", [28, 32, 64])
def test_vae_shapes_and_kl_closed_form(size):
    vae = ConvVAE(latent=4, channels=1, size=size, width=8)
    x = torch.rand(3, 1, size, size)
    with torch.no_grad():
        mu, logvar = vae.encode(x)
        assert mu.shape == logvar.shape == (3, 4)
        assert vae.decode(mu).shape == (3, 1, size, size)
        parts = vae.losses(x, torch.Generator().manual_seed(0))
    # KL(N(mu, s^2) || N(0, 1)) against torch.distributions' own closed form
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(mu, (0.5 * logvar).exp()),
                                            torch.distributions.Normal(0.0, 1.0)).sum(1).mean()
    assert float(parts["kl"]) == pytest.approx(float(ref), rel=1e-4, abs=1e-5)
    assert float(parts["loss"]) == pytest.approx(float(parts["recon"] + parts["kl"]), rel=1e-6)


def test_bad_size_is_a_config_error():
    with pytest.raises(ConfigError, match="size=48 is not one of: 28, 32, 64"):
        ImageGANConfig(size=48)
    with pytest.raises(ConfigError, match="size=48"):
        build(8, 1, 48, 8)


def test_spectral_norm_critic_has_unit_top_singular_values():
    D = Discriminator(1, 28, 8, norm="none", layer="sn")
    D.train()
    for _ in range(30):   # power iterations converge on forward passes in training mode
        D(torch.randn(2, 1, 28, 28))
    D.eval()
    for m in D.modules():
        if isinstance(m, torch.nn.Conv2d):
            s = torch.linalg.svdvals(m.weight.detach().flatten(1))[0]
            assert float(s) == pytest.approx(1.0, abs=0.05)


# ---- recipes ------------------------------------------------------------------------------------
def _betas(opt) -> tuple:
    return tuple(opt.param_groups[0]["betas"])


def test_wgan_gp_recipe_brings_its_paper_setting_and_explicit_keys_override():
    run = make_gan(ImageGANConfig(recipe="wgan_gp", **TINY), _tiny_data())
    t = run.trainer
    for opt in (t.opt_d, t.opt_g):                                  # Gulrajani et al., Alg. 1
        assert isinstance(opt, torch.optim.Adam)
        assert opt.param_groups[0]["lr"] == 1e-4 and _betas(opt) == (0.0, 0.9)
    assert t.d_steps == 5 and t.objective.name == "wasserstein"
    assert isinstance(t.constraint, lipschitz.GradientPenalty) and t.constraint.lam == 10.0
    assert _bn(t.D) == [] and t.joint
    mine = make_gan(ImageGANConfig(recipe="wgan_gp", lr_d=3e-4, d_steps=2, **TINY), _tiny_data()).trainer
    assert mine.opt_d.param_groups[0]["lr"] == 3e-4 and mine.opt_g.param_groups[0]["lr"] == 1e-4
    assert mine.d_steps == 2 and _betas(mine.opt_d) == (0.0, 0.9)
    assert "lr_d 0.0003 (yours)" in recipes.describe(ImageGANConfig(recipe="wgan_gp", lr_d=3e-4))


def test_each_recipe_builds_its_optimiser_and_discriminator():
    want = {"ns": (torch.optim.Adam, 2e-4, 1, True), "lsgan": (torch.optim.Adam, 2e-4, 1, True),
            "wgan": (torch.optim.RMSprop, 5e-5, 5, True), "wgan_gp": (torch.optim.Adam, 1e-4, 5, False),
            "sngan": (torch.optim.Adam, 2e-4, 1, False)}
    assert set(want) == set(RECIPES)
    for name, (kind, lr, d_steps, bn) in want.items():
        t = make_gan(ImageGANConfig(recipe=name, **TINY), _tiny_data()).trainer
        assert type(t.opt_d) is kind and t.opt_d.param_groups[0]["lr"] == lr, name
        assert t.d_steps == d_steps and (len(_bn(t.D)) > 0) == bn, name


def test_old_keys_are_read_as_today_s():
    cfg, notes = from_strings_noted(ImageGANConfig, {"model": "dcgan", "lr": "0.001", "n_critic": "3", "z_dim": "32"})
    assert (cfg.recipe, cfg.lr_d, cfg.lr_g, cfg.d_steps, cfg.latent) == ("ns", 1e-3, 1e-3, 3, 32)
    assert len(notes) == 4 and all("old name" in n for n in notes)
    cfg, _ = from_strings_noted(ImageGANConfig, {"model": "sngan", "lr": "0", "n_critic": "0"})
    assert (cfg.recipe, cfg.lr_d, cfg.lr_g, cfg.d_steps) == ("sngan", None, None, None)   # 0 meant "the paper's"
    with pytest.raises(ConfigError, match="recipe='biggan' is not one of: ns, lsgan, wgan, wgan_gp, sngan"):
        from_strings_noted(ImageGANConfig, {"model": "biggan"})
    assert from_strings_noted(ImageVAEConfig, {"z_dim": "5"})[0].latent == 5


def test_weight_clipping_recipe_keeps_every_critic_weight_in_bounds():
    run = make_gan(ImageGANConfig(recipe="wgan", clip=0.02, **TINY), _tiny_data())
    run.advance(1)
    w = torch.cat([p.detach().flatten() for p in run.trainer.D.parameters()])
    assert float(w.abs().max()) == pytest.approx(0.02, abs=1e-7)      # DCGAN's N(0, 0.02) init, then clipped


def test_live_keys_retune_the_optimiser_in_place_and_others_rebuild():
    run = make_gan(ImageGANConfig(**TINY), _tiny_data())
    run.advance(2)
    opt = run.trainer.opt_d
    assert run.retune(ImageGANConfig(lr_d=1e-3, d_steps=2, beta1=0.0, **{**TINY, "steps": 50}))
    assert run.trainer.opt_d is opt and opt.param_groups[0]["lr"] == 1e-3 and _betas(opt) == (0.0, 0.999)
    assert run.trainer.d_steps == 2 and run.total == 50 and run.step == 2
    assert not run.retune(ImageGANConfig(recipe="sngan", **TINY))
    assert not run.retune(ImageGANConfig(**{**TINY, "width": 16}))
    vae = make_vae(ImageVAEConfig(**TINY), _tiny_data())
    assert vae.retune(ImageVAEConfig(lr=3e-3, beta=0.5, **TINY))
    assert vae.trainer.opt.param_groups[0]["lr"] == 3e-3 and vae.trainer.beta == 0.5


# ---- training -----------------------------------------------------------------------------------
@pytest.mark.parametrize("recipe", RECIPES)
def test_one_training_step_is_finite_and_moves_both_nets(recipe):
    run = make_gan(ImageGANConfig(recipe=recipe, d_steps=2, **TINY), _tiny_data())
    t = run.trainer
    g0 = [p.detach().clone() for p in t.G.parameters()]
    d0 = [p.detach().clone() for p in t.D.parameters()]
    run.advance(1)
    out = run._last
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "images_per_sec"):
        assert math.isfinite(out[key]), key
    if t.objective.probabilistic:
        assert 0 < out["d_real"] < 1 and 0 < out["d_fake"] < 1
    assert ("gp" in out) == (recipe == "wgan_gp") and out.get("gp", 1) > 0
    assert any(not torch.equal(a, b) for a, b in zip(g0, t.G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, t.D.parameters()))
    assert run.step == t.step == 1 and t.images_seen == 8 * 2
    assert t.precision == "float32"


def test_the_d_step_is_lab_gan_step_s():
    """The trainer's D loss on a batch equals lab.gan.objectives' loss of D's outputs computed
    here by hand (one D step in the code base: lab.gan.step.d_objective)."""
    t = make_gan(ImageGANConfig(recipe="sngan", **TINY), _tiny_data()).trainer
    with torch.no_grad():
        real, fake = t.next_real(), t.G(t.noise(t.batch))     # what the same seed's first step draws
        out = t.D(torch.cat([real, fake]))                     # one joint pass: one power iteration
    want = float(torch.relu(1 - out[:8]).mean() + torch.relu(1 + out[8:]).mean())   # hinge (Miyato et al.)
    fresh = make_gan(ImageGANConfig(recipe="sngan", **TINY), _tiny_data())
    fresh.advance(1)
    assert fresh._last["loss_d"] == pytest.approx(want, rel=1e-5)


def test_vae_step_finite_and_loss_decreases_on_fixed_data():
    t = VAETrainer(_tiny_data(n=16), latent=4, width=8, batch=16, lr=3e-3, seed=0)
    first = t.advance(1)["recon"]
    last = t.advance(30)["recon"]
    assert math.isfinite(first) and last < first


def test_same_seed_same_numbers():
    a = make_gan(ImageGANConfig(seed=3, **TINY), _tiny_data())
    b = make_gan(ImageGANConfig(seed=3, **TINY), _tiny_data())
    a.advance(2)
    b.advance(2)
    assert _curves(a) == _curves(b)
    c = make_gan(ImageGANConfig(seed=4, **TINY), _tiny_data())
    c.advance(2)
    assert c.history["loss_d"] != a.history["loss_d"]


def test_history_rows_align_and_fd_is_measured_on_schedule_and_at_the_end():
    run = make_gan(ImageGANConfig(**{**TINY, "steps": 12, "fd_every": 5, "fd_samples": 100}))   # digits: shipped FD net
    run.advance(7)
    run.advance(7)
    h = run.history
    assert len({len(v) for v in h.values()}) == 1                      # one row per logged step
    measured = [s for s, v in zip(h["step"], h["fd"]) if math.isfinite(v)]
    assert measured == [5, 10, 12]                                     # every 5 steps, and at the end
    assert h["step"] == [5, 7, 10, 12, 14]
    assert run.metrics()["fd"] == h["fd"][3] and run.metrics()["steps"] == 14


# ---- snapshots ----------------------------------------------------------------------------------
def _bn_stats(net) -> list:
    return [t.clone() for m in _bn(net) for t in (m.running_mean, m.running_var, m.num_batches_tracked)]


@pytest.mark.parametrize("exp", ["image_gan", "image_vae"])
def test_snapshot_is_pure(exp):
    run = (make_gan if exp == "image_gan" else make_vae)(
        (ImageGANConfig if exp == "image_gan" else ImageVAEConfig)(**TINY), _tiny_data())
    run.advance(3)
    t = run.trainer
    nets = [t.G, t.D] if exp == "image_gan" else [t.vae]
    stats = [_bn_stats(n) for n in nets]
    assert all(stats) and all(n.training for n in nets)
    rng = (t.gen.get_state(), t.dev_gen.get_state(), t._pos)
    hist = {k: list(v) for k, v in run.history.items()}
    a, b = run.snapshot(), run.snapshot()
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert np.array_equal(a[key], b[key]), key
        elif key not in ("eta_s",):
            assert a[key] == b[key] or (a[key] != a[key] and b[key] != b[key]), key
    assert run.history == hist and run.step == 3
    assert all(torch.equal(x, y) for n, s in zip(nets, stats) for x, y in zip(_bn_stats(n), s))
    assert all(n.training for n in nets)                              # read in eval mode, then put back
    assert (t.gen.get_state().tolist(), t.dev_gen.get_state().tolist(), t._pos) == \
           (rng[0].tolist(), rng[1].tolist(), rng[2])
    run.interpolation(0, 1)
    assert all(torch.equal(x, y) for n, s in zip(nets, stats) for x, y in zip(_bn_stats(n), s))


# ---- checkpoints --------------------------------------------------------------------------------
@pytest.mark.parametrize("exp", ["image_gan", "image_vae"])
def test_checkpoint_round_trip_resumes_exactly(exp):
    cfg = (ImageGANConfig if exp == "image_gan" else ImageVAEConfig)(**{**TINY, "data": "digits"})
    run = (make_gan if exp == "image_gan" else make_vae)(cfg)
    run.advance(3)
    back = lab.run.load(run.state_bytes(), exp)
    assert type(back) is type(run) and back.cfg == cfg and back.step == 3 and _curves(back) == _curves(run)
    for a, b in zip(run.trainer.state_dict().values(), back.trainer.state_dict().values()):
        if isinstance(a, torch.Tensor):
            assert torch.equal(a, b)
    run.advance(4)
    back.advance(4)
    assert _curves(back) == _curves(run)                                 # the same steps, to the bit
    assert np.array_equal(run.snapshot()["samples"], back.snapshot()["samples"])


class _Payload:
    """Unpickling this would create `marker`: the code execution a checkpoint must not allow."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_malicious_checkpoint_is_refused_without_running_code(tmp_path):
    import io
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT, "version": 1, "x": _Payload(marker)}, buf)
    with pytest.raises(checkpoint.CheckpointError, match="refused: the file asks to run Python code"):
        lab.run.load(buf.getvalue(), "image_gan")
    assert not marker.exists()


def test_non_checkpoints_give_one_line_errors():
    import io
    for content in (b"definitely not a checkpoint", b"junk", b"", b"PK\x03\x04broken zip"):
        with pytest.raises(checkpoint.CheckpointError, match="not a checkpoint file") as err:
            lab.run.load(content, "image_gan")
        assert "\n" not in str(err.value)
    buf = io.BytesIO()
    torch.save({"weights": torch.zeros(3)}, buf)
    with pytest.raises(checkpoint.CheckpointError, match="not a GenLab run file"):
        lab.run.load(buf.getvalue(), "image_gan")
    vae = make_vae(ImageVAEConfig(**{**TINY, "data": "digits"}))
    with pytest.raises(checkpoint.CheckpointError, match="this file is from 'image_vae', not 'image_gan'"):
        lab.run.load(vae.state_bytes(), "image_gan")


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_path_runs_on_cpu(precision):
    """The CUDA code path (autocast; GradScaler for float16; GP in float32), forced on a CPU:
    no GPU is needed to know it runs and stays finite."""
    run = make_gan(ImageGANConfig(recipe="wgan_gp", d_steps=2, precision=precision, **TINY), _tiny_data())
    run.advance(2)
    t = run.trainer
    assert t.precision == precision and t.scaler_d.is_enabled() == (precision == "float16")
    assert all(math.isfinite(v) for v in run._last.values()) and run._last["gp"] > 0
    assert t.sample().dtype == torch.float32
    v = VAETrainer(_tiny_data(), latent=4, width=8, batch=8, seed=0, precision=precision)
    assert math.isfinite(v.advance(2)["loss"])
    assert GANTrainer(recipes.get("sngan"), _tiny_data(), latent=4, width=8, batch=8,
                      precision=precision).advance(1)["loss_d"] == pytest.approx(2.0, abs=0.5)
