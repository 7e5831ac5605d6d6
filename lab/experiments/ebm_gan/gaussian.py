"""The variational identity log Z(f) = max_q E_q f + H(q) (note 003, sec. 15.2.4) with a Gaussian
q = N(mu, L L'), in closed form where f is quadratic and by Gauss-Hermite quadrature otherwise.

For any density q, E_q f + H(q) = int q (f - log q) = log Z(f) - KL(q || p_f), p_f = e^f / Z(f),
so the bound is below log Z with equality exactly at q = p_f. For the quadratic
f(x) = -(x - m)' A (x - m) / 2,

    E_q f = -[(mu - m)' A (mu - m) + tr(A Sigma)] / 2,    H(q) = d/2 log(2 pi e) + log det L,
    log Z(f) = d/2 log(2 pi) - 1/2 log det A,

and the maximiser is mu = m, Sigma = A^-1 (p_f is that Gaussian). For a non-Gaussian f the best
Gaussian leaves a gap KL(q || p_f) > 0: the identity needs q as rich as p_f.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

Tensor = torch.Tensor
HERMITE = {1: 60, 2: 24}         # Gauss-Hermite nodes per axis for E_q f of a non-quadratic f


def quadratic(m: Tensor, a: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = -(x - m)' A (x - m) / 2, (n, d) -> (n,)."""
    def f(x: Tensor) -> Tensor:
        u = x - m
        return -0.5 * ((u @ a) * u).sum(-1)
    return f


def log_z_quadratic(a: Tensor) -> float:
    d = a.shape[0]
    return 0.5 * d * math.log(2 * math.pi) - 0.5 * float(torch.logdet(a))


def entropy(chol: Tensor) -> Tensor:
    """H(N(mu, L L')) = d/2 log(2 pi e) + sum log diag L."""
    d = chol.shape[0]
    return 0.5 * d * math.log(2 * math.pi * math.e) + torch.log(torch.diagonal(chol)).sum()


def expect_quadratic(mu: Tensor, chol: Tensor, m: Tensor, a: Tensor) -> Tensor:
    """E_q f for q = N(mu, L L') and the quadratic f(m, A), in closed form."""
    u = mu - m
    return -0.5 * (u @ a @ u + torch.trace(a @ chol @ chol.T))


def _hermite(d: int) -> tuple[Tensor, Tensor]:
    """Nodes u and weights w with sum_j w_j g(u_j) ~ E g(u), u ~ N(0, I_d) (probabilists' Hermite)."""
    t, w = np.polynomial.hermite_e.hermegauss(HERMITE[d])
    w = w / w.sum()
    if d == 1:
        return torch.from_numpy(t[:, None]), torch.from_numpy(w)
    u = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    return torch.from_numpy(u), torch.from_numpy(np.outer(w, w).ravel())


def expect(f: Callable[[Tensor], Tensor], mu: Tensor, chol: Tensor) -> Tensor:
    """E_q f for q = N(mu, L L') by Gauss-Hermite quadrature through x = mu + L u (differentiable)."""
    u, w = _hermite(len(mu))
    return (w.to(mu.dtype) * f(mu + u.to(mu.dtype) @ chol.T)).sum()


class GaussianQ(nn.Module):
    """q = N(mu, L L'), L lower triangular with a positive diagonal (its log is the parameter)."""

    def __init__(self, mu: np.ndarray, std: np.ndarray):
        super().__init__()
        d = len(mu)
        self.mu = nn.Parameter(torch.tensor(mu, dtype=torch.float64))
        self.log_diag = nn.Parameter(torch.log(torch.tensor(std, dtype=torch.float64)))
        self.lower = nn.Parameter(torch.zeros(d * (d - 1) // 2, dtype=torch.float64))
        self._rows, self._cols = np.tril_indices(d, -1)

    def chol(self) -> Tensor:
        d = len(self.mu)
        low = torch.zeros(d, d, dtype=torch.float64).index_put((torch.tensor(self._rows), torch.tensor(self._cols)),
                                                              self.lower)
        return low + torch.diag(torch.exp(self.log_diag))

    def cov(self) -> Tensor:
        c = self.chol()
        return c @ c.T

    def bound(self, f: Callable[[Tensor], Tensor], quad: tuple[Tensor, Tensor] | None = None) -> Tensor:
        """E_q f + H(q): closed form when `quad` = (m, A) says f is that quadratic, else quadrature."""
        c = self.chol()
        e = expect_quadratic(self.mu, c, *quad) if quad is not None else expect(f, self.mu, c)
        return e + entropy(c)


def fit(q: GaussianQ, f: Callable[[Tensor], Tensor], quad=None, steps: int = 500, lr: float = 0.05) -> list[float]:
    """Gradient ascent (Adam) on E_q f + H(q); the bound after each step."""
    opt = torch.optim.Adam(q.parameters(), lr=lr)
    out = []
    for _ in range(steps):
        loss = -q.bound(f, quad)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        out.append(-float(loss.detach()))
    return out
