"""The image GAN's keys: the data and model keys every image experiment has (ImageConfig), a
paper recipe (lab.gan.recipes) and the recipe keys one may override.

A recipe brings its objective, constraint, optimiser, learning rates, betas and D steps:
    ns       DCGAN (Radford et al. 2016): non-saturating loss, batch norm in D, Adam 2e-4 (0.5, 0.999)
    lsgan    LSGAN (Mao et al. 2017) on the same DCGAN, Adam 2e-4 beta1 0.5
    wgan     WGAN (Arjovsky et al. 2017): weight clipping 0.01, RMSProp 5e-5, 5 critic steps
    wgan_gp  WGAN-GP (Gulrajani et al. 2017): no batch norm in D, lambda 10, Adam 1e-4 (0, 0.9), 5 critic steps
    sngan    SN-GAN (Miyato et al. 2018): spectral norm in D, hinge loss, Adam 2e-4 (0.5, 0.999)
Keys left at None take the recipe's value; a key given explicitly overrides it.
"""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import opt
from lab.gan.lipschitz import CONSTRAINTS
from lab.images.config import ImageConfig

RECIPES = ("ns", "lsgan", "wgan", "wgan_gp", "sngan")
# model= of earlier links and commands -> today's recipe
OLD_MODELS = {"dcgan": "ns", "wgan_gp": "wgan_gp", "sngan": "sngan"}


def _zero_is_recipe(key: str):
    """An old key where 0 meant "the paper's value": 0 now means leave the recipe's value."""
    def read(text: str) -> dict[str, str]:
        try:
            zero = float(text) == 0
        except ValueError:
            zero = False
        return {} if zero else {k: text for k in key.split(",")}
    return read


@dataclass(frozen=True)
class ImageGANConfig(ImageConfig):
    recipe: str = opt("ns", "the paper setting: ns (DCGAN) | lsgan | wgan (clipping) | wgan_gp | sngan (hinge + "
                            "spectral norm); brings the objective, constraint, optimiser, rates, betas, D steps",
                      choices=RECIPES, group="Model", label="Recipe")
    constraint: str | None = opt(None, "Lipschitz constraint on D: none | clip | gp | sn (spectral norm); gp and "
                                       "sn drop D's batch norm", choices=CONSTRAINTS, group="Advanced",
                                 recipe=True, label="Constraint")
    latent: int = opt(64, "latent dimension", lo=1, hi=1024, group="Model", label="Latent dimension")
    lr_d: float | None = opt(None, "D's learning rate", lo=1e-7, hi=1.0, group="Training", live=True, recipe=True,
                             label="lr D", fmt="%.6f")
    lr_g: float | None = opt(None, "G's learning rate", lo=1e-7, hi=1.0, group="Training", live=True, recipe=True,
                             label="lr G", fmt="%.6f")
    d_steps: int | None = opt(None, "D updates per G update", lo=1, hi=100, group="Training", live=True, recipe=True,
                              label="D steps")
    beta1: float | None = opt(None, "Adam's beta1", lo=0.0, hi=0.999, group="Advanced", live=True, recipe=True,
                              label="beta1", step=0.1)
    beta2: float | None = opt(None, "Adam's beta2", lo=0.0, hi=0.9999, group="Advanced", live=True, recipe=True,
                              label="beta2", fmt="%.4f")
    gp_lambda: float | None = opt(None, "gradient-penalty weight lambda (constraint=gp)", lo=0.0, hi=1000.0,
                                  group="Advanced", live=True, recipe=True, label="GP lambda")
    clip: float | None = opt(None, "weight-clipping bound c (constraint=clip)", lo=1e-5, hi=10.0, group="Advanced",
                             live=True, recipe=True, label="clip c", fmt="%.4f")

    aliases = {"model": lambda text: {"recipe": OLD_MODELS.get(text.strip(), text)},
               "lr": _zero_is_recipe("lr_d,lr_g"), "n_critic": _zero_is_recipe("d_steps"), "z_dim": "latent"}
