"""The variational autoencoder (Kingma & Welling 2014; note 000 sec. 2, note 001).

Encoder q_phi(z|x) = N(mu(x), diag sigma(x)^2), prior p(z) = N(0, I), decoder p_theta(x|z):
Bernoulli on pixels in [0, 1] (the notes' BCE) or Gaussian with a learned per-dimension
variance (for the 2-D toy set). Per example, in nats:

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))       <= log p(x)            (note 000, Problem 4)
    IW_K(x) = E[log (1/K) sum_k p(x, z_k) / q(z_k|x)]    ELBO = IW_1 <= IW_K <= log p(x)
                                                         (Burda, Grosse & Salakhutdinov 2016)

The reconstruction term is estimated with one reparameterised sample z = mu + sigma * eps
(note 000: the trick that makes the gradient pathwise); the KL term is analytic.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from lab.config import ConfigError
from lab.nets import mlp

LIKELIHOODS = ("bernoulli", "gaussian")
LOG_2PI = math.log(2 * math.pi)


def kl_diag_gaussians(mu_q: torch.Tensor, logvar_q: torch.Tensor,
                      mu_p: torch.Tensor | None = None, logvar_p: torch.Tensor | None = None) -> torch.Tensor:
    """(..., d) -> (...) KL(N(mu_q, diag e^logvar_q) || N(mu_p, diag e^logvar_p)) in nats, summed
    over the last dimension; default p = N(0, I) (Kingma & Welling 2014, appendix B):
    sum_j 1/2 [logvar_p - logvar_q + (e^logvar_q + (mu_q - mu_p)^2) / e^logvar_p - 1].
    Computed in the inputs' dtype: pass float32 from a half-precision encoder."""
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if logvar_p is None:
        logvar_p = torch.zeros_like(logvar_q)
    t = logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1.0
    return 0.5 * t.sum(-1)


def log_normal_diag(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """(..., d) -> (...) log N(z; mu, diag e^logvar)."""
    return -0.5 * (LOG_2PI + logvar + (z - mu) ** 2 / logvar.exp()).sum(-1)


def reparameterise(mu: torch.Tensor, logvar: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2), eps ~ N(0, I) drawn from `gen` (None:
    the global stream; a generator must live on mu's device): z has mu's shape, dtype and device
    and is a differentiable function of (mu, logvar), the pathwise gradient of note 000.
    To draw K samples per row, pass mu and logvar expanded to (K, n, d)."""
    eps = torch.randn(mu.shape, generator=gen, dtype=mu.dtype, device=mu.device)
    return mu + (0.5 * logvar).exp() * eps


class VAE(nn.Module):
    """MLP encoder (n_in -> width x depth -> 2*latent) and decoder (latent -> ... -> n_in)."""

    def __init__(self, n_in: int, latent: int, width: int, depth: int = 2,
                 likelihood: str = "bernoulli", activation: str = "relu"):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ConfigError(f"likelihood={likelihood!r} is not one of: {', '.join(LIKELIHOODS)}")
        self.n_in, self.latent, self.likelihood = n_in, latent, likelihood
        self.encoder = mlp(n_in, 2 * latent, width, depth, activation)
        self.decoder = mlp(latent, n_in, width, depth, activation)
        # Gaussian decoder: one learned log-variance per data dimension (shared over z). It starts
        # small (sigma = 0.2 on data of unit spread): started at sigma = 1 the decoder can explain
        # the data as noise, and the posterior collapses onto the prior for thousands of steps.
        self.dec_logvar = (nn.Parameter(torch.full((n_in,), 2 * math.log(0.2)))
                           if likelihood == "gaussian" else None)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(n, n_in) -> mu, logvar, each (n, latent)."""
        h = self.encoder(x)
        mu, logvar = h.chunk(2, dim=-1)
        # Soft bounds on log sigma^2 stop exp() from overflowing in the first steps at high lr.
        return mu, 8.0 * torch.tanh(logvar / 8.0)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """(..., latent) -> (..., n_in): Bernoulli logits, or the Gaussian mean."""
        return self.decoder(z)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """E[x | z]: pixel probabilities (Bernoulli) or the mean (Gaussian)."""
        out = self.decode_logits(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def log_px_given_z(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """log p(x | z) summed over dimensions: (..., n_in) -> (...). For Bernoulli this is
        -BCE(x, sigmoid(out)), defined for any x in [0, 1] (the notes' grey-level BCE)."""
        if self.likelihood == "bernoulli":
            x = x.expand_as(out)
            return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1)
        return log_normal_diag(x, out, self.dec_logvar.expand_as(out))


def elbo_terms(model: VAE, x: torch.Tensor, gen: torch.Generator | None) -> dict[str, torch.Tensor]:
    """Per example (n,): recon = log p(x|z) at one z ~ q(z|x), kl = KL(q(z|x) || N(0, I)),
    elbo = recon - kl. Also mu, logvar (n, latent)."""
    mu, logvar = model.encode(x)
    z = reparameterise(mu, logvar, gen)
    recon = model.log_px_given_z(x, model.decode_logits(z))
    kl = kl_diag_gaussians(mu, logvar)
    return {"recon": recon, "kl": kl, "elbo": recon - kl, "mu": mu, "logvar": logvar}


def loss(model: VAE, x: torch.Tensor, gen: torch.Generator | None, beta: float = 1.0
         ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Minibatch loss -(recon - beta * KL), averaged over the batch; beta = 1 is the ELBO,
    beta > 1 the beta-VAE (Higgins et al. 2017), beta < 1 during a KL warm-up."""
    t = elbo_terms(model, x, gen)
    return -(t["recon"] - beta * t["kl"]).mean(), t


def warmup_beta(beta: float, step: int, warmup: int) -> float:
    """KL warm-up (Bowman et al. 2016; Sonderby et al. 2016): beta_t = beta * min(1, t / warmup),
    so the decoder learns to use z before the KL term pulls q(z|x) onto the prior."""
    return beta if warmup <= 0 else beta * min(1.0, step / warmup)


@torch.no_grad()
def iw_bound(model: VAE, x: torch.Tensor, k: int, gen: torch.Generator | None, chunk: int = 64) -> torch.Tensor:
    """(n,) importance-weighted bound log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x).
    Evaluated at most `chunk` examples at a time, fewer for a large K, so that the decoded
    K x chunk x n_in block stays under 4M numbers (16 MB; K = 5000 on digits was 1 GB)."""
    chunk = max(1, min(chunk, (1 << 22) // (k * x.shape[-1])))
    out = []
    for xs in x.split(chunk):
        mu, logvar = model.encode(xs)                                   # (c, d)
        z = reparameterise(mu.expand((k,) + mu.shape), logvar.expand((k,) + mu.shape), gen)   # (K, c, d)
        log_w = (model.log_px_given_z(xs, model.decode_logits(z))
                 + log_normal_diag(z, torch.zeros_like(z), torch.zeros_like(z))
                 - log_normal_diag(z, mu, logvar))                      # (K, c)
        out.append(torch.logsumexp(log_w, 0) - math.log(k))
    return torch.cat(out)


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, gen: torch.Generator | None, chunk: int = 1000) -> dict[str, float]:
    """Mean ELBO, reconstruction and KL in nats per example over `x` (one z per example)."""
    sums = {"elbo": 0.0, "recon": 0.0, "kl": 0.0}
    for xs in x.split(chunk):
        t = elbo_terms(model, xs, gen)
        for key in sums:
            sums[key] += float(t[key].sum())
    return {key: v / max(len(x), 1) for key, v in sums.items()}
