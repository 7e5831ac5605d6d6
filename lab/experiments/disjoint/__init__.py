"""Wasserstein vs Jensen-Shannon on disjoint supports (note 004; Arjovsky, Chintala, Bottou 2017,
Example 1): closed-form divergences of the parallel lines and of the thin-Gaussian pair
(closed_forms), a GAN whose generator is one number theta (trainer), the run (run), figures."""
from __future__ import annotations

from lab.experiments import Experiment, SeedSpec
from lab.experiments.disjoint.config import DisjointConfig
from lab.experiments.disjoint.run import DisjointRun


def _figures(run: DisjointRun) -> dict:
    from lab.experiments.disjoint import figures as figs
    snap = run.snapshot()
    snaps = {run.cfg.recipe: snap}
    return {"divergences": figs.divergences(run.cfg.setup, run.cfg.sigma, snap["theta"]),
            "samples": figs.samples(snaps), "trajectories": figs.trajectories(snaps),
            "gap": figs.across_gap(snaps), "earlier": figs.earlier(snaps)}


EXPERIMENT = Experiment(
    name="disjoint",
    summary="Learn theta on disjoint supports (parallel lines, thin Gaussians): JS-GANs vs WGAN critics, "
            "instance noise",
    config=DisjointConfig,
    make_run=DisjointRun,
    figures=_figures,
    smoke={"steps": 3, "batch": 16, "width": 8},
    # theta is logged every step, so the batched companions are measured every step too.
    seeds=SeedSpec(keys=("abs_theta",), numbers=lambda run: {"abs_theta": abs(run.theta)}, sweep_keys={"eval_every": 1},
                   labels={"abs_theta": "|theta|"}),
)
