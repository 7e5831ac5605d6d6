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

import numpy as np
import torch

from lab.device import generator
from lab.experiments.mode_collapse.metrics import N_SAMPLES
from lab.sweep import memory
from lab.sweep import metrics as sweep_metrics
from lab.sweep import streams as rs
from lab.sweep.batched import BatchedRun, Group, default_device
from lab.sweep.batched import load as load_batched
from lab.sweep.config import SweepConfig
from lab.sweep.trainer import BatchedGAN2D, structure

N_SHOWN = 250                  # fixed-noise samples per member in a snapshot (small multiples)
N_REAL = 1000                  # real samples per data set in a snapshot
EVAL_NUMBERS = 1 << 24         # G activations per evaluation chunk (members x samples x width)
__all__ = ["SweepRun", "default_device", "load"]


class SweepRun(BatchedRun):
    """`points`: the user's data for data=csv; `device`: default CUDA when present; `memory_limit`:
    bytes the sweep may take (default: lab.sweep.memory's share of the device's free memory)."""
    experiment = "sweep"
    config_class = SweepConfig
    METRICS = {"modes": "modes captured", "hq": "high-quality share", "reverse_kl": "reverse KL to uniform",
               "d_loss": "D loss", "g_loss": "G loss"}
    SUMMARY = ("modes", "hq", "reverse_kl")
    structure = staticmethod(structure)
    bytes_per_member = staticmethod(memory.bytes_per_member)

    def __init__(self, cfg: SweepConfig, points=None, device=None, memory_limit: int | None = None,
                 part: tuple[int, int] | None = None):
        super().__init__(cfg, device, memory_limit, part)
        self.streams = rs.resolve(cfg.streams, self.device)
        self.points, self.data_sets, self.fixed_z, self.real_shown = points, {}, {}, {}
        self._counts: dict[int, np.ndarray] = {}      # per group (by its model): HQ samples per mode
        self._start()

    @property
    def counts(self) -> list[np.ndarray]:
        """(m, K) high-quality samples per mode at the last measurement, one array per group."""
        return [self._counts[id(g.model)] for g in self.groups]

    def _build(self, cfgs: list, index: np.ndarray) -> BatchedGAN2D:
        name = cfgs[0].data
        if name not in self.data_sets:
            self.data_sets[name] = cfgs[0].data_set(self.points)
        data = self.data_sets[name]
        gan = BatchedGAN2D(cfgs, data, self.device, self.streams)
        # Fixed noise per member, drawn as ModeCollapseRun draws it (seed + 10,007), so a member's
        # metrics are measured on its single run's samples.
        gens = [generator(c.seed + 10_007) for c in cfgs]
        z = torch.stack([torch.randn(N_SAMPLES, c.latent, generator=g) for c, g in zip(cfgs, gens)])
        self.fixed_z[id(gan)] = z.to(self.device)
        self.real_shown.setdefault(name, data.sample(N_REAL, gens[0]).numpy())
        return gan

    def ranges(self, metric: str) -> tuple[float, float] | None:
        """Fixed colour bounds, so frames of a live sweep compare."""
        modes = max(d.n_modes for d in self.data_sets.values())
        return {"modes": (0, modes), "hq": (0, 1), "reverse_kl": (0, float(np.log(modes)))}.get(metric)

    def _advance(self, k: int, which: str = "both") -> None:
        """k iterations of every member ("d" / "g": one update of that network only, as
        ModeCollapseRun's)."""
        if which not in ("both", "d", "g"):
            raise ValueError(f"which={which!r} is not one of: both, d, g")
        super()._advance(k, which=which)

    @torch.no_grad()
    def _samples(self, g: Group, n: int = N_SAMPLES) -> torch.Tensor:
        """(m, n, 2) the group's G on its first n fixed codes, members in chunks (a pure read)."""
        z = self.fixed_z[id(g.model)][:, :n]
        per = max(1, EVAL_NUMBERS // (n * g.model.cfgs[0].width))
        return torch.cat([g.model.G(z[a:a + per], slice(a, a + per)) for a in range(0, len(g.index), per)])

    def _measure(self, g: Group) -> dict[str, np.ndarray]:
        """The mode metrics on the members' fixed samples and their mean losses since the last log."""
        m = sweep_metrics.evaluate(self._samples(g), g.model.data)
        self._counts[id(g.model)] = m["counts"]
        d_loss, g_loss = g.model.take_losses()
        return {"modes": m["modes"], "hq": m["hq"], "reverse_kl": m["reverse_kl"], "d_loss": d_loss, "g_loss": g_loss}

    def member_metrics(self) -> list[dict]:
        rows = super().member_metrics()
        for row in rows:
            row["modes"] = int(row["modes"])
        return rows

    def _extra_snapshot(self, n_shown: int = N_SHOWN) -> dict:
        samples = np.empty((self.members, n_shown, 2), dtype=np.float32)
        for g in self.groups:
            samples[g.index] = self._samples(g, n_shown).cpu().numpy()
        return {
            "samples": samples, "counts": [c.copy() for c in self.counts],
            "data": {name: {"label": d.label, "centres": d.centres, "std": d.std, "extent": d.extent(),
                            "real": self.real_shown[name]} for name, d in self.data_sets.items()},
            "member_data": [c.data for c in self.configs], "streams": self.streams,
        }

    def _state(self) -> dict:
        return {**super()._state(), "counts": [torch.as_tensor(c) for c in self.counts]}

    def _load_state(self, state: dict) -> None:
        super()._load_state(state)
        for g, c in zip(self.groups, state["counts"]):
            self._counts[id(g.model)] = c.numpy()


def load(data: bytes, points=None, device=None) -> SweepRun:
    """A sweep rebuilt from `SweepRun.state_bytes()`; one-line CheckpointError for anything else."""
    return load_batched(SweepRun, data, points=points, device=device)
