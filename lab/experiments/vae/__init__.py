"""VAE latent manifolds (note 000 sec. 2, note 001, note 002): a VAE with a k-dimensional latent
on real digits (embedded, offline), MNIST or Fashion-MNIST (IDX files), or two moons, with PCA
and a plain autoencoder of the same code size beside it.

    config.py   LatentVAEConfig: the keys, their bounds, groups and which are live
    data.py     load_data: the data sets as flat tensors
    run.py      LatentVAERun: training, snapshots, metrics, the IW bound (the maths is lab.variational)
    figures.py  snapshot -> Plotly figures and uint8 pictures
"""
from __future__ import annotations

import json
from pathlib import Path

from lab.experiments import Experiment, SeedSpec
from lab.experiments.vae.config import DATA, IDX_DATA, LatentVAEConfig
from lab.experiments.vae.data import load_data
from lab.experiments.vae.run import LatentVAERun

__all__ = ["DATA", "EXPERIMENT", "IDX_DATA", "LatentVAEConfig", "LatentVAERun", "load_data"]


def _figures(run: LatentVAERun) -> dict:
    from lab.experiments.vae import figures
    return figures.export(run.snapshot(), run.comparison())


def _artifacts(run: LatentVAERun, out: Path) -> None:
    """The IW bound, measured once at the end (it is not part of the cheap metrics), goes into
    metrics.json beside the ELBO; the manifold is also written as a PNG for slides."""
    from lab.cli import to_json
    from lab.experiments.vae import figures
    from lab.figures import grids
    path = out / "metrics.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["iw_elbo_test"] = to_json(run.iw_bound()["iw_elbo_test"])
    path.write_text(json.dumps(doc, indent=1, allow_nan=False))
    snap = run.snapshot()
    if snap["shape"]:
        (out / "vae_manifold.png").write_bytes(grids.png(figures.manifold_image(snap, scale=2)))


EXPERIMENT = Experiment(
    name="vae",
    summary="Train a VAE (and PCA / an autoencoder beside it) on real digits, MNIST, Fashion or two moons",
    config=LatentVAEConfig,
    make_run=LatentVAERun,
    figures=_figures,
    artifacts=_artifacts,
    smoke={"data": "toy2d", "width": 16, "steps": 5, "batch": 16, "n_eval": 50, "log_every": 5, "K": 4},
    seeds=SeedSpec(keys=("elbo_test", "recon_test", "kl_test"),
                   labels={"elbo_test": "test ELBO", "recon_test": "reconstruction", "kl_test": "KL"}),
)
