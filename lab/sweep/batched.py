"""What every experiment's sweep run shares (lab.run.Run): members from a sweep config, groups of
one structure trained as one batched model each, every member measured on one schedule, seed
statistics per cell, and the state.

An experiment's sweep run subclasses `BatchedRun` and says:
    METRICS    {trace key: label}: what is measured per member (the heat map's choices)
    SUMMARY    the keys summarised per cell in metrics() and summary.json
    structure(cfg)          what members of one group share (a tuple)
    bytes_per_member(cfg)   the memory estimate (lab.sweep.memory.check)
    _build(cfgs, index)     a group's batched model: iterate(**options), retune(cfgs), state(), load()
    _measure(group)         {metric: (m,) array} for the group's members, a pure read
    _extra_snapshot()       what its figures need beyond the numbers (samples, data)
    ranges(metric)          fixed colour bounds (lo, hi) where the metric has them, else None

Members are cell-major (lab.sweep.config): member m = cell * seeds + s, so a per-member array
reshapes to (rows, cols, seeds).
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import torch

from lab import checkpoint
from lab.config import ConfigError
from lab.run import Run
from lab.sweep import memory, summary


def default_device() -> torch.device:
    """CUDA when present, else the CPU (float64 metrics rule out Apple's MPS)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclasses.dataclass
class Group:
    """Members of one structure: their indices (member order) and their batched model."""
    index: np.ndarray
    model: Any


class BatchedRun(Run):
    METRICS: ClassVar[dict[str, str]] = {}
    SUMMARY: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cfg, device=None, memory_limit: int | None = None, part: tuple[int, int] | None = None):
        """`part` = (rank, world): train only members rank, rank + world, ... (torchrun splits a
        sweep across processes this way; `index` holds their numbers in the whole sweep)."""
        super().__init__(cfg)
        self.device = torch.device(device) if device is not None else default_device()
        every = cfg.members()
        rank, world = part or (0, 1)
        self.index = np.arange(len(every))[rank::world]
        self.configs = [every[i] for i in self.index]
        if not self.configs:
            raise ConfigError(f"{len(every)} members cannot be split over {world} processes: use at most {len(every)}")
        self.estimate = memory.check(self.configs, self.device, memory_limit, self.bytes_per_member)
        self.members = len(self.configs)
        self.axes, self.shape = cfg.axes(), cfg.shape()
        self.cell = np.repeat(np.arange(self.shape[0] * self.shape[1]), cfg.seeds)[self.index]
        self.seed = np.asarray([c.seed for c in self.configs])

    def _start(self) -> None:
        """Build the groups and take the first measurement (after the subclass's own set-up)."""
        by_structure: dict[tuple, list[int]] = {}
        for i, c in enumerate(self.configs):
            by_structure.setdefault(self.structure(c), []).append(i)
        self.groups = [Group(np.asarray(idx), self._build([self.configs[i] for i in idx], np.asarray(idx)))
                       for idx in by_structure.values()]
        self.group = np.zeros(self.members, dtype=int)
        for k, g in enumerate(self.groups):
            self.group[g.index] = k
        self.trace: dict[str, list[np.ndarray]] = {k: [] for k in self.METRICS}
        self.history = {"step": []}
        self._evaluate()

    # ---- what an experiment says ----------------------------------------------------------------
    @staticmethod
    def structure(cfg) -> tuple:
        raise NotImplementedError

    @staticmethod
    def bytes_per_member(cfg) -> int:
        raise NotImplementedError

    def _build(self, cfgs: list, index: np.ndarray):
        raise NotImplementedError

    def _measure(self, group: Group) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _extra_snapshot(self) -> dict:
        return {}

    def ranges(self, metric: str) -> tuple[float, float] | None:
        return None

    # ---- training ---------------------------------------------------------------------------------
    def _advance(self, k: int, **options) -> None:
        for _ in range(k):
            for g in self.groups:
                g.model.iterate(**options)
            self.step += 1
            if self.step % self.cfg.eval_every == 0 or self.step == self.total:
                self._evaluate()

    def _retune(self, cfg) -> None:
        """Live keys of the base for every member that does not take that key from an axis."""
        every = cfg.members()
        self.configs = [every[i] for i in self.index]
        for g in self.groups:
            g.model.retune([self.configs[i] for i in g.index])

    def _evaluate(self) -> None:
        row = {k: np.full(self.members, np.nan) for k in self.METRICS}
        for g in self.groups:
            for key, values in self._measure(g).items():
                row[key][g.index] = values
        for key in self.METRICS:
            self.trace[key].append(row[key])
        self.history["step"].append(self.step)

    # ---- reading (pure) ---------------------------------------------------------------------------
    def latest(self) -> dict[str, np.ndarray]:
        """The last logged (M,) metrics and the step they were taken at."""
        return {"step": self.history["step"][-1], **{k: v[-1] for k, v in self.trace.items()}}

    def _metrics(self) -> dict:
        """The sweep at its last measurement: per cell, mean/std/min/max over the seeds."""
        last = self.latest()
        whole = self.members == self.cfg.n_members        # a part (torchrun) cannot fill the grid
        return {"steps": self.step, "measured_at": last["step"], "members": self.members, "groups": len(self.groups),
                "cells": summary.cells(last, self.axes, self.shape, self.cfg.seeds, self.SUMMARY) if whole else None}

    def member_metrics(self) -> list[dict]:
        """One dict per member: every config key (a recipe's keys as resolved), seed, step and the
        last logged metrics (None where not measured yet, e.g. a loss before any update)."""
        with self.lock:
            last = self.latest()
            rows = []
            for i, c in enumerate(self.configs):
                train = c.train() if hasattr(c, "train") else None
                keys = {k: (getattr(train, k) if v is None and hasattr(train, k) else v)
                        for k, v in dataclasses.asdict(c).items()}
                nums = {k: float(last[k][i]) for k in self.METRICS}
                rows.append({"member": int(self.index[i]), "cell": int(self.cell[i]), **keys, "step": last["step"],
                             **{k: (None if np.isnan(v) else v) for k, v in nums.items()}})
            return rows

    def _snapshot(self) -> dict:
        return {
            "step": self.step, "total": self.total, "members": self.members, "seeds": self.cfg.seeds,
            "axes": [{"key": a.key, "values": list(a.values), "labels": a.labels()} for a in self.axes],
            "shape": self.shape, "cell": self.cell.copy(), "seed": self.seed.copy(), "group": self.group.copy(),
            "metrics": {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.latest().items()},
            "trace": {"step": np.asarray(self.history["step"]), **{k: np.stack(v) for k, v in self.trace.items()}},
            "labels": dict(self.METRICS), "ranges": {k: self.ranges(k) for k in self.METRICS},
            "device": self.device.type, "memory_estimate": self.estimate, **self._extra_snapshot(),
        }

    # ---- state ------------------------------------------------------------------------------------
    def _state(self) -> dict:
        return {"groups": [g.model.state() for g in self.groups],
                "trace": {k: torch.as_tensor(np.stack(v)) for k, v in self.trace.items()}}

    def _load_state(self, state: dict) -> None:
        for g, saved in zip(self.groups, state["groups"]):
            g.model.load(saved)
        self.trace = {k: list(v.numpy()) for k, v in state["trace"].items()}


def load(cls: type[BatchedRun], data: bytes, **kwargs) -> BatchedRun:
    """A sweep of run class `cls` rebuilt from its `state_bytes()` (its stored config, then its
    state); one-line lab.checkpoint.CheckpointError for anything else."""
    doc = checkpoint.from_bytes(data, cls.experiment)
    config = cls.config_class
    names = {f.name for f in dataclasses.fields(config)}
    try:
        run = cls(config(**{k: v for k, v in doc["config"].items() if k in names}), **kwargs)
        run.load_state(doc)
    except (KeyError, TypeError, RuntimeError, ValueError) as err:
        raise checkpoint.CheckpointError(f"the file does not fit a sweep: {err}"[:300]) from None
    return run
