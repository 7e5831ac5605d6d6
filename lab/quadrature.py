"""The "intractable" log-likelihood of a latent model with a 1-D or 2-D latent, by quadrature.

For a VAE with prior p(z) = N(0, I) and decoder p(x|z) (lab.variational),

    log p(x) = log \\int p(x|z) p(z) dz  ~  logsumexp_j [log p(x|z_j) + log N(z_j; 0, I)] + log h^d

over grid points z_j = h * (integer vector): the rectangle rule on a uniform grid, which for a
smooth integrand that has died out at the edges of the region summed is the trapezoid rule and
converges faster than any power of h (Trefethen & Weideman 2014, "The exponentially convergent
trapezoidal rule"), as long as h is not much larger than the posterior's width.

A trained VAE's posteriors are narrow (sigma ~ 0.02 on digits) and sit in a small part of the
plane, so the sum is adaptive but stays on one uniform grid: a coarse pass (spacing `coarse`,
shared by all examples) finds, per example, the blocks of 16^d grid points where its posterior
mass is; those blocks and their neighbours are summed at the fine spacing h. h is the largest of
0.05 / 2^k not above 1.5 times the smallest encoder sigma of the batch, halved again for the
examples whose sums at h and 2h still differ by more than 0.01 nats. The error is measured, not assumed:

    error = |sum at h - sum over every other point (spacing 2h)| + mass left out (from the coarse pass)

the first a conservative bound on the discretisation error (the sum at h is far closer than the
one at 2h), the second the relative mass of the coarse grid outside the blocks summed or in the
outermost ring of blocks (where the extent [-L, L]^d could cut it).

The same grid gives the exact posterior p(z|x) = p(x|z) p(z) / p(x) on the plane, and with it
KL(q(z|x) || p(z|x)), the gap in log p(x) = ELBO + KL(q || p(z|x)) (note 002's derivation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from lab import variational as vae

DECODE_ROWS = 8192          # grid points decoded at a time
BLOCK_ROWS = 1 << 22        # numbers in one (examples x grid points) block of the coarse pass (16 MB)


@dataclass(frozen=True)
class Grid:
    """The quadrature's settings: the extent L of [-L, L]^d, the coarse spacing of the first pass,
    the finest spacing allowed, the block side in grid points, and the relative mass (as a log)
    below which a block is left out."""
    extent: float = 6.0
    coarse: float = 0.2
    finest: float = 0.05 / 4
    block: int = 16
    drop: float = 25.0
    sigmas: float = 1.5
    tol: float = 0.01

    def fine_step(self, sigma_min: float) -> float:
        """0.05 / 2^k, the largest not above `sigmas` times the narrowest encoder sigma (and not below
        `finest`): for a Gaussian of width sigma the rule's relative error is about 2 exp(-2 pi^2
        sigma^2 / h^2), 3e-4 at h = 1.5 sigma."""
        h = 0.05
        while h > self.sigmas * sigma_min and h / 2 >= self.finest - 1e-12:
            h /= 2
        return h

    def describe(self, h: torch.Tensor) -> str:
        steps = ", ".join(f"{v:g} ({int((h == v).sum())})" for v in sorted(set(h.tolist()), reverse=True))
        return (f"adaptive grid on [-{self.extent:g}, {self.extent:g}]^d: a coarse pass at {self.coarse:g}, then sums "
                f"in blocks of {self.block} points a side where the posterior has mass, at spacing (digits) {steps}")


def _lattice(lo: int, hi: int, dim: int) -> torch.Tensor:
    """(m, dim) int64 index vectors of the box [lo, hi)^dim, the first coordinate slowest."""
    a = torch.arange(lo, hi)
    if dim == 1:
        return a[:, None]
    g1, g2 = torch.meshgrid(a, a, indexing="ij")
    return torch.stack([g1.ravel(), g2.ravel()], 1)


@torch.no_grad()
def decoded(model: vae.VAE, z: torch.Tensor) -> torch.Tensor:
    """(m, latent) -> (m, n_in) decoder outputs, DECODE_ROWS points at a time."""
    return torch.cat([model.decode_logits(zs) for zs in z.split(DECODE_ROWS)]) if len(z) else z.new_zeros(0, model.n_in)


def log_lik_matrix(model: vae.VAE, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """(n, n_in) data, (m, n_in) decoder outputs -> (n, m) log p(x_i | z_j). Bernoulli: since
    log sigmoid(l) - log sigmoid(-l) = l, log p(x|z) = x . l + sum_k log sigmoid(-l_k), one matrix
    product, the same -BCE as model.log_px_given_z for any x in [0, 1]."""
    if model.likelihood == "bernoulli":
        return x @ out.T + F.logsigmoid(-out).sum(1)
    return torch.stack([model.log_px_given_z(xi, out) for xi in x])


def log_prior(z: torch.Tensor) -> torch.Tensor:
    """(m, d) -> (m,) float64 log N(z; 0, I)."""
    z = z.double()
    return -0.5 * (z.shape[1] * vae.LOG_2PI + (z ** 2).sum(1))


@torch.no_grad()
def log_joint(model: vae.VAE, x: torch.Tensor, z: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """(n, m) float64 log p(x_i | z_j) + log N(z_j; 0, I)."""
    out = decoded(model, z) if out is None else out
    return log_lik_matrix(model, x, out).double() + log_prior(z)


@torch.no_grad()
def log_marginal(model: vae.VAE, x: torch.Tensor, grid: Grid = Grid()) -> dict:
    """Per example (n,) float64: log_px, log_px_2h (every other point), left_out (log of 1 + the
    coarse mass outside the blocks summed), error (module docstring) and h, the fine spacing: first
    the rule on the encoder's sigmas, then halved for the examples whose sums at h and 2h differ by
    more than grid.tol (down to grid.finest); `grid` says so in words."""
    if model.latent not in (1, 2):
        raise ValueError(f"quadrature is over a 1-D or 2-D latent, not {model.latent}-D: use the IW bound")
    _, logvar = model.encode(x)
    h = grid.fine_step(float((0.5 * logvar).exp().min())) if len(x) else 0.05
    res = _log_marginal_at(model, x, grid, h)
    res["h"] = torch.full((len(x),), h, dtype=torch.float64)
    while h / 2 >= grid.finest - 1e-12:
        redo = torch.nonzero((res["log_px"] - res["log_px_2h"]).abs() > grid.tol).ravel()   # what a finer h can fix
        if not len(redo):
            break
        h /= 2
        finer = _log_marginal_at(model, x[redo], grid, h)
        better = finer["error"] < res["error"][redo]
        for key, v in finer.items():
            res[key][redo[better]] = v[better]
        res["h"][redo[better]] = h
    res["grid"] = grid.describe(res["h"])
    return res


def _log_marginal_at(model: vae.VAE, x: torch.Tensor, grid: Grid, h: float) -> dict[str, torch.Tensor]:
    """log_marginal's sums at one fine spacing h."""
    d, B = model.latent, grid.block
    n_blocks = math.ceil(grid.extent / (B * h))                  # blocks per half axis
    half = n_blocks * B                                          # the axis is the indices [-half, half)
    c = max(1, round(grid.coarse / h))                          # coarse pass: every c-th index
    # ---- coarse pass: which blocks hold each example's mass ----
    ci = _lattice(-(half // c), -(-half // c), d) * c
    ci = ci[(ci >= -half).all(1) & (ci < half).all(1)]
    zc = ci.float() * h
    outc = decoded(model, zc)
    blk_of = ((ci + half) // B)                                  # (mc, d) block coordinates
    nb = 2 * n_blocks
    flat = blk_of[:, 0] * (nb if d == 2 else 1) + (blk_of[:, 1] if d == 2 else 0)
    edge = ((blk_of == 0) | (blk_of == nb - 1)).any(1)
    n_flat = nb ** d
    rows = max(1, BLOCK_ROWS // max(len(zc), 1))
    selected, left_out = [], []
    for xs in x.split(rows):
        lj = log_joint(model, xs, zc, outc)                                          # (r, mc)
        score = torch.full((len(xs), n_flat), -math.inf, dtype=torch.float64)
        score.scatter_reduce_(1, flat.expand(len(xs), -1), lj, "amax")
        keep = score > lj.max(1, keepdim=True).values - grid.drop
        keep = keep.reshape((len(xs),) + (nb,) * d).float()
        # neighbours too: a narrow peak near a block's edge is not missed
        k = F.max_pool2d(keep[:, None], 3, 1, 1)[:, 0] if d == 2 else F.max_pool1d(keep[:, None], 3, 1, 1)[:, 0]
        keep = k.reshape(len(xs), n_flat) > 0
        selected.append(keep)
        inside = keep[:, flat] & ~edge
        total = torch.logsumexp(lj, 1)
        out_mass = torch.logsumexp(lj.masked_fill(inside, -math.inf), 1)
        left_out.append(torch.log1p((out_mass - total).exp()))
    selected, left_out = torch.cat(selected), torch.cat(left_out)
    # ---- fine pass: each needed block decoded once, summed for the examples that need it ----
    acc = torch.full((len(x),), -math.inf, dtype=torch.float64)
    acc2 = acc.clone()
    local = _lattice(0, B, d)
    even = (local % 2 == 0).all(1)
    for b in torch.nonzero(selected.any(0)).ravel().tolist():
        corner = torch.tensor([b // nb, b % nb] if d == 2 else [b]) * B - half
        idx = corner + local
        who = torch.nonzero(selected[:, b]).ravel()
        lj = log_joint(model, x[who], idx.float() * h)                              # (w, B^d)
        acc[who] = torch.logaddexp(acc[who], torch.logsumexp(lj, 1))
        acc2[who] = torch.logaddexp(acc2[who], torch.logsumexp(lj[:, even], 1))
    log_px = acc + d * math.log(h)
    log_px_2h = acc2 + d * math.log(2 * h)
    return {"log_px": log_px, "log_px_2h": log_px_2h, "left_out": left_out, "error": (log_px - log_px_2h).abs() + left_out}


@torch.no_grad()
def posterior(model: vae.VAE, x: torch.Tensor, h: float = 0.025, window: tuple | None = None,
              max_side: int = 241) -> dict:
    """One example x (n_in,), 2-D latent: the exact posterior p(z|x) and the encoder's q(z|x) as log
    densities on a uniform grid of spacing h over `window` ((lo1, hi1), (lo2, hi2); default: where
    log_marginal's coarse pass finds mass, with q's 4-sigma box), h raised if a side would pass
    max_side points. Returns the axes, log_post and log_q ((n2, n1), rows along z2), log p(x) on
    this grid, and mu, sigma of q."""
    mu, logvar = model.encode(x[None])
    mu, sd = mu[0].double(), (0.5 * logvar[0]).exp().double()
    if window is None:
        window = _mass_window(model, x, mu, sd)
    h = max(h, max(hi - lo for lo, hi in window) / (max_side - 1))
    axes = [torch.arange(lo, hi + h / 2, h, dtype=torch.float64) for lo, hi in window]
    g1, g2 = torch.meshgrid(axes[0], axes[1], indexing="xy")                        # (n2, n1)
    z = torch.stack([g1.ravel(), g2.ravel()], 1)
    lj = log_joint(model, x[None], z.float())[0]
    log_px = torch.logsumexp(lj, 0) + 2 * math.log(h)
    log_q = vae.log_normal_diag(z, mu, 2 * sd.log())
    return {"z1": axes[0].numpy(), "z2": axes[1].numpy(), "h": h, "log_px": float(log_px),
            "log_post": (lj - log_px).reshape(g1.shape).numpy(), "log_q": log_q.reshape(g1.shape).numpy(),
            "mu": mu.numpy(), "sigma": sd.numpy()}


def _mass_window(model: vae.VAE, x: torch.Tensor, mu: torch.Tensor, sd: torch.Tensor, grid: Grid = Grid()) -> list:
    """The box holding the posterior's mass on a 0.1 grid (relative density above e^-25), joined
    with q's 4-sigma box, padded by 0.1."""
    a = torch.arange(-grid.extent, grid.extent + 1e-9, 0.1, dtype=torch.float64)
    g1, g2 = torch.meshgrid(a, a, indexing="xy")
    z = torch.stack([g1.ravel(), g2.ravel()], 1)
    lj = log_joint(model, x[None], z.float())[0]
    hot = z[lj > lj.max() - 25]
    lo = torch.minimum(hot.min(0).values, mu - 4 * sd) - 0.1
    hi = torch.maximum(hot.max(0).values, mu + 4 * sd) + 0.1
    return [(float(lo[i]), float(hi[i])) for i in range(2)]


def kl_on_grid(log_q, log_p, h: float) -> float:
    """KL(q || p) = \\int q log(q / p) dz by the rectangle rule from two log densities on one grid of
    spacing h (2-D); q is renormalised on the grid, so the sum is a KL between two distributions."""
    log_q = torch.as_tensor(log_q, dtype=torch.float64).ravel()
    log_p = torch.as_tensor(log_p, dtype=torch.float64).ravel()
    log_w = log_q - torch.logsumexp(log_q, 0)                      # q's grid masses, summing to 1
    return float((log_w.exp() * (log_w - 2 * math.log(h) - log_p)).sum())


@torch.no_grad()
def elbo_mc(model: vae.VAE, x: torch.Tensor, samples: int, gen: torch.Generator | None) -> dict[str, torch.Tensor]:
    """Per example (n,) float64: elbo with the reconstruction term averaged over `samples` draws
    z ~ q(z|x) (the KL to the prior analytic), and se, its Monte Carlo standard error: the
    training objective's estimate with its noise made small and stated."""
    mu, logvar = model.encode(x)
    mean, se = [], []
    for i in range(len(x)):
        z = vae.reparameterise(mu[i].expand(samples, -1), logvar[i].expand(samples, -1), gen)
        r = model.log_px_given_z(x[i], model.decode_logits(z)).double()
        mean.append(r.mean())
        se.append(r.std() / math.sqrt(samples))
    return {"elbo": torch.stack(mean) - vae.kl_diag_gaussians(mu, logvar).double(), "se": torch.stack(se)}


@torch.no_grad()
def iw_curve(model: vae.VAE, x: torch.Tensor, ks: list[int], gen: torch.Generator | None) -> dict[int, torch.Tensor]:
    """{K: (n,) IW_K} for each K in `ks` from one set of max(ks) draws per example, IW_K using the
    first K (Burda et al. 2016): nested, so the curve rises with K up to the draws' noise."""
    k_max = max(ks)
    mu, logvar = model.encode(x)
    res = {k: [] for k in ks}
    for i in range(len(x)):
        z = vae.reparameterise(mu[i].expand(k_max, -1), logvar[i].expand(k_max, -1), gen)     # (K, d)
        log_w = (model.log_px_given_z(x[i], model.decode_logits(z))
                 + vae.log_normal_diag(z, torch.zeros_like(z), torch.zeros_like(z))
                 - vae.log_normal_diag(z, mu[i], logvar[i])).double()
        for k in ks:
            res[k].append(torch.logsumexp(log_w[:k], 0) - math.log(k))
    return {k: torch.stack(v) for k, v in res.items()}
