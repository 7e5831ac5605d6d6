"""Runs that fail on purpose, or carry what a plain connection may not, importable by a worker process of the pool (`tests.faulty_runs`:
a worker starts in the repository's root, so a Build naming them travels by reference)."""
from __future__ import annotations

from lab.experiments.disjoint import DisjointRun

FAIL_AT = 6


class FailingRun(DisjointRun):
    """A disjoint run whose loss 'diverges' at step FAIL_AT: every advance past it raises."""

    def _advance(self, k: int, **options) -> None:
        ok = max(0, min(k, FAIL_AT - self.step))
        if ok:
            super()._advance(ok, **options)
        if ok < k:
            raise FloatingPointError("the loss is nan")


class TensorRun(DisjointRun):
    """A disjoint run built with a tensor, and a method that answers with one."""

    def __init__(self, cfg, payload):
        super().__init__(cfg)
        self.payload = payload

    def doubled(self):
        return 2 * self.payload


def refused(cfg):
    """A build the worker refuses as a run would refuse a bad setting: a ConfigError's one line."""
    from lab.config import ConfigError
    raise ConfigError(f"seed {cfg.seed} is refused here")
