"""Exact divergences between mixtures and the optimal discriminator.

1-D: by adaptive quadrature (scipy.integrate.quad) with every component mean as a break
point, working with log-densities so that 0 log 0 terms never appear.
    KL(p||q) = int p (log p - log q)
    JS(p,q)  = 1/2 KL(p||m) + 1/2 KL(q||m),  m = (p + q)/2          (note 000 eq. for C(G))
    TV(p,q)  = 1/2 int |p - q|
    W1(p,q)  = int |F_p - F_q| dx                                   (1-D optimal transport)
2-D: the same integrands summed over a fine grid (W1 has no such formula there).
D*(x) = p(x) / (p(x) + p_G(x)) = sigmoid(log p - log p_G)           (note 000 Problem 1)
"""
from __future__ import annotations

import math

import numpy as np
import torch

from lab.data.mixtures import Mixture

LOG2 = math.log(2.0)


def d_star(p: Mixture, q: Mixture, x: torch.Tensor) -> torch.Tensor:
    """Optimal discriminator D*(x) for real p vs generated q, (n, d) -> (n,); differentiable."""
    return torch.sigmoid(p.log_prob(x) - q.log_prob(x))


def d_star_logit(p: Mixture, q: Mixture, x: torch.Tensor) -> torch.Tensor:
    return p.log_prob(x) - q.log_prob(x)


def _integrand(name: str, lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    if name == "kl":
        return np.exp(lp) * (lp - lq)
    lm = np.logaddexp(lp, lq) - LOG2
    if name == "js":
        return 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))
    if name == "tv":
        return 0.5 * np.abs(np.exp(lp) - np.exp(lq))
    raise ValueError(name)


def _span_1d(p: Mixture, q: Mixture, n_std: float = 12.0) -> tuple[float, float, list[float]]:
    lo = min(p.extent(n_std)[0][0], q.extent(n_std)[0][0])
    hi = max(p.extent(n_std)[1][0], q.extent(n_std)[1][0])
    points = sorted({m[0] for m in p.means + q.means})
    return float(lo), float(hi), points


def _quad_1d(fun, p: Mixture, q: Mixture) -> float:
    """Integrate piecewise between consecutive component means: narrow, far-apart bumps are
    then never stepped over by the adaptive rule."""
    from scipy import integrate   # ~0.4 s to import: at first use, not before a page is drawn

    lo, hi, points = _span_1d(p, q)
    edges = [lo] + [v for v in points if lo < v < hi] + [hi]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        total += integrate.quad(fun, a, b, limit=200, epsabs=1e-11, epsrel=1e-9)[0]
    return total


def divergence_1d(name: str, p: Mixture, q: Mixture) -> float:
    """KL, JS or TV between 1-D mixtures by quadrature."""
    def fun(x):
        xs = np.array([x])
        return float(_integrand(name, p.log_prob_np(xs), q.log_prob_np(xs))[0])
    return max(_quad_1d(fun, p, q), 0.0)


def w1_1d(p: Mixture, q: Mixture) -> float:
    """W1 = int |F_p(x) - F_q(x)| dx, exact for 1-D distributions."""
    return _quad_1d(lambda x: float(abs(p.cdf_1d(x) - q.cdf_1d(x))), p, q)


def grid_2d(p: Mixture, q: Mixture, n: int = 400, n_std: float = 6.0):
    """A square grid covering both mixtures: (xs, ys, points (n*n, 2), cell area)."""
    lo = np.minimum(p.extent(n_std)[0], q.extent(n_std)[0])
    hi = np.maximum(p.extent(n_std)[1], q.extent(n_std)[1])
    xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    return xs, ys, pts, (xs[1] - xs[0]) * (ys[1] - ys[0])


def divergence_2d(name: str, p: Mixture, q: Mixture, n: int = 400) -> float:
    """KL, JS or TV between 2-D mixtures by a Riemann sum on an n x n grid."""
    _, _, pts, area = grid_2d(p, q, n)
    return max(float(_integrand(name, p.log_prob_np(pts), q.log_prob_np(pts)).sum() * area), 0.0)


def exact(p: Mixture, q: Mixture) -> dict[str, float | None]:
    """Every divergence that has an exact or integrated value for this pair; W1 only in 1-D."""
    if p.dim == 1:
        out = {k: divergence_1d(k, p, q) for k in ("kl", "js", "tv")}
        out["w1"] = w1_1d(p, q)
    else:
        out = {k: divergence_2d(k, p, q) for k in ("kl", "js", "tv")}
        out["w1"] = None
    return out
