"""A small normalising flow q for the min-max (the generator whose entropy is tractable):
x = T(z), z ~ N(0, I), T invertible with a log-determinant in closed form, so

    log q(x) = log N(z; 0, I) - log |det dT/dz (z)|,      H(q) = -E_q log q = E_z[-log N(z) + log |det|]

by reparameterised samples (Rezende & Mohamed 2015). The layers:
  Affine     elementwise x = loc + e^s z
  Coupling   2-D affine coupling (RealNVP, Dinh et al. 2017): one coordinate, scaled and shifted by
             a small net of the other, x_b' = x_b e^{s(x_a)} + t(x_a), log det = s(x_a)
  Monotone   1-D x' = x + sum_k w_k tanh(a_k x + b_k), w_k, a_k > 0: strictly increasing (slope >= 1),
             log det = log(1 + sum_k w_k a_k sech^2(a_k x + b_k)); inverse by bisection
  Squash     x' = c + h tanh(x) onto the target's box, so q, p_f and Z(f) all live on the same box
             and the identity log Z_box(f) = max_q E_q f + H(q) holds there exactly.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lab import nets

Tensor = torch.Tensor
S_MAX = 3.0           # coupling log-scales are soft-clipped to [-3, 3]: a stable start (Dinh et al. sec. 4.1)
TERMS = 8             # tanh terms per monotone layer


class Affine(nn.Module):
    def __init__(self, d: int, loc=0.0, log_scale=0.0):
        super().__init__()
        self.loc = nn.Parameter(torch.full((d,), 0.0) + torch.as_tensor(loc, dtype=torch.float32))
        self.log_scale = nn.Parameter(torch.full((d,), 0.0) + torch.as_tensor(log_scale, dtype=torch.float32))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.loc + x * self.log_scale.exp(), self.log_scale.sum().expand(len(x))

    def inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) * torch.exp(-self.log_scale)


class Coupling(nn.Module):
    def __init__(self, keep: int, width: int):
        super().__init__()
        self.keep = keep
        self.net = nets.mlp(1, 2, width, 2, activation="silu")
        nets.shrink_last_layer(self.net, 0.0)          # starts as the identity

    def _st(self, xa: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(xa)
        return S_MAX * torch.tanh(out[:, 0] / S_MAX), out[:, 1]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.keep, 1 - self.keep
        s, t = self._st(x[:, a:a + 1])
        y = x.clone()
        y[:, b] = x[:, b] * s.exp() + t
        return y, s

    def inverse(self, y: Tensor) -> Tensor:
        a, b = self.keep, 1 - self.keep
        s, t = self._st(y[:, a:a + 1])
        x = y.clone()
        x[:, b] = (y[:, b] - t) * torch.exp(-s)
        return x


class Monotone(nn.Module):
    def __init__(self, gen: torch.Generator):
        super().__init__()
        self.w = nn.Parameter(torch.full((TERMS,), -4.0))                      # softplus: w ~ 0.02
        self.a = nn.Parameter(torch.zeros(TERMS))                               # exp: slope 1
        self.b = nn.Parameter(torch.linspace(-2.0, 2.0, TERMS) + 0.1 * torch.randn(TERMS, generator=gen))

    def _terms(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        w, a = F.softplus(self.w), self.a.exp()
        return w, a, torch.tanh(x * a + self.b)                                 # x (n, 1) -> (n, K)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        w, a, th = self._terms(x)
        y = x + (w * th).sum(1, keepdim=True)
        return y, torch.log1p((w * a * (1 - th ** 2)).sum(1))

    def inverse(self, y: Tensor, iters: int = 60) -> Tensor:
        """Bisection: |T(x) - x| <= sum w, so x lies in [y - sum w, y + sum w]; 60 halvings."""
        with torch.no_grad():
            span = F.softplus(self.w).sum()
            lo, hi = y - span, y + span
            for _ in range(iters):
                mid = (lo + hi) / 2
                up = self.forward(mid)[0] < y
                lo, hi = torch.where(up, mid, lo), torch.where(up, hi, mid)
            return (lo + hi) / 2


class Squash(nn.Module):
    def __init__(self, lo: np.ndarray, hi: np.ndarray):
        super().__init__()
        self.register_buffer("c", torch.tensor((lo + hi) / 2, dtype=torch.float32))
        self.register_buffer("h", torch.tensor((hi - lo) / 2, dtype=torch.float32))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        # log(1 - tanh^2 x) = 2 (log 2 - x - softplus(-2x)), stable for large |x|
        ld = (torch.log(self.h) + 2 * (math.log(2) - x - F.softplus(-2 * x))).sum(1)
        return self.c + self.h * torch.tanh(x), ld

    def inverse(self, y: Tensor) -> Tensor:
        u = ((y - self.c) / self.h).clamp(-1 + 1e-7, 1 - 1e-7)
        return torch.atanh(u)


class Flow(nn.Module):
    """T = the layers in order applied to z ~ N(0, I_d)."""

    def __init__(self, layers: list[nn.Module], d: int):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.d = d

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """x = T(z) and log |det dT/dz| per sample."""
        ld = torch.zeros(len(z), dtype=z.dtype)
        for layer in self.layers:
            z, l = layer(z)
            ld = ld + l
        return z, ld

    def base_log_prob(self, z: Tensor) -> Tensor:
        return -0.5 * (z ** 2).sum(1) - 0.5 * self.d * math.log(2 * math.pi)

    def sample(self, n: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """n reparameterised samples and their log q."""
        z = torch.randn(n, self.d, generator=gen)
        x, ld = self(z)
        return x, self.base_log_prob(z) - ld

    def log_prob(self, x: Tensor) -> Tensor:
        """log q(x) at given points: invert, then the change of variables at z = T^-1(x)."""
        with torch.no_grad():
            z = x
            for layer in reversed(self.layers):
                z = layer.inverse(z)
            _, ld = self(z)
            return self.base_log_prob(z) - ld


def make(d: int, box: tuple[np.ndarray, np.ndarray], layers: int, width: int, gen: torch.Generator) -> Flow:
    """An affine start (a Gaussian over the middle of the box, a third of its half-width wide in
    squashed units), `layers` couplings (2-D, alternating coordinates) or monotone maps (1-D),
    each followed by an elementwise affine, then the squash onto the box."""
    lo, hi = box
    mods: list[nn.Module] = [Affine(d, 0.0, math.log(1 / 3))]
    for i in range(layers):
        mods += [Coupling(i % 2, width) if d == 2 else Monotone(gen), Affine(d)]
    mods.append(Squash(lo, hi))
    return Flow(mods, d)
