"""Langevin dynamics on targets with an exact density (note 003, the EBM view of GANs): many
particles follow x' = x + eta grad log p(x) + sqrt(2 eta) eps, with or without a
Metropolis-Hastings correction (MALA); the KL of their histogram to p measures how close they are.

    config.py    LangevinConfig (no torch at import)
    sampler.py   one ULA / MALA step for all particles
    run.py       LangevinRun: the particles, the KL and the mean's error over iterations
    figures.py   snapshot -> Plotly figures
The targets (presets and mixture specs, exact log p, score, Z) are lab.data.densities.
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.langevin.config import LangevinConfig


def make_run(cfg: LangevinConfig):
    from lab.experiments.langevin.run import LangevinRun        # imports torch
    return LangevinRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.langevin import figures as figs
    snap = run.snapshot()
    return {"particles": figs.density(snap), "kl": figs.kl_curve(snap)}


EXPERIMENT = Experiment(
    name="langevin",
    summary="Langevin dynamics and MALA: particles against an exact density, the KL of their histogram to p",
    config=LangevinConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 5, "particles": 50},
    seeds=SeedSpec(keys=("kl", "mean_error"), labels={"kl": "KL", "mean_error": "mean error"}),
)
