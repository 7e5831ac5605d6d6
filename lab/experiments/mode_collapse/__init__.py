"""Mode collapse on 2-D mixtures, and what cures it (note 004; note 001 Alg. 1; note 002).

A GAN learns a ring of 8 or a grid of 25 Gaussians (or a spiral, or the user's points). The
plain non-saturating GAN at Metz et al.'s rates tends to cover a few modes and hop between them
(Metz et al., Figure 1); the remedies -- Wasserstein losses with a Lipschitz critic, unrolled D,
PacGAN packing, instance noise, more D steps -- are knobs of one trainer (`trainer.GAN2D`).
Scored as in VEEGAN / PacGAN on 2,500 samples: modes captured, share of high-quality samples,
and reverse KL of the mode histogram against uniform (`metrics`).
"""
from __future__ import annotations

from lab.experiments import Experiment, SeedSpec
from lab.experiments.mode_collapse.config import ModeCollapseConfig
from lab.experiments.mode_collapse.run import ModeCollapseRun


def _figures(run: ModeCollapseRun) -> dict:
    from lab.experiments.mode_collapse import figures as figs
    snap = run.snapshot()
    return {"mode_collapse_scatter": figs.scatter(snap), "mode_collapse_coverage": figs.coverage(snap),
            "mode_collapse_curves": figs.curves(snap), "mode_collapse_metrics": figs.metrics_vs_anchors(snap),
            "mode_collapse_snapshots": figs.strip(snap, figs.strip_steps(snap, "", n=6))}


EXPERIMENT = Experiment(
    name="mode_collapse",
    summary="Train a 2-D GAN on rings / grids of Gaussians; count modes captured; try recipes, unrolling, packing",
    config=ModeCollapseConfig,
    make_run=ModeCollapseRun,
    figures=_figures,
    smoke=dict(width=16, depth=1, latent=4, batch=32, eval_every=5, steps=10),
    seeds=SeedSpec(keys=("modes", "hq", "reverse_kl"),
                   labels={"modes": "modes", "hq": "high-quality share", "reverse_kl": "reverse KL"}),
)
