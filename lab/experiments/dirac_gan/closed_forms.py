"""The Dirac-GAN's Jacobians and eigenvalues at the equilibrium in closed form (Mescheder,
Geiger, Nowozin 2018, Sec. 2.2 and 3), in GenLab's sign of psi (D high on real data;
lab.experiments.dirac_gan.dynamics): the paper's matrices conjugated by diag(1, -1), the same
eigenvalues.

With f'(0) = f1 and f''(0) = f2 of the loss, the field's Jacobian at (0, 0) is

    J = [[-a, f1], [-f1, -c]]        a, c: the regulariser's damping of theta and of psi
    none:       a = c = 0                   eigenvalues +- i f1 (purely imaginary: circles)
    R1 (gamma): c = gamma                   -gamma/2 +- sqrt(gamma^2/4 - f1^2)
    noise (s):  c = -2 f2 s^2               f2 s^2 +- sqrt(f2^2 s^4 - f1^2)
    consensus:  J - gamma J^T J, a = c = gamma f1^2     -gamma f1^2 +- i f1

and an update with step sizes h_g (theta) and h_d = ttur h_g (psi) has the Jacobian

    simultaneous:  I + H J,  H = diag(h_g, h_d)      no regulariser: 1 +- i h f1, |.| = sqrt(1 + h^2 f1^2) > 1
    alternating (D, then G at D's new psi):  determinant 1 without a regulariser, so |.| = 1 while
                   h_g h_d f1^2 < 4 (the eigenvalues are complex).
"""
from __future__ import annotations

import math

import numpy as np

# f'(0) and f''(0) of each loss written as L = f(0) + f(-psi theta): f(t) = -log(1 + e^-t) for the
# minimax and non-saturating GANs (the non-saturating G loss has the same linearisation at the
# equilibrium), f(t) = t for WGAN.
F1 = {"minimax": 0.5, "ns": 0.5, "wasserstein": 1.0}
F2 = {"minimax": -0.25, "ns": -0.25, "wasserstein": 0.0}


def damping(cfg) -> tuple[float, float]:
    """(a, c): how the regulariser damps theta and psi at the equilibrium. WGAN-GP's penalty with
    lambda g0 > 0 is not differentiable there: NaN."""
    f1, f2 = F1[cfg.objective], F2[cfg.objective]
    reg = cfg.regularizer
    if reg == "r1":
        return 0.0, cfg.gamma
    if reg == "noise":
        return 0.0, -2.0 * f2 * cfg.instance_noise ** 2
    if reg == "consensus":
        return cfg.consensus * f1 ** 2, cfg.consensus * f1 ** 2
    if reg == "gp":     # lambda (|psi| - g0)^2 = lambda psi^2 - 2 lambda g0 |psi| + ...: smooth only when g0 lambda = 0
        return (0.0, 2.0 * cfg.gp_lambda) if cfg.gp_lambda * cfg.gp_target == 0 else (math.nan, math.nan)
    return 0.0, 0.0


def field_jacobian(cfg) -> np.ndarray:
    """(2, 2) Jacobian of the gradient vector field v at (theta, psi) = (0, 0)."""
    f1 = F1[cfg.objective]
    a, c = damping(cfg)
    return np.array([[-a, f1], [-f1, -c]])


def update_jacobian(cfg) -> np.ndarray:
    """(2, 2) Jacobian of one update step at (0, 0)."""
    (j11, j12), (j21, j22) = field_jacobian(cfg)
    hg, hd = cfg.lr, cfg.ttur * cfg.lr
    if cfg.updates == "simultaneous":
        return np.eye(2) + np.diag([hg, hd]) @ field_jacobian(cfg)
    # psi' = psi + hd (j21 theta + j22 psi);  theta' = theta + hg (j11 theta + j12 psi')
    return np.array([[1 + hg * j11 + hg * j12 * hd * j21, hg * j12 * (1 + hd * j22)],
                     [hd * j21, 1 + hd * j22]])


def eigenvalues(m: np.ndarray) -> np.ndarray:
    """The two eigenvalues of a real 2x2 matrix, the one with the larger imaginary part first
    (then the larger real part): tr/2 +- sqrt(tr^2/4 - det)."""
    if not np.isfinite(m).all():
        return np.full(2, complex(math.nan, math.nan))
    tr, det = np.trace(m), np.linalg.det(m)
    root = np.sqrt(complex(tr ** 2 / 4 - det))
    return np.array(sorted([tr / 2 + root, tr / 2 - root], key=lambda z: (-z.imag, -z.real)))


# ---- the paper's formulas, one per method (the tests hold the code to these) ------------------
def paper_field_eigenvalues(cfg) -> np.ndarray:
    f1, f2 = F1[cfg.objective], F2[cfg.objective]
    if cfg.regularizer == "r1":
        g = cfg.gamma
        pm = np.sqrt(complex(g ** 2 / 4 - f1 ** 2))
        return np.array([-g / 2 + pm, -g / 2 - pm])
    if cfg.regularizer == "noise":
        s2 = cfg.instance_noise ** 2
        pm = np.sqrt(complex(f2 ** 2 * s2 ** 2 - f1 ** 2))
        return np.array([f2 * s2 + pm, f2 * s2 - pm])
    if cfg.regularizer == "consensus":
        return np.array([complex(-cfg.consensus * f1 ** 2, f1), complex(-cfg.consensus * f1 ** 2, -f1)])
    return np.array([1j * f1, -1j * f1])


def simultaneous_modulus(cfg) -> float:
    """|1 + h lambda| for the plain game's lambda = +- i f1 with TTUR: sqrt(1 + h_g h_d f1^2) > 1
    for every step size, so no smaller lr or time-scale ratio makes simultaneous GD converge."""
    return math.sqrt(1 + cfg.lr * cfg.lr * cfg.ttur * F1[cfg.objective] ** 2)


def max_modulus(cfg) -> float:
    """max |eigenvalue| of the update's Jacobian (NaN where there is none)."""
    return float(np.max(np.abs(eigenvalues(update_jacobian(cfg)))))
