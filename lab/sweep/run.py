"""A sweep as a run (lab.run.Run): every member of a SweepConfig trained at once, measured every
`eval_every` steps like the single run (the mode metrics on 2,500 fixed samples per member).

Members with the same structure train as one batched model (lab.sweep.trainer.BatchedGAN2D);
groups of different structure train in turn, one iteration each per step, so every member is
always at the same step. Per-member numbers are (M,) arrays in member order (lab.sweep.config);
`trace` holds them over time, `history` the steps at which they were taken.

    run = SweepRun(SweepConfig.of(ModeCollapseConfig(), {"lr_d": [1e-4, 1e-3]}, seeds=4))
    run.advance(100); run.snapshot(); run.metrics(); run.member_metrics(); run.state_bytes()
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from lab import checkpoint
from lab.device import generator
from lab.experiments.mode_collapse.metrics import N_SAMPLES
from lab.run import Run
from lab.sweep import memory, summary
from lab.sweep import metrics as sweep_metrics
from lab.sweep import streams as rs
from lab.sweep.config import SweepConfig
from lab.sweep.trainer import BatchedGAN2D, structure

N_SHOWN = 250                  # fixed-noise samples per member in a snapshot (small multiples)
N_REAL = 1000                  # real samples per data set in a snapshot
EVAL_NUMBERS = 1 << 24         # G activations per evaluation chunk (members x samples x width)
TRACE = ("modes", "hq", "reverse_kl", "d_loss", "g_loss")


def default_device() -> torch.device:
    """CUDA when present, else the CPU (float64 metrics rule out Apple's MPS)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclasses.dataclass
class Group:
    """Members of one structure: their indices (member order), their batched GAN, their data and
    fixed evaluation codes."""
    index: np.ndarray
    gan: BatchedGAN2D
    fixed_z: torch.Tensor          # (m, N_SAMPLES, latent)
    real_shown: np.ndarray         # (N_REAL, 2)


class SweepRun(Run):
    """`points`: the user's data for data=csv; `device`: default CUDA when present; `memory_limit`:
    bytes the sweep may take (default: lab.sweep.memory's share of the device's free memory)."""
    experiment = "sweep"

    def __init__(self, cfg: SweepConfig, points=None, device=None, memory_limit: int | None = None):
        super().__init__(cfg)
        self.device = torch.device(device) if device is not None else default_device()
        self.configs = cfg.members()
        self.estimate = memory.check(self.configs, self.device, memory_limit)
        self.members = len(self.configs)
        self.streams = rs.resolve(cfg.streams, self.device)
        self.axes, self.shape = cfg.axes(), cfg.shape()
        self.cell = np.repeat(np.arange(self.shape[0] * self.shape[1]), cfg.seeds)
        self.seed = np.asarray([c.seed for c in self.configs])
        data_sets = {}
        by_structure: dict[tuple, list[int]] = {}
        for i, c in enumerate(self.configs):
            by_structure.setdefault(structure(c), []).append(i)
        self.groups = [self._group(np.asarray(idx), data_sets, points) for idx in by_structure.values()]
        self.group = np.zeros(self.members, dtype=int)
        for k, g in enumerate(self.groups):
            self.group[g.index] = k
        self.data_sets = data_sets
        self.trace: dict[str, list[np.ndarray]] = {k: [] for k in TRACE}
        self.counts = [np.zeros((len(g.index), g.gan.data.n_modes), dtype=int) for g in self.groups]
        self.history = {"step": []}
        self._evaluate()

    def _group(self, index: np.ndarray, data_sets: dict, points) -> Group:
        cfgs = [self.configs[i] for i in index]
        name = cfgs[0].data
        if name not in data_sets:
            data_sets[name] = cfgs[0].data_set(points)
        data = data_sets[name]
        gans = BatchedGAN2D(cfgs, data, self.device, self.streams)
        # Fixed noise per member, drawn as ModeCollapseRun draws it (seed + 10,007), so a member's
        # metrics are measured on its single run's samples.
        gens = [generator(c.seed + 10_007) for c in cfgs]
        z = torch.stack([torch.randn(N_SAMPLES, c.latent, generator=g) for c, g in zip(cfgs, gens)])
        real = data.sample(N_REAL, gens[0]).numpy()
        return Group(index, gans, z.to(self.device), real)

    # ---- training -------------------------------------------------------------------------------
    def _advance(self, k: int, which: str = "both") -> None:
        """k iterations of every member ("d" / "g": one update of that network only, as
        ModeCollapseRun's)."""
        if which not in ("both", "d", "g"):
            raise ValueError(f"which={which!r} is not one of: both, d, g")
        for _ in range(k):
            for g in self.groups:
                g.gan.iterate(which)
            self.step += 1
            if self.step % self.cfg.eval_every == 0 or self.step == self.total:
                self._evaluate()

    def _retune(self, cfg: SweepConfig) -> None:
        """Live keys of the base (rates, noise, annealing, D steps, the budget) for every member that
        does not take that key from an axis."""
        new = cfg.members()
        for g in self.groups:
            g.gan.retune([new[i] for i in g.index])
        self.configs = new

    @torch.no_grad()
    def _samples(self, g: Group, n: int = N_SAMPLES) -> torch.Tensor:
        """(m, n, 2) the group's G on its first n fixed codes, members in chunks (a pure read)."""
        z = g.fixed_z[:, :n]
        per = max(1, EVAL_NUMBERS // (n * g.gan.cfgs[0].width))
        return torch.cat([g.gan.G(z[a:a + per], slice(a, a + per)) for a in range(0, len(g.index), per)])

    def _evaluate(self) -> None:
        """Log every member's metrics on its fixed samples and its mean losses since the last log."""
        row = {k: np.empty(self.members) for k in TRACE}
        for k, g in enumerate(self.groups):
            m = sweep_metrics.evaluate(self._samples(g), g.gan.data)
            row["d_loss"][g.index], row["g_loss"][g.index] = g.gan.take_losses()
            for key in ("modes", "hq", "reverse_kl"):
                row[key][g.index] = m[key]
            self.counts[k] = m["counts"]
        for key in TRACE:
            self.trace[key].append(row[key])
        self.history["step"].append(self.step)

    # ---- reading (pure) -------------------------------------------------------------------------
    def latest(self) -> dict[str, np.ndarray]:
        """The last logged (M,) metrics and the step they were taken at."""
        return {"step": self.history["step"][-1], **{k: v[-1] for k, v in self.trace.items()}}

    def _metrics(self) -> dict:
        """The sweep at its last measurement: per cell, mean/std/min/max over the seeds."""
        last = self.latest()
        return {"steps": self.step, "measured_at": last["step"], "members": self.members,
                "groups": len(self.groups), "cells": summary.cells(last, self.axes, self.shape, self.cfg.seeds)}

    def member_metrics(self) -> list[dict]:
        """One dict per member: every config key (a recipe's keys as resolved), seed, step and the
        last logged metrics (a loss is None before any update)."""
        with self.lock:
            last = self.latest()
            rows = []
            for i, c in enumerate(self.configs):
                train = c.train()
                keys = {k: (getattr(train, k) if v is None and hasattr(train, k) else v)
                        for k, v in dataclasses.asdict(c).items()}
                nums = {k: float(last[k][i]) for k in TRACE}
                nums = {k: (None if k.endswith("loss") and np.isnan(v) else v) for k, v in nums.items()}
                rows.append({"member": i, "cell": int(self.cell[i]), **keys, "step": last["step"],
                             **nums, "modes": int(last["modes"][i])})
            return rows

    def _snapshot(self, n_shown: int = N_SHOWN) -> dict:
        samples = np.empty((self.members, n_shown, 2), dtype=np.float32)
        for g in self.groups:
            samples[g.index] = self._samples(g, n_shown).cpu().numpy()
        return {
            "step": self.step, "total": self.total, "members": self.members, "seeds": self.cfg.seeds,
            "axes": [{"key": a.key, "values": list(a.values), "labels": a.labels()} for a in self.axes],
            "shape": self.shape, "cell": self.cell.copy(), "seed": self.seed.copy(), "group": self.group.copy(),
            "metrics": {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.latest().items()},
            "trace": {"step": np.asarray(self.history["step"]),
                      **{k: np.stack(v) for k, v in self.trace.items()}},
            "samples": samples,
            "counts": [c.copy() for c in self.counts],
            "data": {name: {"label": d.label, "centres": d.centres, "std": d.std, "extent": d.extent(),
                            "real": next(g.real_shown for g in self.groups if g.gan.cfgs[0].data == name)}
                     for name, d in self.data_sets.items()},
            "member_data": [c.data for c in self.configs],
            "streams": self.streams, "device": self.device.type, "memory_estimate": self.estimate,
        }

    # ---- state ----------------------------------------------------------------------------------
    def _state(self) -> dict:
        return {"groups": [g.gan.state() for g in self.groups],
                "trace": {k: torch.as_tensor(np.stack(v)) for k, v in self.trace.items()},
                "counts": [torch.as_tensor(c) for c in self.counts]}

    def _load_state(self, state: dict) -> None:
        for g, saved in zip(self.groups, state["groups"]):
            g.gan.load(saved)
        self.trace = {k: list(v.numpy()) for k, v in state["trace"].items()}
        self.counts = [c.numpy() for c in state["counts"]]


def load(data: bytes, points=None, device=None) -> SweepRun:
    """A sweep rebuilt from `SweepRun.state_bytes()` (its stored config, then its state); one-line
    lab.checkpoint.CheckpointError for anything else."""
    doc = checkpoint.from_bytes(data, SweepRun.experiment)
    names = {f.name for f in dataclasses.fields(SweepConfig)}
    try:
        run = SweepRun(SweepConfig(**{k: v for k, v in doc["config"].items() if k in names}), points, device)
        run.load_state(doc)
    except (KeyError, TypeError, RuntimeError, ValueError) as err:
        raise checkpoint.CheckpointError(f"the file does not fit a sweep: {err}"[:300]) from None
    return run
