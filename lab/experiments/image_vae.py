"""A convolutional VAE on images (notes 000 and 001: the ELBO, the Bernoulli decoder and the
reparameterisation trick), with the DCGAN's blocks as encoder and decoder. Shows
reconstructions, prior samples and a latent walk; the Fréchet score of prior samples on the
same GenLab features as the GANs, so the two families can be compared on one scale.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import ConfigError, check_choice, check_range, opt
from lab.experiments import Experiment
from lab.images.data import CHANNELS, SOURCES
from lab.images.dcgan import SIZES
from lab.images.runs import VAERun
from lab.images.trainer import PRECISIONS

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class ImageVAEConfig:
    data: str = opt("digits", "digits (embedded, offline) | mnist | fashion (IDX files) | cifar10 (binary "
                              "version) | folder (a folder or .zip of your images)")
    data_dir: str = opt("", "where mnist / fashion / cifar10 / folder data is; empty for digits")
    channels: str = opt("auto", "auto (as the data) | grey | rgb")
    size: int = opt(28, "image side in pixels: 28, 32 or 64")
    batch: int = opt(64, "images per batch")
    steps: int = opt(2000, "gradient steps on -ELBO")
    lr: float = opt(1e-3, "Adam learning rate")
    beta: float = opt(1.0, "weight of the KL term (beta-VAE; 1 = the ELBO)")
    z_dim: int = opt(16, "latent dimension")
    width: int = opt(32, "channels of the widest-resolution layer; doubles at each halving")
    fd_every: int = opt(500, "steps between two Fréchet scores; 0 = only at the end")
    fd_samples: int = opt(1000, "generated (and real) images per Fréchet score")
    inception: str = opt("", "optional: pytorch-fid's Inception weights file (pt_inception-2015-12-05-"
                             "6726825d.pth); then metrics also has 'fid', true FID at the end")
    seed: int = opt(0, "random seed: same seed, same run on a CPU")
    device: str = opt("auto", "auto (CUDA if present) | cpu | cuda")
    precision: str = opt("auto", "auto (bfloat16 autocast on a CUDA card, float16 if it lacks bf16; float32 "
                                 "on a CPU) | float32 | bfloat16 | float16")

    def __post_init__(self):
        check_choice("data", self.data, SOURCES)
        check_choice("channels", self.channels, CHANNELS)
        check_choice("device", self.device, DEVICES)
        check_choice("precision", self.precision, ("auto", *PRECISIONS))
        if self.size not in SIZES:
            raise ConfigError(f"size={self.size} is not one of: {', '.join(map(str, SIZES))}")
        check_range("batch", self.batch, 2, 4096)
        check_range("steps", self.steps, 0, 10_000_000)
        check_range("lr", self.lr, 1e-6, 1.0)
        check_range("beta", self.beta, 0.0, 100.0)
        check_range("z_dim", self.z_dim, 1, 1024)
        check_range("width", self.width, 4, 512)
        check_range("fd_every", self.fd_every, 0, 10_000_000)
        check_range("fd_samples", self.fd_samples, 100, 50_000)
        if self.inception and not Path(self.inception).expanduser().is_file():
            raise ConfigError(f"inception={self.inception!r} is not a file")


def make_run(cfg: ImageVAEConfig, data=None) -> VAERun:
    return VAERun(cfg, data)


def figures(run: VAERun) -> dict:
    import numpy as np

    from lab.figures.images import samples_figure, vae_curves
    snap = run.snapshot()
    pairs = np.concatenate([snap["real"][:16], snap["reconstructions"]])
    return {"samples": samples_figure(snap["samples"], f"VAE on {run.cfg.data}, step {snap['step']}: prior samples"),
            "reconstructions": samples_figure(pairs, "real (top two rows) and reconstructions (bottom two)"),
            "latent_walk": samples_figure(snap["walk"], "latent walk: each row sweeps one of the 6 most used latent directions"),
            "curves": vae_curves(snap["history"], snap["fd_label"])}


def artifacts(run: VAERun, out: Path) -> None:
    """The grids as PNG files beside the HTML figures."""
    import numpy as np

    from lab.figures.images import png_bytes
    snap = run.snapshot()
    grids = {"samples": snap["samples"], "latent_walk": snap["walk"],
             "reconstructions": np.concatenate([snap["real"][:16], snap["reconstructions"]])}
    for stem, images in grids.items():
        (out / f"{stem}.png").write_bytes(png_bytes(images, scale=2))


EXPERIMENT = Experiment(
    name="image_vae",
    summary="A convolutional VAE on digits, MNIST, Fashion-MNIST, CIFAR-10 or your images; Fréchet score",
    config=ImageVAEConfig,
    make_run=make_run,
    figures=figures,
    artifacts=artifacts,
)
