"""GAN objectives as pure functions of the discriminator's raw outputs, in pairs.

D's loss is a scalar, E_p[.] + E_q[.] as in the papers (WGAN-GP's lambda is calibrated
against that scale). G's loss is *per sample* (no reduction) so the generator's learning
signal at every fake sample, d loss_G / dx, can be read off by autograd; trainers take the mean.
Outputs are logits for the probability objectives (D = sigmoid(logit)) and raw critic values
for the Wasserstein and hinge ones. All written with softplus for numerical stability:
    -log sigmoid(t) = softplus(-t),   -log(1 - sigmoid(t)) = softplus(t).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from lab.config import ConfigError

Tensor = torch.Tensor


@dataclass(frozen=True)
class Objective:
    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]   # (real_out (n,), fake_out (m,)) -> scalar
    g_loss: Callable[[Tensor], Tensor]           # fake_out (m,) -> (m,)
    probabilistic: bool                          # outputs are logits of D in (0, 1)
    description: str


def _two_means(real_terms: Tensor, fake_terms: Tensor) -> Tensor:
    return real_terms.mean() + fake_terms.mean()


def d_bce(real: Tensor, fake: Tensor) -> Tensor:
    """Original GAN (note 001 Alg. 1): D maximises log D(x) + log(1 - D(G(z)))."""
    return _two_means(F.softplus(-real), F.softplus(fake))


def g_minimax(fake: Tensor) -> Tensor:
    """G minimises log(1 - D(G(z))): saturates where D(G(z)) ~ 0 (the vanishing gradient)."""
    return -F.softplus(fake)


def g_nonsaturating(fake: Tensor) -> Tensor:
    """The log D trick (note 002): G minimises -log D(G(z)); same fixed point, strong early signal."""
    return F.softplus(-fake)


def d_lsgan(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN (Mao et al.) with the 0-1 coding a=0, b=1: 1/2 (D(x)-1)^2 + 1/2 D(G(z))^2."""
    return _two_means(0.5 * (real - 1) ** 2, 0.5 * fake**2)


def g_lsgan(fake: Tensor) -> Tensor:
    """c = 1: 1/2 (D(G(z)) - 1)^2."""
    return 0.5 * (fake - 1) ** 2


def d_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """Kantorovich-Rubinstein (note 004): the critic maximises E_p f - E_q f."""
    return _two_means(-real, fake)


def g_wasserstein(fake: Tensor) -> Tensor:
    return -fake


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye; Miyato et al. with spectral norm)."""
    return _two_means(F.relu(1 - real), F.relu(1 + fake))


OBJECTIVES: dict[str, Objective] = {
    "minimax": Objective("minimax", d_bce, g_minimax, True,
                         "original minimax: G minimises log(1 - D(G(z)))"),
    "ns": Objective("ns", d_bce, g_nonsaturating, True,
                    "non-saturating: G minimises -log D(G(z))"),
    "lsgan": Objective("lsgan", d_lsgan, g_lsgan, False,
                       "least squares (Pearson chi^2 at the optimum)"),
    "wasserstein": Objective("wasserstein", d_wasserstein, g_wasserstein, False,
                             "Wasserstein: critic maximises E_p f - E_q f; needs a Lipschitz critic"),
    "hinge": Objective("hinge", d_hinge, g_wasserstein, False,
                       "hinge: D minimises relu(1 - f(x)) + relu(1 + f(G(z)))"),
}


def get(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ConfigError(f"loss={name!r} is not one of: {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]
