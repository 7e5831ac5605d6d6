"""An energy-based model by maximum likelihood (note 003): p_f = exp(f) / Z with f a small MLP,
trained by contrastive divergence with Langevin negatives (short-run chains from noise, or
persistent chains); the learned density is normalised on the target's fine grid and measured
against the exact p by KL(p || p_f) over training.

    config.py    CDConfig (no torch at import)
    cd.py        the CD loss, the negatives (Langevin on f by autograd), log Z and the KLs
    run.py       CDRun: the energy network, its negatives, the KL over training
    figures.py   snapshot -> Plotly figures
The targets are lab.data.densities; the Langevin step is lab.experiments.langevin.sampler.ula.
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.ebm.config import CDConfig


def make_run(cfg: CDConfig):
    from lab.experiments.ebm.run import CDRun        # imports torch
    return CDRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.ebm import figures as figs
    snap = run.snapshot()
    return {"density": figs.density(snap), "kl": figs.kl_curve(snap)}


EXPERIMENT = Experiment(
    name="ebm",
    summary="An energy-based model p_f = exp(f)/Z by contrastive divergence (short-run or persistent Langevin "
            "negatives): the learned density against the exact one, KL(p || p_f)",
    config=CDConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 3, "batch": 16, "width": 8, "langevin_steps": 2},
    seeds=SeedSpec(keys=("kl",), numbers=lambda run: {"kl": run.metrics()["kl"]}, labels={"kl": "KL(p || p_f)"}),
)
