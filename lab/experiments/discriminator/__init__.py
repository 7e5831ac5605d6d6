"""Discriminators, perfect vs Lipschitz (note 000 sec. 1.2-1.3.1; note 004): a D or a Lipschitz
critic trained against a frozen generator, beside the exact optimum D*, JS and W1.

    config.py   DiscriminatorConfig (no torch at import: the page draws its opening first)
    run.py      DiscriminatorRun: the D step, the snapshot, the metrics
    figures.py  snapshot -> Plotly figures (numpy and plotly only)
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.discriminator.config import DiscriminatorConfig


def make_run(cfg: DiscriminatorConfig):
    from lab.experiments.discriminator.run import DiscriminatorRun   # imports torch
    return DiscriminatorRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.discriminator.figures import figure
    return {"discriminator": figure({run.cfg.constraint: run.snapshot()})}


EXPERIMENT = Experiment(
    name="discriminator",
    summary="Train a discriminator or Lipschitz critic against a fixed generator; compare with D*, JS and W1",
    config=DiscriminatorConfig,
    make_run=make_run,
    figures=_figures,
    smoke=dict(steps=20, width=16, n_samples=50, batch=64),
    # A plain D is summarised by its distance to D*, a critic by its W1 estimate; the batched
    # companions are measured every 10 steps, the shown run whenever it is drawn.
    seeds=SeedSpec(keys=lambda cfg: ("sup_gap", "js_from_d") if cfg.constraint == "none" else ("w1_from_critic", "lipschitz"),
                   numbers=lambda run: run.metrics(), sweep_keys={"eval_every": 10},
                   labels={"sup_gap": "sup|D - D*|", "js_from_d": "JS from D", "w1_from_critic": "W1 estimate",
                           "lipschitz": "Lipschitz constant"}),
)
