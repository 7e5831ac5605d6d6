"""Many mode-collapse GANs at once: configurations x seeds as one batched model (lab.sweep).

Registered as an experiment so the sweep is driven like every run (`python -m lab run sweep
x=lr_d=1e-4,1e-3 seeds=4 --out DIR`, lab.run.load, the protocol tests); `python -m lab sweep`
is the command line made for it (members.csv, summary.json, the heat map).
"""
from __future__ import annotations

from lab.experiments import Experiment
from lab.sweep import SweepConfig, SweepRun


def _figures(run: SweepRun) -> dict:
    from lab.sweep import figures as figs
    snap = run.snapshot()
    return {"sweep_heatmap": figs.heatmap(snap), "sweep_samples": figs.grid_samples(snap)}


EXPERIMENT = Experiment(
    name="sweep",
    summary="Many 2-D GANs at once (configurations x seeds, batched): a phase diagram of modes captured",
    config=SweepConfig,
    make_run=SweepRun,
    figures=_figures,
    smoke=dict(width=16, depth=1, latent=4, batch=32, eval_every=5, steps=10, x="lr_d=1e-4,1e-3", seeds=2),
)
