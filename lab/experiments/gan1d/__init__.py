"""The GAN game in 1-D (Goodfellow et al. 2014, Figure 1; notes 000, 001, 002, 004): an MLP
generator G: z -> x learns a 1-D target against a discriminator, read exactly at every step.

    config.py     Gan1dConfig (no torch at import: the page draws its opening first)
    densities.py  the push-forward density of G, D*, JS, C(G), V(D, G), W1 by quadrature (NumPy, SciPy)
    trainer.py    Game1D: G, D, Algorithm 1's step, the exact read-outs
    run.py        Gan1dRun: the protocol, the history
    figures.py    snapshot -> Plotly figures
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.gan1d.config import Gan1dConfig


def make_run(cfg: Gan1dConfig):
    from lab.experiments.gan1d.run import Gan1dRun   # imports torch
    return Gan1dRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.gan1d import figures as figs
    snap = run.snapshot()
    return {"figure1": figs.figure1(snap), "equilibrium": figs.curves(snap), "saturation": figs.saturation(snap)}


EXPERIMENT = Experiment(
    name="gan1d",
    summary="Goodfellow et al.'s Figure 1 live: a generator network learns a 1-D target; D -> 1/2, JS -> 0, "
            "minimax vs non-saturating signal",
    config=Gan1dConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 3, "batch": 16, "width": 8, "log_every": 1},
    seeds=SeedSpec(keys=("js", "d_real", "d_fake", "w1"),
                   labels={"js": "JS", "d_real": "mean D(real)", "d_fake": "mean D(fake)", "w1": "W1"}),
)
