"""A convolutional VAE on images (notes 000 and 001: the ELBO, the Bernoulli decoder and the
reparameterisation trick), with the DCGAN's blocks as encoder and decoder. Shows
reconstructions, prior samples and a latent walk; the Fréchet score of prior samples on the
same GenLab features as the GANs, so the two families can be compared on one scale.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import check_range, opt
from lab.experiments import Experiment
from lab.images.config import ImageConfig
from lab.images.runs import VAERun



@dataclass(frozen=True)
class ImageVAEConfig(ImageConfig):
    steps: int = opt(2000, "gradient steps on -ELBO")
    lr: float = opt(1e-3, "Adam learning rate")
    beta: float = opt(1.0, "weight of the KL term (beta-VAE; 1 = the ELBO)")
    z_dim: int = opt(16, "latent dimension")

    def __post_init__(self):
        self.check_common()
        check_range("steps", self.steps, 0, 10_000_000)
        check_range("lr", self.lr, 1e-6, 1.0)
        check_range("beta", self.beta, 0.0, 100.0)
        check_range("z_dim", self.z_dim, 1, 1024)


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
