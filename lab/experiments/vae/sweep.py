"""The VAE sweep: phase diagrams of VAEs over beta, latent size, learning rate... and seeds,
each group of one shape trained as one batched model (lab.experiments.vae.batched).

    cfg = VAESweep.of(LatentVAEConfig(width=64), {"beta": [0.5, 1, 4], "latent": [2, 8]}, seeds=3)
    run = VAESweepRun(cfg)            # latent 2 and latent 8 are two groups, trained in turn
    run.advance(500); run.metrics(); run.member_metrics()
    python -m lab sweep vae beta=0.5,1,4 latent=2,8 seeds=3 width=64 steps=500 --out DIR

A member's config (run.configs[m]) is a LatentVAEConfig: the VAE page opens it as that single
run, whose VAE is this member's (its autoencoder and PCA are the page's own comparison).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lab.config import ConfigError
from lab.experiments.vae.batched import N_SAMPLES, BatchedVAE, structure
from lab.experiments.vae.config import LatentVAEConfig
from lab.experiments.vae.data import load_data
from lab.sweep import memory
from lab.sweep import streams as rs
from lab.sweep.batched import BatchedRun
from lab.sweep.batched import load as load_batched
from lab.sweep.config import SweepFields
from lab.sweep.kinds import SweepKind
from lab.sweep.presets import Preset

PER_MEMBER = ("lr", "beta", "warmup")
PER_GROUP = ("latent", "width", "depth", "batch", "data")
NOT_SWEPT = {
    "seed": "give seeds=K instead (each cell trains seeds seed, seed+1, ..., seed+K-1)",
    "steps": "the whole sweep trains one budget of steps",
    "log_every": "the whole sweep is measured on one schedule (every log_every steps)",
    "n_eval": "every member is measured on the same number of examples",
    "K": "a sweep measures the ELBO; the importance-weighted bound (K decoder passes per example) is the "
         "single run's: open a member",
    "compare": "a sweep trains the VAEs alone; the autoencoder beside a VAE is the single run's: open a member",
    "data_dir": "one folder of IDX files serves the whole sweep",
    "download": "fetching a data set is not a setting to compare",
    "model": "a sweep trains VAEs; run the mixture of Bernoullis alone (python -m lab run vae model=bernoulli_mixture)",
    "components": "the mixture of Bernoullis is not part of a VAE sweep",
}
N_IN = {"toy2d": 2}                  # input size per data set; the images are 28 x 28 = 784
STEP_ROWS = 4                        # a step keeps inputs, logits, BCE terms and their gradient per example


@dataclass(frozen=True)
class VAESweep(SweepFields, LatentVAEConfig):
    """A VAE sweep: the single-run keys (the base every member starts from), axes, seeds."""
    single: ClassVar[type] = LatentVAEConfig
    per_member: ClassVar[tuple[str, ...]] = PER_MEMBER
    per_group: ClassVar[tuple[str, ...]] = PER_GROUP
    not_swept: ClassVar[dict[str, str]] = NOT_SWEPT

    def check(self) -> None:
        if self.model != "vae":
            raise ConfigError(f"model={self.model}: {NOT_SWEPT['model']}")
        super().check()

    @property
    def eval_every(self) -> int:
        """BatchedRun's measuring schedule: every log_every steps, when the single run logs."""
        return self.log_every


def bytes_per_member(cfg: LatentVAEConfig) -> int:
    """Estimated bytes one member needs while training: weights, gradients and Adam's two moments
    (4 numbers a weight), a step's activations (inputs, hidden layers, logits and BCE terms per
    example) and its train-subset indices. An evaluation pass goes through members in chunks of
    at most lab.experiments.vae.batched.EVAL_NUMBERS activations, so it adds no cost per member."""
    n, k, w, d = N_IN.get(cfg.data, 784), cfg.latent, cfg.width, cfg.depth
    sizes = lambda a, b: [a] + [w] * d + [b]                                      # noqa: E731
    weights = sum((a + 1) * b for s in (sizes(n, 2 * k), sizes(k, n)) for a, b in zip(s[:-1], s[1:]))
    per_example = STEP_ROWS * n + 4 * w * d + 6 * k
    return int(4 * (4 * weights + cfg.batch * per_example + 2 * cfg.n_eval) * memory.SAFETY)


class VAESweepRun(BatchedRun):
    """`dataset`: one load_data dict every member trains on (LatentVAERun's `data`; default: each
    member's own data set, loaded once); `device`: default CUDA when present; `memory_limit`: bytes."""
    experiment = "sweep_vae"
    config_class = VAESweep
    METRICS = {"elbo_test": "test ELBO (nats per example)", "recon_test": "test reconstruction term E_q log p(x|z)",
               "kl_test": "test KL(q(z|x) || p(z))", "active_units": "active latent units",
               "elbo_train": "train ELBO (minibatches since the last look)"}
    SUMMARY = ("elbo_test", "recon_test", "kl_test", "active_units")
    structure = staticmethod(structure)
    bytes_per_member = staticmethod(bytes_per_member)

    def __init__(self, cfg: VAESweep, dataset: dict | None = None, device=None, memory_limit: int | None = None,
                 part: tuple[int, int] | None = None):
        super().__init__(cfg, device, memory_limit, part)
        self.streams = rs.resolve(cfg.streams, self.device)
        self.given, self.data_sets = dataset, {}
        self._start()

    def _data_of(self, c: LatentVAEConfig) -> dict:
        """A member's data, loaded once per data set (two moons: once per seed, as its single run's)."""
        if self.given is not None:
            return self.given
        key = (c.data, c.data_dir, c.seed if c.data == "toy2d" else None)
        if key not in self.data_sets:
            self.data_sets[key] = load_data(c)
        return self.data_sets[key]

    def _build(self, cfgs: list, index: np.ndarray) -> BatchedVAE:
        return BatchedVAE(cfgs, [self._data_of(c) for c in cfgs], self.device, self.streams)

    def _measure(self, g) -> dict[str, np.ndarray]:
        """The single run's logged numbers per member: the test ELBO, its two terms and the active
        units on the fixed test subset, and the train ELBO over the minibatches since the last look."""
        te, tr = g.model.evaluate_test(), g.model.take_train()
        return {"elbo_test": te["elbo"], "recon_test": te["recon"], "kl_test": te["kl"],
                "active_units": te["active_units"], "elbo_train": tr["elbo"]}

    def ranges(self, metric: str) -> tuple[float, float] | None:
        """Fixed colour bounds where a metric has them: 0 to the largest latent size for active units."""
        return (0, max(c.latent for c in self.configs)) if metric == "active_units" else None

    def member_metrics(self) -> list[dict]:
        rows = super().member_metrics()
        for row in rows:
            row["active_units"] = int(row["active_units"])
        return rows

    def _extra_snapshot(self) -> dict:
        beta_now = np.empty(self.members)
        for g in self.groups:
            beta_now[g.index] = g.model.beta_now()
        extra = {"streams": self.streams, "member_data": [c.data for c in self.configs],
                 "latent": np.asarray([c.latent for c in self.configs]), "beta_now": beta_now}
        shape = self._data_of(self.configs[0])["shape"]
        if shape is None or any(self._data_of(c)["shape"] != shape for c in self.configs):
            return extra                # points, not images: the cell's curves say it
        samples = np.empty((self.members, N_SAMPLES, *shape), dtype=np.float32)
        for g in self.groups:
            samples[g.index] = g.model.samples().reshape(len(g.index), N_SAMPLES, *shape)
        return extra | {"samples": samples}


def cell_samples(snap: dict, cell: int) -> list:
    """One cell's prior samples (decoder means at each seed's fixed draws), a row per seed: do
    all seeds' decoders make digits, or one's?"""
    if "samples" not in snap:
        return []
    import plotly.graph_objects as go

    from lab.figures.style import TEMPLATE
    from lab.sweep.figures import cell_label, cell_members
    members = cell_members(snap, cell)
    rows = [np.concatenate([np.pad(im, 1, constant_values=1.0) for im in snap["samples"][m]], axis=1) for m in members]
    grey = (255 * (1 - np.clip(np.concatenate(rows, axis=0), 0, 1))).astype(np.uint8)    # ink dark on white
    h, w = grey.shape
    fig = go.Figure(go.Image(z=np.repeat(grey[..., None], 3, axis=-1), hoverinfo="skip"))
    tick = [(i + 0.5) * h / len(members) for i in range(len(members))]
    fig.update_layout(template=TEMPLATE, height=80 + 60 * len(members), margin=dict(l=70, r=10, t=50, b=10),
                      title=f"{cell_label(snap, cell)}: prior samples, every seed",
                      xaxis=dict(visible=False), yaxis=dict(tickvals=tick, ticktext=[f"seed {int(snap['seed'][m])}"
                                                                                     for m in members]))
    return [fig]


GRID_SAMPLES = 4                     # prior samples a cell's tile shows, 2 x 2


def grid_samples(snap: dict):
    """Every cell's first GRID_SAMPLES prior samples (decoder means at its first seed's fixed
    draws, as in the cell figure), 2 x 2 in a tile laid out as the heat map: where the decoders
    make digits, where they blur to one mean digit (a collapsed posterior). Or the sentence
    saying why there is no such figure."""
    from lab.sweep import figures as figs
    if "samples" not in snap:
        return "Every cell's samples at once are drawn for images; two moons are points: pick a cell for its curves."
    note = figs.too_many_cells(snap)
    if note:
        return note
    rows, cols = snap["shape"]
    tiles = figs.Tiles(rows * cols, cols, bottom_up=True)
    side = int(np.sqrt(GRID_SAMPLES))
    pictures = []
    for cell in range(rows * cols):
        ims = [np.pad(im, 1) for im in snap["samples"][cell * snap["seeds"]][:GRID_SAMPLES]]    # white between
        grid = np.concatenate([np.concatenate(ims[r * side:(r + 1) * side], axis=1) for r in range(side)], axis=0)
        pictures.append((255 * (1 - np.clip(grid, 0, 1))).astype(np.uint8))      # ink dark on white
    image = figs.tiles_image(tiles, pictures, max(p.shape[0] for p in pictures))
    seed = int(snap["seed"][0])
    return figs.tile_frame(tiles, f"Prior samples at step {snap['step']:,}, seed {seed} of every cell",
                           images=[image], **figs.as_grid(snap))


def load(data: bytes, dataset: dict | None = None, device=None) -> VAESweepRun:
    """A sweep rebuilt from `VAESweepRun.state_bytes()`; one-line CheckpointError for anything else."""
    return load_batched(VAESweepRun, data, dataset=dataset, device=device)


# ---- lessons -------------------------------------------------------------------------------------
# Small enough to train live: 24 and 30 members of width 64 for 600 steps took 47 s and 44 s on one
# CPU thread of a shared 2-core machine (python -m lab sweep vae ..., the numbers quoted below).
LESSON_BASE = {"width": "64", "steps": "600", "log_every": "100"}
PRESETS = {
    "beta_latent": Preset(
        "beta vs latent size",
        "What does beta buy, and what does it cost? Measured here (2 seeds, 600 steps): the KL falls with beta at "
        "every latent size (7-24 nats at beta 0.25, under 0.3 at beta 16) while reconstructions get worse; the best "
        "test ELBO is at latent 8 with beta 1 or less (about -168 to -175). At beta 16 the posterior collapses onto "
        "the prior: 0-2 active units whatever the latent size, while up to beta 1 all 32 units still count as "
        "active at this budget.",
        x="beta=0.25,1,4,16", y="latent=2,8,32", seeds=2, metric="kl_test", base=LESSON_BASE),
    "lr_beta": Preset(
        "Learning rate vs beta",
        "Which matters more in 600 steps, the rate or beta? Measured here (latent 2, 2 seeds): the rate. From 1e-4 "
        "to 1e-2 the test ELBO rises by about 55 nats at every beta; beta 0.5 to 4 moves it by at most about 17 "
        "(and at the slowest rate beta 4 is ahead). At rate 1e-2 and beta 4 the two seeds end 26 nats apart: read "
        "every seed of a cell before trusting its mean.",
        x="lr=log:1e-4:1e-2:5", y="beta=0.5,1,4", seeds=2, metric="elbo_test", base=LESSON_BASE),
}

SWEEP = SweepKind(
    experiment="vae", label="VAE (beta, latent size)", config=VAESweep, run=VAESweepRun, page="app_pages/vae.py",
    presets=PRESETS, metric="elbo_test", cell_figures=cell_samples,
    grid_figure=grid_samples)
