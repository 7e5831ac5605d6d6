"""Score matching (note 003): on a Gaussian family Hyvarinen's objective has the maximum
likelihood estimate as its minimiser; the sliced and exact objectives agree in expectation; each
method trains a network whose Fisher divergence falls, and denoising fits the blurred score."""
from __future__ import annotations

import math

import pytest
import torch

from lab.config import ConfigError
from lab.experiments.score_matching import ScoreConfig, make_run, objectives


def test_on_a_gaussian_family_score_matching_is_the_maximum_likelihood_estimate():
    # s(x) = -(x - mu) a with a = 1 / s^2: E[|s|^2 / 2 + tr grad s] = a^2 m2 / 2 - a (per axis),
    # minimised at mu = the sample mean, 1 / a = the (biased) sample variance: the MLE.
    gen = torch.Generator().manual_seed(3)
    x = 1.5 + 0.7 * torch.randn(400, 1, generator=gen, dtype=torch.float64)
    mu = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    log_a = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([mu, log_a], max_iter=200, tolerance_grad=1e-12, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = objectives.hyvarinen(lambda z: -(z - mu) * log_a.exp(), x)
        loss.backward()
        return loss
    opt.step(closure)
    assert float(mu.detach()) == pytest.approx(float(x.mean()), abs=1e-6)
    assert float(1 / log_a.detach().exp()) == pytest.approx(float(x.var(unbiased=False)), rel=1e-6)


def test_sliced_is_the_exact_objective_in_expectation():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.SiLU(), torch.nn.Linear(16, 2)).double()
    x = torch.randn(64, 2, dtype=torch.float64)
    exact = float(objectives.hyvarinen(net, x).detach())
    gen = torch.Generator().manual_seed(1)
    draws = torch.tensor([float(objectives.sliced(net, x, gen).detach()) for _ in range(400)])
    assert float(draws.mean()) == pytest.approx(exact, abs=4 * float(draws.std()) / 20)


@pytest.mark.parametrize("method", ["exact", "denoising", "sliced"])
def test_each_method_brings_the_fisher_divergence_down(method):
    run = make_run(ScoreConfig(target="bumps", method=method, steps=400, seed=0))
    run.advance(run.total)
    m = run.metrics()
    assert m["fisher_init"] > 2.0
    assert m["fisher"] < 0.1 * m["fisher_init"]


def test_denoising_fits_the_blurred_score_not_p_s():
    # For p = N(1, 0.5^2) the denoising optimum is the score of N(1, 0.5^2 + sigma^2); with
    # sigma = 0.5 the Fisher divergence to p's own score is then E_p (x-1)^2 (4 - 2)^2 = 1.
    run = make_run(ScoreConfig(target="gauss", method="denoising", sigma=0.5, steps=800, batch=512, seed=0))
    run.advance(run.total)
    assert run.metrics()["fisher"] == pytest.approx(1.0, abs=0.15)


def test_a_bad_target_or_method_is_one_clear_error():
    with pytest.raises(ConfigError, match="target"):
        ScoreConfig(target="0.5*N(0,-1)")
    with pytest.raises(ConfigError, match="method"):
        ScoreConfig(method="kl")
