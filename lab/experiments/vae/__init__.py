"""VAE latent manifolds (note 000 sec. 2, note 001, note 002): a VAE with a k-dimensional latent
on real digits (embedded, offline), MNIST or Fashion-MNIST (IDX files), or two moons, with PCA
and a plain autoencoder of the same code size beside it.

    config.py   LatentVAEConfig: the keys, their bounds, groups and which are live
    data.py     load_data: the data sets as flat tensors
    run.py      LatentVAERun: training, snapshots, metrics, the IW bound (the maths is lab.variational)
                and log p(x) by quadrature for a 1-D or 2-D latent (lab.quadrature)
    mixture.py  MixtureRun: model=bernoulli_mixture, a discrete latent with an exact log p(x) (EM)
    figures.py  snapshot -> Plotly figures and uint8 pictures
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lab.experiments import Experiment, SeedSpec
from lab.experiments.vae.config import DATA, IDX_DATA, LatentVAEConfig
from lab.experiments.vae.data import load_data
from lab.experiments.vae.mixture import MixtureRun
from lab.experiments.vae.run import LatentVAERun

__all__ = ["DATA", "EXPERIMENT", "IDX_DATA", "LatentVAEConfig", "LatentVAERun", "MixtureRun", "load_data", "make_run"]


def make_run(cfg: LatentVAEConfig, data: dict | None = None, progress=None) -> LatentVAERun | MixtureRun:
    """The run of cfg.model: the VAE (with PCA and an autoencoder) or the mixture of Bernoullis."""
    return (MixtureRun if cfg.model == "bernoulli_mixture" else LatentVAERun)(cfg, data, progress)


def _figures(run: LatentVAERun | MixtureRun) -> dict:
    from lab.experiments.vae import figures
    if isinstance(run, MixtureRun):
        return {"mixture_curves": figures.mixture_curves(run.snapshot()["history"])}
    return figures.export(run.snapshot(), run.comparison())


def _artifacts(run: LatentVAERun | MixtureRun, out: Path) -> None:
    """What is measured once at the end (not part of the cheap metrics) goes into metrics.json:
    the VAE's IW bound beside its ELBO and, for a 1-D or 2-D latent, its exact log p(x) by
    quadrature with the grid's stated error. The manifold, a grid of interpolations between class
    means (or the mixture's component means) are also written as PNGs for slides."""
    from lab.cli import to_json
    from lab.experiments.vae import figures
    from lab.figures import grids
    snap = run.snapshot()
    if isinstance(run, MixtureRun):
        (out / "mixture_means.png").write_bytes(grids.png(figures.mixture_image(snap)))
        return
    path = out / "metrics.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["iw_elbo_test"] = to_json(run.iw_bound()["iw_elbo_test"])
    exact = run.exact_log_px()
    doc["metrics"] |= {k: to_json(v) for k, v in exact.items() if k.startswith("log_px")}
    path.write_text(json.dumps(doc, indent=1, allow_nan=False))
    if snap["shape"]:
        (out / "vae_manifold.png").write_bytes(grids.png(figures.manifold_image(snap, scale=2)))
        # Latent interpolation between class means (row c: mean of class c -> mean of the next class)
        classes, means = run.class_means()
        t = np.linspace(0.0, 1.0, 10)[:, None]
        rows = [run.decode((1 - t) * means[k] + t * means[(k + 1) % len(means)]) for k in range(len(means))]
        (out / "vae_class_interpolation.png").write_bytes(grids.png(figures.rows_image(rows, scale=2)))


def _seed_keys(cfg: LatentVAEConfig) -> tuple[str, ...]:
    return ("log_px_test", "log_px_train") if cfg.model == "bernoulli_mixture" else ("elbo_test", "recon_test", "kl_test")


EXPERIMENT = Experiment(
    name="vae",
    summary="Train a VAE (and PCA / an autoencoder beside it) on real digits, MNIST, Fashion or two moons, "
            "or (model=bernoulli_mixture) a mixture of Bernoullis with an exact log p(x)",
    config=LatentVAEConfig,
    make_run=make_run,
    figures=_figures,
    artifacts=_artifacts,
    smoke={"data": "toy2d", "width": 16, "steps": 5, "batch": 16, "n_eval": 50, "log_every": 5, "K": 4},
    seeds=SeedSpec(keys=_seed_keys,
                   labels={"elbo_test": "test ELBO", "recon_test": "reconstruction", "kl_test": "KL",
                           "log_px_test": "test log p(x)", "log_px_train": "train log p(x)"}),
)
