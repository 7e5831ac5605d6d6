"""DCGAN, WGAN-GP and SN-GAN on images (note 002: Radford et al.'s guidelines and latent
interpolation; note 004: the Wasserstein critic, and FID, here on GenLab's own features).

Defaults are sized for a 2-core CPU: the embedded digits at 28 px, width 32, batch 64 show
digit strokes within a few hundred steps (a couple of minutes). On a CUDA GPU the same
command trains in bfloat16 with channels_last tensors.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import check_choice, check_range, opt
from lab.experiments import Experiment
from lab.images.config import ImageConfig
from lab.images.dcgan import VARIANTS
from lab.images.runs import GANRun

# model -> (Adam lr, betas, critic steps per G step), each the model's paper setting:
# DCGAN (Radford et al.), WGAN-GP (Gulrajani et al., Alg. 1), SN-GAN (Miyato et al., setting C).
PAPER = {"dcgan": (2e-4, (0.5, 0.999), 1), "wgan_gp": (1e-4, (0.0, 0.9), 5), "sngan": (2e-4, (0.5, 0.999), 1)}


@dataclass(frozen=True)
class ImageGANConfig(ImageConfig):
    model: str = opt("dcgan", "dcgan (BCE, batch norm) | wgan_gp (Wasserstein + gradient penalty) | "
                              "sngan (spectral norm + hinge)")
    steps: int = opt(2000, "generator updates")
    lr: float = opt(0.0, "Adam learning rate; 0 = the model's paper value (2e-4, WGAN-GP 1e-4)")
    n_critic: int = opt(0, "D updates per G update; 0 = the paper value (5 for wgan_gp, else 1)")
    gp_lambda: float = opt(10.0, "gradient-penalty weight lambda (wgan_gp)")
    z_dim: int = opt(64, "latent dimension")

    def __post_init__(self):
        self.check_common()
        check_choice("model", self.model, VARIANTS)
        check_range("steps", self.steps, 0, 10_000_000)
        check_range("lr", self.lr, 0.0, 1.0)
        check_range("n_critic", self.n_critic, 0, 100)
        check_range("gp_lambda", self.gp_lambda, 0.0, 1000.0)
        check_range("z_dim", self.z_dim, 1, 1024)

    @property
    def learning_rate(self) -> float:
        return self.lr or PAPER[self.model][0]

    @property
    def betas(self) -> tuple[float, float]:
        return PAPER[self.model][1]

    @property
    def critic_steps(self) -> int:
        return self.n_critic or PAPER[self.model][2]


def make_run(cfg: ImageGANConfig, data=None) -> GANRun:
    return GANRun(cfg, data)


def figures(run: GANRun) -> dict:
    from lab.figures.images import gan_curves, samples_figure
    snap = run.snapshot()
    title = f"{run.cfg.model} on {run.cfg.data}, step {snap['step']}: samples from the fixed noise"
    return {"samples": samples_figure(snap["samples"], title),
            "curves": gan_curves(snap["history"], snap["fd_label"], run.trainer.objective.probabilistic)}


def artifacts(run: GANRun, out: Path) -> None:
    from lab.figures.images import png_bytes
    (out / "samples.png").write_bytes(png_bytes(run.snapshot()["samples"], scale=2))


EXPERIMENT = Experiment(
    name="image_gan",
    summary="DCGAN, WGAN-GP or SN-GAN on digits, MNIST, Fashion-MNIST, CIFAR-10 or your images; Fréchet score",
    config=ImageGANConfig,
    make_run=make_run,
    figures=figures,
    artifacts=artifacts,
)
