"""GAN objectives as pure functions of the discriminator's raw outputs, in pairs.

D's loss is a scalar, E_p[.] + E_q[.] as in the papers (WGAN-GP's lambda is calibrated
against that scale). G's loss is *per sample* (no reduction) so the generator's learning
signal at every fake sample, d loss_G / dx, can be read off by autograd; trainers take the mean.
Outputs are logits for the probability objectives (D = sigmoid(logit)) and raw values for the
least-squares, Wasserstein and hinge ones. Written with softplus for numerical stability:
    -log sigmoid(t) = softplus(-t),   -log(1 - sigmoid(t)) = softplus(t).

`d_star(r)` is the optimal discriminator's raw output as a function of the log density ratio
r = log p - log p_G, where the objective has one in closed form.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from lab.config import ConfigError

Tensor = torch.Tensor

# LSGAN's coding (Mao et al. 2017, sec. 3.2): with b - c = 1 and b - a = 2 minimising the
# objective minimises the Pearson chi^2 divergence between p + p_G and 2 p_G.
LS_A, LS_B, LS_C = -1.0, 1.0, 0.0


@dataclass(frozen=True)
class Objective:
    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]   # (real_out (n,), fake_out (m,)) -> scalar
    g_loss: Callable[[Tensor], Tensor]           # fake_out (m,) -> (m,)
    probabilistic: bool                          # outputs are logits of D in (0, 1)
    description: str
    d_star: Callable[[Tensor], Tensor] | None = None   # log p - log p_G -> optimal raw output


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
    """LSGAN (Mao et al. eq. 8): 1/2 (D(x) - b)^2 + 1/2 (D(G(z)) - a)^2 with a = -1, b = 1.
    Its optimum is D*_LS = (b p + a p_G) / (p + p_G) (their eq. 10)."""
    return _two_means(0.5 * (real - LS_B) ** 2, 0.5 * (fake - LS_A) ** 2)


def g_lsgan(fake: Tensor) -> Tensor:
    """G minimises 1/2 (D(G(z)) - c)^2 with c = 0."""
    return 0.5 * (fake - LS_C) ** 2


def d_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """Kantorovich-Rubinstein (note 004): the critic maximises E_p f - E_q f."""
    return _two_means(-real, fake)


def g_wasserstein(fake: Tensor) -> Tensor:
    return -fake


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018 with spectral norm)."""
    return _two_means(F.relu(1 - real), F.relu(1 + fake))


def d_tv(real: Tensor, fake: Tensor) -> Tensor:
    """Total variation's variational form with T = sigmoid(logit) in (0, 1) (note 002; Gao,
    Liu, Yao, Zhu 2019): D maximises E_p T - E_q T."""
    return torch.sigmoid(fake).mean() - torch.sigmoid(real).mean()


def g_tv(fake: Tensor) -> Tensor:
    return -torch.sigmoid(fake)


def _ls_star(r: Tensor) -> Tensor:
    # (b p + a q) / (p + q) with p / q = e^r
    w = torch.sigmoid(r)
    return LS_B * w + LS_A * (1 - w)


OBJECTIVES: dict[str, Objective] = {
    "minimax": Objective("minimax", d_bce, g_minimax, True,
                         "original minimax: G minimises log(1 - D(G(z)))", d_star=lambda r: r),
    "ns": Objective("ns", d_bce, g_nonsaturating, True,
                    "non-saturating: G minimises -log D(G(z))", d_star=lambda r: r),
    "lsgan": Objective("lsgan", d_lsgan, g_lsgan, False,
                       "least squares, a=-1 b=1 c=0 (Pearson chi^2 at the optimum)", d_star=_ls_star),
    "wasserstein": Objective("wasserstein", d_wasserstein, g_wasserstein, False,
                             "Wasserstein: critic maximises E_p f - E_q f; needs a Lipschitz critic"),
    "hinge": Objective("hinge", d_hinge, g_wasserstein, False,
                       "hinge: D minimises relu(1 - f(x)) + relu(1 + f(G(z)))"),
    "tv": Objective("tv", d_tv, g_tv, True,
                    "total variation: D maximises E_p T - E_q T, T = sigmoid(logit)"),
}


def get(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ConfigError(f"objective={name!r} is not one of: {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]
