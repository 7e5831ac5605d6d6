"""The VAE sweep (lab.experiments.vae.sweep): a member is the single run of its config and seed,
members never interact, latent sizes make groups trained in turn, live keys retune it as they
retune a single run, a saved sweep resumes bitwise, the command line writes its files, every
lesson builds, and a large beta pulls the posterior onto the prior (a test over seeds)."""
from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import stats

from lab import variational as vae
from lab.config import ConfigError, from_strings, to_strings
from lab.device import build_seeded
from lab.experiments.vae import LatentVAEConfig as Cfg, LatentVAERun, load_data
from lab.experiments.vae.sweep import NOT_SWEPT, PRESETS, SWEEP, VAESweep, VAESweepRun
from lab.sweep import batched, kinds, presets
from lab.sweep.figures import TILE_GAP
from cli_cells import same_cells_as_the_page

SMALL = Cfg(width=32, latent=2, batch=32, steps=40, log_every=10, n_eval=100, compare=False)


@pytest.fixture(scope="module")
def digits():
    return load_data(SMALL)


def _member(run: VAESweepRun, m: int) -> vae.VAE:
    """Member m as a plain lab.variational.VAE."""
    g = run.groups[run.group[m]]
    c, model = run.configs[m], g.model.model
    net = vae.VAE(g.model.x.shape[2], c.latent, c.width, c.depth, model.likelihood)
    return model.member_state(int(np.flatnonzero(g.index == m)[0]), net)


def _max_diff(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return float(_diffs(a, b).max())


def _diffs(a: torch.nn.Module, b: torch.nn.Module) -> torch.Tensor:
    return torch.cat([(p - q).detach().abs().flatten() for p, q in zip(a.parameters(), b.parameters())])


def _same_weights(a: torch.nn.Module, b: torch.nn.Module, lr: float) -> bool:
    """Equal to 1e-5, but for at most 4 weights (of ~53,000), each within half an Adam step. Those few
    are weights whose gradient cancels to ~1e-9, below Adam's eps (1e-8): there g / (|g| + eps) is
    the float rounding itself, which differs between a batched and a plain matmul (measured: 1-2
    weights in 2 of 32 members off by 2e-5 and 8e-5 = 0.08 lr after 20 steps; the rest within 1e-6)."""
    d = _diffs(a, b)
    return int((d > 1e-5).sum()) <= 4 and float(d.max()) < 0.5 * lr


def _single(cfg: Cfg, data, steps: int) -> LatentVAERun:
    run = LatentVAERun(cfg, data)
    run.advance(steps)
    return run


def _check_members_are_single_runs(run: VAESweepRun, data, steps: int) -> None:
    """Every member's weights and logged numbers against its single run trained alone."""
    last, exact = run.latest(), 0
    for m, c in enumerate(run.configs):
        single = _single(c, data, steps)
        assert _same_weights(_member(run, m), single.model, c.lr), m
        exact += _max_diff(_member(run, m), single.model) < 1e-5
        # it trained: far from where it started, and from the other seed of its cell
        start = build_seeded(c.seed, lambda: vae.VAE(single.x.shape[1], c.latent, c.width, c.depth, single.likelihood))
        assert _max_diff(_member(run, m), start) > 1e-3, m
        h = single.history
        assert h["step"][-1] == last["step"] == steps
        assert last["elbo_test"][m] == pytest.approx(h["elbo_test"][-1], abs=1e-3)
        assert last["kl_test"][m] == pytest.approx(h["kl_test"][-1], abs=1e-3)
        assert last["recon_test"][m] == pytest.approx(h["recon_test"][-1], abs=1e-3)
        assert last["elbo_train"][m] == pytest.approx(h["elbo_train"][-1], abs=1e-3)
        assert last["active_units"][m] == single.metrics()["active_units"]
    assert exact >= 0.75 * run.members                                # most members: every weight to 1e-5
    assert _max_diff(_member(run, 0), _member(run, 1)) > 1e-2        # seeds 0 and 1 differ


def test_each_member_is_its_single_run(digits):
    """beta and the rate per member (one group), 20 steps: weights to 1e-5 and the logged numbers."""
    cfg = VAESweep.of(dataclasses.replace(SMALL, steps=20, warmup=10), {"beta": [0.5, 4.0], "lr": [1e-3, 3e-3]},
                      seeds=2)
    run = VAESweepRun(cfg, digits)
    assert run.members == 8 and len(run.groups) == 1 and run.streams == "member"
    run.advance(20)
    _check_members_are_single_runs(run, digits, 20)


def test_latent_sizes_make_groups_trained_at_one_step():
    """Two moons (Gaussian decoder, data drawn per seed): latent 1 and 3 are two groups, every member
    at the same step, each still its own single run."""
    base = dataclasses.replace(SMALL, data="toy2d", steps=20, lr=3e-3)
    run = VAESweepRun(VAESweep.of(base, {"latent": [1, 3], "beta": [0.5, 2.0]}, seeds=2))
    assert len(run.groups) == 2 and run.group.tolist() == [0, 0, 1, 1, 0, 0, 1, 1]
    assert [g.model.latent for g in run.groups] == [1, 3]
    run.advance(20)
    assert {g.model.step for g in run.groups} == {20} and run.step == 20
    assert run.snapshot()["ranges"]["active_units"] == (0, 3)
    _check_members_are_single_runs(run, None, 20)


def test_members_never_interact(digits):
    """Perturb member 2's weights: every other member trains bitwise as before, member 2 does not."""
    cfg = VAESweep.of(dataclasses.replace(SMALL, steps=10), {"beta": [0.5, 1.0, 4.0]}, seeds=2)
    a, b = VAESweepRun(cfg, digits), VAESweepRun(cfg, digits)
    with torch.no_grad():
        b.groups[0].model.model.encoder.weights[0][2] += 0.05
    a.advance(10)
    b.advance(10)
    for m in range(a.members):
        same = all(torch.equal(p, q) for p, q in zip(_member(a, m).parameters(), _member(b, m).parameters()))
        assert same == (m != 2), m
    la, lb = a.latest(), b.latest()
    others = np.arange(a.members) != 2
    assert np.array_equal(la["elbo_test"][others], lb["elbo_test"][others])
    assert la["elbo_test"][2] != lb["elbo_test"][2]


def test_retune_equals_the_single_run_retuned(digits):
    """A new rate, warm-up and batch in the base take effect in place, as LatentVAERun.retune does;
    beta on the axis stays each member's own; a shape key means a new sweep."""
    cfg = VAESweep.of(SMALL, {"beta": [0.5, 2.0]}, seeds=2)
    run = VAESweepRun(cfg, digits)
    run.advance(10)
    new = dataclasses.replace(cfg, lr=3e-3, warmup=30, batch=16, beta=8.0)
    assert run.retune(new) and run.step == 10
    assert [c.beta for c in run.configs] == [0.5, 0.5, 2.0, 2.0]
    run.advance(10)
    for m, c in enumerate(run.configs):
        single = _single(dataclasses.replace(c, lr=1e-3, warmup=0, batch=32), digits, 10)
        assert single.retune(c)
        single.advance(10)
        assert _same_weights(_member(run, m), single.model, c.lr), m
        unchanged = _single(dataclasses.replace(c, lr=1e-3, warmup=0, batch=32, steps=20), digits, 20)
        assert _max_diff(_member(run, m), unchanged.model) > 1e-3, m          # the retune mattered
    assert not run.retune(dataclasses.replace(new, width=64))
    assert not run.retune(dataclasses.replace(new, x="beta=1,2"))


def test_a_saved_sweep_resumes_bitwise(digits):
    """state_bytes -> lab.sweep.batched.load, mid-interval (pending train sums): the same numbers on."""
    cfg = VAESweep.of(SMALL, {"beta": [0.5, 2.0], "latent": [2, 3]}, seeds=2)
    a = VAESweepRun(cfg, digits)
    a.advance(7)
    b = batched.load(VAESweepRun, a.state_bytes(), dataset=digits)
    assert isinstance(b, VAESweepRun) and b.step == 7 and b.cfg == a.cfg and len(b.groups) == 2
    a.advance(13)
    b.advance(13)
    assert a.history == b.history and a.history["step"] == [0, 10, 20]
    for k in a.METRICS:
        assert np.array_equal(np.stack(a.trace[k]), np.stack(b.trace[k])), k
    for m in range(a.members):
        assert all(torch.equal(p, q) for p, q in zip(_member(a, m).parameters(), _member(b, m).parameters()))
    with pytest.raises(ConfigError, match="sweep_vae"):
        batched.load(VAESweepRun, LatentVAERun(SMALL, digits).state_bytes())


def test_cli_writes_members_summary_heatmap_and_cells(tmp_path, capsys):
    from lab.cli import main
    out = tmp_path / "vs"
    assert main(["sweep", "vae", "beta=0.5,1", "seeds=2", "steps=20", "--out", str(out), "--quiet"]) == 0
    with open(out / "members.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(float(r["beta"]), int(r["seed"])) for r in rows] == [(0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    assert all(-600 < float(r["elbo_test"]) < -100 and 0 <= int(r["active_units"]) <= 2 for r in rows)
    doc = json.loads((out / "summary.json").read_text())
    assert doc["experiment"] == "vae" and doc["members"] == 4 and doc["groups"] == 1 and doc["steps"] == 20
    assert [c["beta"] for c in doc["cells"]] == [0.5, 1.0]
    for c in doc["cells"]:
        assert c["elbo_test_mean"] == pytest.approx(c["recon_test_mean"] - c["kl_test_mean"], abs=1e-3)
        assert c["elbo_test_min"] <= c["elbo_test_mean"] <= c["elbo_test_max"]
    assert (out / "heatmap.html").stat().st_size > 1000
    same_cells_as_the_page(out, "vae", ["beta=0.5,1", "seeds=2", "steps=20"])
    capsys.readouterr()
    moons = tmp_path / "moons"
    assert main(["sweep", "vae", "beta=0.5,1", "data=toy2d", "steps=5", "--out", str(moons), "--quiet"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert notes == ["note: no cells.html: Every cell's samples at once are drawn for images; two moons are points: "
                     "pick a cell for its curves."]
    assert (moons / "heatmap.html").exists() and not (moons / "cells.html").exists()
    capsys.readouterr()
    assert main(["sweep", "vae", "betta=0.5,1", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "betta" in err[0]
    assert main(["sweep", "vae", "seed=0,1", "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert "seeds=K" in capsys.readouterr().err


def test_keys_that_cannot_vary_say_why_and_the_memory_refusal():
    for key in NOT_SWEPT:
        typ = type(getattr(SMALL, key))
        values = {bool: [False, True], str: ["a", "b"], int: [1, 2], float: [1.0, 2.0]}[typ]
        with pytest.raises(ConfigError, match=f"{key} cannot be swept"):
            VAESweep.of(SMALL, {key: values})
    with pytest.raises(ConfigError, match="unknown sweep key 'activation'"):
        VAESweep.of(SMALL, {"activation": ["relu", "tanh"]})
    with pytest.raises(ConfigError, match="more than"):
        VAESweepRun(VAESweep.of(SMALL, {"beta": [1.0, 2.0]}), memory_limit=10_000)


def test_every_lesson_builds_a_sweep_whose_members_open_as_single_runs():
    assert kinds.get("vae") is SWEEP and SWEEP.metric in VAESweepRun.METRICS
    assert SWEEP.run.config_class is SWEEP.config is VAESweep
    for name, lesson in PRESETS.items():
        cfg = from_strings(VAESweep, presets.strings(lesson))
        assert lesson.metric in VAESweepRun.METRICS, name
        assert 1 < cfg.n_members <= 64, name             # small enough for a live 2-core page
        members = cfg.members()
        assert len({(c.beta, c.latent, c.lr, c.seed) for c in members}) == len(members) == cfg.n_members
        for c in members:
            assert type(c) is Cfg and from_strings(Cfg, to_strings(c)) == c, name


def test_a_large_beta_pulls_the_posterior_onto_the_prior(digits):
    """Higgins et al.'s trade: beta 16 against beta 1 over 4 seeds (latent 4, 150 steps). Measured:
    KL 2.4-3.0 nats against 0.06-0.11, active units 4 of 4 against 0-3, test ELBO ~10 nats lower."""
    base = Cfg(width=32, latent=4, batch=64, steps=150, log_every=150, n_eval=200, compare=False, lr=3e-3)
    run = VAESweepRun(VAESweep.of(base, {"beta": [1.0, 16.0]}, seeds=4), digits)
    run.advance(150)
    last = {k: v.reshape(2, 4) for k, v in run.latest().items() if k != "step"}
    kl1, kl16 = last["kl_test"]
    assert np.all((1.0 < kl1) & (kl1 < 10.0)) and np.all((0.0 < kl16) & (kl16 < 0.5))
    t = stats.ttest_ind(kl1, kl16 + 1.0, equal_var=False, alternative="greater")   # by more than 1 nat
    assert t.pvalue < 0.01
    au1, au16 = last["active_units"]
    assert np.all(au1 == 4) and au16.mean() <= 3.0
    elbo1, elbo16 = last["elbo_test"]
    assert 5.0 < elbo1.mean() - elbo16.mean() < 30.0
    assert stats.ttest_ind(elbo1, elbo16, equal_var=False, alternative="greater").pvalue < 0.01


def test_the_shared_stream_is_reproducible_and_members_still_differ(digits):
    """streams=shared (CUDA's default): one generator for all members; not the single runs' numbers,
    but the same sweep twice, and members of one cell apart."""
    cfg = VAESweep.of(dataclasses.replace(SMALL, steps=10), {"beta": [0.5, 2.0]}, seeds=2, streams="shared")
    a, b = VAESweepRun(cfg, digits), VAESweepRun(cfg, digits)
    assert a.streams == "shared"
    a.advance(10)
    b.advance(10)
    for m in range(a.members):
        assert _max_diff(_member(a, m), _member(b, m)) == 0.0
    assert _max_diff(_member(a, 0), _member(a, 1)) > 1e-2
    assert _max_diff(_member(a, 0), _single(a.configs[0], digits, 10).model) > 1e-4     # not its single run
    assert np.all(np.isfinite(a.latest()["elbo_test"]))


def test_a_cells_figure_shows_each_seeds_prior_samples_as_its_single_run_decodes_them(digits):
    """The Sweep page's cell figure (SWEEP.cell_figures): per seed, the decoder means at the
    single run's own first fixed prior draws (LatentVAERun.comparison's samples), a row each;
    two moons (points, not images) have none."""
    cfg = VAESweep.of(dataclasses.replace(SMALL, steps=20), {"beta": [0.5, 4.0]}, seeds=2)
    run = VAESweepRun(cfg, digits)
    run.advance(20)
    snap = run.snapshot()
    assert snap["samples"].shape == (4, 8, 28, 28)
    for m, c in enumerate(run.configs):
        single = _single(c, digits, 20)
        np.testing.assert_allclose(snap["samples"][m], single.comparison()["samples"][:8], atol=1e-4)
    assert np.abs(snap["samples"][0] - snap["samples"][1]).max() > 0.05            # seeds differ
    (fig,) = SWEEP.cell_figures(snap, 1)
    assert fig.layout.title.text.startswith("beta=4") and list(fig.layout.yaxis.ticktext) == ["seed 0", "seed 1"]
    image = np.asarray(fig.data[0].z)
    assert image.shape == (2 * 30, 8 * 30, 3)
    ink = 255 * (1 - np.clip(snap["samples"][3][0], 0, 1))                          # seed 1's first sample
    np.testing.assert_allclose(image[31:59, 1:29, 0], ink.astype(np.uint8), atol=1)
    moons = VAESweepRun(VAESweep.of(dataclasses.replace(SMALL, data="toy2d"), {"beta": [1.0]}, seeds=1))
    assert "samples" not in moons.snapshot() and SWEEP.cell_figures(moons.snapshot(), 0) == []


def test_the_grid_figure_shows_every_cells_first_seeds_samples_in_its_tile(digits):
    """SWEEP.grid_figure: a tile per cell laid out as the heat map (first row at the bottom),
    in it the cell's first seed's first 4 prior samples 2 x 2 (the pictures the cell figure
    draws, checked there against the single run), ink dark on white. Two moons: a sentence."""
    cfg = VAESweep.of(dataclasses.replace(SMALL, steps=10), {"beta": [0.5, 4.0], "lr": [1e-3, 3e-3]}, seeds=2)
    run = VAESweepRun(cfg, digits)
    run.advance(10)
    snap = run.snapshot()
    fig = SWEEP.grid_figure(snap)
    assert len(fig.layout.shapes) == 4 and len(fig.layout.images) == 1
    assert [a.text for a in fig.layout.annotations] == ["0.5", "4", "0.001", "0.003", "beta", "lr"]
    assert "seed 0 of every cell" in fig.layout.title.text
    raw = base64.b64decode(fig.layout.images[0].source.split(",", 1)[1])
    rgba = np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"))
    px = 2 * 30                                                   # two 28 px digits, a 1 px margin each
    gap = round(TILE_GAP * px)
    assert rgba.shape == (2 * px + gap, 2 * px + gap, 4)
    for cell in range(4):
        iy, ix = divmod(cell, 2)
        top, left = (1 - iy) * (px + gap), ix * (px + gap)        # row 0 (lr 1e-3) at the bottom
        for k in range(4):
            r, c = divmod(k, 2)
            ink = (255 * (1 - np.clip(snap["samples"][2 * cell][k], 0, 1))).astype(np.uint8)
            tile = rgba[top + 30 * r + 1:top + 30 * r + 29, left + 30 * c + 1:left + 30 * c + 29]
            np.testing.assert_array_equal(tile[..., 0], ink)
            assert (tile[..., 3] == 255).all()
    assert (rgba[px:px + gap, :, 3] == 0).all()                   # the gap between rows is clear
    moons = VAESweepRun(VAESweep.of(dataclasses.replace(SMALL, data="toy2d"), {"beta": [1.0]}, seeds=1))
    assert "two moons" in SWEEP.grid_figure(moons.snapshot())
