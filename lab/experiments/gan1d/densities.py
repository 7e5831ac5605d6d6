"""The 1-D GAN game's exact quantities, by quadrature (NumPy and SciPy only, no torch).

A generator is seen through its values on a fine grid of z (`G` (n_z,) at `z` (n_z,)); between
grid points it is taken as linear. That is exact for a (leaky-)ReLU MLP except at its kinks, and
the push-forward of a piecewise-linear map has a closed form: the mass F_z(z_{i+1}) - F_z(z_i) of
each z-segment is spread evenly over its image [G(z_i), G(z_{i+1})], so the density is

    p_G(x) = sum over the preimages z_i of x of  p_z(z_i) / |G'(z_i)|        (change of variables)

with the segment's mean of p_z in place of p_z(z_i). It is computed as masses of x-bins (`edges`)
through the cumulative mass M(x) = P(G(z) < x), which integrates each segment's ramp exactly.
Bin masses need no kernel: where G is flat the segment's whole mass lands in one bin (an atom at
the grid's resolution) and where G folds back the preimages simply add. Everything that compares
p_data with p_G (D*, JS, C(G), W1, V(D, G)) is then a sum over the same bins, so

    V(D*, G) = C(G) = -log 4 + 2 JS(p_data || p_G)        (Goodfellow et al. 2014, Theorem 1)

holds on the bins exactly, and the binned JS is a lower bound of the continuous one that tends
to it as the bins shrink (data processing).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, log_expit, ndtr, ndtri

LOG4 = math.log(4.0)
FLAT = 1e-9           # a z-segment whose image is shorter than this (relative to the x range) is an atom


# ---- the prior p_z ------------------------------------------------------------------------------
# uniform: U(-1, 1), the z axis of Goodfellow et al.'s Figure 1 (evenly spaced lines = equal mass);
# normal: N(0, 1), gridded over [-6, 6] (mass outside: 2e-9, left out).
PRIORS = ("uniform", "normal")
Z_SPAN = {"uniform": 1.0, "normal": 6.0}


def prior_cdf(prior: str, z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    return np.clip((z + 1.0) / 2.0, 0.0, 1.0) if prior == "uniform" else ndtr(z)


def prior_pdf(prior: str, z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if prior == "uniform":
        return np.where(np.abs(z) <= 1.0, 0.5, 0.0)
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def prior_quantiles(prior: str, n: int) -> np.ndarray:
    """(n,) z at the mid-quantiles (i + 1/2) / n: n lines that each carry mass 1/n (the figure's)."""
    u = (np.arange(n) + 0.5) / n
    return 2.0 * u - 1.0 if prior == "uniform" else ndtri(u)


def z_grid(prior: str, n: int = 4097) -> np.ndarray:
    """(n,) evenly spaced z over the prior's span; the segments between them carry its mass."""
    s = Z_SPAN[prior]
    return np.linspace(-s, s, n)


def segment_masses(prior: str, z: np.ndarray) -> np.ndarray:
    """(n - 1,) P(z_i <= Z < z_{i+1})."""
    return np.diff(prior_cdf(prior, z))


# ---- the push-forward ----------------------------------------------------------------------------
def pushforward_cdf(z_mass: np.ndarray, g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """M(x) = P(G(Z) < x) for G linear on each z-segment: (n_x,) at sorted x.

    Each segment of mass m with image [a, b] adds m * clip((x - a) / (b - a), 0, 1): a sum of
    hinges c (x - t)_+ with knots t = a (c = m / w) and t = b (c = -m / w), w = b - a. Sorting the
    knots once gives M at every x in O((n_z + n_x) log): M(x) = C(x) x - S(x) with C, S the
    running sums of c and c t over the knots <= x. A segment shorter than FLAT x range is a step
    of height m at a (its atom)."""
    g = np.asarray(g, dtype=np.float64)
    a, b = np.minimum(g[:-1], g[1:]), np.maximum(g[:-1], g[1:])
    w = b - a
    span = max(float(x[-1] - x[0]), 1e-300)
    flat = w <= FLAT * span
    slope = np.where(flat, 0.0, z_mass / np.where(flat, 1.0, w))
    knots = np.concatenate([a[~flat], b[~flat]])
    c = np.concatenate([slope[~flat], -slope[~flat]])
    order = np.argsort(knots, kind="stable")
    knots, c = knots[order], c[order]
    cum_c, cum_ct = np.cumsum(c), np.cumsum(c * knots)
    i = np.searchsorted(knots, x, side="right")          # knots <= x (M is continuous at a knot)
    ramp = np.where(i > 0, cum_c[np.maximum(i - 1, 0)] * x - cum_ct[np.maximum(i - 1, 0)], 0.0)
    atoms = np.sort(a[flat])
    atom_mass = np.concatenate([[0.0], np.cumsum(z_mass[flat][np.argsort(a[flat], kind="stable")])])
    steps = atom_mass[np.searchsorted(atoms, x, side="left")]     # atoms < x: a bin [e_j, e_j+1) holds its left edge's
    return np.clip(ramp + steps, 0.0, None)


def pushforward_masses(z_mass: np.ndarray, g: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(n_bins,) mass of p_G in each bin [edges_j, edges_{j+1}) (n_bins = len(edges) - 1)."""
    return np.clip(np.diff(pushforward_cdf(z_mass, g, edges)), 0.0, None)


def is_monotone(g: np.ndarray) -> bool:
    """G increasing or decreasing over the whole grid: each x then has one preimage."""
    d = np.diff(np.asarray(g, dtype=np.float64))
    return bool((d >= 0).all() or (d <= 0).all())


def preimages(g: np.ndarray) -> int:
    """The most preimages any x has: 1 + the number of turns of G on the grid."""
    d = np.sign(np.diff(np.asarray(g, dtype=np.float64)))
    d = d[d != 0]
    return 1 + int((d[1:] != d[:-1]).sum()) if d.size else 1


# ---- the bins every comparison uses -------------------------------------------------------------
def bin_edges(data_lo: float, data_hi: float, g_lo: float, g_hi: float, n_fine: int = 1600,
              n_wide: int = 600) -> np.ndarray:
    """Sorted edges: n_fine bins over the data's extent (where p_data has its detail) merged with
    n_wide over everything G reaches as well, so a generator far away keeps the data resolved."""
    lo, hi = min(data_lo, g_lo), max(data_hi, g_hi)
    pad = 1e-3 * max(hi - lo, 1e-6)
    wide = np.linspace(lo - pad, hi + pad, n_wide + 1)
    fine = np.linspace(data_lo, data_hi, n_fine + 1)
    return np.unique(np.concatenate([wide, fine]))


def data_masses(cdf, edges: np.ndarray) -> np.ndarray:
    """(n_bins,) p_data's mass in each bin, from its exact CDF (lab.data.mixtures.Mixture.cdf_1d)."""
    return np.clip(np.diff(cdf(edges)), 0.0, None)


def densities(masses: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin masses -> the mean density over each bin."""
    return masses / np.diff(edges)


def d_star(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """D*(x) = p / (p + p_G) per bin (note 000, Problem 1), from masses or densities of the same
    bins; 1/2 where neither has mass (D* is undefined there and any value is optimal)."""
    tot = p + q
    return np.where(tot > 0, p / np.where(tot > 0, tot, 1.0), 0.5)


def _xlogy_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a log(a / b) with 0 log 0 = 0 (b > 0 wherever a > 0 here)."""
    return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(b > 0, b, 1.0)), 0.0)


def js(P: np.ndarray, Q: np.ndarray) -> float:
    """JS between two distributions given as masses of the same bins, in nats, in [0, log 2]:
    1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2 (note 004)."""
    M = 0.5 * (P + Q)
    return float(min(max(0.5 * _xlogy_ratio(P, M).sum() + 0.5 * _xlogy_ratio(Q, M).sum(), 0.0), math.log(2)))


def c_of_g(js_value: float) -> float:
    """C(G) = max_D V(D, G) = -log 4 + 2 JS (Goodfellow et al. 2014, Theorem 1): -log 4 only at p_G = p_data."""
    return -LOG4 + 2.0 * js_value


def value(P: np.ndarray, logit_at_bins: np.ndarray, z_mass: np.ndarray, logit_at_fakes: np.ndarray) -> float:
    """V(D, G) = E_p log D(x) + E_z log(1 - D(G(z))), D = sigmoid(logit) (note 001's f_acc): the
    real term over the data's bins, the fake term over the z-segments (G at their midpoints)."""
    return float((P * log_expit(logit_at_bins)).sum() + (z_mass * log_expit(-logit_at_fakes)).sum())


def mean_d(weights: np.ndarray, logits: np.ndarray) -> float:
    """E D = sum of weight x sigmoid(logit): D's mean on the real (bin masses) or fake (z masses) side."""
    return float((weights * expit(logits)).sum() / max(weights.sum(), 1e-300))


def w1(cdf_data, z_mass: np.ndarray, g: np.ndarray, edges: np.ndarray) -> float:
    """W1 = integral of |F_data - F_G| dx (1-D optimal transport), trapezoids on the edges, with
    both CDFs exact there."""
    diff = np.abs(cdf_data(edges) - pushforward_cdf(z_mass, g, edges))
    return float(np.trapezoid(diff, edges))
