"""The Fréchet score on GenLab features: torchmetrics' implementation against a scipy sqrtm
reference on the same features, and the ranking real < noisy < noise on held-out digits."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from lab.images import fd
from lab.images.data import load


@pytest.fixture(scope="module")
def setup():
    train, test = load("digits", size=28), load("digits", size=28, split="test")
    net = fd.feature_net(train)
    real = test.images.float() / 127.5 - 1
    return net, real, test


def test_shipped_classifier_is_accurate(setup):
    net, _, test = setup
    acc = fd.accuracy(net, test)
    assert 0.93 <= acc <= 1.0


def _scipy_fd(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(sa @ sb).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa + sb - 2 * covmean))


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # dead ReLU features: singular S
def test_matches_scipy_reference(setup):
    net, real, _ = setup
    noisy = (real[500:] + 0.3 * torch.randn(real[500:].shape, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    score = fd.FrechetScore(net, real[:500]).score(noisy)
    with torch.no_grad():
        fa = net.features(real[:500]).double().numpy()
        fb = net.features(noisy).double().numpy()
    assert score == pytest.approx(_scipy_fd(fa, fb), rel=2e-3)


def test_ranks_real_below_noisy_below_noise(setup):
    net, real, test = setup
    g = torch.Generator().manual_seed(0)
    scorer = fd.FrechetScore(net, real[:500])
    b = real[500:]
    same = scorer.score(b)
    noisy = scorer.score((b + 0.3 * torch.randn(b.shape, generator=g)).clamp(-1, 1))
    noise = scorer.score(torch.rand(b.shape, generator=g) * 2 - 1)
    assert 0 < same < noisy < noise
    assert noise > 10 * same
    ones = scorer.score(b[test.labels[500:] == 1])      # mode collapse onto one class
    assert ones > 10 * same


def test_resized_and_colour_inputs_are_accepted(setup):
    net, real, _ = setup
    big = torch.nn.functional.interpolate(real[:300], size=(64, 64), mode="bilinear")
    rgb = big.expand(-1, 3, -1, -1)
    scorer = fd.FrechetScore(net, real[:300])
    assert scorer.score(rgb) == pytest.approx(scorer.score(big), rel=1e-5)
    assert scorer.score(big) < 0.2 * scorer.score(torch.rand(300, 1, 64, 64) * 2 - 1)
