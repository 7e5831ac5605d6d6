"""The mode-collapse experiment's settings: data, the GAN recipe and its overrides, the remedies,
the architecture. Choosing a recipe brings its paper's loss, constraint, optimiser, rates, betas
and D steps (lab.gan.recipes); any of those given explicitly overrides it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import Config, ConfigError, opt
from lab.data import toy2d
from lab.gan import lipschitz, objectives, recipes
from lab.nets import ACTIVATIONS

# The recipes that make sense for a 2-D GAN (the robust-estimation ones train a location only).
RECIPES = ("metz", "ns", "gan", "lsgan", "wgan", "wgan_gp", "wgan_sn", "sngan")

# Links and commands written before the recipe registry: `loss` named an objective and a
# constraint, `sn` switched spectral norm on. The old page trained every loss at Metz et al.'s
# rates (the default recipe); WGAN and WGAN-GP now bring their own paper recipes, which is the fix
# (WGAN-GP with one critic step and the NS rates covered 0 of 8 modes).
_OLD_LOSS = {"minimax": {"objective": "minimax"}, "ns": {}, "lsgan": {"objective": "lsgan"},
             "wgan": {"recipe": "wgan"}, "wgan_gp": {"recipe": "wgan_gp"}, "hinge": {"objective": "hinge"}}


def _old_loss(text: str) -> dict[str, str]:
    return _OLD_LOSS.get(text.strip(), {"recipe": text})


def _old_sn(text: str) -> dict[str, str]:
    return {"constraint": "sn"} if text.strip().lower() in ("1", "true", "yes", "on") else {}


@dataclass(frozen=True)
class ModeCollapseConfig(Config):
    data: str = opt("ring8", "ring8 | grid25 (WGAN-GP's toy set-up) | ring8_pacgan | grid25_pacgan (PacGAN's) | "
                             "spiral | csv (your points: csv_path=FILE on the command line, an upload on the page)",
                    choices=toy2d.DATA, group="Data", label="Data set")
    csv_path: str = opt("", "for data=csv on the command line: a CSV file of x,y rows", path=True)
    csv_modes: int = opt(8, "for data=csv: k-means clusters that count as modes", lo=1, hi=100,
                         label="Modes in your data (k-means clusters)")
    seed: int = opt(0, "random seed: same seed, same run on a CPU", lo=0, hi=2**31 - 1, group="Data", label="Seed")
    recipe: str = opt("metz", "a paper's GAN: " + ", ".join(RECIPES), choices=RECIPES, group="Training",
                      label="Recipe")
    objective: str | None = opt(None, "loss pair, overriding the recipe's: " + ", ".join(objectives.OBJECTIVES),
                                choices=tuple(objectives.OBJECTIVES), recipe=True, label="Loss")
    constraint: str | None = opt(None, "Lipschitz constraint on D, overriding the recipe's: none | clip | gp | sn "
                                       "(sn = spectral normalisation)", choices=lipschitz.CONSTRAINTS, recipe=True,
                                 group="Training", label="Constraint on D")
    lr_d: float | None = opt(None, "learning rate of D", lo=1e-6, hi=1.0, live=True, recipe=True, group="Training",
                             label="lr D", fmt="%.5f", step=1e-4)
    lr_g: float | None = opt(None, "learning rate of G (a G faster than D hops between modes)", lo=1e-6, hi=1.0,
                             live=True, recipe=True, group="Training", label="lr G", fmt="%.5f", step=1e-4)
    d_steps: int | None = opt(None, "D updates per G update (k in Algorithm 1)", lo=1, hi=20, live=True,
                              recipe=True, group="Training", label="D steps per G step")
    unroll: int = opt(0, "unrolled-GAN steps K (Metz et al.); 0 = plain GAN; each costs about one D update",
                      lo=0, hi=20, live=True, group="Remedies", label="Unroll steps K")
    pac: int = opt(1, "PacGAN packing m: samples concatenated per D input; 1 = no packing", lo=1, hi=8,
                   group="Remedies", label="Packing m (PacGAN)")
    instance_noise: float = opt(0.0, "std of Gaussian noise added to every D input", lo=0.0, hi=5.0, live=True,
                                group="Remedies", label="Instance noise std", fmt="%.3f", step=0.05)
    noise_anneal: int = opt(0, "steps over which the instance noise falls linearly to 0; 0 = constant",
                            lo=0, hi=10_000_000, live=True, group="Remedies", label="Anneal noise over (steps)",
                            step=500)
    optimizer: str | None = opt(None, "adam | rmsprop | sgd, overriding the recipe's", choices=recipes.OPTIMIZERS,
                                recipe=True, group="Architecture", label="Optimiser")
    beta1: float | None = opt(None, "Adam beta1", lo=0.0, hi=0.999, recipe=True, group="Architecture",
                              label="Adam beta1")
    beta2: float | None = opt(None, "Adam beta2", lo=0.0, hi=0.9999, recipe=True, group="Architecture",
                              label="Adam beta2", fmt="%.4f")
    clip: float | None = opt(None, "weight-clipping bound c (constraint=clip)", lo=1e-4, hi=10.0, recipe=True,
                             group="Architecture", label="Clip c", fmt="%.4f")
    gp_lambda: float | None = opt(None, "gradient-penalty weight lambda (constraint=gp)", lo=0.0, hi=1000.0,
                                  recipe=True, group="Architecture", label="Penalty lambda")
    batch: int = opt(128, "samples per batch (a multiple of pac)", lo=8, hi=4096, step=64, group="Architecture",
                     label="Batch")
    latent: int = opt(16, "dimension of G's Gaussian noise z", lo=1, hi=512, group="Architecture", label="Latent dim")
    width: int = opt(64, "hidden units per layer of G and D", lo=4, hi=1024, group="Architecture", label="Width")
    depth: int = opt(2, "hidden layers of G and D", lo=1, hi=6, group="Architecture", label="Hidden layers")
    activation: str = opt("relu", "hidden activation", choices=tuple(ACTIVATIONS))
    steps: int = opt(6000, "training iterations (each: d_steps D updates, one G update); Play stops there",
                     lo=0, hi=10_000_000, live=True, step=1000, group="Architecture", label="Stop after (steps)")
    eval_every: int = opt(100, "iterations between two measurements of the metrics", lo=1, hi=100_000)

    aliases = {"loss": _old_loss, "sn": _old_sn}

    def check(self) -> None:
        if self.batch % self.pac:
            raise ConfigError(f"batch={self.batch} must be a multiple of pac={self.pac} "
                              f"(each D input packs pac samples)")
        if self.csv_path and not Path(self.csv_path).is_file():
            raise ConfigError(f"csv_path={self.csv_path!r} is not a file")
        recipes.resolve(self)

    def train(self) -> recipes.Recipe:
        """The recipe with this config's own keys on top."""
        return recipes.resolve(self)

    def data_set(self, points=None) -> toy2d.Toy2D:
        if self.data == "csv" and points is None and self.csv_path:
            points = toy2d.parse_points_csv(Path(self.csv_path).read_bytes())
        return toy2d.make(self.data, points, self.csv_modes, self.seed)
