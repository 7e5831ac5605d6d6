"""What a sweep trains: a mode-collapse config (every key of the single-run page, the base every
member starts from), one or two axes over keys that may vary, and seeds per cell.

It *is* a ModeCollapseConfig with three more keys, so it round-trips through the command line
and a page's URL like any config (lab.config), and the base's live keys (rates, noise, D steps,
the step budget) retune a running sweep in place. The members, in order:

    member m = cell * seeds + s,  cell = iy * nx + ix
    config   = base with x's ix-th value, y's iy-th value and seed = base seed + s

so a (ny, nx, seeds) array of any per-member number is a plain reshape.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import ClassVar

from lab.config import Config, ConfigError, opt
from lab.experiments.mode_collapse.config import ModeCollapseConfig
from lab.sweep import axes as ax

STREAMS = ("auto", "member", "shared")

# The mode-collapse sweep's keys (lab.sweep.axes says what per member and per group mean).
PER_MEMBER = ("lr_d", "lr_g", "beta1", "beta2", "gp_lambda", "clip", "instance_noise", "noise_anneal")
PER_GROUP = ("recipe", "objective", "constraint", "optimizer", "d_steps", "pac", "batch", "latent", "width", "depth",
             "activation", "data", "unroll")
NOT_SWEPT = {
    "seed": "give seeds=K instead (each cell trains seeds seed, seed+1, ..., seed+K-1)",
    "steps": "the whole sweep trains one budget of steps",
    "eval_every": "the whole sweep is measured on one schedule",
    "csv_modes": "one sweep counts the modes of its data one way",
}


@functools.lru_cache(maxsize=64)
def _axes(cls: type, x: str, y: str, base) -> list[ax.Axis]:
    # Parsing types and checks every value through the config: done once per (axes, base).
    return [ax.parse(cls, text, base) for text in (x, y) if text.strip()]


@dataclass(frozen=True)
class SweepFields(Config):
    """The keys and the grid every experiment's sweep config shares. A sweep config is
    `class XSweep(SweepFields, XConfig)` with the class attributes below: which single-run
    config it sweeps and which of its keys are numbers per member, which make groups, and which
    never vary (with the reason)."""
    x: str = opt("", "first axis: key=v1,v2,... or a range key=log:LOW:HIGH:COUNT (or lin:); empty = one cell",
                 group="Sweep", label="Axis 1 (columns)")
    y: str = opt("", "second axis, the same way; empty = one axis", group="Sweep", label="Axis 2 (rows)")
    seeds: int = opt(1, "seeds per cell: seed, seed+1, ..., seed+seeds-1", lo=1, hi=32, group="Sweep",
                     label="Seeds per cell")
    streams: str = opt("auto", "random numbers: member = each member its own generator, drawing what its single "
                               "run draws; shared = one generator drawing for all members at once (fast on a GPU); "
                               "auto = member on a CPU, shared on CUDA", choices=STREAMS)

    single: ClassVar[type] = Config
    per_member: ClassVar[tuple[str, ...]] = ()
    per_group: ClassVar[tuple[str, ...]] = ()
    not_swept: ClassVar[dict[str, str]] = {}

    def check(self) -> None:
        super().check()
        axes = self.axes()
        if len(axes) == 2 and axes[0].key == axes[1].key:
            raise ConfigError(f"x and y both sweep {axes[0].key}: give each key once")
        # Every cell's config is a valid single-run config (its rules between keys included), at the
        # first and the last seed (the seed's bound).
        for cell in self.cells():
            for s in {0, self.seeds - 1}:
                self._member(cell, s)

    # ---- the grid -------------------------------------------------------------------------------
    @classmethod
    def of(cls, base, axes: dict | None = None, seeds: int = 1, **keys):
        """A sweep from a single-run config, {key: list of values} (one or two keys, or text such as
        "log:1e-4:1e-2:5") and seeds per cell."""
        texts = [f"{k}={v}" if isinstance(v, str) else ax.Axis(k, tuple(v)).text() for k, v in (axes or {}).items()]
        if len(texts) > 2:
            raise ConfigError(f"a sweep has at most two axes (rows and columns), not {len(texts)}: "
                              f"{', '.join(axes)}")
        texts += [""] * (2 - len(texts))
        own = {f.name: getattr(base, f.name) for f in dataclasses.fields(cls.single)}
        return cls(**own, x=texts[0], y=texts[1], seeds=seeds, **keys)

    def base(self):
        """The single-run config every member starts from (before its axis values and seed)."""
        return self.single(**{f.name: getattr(self, f.name) for f in dataclasses.fields(self.single)})

    def axes(self) -> list[ax.Axis]:
        return _axes(type(self), self.x, self.y, self.base())

    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid: (len y, len x), 1 for a missing axis."""
        axes = self.axes() + [None, None]
        return tuple(len(a.values) if a else 1 for a in (axes[1], axes[0]))

    def cells(self) -> list[dict]:
        """Each cell's axis values {key: value}, row-major (y outer, x inner)."""
        axes = self.axes()
        xs = [(axes[0].key, v) for v in axes[0].values] if axes else [None]
        ys = [(axes[1].key, v) for v in axes[1].values] if len(axes) > 1 else [None]
        return [dict(kv for kv in (y, x) if kv) for y in ys for x in xs]

    @property
    def n_members(self) -> int:
        rows, cols = self.shape()
        return rows * cols * self.seeds

    def _member(self, cell: dict, s: int):
        return dataclasses.replace(self.base(), **cell, seed=self.seed + s)

    def members(self) -> list:
        """Every member's single-run config, in member order (module docstring)."""
        base = self.base()
        return [dataclasses.replace(base, **cell, seed=self.seed + s) for cell in self.cells()
                for s in range(self.seeds)]


@dataclass(frozen=True)
class SweepConfig(SweepFields, ModeCollapseConfig):
    """The mode-collapse sweep: 2-D GANs (lab.sweep.trainer)."""
    single: ClassVar[type] = ModeCollapseConfig
    per_member: ClassVar[tuple[str, ...]] = PER_MEMBER
    per_group: ClassVar[tuple[str, ...]] = PER_GROUP
    not_swept: ClassVar[dict[str, str]] = NOT_SWEPT

    def check(self) -> None:
        super().check()
