"""Failure to converge: the Dirac-GAN (Mescheder, Geiger, Nowozin 2018; note 004). Data delta_0,
generator delta_theta, discriminator D(x) = psi x: simultaneous gradient steps spiral away from
the equilibrium, alternating ones circle, R1, instance noise and consensus optimisation converge.

    config.py        DiracConfig and the page's variants (no torch at import)
    dynamics.py      the players' losses (lab.gan.objectives) and the update maps, in torch.func
    closed_forms.py  the Jacobians and eigenvalues at the equilibrium in closed form
    run.py           DiracRun: the trajectory, the eigenvalues, the arrows
    figures.py       snapshot -> Plotly figures
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.dirac_gan.config import DiracConfig, label_of


def make_run(cfg: DiracConfig):
    from lab.experiments.dirac_gan.run import DiracRun      # imports torch
    return DiracRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.dirac_gan import figures as figs
    snaps = {label_of(run.cfg): run.snapshot()}
    return {"plane": figs.plane(snaps), "eigenvalues": figs.eigenvalues(snaps), "radius": figs.radius(snaps)}


EXPERIMENT = Experiment(
    name="dirac_gan",
    summary="The Dirac-GAN: simultaneous and alternating gradient steps, R1, instance noise, WGAN-GP, consensus; "
            "the trajectory and the Jacobian's eigenvalues at the equilibrium",
    config=DiracConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 5},
    # Only instance noise draws random numbers; every other variant is the same on any seed.
    seeds=SeedSpec(keys=("radius",), numbers=lambda run: {"radius": run.radius}, labels={"radius": "radius"}),
)
