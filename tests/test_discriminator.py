"""The discriminator experiment's behaviour, with fixed seeds on CPU, and its command line."""
import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lab import run as lab_run
from lab.cli import main
from lab.config import ConfigError, from_strings_noted, live_keys
from lab.experiments.discriminator import EXPERIMENT, DiscriminatorConfig
from lab.experiments.discriminator.run import DiscriminatorRun

ROOT = Path(__file__).resolve().parents[1]


def trained(**kw) -> DiscriminatorRun:
    run = DiscriminatorRun(DiscriminatorConfig(**kw))
    run.advance(run.total)
    return run


def test_unconstrained_d_converges_to_d_star_on_overlapping_bumps():
    m = trained(real="overlap_real", fake="overlap_fake", steps=800).metrics()
    # Measured 0.03-0.05 over seeds 0-2; D* here is a gentle sigmoid, so the MLP can fit it.
    assert 0.0 < m["sup_gap"] < 0.1
    # V(D,G)/2 + log 2 estimates a lower bound on JS that meets it at D*: within Monte-Carlo
    # error, on either side (an estimate can come out above the exact value).
    assert m["js_from_d"] == pytest.approx(m["js_exact"], abs=0.01)


def test_lsgan_d_approaches_its_closed_form_optimum():
    """Mao et al. 2017 eq. 10 with a = -1, b = 1: D*_LS = (p - p_G)/(p + p_G), here tanh(x/2)
    on the overlapping pair N(0.5, 1) vs N(-0.5, 1). Seed 0, Adam 1e-3, batch 1,024, 1,000
    steps: sup over the support |D - D*_LS| = 0.043 (seeds 0-4: 0.043-0.115; the largest gaps
    sit at the support's edges, where few samples fall). The untrained D (about 0 everywhere)
    is 0.94 away."""
    cfg = DiscriminatorConfig(objective="lsgan", real="overlap_real", fake="overlap_fake", seed=0,
                              lr_d=1e-3, batch=1024, steps=1000)
    run = DiscriminatorRun(cfg)
    assert run.kind == "ls" and run.objective.name == "lsgan"
    s = run.snapshot()
    x = s["grid"][:, 0]
    np.testing.assert_allclose(s["optimum"], np.tanh(x / 2), atol=1e-5)    # (p - q)/(p + q) for this pair
    assert s["metrics"]["sup_gap"] > 0.9
    run.advance(run.total)
    gap = run.metrics()["sup_gap"]
    assert 0.0 < gap < 0.1
    # The same number by hand from the snapshot: the support is where p + p_G > 1% of its peak.
    s = run.snapshot()
    mass = s["p"] + s["q"]
    assert np.abs(s["value"] - np.tanh(x / 2))[mass > 0.01 * mass.max()].max() == pytest.approx(gap, abs=1e-4)


def test_lsgan_signal_also_dies_on_apart_bumps():
    """At D*_LS = (p - p_G)/(p + p_G) the fakes sit where it is flat at a = -1, so G's loss
    1/2 D^2 pushes them by ~1e-13; the trained D gives 0.008-0.016 (seeds 0-2), far below a
    spectral-norm critic's ~1 (next test)."""
    run = trained(objective="lsgan", steps=1000)
    s = run.snapshot()
    assert np.median(np.linalg.norm(s["pushes"]["dstar_ls"], axis=1)) < 1e-10
    assert 0.0 < s["metrics"]["signal_ls"] < 0.05


def test_minimax_signal_vanishes_on_apart_bumps_while_critics_keep_one():
    d = trained(steps=600).metrics()          # the notes' Figure 1: bumps at -2 and 2, std 0.5
    assert d["js_from_d"] == pytest.approx(math.log(2), abs=0.005)
    assert d["signal_minimax"] < 1e-4          # flat on the fakes: no signal for G
    assert d["signal_minimax_dstar"] < 1e-6
    sn = trained(constraint="sn", steps=600).metrics()
    assert 0.9 < sn["signal_w"] < 1.01         # a 1-Lipschitz slope: |f'| = 1 at the fakes


def test_sn_critic_is_one_lipschitz_up_to_the_power_iteration_and_estimates_w1():
    m = trained(constraint="sn", steps=800).metrics()
    # Spectral norm divides by a power-iteration *estimate* of each top singular value, so
    # the measured constant may sit a little above 1 (1.0003 here), never far.
    assert 0.95 < m["lipschitz"] <= 1.0 + 0.01
    assert m["w1_from_critic"] == pytest.approx(m["w1_exact"], rel=0.03)   # exact W1 = 4


def test_gp_critic_estimates_w1_within_tolerance():
    m = trained(constraint="gp", steps=1000, real="bimodal_real", fake="wide_fake").metrics()
    # Measured 1.28-1.30 over seeds 0-3 for an exact 1.315.
    assert m["w1_from_critic"] == pytest.approx(m["w1_exact"], rel=0.05)
    assert 0.9 < m["lipschitz"] < 1.3          # the penalty is soft: near 1, not below


def test_clipped_critic_lipschitz_scales_with_c():
    small = trained(constraint="clip", clip=0.01, steps=300).metrics()["lipschitz"]
    large = trained(constraint="clip", clip=0.1, steps=300).metrics()["lipschitz"]
    assert large > 5 * small


def test_2d_runs_report_js_by_grid_and_no_w1():
    m = trained(dim=2, steps=300).metrics()
    assert "w1_exact" not in m
    assert m["js_exact"] == pytest.approx(math.log(2), abs=0.01)


def test_same_seed_same_numbers():
    a = trained(constraint="gp", steps=200, seed=4).metrics()
    b = trained(constraint="gp", steps=200, seed=4).metrics()
    assert a == b
    c = trained(constraint="gp", steps=200, seed=5).metrics()
    assert c["w1_raw"] != a["w1_raw"]


def test_objective_auto_is_minimax_for_d_and_wasserstein_for_critics():
    assert [DiscriminatorConfig(constraint=c).loss for c in ("none", "clip", "gp", "sn")] == [
        "minimax", "wasserstein", "wasserstein", "wasserstein"]
    assert DiscriminatorConfig(constraint="sn", objective="hinge").loss == "hinge"
    run = DiscriminatorRun(DiscriminatorConfig(constraint="sn", objective="hinge", steps=20))
    run.advance(20)
    assert run.kind == "critic" and "w1_from_critic" in run.metrics() and "sup_gap" not in run.metrics()


def _arrays(x, path=""):
    """Every leaf of a snapshot, by path, for exact comparison."""
    if isinstance(x, dict):
        return {k2: v2 for k, v in x.items() for k2, v2 in _arrays(v, f"{path}/{k}").items()}
    if isinstance(x, (list, tuple)):
        return {k2: v2 for i, v in enumerate(x) for k2, v2 in _arrays(v, f"{path}/{i}").items()}
    return {path: x}


@pytest.mark.parametrize("constraint", ["sn", "none", "gp"])
def test_snapshot_is_a_pure_read(constraint):
    """Twice in a row: identical arrays; step, history, the optimiser, the RNG and spectral
    norm's power-iteration vector u unchanged (an SN layer read in training mode would update u)."""
    run = DiscriminatorRun(DiscriminatorConfig(constraint=constraint, steps=50))
    run.advance(50)
    us = lambda: [m.parametrizations.weight[0]._u.clone() for m in run.net if hasattr(m, "parametrizations")]  # noqa: E731
    before_u, before_w = us(), [p.detach().clone() for p in run.net.parameters()]
    before_gen, before_hist = run.gen.get_state(), json.dumps(run.history)
    a, b = run.snapshot(), run.snapshot()
    la, lb = _arrays(a), _arrays(b)
    assert la.keys() == lb.keys()
    for key in la:
        assert np.array_equal(np.asarray(la[key]), np.asarray(lb[key])), key
    assert run.step == 50 and json.dumps(run.history) == before_hist and len(run.history["step"]) == 5
    assert torch.equal(run.gen.get_state(), before_gen)
    assert all(torch.equal(u, v) for u, v in zip(before_u, us())) and len(before_u) == (3 if constraint == "sn" else 0)
    assert all(torch.equal(p, q) for p, q in zip(before_w, run.net.parameters()))
    assert run.net.training                   # put back in training mode
    # ... and training afterwards is what it would have been without the reads
    fresh = DiscriminatorRun(DiscriminatorConfig(constraint=constraint, steps=50))
    fresh.advance(50)
    run.advance(10)
    fresh.advance(10)
    assert run.metrics() == fresh.metrics()


def test_retune_of_the_learning_rate_keeps_the_net_and_sets_the_optimisers_rate():
    cfg = DiscriminatorConfig(constraint="clip", steps=100)
    run = DiscriminatorRun(cfg)
    run.advance(30)
    net, opt, weights = run.net, run.opt, [p.detach().clone() for p in run.net.parameters()]
    assert opt.param_groups[0]["lr"] == pytest.approx(2e-3)
    assert {"lr_d", "clip", "gp_lambda", "batch", "steps"} == set(live_keys(DiscriminatorConfig))
    assert run.retune(dataclasses.replace(cfg, lr_d=1e-4, clip=0.2, steps=500)) is True
    assert run.net is net and run.opt is opt and run.step == 30 and run.total == 500
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4) and run.constraint.c == 0.2
    assert all(torch.equal(p, q) for p, q in zip(weights, run.net.parameters()))
    assert run.retune(dataclasses.replace(run.cfg, width=32)) is False      # a new net: rebuild
    assert run.retune(dataclasses.replace(run.cfg, real="N(1,1)")) is False
    # Before the first update there is no optimiser yet: it is made with the new rate.
    fresh = DiscriminatorRun(cfg)
    assert fresh.retune(dataclasses.replace(cfg, lr_d=5e-4)) and fresh._opt is None
    fresh.advance(1)
    assert fresh.opt.param_groups[0]["lr"] == pytest.approx(5e-4)


def test_weights_round_trip_and_training_resumes_where_it_stopped():
    cfg = DiscriminatorConfig(constraint="gp", steps=120, gp_warmup=100)
    a = DiscriminatorRun(cfg)
    a.advance(60)
    b = lab_run.load(a.state_bytes())
    assert isinstance(b, DiscriminatorRun) and b.step == 60 and b.history == a.history
    assert b.constraint.calls == a.constraint.calls == 60          # the penalty's ramp stands where it stood
    a.advance(60)
    b.advance(60)
    assert a.metrics() == b.metrics()


def test_snapshot_shapes():
    s = DiscriminatorRun(DiscriminatorConfig(dim=2, steps=0)).snapshot()
    n = len(s["axes"][0])
    assert s["value"].shape == s["dstar"].shape == s["optimum"].shape == (n * n,)
    assert s["pushes"]["minimax"].shape == s["arrows_at"].shape
    s = DiscriminatorRun(DiscriminatorConfig(dim=2, objective="lsgan", steps=0)).snapshot()
    assert s["kind"] == "ls" and s["pushes"]["own"].shape == s["pushes"]["dstar_ls"].shape == s["arrows_at"].shape


@pytest.mark.parametrize("kw, key", [(dict(dim=3), "dim"), (dict(constraint="lasso"), "constraint"),
                                     (dict(objective="ns"), "objective"), (dict(real="N(0,"), "real"),
                                     (dict(lr_d=-1.0), "lr_d"), (dict(dim=2, real="N(0,1)"), "real"),
                                     (dict(seed=-3), "seed"), (dict(width=1025), "width")])
def test_bad_config_names_the_key(kw, key):
    with pytest.raises(ConfigError, match=key):
        DiscriminatorConfig(**kw)


def test_old_key_names_are_read_with_a_notice():
    cfg, notes = from_strings_noted(DiscriminatorConfig, {"critic": "gp", "lr": "0.01"})
    assert (cfg.constraint, cfg.lr_d) == ("gp", 0.01)
    assert notes == ["'critic=gp' is an old name: read as constraint=gp.",
                     "'lr=0.01' is an old name: read as lr_d=0.01."]


def test_smoke_keys_train_quickly():
    import time
    run = EXPERIMENT.make_run(DiscriminatorConfig(**EXPERIMENT.smoke))
    t0 = time.perf_counter()
    run.advance(run.total)
    assert run.step == run.total > 0 and time.perf_counter() - t0 < 1.0


def test_cli_writes_metrics_with_the_issue_keys(tmp_path):
    out = tmp_path / "none"
    assert main(["run", "discriminator", "steps=150", "--out", str(out), "--quiet"]) == 0
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["experiment"] == "discriminator" and doc["config"]["steps"] == 150
    for key in ("js_exact", "js_from_d", "w1_exact", "lipschitz", "sup_gap", "signal_minimax", "signal_ns"):
        assert isinstance(doc["metrics"][key], float), key
    assert len(doc["history"]["step"]) == 15
    assert (out / "discriminator.html").exists()
    out2 = tmp_path / "sn"
    assert main(["run", "discriminator", "critic=sn", "steps=50", "real=N(1,0.5)", "fake=N(-1,0.5)",
                 "--out", str(out2), "--quiet"]) == 0                     # the old key name still works
    m = json.loads((out2 / "metrics.json").read_text())["metrics"]
    assert {"w1_from_critic", "signal_w", "lipschitz"} <= set(m)
    assert m["w1_exact"] == pytest.approx(2.0, abs=1e-6)
    out3 = tmp_path / "ls"
    assert main(["run", "discriminator", "objective=lsgan", "steps=20", "--out", str(out3), "--quiet"]) == 0
    m = json.loads((out3 / "metrics.json").read_text())["metrics"]
    assert {"sup_gap", "signal_ls"} <= set(m) and "js_from_d" not in m
    assert "D*_LS (exact)" in (out3 / "discriminator.html").read_text()


def test_cli_list_names_experiments_and_keys(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "discriminator:" in out and "gp_lambda=" in out and "constraint=" in out and "objective=" in out


def test_cli_under_torchrun_only_rank_zero_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert main(["run", "discriminator", "steps=10", "--out", str(tmp_path), "--quiet"]) == 0
    assert not (tmp_path / "metrics.json").exists()
    monkeypatch.setenv("RANK", "0")
    assert main(["run", "discriminator", "steps=10", "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "metrics.json").exists()


def test_drawing_step_0_does_not_import_torch_dynamo():
    """The page's first view builds every critic and draws it; torch.optim's first call
    imports all of torch._dynamo (~1 s), so the optimiser must wait for the first update.
    A fresh interpreter: the test process has long imported it."""
    code = ("import sys\n"
            "from lab.experiments.discriminator import EXPERIMENT, DiscriminatorConfig\n"
            "runs = [EXPERIMENT.make_run(DiscriminatorConfig(constraint=c)) for c in ('none', 'clip', 'gp', 'sn')]\n"
            "[r.snapshot() for r in runs]\n"
            "print('torch._dynamo' in sys.modules)\n"
            "runs[0].advance(1)\n"
            "print('torch._dynamo' in sys.modules, runs[0].step)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False", "True 1"]


def test_the_package_and_its_figures_import_without_torch():
    """The page draws its opening from these before torch loads (a fresh interpreter)."""
    code = ("import sys\n"
            "from lab.experiments.discriminator import EXPERIMENT, DiscriminatorConfig\n"
            "from lab.experiments.discriminator.figures import generator_losses_figure\n"
            "generator_losses_figure()\n"
            "print('torch' in sys.modules, 'scipy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_generator_losses_figure_is_note_002s_picture():
    """log(1 - d) against -log d over d = D(G(z)): where the fakes are spotted (d -> 0) the
    minimax loss has slope -1/(1 - d) ~ -1 while the non-saturating one has slope -1/d."""
    from lab.experiments.discriminator.figures import generator_losses_figure
    minimax, ns = generator_losses_figure().data
    d = np.asarray(minimax.x)
    assert np.allclose(minimax.y, np.log(1 - d)) and np.allclose(ns.y, -np.log(d))
    slope = lambda tr: (tr.y[1] - tr.y[0]) / (tr.x[1] - tr.x[0])  # noqa: E731
    assert slope(minimax) == pytest.approx(-1 / (1 - d[0]), rel=0.02)
    assert slope(ns) == pytest.approx(-1 / d[0], rel=0.5)          # steep: about -200 at d = 0.005
    assert slope(ns) < 50 * slope(minimax)


def test_dots_image_puts_each_sample_where_its_axes_say():
    """The 2-D panels' samples are one PNG stretched over the axis ranges: a dot must land at
    its (x, y), in its colour, with square pixels, and nothing elsewhere."""
    import base64
    import io

    from PIL import Image

    from lab.figures.style import dots_image
    pts = np.array([[1.0, 2.0]], np.float32)
    img = dots_image([(pts, "#1f77b4")], (0.0, 4.0), (0.0, 3.0), width=400)
    assert (img["x"], img["y"], img["sizex"], img["sizey"]) == (0.0, 3.0, 4.0, 3.0)
    png = Image.open(io.BytesIO(base64.b64decode(img["source"].split(",", 1)[1]))).convert("RGBA")
    assert png.size == (400, 300)
    r, g, b, a = png.getpixel((100, 100))           # x = 1 -> 100 px; y = 2 -> 100 px from the top
    assert (r, g, b) == (0x1f, 0x77, 0xb4) and 150 < a < 255
    assert png.getpixel((300, 250))[3] == 0 and png.getpixel((100, 200))[3] == 0
    assert dots_image([(pts, "#1f77b4")], (0.0, 4.0), (0.0, 3.0), width=400)["source"] == img["source"]


def test_2d_figure_lays_the_samples_over_every_panel():
    from lab.experiments.discriminator.figures import figure
    cfg = DiscriminatorConfig(dim=2, n_samples=50)
    snaps = {c: DiscriminatorRun(dataclasses.replace(cfg, constraint=c)).snapshot() for c in ("none", "sn")}
    fig = figure(snaps, arrow_loss="minimax")
    assert [(im.xref, im.yref) for im in fig.layout.images] == [("x", "y"), ("x2", "y2"), ("x3", "y3")]
    assert {t.name for t in fig.data if t.showlegend is not False} >= {"real", "fake"}
    assert not any(t.type == "scatter" and t.x is not None and len(t.x) == 50 for t in fig.data)
    # LSGAN's D brings its exact optimum beside it: one more panel, on LSGAN's [-1, 1] scale
    snaps["none"] = DiscriminatorRun(dataclasses.replace(cfg, objective="lsgan")).snapshot()
    fig = figure(snaps, arrow_loss="minimax")
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["D* (exact)", "D*_LS (exact)", "trained D (lsgan)"]
    contours = [t for t in fig.data if t.type == "contour"]
    assert [(c.zmin, c.zmax) for c in contours[:3]] == [(0, 1), (-1, 1), (-1, 1)]


def test_1d_figure_draws_lsgans_optimum_beside_its_d():
    from lab.experiments.discriminator.figures import figure
    cfg = DiscriminatorConfig(steps=0)
    snaps = {"none": DiscriminatorRun(dataclasses.replace(cfg, objective="lsgan")).snapshot(),
             "sn": DiscriminatorRun(dataclasses.replace(cfg, constraint="sn")).snapshot()}
    fig = figure(snaps, densities=False)
    by_name = {t.name: t for t in fig.data}
    assert by_name["D*_LS (exact)"].yaxis == by_name["trained D (lsgan)"].yaxis == "y2"   # the LSGAN panel
    assert by_name["D* (exact)"].yaxis == "y" and by_name["critic: spectral norm"].yaxis == "y3"
    x = snaps["none"]["grid"][:, 0]
    p, q = snaps["none"]["p"], snaps["none"]["q"]
    assert np.allclose(by_name["D*_LS (exact)"].y, (p - q) / (p + q), atol=1e-6)
    assert "D*_LS (exact)" not in {t.name for t in figure({"sn": snaps["sn"]}, densities=False).data}
    assert len(x) == 400
