"""Runs that fail on purpose, importable by a worker process of the pool (`tests.faulty_runs`:
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
