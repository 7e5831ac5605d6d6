"""Each number a Wasserstein-vs-JS lesson states (lab.experiments.disjoint.sweep.PRESETS), measured
at the lesson's own settings: 4 seeds, 300 steps, theta0 = 2 on lines unless it says otherwise."""
from __future__ import annotations

import pytest

from lessons import at, cells

pytestmark = pytest.mark.filterwarnings("ignore")


def test_theta_learning_rate_per_recipe():
    c = cells("disjoint", "lr_g")
    assert 1.8 < at(c, lr_g=0.1, recipe="gan")["abs_theta_mean"] < 1.87           # "1.84 at lr 0.1"
    assert all(at(c, lr_g=lr, recipe="gan")["abs_theta_max"] > 2.5 for lr in (1.0, 10.0))   # thrown off
    assert at(c, lr_g=0.1, recipe="wgan_gp")["abs_theta_max"] < 0.005              # "~0.1 (|theta| 0.002)"
    assert 0.05 < at(c, lr_g=10.0, recipe="wgan")["abs_theta_mean"] < 0.25         # "~10 (0.14)"


def test_instance_noise():
    c = cells("disjoint", "noise")
    assert at(c, instance_noise=0.0, recipe="gan")["abs_theta_min"] > 1.9          # "from 1.92"
    for s in (0.3, 0.6, 0.9, 1.2):
        assert at(c, instance_noise=s, recipe="gan")["abs_theta_max"] < 0.03       # "to |theta| < 0.03"
    assert 0.07 < at(c, instance_noise=1.5, recipe="gan")["abs_theta_mean"] < 0.12  # "slower (0.09)"
    assert at(c, instance_noise=0.0, recipe="wgan_gp")["abs_theta_mean"] < 0.02     # "needs none (0.01)"
    for s in (0.3, 0.6, 0.9, 1.2, 1.5):
        assert 0.04 < at(c, instance_noise=s, recipe="wgan_gp")["abs_theta_mean"] < 0.16   # "0.05-0.15 with"


def test_annealed_noise():
    c = cells("disjoint", "anneal")
    assert at(c, instance_noise=1.0, noise_anneal=100)["abs_theta_mean"] < 0.03     # "still lands (0.02)"
    assert 1.6 < at(c, instance_noise=0.5, noise_anneal=100)["abs_theta_mean"] < 1.8  # "stalls at 1.69"
    for s in (0.5, 1.0):
        assert at(c, instance_noise=s, noise_anneal=300)["abs_theta_max"] < 0.02   # "over 300 both land"


def test_thick_gaussians_to_lines():
    c = cells("disjoint", "sigma")
    assert at(c, sigma=1.0, recipe="gan")["abs_theta_mean"] < 0.02                 # "learns at s = 1"
    for s in (0.001, 0.01, 0.1):
        assert at(c, sigma=s, recipe="gan")["abs_theta_min"] > 1.9                 # "stalls at 1.92"
    for r in ("ns", "wgan_gp"):
        assert all(at(c, sigma=s, recipe=r)["abs_theta_max"] < 0.1 for s in (0.001, 0.01, 0.1, 1.0))


def test_distance_and_d_steps():
    c = cells("disjoint", "distance")
    assert at(c, theta0=0.25, d_steps=5)["abs_theta_max"] < 0.03                    # "lands from 0.25"
    assert at(c, theta0=0.5, d_steps=5)["theta_min"] < -1.2                         # "thrown past 0 from 0.5"
    assert 0.35 < at(c, theta0=1.0, d_steps=5)["moved_mean"] < 0.43                 # "moves 39% from 1"
    assert 0.03 < at(c, theta0=2.0, d_steps=5)["moved_mean"] < 0.05                 # "4% from 2"
    assert 0.23 < at(c, theta0=2.0, d_steps=1)["moved_mean"] < 0.29                 # "with 1 D step 26%"


def test_the_critics_learning_rate():
    c = cells("disjoint", "lr_d")
    assert at(c, lr_d=1e-4, recipe="wgan_gp")["theta_max"] < -1.5                   # "overshoots to -2.2"
    for lr in (1e-3, 3e-3):
        assert at(c, lr_d=lr, recipe="wgan_gp")["abs_theta_max"] < 0.03            # "from 1e-3 it lands"
    assert all(at(c, lr_d=lr, recipe="wgan_sn")["abs_theta_max"] < 0.02 for lr in (1e-4, 3e-4, 1e-3, 3e-3))


def test_wgan_gp_lambda():
    c = cells("disjoint", "gp_lambda")
    for lam in (0.1, 1.0, 10.0):
        assert at(c, gp_lambda=lam, lr_d=1e-3)["abs_theta_mean"] < 0.015          # "0.001-0.01"
    assert at(c, gp_lambda=0.0, lr_d=1e-3)["abs_theta_mean"] > 0.5                  # "0 ... (0.68)"
    assert at(c, gp_lambda=100.0, lr_d=1e-3)["abs_theta_mean"] > 0.3                # "100 (0.38)"
    assert all(at(c, gp_lambda=lam, lr_d=1e-4)["abs_theta_mean"] > 0.2 for lam in (0.0, 0.1, 1.0, 10.0, 100.0))


def test_wgan_clipping_bound():
    c = cells("disjoint", "clip")
    for cl in (0.01, 0.0316, 0.1):
        assert at(c, clip=cl, lr_g=20.0)["abs_theta_mean"] < 0.03                  # "lands for c >= 0.01"
    for cl in (0.001, 0.00316):
        assert at(c, clip=cl, lr_g=20.0)["abs_theta_mean"] > 1.5                   # "stalls for c <= 0.003"
    assert 0.005 < at(c, clip=0.01, lr_g=0.05)["moved_mean"] < 0.02                 # "moves 1% at c = 0.01"
    assert at(c, clip=0.1, lr_g=0.05)["theta_mean"] < -0.7                          # "overshoots to -1"
