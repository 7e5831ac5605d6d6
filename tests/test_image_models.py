"""DCGAN / WGAN-GP / SN-GAN / conv VAE: shapes at every size, one finite CPU step, the
layer factory's spectral norm, safe checkpoints and exact resume."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from lab.config import ConfigError
from lab.images import checkpoint
from lab.images.conv_vae import ConvVAE
from lab.data.images import ImageData
from lab.images.dcgan import Discriminator, build
from lab.images.trainer import GANTrainer, VAETrainer


def _tiny_data(size=28, channels=1, n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    imgs = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    return ImageData(imgs, torch.randint(0, 10, (n,), generator=g), "test")


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("model", ["dcgan", "wgan_gp", "sngan"])
def test_generator_and_discriminator_shapes(size, model):
    G, D = build(model, 16, 3, size, 8)
    x = G(torch.randn(4, 16))
    assert x.shape == (4, 3, size, size)
    assert float(x.detach().abs().max()) <= 1                    # tanh output
    assert D(x).shape == (4,)
    bn = [m for m in D.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert (len(bn) > 0) == (model == "dcgan")                    # no batch norm in a Lipschitz critic


@pytest.mark.parametrize("size", [28, 32, 64])
def test_vae_shapes_and_kl_closed_form(size):
    vae = ConvVAE(z_dim=4, channels=1, size=size, width=8)
    x = torch.rand(3, 1, size, size)
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
    with pytest.raises(ConfigError, match="size=48"):
        build("dcgan", 8, 1, 48, 8)


def test_spectral_norm_critic_has_unit_top_singular_values():
    D = Discriminator(1, 28, 8, norm="none", layer="sn")
    D.train()
    for _ in range(30):   # power iterations converge on forward passes in training mode
        D(torch.randn(2, 1, 28, 28))
    D.eval()
    for m in D.modules():
        if isinstance(m, torch.nn.Conv2d):
            s = torch.linalg.svdvals(m.weight.flatten(1))[0]
            assert float(s) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("model,n_critic", [("dcgan", 1), ("wgan_gp", 2), ("sngan", 1)])
def test_one_training_step_is_finite_and_moves_both_nets(model, n_critic):
    t = GANTrainer(model, _tiny_data(), z_dim=8, width=8, batch=8, n_critic=n_critic, seed=1)
    g0 = [p.detach().clone() for p in t.G.parameters()]
    out = t.advance(1)
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "images_per_sec"):
        assert math.isfinite(out[key]), key
    if model == "dcgan":
        assert 0 < out["d_real"] < 1 and 0 < out["d_fake"] < 1
    if model == "wgan_gp":
        assert out["gp"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(g0, t.G.parameters()))
    assert t.step == 1 and t.images_seen == 8 * n_critic
    assert t.precision == "float32"


def test_vae_step_finite_and_loss_decreases_on_fixed_data():
    t = VAETrainer(_tiny_data(n=16), z_dim=4, width=8, batch=16, lr=3e-3, seed=0)
    first = t.advance(1)["recon"]
    last = t.advance(30)["recon"]
    assert math.isfinite(first) and last < first


def test_same_seed_same_numbers():
    a = GANTrainer("dcgan", _tiny_data(), z_dim=8, width=8, batch=8, seed=3).advance(2)
    b = GANTrainer("dcgan", _tiny_data(), z_dim=8, width=8, batch=8, seed=3).advance(2)
    assert a["loss_d"] == b["loss_d"] and a["loss_g"] == b["loss_g"]


def test_checkpoint_round_trip_resumes_exactly(tmp_path):
    from lab.experiments.image_gan import ImageGANConfig
    from lab.images.runs import GANRun
    cfg = ImageGANConfig(steps=10, width=8, batch=8, z_dim=8, fd_every=0, fd_samples=100, device="cpu")
    run = GANRun(cfg)
    run.advance(3)
    path = checkpoint.save(tmp_path / "ck.pt", "image_gan", cfg, run.trainer.state_dict(), run.history)
    back = GANRun.from_checkpoint(path.read_bytes(), ImageGANConfig)
    assert back.step == 3 and back.history["loss_d"] == run.history["loss_d"]
    for a, b in zip(run.trainer.G.state_dict().values(), back.trainer.G.state_dict().values()):
        assert torch.equal(a, b)
    run.advance(2)
    back.advance(2)
    assert run.history["loss_g"][-1] == back.history["loss_g"][-1]


class _Payload:
    """Unpickling this would create `marker`: the code execution a checkpoint must not allow."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_malicious_checkpoint_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.pt"
    torch.save({"format": checkpoint.FORMAT, "version": 1, "x": _Payload(marker)}, bad)
    with pytest.raises(checkpoint.CheckpointError, match="refused"):
        checkpoint.load(bad, "image_gan")
    assert not marker.exists()


def test_non_checkpoints_give_clear_errors(tmp_path):
    junk = tmp_path / "junk.pt"
    for content in (b"definitely not a checkpoint", b"junk", b"", b"PK\x03\x04broken zip"):
        junk.write_bytes(content)
        with pytest.raises(checkpoint.CheckpointError, match="not a checkpoint file"):
            checkpoint.load(junk, "image_gan")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(checkpoint.CheckpointError, match="not a GenLab image checkpoint"):
        checkpoint.load(other, "image_gan")
    from lab.experiments.image_vae import ImageVAEConfig
    data = checkpoint.to_bytes("image_vae", ImageVAEConfig(), {}, {})
    with pytest.raises(checkpoint.CheckpointError, match="from 'image_vae'"):
        checkpoint.from_bytes(data, "image_gan")


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_path_runs_on_cpu(precision):
    """The CUDA code path (autocast; GradScaler for float16; GP in float32), forced on a CPU:
    no GPU is needed to know it runs and stays finite."""
    t = GANTrainer("wgan_gp", _tiny_data(), z_dim=8, width=8, batch=8, n_critic=2, seed=0, precision=precision)
    out = t.advance(2)
    assert t.precision == precision and t.scaler_d.is_enabled() == (precision == "float16")
    assert all(math.isfinite(v) for v in out.values())
    assert t.sample().dtype == torch.float32
    v = VAETrainer(_tiny_data(), z_dim=4, width=8, batch=8, seed=0, precision=precision)
    assert math.isfinite(v.advance(2)["loss"])
