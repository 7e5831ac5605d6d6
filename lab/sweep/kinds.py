"""Which experiments can be swept: for each, its sweep config, its batched run, the page that
opens one member as a single run, and the lessons (presets) the Sweep page offers.

An experiment joins by defining, in its own package, a sweep config (`class XSweep(SweepFields,
XConfig)`, lab.sweep.config), a run (a lab.sweep.batched.BatchedRun) and a `SWEEP = SweepKind(...)`
in `lab/experiments/<name>/sweep.py`; KINDS lists the modules to import.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from lab.config import ConfigError


@dataclass(frozen=True)
class SweepKind:
    experiment: str            # the single-run experiment (lab.experiments) a member is
    label: str                 # for the page's experiment box
    config: type               # its sweep config class (lab.sweep.config.SweepFields)
    run: type                  # its lab.sweep.batched.BatchedRun
    page: str                  # app_pages/<name>.py: where one member opens as a single run
    presets: dict = field(default_factory=dict)       # name -> lab.sweep.presets.Preset
    metric: str | Callable = ""          # the heat map's first metric, or a function of the sweep config giving it
    # Optional figures of one cell: (snapshot, cell) -> [plotly figures], e.g. its seeds' samples.
    cell_figures: Callable | None = None
    # Optional figure of every cell at once (small multiples, lab.sweep.figures.Tiles): snapshot ->
    # plotly figure, or a sentence saying why this sweep has none (lab.sweep.figures.too_many_cells).
    grid_figure: Callable | None = None
    fixed: tuple[str, ...] = ()          # base keys a sweep holds at their default (drawn disabled)
    # A member's config -> the query parameters that open it alone on its page (default: the
    # config's own key=value strings, lab.config.to_strings).
    link: Callable | None = None

    def first_metric(self, cfg) -> str:
        return self.metric(cfg) if callable(self.metric) else self.metric

    def link_params(self, cfg) -> dict[str, str]:
        from lab.config import to_strings
        return self.link(cfg) if self.link else to_strings(cfg)


KINDS = {"mode_collapse": "lab.sweep.mode_collapse", "discriminator": "lab.experiments.discriminator.sweep",
         "disjoint": "lab.experiments.disjoint.sweep", "vae": "lab.experiments.vae.sweep"}


def get(name: str) -> SweepKind:
    if name not in KINDS:
        raise ConfigError(f"experiment {name!r} cannot be swept; sweeps exist for: {', '.join(KINDS)}")
    return importlib.import_module(KINDS[name]).SWEEP


def all_kinds() -> dict[str, SweepKind]:
    return {name: get(name) for name in KINDS}
