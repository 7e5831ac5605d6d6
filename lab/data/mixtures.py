"""Isotropic Gaussian mixtures in 1-D and 2-D: sampling with a private generator, exact
log-densities (for D* = p / (p + p_G) and the divergences), and a text form students can type.

Text form, weights normalised:
    1-D  0.3*N(-2,0.5) + 0.7*N(1.5,0.3)          weight*N(mean, std)
    2-D  0.5*N((0,0),0.5) + 0.5*N((2,1),0.3)      weight*N((mean_x, mean_y), std)
A term without a weight has weight 1.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from lab.config import ConfigError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM_1D = re.compile(rf"^(?:({_NUM})\s*\*\s*)?N\(\s*({_NUM})\s*,\s*({_NUM})\s*\)$")
_TERM_2D = re.compile(
    rf"^(?:({_NUM})\s*\*\s*)?N\(\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*,\s*({_NUM})\s*\)$")


@dataclass(frozen=True)
class Mixture:
    weights: tuple[float, ...]               # (K,), sums to 1
    means: tuple[tuple[float, ...], ...]     # (K, d)
    stds: tuple[float, ...]                  # (K,), isotropic per component

    @property
    def dim(self) -> int:
        return len(self.means[0])

    @cached_property
    def _tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # Built once: sampling is on the hot path of every training step.
        return (torch.tensor(self.weights, dtype=torch.float64),
                torch.tensor(self.means, dtype=torch.float32),
                torch.tensor(self.stds, dtype=torch.float32))

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """(n, d) samples; component by multinomial on the weights, then mean + std * eps."""
        w, mu, sd = self._tensors
        if len(w) == 1:
            return mu[0] + sd[0] * torch.randn(n, self.dim, generator=gen)
        comp = torch.multinomial(w, n, replacement=True, generator=gen)
        return mu[comp] + sd[comp, None] * torch.randn(n, self.dim, generator=gen)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """(n, d) -> (n,) exact log-density, log sum_k w_k N(x; mu_k, s_k^2 I); differentiable."""
        mu = torch.tensor(self.means, dtype=x.dtype, device=x.device)          # (K, d)
        sd = torch.tensor(self.stds, dtype=x.dtype, device=x.device)           # (K,)
        logw = torch.log(torch.tensor(self.weights, dtype=x.dtype, device=x.device))
        sq = ((x[:, None, :] - mu[None]) ** 2).sum(-1)                         # (n, K)
        d = self.dim
        log_n = -0.5 * sq / sd**2 - d * torch.log(sd) - 0.5 * d * math.log(2 * math.pi)
        return torch.logsumexp(logw + log_n, dim=1)

    def log_prob_np(self, x: np.ndarray) -> np.ndarray:
        """NumPy float64 version (no autograd) for integration: x (n, d), or (n,) in 1-D.
        Plain max-shifted log-sum-exp: quadrature calls this per point, where scipy's
        general logsumexp costs ~100 us a call."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.dim)
        mu, sd = np.asarray(self.means), np.asarray(self.stds)
        sq = ((x[:, None, :] - mu[None]) ** 2).sum(-1)                         # (n, K)
        d = self.dim
        terms = np.log(self.weights) - 0.5 * sq / sd**2 - d * np.log(sd) - 0.5 * d * math.log(2 * math.pi)
        top = terms.max(axis=1)
        return top + np.log(np.exp(terms - top[:, None]).sum(axis=1))

    def cdf_1d(self, x: np.ndarray) -> np.ndarray:
        """Exact CDF of a 1-D mixture (for W1 = integral of |F_p - F_q|)."""
        from scipy.special import ndtr     # the standard normal CDF, without scipy.stats' import cost
        x = np.asarray(x, dtype=np.float64)
        return sum(w * ndtr((x - m[0]) / s) for w, m, s in zip(self.weights, self.means, self.stds))

    def extent(self, n_std: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
        """Per-axis (low, high) box that holds every component out to n_std."""
        mu, sd = np.array(self.means), np.array(self.stds)[:, None]
        return (mu - n_std * sd).min(0), (mu + n_std * sd).max(0)

    def to_spec(self) -> str:
        def fmt(v):
            return f"{v:g}"
        terms = []
        for w, m, s in zip(self.weights, self.means, self.stds):
            mean = fmt(m[0]) if self.dim == 1 else f"({fmt(m[0])},{fmt(m[1])})"
            terms.append(f"{fmt(round(w, 6))}*N({mean},{fmt(s)})")
        return "+".join(terms)


def _split_terms(spec: str) -> list[str]:
    """Split on '+' outside brackets, keeping a leading sign on numbers (N(+1,..), 1e+3)."""
    terms, depth, cur = [], 0, ""
    for i, ch in enumerate(spec):
        depth += (ch == "(") - (ch == ")")
        prev = spec[i - 1] if i else ""
        if ch == "+" and depth == 0 and prev not in "eE":
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    return [t.strip() for t in terms]


def parse(spec: str, dim: int | None = None) -> Mixture:
    """Text -> Mixture. Errors name the offending term and say what was expected."""
    text = spec.strip()
    if not text:
        raise ConfigError("the mixture is empty: write e.g. 0.5*N(-1,0.5)+0.5*N(1,0.5)")
    if dim is None:
        dim = 2 if re.search(r"N\(\s*\(", text) else 1
    pattern = _TERM_1D if dim == 1 else _TERM_2D
    example = "0.3*N(-2,0.5)" if dim == 1 else "0.5*N((0,0),0.5)"
    weights, means, stds = [], [], []
    for i, term in enumerate(_split_terms(text), start=1):
        m = pattern.match(term)
        if not m:
            raise ConfigError(f"term {i} {term!r} of {text!r} is not weight*N(...) for {dim}-D data, "
                              f"e.g. {example}")
        w = float(m.group(1)) if m.group(1) else 1.0
        nums = [float(g) for g in m.groups()[1:]]
        mean, std = nums[:-1], nums[-1]
        if not w > 0:
            raise ConfigError(f"term {i} {term!r}: the weight must be positive")
        if not std > 0:
            raise ConfigError(f"term {i} {term!r}: the standard deviation must be positive")
        if any(abs(v) > 1e3 for v in mean) or std > 1e3:
            raise ConfigError(f"term {i} {term!r}: keep means and stds within +-1000")
        weights.append(w)
        means.append(tuple(mean))
        stds.append(std)
    total = sum(weights)
    return Mixture(tuple(w / total for w in weights), tuple(means), tuple(stds))


# Single distributions by name: usable wherever a spec is (the command line's real=, fake=).
PRESETS: dict[str, str] = {
    # The notes' Figures 1 and 2 (note 000 sec. 1.2): real and generated bumps well apart.
    "fig1_real": "N(2,0.5)",
    "fig1_fake": "N(-2,0.5)",
    "overlap_real": "N(0.5,1)",
    "overlap_fake": "N(-0.5,1)",
    "bimodal_real": "0.5*N(-2.5,0.5)+0.5*N(2.5,0.5)",
    "wide_fake": "N(0,1.5)",
    "far_real": "N(4,0.3)",
    "far_fake": "N(-4,0.3)",
    "apart2d_real": "N((1.5,1.5),0.5)",
    "apart2d_fake": "N((-1.5,-1.5),0.5)",
    "ring2d_real": "+".join(f"N(({2 * math.cos(a):.4f},{2 * math.sin(a):.4f}),0.2)"
                            for a in (2 * math.pi * k / 8 for k in range(8))),
    "blob2d_fake": "N((0,0),0.6)",
    "pair2d_real": "0.5*N((-1.5,0),0.4)+0.5*N((1.5,0),0.4)",
    "pair2d_fake": "N((0,1.5),0.5)",
}

# Real/generated pairs offered on the page, in classroom order.
PAIRS: dict[str, tuple[str, str]] = {
    "Notes' Figures 1-2: bumps apart": ("fig1_real", "fig1_fake"),
    "Overlapping bumps": ("overlap_real", "overlap_fake"),
    "Bimodal data, wide generator": ("bimodal_real", "wide_fake"),
    "Far apart (vanishing gradient)": ("far_real", "far_fake"),
    "2-D: blobs apart": ("apart2d_real", "apart2d_fake"),
    "2-D: ring of 8 vs a blob": ("ring2d_real", "blob2d_fake"),
    "2-D: two blobs vs one": ("pair2d_real", "pair2d_fake"),
}


def pairs(dim: int) -> list[str]:
    """The page's pairs for data of this dimension, in classroom order."""
    return [name for name, (real, _) in PAIRS.items() if parse(PRESETS[real]).dim == dim]


def pair_of(real: Mixture, fake: Mixture) -> str | None:
    """The name of the pair whose presets are these two mixtures (None: a custom pair)."""
    return next((name for name, (r, f) in PAIRS.items()
                 if (parse(PRESETS[r]), parse(PRESETS[f])) == (real, fake)), None)


def resolve(spec_or_name: str, dim: int) -> Mixture:
    """A preset name or a spec, checked against the dimension asked for."""
    text = PRESETS.get(spec_or_name.strip(), spec_or_name)
    mix = parse(text, dim=None)
    if mix.dim != dim:
        raise ConfigError(f"{spec_or_name!r} is a {mix.dim}-D mixture but dim={dim}; "
                          f"write {'N(mean,std)' if dim == 1 else 'N((x,y),std)'} terms")
    return mix
