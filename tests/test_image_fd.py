"""The Fréchet score on GenLab features: torchmetrics' implementation against a scipy sqrtm
reference on the same features, and the ranking real < noisy < noise on held-out digits."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from lab.images import fd
from lab.data.images import load


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


def test_inception_for_true_fid_matches_torchvision_layout_and_loads_safely(tmp_path):
    from lab.config import ConfigError
    from lab.images.inception import FIDInception, load_inception
    net = FIDInception()
    # torchvision's inception_v3 has 27,161,264 parameters; minus AuxLogits (3,326,696), plus the
    # FID graph's 1008-way fc (8 x 2049 more): the weights file's layout.
    assert sum(p.numel() for p in net.parameters()) == 27_161_264 - 3_326_696 + 8 * 2049
    path = tmp_path / "pt_inception.pth"
    torch.save(net.state_dict(), path)
    back = load_inception(path)
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert torch.equal(back(x), net.eval()(x)) and back(x).shape == (2, 2048)
    partial = {k: v for k, v in net.state_dict().items() if not k.startswith("Mixed_7c")}
    torch.save(partial, tmp_path / "partial.pth")
    with pytest.raises(ConfigError, match="not the FID Inception's weights"):
        load_inception(tmp_path / "partial.pth")
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(ConfigError, match="not a safe state_dict file"):
        load_inception(tmp_path / "junk.pth")


def test_run_reports_fid_when_given_inception_weights(tmp_path, monkeypatch, setup):
    """The wiring: with inception=<file>, metrics gain 'fid' from that network's features (a
    small stand-in network here; the real one is ~6 GFLOP per image)."""
    from lab.experiments.image_gan import ImageGANConfig
    from lab.images import inception
    from lab.experiments.image_gan.run import GANRun
    net, _, _ = setup
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"stand-in")
    monkeypatch.setattr(inception, "load_inception", lambda path: fd.Features(net))
    run = GANRun(ImageGANConfig(steps=2, width=8, batch=8, latent=8, fd_samples=100, fd_every=0,
                                device="cpu", inception=str(weights)))
    assert np.isnan(run.metrics()["fid"])            # measured once, when training ends
    run.advance(2)
    m = run.metrics()
    assert np.isfinite(m["fid"]) and m["fid"] > 0


def test_rgb_digits_use_the_shipped_grey_classifier():
    import hashlib
    asset = fd.ASSETS / "fd_digits.pt"
    before = hashlib.sha256(asset.read_bytes()).hexdigest()
    rgb = load("digits", size=32, channels="rgb", split="test")
    net = fd.feature_net(load("digits", size=32, channels="rgb"))
    assert net.channels == 1                     # no retraining: prepare() averages RGB to grey
    assert 0.93 <= fd.accuracy(net, rgb) <= 1.0
    assert hashlib.sha256(asset.read_bytes()).hexdigest() == before
