"""Robust mean estimation under Huber contamination (note 002; Gao, Liu, Yao, Zhu, ICLR 2019).

    config.py         the settings: Huber's model, the estimators, the GANs' set-up
    estimators.py     mean, medians, trimmed mean, Tukey median (a registry with the notes' table)
    gan_estimator.py  JS-GAN and TV-GAN as estimators of a location (lab.gan's D step and G loss)
    theory.py         the rates and the exact large-n errors of the mean and the median
    run.py            one run: the data, the classical estimates, the GANs trained in lockstep
    sweep.py          error against eps or p over repetitions (a run too: steppable, stoppable)
    figures.py        snapshots -> Plotly figures
"""
from __future__ import annotations

from lab.experiments import Experiment, SeedSpec
from lab.experiments.robust_mean.config import RobustMeanConfig
from lab.experiments.robust_mean.run import RobustMeanRun


def _figures(run: RobustMeanRun) -> dict:
    from lab.experiments.robust_mean.figures import errors_figure, history_figure, scatter_figure
    snap = run.snapshot()
    figs = {"robust_mean": scatter_figure(snap), "robust_mean_errors": errors_figure(snap["metrics"])}
    if run.gans:
        figs["robust_mean_training"] = history_figure(snap)
    return figs


EXPERIMENT = Experiment(
    name="robust_mean",
    summary="Huber contamination: mean, medians, trimmed mean, Tukey median, JS-GAN and TV-GAN as robust estimators",
    config=RobustMeanConfig,
    make_run=RobustMeanRun,
    figures=_figures,
    smoke=dict(n=200, p=2, batch=50, epochs=4, avg_epochs=2, estimators="mean,cw_median,js_gan,tv_gan"),
    # Every estimator's error |theta_hat - theta| (no batched sweep: the seeds train in turn).
    seeds=SeedSpec(numbers=lambda run: {f"error_{k}": v for k, v in run.metrics()["error"].items()}),
)
