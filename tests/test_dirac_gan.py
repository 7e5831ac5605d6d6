"""The Dirac-GAN (Mescheder, Geiger, Nowozin 2018): the Jacobians autograd takes of the very
update that trains, against the paper's closed forms; the page's claims on stated settings (lr
0.2, start (1, 1), 300 steps unless a test says otherwise); a diverging run stops; the page's
variants from a link; the command line."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from lab import cli
from lab.config import ConfigError
from lab.experiments.dirac_gan import DiracConfig, closed_forms as cf
from lab.experiments.dirac_gan.config import VARIANTS, variant_config, variants_from_link
from lab.experiments.dirac_gan.dynamics import DTYPE, Game, noise_nodes
from lab.experiments.dirac_gan.run import RADIUS_LIMIT, DiracRun

BASE = DiracConfig()


def _run(steps: int = 300, **keys) -> DiracRun:
    run = DiracRun(dataclasses.replace(BASE, steps=steps, **keys))
    run.advance(steps)
    return run


def _sorted(z: np.ndarray) -> np.ndarray:
    return np.array(sorted(np.asarray(z, dtype=complex), key=lambda w: (round(w.imag, 9), round(w.real, 9))))


# ---- eigenvalues: autograd of the training update vs the closed forms --------------------------
CASES = [
    dict(), dict(objective="ns"), dict(objective="wasserstein"), dict(lr=0.05), dict(lr=1.3), dict(ttur=4.0),
    dict(updates="alternating"), dict(updates="alternating", ttur=0.3, lr=0.7),
    dict(regularizer="r1"), dict(regularizer="r1", gamma=2.0), dict(regularizer="r1", gamma=1.0, updates="alternating"),
    dict(regularizer="noise"), dict(regularizer="noise", instance_noise=3.0), dict(regularizer="noise", objective="wasserstein"),
    dict(regularizer="consensus"), dict(regularizer="consensus", consensus=0.2, objective="ns", updates="alternating"),
    dict(regularizer="gp", gp_target=0.0, objective="wasserstein"),
]


@pytest.mark.parametrize("keys", CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "plain")
def test_jacobians_of_the_update_that_trains_are_the_closed_forms(keys):
    cfg = dataclasses.replace(BASE, **keys)
    j_field, j_update = Game.of(cfg).jacobians()
    np.testing.assert_allclose(j_field, cf.field_jacobian(cfg), rtol=0, atol=1e-12)
    np.testing.assert_allclose(j_update, cf.update_jacobian(cfg), rtol=0, atol=1e-12)
    # and the paper's formula per method (gp with g0 = 0 is R1 with gamma = 2 lambda: not listed there)
    if cfg.regularizer != "gp":
        np.testing.assert_allclose(_sorted(np.linalg.eigvals(j_field)), _sorted(cf.paper_field_eigenvalues(cfg)),
                                   rtol=0, atol=1e-12)
    np.testing.assert_allclose(_sorted(cf.eigenvalues(j_update)), _sorted(np.linalg.eigvals(j_update)), atol=1e-12)


@pytest.mark.parametrize("objective,f1", [("minimax", 0.5), ("ns", 0.5), ("wasserstein", 1.0)])
@pytest.mark.parametrize("lr", [0.02, 0.2, 1.0])
@pytest.mark.parametrize("ttur", [1.0, 4.0])
def test_simultaneous_steps_spiral_out_for_every_step_size_and_ratio(objective, f1, lr, ttur):
    """1 +- i h f'(0) (with TTUR: 1 +- i h f'(0) sqrt(ttur)); |.| = sqrt(1 + h_g h_d f'(0)^2) > 1:
    a smaller lr or another time-scale ratio only slows the spiral."""
    cfg = dataclasses.replace(BASE, objective=objective, lr=lr, ttur=ttur)
    eig = cf.eigenvalues(Game.of(cfg).jacobians()[1])
    w = lr * f1 * math.sqrt(ttur)
    np.testing.assert_allclose(eig, [complex(1, w), complex(1, -w)], rtol=0, atol=1e-12)
    assert np.abs(eig).max() == pytest.approx(cf.simultaneous_modulus(cfg), abs=1e-12)
    assert np.abs(eig).max() > 1 + 0.5 * w ** 2 * (1 - w ** 2)


@pytest.mark.parametrize("lr,inside", [(0.2, True), (1.0, True), (3.9, True), (4.1, False)])
def test_alternating_steps_keep_modulus_one_until_h_f1_reaches_2(lr, inside):
    """Determinant 1 (no damping), trace 2 - h^2 f'(0)^2: on the unit circle while h f'(0) < 2."""
    cfg = dataclasses.replace(BASE, updates="alternating", lr=lr)
    j = Game.of(cfg).jacobians()[1]
    assert np.linalg.det(j) == pytest.approx(1.0, abs=1e-12)
    assert np.trace(j) == pytest.approx(2 - (lr * 0.5) ** 2, abs=1e-12)
    top = np.abs(np.linalg.eigvals(j)).max()
    assert bool(top == pytest.approx(1.0, abs=1e-9)) is inside
    if not inside:
        assert top > 1.2


def test_r1_beyond_the_critical_gamma_has_real_eigenvalues():
    """gamma > 2 f'(0) = 1: -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2) are real and negative."""
    for gamma, want in [(1.0, [-0.5, -0.5]), (2.0, [-1 - math.sqrt(0.75), -1 + math.sqrt(0.75)])]:
        j = Game.of(dataclasses.replace(BASE, regularizer="r1", gamma=gamma)).jacobians()[0]
        np.testing.assert_allclose(np.sort(np.linalg.eigvals(j).real), want, atol=1e-7)


def test_noise_nodes_have_the_moments_the_jacobian_needs():
    nodes = noise_nodes()
    assert float(nodes.mean()) == pytest.approx(0.0, abs=1e-15)
    assert float((nodes ** 2).mean()) == pytest.approx(1.0, abs=1e-14)
    assert torch.equal(nodes, -nodes.flip(0))


def test_wgan_gp_has_no_jacobian_at_the_equilibrium_the_field_jumps_there():
    """lambda (|psi| - g0)^2 pushes psi away from 0 with 2 lambda g0 on either side."""
    cfg = dataclasses.replace(BASE, objective="wasserstein", regularizer="gp", gp_lambda=0.35, gp_target=1.0)
    game = Game.of(cfg)
    assert not game.smooth and math.isnan(cf.max_modulus(cfg))
    zero = torch.zeros(1, dtype=DTYPE)
    for side in (1.0, -1.0):
        v = game.field(torch.tensor([0.0, side * 1e-9], dtype=DTYPE), zero, zero)
        assert float(v[1]) == pytest.approx(side * 2 * 0.35 * 1.0, abs=1e-8)
    run = DiracRun(cfg)
    assert math.isnan(run.metrics()["max_abs_eigenvalue"]) and not run.snapshot()["smooth"]


# ---- the trajectories: the page's claims ---------------------------------------------------------
def test_simultaneous_radius_grows_by_the_exact_factor_each_step():
    """For the plain game r'^2 = r^2 (1 + h^2 sigmoid(psi theta)^2) exactly (the continuous flow
    keeps r fixed; each Euler step adds the squared step): it grows every step, ~2x in 300."""
    run = _run()
    t = np.array([1.0] + run.history["theta"])
    p = np.array([1.0] + run.history["psi"])
    r2 = t ** 2 + p ** 2
    sig = 1 / (1 + np.exp(-t[:-1] * p[:-1]))
    np.testing.assert_allclose(r2[1:] / r2[:-1], 1 + 0.04 * sig ** 2, rtol=1e-12)
    assert 1.95 < run.metrics()["radius_ratio"] < 2.1           # measured 2.027


def test_alternating_circles_within_a_band():
    radii = np.array(_run(updates="alternating").history["radius"]) / math.sqrt(2)
    assert 0.93 < radii.min() < 0.96 and 0.995 < radii.max() < 1.01    # measured 0.947 .. 1.001


def test_r1_and_consensus_converge_at_their_eigenvalues_rate():
    r1 = _run(regularizer="r1").metrics()                  # gamma 0.3
    assert 2e-4 < r1["radius_ratio"] < 1e-3                 # measured 4.6e-4
    assert r1["measured_rate"] == pytest.approx(r1["max_abs_eigenvalue"], abs=1e-3)
    assert r1["max_abs_eigenvalue"] == pytest.approx(math.sqrt(1 - 0.2 * 0.3 + 0.2 ** 2 * 0.25), abs=1e-12)
    cons = _run(regularizer="consensus").metrics()         # gamma 1
    assert 1e-7 < cons["radius_ratio"] < 1e-5               # measured 9.7e-7
    assert cons["measured_rate"] == pytest.approx(cons["max_abs_eigenvalue"], abs=1e-5)


def test_instance_noise_converges_in_expectation_over_seeds():
    """sigma 0.7, 64 draws a step, seeds 0-5: every run ends near 0, a sampling-noise floor away;
    the mean of the end points is nearer still."""
    ends = np.array([[r.metrics()["theta"], r.metrics()["psi"]]
                     for r in (_run(regularizer="noise", seed=s) for s in range(6))])
    radii = np.hypot(*ends.T) / math.sqrt(2)
    assert radii.max() < 0.12 and radii.mean() > 0.005        # measured 0.005 .. 0.075, mean 0.026
    assert np.hypot(*ends.mean(0)) < radii.mean() * math.sqrt(2)


def test_smaller_lr_and_ttur_still_spiral_out():
    small = _run(**{**VARIANTS["small_lr"].keys, "lr": 0.02}).metrics()["radius_ratio"]
    ttur = _run(ttur=4.0).metrics()["radius_ratio"]
    assert 1.005 < small < 1.02 and 2.5 < ttur < 3.2           # measured 1.011 and 2.80


def test_wgan_gp_does_not_converge():
    radii = np.array(_run(objective="wasserstein", regularizer="gp").history["radius"])
    assert radii.min() > 1.0 and 1.4 < radii[-100:].min() < radii[-100:].max() < 2.0    # measured 1.44 .. 1.97


def test_a_diverging_run_stops_at_the_limit_with_finite_numbers():
    run = _run(steps=1000, objective="wasserstein")           # |λ| = 1.0198: r0 |λ|^n passes 1,000 at n ~ 335
    assert 320 < run.stopped_at < 350 and run.total == run.step == run.stopped_at
    assert np.isfinite(run.history["radius"]).all() and run.history["radius"][-1] > RADIUS_LIMIT
    assert "stopped" in run.snapshot()["stopped"]
    run.advance(10)
    assert run.step == run.stopped_at
    wild = _run(steps=50, objective="wasserstein", regularizer="gp", gp_lambda=100.0, lr=5.0)
    assert wild.stopped_at and np.isfinite(wild.history["radius"]).all()


def test_a_live_step_size_keeps_the_run_and_updates_its_eigenvalues():
    run = _run(steps=20)
    x = run.x.clone()
    assert run.retune(dataclasses.replace(run.cfg, lr=0.1)) is True
    assert torch.equal(run.x, x) and run.metrics()["max_abs_eigenvalue"] == pytest.approx(math.sqrt(1.0025))
    assert run.retune(dataclasses.replace(run.cfg, theta0=0.5)) is False


# ---- the page's variants ----------------------------------------------------------------------
def test_variants_from_a_link():
    assert variants_from_link({})[0] == ["simultaneous", "alternating", "r1", "noise", "consensus", "wgan_gp"]
    names, notes = variants_from_link({"variants": "r1,zzz,r1,ttur"})
    assert names == ["r1", "ttur"] and len(notes) == 1 and "'zzz'" in notes[0] and "simultaneous" in notes[0]
    assert variants_from_link({"variants": "zzz"})[0][0] == "simultaneous"


def test_each_variant_differs_from_the_plain_game_in_what_its_name_says():
    base = dataclasses.replace(BASE, regularizer="r1", ttur=2.0, lr=0.3)    # what a link may hold
    assert variant_config(base, "simultaneous") == dataclasses.replace(base, regularizer="none", ttur=1.0)
    assert variant_config(base, "small_lr").lr == pytest.approx(0.03)
    assert variant_config(base, "wgan_gp").objective == "wasserstein"
    with pytest.raises(ConfigError, match="lr="):
        variant_config(dataclasses.replace(BASE, lr=5e-4), "small_lr")


# ---- the command line -------------------------------------------------------------------------
def test_the_command_line_writes_the_contract_metrics(tmp_path, capsys):
    args = ["run", "dirac_gan", "updates=alternating", "regularizer=r1", "gamma=0.5", "lr=0.1", "steps=40",
            "theta0=0.5", "psi0=-1", "--out", str(tmp_path), "--quiet"]
    assert cli.main(args) == 0
    doc = json.loads((tmp_path / "metrics.json").read_text())
    m = doc["metrics"]
    assert m["radius_start"] == pytest.approx(math.hypot(0.5, 1.0), abs=1e-12)
    assert m["radius_final"] < m["radius_start"]
    cfg = DiracConfig(updates="alternating", regularizer="r1", gamma=0.5, lr=0.1)
    assert m["max_abs_eigenvalue"] == pytest.approx(cf.max_modulus(cfg), abs=1e-12)
    assert len(doc["history"]["radius"]) == 40
    assert {p.name for p in tmp_path.glob("*.html")} >= {"plane.html", "eigenvalues.html", "radius.html"}


@pytest.mark.parametrize("arg,needle", [("regularizer=lasso", "regularizer='lasso' is not one of"),
                                        ("updates=sideways", "updates='sideways'"), ("gamma=-1", "gamma=-1.0 is out of range"),
                                        ("lr=fast", "lr='fast' is not a number"), ("psi=1", "unknown key 'psi'")])
def test_bad_keys_and_values_are_one_line_and_exit_2(arg, needle, tmp_path, capsys):
    assert cli.main(["run", "dirac_gan", arg, "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "metrics.json").exists()


def test_the_table_says_where_there_is_no_eigenvalue_instead_of_an_empty_cell():
    """WGAN-GP's update has no Jacobian at the kink psi = 0: the page's table says so in words
    (a NaN would show as "None"), and a variant with one gives its modulus as a number."""
    from lab.experiments.dirac_gan import figures
    snaps = {}
    for name in ("simultaneous", "wgan_gp"):
        run = DiracRun(variant_config(BASE, name))
        run.advance(3)
        snaps[name] = run.snapshot()
    rows = {r["variant"]: r for r in figures.table(snaps)}
    assert rows["WGAN-GP"]["|λ| max"] == "none (kink)"
    assert float(rows["Simultaneous GD"]["|λ| max"]) == pytest.approx(snaps["simultaneous"]["metrics"]["max_abs_eigenvalue"],
                                                                     rel=1e-5)
    assert all("None" not in str(v) and "nan" not in str(v) for r in rows.values() for v in r.values())
