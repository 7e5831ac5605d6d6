"""Divergences between distributions with disjoint (or nearly disjoint) supports, in closed
form, with their derivatives in the generator's parameter theta (note 004; Arjovsky, Chintala,
Bottou 2017, Example 1).

The parallel lines: P_0 = delta_0 x U[0,1] and P_theta = delta_theta x U[0,1] in the plane.
    KL(P_0 || P_theta) = +inf,  JS = log 2,  TV = 1   for theta != 0  (all 0 at theta = 0)
    W1(P_0, P_theta)   = |theta|
JS, TV (and KL) are constant away from 0, so their derivative gives theta no direction; W1's
derivative is sign(theta), a constant pull towards 0.

Two 1-D Gaussians N(0, s^2) vs N(theta, s^2), with d = |theta| / s:
    KL = d^2 / 2,   TV = 2 Phi(d / 2) - 1,   W1 = |theta|,
    JS = log 2 - E_{u ~ N(0,1)}[softplus(d u - d^2 / 2)]
The JS line follows from the symmetry of the pair: both halves of JS equal
E_p[log(2p / (p + q))] and log q/p at x = s u is d u - d^2/2. As s -> 0 every curve except
W1 jumps to its parallel-lines value.

Instance noise of std sigma added to both lines (note 000 sec. 1.3) turns their x-marginals
into exactly this Gaussian pair with s = sigma; the y-parts are identical and independent of
x, so they cancel in every divergence. So the Gaussian curves at s = sigma *are* the noisy
lines' curves: that is why instance noise gives JS a slope again.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

LOG2 = math.log(2.0)
# Trapezoid nodes for E_{u ~ N(0,1)}[.]: |u| <= 12 holds all but 1e-32 of the mass; spacing
# 0.006 resolves the softplus kink (width ~1/d) up to d = D_CAP.
_U = np.linspace(-12.0, 12.0, 4001)
_W = norm.pdf(_U) * (_U[1] - _U[0])
_W[[0, -1]] *= 0.5
# Beyond d = 40 the overlap mass Phi(-d/2) < 1e-88: JS equals log 2 to double precision.
D_CAP = 40.0


# ---- the parallel lines ------------------------------------------------------------------
def lines(theta) -> dict[str, np.ndarray]:
    """KL, JS, TV, W1 between P_0 and P_theta, elementwise over theta (any shape)."""
    t = np.asarray(theta, dtype=np.float64)
    apart = t != 0
    return {"kl": np.where(apart, np.inf, 0.0), "js": np.where(apart, LOG2, 0.0),
            "tv": np.where(apart, 1.0, 0.0), "w1": np.abs(t)}


def lines_grad(theta) -> dict[str, np.ndarray]:
    """d/dtheta of each divergence; NaN at theta = 0 where KL, JS, TV jump and W1 has a kink.
    KL's derivative is 0 away from 0: it is the constant +inf there, no direction either."""
    t = np.asarray(theta, dtype=np.float64)
    at0 = t == 0
    zero = np.where(at0, np.nan, 0.0)
    return {"kl": zero, "js": zero.copy(), "tv": zero.copy(), "w1": np.where(at0, np.nan, np.sign(t))}


# ---- two 1-D Gaussians -------------------------------------------------------------------
def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def js_standardised(d) -> np.ndarray:
    """JS(N(0,1), N(d,1)) by trapezoid integration of the Gaussian expectation above."""
    d = np.minimum(np.abs(np.asarray(d, dtype=np.float64)), D_CAP)
    z = d[..., None] * _U - 0.5 * d[..., None] ** 2                # (..., nodes): log q/p at x = u
    return np.clip(LOG2 - (_softplus(z) * _W).sum(-1), 0.0, LOG2)


def js_standardised_grad(d) -> np.ndarray:
    """d JS / d d = -E[sigmoid(d u - d^2/2) (u - d)] (differentiating under the integral)."""
    d = np.abs(np.asarray(d, dtype=np.float64))
    dc = np.minimum(d, D_CAP)
    z = dc[..., None] * _U - 0.5 * dc[..., None] ** 2
    g = -(_sigmoid(z) * (_U - dc[..., None]) * _W).sum(-1)
    return np.where(d >= D_CAP, 0.0, g)


def gaussians(theta, s: float) -> dict[str, np.ndarray]:
    """KL, JS, TV, W1 between N(0, s^2) and N(theta, s^2), elementwise over theta."""
    t = np.asarray(theta, dtype=np.float64)
    d = np.abs(t) / s
    return {"kl": 0.5 * d**2, "js": js_standardised(d), "tv": 2.0 * norm.cdf(0.5 * d) - 1.0,
            "w1": np.abs(t)}


def gaussians_grad(theta, s: float) -> dict[str, np.ndarray]:
    """d/dtheta of each; all smooth except W1's kink at 0 (NaN there)."""
    t = np.asarray(theta, dtype=np.float64)
    d, sign = np.abs(t) / s, np.sign(t)
    return {"kl": t / s**2, "js": sign * js_standardised_grad(d) / s,
            "tv": sign * norm.pdf(0.5 * d) / s, "w1": np.where(t == 0, np.nan, sign)}


def exact(setup: str, theta, sigma: float) -> dict[str, np.ndarray]:
    """The divergences of either setup, by name: 'lines' or 'gaussians'."""
    return lines(theta) if setup == "lines" else gaussians(theta, sigma)


def exact_grad(setup: str, theta, sigma: float) -> dict[str, np.ndarray]:
    return lines_grad(theta) if setup == "lines" else gaussians_grad(theta, sigma)


SETUPS = {
    "lines": "P_0 = delta_0 x U[0,1] vs P_theta = delta_theta x U[0,1] (Arjovsky et al. Example 1)",
    "gaussians": "N(0, s^2) vs N(theta, s^2) in 1-D; disjoint in the limit s -> 0",
}
