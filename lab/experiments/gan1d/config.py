"""The 1-D GAN game's settings: the target p_data (a preset or a mixture spec), the noise prior
p_z, the recipe that trains the game (lab.gan.recipes) and its overrides, the two networks.
Importing this file does not import torch (the page draws its opening first)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lab.config import Config, ConfigError, opt

# Targets by name; anything else is read as a mixture spec (lab.data.mixtures, 1-D).
TARGETS = {
    "gaussian": "N(2,0.5)",                                        # Goodfellow et al.'s Figure 1: one bump
    "two_bumps": "0.5*N(-1.5,0.35)+0.5*N(1.5,0.35)",
    "skewed": "0.55*N(-0.8,0.3)+0.3*N(0,0.5)+0.15*N(1.2,0.8)",     # a long right tail
}
TARGET_LABELS = {"gaussian": "One Gaussian (the paper's figure)", "two_bumps": "Two bumps",
                 "skewed": "A skewed shape"}
PRIOR_LABELS = {"uniform": "Uniform on [-1, 1] (the figure's)", "normal": "Normal N(0, 1)"}
# The recipes that train a generator network on 1-D data (the robust-estimation ones train a
# location only, and their SGD rates are for that).
RECIPES = ("ns", "gan", "metz", "lsgan", "wgan", "wgan_gp", "wgan_sn", "sngan")
LABELS = {"ns": "GAN, non-saturating", "gan": "GAN, minimax", "metz": "GAN at Metz et al.'s rates",
          "lsgan": "LSGAN", "wgan": "WGAN (clipping)", "wgan_gp": "WGAN-GP", "wgan_sn": "WGAN, spectral norm",
          "sngan": "SN-GAN (hinge)"}


def _priors() -> tuple[str, ...]:
    from lab.experiments.gan1d.densities import PRIORS
    return PRIORS


def _activations() -> tuple[str, ...]:
    from lab.nets import ACTIVATIONS
    return tuple(ACTIVATIONS)


@dataclass(frozen=True)
class Gan1dConfig(Config):
    target: str = opt("gaussian", "p_data: gaussian | two_bumps | skewed, or weight*N(mean,std) terms, "
                                  "e.g. 0.3*N(-2,0.5)+0.7*N(1.5,0.3)", group="Data", label="Target p_data")
    prior: str = opt("normal", "p_z, the noise G maps: uniform on [-1, 1] (the paper's figure) or normal N(0, 1)",
                     choices=_priors, group="Data", label="Noise p_z")
    seed: int = opt(0, "random seed: same seed, same game", lo=0, hi=2**31 - 1, group="Data", label="Seed")
    recipe: str = opt("ns", "what trains the game (lab.gan.recipes): " + ", ".join(RECIPES), choices=RECIPES,
                      group="Training", label="Recipe")
    d_steps: int | None = opt(None, "D updates per G update (k in Algorithm 1); empty = the recipe's", lo=1, hi=100,
                              live=True, recipe=True, group="Training", label="D steps per G step (k)")
    lr_d: float | None = opt(None, "learning rate of D; empty = the recipe's, as this experiment scales it",
                             lo=1e-6, hi=1.0, live=True, recipe=True, group="Training", label="lr D", fmt="%.5f",
                             step=1e-4)
    lr_g: float | None = opt(None, "learning rate of G; empty = the recipe's, as this experiment scales it",
                             lo=1e-6, hi=1.0, live=True, recipe=True, group="Training", label="lr G", fmt="%.5f",
                             step=1e-4)
    d_pretrain: int = opt(0, "D updates against the initial G before the game starts: a strong D at step 0 "
                             "(the minimax loss's saturation, note 002)", lo=0, hi=10_000, step=100,
                          group="Training", label="D-only steps before the game")
    steps: int = opt(1500, "G updates (each after k D updates); Play stops there", lo=1, hi=1_000_000, live=True,
                     step=500, group="Training", label="Stop after (G steps)")
    batch: int = opt(256, "samples of p_data and of p_z per update", lo=2, hi=4096, step=32, group="Networks",
                     label="Batch")
    width: int = opt(32, "hidden units per layer of G and of D", lo=2, hi=256, group="Networks", label="Width")
    depth: int = opt(2, "hidden layers of G and of D", lo=1, hi=4, group="Networks", label="Hidden layers")
    activation: str = opt("tanh", "G's hidden activation: tanh gives a smooth map (a smooth p_G); a ReLU map is "
                                  "piecewise linear (p_G piecewise smooth)", choices=_activations,
                          group="Networks", label="G's activation")
    log_every: int = opt(10, "G steps between two measurements of the curves", lo=1, hi=10_000, live=True,
                         group="Networks", label="Measure every (steps)")

    # This experiment's adjustments to the paper recipes (lab.gan.recipes.resolve applies them
    # between the recipe and the config's own keys; the page names them). Measured with the
    # defaults (one Gaussian, normal z), JS after 2,000 G steps:
    # - the JS-GANs: lr D 3e-3, lr G 1e-3, k = 5 D steps (DCGAN's 2e-4 and k = 1 are for images).
    #   With k = 1 (lr D 3e-3, batch 256) D stays nearly flat while G wanders: JS 0.10, 0.04, 0.05
    #   (seeds 0-2); with k = 5: 0.001, 0.001, 0.0003, and below 0.005 from step ~1,000
    #   (so the default budget is 1,500: JS 0.0010, 0.0009, 0.0004 there, on an AMD EPYC; on an
    #   Intel Xeon seeds 0-7 give 0.006, 0.0009, 0.0004, 0.018, 0.017, 0.024, 0.0005, 0.0007:
    #   CPU rounding moves single seeds, tests/test_gan1d.py checks the claim over eight).
    # - wgan_sn: lr 1e-3 for both (JS 0.025 against 0.113 at the paper's 1e-4, seed 0).
    # The others keep their papers' values, and this small game shows it (seed 0): metz 0.35 (G
    # ten times faster than D, by design), lsgan 0.59, wgan 0.16, sngan 0.19; wgan_gp runs away
    # (W1 7.3; at lr 1e-3 still 0.35). Things to try on the page.
    recipe_scale: ClassVar[dict[str, dict]] = {
        "ns": {"lr_d": 3e-3, "lr_g": 1e-3, "d_steps": 5},
        "gan": {"lr_d": 3e-3, "lr_g": 1e-3, "d_steps": 5},
        "wgan_sn": {"lr_d": 1e-3, "lr_g": 1e-3},
    }

    def check(self) -> None:
        try:
            self.mixture()
        except ConfigError as err:
            raise ConfigError(f"target: {err}") from None
        from lab.gan import recipes
        recipes.resolve(self, self.recipe_scale)

    def mixture(self):
        """p_data as a lab.data.mixtures.Mixture (1-D)."""
        from lab.data.mixtures import resolve
        return resolve(TARGETS.get(self.target.strip(), self.target), 1)

    def train(self):
        """The recipe with this experiment's scale and the config's own keys on top."""
        from lab.gan import recipes
        return recipes.resolve(self, self.recipe_scale)


def scale_note(recipe: str) -> str:
    """What this experiment changes in a recipe, for the page: 'lr_d 0.001, lr_g 0.001' or 'nothing'."""
    scale = Gan1dConfig.recipe_scale.get(recipe, {})
    return ", ".join(f"{k} {v:g}" for k, v in scale.items()) or "nothing"
