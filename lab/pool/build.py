"""How a run is made, as a picklable value: a worker process rebuilds the run from it, and a
restart after a crash builds it again before loading the last saved state.

A page's `make` returns `Build(with_seeds, "disjoint", cfg, n_seeds, DisjointRun)` instead of
calling `with_seeds(...)` itself: the function and the classes travel by their import name, the
config and the numbers by value, so nothing but the recipe crosses the process boundary (a run
holds closures, generators and locks that do not pickle).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Build:
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __init__(self, fn: Callable[..., Any], *args, **kwargs):
        object.__setattr__(self, "fn", fn)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "kwargs", kwargs)

    def __call__(self):
        return self.fn(*self.args, **self.kwargs)


def experiment_run(name: str, cfg):
    """`lab.experiments.get(name).make_run(cfg)` by name (an Experiment's bound method does not
    travel as a reference)."""
    from lab import experiments
    return experiments.get(name).make_run(cfg)
