"""The discriminator experiment's settings. Importing this file does not import torch: the page
draws its opening (title, intro, note 002's figure) before torch loads, and this package's
__init__ runs first. What needs torch (the constraint and activation names, parsing the
mixtures) is imported when first asked for."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lab.config import Config, ConfigError, opt

# Real and generated distributions when `real` / `fake` are empty: the notes' Figure 1 pair
# in 1-D (note 000 sec. 1.2), two blobs apart in 2-D.
DEFAULT_PAIR = {1: ("fig1_real", "fig1_fake"), 2: ("apart2d_real", "apart2d_fake")}

# D's objectives offered here (lab.gan.objectives by name). "auto" pairs each constraint with
# the loss it is usually trained on: the unconstrained D with the minimax loss (it tends to
# D* = p / (p + p_G)), a Lipschitz critic with the Wasserstein loss. The non-saturating and
# minimax GANs train D with the same loss, so "ns" would add nothing: the page shows both G
# signals anyway.
OBJECTIVES = ("auto", "minimax", "lsgan", "wasserstein", "hinge")


def _constraints() -> tuple[str, ...]:
    from lab.gan.lipschitz import CONSTRAINTS
    return CONSTRAINTS


def _activations() -> tuple[str, ...]:
    from lab.nets import ACTIVATIONS
    return tuple(ACTIVATIONS)


def critics_from_link(text: str, constraint: str) -> tuple[list[str], str]:
    """The page's critics from its link: `critics=` (a comma list), else the link's one
    `constraint` (the command line's key), else every critic. Returns (critics, notice): unknown
    names are dropped with a one-line notice naming them and the choices."""
    known = _constraints()
    asked = list(dict.fromkeys(c for c in text.split(",") if c))
    unknown = [c for c in asked if c not in known]
    note = f"Ignored the link's critics={','.join(unknown)}: the critics are {', '.join(known)}." if unknown else ""
    return [c for c in asked if c in known] or ([constraint] if constraint != "none" else list(known)), note


@dataclass(frozen=True)
class DiscriminatorConfig(Config):
    dim: int = opt(1, "1 or 2: dimension of the data", lo=1, hi=2)
    real: str = opt("", "real distribution p: a preset name or weight*N(mean,std) terms, e.g. "
                        "0.3*N(-2,0.5)+0.7*N(1.5,0.3), or 0.5*N((0,0),0.5)+0.5*N((2,1),0.3) in 2-D; "
                        "empty = the notes' Figure 1 pair (1-D) or blobs apart (2-D)",
                    group="Data", label="Real p")
    fake: str = opt("", "generated distribution p_G (the generator is frozen), as for real",
                    group="Data", label="Generated p_G")
    n_samples: int = opt(400, "samples of each distribution drawn in the picture", lo=10, hi=20_000, step=50,
                         group="Data", label="Samples shown")
    seed: int = opt(0, "random seed: same seed, same curves", lo=0, hi=2**31 - 1, group="Data", label="Seed")
    constraint: str = opt("none", "none: an unconstrained D; clip | gp | sn: a Lipschitz critic by weight "
                                  "clipping, gradient penalty or spectral normalisation",
                          choices=_constraints)
    objective: str = opt("auto", "D's loss. auto: minimax for constraint=none (D tends to D*), Wasserstein "
                                 "for clip, gp and sn; lsgan: least squares a=-1 b=1 (D tends to "
                                 "(p - p_G)/(p + p_G)); hinge: SN-GAN's",
                         choices=OBJECTIVES, group="Discriminators", label="Loss")
    width: int = opt(64, "hidden units per layer", lo=1, hi=1024, group="Discriminators", label="Width")
    depth: int = opt(2, "hidden layers", lo=0, hi=8, group="Discriminators", label="Hidden layers")
    activation: str = opt("leaky_relu", "hidden activation (all 1-Lipschitz)", choices=_activations)
    lr_d: float = opt(2e-3, "Adam learning rate of D, betas (0.5, 0.9); taken while training", lo=1e-6, hi=1.0,
                      step=5e-4, fmt="%g", live=True, group="Discriminators", label="Learning rate (Adam)")
    clip: float = opt(0.05, "weight clipping bound c (constraint=clip); WGAN's paper used 0.01", lo=1e-4,
                      hi=10.0, step=0.01, fmt="%g", live=True, group="Discriminators", label="Clip value c")
    gp_lambda: float = opt(10.0, "gradient-penalty weight lambda (constraint=gp); WGAN-GP used 10", lo=0.0,
                           hi=1000.0, step=1.0, live=True, group="Discriminators", label="Penalty lambda")
    gp_warmup: int = opt(200, "steps over which lambda ramps up from 0 (constraint=gp), so the data, not "
                              "the random start, sets the critic's slope", lo=0, hi=1_000_000)
    batch: int = opt(256, "samples of each distribution per step", lo=2, hi=8192, live=True)
    # 5,000 steps: about a minute of live training on the page (~100 steps/s per critic with four),
    # well past where D meets D* (~600) and the penalty critic settles (~1,000).
    steps: int = opt(5000, "training steps of each discriminator: Play stops there", lo=0, hi=1_000_000,
                     step=500, live=True, group="Discriminators", label="Steps (Play stops there)")

    # Key names of links and command lines written before the shared vocabulary: they still open.
    aliases: ClassVar[dict] = {"critic": "constraint", "lr": "lr_d"}

    def check(self) -> None:
        for key in ("real", "fake"):
            try:
                self.mixture(key)
            except ConfigError as err:
                raise ConfigError(f"{key}: {err}") from None

    def mixture(self, key: str):
        """The real (key="real") or generated ("fake") distribution as a lab.data.mixtures.Mixture."""
        from lab.data.mixtures import resolve
        text = getattr(self, key) or DEFAULT_PAIR[self.dim][key == "fake"]
        return resolve(text, self.dim)

    @property
    def loss(self) -> str:
        """The objective D trains on, "auto" resolved (lab.gan.lipschitz: each constraint's usual loss)."""
        if self.objective != "auto":
            return self.objective
        from lab.gan.lipschitz import make_constraint
        return make_constraint(self.constraint).objective
