"""The evaluation experiment: the scores on sets with known answers, torchmetrics against
independent references (scipy's entropy and sqrtm, the image page's own Fréchet score, torch's
conv2d), FD monotone in noise, precision / recall on the 2-D toy and a hand example, the
distortions, memorisation, and the command line's contract."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch
import torch.nn.functional as F

from lab.cli import main
from lab.device import generator
from lab.experiments.evaluation import EvaluationConfig, EvaluationRun, sets, toy
from lab.experiments.evaluation.distortions import KINDS, distort, gaussian_blur, strengths
from lab.experiments.evaluation.features import classifier, extract
from lab.experiments.evaluation.metrics import (Frechet, frechet, frechet_closed_form, inception_score,
                                                precision_recall, random_gaussian, samples)


@pytest.fixture(scope="module")
def digits():
    """300 held-out digits, the 4,000 training ones, and the shipped classifier."""
    return sets.real("digits", 300), classifier("digits")


# ---- Inception Score ----------------------------------------------------------------------------
def test_is_of_uniform_class_probabilities_is_one_to_rounding():
    assert inception_score(torch.zeros(500, 10)) == pytest.approx(1.0, abs=1e-14)     # 1 - 4e-16 in float64


def test_is_of_one_repeated_image_is_one_and_of_confident_balanced_classes_is_c():
    row = torch.randn(1, 10, generator=generator(0))
    assert inception_score(row.expand(200, 10)) == pytest.approx(1.0, abs=1e-9)
    confident = 40.0 * F.one_hot(torch.arange(10).repeat(30), 10).double()      # p(y|x) one-hot, p(y) uniform
    assert inception_score(confident) == pytest.approx(10.0, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torchmetrics_is_equals_exp_mean_kl_by_scipy(seed):
    logits = 3 * torch.randn(400, 10, generator=generator(seed), dtype=torch.float64)
    p = logits.softmax(1).numpy()
    reference = math.exp(np.mean(scipy.stats.entropy(p, p.mean(0)[None].repeat(len(p), 0), axis=1)))
    assert inception_score(logits) == pytest.approx(reference, rel=1e-9)


def test_is_of_real_digits_of_one_class_and_of_half_the_classes(digits):
    r, net = digits
    logits = extract(net, r.test).logits
    assert 8.5 < inception_score(logits) < 10.0                        # measured 9.54 on n = 1000
    assert 1.0 <= inception_score(logits[r.test_labels == sets.ONE_CLASS]) < 1.25     # measured 1.09
    assert 4.5 < inception_score(logits[r.test_labels < 5]) < 5.7       # ~5 classes; measured 5.53
    copies = sets.made("class_copies", r, 0)          # one image per class: IS sees no difference
    assert inception_score(extract(net, copies).logits) > inception_score(logits)


# ---- Fréchet distance ---------------------------------------------------------------------------
def test_fd_of_identical_sets_is_zero(digits):
    r, net = digits
    f = extract(net, r.test).features
    assert frechet(f, f) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fd_from_samples_with_the_gaussians_moments_equals_the_closed_form_with_power_plus_half(seed):
    gen = generator(seed)
    (mu1, c1), (mu2, c2) = random_gaussian(8, gen), random_gaussian(8, gen)
    a, b = samples(mu1, c1, 300, gen, exact=True), samples(mu2, c2, 300, gen, exact=True)
    root = scipy.linalg.sqrtm(c1 @ c2).real
    closed = float(np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * root))
    assert frechet_closed_form(mu1, c1, mu2, c2) == pytest.approx(closed, rel=1e-12)
    assert frechet(a, b) == pytest.approx(closed, rel=1e-8, abs=1e-8)
    # note 004's power -1/2 is not a distance: it is not 0 between a Gaussian and itself
    assert abs(frechet_closed_form(mu1, c1, mu1, c1, power=-0.5)) > 1.0
    assert frechet_closed_form(mu1, c1, mu1, c1) == pytest.approx(0.0, abs=1e-8)


def test_fd_from_plain_samples_approaches_the_closed_form():
    errors = []
    for seed in range(3):
        gen = generator(seed)
        (mu1, c1), (mu2, c2) = random_gaussian(8, gen), random_gaussian(8, gen)
        closed = frechet_closed_form(mu1, c1, mu2, c2)
        errors.append([abs(frechet(samples(mu1, c1, n, gen), samples(mu2, c2, n, gen)) - closed) / closed
                       for n in (100, 20_000)])
    errors = np.array(errors)
    assert errors[:, 1].max() < 0.01 and errors[:, 1].mean() < errors[:, 0].mean()


def test_fd_equals_the_image_pages_frechet_score(digits):
    """The same torchmetrics metric on the same network: this page's number is the image page's."""
    from lab.images.fd import FrechetScore
    r, net = digits
    fake = gaussian_blur(r.test, 1.0)
    page = FrechetScore(net, r.train[:1000]).score(fake)
    mine = Frechet(extract(net, r.train[:1000]).features).to(extract(net, fake).features)
    assert mine == pytest.approx(page, rel=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fd_rises_with_noise_strength(digits, seed):
    r, net = digits
    fd = Frechet(extract(net, r.train).features)
    curve = [fd.to(extract(net, distort("noise", r.test, r.test_labels, s, seed)).features) for s in strengths(6)]
    assert all(b > a for a, b in zip(curve, curve[1:])), curve
    assert curve[-1] > 8 * curve[0]         # measured 32 -> 447 on n = 300 (7.6 -> 421 on n = 1000), seed 0


# ---- precision and recall -----------------------------------------------------------------------
def test_precision_recall_on_a_hand_example():
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])     # k = 1: every real ball has radius 1
    fake = torch.tensor([[0.5], [10.0]])                  # fake radii: 9.5 each, covering all the real
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert precision_recall(real, real, k=1) == (1.0, 1.0)
    assert all(math.isnan(v) for v in precision_recall(real, fake, k=2))     # 2 fake points: no 2nd neighbour


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_toy_collapsed_keeps_precision_blurry_keeps_recall(seed):
    m = toy.measure(toy.sets(seed), k=3)
    # measured over seeds 0-4: collapsed precision 0.79-0.99, recall 0.075-0.155; blurry 0.205-0.265, 0.975-1
    assert m["collapsed"]["precision"] >= 0.75 and m["collapsed"]["recall"] <= 0.2
    assert m["blurry"]["precision"] <= 0.35 and m["blurry"]["recall"] >= 0.95


# ---- distortions --------------------------------------------------------------------------------
def test_blur_equals_torch_conv2d_with_reflect_padding():
    x = torch.rand(4, 1, 28, 28, generator=generator(0))
    for std in (0.7, 2.5):
        r = math.ceil(3 * std)
        t = torch.arange(-r, r + 1, dtype=torch.float32)
        k = torch.exp(-0.5 * (t / std) ** 2)
        k = k / k.sum()
        ref = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
        ref = F.conv2d(F.pad(ref, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))
        assert torch.allclose(gaussian_blur(x, std), ref, atol=1e-6)


def test_strength_zero_changes_nothing_and_each_kind_does_what_it_says(digits):
    r, _ = digits
    x, y = r.test[:200], r.test_labels[:200]
    for kind in KINDS:
        assert torch.equal(distort(kind, x, y, 0.0, 0), x), kind
        assert not torch.equal(distort(kind, x, y, 1.0, 0), x), kind
        assert distort(kind, x, y, 0.5, 0).abs().max() <= 1.0
    changed = (distort("mix", x, y, 0.5, 0) != x).flatten(1).any(1)
    assert int(changed.sum()) == 100
    dropped = distort("drop_classes", x, y, 1.0, 0, pool=(r.train, r.train_labels))
    left = extract(classifier("digits"), dropped).logits.argmax(1)
    assert (left == left.mode().values).float().mean() > 0.9        # one class left (the classifier agrees)


# ---- the run, memorisation, the command line ----------------------------------------------------
def test_copies_are_caught_as_memorised_and_held_out_images_are_not():
    copies = EvaluationRun(EvaluationConfig(n=200, levels=2, samples="copies")).metrics()
    assert copies["memorisation_ratio_pixel"] < 0.3 and copies["copy_share_pixel"] > 0.9
    assert copies["precision_samples"] > 0.9
    honest = EvaluationRun(EvaluationConfig(n=200, levels=2, samples="test")).metrics()
    assert honest["memorisation_ratio_pixel"] == pytest.approx(1.0, abs=1e-12)
    assert honest["copy_share_pixel"] < 0.05


def test_cli_writes_the_named_metrics_and_one_curve_per_kind(tmp_path):
    assert main(["run", "evaluation", "n=100", "levels=3", "--out", str(tmp_path), "--quiet"]) == 0
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert {"data", "samples", "seed"} <= set(doc["config"])
    m = doc["metrics"]
    for key in ("is_real", "is_one_class", "fd_gaussian_error", "precision_collapsed", "recall_collapsed"):
        assert isinstance(m[key], float), key
    assert m["fd_gaussian_error"] < 1e-8 and m["is_uniform"] == pytest.approx(1.0, abs=1e-14)
    assert m["precision_collapsed"] > 0.8 and m["recall_collapsed"] < 0.3
    assert list(doc["history"]) == list(KINDS)
    for kind in KINDS:
        curve = doc["history"][kind]
        assert curve["strength"] == [0.0, 0.5, 1.0] and len(curve["fd"]) == len(curve["is"]) == 3
        assert curve["fd"][2] > curve["fd"][0]
    assert {p.name for p in tmp_path.glob("*.html")} == {"curves.html", "gaussians.html", "toy.html",
                                                           "memorisation.html"}


@pytest.mark.parametrize("args, needle", [
    (["bogus=1"], "unknown key 'bogus'"),
    (["samples=run"], "samples=run needs checkpoint=PATH"),
    (["n=5000"], "n=5000 is more than the 1000 held-out images of digits"),
])
def test_cli_bad_input_is_one_line_exit_2(args, needle, tmp_path, capsys):
    assert main(["run", "evaluation", *args, "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_cli_refuses_a_junk_checkpoint_in_one_line(tmp_path, capsys):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert main(["run", "evaluation", "samples=run", f"checkpoint={junk}", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a checkpoint file" in err[0]


def test_samples_from_an_image_run_file(tmp_path):
    from lab.experiments import image_gan
    image = image_gan.EXPERIMENT
    blob = image.make_run(image.config(**image.smoke)).state_bytes()
    path = tmp_path / "gan.pt"
    path.write_bytes(blob)
    run = EvaluationRun(EvaluationConfig(n=100, levels=2, samples="run", checkpoint=str(path)))
    m = run.metrics()
    assert run.images["samples"].shape == (100, 1, 28, 28)
    assert m["fd_samples"] > 10 * m["fd_real"]          # an untrained generator is far from the digits
    assert 1.0 <= m["is_samples"] <= 10.0
