"""From Langevin to diffusion (note 003; Song & Ermon 2019; Ho et al. 2020), closed forms first,
the samplers apart from the learning: the exact noised score of a mixture against autograd of the
convolved density; annealed Langevin with the exact noise-conditional score gets the modes' weights
right where single-level Langevin with the exact score keeps the wrong ones; DDPM's forward
marginal against its chain; the reverse chain with the exact noise predictor; then the learned
networks against the single-level baseline over seeds."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from lab.config import ConfigError
from lab.data import densities
from lab.experiments.diffusion import DiffusionConfig, make_run, samplers, schedules
from lab.experiments.diffusion.config import TOY
from lab.experiments.diffusion.run import nearest

UNEVEN = "0.2*N(-4,0.5)+0.8*N(4,0.5)"


def _kl_and_mode_error(target, x: np.ndarray, bins: int = 40) -> tuple[float, float]:
    b = target.bins(bins)
    kl = densities.kl_hist(densities.histogram(x, b["edges"]), b["prob"])
    means = np.asarray(target.mixture.means)
    share = np.bincount(nearest(x, means), minlength=len(means)) / len(x)
    return kl, 0.5 * float(np.abs(share - np.asarray(target.mixture.weights)).sum())


@pytest.mark.parametrize("spec,sigma", [(UNEVEN, 0.7), ("ring", 0.3)])
def test_the_noised_score_of_a_mixture_is_autograd_of_the_convolved_density(spec, sigma):
    """p * N(0, sigma^2 I) as a sum over the fine grid (y_j with weights p(y_j) * area): its log's
    gradient by autograd equals the widened mixture's closed-form score."""
    t = densities.resolve(spec)
    g = t.grid
    keep = np.arange(len(g["p"])) if t.dim == 1 else \
        (np.arange(0, 161, 2)[:, None] * 161 + np.arange(0, 161, 2)[None, :]).ravel()        # every other point per axis
    y = torch.from_numpy(g["points"][keep])
    logw = torch.log(torch.from_numpy(g["p"][keep]).clamp_min(1e-300))
    x = t.sample(100, torch.Generator().manual_seed(0)).double() * 1.2
    x.requires_grad_(True)
    sq = ((x[:, None, :] - y[None]) ** 2).sum(-1)
    log_conv = torch.logsumexp(logw - 0.5 * sq / sigma ** 2, 1)          # log p_sigma + const
    auto, = torch.autograd.grad(log_conv.sum(), x)
    exact = schedules.noised_score(t, x.detach(), sigma)
    assert torch.allclose(exact, auto, atol=2e-3 * float(auto.abs().max()))
    assert not torch.allclose(exact, t.score(x.detach()), atol=0.1)        # and it is not p's own score


@pytest.mark.parametrize("seed", [0, 1])
def test_annealing_fixes_the_mode_weights_single_level_langevin_does_not(seed):
    """Song & Ermon 2019's toy (weights 1/5, 4/5) with EXACT scores, from the same uniform start
    over the box, the same 500 steps: annealed Langevin over 10 levels reaches the floor of exact
    samples and the right weights (measured KL 0.098-0.103 against 0.08-0.09 for exact samples, mode-weight error 0.011-0.026, seeds 0-3); single-level Langevin at
    sigma_L keeps the basins' half-and-half split (error 0.28-0.30 of 0.3), even with a 10 times larger step."""
    cfg = DiffusionConfig()
    t = densities.resolve(TOY)
    sig = schedules.sigmas(cfg.sigma_max, cfg.sigma_min, cfg.levels)
    steps = schedules.langevin_steps(sig, cfg.eps)
    noised = [schedules.noised(t, s) for s in sig]
    gen = torch.Generator().manual_seed(seed)
    lo, hi = (torch.from_numpy(v) for v in t.box)
    x0 = lo + (hi - lo) * torch.rand(2000, 2, generator=gen, dtype=torch.float64)
    annealed = samplers.annealed_langevin(lambda x, i: noised[i].score(x), x0, steps, cfg.per_level, gen)
    kl, err = _kl_and_mode_error(t, annealed.numpy())
    floor, _ = _kl_and_mode_error(t, t.sample(2000, gen).double().numpy())
    assert kl < floor + 0.04 and err < 0.05
    for eta in (steps[-1], 10 * steps[-1]):
        single = samplers.annealed_langevin(lambda x, i: noised[-1].score(x), x0, np.array([eta]),
                                            cfg.per_level * cfg.levels, gen)
        _, err_single = _kl_and_mode_error(t, single.numpy())
        assert 0.25 < err_single < 0.35                    # the start's 1/2 : 1/2 instead of 1/5 : 4/5


def test_ddpm_forward_marginal_is_the_closed_form():
    """x_t from the chain x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z against
    N(sqrt(abar_t) x_0, 1 - abar_t): KS keeps it, and rejects the marginal with abar_t in place of
    sqrt(abar_t) (a wrong schedule would fail)."""
    T, x0 = 200, 3.0
    beta, abar = schedules.betas(T), schedules.alpha_bars(T)
    gen = torch.Generator().manual_seed(0)
    x = torch.full((20000,), x0, dtype=torch.float64)
    for t in range(60):
        x = math.sqrt(1 - beta[t]) * x + math.sqrt(beta[t]) * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    a = abar[59]
    assert 0.2 < a < 0.9                                                     # a middle noise level
    assert stats.kstest(x.numpy(), stats.norm(math.sqrt(a) * x0, math.sqrt(1 - a)).cdf).pvalue > 0.01
    assert stats.kstest(x.numpy(), stats.norm(a * x0, math.sqrt(1 - a)).cdf).pvalue < 1e-6
    # Ho et al.'s T = 1000: log abar_T = sum log(1 - beta) = -sum beta - sum beta^2 / 2 - ... = -10.117,
    # so x_T is N(0, I) up to sqrt(abar_T) x_0 = 0.006 x_0; the scaled T = 200 spans nearly the same.
    b = schedules.betas(1000)
    assert schedules.alpha_bars(1000)[-1] == pytest.approx(math.exp(-b.sum() - (b ** 2).sum() / 2), rel=1e-3)
    assert math.sqrt(schedules.alpha_bars(1000)[-1]) == pytest.approx(0.00636, rel=0.01)
    assert schedules.alpha_bars(200)[-1] == pytest.approx(schedules.alpha_bars(1000)[-1], rel=0.3)


@pytest.mark.parametrize("spec", [UNEVEN, TOY])
def test_reverse_ddpm_with_the_exact_noise_predictor_reaches_p(spec):
    """eps(x_t, t) = -sqrt(1 - abar_t) grad log q_t exactly (q_t the scaled, widened mixture):
    the reverse chain's samples are as close to p as exact samples, the weights right."""
    t = densities.resolve(spec)
    gen = torch.Generator().manual_seed(0)
    x = samplers.ddpm(samplers.exact_noise(t, 500), 2000, t.dim, 500, gen, torch.float64)
    kl, err = _kl_and_mode_error(t, x.numpy())
    floor, _ = _kl_and_mode_error(t, t.sample(2000, gen).double().numpy())
    assert kl < floor + 0.04 and err < 0.03


@pytest.mark.parametrize("seed", [0, 1])
def test_learned_annealed_langevin_and_ddpm_beat_single_level_langevin(seed):
    """The default config but 400 training steps and one read-out of 1,000 samples: the
    noise-conditional network and the DDPM put the mass near the right modes, the single-level one
    keeps the start's split and leaves samples stranded in the empty box (measured, seeds 0 / 1 / 2:
    kl 0.30 / 0.34 / 0.30, kl_ddpm 0.68 / 0.48 / 1.01, kl_langevin 9.0 / 8.8 / 8.4; mode-weight error
    0.087 / 0.059 / 0.065, 0.003 / 0.015 / 0.018 and 0.31 / 0.33 / 0.30 of 0.3)."""
    run = make_run(DiffusionConfig(steps=400, readouts=1, samples=1000, seed=seed))
    run.advance(run.total)
    m = run.metrics()
    assert m["sampled_at"] == 400
    assert m["kl"] < 0.6 and m["kl_ddpm"] < 1.5 and 5.0 < m["kl_langevin"] < 15.0
    assert m["mode_error"] < 0.15 and m["mode_error_ddpm"] < 0.1 and 0.25 < m["mode_error_langevin"] < 0.4


def test_bad_configs_are_one_clear_error():
    with pytest.raises(ConfigError, match="sigma_max"):
        DiffusionConfig(sigma_max=0.05, sigma_min=0.1)
    with pytest.raises(ConfigError, match="target"):
        DiffusionConfig(target="0.5*N(0,-1)")
    DiffusionConfig(levels=1, sigma_max=0.05, sigma_min=0.1)      # one level: sigma_max unused
    with pytest.raises(ConfigError, match="read-out"):               # a read-out that would hold the run for minutes
        DiffusionConfig(samples=50_000, per_level=1000)


def test_banana_runs_without_the_noised_figure():
    from lab.experiments.diffusion import figures
    run = make_run(DiffusionConfig(target="banana", steps=2, samples=50, per_level=2, levels=2, ddpm_steps=4,
                                   width=8, depth=1))
    run.advance(2)
    snap = run.snapshot()
    assert snap["noised"] is None and math.isnan(run.metrics()["mode_error"])
    assert len(figures.noised(snap).data) == 0 and len(figures.samples(snap).data) == 3
