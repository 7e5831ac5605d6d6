"""DCGAN, LSGAN, WGAN, WGAN-GP and SN-GAN on images, each by its paper recipe (note 002:
Radford et al.'s guidelines and latent interpolation; note 004: the Wasserstein critic, and
FID, here on GenLab's own features).

Defaults are sized for a 2-core CPU: the embedded digits at 28 px, width 32, batch 64 show
digit strokes within a few hundred steps (a couple of minutes). On a CUDA GPU the same
command trains in bfloat16 with channels_last tensors.
"""
from lab.experiments import Experiment, SeedSpec
from lab.images import arithmetic
from lab.experiments.image_gan import figures
from lab.experiments.image_gan.config import ImageGANConfig
from lab.experiments.image_gan.run import GANRun


def make_run(cfg: ImageGANConfig, data=None, upload: bytes | None = None) -> GANRun:
    """`data`: images already loaded; `upload`: a zip's bytes for data=folder (the page's
    upload); else cfg's data is loaded."""
    return GANRun(cfg, data, upload)


EXPERIMENT = Experiment(
    name="image_gan",
    summary="DCGAN, LSGAN, WGAN, WGAN-GP or SN-GAN on digits, MNIST, Fashion-MNIST, CIFAR-10 or your images; "
            "Fréchet score",
    config=ImageGANConfig,
    make_run=make_run,
    figures=lambda run: figures.figures(run.snapshot()),
    artifacts=lambda run, out: (figures.write_grids(run.snapshot(), out), arithmetic.write_grids(run, out)),
    smoke=dict(steps=2, width=4, batch=4, latent=4, fd_samples=0, device="cpu"),
    seeds=SeedSpec(keys=("fd", "loss_d", "loss_g"), numbers=lambda run: run.metrics(),
                   labels={"fd": "Fréchet distance (GenLab features)", "loss_d": "D loss", "loss_g": "G loss"}),
)
