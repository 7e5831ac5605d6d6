"""Targets with an exact density in 1-D and 2-D for the energy-based-model pages (note 003):
log p up to its constant, the score grad log p (autograd), the normaliser Z by quadrature (1-D,
scipy) or on a fine grid (2-D), exact samples, and the density on a grid of bins.

A target is a preset name or a Gaussian-mixture spec in the Discriminators page's syntax
(lab.data.mixtures: 0.5*N(-2,0.5)+0.5*N(2,0.5), or 0.5*N((0,0),0.5)+...). Besides mixtures,
"banana" is a smooth non-Gaussian density (Haario et al. 1999's twisted Gaussian):

    log p~(x) = -x1^2 / (2 a^2) - (x2 - b x1^2 + c)^2 / 2,   Z = 2 pi a exactly

(the x2 factor is a unit Gaussian around b x1^2 - c whatever x1 is).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from lab.config import ConfigError
from lab.data import mixtures

BANANA = (1.0, 0.5, 1.0)          # a, b, c


def _moons(per_moon: int = 32, std: float = 0.12) -> str:
    """Two moons (scikit-learn's make_moons shape, arcs of radius 1) as a smooth density: an
    equal-weight mixture of isotropic Gaussians at per_moon points along each arc. The points
    are 0.10 apart along the arc, less than the std, so the ridge has no visible beads, and the
    density, score and samples are the mixture's own, exact."""
    terms = []
    for k in range(per_moon):
        t = math.pi * (k + 0.5) / per_moon
        terms.append(f"N(({math.cos(t):.4f},{math.sin(t):.4f}),{std})")              # upper moon
        terms.append(f"N(({1 - math.cos(t):.4f},{0.5 - math.sin(t):.4f}),{std})")    # lower moon
    return "+".join(terms)


PRESETS = {
    "bumps": "0.5*N(-4,0.5)+0.5*N(4,0.5)",       # two far bumps (1-D): slow mixing between them
    "gauss": "N(1,0.5)",                         # one Gaussian (1-D): the closed forms
    "ring": mixtures.PRESETS["ring2d_real"],     # a ring of 8 (2-D), the mode-collapse page's
    "banana": "banana",
    "moons": _moons(),                           # two moons (2-D): curved, two pieces
    # Song & Ermon 2019's toy (their Fig. 3): two far modes of unequal weight, where Langevin
    # started over the box splits by the basins and keeps the wrong weights.
    "uneven": "0.2*N((-5,-5),1)+0.8*N((5,5),1)",
}
LABELS = {"bumps": "Two far bumps (1-D)", "gauss": "One Gaussian (1-D)", "ring": "Ring of 8 (2-D)",
          "banana": "Banana (2-D, smooth)", "moons": "Two moons (2-D, smooth)",
          "uneven": "Two uneven far modes (2-D)"}
GRID = {1: 801, 2: 161}           # points per axis of the fine grid (Z, KL, Fisher, means)


@dataclass(frozen=True)
class Target:
    name: str                     # preset name or the spec as typed
    mixture: mixtures.Mixture | None

    @property
    def dim(self) -> int:
        return 2 if self.mixture is None else self.mixture.dim

    def log_unnorm(self, x: torch.Tensor) -> torch.Tensor:
        """(n, d) -> (n,) log p~(x); differentiable. Mixtures are normalised already (Z = 1)."""
        if self.mixture is not None:
            return self.mixture.log_prob(x)
        a, b, c = BANANA
        return -0.5 * x[:, 0] ** 2 / a ** 2 - 0.5 * (x[:, 1] - b * x[:, 0] ** 2 + c) ** 2

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """(n, d) -> (n, d) grad_x log p(x) (the constant Z drops out)."""
        return self.log_and_score(x)[1]

    @cached_property
    def _params(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mix = self.mixture
        return (torch.tensor(mix.means, dtype=torch.float64), torch.tensor(mix.stds, dtype=torch.float64),
                torch.log(torch.tensor(mix.weights, dtype=torch.float64)))

    def log_and_score(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(n,) log p~(x) and (n, d) its gradient in closed form, one pass without autograd (the
        Langevin hot path). A mixture's score is the responsibilities' average of the components'
        scores, sum_k r_k(x) (mu_k - x) / s_k^2 with r = softmax_k(log w_k + log N_k(x)); the
        banana's is the chain rule on log p~. Tested against autograd and scipy."""
        x = x.detach()
        if self.mixture is None:
            a, b, c = BANANA
            u = x[:, 1] - b * x[:, 0] ** 2 + c
            lp = -0.5 * x[:, 0] ** 2 / a ** 2 - 0.5 * u ** 2
            return lp, torch.stack([-x[:, 0] / a ** 2 + 2 * b * x[:, 0] * u, -u], 1)
        mu, sd, logw = (t.to(x.dtype) for t in self._params)
        diff = mu[None] - x[:, None, :]                                          # (n, K, d)
        terms = logw - 0.5 * (diff ** 2).sum(-1) / sd ** 2 - self.dim * torch.log(sd) \
            - 0.5 * self.dim * math.log(2 * math.pi)
        lp = torch.logsumexp(terms, 1)
        r = torch.exp(terms - lp[:, None])                                       # responsibilities
        return lp, ((r / sd ** 2)[:, :, None] * diff).sum(1)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self.mixture is not None:
            return self.mixture.sample(n, gen)
        a, b, c = BANANA
        x1 = a * torch.randn(n, generator=gen)
        return torch.stack([x1, b * x1 ** 2 - c + torch.randn(n, generator=gen)], 1)

    @cached_property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-axis (low, high) that holds all but a negligible part of the mass."""
        if self.mixture is not None:
            lo, hi = self.mixture.extent(4.5)
            return lo, hi
        return np.array([-4.5, -5.0]), np.array([4.5, 11.0])

    @cached_property
    def grid(self) -> dict:
        """The fine grid: axes, points (m, d), cell area, log p~ there, Z and the normalised p."""
        lo, hi = self.box
        axes = [np.linspace(l, h, GRID[self.dim]) for l, h in zip(lo, hi)]
        pts = axes[0][:, None] if self.dim == 1 else np.stack(np.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)
        area = float(np.prod([ax[1] - ax[0] for ax in axes]))
        logp = self.log_unnorm(torch.from_numpy(pts)).numpy()
        z = float(np.exp(logp).sum() * area)            # the rectangle rule (see log_z)
        p = np.exp(logp) / z
        return {"axes": axes, "points": pts, "area": area, "z": z, "p": p,
                "mean": (p[:, None] * pts).sum(0) * area}

    def log_z(self) -> float:
        """log Z: scipy's adaptive quadrature in 1-D; in 2-D the rectangle rule on the fine grid,
        which converges faster than any power of the spacing for a smooth density that has died
        out at the box's edges (Trefethen & Weideman 2014)."""
        if self.dim == 1:
            from scipy.integrate import quad
            lo, hi = self.box
            f = lambda t: math.exp(float(self.log_unnorm(torch.tensor([[t]], dtype=torch.float64))))  # noqa: E731
            return math.log(quad(f, float(lo[0]), float(hi[0]), limit=200, points=self._centres())[0])
        return math.log(self.grid["z"])

    def _centres(self):
        return None if self.mixture is None else [m[0] for m in self.mixture.means]

    @property
    def mean(self) -> np.ndarray:
        return self.grid["mean"]

    def bins(self, n: int) -> dict:
        """n bins per axis over the box and the exact probability of each (the density averaged
        on the fine grid inside it): what a particle histogram is compared with."""
        lo, hi = self.box
        edges = [np.linspace(l, h, n + 1) for l, h in zip(lo, hi)]
        g = self.grid
        idx = [np.clip(np.searchsorted(e, g["points"][:, i], side="right") - 1, 0, n - 1)
               for i, e in enumerate(edges)]
        flat = idx[0] if self.dim == 1 else idx[1] * n + idx[0]        # row = y, column = x
        prob = np.bincount(flat, weights=g["p"] * g["area"], minlength=n ** self.dim)
        return {"edges": edges, "prob": prob / prob.sum()}


def histogram(x: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    """Fraction of the points in each bin, flattened like Target.bins (row = y); points outside
    the box count in no bin, so the fractions may sum to less than 1."""
    n = len(edges[0]) - 1
    if len(edges) == 1:
        return np.histogram(x[:, 0], edges[0])[0].astype(np.float64) / len(x)
    h = np.histogram2d(x[:, 1], x[:, 0], [edges[1], edges[0]])[0]
    return h.reshape(n * n) / len(x)


def kl_hist(q: np.ndarray, p: np.ndarray) -> float:
    """KL(q || p) = sum q log(q / p) over bins, the particles' mass outside the box counted as
    one more bin where p has (next to) none: escaped particles are never free."""
    out = max(0.0, 1.0 - float(q.sum()))
    m = q > 0
    kl = float((q[m] * np.log(q[m] / np.maximum(p[m], 1e-300))).sum())
    return kl + (out * math.log(out / 1e-12) if out > 0 else 0.0)


def resolve_spec(text: str) -> mixtures.Mixture | None:
    """The mixture a preset name or a spec names (None: the banana); one clear ConfigError otherwise."""
    spec = PRESETS.get(str(text).strip(), str(text))
    if spec == "banana":
        return None
    try:
        return mixtures.parse(spec)
    except ConfigError as err:
        raise ConfigError(f"target: {err}; or one of the presets {', '.join(PRESETS)}") from None


def resolve(text: str) -> Target:
    """A preset name or a mixture spec as a Target."""
    return Target(str(text).strip(), resolve_spec(text))
