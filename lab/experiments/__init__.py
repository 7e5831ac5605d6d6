"""The experiments: each package (or module) in this folder is one, and defines `EXPERIMENT`.

An experiment is a frozen config class (lab.config.Config) plus a run (lab.run.Run) that the
page, the command line and the tests all drive the same way:

    run = EXPERIMENT.make_run(config)
    run.advance(k); run.snapshot(); run.metrics(); run.state_bytes()

A package holds the experiment's config, its model or trainer, its run and its figures, in
files small enough to read whole. Packages are discovered by name, so adding an experiment
touches no shared file.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lab.config import ConfigError


def last_logged(run) -> dict:
    """A single run's numbers at its last measurement: its history's last entries."""
    return {k: v[-1] for k, v in run.history.items() if k != "step" and v}


@dataclass(frozen=True)
class SeedSpec:
    """How an experiment's seeds are summarised (lab.experiments.Experiment.seeds): which numbers
    (`keys`, or a function of the config giving them), how a single run gives them (`numbers`),
    the batched sweep's own keys so its companions are measured when the single run is (e.g.
    eval_every=1), and the names a page shows."""
    keys: tuple[str, ...] | Callable[[Any], tuple[str, ...]] | None = None
    numbers: Callable[[Any], dict] = last_logged
    sweep_keys: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    def keys_for(self, cfg) -> tuple[str, ...] | None:
        return self.keys(cfg) if callable(self.keys) else self.keys


@dataclass(frozen=True)
class Experiment:
    name: str
    summary: str                      # one line, for `python -m lab list`
    config: type                      # a frozen lab.config.Config with defaults for every field
    make_run: Callable[[Any], Any]    # config -> lab.run.Run
    figures: Callable[[Any], dict] | None = None   # run -> {file stem: plotly Figure}
    artifacts: Callable[[Any, Path], None] | None = None  # (run, out dir): other files, e.g. PNG grids
    # Keys for a tiny run that trains in well under a second: the protocol tests and the
    # command-line tests use it, so every experiment is exercised the same way.
    smoke: dict[str, Any] = field(default_factory=dict)
    # How its seeds are summarised when a page trains several together (SeedSpec; lab.seeds).
    seeds: SeedSpec | None = None
    # What metrics.json shows as "history" when not the run's own (run -> dict), e.g. one curve per kind.
    history: Callable[[Any], dict] | None = None


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str) -> Experiment:
    if name not in names():
        raise ConfigError(f"unknown experiment {name!r}; the experiments are: {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{name}").EXPERIMENT
