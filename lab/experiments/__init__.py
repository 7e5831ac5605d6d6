"""The experiments: each module in this package is one, and defines `EXPERIMENT`.

An experiment is a frozen config class plus a run that the page, the command line and the
tests all drive the same way:

    run = EXPERIMENT.make_run(config)
    run.advance(k)          # k more training steps (or units of work)
    run.step, run.total     # progress: done so far, and the config's budget
    run.snapshot()          # plain arrays and numbers for figures
    run.metrics()           # flat dict of numbers for metrics.json and the page
    run.history             # dict of lists, one entry per logged step

Modules are discovered by name, so adding an experiment touches no shared file.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lab.config import ConfigError


@dataclass(frozen=True)
class Experiment:
    name: str
    summary: str                      # one line, for `python -m lab list`
    config: type                      # a frozen dataclass with defaults for every field
    make_run: Callable[[Any], Any]
    figures: Callable[[Any], dict] | None = None   # run -> {file stem: plotly Figure}
    artifacts: Callable[[Any, Path], None] | None = None  # (run, out dir): other files, e.g. PNG grids


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str) -> Experiment:
    if name not in names():
        raise ConfigError(f"unknown experiment {name!r}; the experiments are: {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{name}").EXPERIMENT
