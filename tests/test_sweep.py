"""The batched sweep (lab.sweep) against its references: a member *is* the single run of its
config and seed (lab.experiments.mode_collapse.ModeCollapseRun) to float rounding; members never
interact (bitwise); axes parse to numpy's geomspace / linspace; seed statistics equal numpy's;
the batched metrics equal the single-run metrics; a checkpoint resumes bitwise; the command line
writes its three files and speaks in one line when refused. Small default-size nets, 10-60 steps,
the CPU only."""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import statistics

import numpy as np
import pytest
import torch

from lab import checkpoint
from lab.cli import main as cli
from lab.config import ConfigError
from lab.data import toy2d
from lab.device import generator
from lab.experiments.mode_collapse import ModeCollapseConfig, ModeCollapseRun
from lab.experiments.mode_collapse import metrics as mode_metrics
from lab.nets import mlp
from lab.sweep import SweepConfig, SweepRun, heatmap, load
from lab.sweep import axes as ax
from lab.sweep import memory, optim, summary
from lab.sweep import metrics as sweep_metrics
from lab.sweep import run as sweep_run
from lab.sweep.cli import config_from_args
from cli_cells import same_cells_as_the_page

CPU = "cpu"
TOL = 1e-5                       # a member against its single run: float32 rounding, summed over steps


# ---- helpers ---------------------------------------------------------------------------------
def member_nets(run: SweepRun, i: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Member i's G and D as lab.nets.mlp modules (the single run's shapes), copied out of its group."""
    c = run.configs[i]
    g = run.groups[run.group[i]]
    j = int(np.flatnonzero(g.index == i)[0])
    layer = "sn" if c.train().constraint == "sn" else "plain"
    G = g.model.G.member_state(j, mlp(c.latent, 2, c.width, c.depth, c.activation))
    D = g.model.D.member_state(j, mlp(2 * c.pac, 1, c.width, c.depth, c.activation, layer))
    return G, D


def max_weight_diff(run: SweepRun, i: int, single: ModeCollapseRun) -> float:
    """Largest |difference| over every weight, bias (and spectral-norm vector) of G and D."""
    worst = 0.0
    for mine, theirs in zip(member_nets(run, i), (single.G, single.D)):
        a, b = mine.state_dict(), theirs.state_dict()
        assert a.keys() == b.keys()
        worst = max(worst, max((a[k] - b[k]).abs().max().item() for k in a))
    return worst


def weights(run: SweepRun, i: int) -> list[torch.Tensor]:
    return [t.clone() for net in member_nets(run, i) for t in net.state_dict().values()]


def trace(run: SweepRun, key: str, i: int) -> list:
    return [row[i] for row in run.trace[key]]


def assert_member_is_single_run(run: SweepRun, i: int, steps: int) -> None:
    """Member i after `steps` (the sweep already advanced) against a fresh single run of its config."""
    single = ModeCollapseRun(run.configs[i])
    single.advance(steps)
    assert single.step == run.step == steps
    worst = max_weight_diff(run, i, single)
    assert 0 <= worst <= TOL, (i, worst)
    assert run.history["step"] == single.history["step"]
    assert trace(run, "modes", i) == single.history["modes"]
    assert trace(run, "hq", i) == single.history["hq"]
    for key in ("d_loss", "g_loss"):
        mine, theirs = trace(run, key, i)[1:], single.history[key][1:]      # the first log has no losses
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=TOL)


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert text and "\n" not in text, text
    return text


# ---- a member is its single run ----------------------------------------------------------------
# Recipes whose D loss makes some gradients a pure float cancellation are trained with plain SGD
# (or the non-saturating loss) here, and the paper's optimiser elsewhere. Why: for the Wasserstein
# and hinge losses a hidden unit active on every real and fake row has a bias gradient that is 0 in
# exact arithmetic (mean over real of w minus mean over fake of w), so float32 gives ~+-1e-9 whose
# sign depends on the summation order, which differs between a batched and a single matmul.
# Adam's (or RMSProp's) normalised step lr g / (sqrt(v) + eps) turns that noise into a step of
# ~lr: measured 2e-3 (sngan, Adam), 2e-4 (wgan_gp, Adam betas (0, 0.9)), 1e-5 (wgan, RMSProp) after
# 40 steps. SGD's step lr g keeps it at ~lr * 1e-9, and the non-saturating loss has no exact
# cancellation, so these variants still run the batched penalty, clipping, spectral norm, RMSProp
# and Adam (0, 0.9) paths, to 1e-7.
# A second limit, of any ReLU net: once rounding has moved the two runs apart by ~1e-7, a
# pre-activation within ~1e-8 of 0 can be on in one and off in the other, and the gradient jumps
# by one sample's share (~1/128). Measured: ns, lsgan at lr_d in log:1e-4:1e-3:4 x 8 seeds, 3 of
# 64 members past 1e-5 within 40 steps (one flip at 3.7e-9 from 0 in D's second layer), metz and
# SGD 0 of 64. The cases here were checked flip-free for 40 steps on this build (smooth
# activations have no such flips: metz_silu).
EQUIVALENT = {
    "metz": dict(recipe="metz"),
    "ns": dict(recipe="ns"),
    "gan_minimax": dict(recipe="gan"),
    "lsgan": dict(recipe="lsgan"),
    "pac2_noise_annealed": dict(recipe="metz", pac=2, instance_noise=0.2, noise_anneal=30),
    "wgan_clip_sgd": dict(recipe="wgan", optimizer="sgd"),
    "wgan_clip_rmsprop_ns_loss": dict(recipe="wgan", objective="ns"),
    "wgan_gp_sgd": dict(recipe="wgan_gp", optimizer="sgd"),
    "wgan_gp_adam_ns_loss": dict(recipe="wgan_gp", objective="ns"),
    "sngan_sgd": dict(recipe="sngan", optimizer="sgd"),
    "sngan_adam_ns_loss": dict(recipe="sngan", objective="ns"),
    "metz_silu": dict(recipe="metz", activation="silu"),
    # Unrolled D (Metz et al. 2017): G's gradient through K differentiable steps of D's own
    # optimiser, per member: Adam, RMSProp with clipping, and with SGD (for the reason above) the
    # penalty's double backward and spectral norm's reused vectors; the penalty with Adam reached
    # 7e-5 by step 40. Measured here: 4e-8 to 1.2e-7.
    "metz_unroll2": dict(recipe="metz", unroll=2),
    "wgan_clip_rmsprop_ns_loss_unroll2": dict(recipe="wgan", objective="ns", unroll=2),
    "wgan_gp_sgd_unroll1": dict(recipe="wgan_gp", optimizer="sgd", unroll=1),
    "sngan_sgd_unroll2": dict(recipe="sngan", optimizer="sgd", unroll=2),
}


@pytest.mark.parametrize("name", list(EQUIVALENT))
def test_every_member_equals_its_single_run(name):
    base = ModeCollapseConfig(**EQUIVALENT[name], steps=40, eval_every=20)
    lr = base.train().lr_d
    cfg = SweepConfig.of(base, {"lr_d": [lr, 2 * lr]}, seeds=2)
    run = SweepRun(cfg, device=CPU)
    assert (run.members, len(run.groups), run.streams) == (4, 1, "member")
    run.advance(40)
    for i in range(run.members):
        assert_member_is_single_run(run, i, 40)
    # and the members did train apart (so equality above is not four copies of one run)
    w = [weights(run, i) for i in range(4)]
    assert all(not all(torch.equal(a, b) for a, b in zip(w[0], w[i])) for i in (1, 2, 3))


def test_sngan_with_adam_differs_only_where_the_gradient_is_float_noise():
    """Why the table above trains SN-GAN with SGD, checked: after one step of the paper's Adam,
    every element of D where the member and its single run differ by more than 1e-6 has a
    single-run gradient below 1e-7 (a cancellation amplified by Adam, by at most ~2 lr); a bug in
    the batched maths would show where the gradient is real. G is unaffected (to 1e-5)."""
    base = ModeCollapseConfig(recipe="sngan", steps=1, eval_every=1)
    run = SweepRun(SweepConfig.of(base, seeds=2), device=CPU)
    run.advance(1)
    lr = base.train().lr_d
    for i in range(2):
        single = ModeCollapseRun(run.configs[i])
        single.advance(1)
        G, D = member_nets(run, i)
        mine = dict(D.named_parameters())
        for name, p in single.D.named_parameters():
            off = (mine[name] - p).abs()
            assert off.max().item() <= 2.1 * lr, name
            assert (p.grad.abs()[off > 1e-6] < 1e-7).all(), (name, p.grad[off > 1e-6])
        assert max((a - b).abs().max().item() for a, b in zip(G.state_dict().values(),
                                                               single.G.state_dict().values())) <= TOL


# ---- the batched optimisers are torch's, per member --------------------------------------------
@pytest.mark.parametrize("kind, betas", [("adam", (0.5, 0.999)), ("adam", (0.0, 0.9)), ("rmsprop", None),
                                         ("sgd", None)])
def test_batched_optimiser_equals_torch_per_member(kind, betas):
    """Three members with their own rates and betas, five steps on generic gradients (no
    cancellation), against lab.gan.recipes.make_optimizer (fused Adam, RMSProp, SGD) per member."""
    from lab.gan import recipes
    lrs = [1e-3, 3e-4, 2e-2]
    b1s = [betas[0] if betas else 0.5, 0.3, 0.9]
    b2s = [betas[1] if betas else 0.999, 0.99, 0.95]
    rng = torch.Generator().manual_seed(4)
    start = [torch.randn(3, 5, 4, generator=rng), torch.randn(3, 1, 4, generator=rng)]    # weight, bias
    grads = [[torch.randn_like(p) for p in start] for _ in range(5)]
    f64 = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    batched = optim.make(kind, [p.clone() for p in start], f64(lrs), f64(b1s), f64(b2s))
    for g in grads:
        batched.step(g)
    for m in range(3):
        ps = [torch.nn.Parameter(p[m].clone()) for p in start]
        opt = recipes.make_optimizer(kind, ps, lrs[m], (b1s[m], b2s[m]))
        for g in grads:
            for p, gm in zip(ps, g):
                p.grad = gm[m].clone()
            opt.step()
        for p, mine in zip(ps, batched.params):
            np.testing.assert_allclose(mine[m].numpy(), p.detach().numpy(), rtol=0, atol=1e-6)
    moved = min((a - b).abs().max().item() for a, b in zip(batched.params, start))
    assert moved > 1e-3            # the steps did move the weights


# ---- members never interact ----------------------------------------------------------------------
def _perturb(run: SweepRun, j: int, how: str) -> None:
    gan = run.groups[0].model
    with torch.no_grad():
        if how == "weights":
            gan.D.weights[0][j] += 0.05
            gan.G.biases[-1][j] -= 0.1
        elif how == "lr":
            gan.hp["lr_d"][j] *= 10            # the optimiser holds this very tensor
            gan.hp["lr_g"][j] *= 10
        elif how == "noise":
            gan.noise0[j] = 0.3                # member j now draws instance noise, the others do not
        elif how == "nan":
            gan.G.weights[0][j].fill_(float("nan"))


@pytest.mark.parametrize("streams", ["member", "shared"])
@pytest.mark.parametrize("how", ["weights", "lr", "noise", "nan"])
def test_perturbing_one_member_leaves_the_others_bitwise_unchanged(streams, how):
    base = ModeCollapseConfig(recipe="wgan_gp", steps=30, eval_every=5)      # penalty: a second backward
    cfg = SweepConfig.of(base, {"lr_d": [1e-4, 3e-4]}, seeds=2, streams=streams)
    plain, poked = SweepRun(cfg, device=CPU), SweepRun(cfg, device=CPU)
    j = 2
    _perturb(poked, j, how)
    plain.advance(6)
    poked.advance(6)
    assert not all(torch.equal(a, b) for a, b in zip(weights(plain, j), weights(poked, j)))
    for i in (0, 1, 3):
        assert all(torch.equal(a, b) for a, b in zip(weights(plain, i), weights(poked, i))), (i, how)
        for key in SweepRun.METRICS:
            np.testing.assert_array_equal(trace(plain, key, i), trace(poked, key, i), err_msg=f"{i} {key}")


def test_shared_streams_reproduce_and_differ_from_member_streams():
    base = ModeCollapseConfig(steps=20, eval_every=10)
    runs = [SweepRun(SweepConfig.of(base, seeds=3, streams=s), device=CPU) for s in ("shared", "shared", "member")]
    for r in runs:
        r.advance(10)
    for i in range(3):
        assert all(torch.equal(a, b) for a, b in zip(weights(runs[0], i), weights(runs[1], i)))
        assert not torch.equal(weights(runs[0], i)[0], weights(runs[2], i)[0])
    # the initial weights are still each seed's (only the draws are shared): the same net at step 0
    fresh = SweepRun(SweepConfig.of(base, seeds=3, streams="shared"), device=CPU)
    for i, c in enumerate(fresh.configs):
        assert max_weight_diff(fresh, i, ModeCollapseRun(c)) == 0


# ---- groups ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis, groups", [({"pac": [1, 2]}, 2), ({"recipe": ["metz", "wgan_gp"]}, 2),
                                          ({"lr_d": [1e-4, 1e-3], "width": [32, 64]}, 2), ({"unroll": [0, 2]}, 2)])
def test_structural_axes_make_groups_each_equal_to_its_single_runs(axis, groups):
    # objective=ns: wgan_gp's own Wasserstein loss with Adam (0, 0.9) cancels (see EQUIVALENT)
    base = ModeCollapseConfig(objective="ns", steps=30, eval_every=10)
    run = SweepRun(SweepConfig.of(base, axis, seeds=2), device=CPU)
    assert len(run.groups) == groups
    assert sorted(np.concatenate([g.index for g in run.groups]).tolist()) == list(range(run.members))
    run.advance(30)
    assert {g.model.step for g in run.groups} == {30}
    for i in range(run.members):
        assert_member_is_single_run(run, i, 30)


# ---- axes -----------------------------------------------------------------------------------------
def test_value_lists_are_typed_and_kept_in_order():
    a = ax.parse(SweepConfig, "lr_d=1e-3, 1e-4,3e-4")
    assert (a.key, a.values) == ("lr_d", (1e-3, 1e-4, 3e-4)) and a.key in SweepConfig.per_member
    b = ax.parse(SweepConfig, "recipe=ns,wgan_gp")
    assert b.values == ("ns", "wgan_gp") and b.key in SweepConfig.per_group
    assert ax.parse(SweepConfig, "pac=1,2,4").values == (1, 2, 4)
    assert ax.parse(SweepConfig, a.text()) == a


@pytest.mark.parametrize("text, ref", [
    ("lr_d=log:1e-4:1e-2:5", np.geomspace(1e-4, 1e-2, 5)),
    ("lr_g=log:3e-5:7e-3:7", np.geomspace(3e-5, 7e-3, 7)),
    ("instance_noise=lin:0:0.5:6", np.linspace(0, 0.5, 6)),
    ("beta1=lin:0.9:0.1:4", np.linspace(0.9, 0.1, 4)),
    ("lr_d=log:1e-2:1e-4:3", np.geomspace(1e-2, 1e-4, 3)),
])
def test_ranges_are_numpys_to_six_significant_digits(text, ref):
    values = np.asarray(ax.parse(SweepConfig, text).values)
    assert len(values) == len(ref)
    np.testing.assert_allclose(values, ref, rtol=5e-6, atol=1e-15)
    assert all(float(f"{v:.6g}") == v for v in values)           # no more than 6 digits


@pytest.mark.parametrize("text, ref", [("width=lin:10:20:4", [10, 13, 17, 20]),
                                       ("batch=log:64:1024:3", [64, 256, 1024]),
                                       ("d_steps=lin:1:5:3", [1, 3, 5])])
def test_int_keys_round_to_whole_numbers(text, ref):
    values = ax.parse(SweepConfig, text).values
    assert list(values) == ref and all(type(v) is int for v in values)


@pytest.mark.parametrize("text, needle", [
    ("nope=1,2", "unknown sweep key 'nope'"),
    ("csv_path=a,b", "unknown sweep key 'csv_path'"),
    ("seed=0,1", "seed cannot be swept: give seeds=K"),
    ("steps=10,20", "steps cannot be swept"),
    ("unroll=1,40", "unroll=40 is out of range"),
    ("eval_every=5,10", "eval_every cannot be swept"),
    ("lr_d=1e-4,1e-4", "gives the value 0.0001 twice"),
    ("lr_d=1e-4,0.0001", "gives the value 0.0001 twice"),
    ("d_steps=lin:1:2:4", "gives the value 1 twice"),
    ("lr_d=1e-4,,1e-3", "an empty value in the list"),
    ("lr_d=", "an empty value in the list"),
    ("lr_d=log:1e-4:1e-2:0", "the count must be a whole number from 1 to 64"),
    ("lr_d=log:1e-4:1e-2:65", "the count must be a whole number from 1 to 64"),
    ("lr_d=log:1e-4:1e-2:2.5", "the count must be a whole number from 1 to 64"),
    ("lr_d=log:0:1e-2:3", "a log range needs two positive ends"),
    ("lr_d=log:1e-4:-1:3", "a log range needs two positive ends"),
    ("lr_d=lin:a:1:3", "a range is lin:LOW:HIGH:COUNT with numbers"),
    ("lr_d=lin:0:inf:3", "the ends of a range must be finite numbers"),
    ("lr_d=" + ",".join(f"{k + 1}e-5" for k in range(65)), "an axis takes 1 to 64 values, not 65"),
    ("lr_d=1e-4,2.0", "lr_d=2.0 is out of range"),
    ("instance_noise=lin:0:6:3", "instance_noise=6.0 is out of range"),
    ("pac=1,9", "pac=9 is out of range"),
    ("recipe=ns,biggan", "recipe='biggan' is not one of"),
    ("lr_d", "is not key=values"),
])
def test_bad_axes_are_one_line_config_errors(text, needle):
    with pytest.raises(ConfigError) as err:
        ax.parse(SweepConfig, text, ModeCollapseConfig())
    assert needle in one_line(err)


@pytest.mark.parametrize("build, needle", [
    (lambda: SweepConfig(x="lr_d=1e-4,1e-3", y="lr_d=1e-2,1e-1"), "x and y both sweep lr_d"),
    (lambda: SweepConfig.of(ModeCollapseConfig(), {"lr_d": [1e-4, 1e-3], "lr_g": [1e-4, 1e-3], "beta1": [0.1, 0.5]}),
     "at most two axes"),
    (lambda: SweepConfig(x="pac=1,3", batch=128), "batch=128 must be a multiple of pac=3"),
    (lambda: SweepConfig(seeds=0), "seeds=0 is out of range"),
    (lambda: SweepConfig(seeds=33), "seeds=33 is out of range"),
    (lambda: SweepConfig(seed=2**31 - 2, seeds=3), "seed=2147483648 is out of range"),
    (lambda: SweepConfig(streams="gpu"), "streams='gpu' is not one of"),
])
def test_bad_sweep_configs_are_one_line_config_errors(build, needle):
    """Rules between keys hold for every cell (pac against batch) and for the last seed (its bound)."""
    with pytest.raises(ConfigError) as err:
        build()
    assert needle in one_line(err)


# ---- member order ---------------------------------------------------------------------------------
def test_members_are_cell_major_with_seeds_innermost():
    base = ModeCollapseConfig(seed=7, recipe="ns")
    cfg = SweepConfig.of(base, {"lr_d": [1e-4, 2e-4, 3e-4], "instance_noise": [0.0, 0.1]}, seeds=2)
    nx, ny, seeds = 3, 2, 2
    assert cfg.shape() == (ny, nx) and cfg.n_members == 12
    xs, ys = [1e-4, 2e-4, 3e-4], [0.0, 0.1]
    members = cfg.members()
    assert len(members) == 12
    for iy in range(ny):
        for ix in range(nx):
            for s in range(seeds):
                c = members[(iy * nx + ix) * seeds + s]
                assert (c.lr_d, c.instance_noise, c.seed) == (xs[ix], ys[iy], 7 + s)
                assert type(c) is ModeCollapseConfig and c.recipe == "ns" and c.lr_g is None
    assert cfg.cells()[nx + 1] == {"instance_noise": 0.1, "lr_d": 2e-4}
    run = SweepRun(dataclasses.replace(cfg, steps=1), device=CPU)
    assert run.cell.tolist() == [c for c in range(6) for _ in range(seeds)]
    assert run.seed.tolist() == [7, 8] * 6
    rows = run.member_metrics()
    assert [(r["member"], r["cell"], r["lr_d"], r["seed"]) for r in rows[5:7]] == [(5, 2, 3e-4, 8), (6, 3, 1e-4, 7)]


def test_no_axis_is_one_cell_of_seeds():
    cfg = SweepConfig.of(ModeCollapseConfig(), seeds=4)
    assert (cfg.shape(), cfg.n_members, cfg.cells()) == ((1, 1), 4, [{}])
    assert [c.seed for c in cfg.members()] == [0, 1, 2, 3]


# ---- seed statistics and the heat map ------------------------------------------------------------
def _reference_stats(values, rows, cols, seeds):
    """Per cell, by the member order's formula and the statistics module (population std)."""
    out = {k: np.empty((rows, cols)) for k in summary.STATS}
    for iy in range(rows):
        for ix in range(cols):
            v = [float(values[(iy * cols + ix) * seeds + s]) for s in range(seeds)]
            out["mean"][iy, ix], out["std"][iy, ix] = statistics.fmean(v), statistics.pstdev(v)
            out["min"][iy, ix], out["max"][iy, ix] = min(v), max(v)
    return out


def test_cell_stats_equal_the_statistics_module():
    rows, cols, seeds = 2, 3, 4
    values = np.random.default_rng(0).normal(size=rows * cols * seeds) * 3 + 1
    got = summary.cell_stats(values, (rows, cols), seeds)
    ref = _reference_stats(values, rows, cols, seeds)
    for k in summary.STATS:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=1e-14)
    assert got["values"][1, 2].tolist() == values[20:24].tolist()
    one = summary.cell_stats(values[:6], (2, 3), 1)
    assert np.all(one["std"] == 0) and one["mean"].ravel().tolist() == values[:6].tolist()


def test_cells_rows_carry_axis_values_and_every_stat():
    axes = [ax.Axis("lr_d", (1e-4, 1e-3)), ax.Axis("pac", (1, 2, 4))]
    rows, cols, seeds = 3, 2, 2
    m = rows * cols * seeds
    rkl = np.linspace(0.1, 1.2, m)
    rkl[5] = np.inf                                   # member 5: cell 2, no high-quality sample
    metrics = {"modes": np.arange(m) % 9, "hq": np.linspace(0, 1, m), "reverse_kl": rkl}
    out = summary.cells(metrics, axes, (rows, cols), seeds)
    assert len(out) == 6
    assert [(r["lr_d"], r["pac"]) for r in out] == [(x, y) for y in (1, 2, 4) for x in (1e-4, 1e-3)]
    for key in summary.METRICS:
        ref = _reference_stats(np.where(np.isinf(metrics[key]), 0, metrics[key]), rows, cols, seeds)
        for c, row in enumerate(out):
            assert set(row) >= {f"{key}_{s}" for s in summary.STATS}
            if key == "reverse_kl" and c == 2:
                assert row["reverse_kl_mean"] == row["reverse_kl_max"] == math.inf
                assert row["reverse_kl_min"] == rkl[4]
                continue
            for s in summary.STATS:
                assert row[f"{key}_{s}"] == pytest.approx(ref[s].ravel()[c], rel=1e-12, abs=1e-14)


@pytest.fixture(scope="module")
def grid_snapshot():
    """A real 2 x 3 sweep's snapshot (2 seeds) at step 0, with hand-made metrics put in."""
    cfg = SweepConfig.of(ModeCollapseConfig(steps=5, eval_every=5),
                         {"lr_d": [1e-4, 3e-4, 1e-3], "lr_g": [1e-4, 1e-3]}, seeds=2)
    snap = SweepRun(cfg, device=CPU).snapshot()
    m = snap["members"]
    snap["metrics"]["modes"] = np.asarray([3, 5, 0, 8, 2, 2, 7, 6, 1, 4, 8, 8], dtype=float)
    snap["metrics"]["hq"] = np.linspace(0.05, 0.95, m)
    rkl = np.linspace(0.1, 1.5, m)
    rkl[[2, 3]] = np.inf                           # both seeds of cell 1: no high-quality sample
    snap["metrics"]["reverse_kl"] = rkl
    return snap


def test_snapshot_is_member_shaped(grid_snapshot):
    s = grid_snapshot
    assert (s["members"], s["shape"], s["seeds"], s["step"]) == (12, (2, 3), 2, 0)
    assert s["samples"].shape == (12, sweep_run.N_SHOWN, 2) and np.isfinite(s["samples"]).all()
    assert s["trace"]["modes"].shape == (1, 12) and s["seed"].tolist() == [0, 1] * 6
    assert [a["key"] for a in s["axes"]] == ["lr_d", "lr_g"] and s["axes"][0]["labels"] == ["0.0001", "0.0003", "0.001"]


def test_heatmap_shows_cell_means_every_seed_and_fixed_bounds(grid_snapshot):
    snap = grid_snapshot
    fig = heatmap(snap, "modes")
    h = fig.data[0]
    modes = snap["metrics"]["modes"]
    ref = _reference_stats(modes, 2, 3, 2)
    np.testing.assert_allclose(np.asarray(h.z, dtype=float), ref["mean"], rtol=1e-12, atol=0)
    assert (h.zmin, h.zmax) == (0, 8)
    assert list(h.x) == ["0.0001", "0.0003", "0.001"] and list(h.y) == ["0.0001", "0.001"]
    for iy in range(2):
        for ix in range(3):
            text = h.text[iy][ix]
            assert f"lr_d={h.x[ix]}, lr_g={h.y[iy]}" in text
            for s in range(2):
                v = modes[(iy * 3 + ix) * 2 + s]
                assert f"seed {s}: {v:.3g}" in text
            assert f"mean {ref['mean'][iy, ix]:.3g}, std {ref['std'][iy, ix]:.3g}" in text
    hq = heatmap(snap, "hq").data[0]
    assert (hq.zmin, hq.zmax) == (0, 1)
    kl = heatmap(snap, "reverse_kl").data[0]
    assert kl.zmin == 0 and kl.zmax == pytest.approx(math.log(8), rel=1e-12)
    z = np.asarray(kl.z, dtype=float)
    assert np.isnan(z[0, 1]) and np.isfinite(np.delete(z.ravel(), 1)).all()      # an all-inf cell is blank
    assert "seed 0: inf" in kl.text[0][1]
    loss = heatmap(snap, "d_loss").data[0]
    assert loss.zmin is None and loss.zmax is None                                # no fixed bounds for a loss


# ---- memory -----------------------------------------------------------------------------------------
def test_memory_grows_linearly_and_refuses_in_one_line():
    c = ModeCollapseConfig()
    one = memory.bytes_per_member(c)
    assert 1.0e6 <= one <= 2.0e6                       # the docstring's ~1.5 MB a default member
    assert memory.check([c, c], torch.device(CPU), limit=10**12) == 2 * one
    assert memory.check([c] * 32, torch.device(CPU), limit=10**12) == 32 * one
    assert memory.bytes_per_member(dataclasses.replace(c, width=128)) > one
    assert memory.bytes_per_member(dataclasses.replace(c, recipe="wgan_gp")) > one      # double backward
    need = 4 * one
    assert memory.check([c] * 4, torch.device(CPU), limit=need) == need                 # exactly fits
    with pytest.raises(ConfigError) as err:
        memory.check([c] * 4, torch.device(CPU), limit=need - 1)
    text = one_line(err)
    assert text.startswith("4 members need about") and "the limit given" in text
    cfg = SweepConfig.of(c, {"lr_d": [1e-4, 1e-3]}, seeds=2)
    with pytest.raises(ConfigError) as err:
        SweepRun(cfg, device=CPU, memory_limit=need - 1)
    assert "4 members need about" in one_line(err)
    assert SweepRun(cfg, device=CPU, memory_limit=need).estimate == need


# ---- retuning a live key -----------------------------------------------------------------------------
def test_retuning_the_base_reaches_members_without_that_axis_like_a_retuned_single_run():
    base = ModeCollapseConfig(recipe="metz", steps=40, eval_every=10)
    cfg = SweepConfig.of(base, {"lr_g": [1e-3, 2e-3]}, seeds=2)
    run = SweepRun(cfg, device=CPU)
    run.advance(15)
    new = dataclasses.replace(cfg, lr_d=3e-4, lr_g=5e-4, instance_noise=0.1, noise_anneal=40)
    assert run.retune(new) is True and run.cfg == new
    assert [c.lr_g for c in run.configs] == [1e-3, 1e-3, 2e-3, 2e-3]         # the axis still sets lr_g
    assert {c.lr_d for c in run.configs} == {3e-4}
    run.advance(15)
    for i, c in enumerate(cfg.members()):
        single = ModeCollapseRun(c)
        single.advance(15)
        assert single.retune(dataclasses.replace(c, lr_d=3e-4, instance_noise=0.1, noise_anneal=40))
        single.advance(15)
        assert 0 <= max_weight_diff(run, i, single) <= TOL
        assert trace(run, "modes", i) == single.history["modes"]
    # a structural key is not live: a new run, not a retune
    assert run.retune(dataclasses.replace(new, pac=2)) is False


# ---- checkpoints -------------------------------------------------------------------------------------
@pytest.mark.parametrize("streams", ["member", "shared"])
def test_checkpoint_resumes_bitwise(streams):
    base = ModeCollapseConfig(steps=45, eval_every=7, instance_noise=0.1, noise_anneal=40)
    cfg = SweepConfig.of(base, {"lr_d": [1e-4, 2e-4], "pac": [1, 2]}, seeds=2, streams=streams)
    whole = SweepRun(cfg, device=CPU)
    whole.advance(45)
    part = SweepRun(cfg, device=CPU)
    part.advance(39)                       # mid real-data bank (32 batches), mid eval interval, losses summed
    resumed = load(part.state_bytes(), device=CPU)
    assert resumed.step == 39 and resumed.history["step"] == part.history["step"]
    resumed.advance(6)
    assert resumed.history["step"] == whole.history["step"]
    for key in SweepRun.METRICS:
        np.testing.assert_array_equal(np.stack(resumed.trace[key]), np.stack(whole.trace[key]))
    for i in range(whole.members):
        assert all(torch.equal(a, b) for a, b in zip(weights(resumed, i), weights(whole, i))), i
    np.testing.assert_equal(resumed.metrics(), whole.metrics())          # NaN (std of inf) = NaN


def test_garbage_and_foreign_checkpoints_are_refused():
    with pytest.raises(checkpoint.CheckpointError) as err:
        load(b"not a checkpoint at all", device=CPU)
    one_line(err)
    single = ModeCollapseRun(ModeCollapseConfig(steps=2))
    with pytest.raises(checkpoint.CheckpointError) as err:
        load(single.state_bytes(), device=CPU)
    assert "not 'sweep'" in one_line(err)


# ---- the batched metrics ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ring8", "grid25", "ring8_pacgan", "spiral", "csv"])
def test_batched_metrics_equal_the_single_run_metrics(name):
    pts = toy2d.make("grid25").sample(400, generator(9)).numpy() if name == "csv" else None
    data = toy2d.make(name, pts, k=6)
    if name == "spiral":
        assert type(data).assign is not toy2d.Toy2D.assign          # the arc-piece path
    gen = generator(5)
    m, n = 6, 500
    real = data.sample(m * n, gen).reshape(m, n, 2)
    spread = torch.tensor([0.5, 1, 2, 4, 8, 30.0])[:, None, None]     # from all-HQ to almost none
    centre = torch.as_tensor(data.centres[1], dtype=torch.float32)
    samples = real + (spread - 0.5) * data.std * torch.randn(m, n, 2, generator=gen)
    samples[3] = centre + 0.1 * data.std * torch.randn(n, 2, generator=gen)   # collapsed onto one mode
    samples[4, :7] = float("nan")
    samples[4, 7:9] = float("inf")
    samples[5] = 1e3                                                      # no HQ sample at all: inf KL
    got = sweep_metrics.evaluate(samples, data)
    for i in range(m):
        ref = mode_metrics.evaluate(samples[i].numpy(), data)
        assert int(got["modes"][i]) == ref["modes"]
        assert got["counts"][i].tolist() == ref["counts"].tolist()
        assert got["hq"][i] == pytest.approx(ref["hq"], rel=1e-12, abs=0)
        if math.isinf(ref["reverse_kl"]):
            assert math.isinf(got["reverse_kl"][i])
        else:
            assert got["reverse_kl"][i] == pytest.approx(ref["reverse_kl"], rel=1e-9, abs=1e-12)
    assert got["modes"][3] == 1 and got["hq"][5] == 0 and math.isinf(got["reverse_kl"][5])
    assert got["modes"][0] == data.n_modes


def test_batched_metrics_chunked_equal_unchunked(monkeypatch):
    data = toy2d.make("grid25")
    x = data.sample(8 * 300, generator(2)).reshape(8, 300, 2) * 1.3
    whole = sweep_metrics.evaluate(x, data)
    monkeypatch.setattr(sweep_metrics, "CHUNK", 300 * 25 * 3)       # three members at a time
    parts = sweep_metrics.evaluate(x, data)
    for k in ("modes", "hq", "reverse_kl", "counts"):
        np.testing.assert_array_equal(parts[k], whole[k])


# ---- the command line ---------------------------------------------------------------------------
ARGS = ["lr_d=1e-4,1e-3", "seeds=2", "steps=40", "eval_every=20"]


def test_cli_writes_members_summary_heatmap_and_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_run, "default_device", lambda: torch.device(CPU))     # as on a CPU machine
    out = tmp_path / "sweep"
    assert cli(["sweep", "mode_collapse", *ARGS, "--out", str(out), "--quiet"]) == 0
    with open(out / "members.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4
    keys = {f.name for f in dataclasses.fields(ModeCollapseConfig)}
    assert keys | {"seed", "modes", "hq", "reverse_kl", "d_loss", "g_loss", "member", "cell"} <= set(rows[0])
    cfg, _ = config_from_args("mode_collapse", ARGS)
    ref = SweepRun(cfg, device=CPU)
    ref.advance(40)
    for row, want in zip(rows, ref.member_metrics()):
        assert int(row["member"]) == want["member"] and int(row["seed"]) == want["seed"]
        assert float(row["lr_d"]) == want["lr_d"] and row["recipe"] == want["recipe"] == "metz"
        assert float(row["lr_g"]) == want["lr_g"] == 1e-3                               # the recipe's, resolved
        assert int(row["modes"]) == want["modes"] and float(row["hq"]) == want["hq"]
        assert float(row["reverse_kl"]) == want["reverse_kl"]                            # "inf" reads back as inf
        for k in ("d_loss", "g_loss"):
            assert float(row[k]) == pytest.approx(want[k], rel=1e-12, abs=0)
    assert [int(r["seed"]) for r in rows] == [0, 1, 0, 1]
    assert [float(r["lr_d"]) for r in rows] == [1e-4, 1e-4, 1e-3, 1e-3]
    doc = json.loads((out / "summary.json").read_text())
    assert (doc["members"], doc["seeds"], doc["steps"], doc["processes"]) == (4, 2, 40, 1)
    assert doc["axes"] == [{"key": "lr_d", "values": [1e-4, 1e-3]}]
    assert len(doc["cells"]) == 2
    for cell, want in zip(doc["cells"], ref.metrics()["cells"]):
        for k in ("modes_mean", "modes_std", "hq_mean", "hq_std"):
            assert cell[k] == pytest.approx(want[k], rel=1e-12, abs=0)
    html = (out / "heatmap.html").read_text()
    assert "Heatmap" in html or "heatmap" in html
    assert (out / "plotly.min.js").exists()
    same_cells_as_the_page(out, "mode_collapse", ARGS)    # every cell's samples, as on the page


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("argv, needle", [
    (["nope", "lr_d=1e-4,1e-3"], "experiment 'nope' cannot be swept; sweeps exist for: mode_collapse"),
    (["mode_collapse", "nope=1,2"], "unknown key 'nope'"),
    (["mode_collapse", "lr_d=1e-4,1e-3", "lr_g=1e-4,1e-3", "beta1=0.1,0.5"], "at most two axes"),
    (["mode_collapse", "unroll=1,99"], "unroll=99 is out of range"),
    (["mode_collapse", "seeds=0"], "seeds=0 is out of range"),
    (["mode_collapse", "seeds=33"], "seeds=33 is out of range"),
    (["mode_collapse", "seed=1,2"], "seed cannot be swept"),
    (["mode_collapse", "lr_d=log:0:1:3"], "a log range needs two positive ends"),
    (["mode_collapse", "lr_d=1e-4,1e-3", "x=lr_g=1e-4,1e-3"], "x= and a list of values both give axis x"),
])
def test_cli_refusals_are_one_line_and_exit_2(argv, needle, tmp_path, capsys):
    out = tmp_path / "x"
    assert cli(["sweep", *argv, "--out", str(out), "--quiet"]) == 2
    assert needle in _one_error_line(capsys)
    assert not out.exists()
