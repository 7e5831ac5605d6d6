"""Image runs in GenLab's run protocol (lab.experiments): a trainer, a history logged every
few steps, the Fréchet score on a schedule, snapshots for the page and checkpoints.

`advance(k)` may be called from a background thread (lab.images.worker); `snapshot()` then
copies what the page draws, so the page never touches the live networks.
"""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import torch

from lab.config import ConfigError
from lab.device import generator, pick_device
from lab.data import images as image_data
from lab.images import checkpoint
from lab.images.fd import LABEL as FD_LABEL, FrechetScore, feature_net
from lab.images.trainer import GANTrainer, VAETrainer

LOG_EVERY = 10
N_INTERP = 8


def resolve_device(prefer: str) -> torch.device:
    try:
        dev = pick_device(prefer)
    except RuntimeError as err:
        raise ConfigError(f"device: {err}") from None
    if dev.type == "cuda" and os.environ.get("LOCAL_RANK"):
        dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return dev


def needs_new_run(old, new) -> bool:
    """Steps and the FD schedule may change while a run goes on; any other change of the config
    (data, model, sizes, seed, ...) needs a new run."""
    if old is None or type(old) is not type(new):
        return True
    keep = dict(steps=0, fd_every=0)
    return dataclasses.replace(old, **keep) != dataclasses.replace(new, **keep)


class ImageRun:
    """What GAN and VAE runs share; subclasses make `self.trainer` and name their losses."""
    experiment = ""
    loss_keys: tuple[str, ...] = ()

    def __init__(self, cfg, data: image_data.ImageData | None = None):
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.data = data or image_data.load(cfg.data, cfg.data_dir, cfg.size, cfg.channels)
        self.note = self.data.note
        self.fd_status = ("" if self.data.labels is not None else
                          f"{FD_LABEL} needs class labels to train its feature network; your images have none")
        self._fd: FrechetScore | None = None
        self._fd_tried = False
        self.history: dict[str, list[float]] = {"step": [], **{k: [] for k in self.loss_keys},
                                                "images_per_sec": [], "fd_step": [], "fd": []}
        self._last: dict[str, float] = {}
        self.fd_z = torch.randn(cfg.fd_samples, cfg.z_dim, generator=generator(cfg.seed + 3))
        self.trainer = self.make_trainer()
        self.real_shown = self.data.batch(torch.arange(min(64, len(self.data.images))), torch.device("cpu"))

    # ---- the run protocol -------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def total(self) -> int:
        return self.cfg.steps

    def advance(self, k: int) -> None:
        while k > 0:
            n = min(k, LOG_EVERY - self.step % LOG_EVERY)
            out = self.trainer.advance(n)
            k -= n
            self._last = out
            if self.step % LOG_EVERY == 0 or k == 0:
                self.history["step"].append(self.step)
                for key in (*self.loss_keys, "images_per_sec"):
                    self.history[key].append(out.get(key, float("nan")))
            if self.cfg.fd_every and self.step % self.cfg.fd_every == 0:
                self.score_now()

    def score_now(self) -> float:
        """The Fréchet score of `fd_samples` generated images (fixed noise) against real ones."""
        fd = self._scorer()
        if fd is None:
            return float("nan")
        fake = torch.cat([self.trainer.sample(z) for z in self.fd_z.split(500)])
        value = fd.score(fake)
        if not self.history["fd_step"] or self.history["fd_step"][-1] != self.step:
            self.history["fd_step"].append(self.step)
            self.history["fd"].append(value)
        return value

    def _scorer(self) -> FrechetScore | None:
        if self._fd is None and not self._fd_tried:
            self._fd_tried = True
            net = feature_net(self.data)
            if net is None:
                return None
            try:
                held_out = image_data.load(self.cfg.data, self.cfg.data_dir, self.cfg.size, self.cfg.channels, "test")
                real = held_out.images
            except ConfigError:
                real = self.data.images
            idx = torch.randperm(len(real), generator=generator(self.cfg.seed + 4))[:self.cfg.fd_samples]
            real = real.cpu()[idx].float() / 127.5 - 1
            self._fd = FrechetScore(net, real, self.device)
            self.fd_status = f"{FD_LABEL}: {len(real)} real vs {self.cfg.fd_samples} generated images"
        return self._fd

    def metrics(self) -> dict:
        m = {"steps": self.step}
        for key in self.loss_keys:
            m[key] = self._last.get(key, float("nan"))
        secs = self.trainer.train_seconds
        m["images_per_sec"] = self.trainer.images_seen / secs if secs > 0 else float("nan")
        has_now = self.history["fd_step"] and self.history["fd_step"][-1] == self.step
        m["fd"] = self.history["fd"][-1] if has_now else self.score_now()
        if self.cfg.inception:
            m["fid"] = self.true_fid()
        return m

    def true_fid(self) -> float:
        """FID on Inception-v3 features from the user's weights file: fd_samples generated vs
        fd_samples real images (minutes on a CPU: ~6 GFLOP per image)."""
        from lab.images.inception import load_inception
        net = load_inception(self.cfg.inception)
        real = self.data.images.cpu()[torch.randperm(len(self.data.images), generator=generator(self.cfg.seed + 5))
                                      [:self.cfg.fd_samples]].float() / 127.5 - 1
        fake = torch.cat([self.trainer.sample(z) for z in self.fd_z.split(500)])
        return FrechetScore(net.to(self.device), real, self.device).score(fake)

    def snapshot(self) -> dict:
        """Plain arrays and numbers: the fixed-noise samples, real images, curves, progress."""
        t = self.trainer
        secs = t.train_seconds
        recent = [v for v in self.history["images_per_sec"][-5:] if math.isfinite(v)]
        # the recent speed, so the ETA follows a server whose load changes
        rate = float(np.mean(recent)) / t.images_per_step if recent else float("nan")
        left = max(self.total - t.step, 0)
        return {
            "experiment": self.experiment, "step": t.step, "total": self.total,
            "samples": t.sample().numpy(), "real": self.real_shown.numpy(),
            "history": {k: list(v) for k, v in self.history.items()},
            "last": dict(self._last), "elapsed_s": secs,
            "eta_s": left / rate if rate and math.isfinite(rate) and rate > 0 else float("nan"),
            "device": str(self.device), "precision": t.precision, "fd_label": FD_LABEL,
            "fd_status": self.fd_status, "note": self.note,
        }

    # ---- latent space ------------------------------------------------------------------------
    def interpolation(self, a: int, b: int, n: int = N_INTERP) -> np.ndarray:
        """Samples along the segment between fixed-noise vectors a and b (Radford et al., sec. 6.1)."""
        za, zb = self.trainer.fixed_z[a].cpu(), self.trainer.fixed_z[b].cpu()
        t = torch.linspace(0, 1, n).unsqueeze(1)
        return self.trainer.sample((1 - t) * za + t * zb).numpy()

    # ---- checkpoints -------------------------------------------------------------------------
    def checkpoint_bytes(self) -> bytes:
        return checkpoint.to_bytes(self.experiment, self.cfg, self.trainer.state_dict(), self.history)

    @classmethod
    def from_checkpoint(cls, data: bytes, config_cls, **overrides) -> "ImageRun":
        """A run restored from checkpoint bytes; `overrides` (e.g. device, steps) replace config values."""
        doc = checkpoint.from_bytes(data, cls.experiment)
        names = {f.name for f in dataclasses.fields(config_cls)}
        try:
            cfg = config_cls(**{**{k: v for k, v in doc["config"].items() if k in names}, **overrides})
            run = cls(cfg)
            run.trainer.load_state_dict(doc["trainer"])
        except (KeyError, TypeError, RuntimeError) as err:
            raise checkpoint.CheckpointError(f"the checkpoint does not fit this model: {err}"[:300]) from None
        hist = doc["history"]
        run.history = {k: list(hist.get(k, [])) for k in run.history}
        return run


class GANRun(ImageRun):
    experiment = "image_gan"
    loss_keys = ("loss_d", "loss_g", "d_real", "d_fake")

    def make_trainer(self) -> GANTrainer:
        c = self.cfg
        return GANTrainer(c.model, self.data, z_dim=c.z_dim, width=c.width, batch=c.batch, lr=c.learning_rate,
                          betas=c.betas, n_critic=c.critic_steps, gp_lambda=c.gp_lambda, seed=c.seed,
                          device=self.device, precision=None if c.precision == "auto" else c.precision)


class VAERun(ImageRun):
    experiment = "image_vae"
    loss_keys = ("loss", "recon", "kl")

    def make_trainer(self) -> VAETrainer:
        c = self.cfg
        return VAETrainer(self.data, z_dim=c.z_dim, width=c.width, batch=c.batch, lr=c.lr, beta=c.beta,
                          seed=c.seed, device=self.device, precision=None if c.precision == "auto" else c.precision)

    def snapshot(self) -> dict:
        snap = super().snapshot()
        snap["reconstructions"] = self.trainer.reconstruct(self.real_shown[:16]).numpy()
        snap["walk"] = self.latent_walk()
        return snap

    def latent_walk(self, n: int = 8, dims: int = 6) -> np.ndarray:
        """(dims * n, C, H, W): around the posterior mean of the first real image, row j sweeps
        the j-th most used latent (largest mean KL over the shown real images) over N(0,1)
        quantiles 5%..95%, the others fixed: what each direction of z draws."""
        from scipy.stats import norm
        vae, dev = self.trainer.vae, self.trainer.device
        vae.eval()
        with torch.no_grad():
            mu, logvar = vae.encode((self.real_shown.to(dev) + 1) / 2)
            kl = 0.5 * (mu.float() ** 2 + logvar.float().exp() - logvar.float() - 1).mean(0)
        order = kl.argsort(descending=True)[:min(dims, self.cfg.z_dim)].cpu()
        q = torch.tensor(norm.ppf(np.linspace(0.05, 0.95, n)), dtype=torch.float32)
        z = mu[0].float().cpu().repeat(len(order), n, 1)           # (dims, n, z_dim)
        for row, j in enumerate(order):
            z[row, :, j] = q
        return self.trainer.sample(z.view(-1, self.cfg.z_dim)).numpy()
