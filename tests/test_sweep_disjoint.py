"""The disjoint-supports sweep (lab.experiments.disjoint.sweep): each member is the single run of
its config and seed (ThetaGAN, every recipe), members never interact, groups train in step,
live keys retune as the single run's do, state files resume bitwise, the command line, the
lessons, and the page's first claim measured over seeds."""
from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest
import torch
from scipy import stats

from lab import cli
from lab.config import ConfigError, from_strings
from lab.experiments.disjoint import DisjointConfig, DisjointRun
from lab.experiments.disjoint.sweep import PRESETS, SWEEP, DisjointSweep, DisjointSweepRun
from lab.nets import mlp
from lab.sweep import kinds, presets
from lab.sweep.batched import load
from lab.sweep.figures import Tiles, thin
from cli_cells import same_cells_as_the_page

SMALL = dict(width=32, batch=32, steps=30, seed=3)


def _sweep(axes: dict, seeds: int = 1, eval_every: int = 10, streams: str = "member", **keys) -> DisjointSweepRun:
    base = DisjointConfig(**{**SMALL, **keys})
    return DisjointSweepRun(DisjointSweep.of(base, axes, seeds=seeds, eval_every=eval_every, streams=streams),
                            device="cpu")


def _member(run: DisjointSweepRun, m: int) -> tuple[float, torch.nn.Sequential]:
    """Member m's theta and its critic as a plain lab.nets.mlp."""
    g = run.groups[run.group[m]]
    i = int(np.flatnonzero(g.index == m)[0])
    c = run.configs[m]
    net = mlp(2, 1, c.width, c.depth, "leaky_relu", "sn" if c.recipe == "wgan_sn" else "plain")
    return float(g.model.theta[i]), g.model.D.member_state(i, net)


def _weight_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    """Largest difference of the trained weights and biases (not spectral norm's u, v buffers)."""
    theirs = dict(b.named_parameters())
    return max(float((p - theirs[k]).detach().abs().max()) for k, p in a.named_parameters())


def _assert_members_are_single_runs(run: DisjointSweepRun, steps: int) -> None:
    """Every member against DisjointRun on its config and seed, after `steps` theta steps.

    Not bitwise: batched matmuls round differently from nn.Linear's (gradients agree to ~1e-7
    relative). Adam with beta1 = 0 (the GP and SN critics) turns that rounding into full-sized
    steps on the odd weight whose gradient is ~0, after which that member drifts slowly. Measured
    over 60 members (5 recipes x noise 0 / 0.5 x seeds 0-5, 30 steps): 56 within 1e-6 of theta
    and 4e-7 of every weight; the other 4 (GP or SN) within 2.7e-5 of theta and 3e-4 of a weight.
    So: every member close, and most within 1e-5."""
    last = run.latest()
    close = 0
    for m, c in enumerate(run.configs):
        one = DisjointRun(c)
        one.advance(steps)
        single = one.metrics()
        theta, net = _member(run, m)
        gap_theta, gap_w = abs(theta - one.theta), _weight_gap(net, one.gan.net)
        assert gap_theta < 1e-4 and gap_w < 1e-3, (m, c.recipe, gap_theta, gap_w)
        assert last["theta"][m] == theta
        assert last["push"][m] == pytest.approx(single["push"], rel=1e-2, abs=1e-9)
        assert last["lipschitz"][m] == pytest.approx(single["lipschitz"], rel=1e-2, abs=1e-9)
        # D's loss: the mean since the last measurement of each step's last D update (the single history)
        since = np.mean(one.history["d_loss"][-run.cfg.eval_every:])
        assert last["d_loss"][m] == pytest.approx(since, rel=1e-2, abs=1e-6)
        if gap_theta < 1e-5 and gap_w < 1e-5:
            close += 1
            assert last["push"][m] == pytest.approx(single["push"], rel=1e-4, abs=1e-9)
            assert last["lipschitz"][m] == pytest.approx(single["lipschitz"], rel=1e-4, abs=1e-9)
            assert last["d_loss"][m] == pytest.approx(since, rel=1e-4, abs=1e-6)
    assert close >= 0.75 * run.members, close


# ---- each member is its single run --------------------------------------------------------------
def test_every_recipe_member_is_its_single_run_and_groups_train_in_step():
    """Recipe is per group (5 groups), instance noise per member; after 30 steps every member's
    theta, critic and read-outs equal DisjointRun's on its config and seed."""
    run = _sweep({"recipe": ["gan", "ns", "wgan", "wgan_gp", "wgan_sn"], "instance_noise": [0.0, 0.5]})
    assert run.members == 10 and len(run.groups) == 5
    assert sorted(len(g.index) for g in run.groups) == [2] * 5
    run.advance(30)
    assert {g.model.step for g in run.groups} == {30} and run.step == 30
    _assert_members_are_single_runs(run, 30)


@pytest.mark.parametrize("axes,keys", [
    ({"sigma": [0.2, 1.0], "noise_anneal": [0, 15]}, dict(setup="gaussians", recipe="ns", instance_noise=0.5,
                                                          theta0=-1.5)),
    ({"gp_warmup": [0, 20], "gp_lambda": [1.0, 10.0]}, dict(recipe="wgan_gp")),
    ({"clip": [0.005, 0.02], "theta0": [0.5, 3.0]}, dict(recipe="wgan", lr_d=2e-4)),
])
def test_per_member_keys_train_as_their_single_runs(axes, keys):
    run = _sweep(axes, seeds=1, **keys)
    assert len(run.groups) == 1 and run.members == 4         # all per member: one batched model
    run.advance(30)
    _assert_members_are_single_runs(run, 30)


# ---- members never interact ---------------------------------------------------------------------
@pytest.mark.parametrize("recipe", ["wgan_gp", "wgan_sn"])
def test_perturbing_one_member_leaves_the_others_bitwise_unchanged(recipe):
    axes = {"lr_d": [3e-4, 1e-3]}
    a, b = _sweep(axes, seeds=2, recipe=recipe), _sweep(axes, seeds=2, recipe=recipe)
    j = 2
    gb = b.groups[0].model
    with torch.no_grad():
        for w in gb.D.weights:
            w[j] += 0.1
        gb.theta[j] = -4.0
    a.advance(10)
    b.advance(10)
    for m in range(a.members):
        (ta, na), (tb, nb) = _member(a, m), _member(b, m)
        same = ta == tb and all(torch.equal(x, y) for x, y in zip(na.state_dict().values(), nb.state_dict().values()))
        assert same == (m != j), m


def test_shared_stream_is_reproducible_and_trains():
    """streams=shared (CUDA's default): one generator for a group's draws, so members are not their
    single runs, but the same config gives the same sweep and every member trains."""
    axes = {"recipe": ["ns", "wgan_gp"], "instance_noise": [0.0, 0.5]}
    a, b = (_sweep(axes, seeds=2, streams="shared", setup="gaussians", sigma=0.3) for _ in range(2))
    a.advance(20)
    b.advance(20)
    assert a.streams == "shared" and np.array_equal(a.latest()["theta"], b.latest()["theta"])
    theta = a.latest()["theta"]
    assert np.all(np.isfinite(theta)) and np.all(theta < 2.0) and len(set(theta.tolist())) == a.members


# ---- live keys ------------------------------------------------------------------------------------
def test_retune_of_live_keys_equals_the_single_run_retuned():
    run = _sweep({"lr_d": [3e-4, 1e-3]}, seeds=2, recipe="wgan_gp", instance_noise=0.2)
    run.advance(10)
    new = dataclasses.replace(run.cfg, lr_g=0.1, gp_lambda=5.0, d_steps=2, instance_noise=0.4, noise_anneal=30,
                              lr_d=5e-4, steps=40)
    assert run.retune(new)
    assert [c.lr_d for c in run.configs] == [3e-4, 3e-4, 1e-3, 1e-3]         # the axis keeps its values
    assert all((c.lr_g, c.d_steps, c.gp_lambda) == (0.1, 2, 5.0) for c in run.configs)
    run.advance(10)
    for m, c in enumerate(run.configs):
        one = DisjointRun(dataclasses.replace(c, lr_g=None, gp_lambda=None, d_steps=None, instance_noise=0.2,
                                              noise_anneal=0, steps=30))
        one.advance(10)
        assert one.retune(c)
        one.advance(10)
        theta, net = _member(run, m)
        assert theta == pytest.approx(one.theta, abs=1e-5)
        assert _weight_gap(net, one.gan.net) < 1e-5
    assert not run.retune(dataclasses.replace(new, width=16))      # not live: the caller rebuilds


# ---- state ----------------------------------------------------------------------------------------
def test_state_bytes_resume_bitwise():
    run = _sweep({"recipe": ["wgan_gp", "wgan_sn", "ns"]}, seeds=2, eval_every=4, instance_noise=0.3,
                 noise_anneal=20, gp_warmup=10)
    run.advance(7)                              # mid-way between measurements: loss sums in flight
    back = load(DisjointSweepRun, run.state_bytes(), device="cpu")
    assert back.step == 7 and back.configs == run.configs
    run.advance(6)
    back.advance(6)
    for m in range(run.members):
        (ta, na), (tb, nb) = _member(run, m), _member(back, m)
        assert ta == tb
        assert all(torch.equal(x, y) for x, y in zip(na.state_dict().values(), nb.state_dict().values()))
    for key in run.METRICS:
        assert np.array_equal(np.stack(run.trace[key]), np.stack(back.trace[key]), equal_nan=True), key
    assert back.history["step"] == run.history["step"] == [0, 4, 8, 12]


# ---- the command line -------------------------------------------------------------------------------
def test_cli_writes_members_summary_heatmap_and_cells(tmp_path, capsys):
    out = tmp_path / "dj"
    assert cli.main(["sweep", "disjoint", "lr_g=0.01,0.05", "recipe=gan", "seeds=2", "steps=20", "width=16",
                     "--out", str(out), "--quiet"]) == 0
    rows = list(csv.DictReader(open(out / "members.csv")))
    assert [(float(r["lr_g"]), int(r["seed"])) for r in rows] == [(0.01, 0), (0.01, 1), (0.05, 0), (0.05, 1)]
    assert {float(r["lr_d"]) for r in rows} == {1e-3} and {int(r["d_steps"]) for r in rows} == {5}   # the gan scale
    assert all(0 < abs(float(r["theta"])) < 5 and int(r["step"]) == 20 for r in rows)
    doc = json.loads((out / "summary.json").read_text())
    assert doc["experiment"] == "disjoint" and doc["members"] == 4 and doc["steps"] == 20
    assert [c["lr_g"] for c in doc["cells"]] == [0.01, 0.05]
    c = doc["cells"][0]
    assert c["abs_theta_min"] <= c["abs_theta_mean"] <= c["abs_theta_max"]
    assert (out / "heatmap.html").stat().st_size > 1000
    same_cells_as_the_page(out, "disjoint", ["lr_g=0.01,0.05", "recipe=gan", "seeds=2", "steps=20", "width=16"])


@pytest.mark.parametrize("args,says", [
    (["bogus=1,2"], "bogus"),
    (["clip=0.01,0.02"], "clip"),                     # the default recipe (wgan_gp) does not clip
    (["seed=0,1"], "seeds=K"),
])
def test_cli_bad_key_is_one_error_line(tmp_path, capsys, args, says):
    assert cli.main(["sweep", "disjoint", *args, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and says in err[0]


# ---- the kind and its lessons ----------------------------------------------------------------------
def test_registered_kind_and_member_configs_open_as_single_runs():
    assert kinds.get("disjoint") is SWEEP and SWEEP.metric in DisjointSweepRun.METRICS
    cfg = DisjointSweep.of(DisjointConfig(recipe="ns"), {"theta0": [0.5, 1.0]}, seeds=2)
    assert all(type(c) is DisjointConfig for c in cfg.members())
    assert [(c.theta0, c.seed) for c in cfg.members()] == [(0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    with pytest.raises(ConfigError, match="sigma"):
        DisjointSweep.of(DisjointConfig(), {"sigma": [0.1, 1.0]})        # the lines have no sigma


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_lesson_is_a_valid_sweep_of_sensible_size(name):
    p = PRESETS[name]
    cfg = from_strings(DisjointSweep, presets.strings(p))
    assert 8 <= cfg.n_members <= 128
    assert p.metric in DisjointSweepRun.METRICS and p.question and p.label
    assert len(cfg.axes()) == 2 if p.y else 1


# ---- the page's first claim, over seeds --------------------------------------------------------------
def test_on_the_lines_wgan_gp_brings_theta_home_and_the_minimax_gan_stalls():
    """disjoint.md: "WGAN-GP walks theta to 0; the minimax JS-GAN moves a few percent while its D
    is still weak, then freezes (push ~1e-10)". The page's defaults (300 steps, theta0 = 2), seeds
    0-5 of each, as one sweep of two groups."""
    run = DisjointSweepRun(DisjointSweep.of(DisjointConfig(), {"recipe": ["gan", "wgan_gp"]}, seeds=6,
                                            eval_every=300), device="cpu")
    run.advance(300)
    last = run.latest()
    gan, gp = (np.abs(last["theta"][run.cell == k]) for k in (0, 1))
    moved, push = last["moved"][run.cell == 0], np.abs(last["push"][run.cell == 0])
    assert np.all((0.02 < moved) & (moved < 0.08))            # measured 0.034-0.042
    assert np.all((1e-12 < push) & (push < 1e-8))             # D saturated: measured 1.8e-10 - 2.5e-10
    assert np.all(gp < 0.1)                                   # measured 0.0008-0.020
    assert gan.min() - gp.max() > 1.5                         # measured 1.90
    assert stats.mannwhitneyu(gan, gp, alternative="greater").pvalue < 0.01     # 6 vs 6 apart: 0.0011


def test_a_cells_figure_draws_each_seeds_d_across_the_gap_as_its_single_run_does():
    """The Sweep page's cell figure (SWEEP.cell_figures): per seed, the D or critic the member's
    single run draws across the gap (DisjointRun's snapshot), within float rounding of 30 steps,
    and the push each gives theta."""
    run = _sweep({"recipe": "gan,wgan_gp"}, seeds=2, steps=30)
    run.advance(30)
    snap = run.snapshot()
    for m, c in enumerate(run.configs):
        single = DisjointRun(c)
        single.advance(30)
        s = single.snapshot()
        np.testing.assert_allclose(snap["gap_x"][m], s["gap_x"], atol=1e-4)
        np.testing.assert_allclose(snap["gap_value"][m], s["gap_value"], atol=5e-3)
        assert bool(snap["probabilistic"][m]) == s["probabilistic"]
        # theta over training, as the grid figure draws it: the single run's at each measurement
        np.testing.assert_allclose(snap["trace"]["theta"][:, m], [c.theta0, *s["history"]["theta"][9::10]], atol=1e-4)
    (gan,), (gp,) = SWEEP.cell_figures(snap, 0), SWEEP.cell_figures(snap, 1)
    assert gan.layout.title.text.startswith("recipe=gan") and gp.layout.title.text.startswith("recipe=wgan_gp")
    lines = [t for t in gan.data if t.type == "scatter"]
    assert [t.name.split(":")[0] for t in lines] == ["seed 3", "seed 4"]          # SMALL starts at seed 3
    np.testing.assert_array_equal(lines[1].y, snap["gap_value"][1])
    assert gan.layout.yaxis.title.text == "D(x)" and gp.layout.yaxis.title.text == "f(x) / L"
    pushes = [float(t.name.split("push ")[1]) for t in gp.data if t.type == "scatter"]
    assert pushes == pytest.approx(snap["metrics"]["push"][2:4], rel=0.06)       # printed to 2 digits


def test_the_grid_figure_draws_every_cells_theta_over_training_in_its_tile():
    """SWEEP.grid_figure: a tile per cell laid out as the heat map; in it each seed's theta at
    every measurement (steps across the budget, theta on one scale shared by the tiles, the data's
    theta = 0 as a line at mid-height), one trace per recipe. Too many cells: a sentence."""
    run = _sweep({"recipe": "gan,wgan_gp", "lr_d": "1e-4,1e-3"}, seeds=2, steps=30)
    run.advance(30)
    snap = run.snapshot()
    fig = SWEEP.grid_figure(snap)
    tiles = Tiles(4, 2, bottom_up=True)
    assert len(fig.layout.shapes) == 4
    assert [a.text for a in fig.layout.annotations] == ["gan", "wgan_gp", "0.0001", "0.001", "recipe", "lr_d"]
    data, *recipes = fig.data[1:]
    assert [t.name for t in recipes] == ["gan", "wgan_gp"] and not data.name
    np.testing.assert_allclose(np.asarray(data.y, dtype=float).reshape(4, 3)[:, :2],
                               [[tiles.corner(i)[1] + 0.5] * 2 for i in range(4)])
    theta = snap["trace"]["theta"]
    reach = 1.5 * 2.0                                            # theta0 = 2: the heat map's bounds, and a margin
    assert thin(len(snap["trace"]["step"])).tolist() == [0, 1, 2, 3]
    for trace, recipe in zip(recipes, ("gan", "wgan_gp")):
        members = [m for m in range(8) if snap["recipe"][m] == recipe]
        xs, ys = (np.asarray(v, dtype=float).reshape(len(members), 5)[:, :4] for v in (trace.x, trace.y))
        for j, m in enumerate(members):
            x0, y0 = tiles.corner(int(snap["cell"][m]))
            np.testing.assert_allclose(xs[j], x0 + np.array([0, 10, 20, 30]) / 30, rtol=1e-6)
            np.testing.assert_allclose(ys[j], y0 + np.clip((theta[:, m] + reach) / (2 * reach), 0, 1), rtol=1e-6)
    assert "steps 0 to 30" in fig.layout.title.text and "theta from -3 to 3" in fig.layout.title.text
    wide = _sweep({"theta0": [0.5 * k for k in range(1, 10)], "recipe": "gan,ns"})
    assert "9 x 2" in SWEEP.grid_figure(wide.snapshot())
