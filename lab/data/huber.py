"""Huber's contamination model (note 002; Huber 1964):

    X_1, ..., X_n ~ (1 - eps) N(theta, I_p) + eps Q,

with theta = theta_value * 1_p and Q one of
    far      N(mu 1_p, I_p), mu e.g. 5: easy to see, large pull on the mean
    near     N(mu 1_p, I_p), mu e.g. 0.5: hidden among the inliers, small pull
    cauchy   mu 1_p + multivariate Cauchy (t with 1 degree of freedom): no mean at all
    point    all the outliers at mu 1_p
    cluster  2-D only: a tight Gaussian cluster N(c, s^2 I_2) placed by the user.
Which point is an outlier is drawn per sample (Bernoulli(eps)), as in Gao, Liu, Yao, Zhu's code.

`Huber(p, eps, theta, q)` is a toy set like the others (`sample(n, generator) -> (n, p)`);
`sample_marked` also says which rows came from Q (the page colours them, the AUC needs them).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lab.config import ConfigError

KINDS = {
    "far": "Q = N(mu 1_p, I_p), mu far from theta (e.g. 5)",
    "near": "Q = N(mu 1_p, I_p), mu close to theta (e.g. 0.5)",
    "cauchy": "Q = mu 1_p + multivariate Cauchy: heavy tails, E_Q X does not exist",
    "point": "Q = a point mass at mu 1_p",
    "cluster": "2-D only: Q = N(c, s^2 I_2), a cluster placed at c = (c_x, c_y)",
}


@dataclass(frozen=True)
class Contamination:
    kind: str
    mu: float = 5.0                                 # Q's centre is mu * 1_p (not for cluster)
    centre: tuple[float, float] = (3.0, -2.0)       # cluster only
    spread: float = 0.3                             # cluster only: its standard deviation s

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConfigError(f"contamination={self.kind!r} is not one of: {', '.join(KINDS)}")

    def location(self, p: int) -> np.ndarray:
        """Q's centre, (p,)."""
        if self.kind == "cluster":
            if p != 2:
                raise ConfigError(f"contamination=cluster is a 2-D picture: it needs p=2, not p={p}")
            return np.array(self.centre, dtype=float)
        return np.full(p, float(self.mu))

    def mean(self, p: int) -> np.ndarray | None:
        """E_Q X, or None where it does not exist (Cauchy)."""
        return None if self.kind == "cauchy" else self.location(p)

    def marginal_cdf(self, t: np.ndarray, j: int, p: int) -> np.ndarray:
        """P_Q(X_j <= t) for coordinate j: what the coordinatewise median's bias solves for."""
        from scipy import stats
        c = self.location(p)[j]
        if self.kind in ("far", "near"):
            return stats.norm.cdf(t - c)
        if self.kind == "cauchy":
            return stats.cauchy.cdf(t - c)      # a t_1 vector's marginals are standard Cauchy
        if self.kind == "point" or self.spread == 0:            # a cluster of spread 0 is a point
            return (np.asarray(t) >= c).astype(float)
        return stats.norm.cdf((t - c) / self.spread)

    def sample(self, n: int, p: int, gen: torch.Generator) -> torch.Tensor:
        """(n, p) draws from Q."""
        c = torch.tensor(self.location(p), dtype=torch.float32)
        if self.kind in ("far", "near"):
            return c + torch.randn(n, p, generator=gen)
        if self.kind == "cauchy":
            # Z / |G| with Z ~ N(0, I_p), G ~ N(0, 1): chi^2_1 = G^2, so this is t_1 (Cauchy).
            z, g = torch.randn(n, p, generator=gen), torch.randn(n, 1, generator=gen)
            return c + z / g.abs().clamp_min(1e-12)
        if self.kind == "point":
            return c.expand(n, p).clone()
        return c + self.spread * torch.randn(n, p, generator=gen)


@dataclass(frozen=True, eq=False)
class Huber:
    """(1 - eps) N(theta, I_p) + eps Q."""
    p: int
    eps: float
    theta: np.ndarray           # (p,) the true location
    q: Contamination

    def sample_marked(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(X (n, p) float32, is_outlier (n,) bool)."""
        is_out = torch.rand(n, generator=gen) < self.eps
        inl = torch.as_tensor(self.theta, dtype=torch.float32) + torch.randn(n, self.p, generator=gen)
        out = self.q.sample(n, self.p, gen)
        return torch.where(is_out[:, None], out, inl), is_out

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """(n, p) float32, the toy-set signature (the same draws as `sample_marked`)."""
        return self.sample_marked(n, gen)[0]
