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


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str) -> Experiment:
    if name not in names():
        raise ConfigError(f"unknown experiment {name!r}; the experiments are: {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{name}").EXPERIMENT
