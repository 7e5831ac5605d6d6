"""Score matching on targets with an exact density (note 003): a score network s(x) fitted by
Hyvarinen's objective (exact divergence by autograd), by denoising or by sliced score matching,
measured by the Fisher divergence E_p |s - grad log p|^2 on the target's fine grid.

    config.py      ScoreConfig (no torch at import)
    objectives.py  the three objectives and the Fisher divergence
    run.py         ScoreRun: the network, its training, the two fields
    figures.py     snapshot -> Plotly figures
The targets are lab.data.densities (shared with the Langevin experiment).
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.score_matching.config import ScoreConfig


def make_run(cfg: ScoreConfig):
    from lab.experiments.score_matching.run import ScoreRun        # imports torch
    return ScoreRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.score_matching import figures as figs
    snap = run.snapshot()
    return {"fields": figs.fields(snap), "fisher": figs.fisher_curve(snap)}


EXPERIMENT = Experiment(
    name="score_matching",
    summary="Score matching (exact Hyvarinen, denoising, sliced): a score network against the exact grad log p, "
            "the Fisher divergence",
    config=ScoreConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 3, "batch": 16, "width": 8},
    seeds=SeedSpec(keys=("fisher",), numbers=lambda run: {"fisher": run.metrics()["fisher"]},
                   labels={"fisher": "Fisher divergence"}),
)
