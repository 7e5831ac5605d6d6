"""The discriminator experiment's sweep: many Ds and critics against one frozen p_G at once, for
phase diagrams such as "W1 estimate vs lambda or clip c" and "sup |D - D*| vs width".

    DiscriminatorSweep      a DiscriminatorConfig with the sweep keys (lab.sweep.config.SweepFields)
    DiscriminatorSweepRun   every member trained as in DiscriminatorRun (lab.experiments.
                            discriminator.batched) and measured as its metrics() measures it
    PRESETS, SWEEP          the lessons, and the entry in lab.sweep.kinds (its figures:
                            lab.experiments.discriminator.sweep_figures)

    run = DiscriminatorSweepRun(DiscriminatorSweep.of(DiscriminatorConfig(constraint="gp"),
                                                      {"gp_lambda": [0.1, 1, 10]}, seeds=4))
    run.advance(1000); run.metrics(); run.member_metrics(); run.configs[m]   # a DiscriminatorConfig

Each group's measurements reuse its single run's own pieces: a DiscriminatorRun of the group's
first member supplies the exact divergences, the plotting and dense grids, the objective's
optimum and the support where sup |D - optimum| is read; each member is scored on the evaluation
samples its single run draws (generator(seed + 10,007)), so a member's numbers are its single
run's up to float rounding.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from lab.config import opt, spec
from lab.device import generator
from lab.experiments.discriminator.batched import BatchedDiscriminators, structure
from lab.experiments.discriminator.config import DiscriminatorConfig
from lab.experiments.discriminator.run import N_EVAL, DiscriminatorRun
from lab.experiments.discriminator.sweep_figures import cell_d, grid_d
from lab.gan import objectives
from lab.sweep import streams as rs
from lab.sweep.batched import BatchedRun, Group
from lab.sweep.config import SweepFields
from lab.sweep.kinds import SweepKind
from lab.sweep.presets import Preset

Tensor = torch.Tensor
EVAL_NUMBERS = 1 << 24     # activations per evaluation chunk (members x samples x width)
SAFETY = 2.0               # lab.sweep.memory's factor for temporaries
HEAT_SIDE = 24             # a 2-D member's D on this many points a side: a tile of the grid figure

PER_MEMBER = ("lr_d", "clip", "gp_lambda", "gp_warmup")
PER_GROUP = ("constraint", "objective", "width", "depth", "activation", "batch", "dim", "real", "fake")
NOT_SWEPT = {
    "seed": "give seeds=K instead (each cell trains seeds seed, seed+1, ..., seed+K-1)",
    "steps": "the whole sweep trains one budget of steps",
    "n_samples": "the samples a picture shows; one sweep scores every member on the same number of them",
}


def _drawn(name: str, group: str, label: str = ""):
    """DiscriminatorConfig's field `name` under a heading the Sweep page draws (its page lays
    these keys out by hand, so they have none there)."""
    f = DiscriminatorConfig.__dataclass_fields__[name]
    s = spec(DiscriminatorConfig, name)
    return dataclasses.field(default=f.default, metadata={"spec": dataclasses.replace(
        s, group=group, label=label or s.label)})


@dataclass(frozen=True)
class DiscriminatorSweep(SweepFields, DiscriminatorConfig):
    """The discriminator sweep: a base DiscriminatorConfig, one or two axes, seeds per cell.
    Per member (one tensor entry each, so different values train in one batched model): the
    learning rate, the clip bound, the penalty weight and its warm-up. Per group (shapes or code
    paths): constraint, loss, sizes, activation, batch and the distributions."""
    dim: int = _drawn("dim", "Data", "Dimension")
    constraint: str = _drawn("constraint", "Discriminators", "Constraint")
    width: int = _drawn("width", "Architecture")
    depth: int = _drawn("depth", "Architecture")
    activation: str = _drawn("activation", "Architecture", "Activation")
    gp_warmup: int = _drawn("gp_warmup", "Discriminators", "Penalty warm-up (steps)")
    batch: int = _drawn("batch", "Discriminators", "Batch")
    # The single run measures when asked; a sweep keeps a trace, on one schedule for every member.
    eval_every: int = opt(100, "steps between two measurements of every member", lo=1, hi=100_000, live=True,
                          group="Sweep", label="Measure every (steps)")

    single: ClassVar[type] = DiscriminatorConfig
    per_member: ClassVar[tuple[str, ...]] = PER_MEMBER
    per_group: ClassVar[tuple[str, ...]] = PER_GROUP
    not_swept: ClassVar[dict[str, str]] = NOT_SWEPT


def _mlp_params(n_in: int, width: int, depth: int) -> int:
    sizes = [n_in] + [width] * depth + [1]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def bytes_per_member(cfg: DiscriminatorConfig) -> int:
    """Estimated bytes one member needs while training: weights, gradients and Adam's two moments;
    what autograd keeps for a step (real and fake rows, three times over with a penalty's double
    backward); its evaluation samples (shared by members of one seed, counted per member)."""
    w, d, b = cfg.width, cfg.depth, cfg.batch
    numbers = _mlp_params(cfg.dim, w, d) * 4
    numbers += 2 * b * (cfg.dim + 2 * w * d + 1) * (3 if cfg.constraint == "gp" else 1)
    numbers += 2 * (N_EVAL + cfg.n_samples) * cfg.dim
    return int(4 * numbers * SAFETY)


@dataclass
class Reference:
    """A group's fixed pieces: its single run's grids, optimum and exact values, and the
    evaluation samples of each of its seeds (as (S, n, d) tensors and each member's row)."""
    run: DiscriminatorRun
    real_eval: Tensor
    fake_eval: Tensor
    fake_shown: Tensor
    real_shown: Tensor
    row: np.ndarray


def eval_samples(seed: int, n_samples: int, p, q) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(real_eval, fake_eval, fake_shown, real_shown) of a seed, drawn as DiscriminatorRun draws
    them: the shown samples first, then N_EVAL of each, from generator(seed + 10,007)."""
    shown = generator(seed + 10_007)
    real_shown, fake_shown = p.sample(n_samples, shown), q.sample(n_samples, shown)
    return p.sample(N_EVAL, shown), q.sample(N_EVAL, shown), fake_shown, real_shown


def _input_grads(f, x: Tensor) -> Tensor:
    """(m, n, d) -> (m, n, d): grad_x f per point (lipschitz.input_gradients per member)."""
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x).sum(), x)
    return g


class DiscriminatorSweepRun(BatchedRun):
    """`device`: default CUDA when present; `memory_limit`: bytes the sweep may take."""
    experiment = "sweep_discriminator"
    config_class = DiscriminatorSweep
    METRICS = {
        "w1_ratio": "W1 estimate / exact W1 (1-D critics)",
        "w1_from_critic": "W1 estimate (E_p f - E_q f) / L",
        "w1_raw": "critic's gap E_p f - E_q f",
        "sup_gap": "sup |D - D*| over the support",
        "js_from_d": "JS estimate V(D)/2 + log 2",
        "lipschitz": "Lipschitz constant L (max |grad f|)",
        "signal": "G's signal at the fakes (median |push|)",
        "d_loss": "D loss (mean since the last measurement)",
    }
    SUMMARY = ("w1_ratio", "w1_from_critic", "w1_raw", "sup_gap", "js_from_d", "lipschitz", "signal")
    structure = staticmethod(structure)
    bytes_per_member = staticmethod(bytes_per_member)

    def __init__(self, cfg: DiscriminatorSweep, device=None, memory_limit: int | None = None,
                 part: tuple[int, int] | None = None):
        super().__init__(cfg, device, memory_limit, part)
        self.streams = rs.resolve(cfg.streams, self.device)
        self.refs: dict[int, Reference] = {}                 # per group, by its model's id
        self._start()

    # ---- building ----------------------------------------------------------------------------
    def _build(self, cfgs: list, index: np.ndarray) -> BatchedDiscriminators:
        model = BatchedDiscriminators(cfgs, self.device, self.streams)
        ref = DiscriminatorRun(cfgs[0])
        seeds = sorted({c.seed for c in cfgs})
        drawn = [eval_samples(s, cfgs[0].n_samples, ref.p, ref.q) for s in seeds]
        real, fake, shown, real_shown = (torch.stack([d[i] for d in drawn]).to(self.device) for i in range(4))
        self.refs[id(model)] = Reference(ref, real, fake, shown, real_shown,
                                         np.asarray([seeds.index(c.seed) for c in cfgs]))
        return model

    # ---- reading -----------------------------------------------------------------------------
    def ranges(self, metric: str) -> tuple[float, float] | None:
        """Fixed colour bounds where the metric has natural ones, so frames of a live sweep compare."""
        ls = any(r.run.kind == "ls" for r in self.refs.values())
        return {"w1_ratio": (0.0, 1.2), "sup_gap": (0.0, 2.0 if ls else 1.0),
                "js_from_d": (0.0, math.log(2))}.get(metric)

    def _measure(self, g: Group) -> dict[str, np.ndarray]:
        """Every member's numbers as DiscriminatorRun._metrics computes them, in chunks of members,
        the net read in eval mode (spectral norm reuses its vectors: reading changes nothing)."""
        model, ref = g.model, self.refs[id(g.model)]
        out = {k: np.full(model.m, np.nan) for k in self.METRICS}
        out["d_loss"] = model.take_losses()
        per = max(1, EVAL_NUMBERS // (2 * N_EVAL * model.cfgs[0].width))
        model.D.eval()
        try:
            for a in range(0, model.m, per):
                for k, v in self._read(model, ref, slice(a, min(model.m, a + per))).items():
                    out[k][a:a + len(v)] = v
        finally:
            model.D.train()
        return out

    def _read(self, model: BatchedDiscriminators, ref: Reference, members: slice) -> dict[str, np.ndarray]:
        """The metrics of members[a:b] (DiscriminatorRun._metrics, per member)."""
        run, rows = ref.run, ref.row[members]
        n = len(rows)
        f = lambda x: model.f(x, members)  # noqa: E731
        dev = self.device
        every = lambda pts: pts.to(dev).expand(n, *pts.shape)  # noqa: E731   (p, d) -> (n, p, d)
        host = lambda t: t.detach().cpu().numpy().astype(np.float64)  # noqa: E731
        lip = host(_input_grads(f, every(run.dense)).norm(dim=-1).amax(-1))
        m = {"lipschitz": lip}
        fakes = ref.fake_shown[rows]
        with torch.no_grad():
            out_r, out_f = f(ref.real_eval[rows]), f(ref.fake_eval[rows])
            if run.static["optimum"] is not None:
                value = f(every(run.grid))
                value = torch.sigmoid(value) if run.kind == "d" else value
                gap = np.abs(value.cpu().numpy() - run.static["optimum"])
                m["sup_gap"] = gap[:, run.static["support"]].max(-1).astype(np.float64)
        g_loss = objectives.g_minimax if run.kind == "d" else model.objective.g_loss
        push = -_input_grads(lambda x: g_loss(f(x)), fakes)
        m["signal"] = host(push.norm(dim=-1).median(-1).values)
        if run.kind == "d":
            v = -F.softplus(-out_r).mean(-1) - F.softplus(out_f).mean(-1)
            m["js_from_d"] = host(0.5 * v + math.log(2))
        elif run.kind == "critic":
            m["w1_raw"] = host(out_r.mean(-1) - out_f.mean(-1))
            m["w1_from_critic"] = m["w1_raw"] / np.maximum(lip, 1e-12)
            if run.exact["w1"] is not None:
                m["w1_ratio"] = m["w1_from_critic"] / run.exact["w1"]
        return m

    def _metrics(self) -> dict:
        """BatchedRun's per-cell statistics, and the exact values of each group's pair."""
        exact = [{"real": r.run.p.to_spec(), "fake": r.run.q.to_spec(), **r.run.exact} for r in self.refs.values()]
        unique = [dict(t) for t in dict.fromkeys(tuple(e.items()) for e in exact)]
        return {**super()._metrics(), "exact": unique}

    def _display(self, g: Group, pts: Tensor, lip: np.ndarray) -> np.ndarray:
        """(members of g, n): each member's D (or critic) at the (n, d) points `pts` as its single
        run draws it (DiscriminatorRun._display_value: D in [0, 1], LSGAN's D as it is, a critic
        centred on its shown samples and divided by its Lipschitz constant `lip` as last measured)."""
        model, ref = g.model, self.refs[id(g.model)]
        model.D.eval()
        try:
            with torch.no_grad():
                out = model.f(pts.to(self.device).expand(model.m, *pts.shape)).cpu().double()
                if ref.run.kind == "critic":
                    rows = ref.row
                    mid = 0.5 * (model.f(ref.real_shown[rows]).mean(-1) + model.f(ref.fake_shown[rows]).mean(-1))
                    scale = torch.as_tensor(np.maximum(lip[g.index], 1e-12))[:, None]
                    out = (out - mid.cpu().double()[:, None]) / scale
                elif ref.run.kind == "d":
                    out = torch.sigmoid(out)
        finally:
            model.D.train()
        return out.numpy()

    def _extra_snapshot(self) -> dict:
        """Beyond the numbers, each member's D (or critic) as its single run draws it (_display):
        in 1-D along x, beside each group's exact optimum there (a cell's figure) and the densities
        of p and p_G at the points a tile of the grid figure draws (lab.sweep.figures.thin); in
        2-D on a coarse HEAT_SIDE x HEAT_SIDE grid over the single run's plotting box (a tile)."""
        from lab.sweep.figures import thin
        lip = self.latest()["lipschitz"]
        kind = np.empty(self.members, dtype=object)
        extra = {"streams": self.streams, "constraint": [c.constraint for c in self.configs]}
        if self.cfg.dim != 1:
            heat, box = np.empty((self.members, HEAT_SIDE, HEAT_SIDE)), np.empty((self.members, 4))
            means = [None] * self.members              # (p's means, p_G's means): where the data sit
            for g in self.groups:
                run = self.refs[id(g.model)].run
                lo, hi = [a[0] for a in run.axes], [a[-1] for a in run.axes]
                heat[g.index] = self._display(g, coarse_grid(lo, hi), lip).reshape(-1, HEAT_SIDE, HEAT_SIDE)
                box[g.index], kind[g.index] = (lo[0], hi[0], lo[1], hi[1]), run.kind
                for i in g.index:
                    means[i] = (np.asarray(run.p.means, dtype=float), np.asarray(run.q.means, dtype=float))
            return {**extra, "kind": list(kind), "heat": heat, "heat_box": box, "means": means}
        n = len(next(iter(self.refs.values())).run.grid)
        x, value, optimum = (np.full((self.members, n), np.nan) for _ in range(3))
        tile = thin(n)
        density = np.empty((self.members, 2, len(tile)))       # p and p_G where a grid tile draws them
        for g in self.groups:
            run = self.refs[id(g.model)].run
            x[g.index], kind[g.index] = run.grid[:, 0].numpy(), run.kind
            value[g.index] = self._display(g, run.grid, lip)
            if run.static["optimum"] is not None:
                optimum[g.index] = run.static["optimum"]
            density[g.index] = np.stack([run.static["p"][tile], run.static["q"][tile]])
        return {**extra, "kind": list(kind), "grid_x": x, "value": value, "optimum": optimum, "density": density}


def coarse_grid(lo, hi) -> Tensor:
    """(HEAT_SIDE^2, 2) points of a grid over the box [lo, hi], x fastest (row iy, column ix at
    iy * HEAT_SIDE + ix), as the single run's plotting grid orders its points."""
    xs, ys = (np.linspace(a, b, HEAT_SIDE) for a, b in zip(lo, hi))
    gx, gy = np.meshgrid(xs, ys)
    return torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32))


# The lessons. Each question carries what this code measured (CPU, member streams, the seeds and
# steps of the preset; the bimodal pair's exact W1 is 1.3147, its JS 0.3392).
PRESETS = {
    "gp_lambda": Preset(
        "WGAN-GP's lambda",
        "Is lambda = 10 special? Measured: 0.1 to 10 all reach ~95% of W1; at 0 the slope L runs to ~1e4, "
        "and 100 trapped 1 seed of 4 on a wrong slope (4% of W1).",
        x="gp_lambda=0,0.1,1,10,100", seeds=4, metric="w1_ratio",
        base={"constraint": "gp", "real": "bimodal_real", "fake": "wide_fake", "steps": "1000"}),
    "clip": Preset(
        "Weight clipping's c",
        "Does c change what a clipped critic learns, or only its scale? Measured: L runs from 1e-6 (c 0.001) "
        "to 1e3 (c 1), yet divided by L every c estimates ~85% of W1.",
        x="clip=log:0.001:1:7", seeds=4, metric="w1_ratio",
        base={"constraint": "clip", "real": "bimodal_real", "fake": "wide_fake", "steps": "1000"}),
    "width": Preset(
        "Width vs sup |D - D*|",
        "How wide must D be to reach D*? Measured after 3,000 steps: sup |D - D*| falls from 0.84 (width 4) "
        "to ~0.15 (64 and 128), while the JS estimate is within 1% from width 16.",
        x="width=4,8,16,32,64,128", seeds=4, metric="sup_gap",
        base={"real": "bimodal_real", "fake": "wide_fake", "steps": "3000"}),
    "vanishing": Preset(
        "Far apart: who still gives G a signal?",
        "Bumps 8 apart: which D still tells G where to go? Measured: the trained D's push is ~1e-11, "
        "every Lipschitz critic's 0.2 to 1.4.",
        x="constraint=none,clip,gp,sn", seeds=4, metric="signal",
        base={"real": "far_real", "fake": "far_fake", "steps": "600"}),
    "constraints": Preset(
        "Three Lipschitz critics",
        "Which constraint estimates W1 best? Measured: the penalty 95-98% at every depth (every seed above 90%); "
        "clipping (c 0.05) 76-85% and spectral norm 63-72% on average, their single seeds scattering widely "
        "(SN's L stays at 0.6-0.9).",
        x="constraint=clip,gp,sn", y="depth=1,2,3", seeds=4, metric="w1_ratio",
        base={"real": "bimodal_real", "fake": "wide_fake", "steps": "1000"}),
}


SWEEP = SweepKind(
    experiment="discriminator", label="Discriminators (D* and critics)", config=DiscriminatorSweep,
    run=DiscriminatorSweepRun, page="app_pages/discriminator.py", presets=PRESETS, cell_figures=cell_d,
    grid_figure=grid_d,
    # sup|D - D*| exists for a plain D only; a sweep with critics opens on their W1 estimate.
    metric=lambda cfg: "sup_gap" if all(m.constraint == "none" for m in cfg.members()) else "w1_ratio")
