"""The numbers the lesson steps of the VAE, robust-mean, image, evaluation and sweep pages state
(their `## Lesson` sections), each measured at the configuration the step's own link opens.

A claim another test already measures is not measured twice: the step is checked to open that
test's configuration, and the test is named. The sweep page's steps pick ready-made sweeps whose
numbers tests/test_sweep_lessons*.py measure at the preset's own settings."""
from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.distributions as D

import ui
from lab.config import from_strings
from lab.experiments.evaluation import EvaluationConfig, EvaluationRun
from lab.experiments.image_vae import ImageVAEConfig
from lab.experiments.robust_mean.config import RobustMeanConfig
from lab.experiments.vae import LatentVAEConfig, LatentVAERun
from lab.sweep import kinds
from ui.lesson import steps


def _steps(stem: str) -> dict[int, dict[str, str]]:
    return {s.number: s.params for s in steps(ui.page_text(f"app_pages/{stem}.py"))}


def _config(cls, stem: str, number: int):
    """The config the step's link opens (the page's other keys, e.g. family=, left out)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return from_strings(cls, {k: v for k, v in _steps(stem)[number].items() if k in names})


# ---- VAE: measured here at the steps' own configs (the page's width 256), at step 300 -------------
def _vae_at_300(number: int) -> tuple[dict, dict]:
    run = LatentVAERun(_config(LatentVAEConfig, "vae", number))
    start = run.metrics()
    run.advance(300)
    return start, run.metrics()


def test_vae_beta_squeezes_or_frees_the_kl_and_the_reconstructions_pay_or_gain():
    start, one = _vae_at_300(1)
    assert -547 < start["elbo_test"] < -543                                      # "about -545 nats"
    _, five = _vae_at_300(2)
    _, tenth = _vae_at_300(3)
    assert 4.1 < one["kl_test"] < 4.7                                            # "4.4 at beta = 1"
    assert 1.3 < five["kl_test"] < 1.7                                           # "1.5 nats at step 300"
    assert 16 < one["recon_test"] - five["recon_test"] < 20                      # "pay 18 nats"
    assert 9.3 < tenth["kl_test"] < 10.3 and tenth["kl_test"] > 2 * one["kl_test"]   # "9.8, more than doubles"
    assert 2 < tenth["recon_test"] - one["recon_test"] < 4                       # "gain 3 nats"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vae_two_moons_one_latent_beats_the_best_gaussian(seed):
    cfg = dataclasses.replace(_config(LatentVAEConfig, "vae", 4), seed=seed)
    run = LatentVAERun(cfg)
    run.advance(cfg.steps)
    xt = run.xt
    gauss = D.MultivariateNormal(xt.mean(0), torch.cov(xt.T)).log_prob(xt).mean().item()
    elbo = run.metrics()["elbo_test"]
    assert -2.4 < elbo < -2.25 and -2.76 < gauss < -2.65                          # "-2.3 ... -2.7"
    assert 0.3 < elbo - gauss < 0.5                                              # "by about 0.4"


def test_vae_exact_step_is_a_short_run_at_the_page_s_model():
    # Its claim (ELBO < IW_K < log p(x)) is measured by test_vae_exact.py::test_elbo_below_iw_below_exact_...
    # and test_vae_page.py::test_exact_tab_orders_the_bounds_...; it states no number.
    assert _config(LatentVAEConfig, "vae", 5) == LatentVAEConfig(steps=600)


# ---- robust mean: the claims of tests/test_robust.py, at the configs the steps open ----------------
def test_robust_mean_steps_open_the_configs_its_claims_are_measured_at():
    c = {n: _config(RobustMeanConfig, "robust_mean", n) for n in range(1, 6)}
    default = RobustMeanConfig()
    assert c[1] == default                          # test_claim_js_gan_walks_from_the_median_to_theta_...
    assert c[2].names() == ["mean", "cw_median", "js_linear"]
    assert c[2].gan("js_linear") == dataclasses.replace(default.gan("js_linear"), epochs=600)   # ..._more_epochs
    assert (c[2].n, c[2].p, c[2].eps, c[2].seed) == (default.n, default.p, default.eps, default.seed)
    assert c[3] == RobustMeanConfig(p=10)           # test_claim_tukey_beats_the_coordinatewise_median_...
    assert c[4] == RobustMeanConfig(contamination="cauchy")                     # test_claim_cauchy_and_cluster_...
    assert c[5] == RobustMeanConfig(contamination="cluster", cluster_sd=0.1)    # (the same test)


# ---- image training: the arithmetic claim of tests/test_image_arithmetic.py ------------------------
def test_image_steps_stay_small_and_the_arithmetic_step_is_the_tested_vae():
    for number, params in _steps("image_training").items():
        assert int(params["width"]) <= 16 and int(params["batch"]) <= 32, number     # a 2-core CPU in class
    assert _steps("image_training")[6]["family"] == "VAE"
    # test_a_trained_vaes_decoded_class_means_are_read_as_their_classes (seeds 0-2, >= 9 of 10)
    assert _config(ImageVAEConfig, "image_training", 6) == ImageVAEConfig(steps=300, fd_samples=0, batch=32, width=16)


# ---- sweep: each step picks a preset whose numbers a lesson test measures --------------------------
SWEEP_TESTS = {   # step -> (experiment, preset): the test measuring what the step says
    1: ("discriminator", "vanishing"),      # test_sweep_lessons_critics.py::test_far_apart_only_critics_give_a_signal
    2: ("discriminator", "constraints"),    # test_sweep_lessons_critics.py::test_three_lipschitz_critics
    3: ("disjoint", "noise"),               # test_sweep_lessons_disjoint.py::test_instance_noise
    4: ("mode_collapse", "pac"),            # test_sweep_lessons.py::test_pacgan2_covers_the_ring_where_...
    5: ("vae", "beta_latent"),              # test_sweep_lessons_critics.py::test_vae_beta_against_latent_size
}


def test_sweep_steps_pick_the_presets_whose_numbers_are_tested():
    got = {n: (p.get("experiment", next(iter(kinds.KINDS))), p["preset"]) for n, p in _steps("sweep").items()}
    assert got == SWEEP_TESTS
    for experiment, preset in got.values():
        assert preset in kinds.get(experiment).presets


# ---- evaluation: measured here (n = 1,000 held-out digits, seed 0, as the page opens) --------------
@pytest.fixture(scope="module")
def held_out():
    """Step 1's run (the page's defaults) with its first two curve points: noise at 0 and 0.2."""
    run = EvaluationRun(_config(EvaluationConfig, "evaluation", 1))
    run.advance(2)
    return run


def test_evaluation_noise_multiplies_fd_while_is_barely_moves(held_out):
    h = held_out.history
    assert h["kind"][:2] == ["noise", "noise"] and h["strength"][:2] == pytest.approx([0.0, 0.2])
    (fd0, fd2), (is0, is2) = h["fd"][:2], h["is"][:2]
    assert 7.4 < fd0 < 7.8 and 28 < fd2 < 30 and 3.6 < fd2 / fd0 < 4.0          # "3.8 (7.6 to 29)"
    assert 9.52 < is0 < 9.56 and 9.44 < is2 < 9.48                              # "9.54 to 9.46"
    assert 0.005 < 1 - is2 / is0 < 0.015                                         # "falls by 1%"


def test_evaluation_is_rewards_one_image_per_class(held_out):
    m = held_out.metrics()
    assert 9.95 < m["is_class_copies"] < 9.99 and 9.52 < m["is_real"] < 9.56     # "IS 9.97, above 9.54"
    assert 200 < m["fd_class_copies"] < 208                                     # "FD 204"
    c = _config(EvaluationConfig, "evaluation", 2)
    assert c == EvaluationConfig(samples="class_copies")


def test_evaluation_a_memoriser_wins_fd_precision_and_recall():
    m = EvaluationRun(_config(EvaluationConfig, "evaluation", 3)).metrics()
    assert 5.2 < m["fd_samples"] < 5.6 and 7.4 < m["fd_real"] < 7.8              # "FD 5.4 beats 7.6"
    assert m["precision_samples"] >= 0.995 and m["recall_samples"] >= 0.995    # "1.00"
    assert m["memorisation_ratio_pixel"] < 0.3                                 # section 5 catches them


def test_evaluation_k_sets_how_much_precision_and_recall_flatter(held_out):
    def pr(knn: int) -> tuple[float, float]:
        held_out.retune(dataclasses.replace(held_out.cfg, knn=knn))
        m = held_out.metrics()
        return m["precision_real"], m["recall_real"]
    assert _config(EvaluationConfig, "evaluation", 4).knn == 1
    p3, r3 = pr(3)
    p1, r1 = pr(1)
    p10, r10 = pr(10)
    pr(3)                                           # as the fixture was
    assert 0.895 <= p3 < 0.905 and 0.915 <= r3 < 0.925                         # "0.90 / 0.92 (k = 3)"
    assert 0.615 <= p1 < 0.625 and 0.625 <= r1 < 0.635                         # "0.62 / 0.63"
    assert 0.985 <= p10 <= 1.0 and 0.985 <= r10 <= 1.0                         # "0.99 / 0.99"


def test_evaluation_fd_is_biased_upwards_for_few_images():
    m = EvaluationRun(_config(EvaluationConfig, "evaluation", 5)).metrics()
    assert 60 < m["fd_real"] < 68                                                # "7.6 to 64"
