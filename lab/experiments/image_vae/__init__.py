"""A convolutional VAE on images (notes 000 and 001: the ELBO, the Bernoulli decoder and the
reparameterisation trick), with the DCGAN's blocks as encoder and decoder. Shows
reconstructions, prior samples and a latent walk; the Fréchet score of prior samples on the
same GenLab features as the GANs, so the two families can be compared on one scale.
"""
from lab.experiments import Experiment, SeedSpec
from lab.images import arithmetic
from lab.experiments.image_vae import figures
from lab.experiments.image_vae.config import ImageVAEConfig
from lab.experiments.image_vae.run import ConvVAERun


def make_run(cfg: ImageVAEConfig, data=None, upload: bytes | None = None) -> ConvVAERun:
    """`data`: images already loaded; `upload`: a zip's bytes for data=folder (the page's
    upload); else cfg's data is loaded."""
    return ConvVAERun(cfg, data, upload)


EXPERIMENT = Experiment(
    name="image_vae",
    summary="A convolutional VAE on digits, MNIST, Fashion-MNIST, CIFAR-10 or your images; Fréchet score",
    config=ImageVAEConfig,
    make_run=make_run,
    figures=lambda run: figures.figures(run.snapshot()),
    artifacts=lambda run, out: (figures.write_grids(run.snapshot(), out), arithmetic.write_grids(run, out)),
    smoke=dict(steps=2, width=4, batch=4, latent=4, fd_samples=0, device="cpu"),
    seeds=SeedSpec(keys=("fd", "loss", "kl"), numbers=lambda run: run.metrics(),
                   labels={"fd": "Fréchet distance (GenLab features)", "loss": "-ELBO (nats)", "kl": "KL (nats)"}),
)
