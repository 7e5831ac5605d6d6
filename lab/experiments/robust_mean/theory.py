"""What theory predicts for ||theta_hat - theta||_2 under (1 - eps) N(theta, I_p) + eps Q.

Rates (note 002, Chen, Gao, Ren 2018) are squared errors up to constants; drawn here with
constant 1 as sqrt(rate). Beside them, two exact large-n answers:
- the sample mean: E||mean - theta||^2 = ||eps (E_Q X - theta)||^2 + tr Cov(X) / n;
- the coordinatewise median: per coordinate the population median b_j solves
  (1 - eps) Phi(b_j - theta_j) + eps F_Qj(b_j) = 1/2, and the sample median is asymptotically
  normal around it with variance 1 / (4 n f_j(b_j)^2) (f_j the mixture's marginal density).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from lab.data.huber import Contamination


def minimax_rate(n: int, p: int, eps: float) -> float:
    """sqrt(p/n + eps^2): attained by Tukey's median and by JS-/TV-GANs with hidden layers."""
    return math.sqrt(p / n + eps**2)


def cw_median_rate(n: int, p: int, eps: float) -> float:
    """sqrt(p/n + p eps^2): the coordinatewise median pays eps in every coordinate."""
    return math.sqrt(p / n + p * eps**2)


def mean_bias(p: int, eps: float, theta: np.ndarray, q: Contamination) -> float:
    """eps ||E_Q X - theta||: where the sample mean (and a hidden-layer-free JS-GAN) lands;
    inf when E_Q X does not exist (Cauchy)."""
    m = q.mean(p)
    return math.inf if m is None else float(eps * np.linalg.norm(m - theta))


def mean_exact(n: int, p: int, eps: float, theta: np.ndarray, q: Contamination) -> float:
    """sqrt(E||mean - theta||^2), exactly, for Q with a variance."""
    m = q.mean(p)
    if m is None:
        return math.inf
    var_q = {"far": 1.0, "near": 1.0, "point": 0.0, "cluster": q.spread**2}[q.kind]
    # per-coordinate variance of the mixture: within-component plus between-component parts
    var = (1 - eps) + eps * var_q + eps * (1 - eps) * (m - theta) ** 2
    return float(math.sqrt(np.sum((eps * (m - theta)) ** 2) + var.sum() / n))


def _marginal_pdf(q: Contamination, t: float, c: float) -> float:
    if q.kind in ("far", "near"):
        return stats.norm.pdf(t - c)
    if q.kind == "cauchy":
        return stats.cauchy.pdf(t - c)
    if q.kind == "point" or q.spread == 0:
        return 0.0                       # away from the atom (a zero-spread cluster is one too)
    return stats.norm.pdf((t - c) / q.spread) / q.spread


def cw_median_exact(n: int, p: int, eps: float, theta: np.ndarray, q: Contamination) -> float:
    """sqrt(sum_j bias_j^2 + 1 / (4 n f_j(b_j)^2)), the coordinatewise median's large-n error.
    At eps = 0.2 and Q = N(5 1_p, I_p) the bias is 0.3186 per coordinate, the root b of
    0.8 Phi(b) + 0.2 Phi(b - 5) = 1/2."""
    c = q.location(p)
    total, cache = 0.0, {}
    for j in range(p):
        key = (float(theta[j]), float(c[j]))
        if key not in cache:
            th, cj = key
            cdf = lambda b: (1 - eps) * stats.norm.cdf(b - th) + eps * q.marginal_cdf(b, j, p) - 0.5  # noqa: E731
            b = optimize.brentq(cdf, th - 50, th + 50, xtol=1e-12)
            f = (1 - eps) * stats.norm.pdf(b - th) + eps * _marginal_pdf(q, b, cj)
            cache[key] = (b - th) ** 2 + 1.0 / (4 * n * f**2)
        total += cache[key]
    return math.sqrt(total)


def lines(n: int, p: int, eps: float, theta: np.ndarray, q: Contamination) -> dict[str, float]:
    return {"minimax_rate": minimax_rate(n, p, eps), "cw_median_rate": cw_median_rate(n, p, eps),
            "mean_bias": mean_bias(p, eps, theta, q), "mean_exact": mean_exact(n, p, eps, theta, q),
            "cw_median_exact": cw_median_exact(n, p, eps, theta, q)}
