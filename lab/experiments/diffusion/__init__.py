"""From Langevin to diffusion (note 003; Song & Ermon 2019; Ho et al. 2020): a noise-conditional
score network sampled by annealed Langevin and a DDPM, beside single-level Langevin from a score
fitted with the same budget at the smallest noise only; the KL of each one's samples to the exact
target, and the error of the mass near each mode (why many noise levels fix mixing).

    config.py      DiffusionConfig (no torch at import)
    schedules.py   the sigma and beta schedules, the exact noised mixtures
    objectives.py  sigma^2-weighted denoising score matching, DDPM's L_simple
    samplers.py    annealed Langevin, DDPM's reverse chain, the exact noise predictor
    run.py         DiffusionRun: the three networks, their training, the samples' read-out
    figures.py     snapshot -> Plotly figures
The targets are lab.data.densities (shared with the Langevin and score-matching experiments).
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.diffusion.config import DiffusionConfig


def make_run(cfg: DiffusionConfig):
    from lab.experiments.diffusion.run import DiffusionRun        # imports torch
    return DiffusionRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.diffusion import figures as figs
    snap = run.snapshot()
    return {"samples": figs.samples(snap), "kl": figs.kl_curve(snap), "noised": figs.noised(snap)}


EXPERIMENT = Experiment(
    name="diffusion",
    summary="Annealed Langevin with a noise-conditional score and a DDPM against single-level Langevin: "
            "the KL of each one's samples to the target",
    config=DiffusionConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 3, "batch": 16, "width": 8, "depth": 1, "levels": 3, "per_level": 3, "ddpm_steps": 5,
           "samples": 50, "bins": 10, "readouts": 1},
    seeds=SeedSpec(keys=("kl", "kl_ddpm", "kl_langevin"),
                   labels={"kl": "KL annealed Langevin", "kl_ddpm": "KL DDPM", "kl_langevin": "KL single-level"}),
)
