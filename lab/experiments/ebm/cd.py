"""Maximum likelihood for p_f = exp(f) / Z(f) by contrastive divergence (Hinton 2002).

    grad_theta E_p log p_f = E_p grad_theta f(x) - grad_theta log Z = E_p grad_theta f - E_{p_f} grad_theta f

(grad log Z = int exp(f) grad f / Z). The model expectation is replaced by Langevin negatives
x- ~ approx p_f, whose score grad_x log p_f = grad_x f needs no Z (autograd here). So the loss
whose gradient is minus that estimate is mean f(x-) - mean f(x+); alpha E[f(x+)^2 + f(x-)^2]
(Du & Mordatch 2019) pins f's free additive constant. Note 003 reaches the same two terms as
max_f min_q E_p f - E_q f - H(q): at the inner optimum q = p_f, the negatives' law.
"""
from __future__ import annotations

import contextlib
import math

import torch

from lab.experiments.langevin import sampler


def values(f, x: torch.Tensor) -> torch.Tensor:
    """f(x) as (n,): the energy network gives (n, 1), log p_f up to log Z."""
    return f(x).reshape(len(x))


def log_and_score(f):
    """x -> (f(x), grad_x f(x)), both detached: the model's log density up to log Z and its
    score, in the form lab.experiments.langevin.sampler expects."""
    def las(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            v = f(x)
            g, = torch.autograd.grad(v.sum(), x)
        return v.detach().reshape(len(x)), g
    return las


def langevin(f, x: torch.Tensor, k: int, eta: float, gen: torch.Generator,
             box: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """k ULA steps on p_f from x (the parameters' gradients are not touched). With a box (low,
    high), each step is projected back into it (as Du & Mordatch 2019 and Nijkamp et al. 2019
    clamp to the data's range): p_f is then a density on the box, the box Z is taken over, and a
    too-large step cannot send a chain, and with it f, to infinity."""
    las = log_and_score(f)
    with frozen(f):
        for _ in range(k):
            x = sampler.ula(las, x, eta, gen)
            if box is not None:
                x.clamp_(*box)
    return x.detach()


@contextlib.contextmanager
def frozen(f):
    """f's parameters without requires_grad for a while: the chains need grad_x f only, and
    autograd then records no graph towards the weights (a few per cent per Langevin step)."""
    params = [p for p in f.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def loss(f, x_pos: torch.Tensor, x_neg: torch.Tensor, alpha: float = 0.0) -> torch.Tensor:
    """mean f(x-) - mean f(x+) (+ alpha mean(f(x+)^2 + f(x-)^2)): its gradient is minus the CD
    estimate of the log-likelihood gradient (plus the penalty's)."""
    both = values(f, torch.cat([x_pos, x_neg]))       # one pass through f for the two batches
    fp, fn = both[:len(x_pos)], both[len(x_pos):]
    out = fn.mean() - fp.mean()
    return out + alpha * (fp ** 2 + fn ** 2).mean() if alpha else out


def normalised(f, points: torch.Tensor, area: float) -> tuple[float, torch.Tensor]:
    """log Z = log int exp(f) over the target's box by the rectangle rule on its fine grid
    (`points`, cell `area`; the box holds all but a negligible part of p's mass and the negatives
    are kept in it), and log p_f at the points (float64)."""
    with torch.no_grad():
        v = values(f, points).double()
    log_z = float(torch.logsumexp(v, 0)) + math.log(area)
    return log_z, v - log_z


def kls(log_q: torch.Tensor, log_p: torch.Tensor, area: float) -> tuple[float, float]:
    """KL(p || p_f) (the likelihood's view: the expected log-likelihood gap to the truth) and
    KL(p_f || p), both as sums over the fine grid of (normalised) log densities."""
    d = log_p - log_q
    return float((log_p.exp() * d).sum() * area), float((-log_q.exp() * d).sum() * area)
