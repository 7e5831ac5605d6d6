"""The exact log-likelihood of a VAE with a 1-D or 2-D latent (lab.quadrature) against the closed
form of probabilistic PCA, the order ELBO <= IW_K <= log p(x) and the identity
log p(x) - ELBO = KL(q(z|x) || p(z|x)) on trained digits, the mixture of Bernoullis against a
brute-force sum, and the command line's log_px_test for both models."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from torch import distributions as D

from lab import quadrature as Q
from lab import variational as vae
from lab.bernoulli_mixture import BernoulliMixture
from lab.cli import main
from lab.config import ConfigError
from lab.experiments.vae import EXPERIMENT, LatentVAEConfig as Cfg, LatentVAERun, MixtureRun
from lab.experiments.vae.sweep import VAESweep


# ---- probabilistic PCA: x = W z + b + N(0, diag s2), z ~ N(0, I) -----------------------------------
def _ppca(latent: int, n_in: int = 5, seed: int = 0, noise: float | None = None):
    """A VAE whose decoder is linear with Gaussian noise: p(x) = N(b, W W^T + diag s2) exactly and
    p(z|x) = N(S W^T diag(1/s2) (x - b), S) with S = (I + W^T diag(1/s2) W)^-1 (Tipping & Bishop 1999)."""
    g = torch.Generator().manual_seed(seed)
    m = vae.VAE(n_in=n_in, latent=latent, width=8, depth=1, likelihood="gaussian")
    m.decoder = torch.nn.Linear(latent, n_in)
    w, b = torch.randn(n_in, latent, generator=g), 0.3 * torch.randn(n_in, generator=g)
    s2 = 0.2 + torch.rand(n_in, generator=g) if noise is None else torch.full((n_in,), noise)
    with torch.no_grad():
        m.decoder.weight.copy_(w)
        m.decoder.bias.copy_(b)
        m.dec_logvar.copy_(s2.log())
    cov = (w @ w.T + torch.diag(s2)).numpy()
    x = torch.as_tensor(multivariate_normal(b.numpy(), cov).rvs(6, random_state=seed), dtype=torch.float32)
    w64, b64, s64 = w.double(), b.double(), s2.double()
    cov_post = torch.linalg.inv(torch.eye(latent, dtype=torch.float64) + w64.T @ (w64 / s64[:, None]))
    mean_post = (x.double() - b64) @ (w64 / s64[:, None]) @ cov_post
    exact = multivariate_normal(b.numpy(), (w64 @ w64.T + torch.diag(s64)).numpy()).logpdf(x.numpy())
    return m.eval(), x, np.atleast_1d(exact), mean_post, cov_post


@pytest.mark.parametrize("latent", [1, 2])
def test_quadrature_is_the_closed_form_of_probabilistic_pca(latent):
    m, x, exact, _, _ = _ppca(latent)
    r = Q.log_marginal(m, x)
    err = np.abs(r["log_px"].numpy() - exact)
    assert err.max() < 1e-4                         # float32 decoder: ~1e-5 nats
    assert (r["error"].numpy() < 1e-3).all() and (r["error"].numpy() >= 0).all()
    assert np.abs(r["log_px_2h"].numpy() - exact).max() < 1e-3


@pytest.mark.parametrize("noise", [3e-3, 1e-4])
def test_quadrature_error_estimate_covers_the_truth_or_says_the_grid_is_too_coarse(noise):
    """Spacing h = 0.05 fixed. A posterior of sd ~ h/2: the sum is still close and the stated
    error (the distance to the sum at 2h) covers its true error. A posterior of sd ~ h/10 is not
    resolved at all: the stated error is then large (the estimate is only a warning there)."""
    m, x, exact, _, cov_post = _ppca(2, seed=1, noise=noise)
    sd = float(torch.linalg.eigvalsh(cov_post).min().sqrt())
    r = Q.log_marginal(m, x, Q.Grid(finest=0.05))
    assert (r["h"] == 0.05).all()
    if sd > 0.02:
        assert sd < 0.04
        assert (np.abs(r["log_px"].numpy() - exact) <= r["error"].numpy()).all()
        assert float(r["error"].max()) > 1e-3                    # ...and it is not vacuous
    else:
        assert sd < 0.006 and (r["error"].numpy() > 0.1).all()


def test_exact_posterior_on_the_grid_is_the_closed_form_and_its_kl():
    m, x, exact, mean_post, cov_post = _ppca(2)
    for i in range(3):
        p = Q.posterior(m, x[i], h=0.02)
        assert p["log_px"] == pytest.approx(exact[i], abs=1e-4)
        g1, g2 = np.meshgrid(p["z1"], p["z2"])
        ref = multivariate_normal(mean_post[i].numpy(), cov_post.numpy()).logpdf(np.stack([g1, g2], -1))
        hot = ref > ref.max() - 10
        assert np.abs(p["log_post"][hot] - ref[hot]).max() < 1e-3
        q = D.MultivariateNormal(torch.as_tensor(p["mu"]), torch.diag(torch.as_tensor(p["sigma"]) ** 2))
        kl = float(D.kl_divergence(q, D.MultivariateNormal(mean_post[i], cov_post)))
        assert Q.kl_on_grid(p["log_q"], p["log_post"], p["h"]) == pytest.approx(kl, rel=1e-3, abs=1e-4)


# ---- a trained digit VAE ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    run = LatentVAERun(Cfg(width=64, steps=400, batch=64, compare=False, log_every=400, n_eval=100, seed=0))
    run.advance(400)
    return run.model.eval(), run.test_eval[:40]


def test_elbo_below_iw_below_exact_log_likelihood_on_trained_digits(digits):
    m, x = digits
    r = Q.log_marginal(m, x)
    assert float(r["error"].max()) < 0.5
    elbo = Q.elbo_mc(m, x, 500, torch.Generator().manual_seed(0))["elbo"]
    iw = Q.iw_curve(m, x, [1, 10, 100, 1000], torch.Generator().manual_seed(1))
    means = [float(elbo.mean())] + [float(iw[k].mean()) for k in (10, 100, 1000)] + [float(r["log_px"].mean())]
    assert all(a < b for a, b in zip(means, means[1:])), means
    assert float(iw[1].mean()) == pytest.approx(float(elbo.mean()), abs=2.0)      # IW_1 is the ELBO
    assert -220 < means[-1] < -120


def test_the_gap_is_the_kl_to_the_exact_posterior(digits):
    """log p(x) - ELBO = KL(q(z|x) || p(z|x)) (note 002): three routes, the ELBO by sampling, log p(x)
    by quadrature, the KL on the posterior grid; they agree within 4 Monte Carlo standard errors."""
    m, x = digits
    r = Q.log_marginal(m, x[:4])
    e = Q.elbo_mc(m, x[:4], 10_000, torch.Generator().manual_seed(2))
    for i in range(4):
        p = Q.posterior(m, x[i])
        kl = Q.kl_on_grid(p["log_q"], p["log_post"], p["h"])
        gap = float(r["log_px"][i] - e["elbo"][i])
        assert kl > 0 and gap == pytest.approx(kl, abs=4 * float(e["se"][i]) + float(r["error"][i]) + 0.02)
        assert p["log_px"] == pytest.approx(float(r["log_px"][i]), abs=0.05)


# ---- the mixture of Bernoullis (note 000, Problem 3) --------------------------------------------------
def test_mixture_log_likelihood_is_the_brute_force_sum():
    g = torch.Generator().manual_seed(0)
    mix = BernoulliMixture(torch.rand(3, 4, generator=g) * 0.8 + 0.1)
    mix.log_pi = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64).log()
    xs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)) + [[0.3, 0.9, 0.0, 0.5]])
    pi, mu = mix.log_pi.exp().tolist(), mix.mu.tolist()
    for x, got in zip(xs.tolist(), mix.log_prob(xs).tolist()):
        brute = sum(pi[k] * math.prod(mu[k][j] ** x[j] * (1 - mu[k][j]) ** (1 - x[j]) for j in range(4))
                    for k in range(3))
        assert got == pytest.approx(math.log(brute), rel=1e-12)
    assert float(mix.log_prob(xs[:16]).exp().sum()) == pytest.approx(1.0, abs=1e-12)   # a distribution on {0,1}^4


def test_em_never_lowers_the_likelihood_and_recovers_a_known_mixture():
    g = torch.Generator().manual_seed(1)
    mu = torch.tensor([[0.9, 0.8, 0.1, 0.2, 0.9, 0.1], [0.1, 0.2, 0.9, 0.7, 0.2, 0.8]], dtype=torch.float64)
    k = (torch.rand(4000, generator=g) < 0.3).long()
    x = torch.bernoulli(mu[k], generator=g)
    mix = BernoulliMixture.start(x, 2, torch.Generator().manual_seed(0), smooth=0.0)
    lls = [mix.em_step(x) for _ in range(30)]
    assert all(b >= a - 1e-9 for a, b in zip(lls, lls[1:]))                   # EM's guarantee (smooth = 0)
    order = torch.argsort(mix.mu[:, 0], descending=True)
    assert torch.allclose(mix.mu[order], mu, atol=0.04)
    assert float(mix.log_pi[order].exp()[0]) == pytest.approx(0.7, abs=0.03)


def test_mixture_run_and_its_rules():
    run = EXPERIMENT.make_run(Cfg(model="bernoulli_mixture", components=5, steps=6, log_every=3, n_eval=200))
    assert isinstance(run, MixtureRun)
    run.advance(6)
    h, m = run.history, run.metrics()
    assert h["step"] == [0, 3, 6] and h["log_px_train"][0] < h["log_px_train"][-1]
    assert m["log_px_test"] == pytest.approx(h["log_px_test"][-1]) and -260 < m["log_px_test"] < -150
    snap = run.snapshot()
    assert snap["means"].shape == (5, 28, 28) and snap["weights"].sum() == pytest.approx(1.0)
    assert list(snap["weights"]) == sorted(snap["weights"], reverse=True)
    assert run.samples(4).shape == (4, 28, 28) and set(np.unique(run.samples(4))) <= {0.0, 1.0}
    with pytest.raises(ConfigError, match="two moons"):
        Cfg(model="bernoulli_mixture", data="toy2d")
    with pytest.raises(ConfigError, match="model cannot be swept"):
        VAESweep.of(Cfg(), {"model": ["vae", "bernoulli_mixture"]})
    with pytest.raises(ConfigError, match="mixture of Bernoullis alone"):
        VAESweep.of(Cfg(model="bernoulli_mixture"), {"beta": [1.0, 2.0]})


# ---- the command line ----------------------------------------------------------------------------
def test_cli_reports_log_px_test_beside_the_bounds_and_for_the_mixture(tmp_path, capsys):
    assert main(["run", "vae", "steps=150", "width=48", "n_eval=60", "K=32", "log_every=150", "compare=false",
                 "--out", str(tmp_path / "vae"), "--quiet"]) == 0, capsys.readouterr().err
    m = json.loads((tmp_path / "vae" / "metrics.json").read_text())["metrics"]
    assert m["elbo_test"] < m["iw_elbo_test"] < m["log_px_test"] + m["log_px_test_error"]
    assert 0 <= m["log_px_test_error"] <= m["log_px_test_error_max"] < 0.5
    assert -300 < m["log_px_test"] < -120
    assert (tmp_path / "vae" / "vae_class_interpolation.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["run", "vae", "model=bernoulli_mixture", "components=4", "steps=3", "n_eval=50",
                 "--out", str(tmp_path / "mix"), "--quiet"]) == 0, capsys.readouterr().err
    m = json.loads((tmp_path / "mix" / "metrics.json").read_text())["metrics"]
    ref = MixtureRun(Cfg(model="bernoulli_mixture", components=4, steps=3, n_eval=50))
    ref.advance(3)
    assert m["log_px_test"] == pytest.approx(ref.metrics()["log_px_test"], rel=1e-12) and m["components"] == 4
    assert (tmp_path / "mix" / "mixture_means.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(["run", "vae", "model=bernoulli_mixture", "data=toy2d", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pixels" in err[0]
