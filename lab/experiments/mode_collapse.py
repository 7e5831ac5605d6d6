"""Mode collapse on 2-D mixtures, and what cures it (note 004; note 001 Alg. 1; note 002).

A GAN learns a ring of 8 or a grid of 25 Gaussians (or a spiral, or the user's points). The
plain non-saturating GAN tends to cover a few modes and hop between them (Metz et al.,
Figure 1); the remedies -- Wasserstein losses with a Lipschitz critic, unrolled D, PacGAN
packing, instance noise, more D steps -- are knobs of one trainer (`lab.gan2d`). Scored as in
VEEGAN / PacGAN on 2,500 samples: modes captured, share of high-quality samples, and reverse
KL of the mode histogram against uniform.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from lab.data import toy2d
from lab.config import ConfigError, check_choice, check_range, opt
from lab.experiments import Experiment
from lab.gan2d import GAN2D, LIVE_KEYS, LOSSES
from lab.nets import ACTIVATIONS


@dataclass(frozen=True)
class ModeCollapseConfig:
    data: str = opt("ring8", "ring8 | grid25 (WGAN-GP toy set-up) | ring8_pacgan | grid25_pacgan "
                             "(PacGAN's) | spiral | csv (your points: csv_path=FILE)")
    loss: str = opt("ns", "minimax | ns (non-saturating, log D trick) | lsgan | wgan (weight clipping) | "
                          "wgan_gp | hinge (use with sn=true: SN-GAN)")
    sn: bool = opt(False, "spectral normalisation on every layer of D")
    unroll: int = opt(0, "unrolled-GAN steps K (Metz et al.); 0 = plain GAN")
    pac: int = opt(1, "PacGAN packing m: samples concatenated per D input; 1 = no packing")
    instance_noise: float = opt(0.0, "std of Gaussian noise added to every D input (instance noise)")
    noise_anneal: int = opt(0, "steps over which the instance noise falls linearly to 0; 0 = constant")
    d_steps: int = opt(1, "D updates per G update (k in Algorithm 1)")
    lr_d: float = opt(1e-4, "learning rate of D (Metz et al.'s ring: 1e-4)")
    lr_g: float = opt(1e-3, "learning rate of G (Metz et al.'s ring: 1e-3; a G faster than D hops modes)")
    beta1: float = opt(0.5, "Adam beta1 (DCGAN's 0.5)")
    beta2: float = opt(0.999, "Adam beta2 (WGAN-GP used 0.9)")
    optimizer: str = opt("auto", "auto (RMSProp for wgan as in WGAN Alg. 1, else Adam) | adam | rmsprop")
    clip: float = opt(0.01, "weight-clipping bound c for loss=wgan (WGAN Alg. 1: 0.01)")
    gp_lambda: float = opt(10.0, "gradient-penalty weight for loss=wgan_gp (WGAN-GP: 10)")
    batch: int = opt(128, "samples per batch (a multiple of pac)")
    latent: int = opt(16, "dimension of G's Gaussian noise z")
    width: int = opt(64, "hidden units per layer of G and D")
    depth: int = opt(2, "hidden layers of G and D")
    activation: str = opt("relu", "hidden activation: " + ", ".join(ACTIVATIONS))
    steps: int = opt(6000, "training iterations (each: d_steps D updates, one G update)")
    eval_every: int = opt(100, "iterations between two measurements of the metrics")
    csv_path: str = opt("", "for data=csv: a CSV file of x,y rows")
    csv_modes: int = opt(8, "for data=csv: k-means clusters that count as modes")
    seed: int = opt(0, "random seed: same seed, same run on CPU")

    def __post_init__(self):
        check_choice("data", self.data, toy2d.DATA)
        check_choice("loss", self.loss, LOSSES)
        check_choice("optimizer", self.optimizer, ("auto", "adam", "rmsprop"))
        check_choice("activation", self.activation, ACTIVATIONS)
        check_range("unroll", self.unroll, 0, 20)
        check_range("pac", self.pac, 1, 8)
        check_range("instance_noise", self.instance_noise, 0.0, 5.0)
        check_range("noise_anneal", self.noise_anneal, 0, 10_000_000)
        check_range("d_steps", self.d_steps, 1, 20)
        check_range("lr_d", self.lr_d, 1e-6, 1.0)
        check_range("lr_g", self.lr_g, 1e-6, 1.0)
        check_range("beta1", self.beta1, 0.0, 0.999)
        check_range("beta2", self.beta2, 0.0, 0.9999)
        check_range("clip", self.clip, 1e-4, 10.0)
        check_range("gp_lambda", self.gp_lambda, 0.0, 1000.0)
        check_range("batch", self.batch, 8, 4096)
        check_range("latent", self.latent, 1, 512)
        check_range("width", self.width, 4, 1024)
        check_range("depth", self.depth, 1, 6)
        check_range("steps", self.steps, 0, 10_000_000)
        check_range("eval_every", self.eval_every, 1, 100_000)
        check_range("csv_modes", self.csv_modes, 1, 100)
        check_range("seed", self.seed, 0, 2**31 - 1)
        if self.batch % self.pac:
            raise ConfigError(f"batch={self.batch} must be a multiple of pac={self.pac} "
                              f"(each D input packs pac samples)")
        if self.csv_path and not Path(self.csv_path).is_file():
            raise ConfigError(f"csv_path={self.csv_path!r} is not a file")

    def data_set(self, points=None) -> toy2d.Toy2D:
        if self.data == "csv" and points is None and self.csv_path:
            points = toy2d.parse_points_csv(Path(self.csv_path).read_text())
        return toy2d.make(self.data, points, self.csv_modes, self.seed)


class ModeCollapseRun(GAN2D):
    """The trainer plus the run protocol's budget; `points` are the user's data for data=csv."""

    def __init__(self, cfg: ModeCollapseConfig, points=None):
        super().__init__(cfg, cfg.data_set(points))

    @property
    def total(self) -> int:
        return self.cfg.steps

    def accepts(self, new: ModeCollapseConfig) -> bool:
        """True when `new` differs from this run's config only in live keys (no reset needed)."""
        return dataclasses.replace(new, **{k: getattr(self.cfg, k) for k in LIVE_KEYS}) == self.cfg

    def retune_to(self, new: ModeCollapseConfig) -> None:
        if not self.accepts(new):
            raise ConfigError("only " + ", ".join(LIVE_KEYS) + " change without a reset")
        self.retune(**{k: getattr(new, k) for k in LIVE_KEYS})
        self.cfg = new


def _figures(run: ModeCollapseRun) -> dict:
    from lab.figures import mode_collapse as figs
    snap = run.snapshot()
    return {"mode_collapse_scatter": figs.scatter(snap), "mode_collapse_coverage": figs.coverage(snap),
            "mode_collapse_curves": figs.curves(snap), "mode_collapse_metrics": figs.metrics_vs_anchors(snap),
            "mode_collapse_snapshots": figs.strip(snap, figs.strip_steps(snap, "", n=6))}


EXPERIMENT = Experiment(
    name="mode_collapse",
    summary="Train a 2-D GAN on rings / grids of Gaussians; count modes captured; try unrolling, packing, WGAN-GP",
    config=ModeCollapseConfig,
    make_run=ModeCollapseRun,
    figures=_figures,
)
