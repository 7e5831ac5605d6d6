"""What the image GAN and VAE runs share (lab.run.Run): the data, a trainer, a history logged
every LOG_EVERY steps, the Fréchet score on a schedule, and snapshots for the page.

Any of the page's script runs, its fragment, a download and the background worker
(lab.images.worker) may call a run; lab.run.Run's lock serialises them, and `snapshot()`
copies what the page draws, so nobody else ever touches the live networks.

History: one row per logged step, every list the same length (the CSV is one row per step):
step, the losses, images_per_sec, and fd (NaN on the rows where it was not measured).
"""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import torch

from lab import checkpoint
from lab.config import ConfigError
from lab.data import images as image_data
from lab.data.root import confine
from lab.device import generator, pick_device
from lab.images.fd import LABEL as FD_LABEL, FrechetScore, feature_net
from lab.run import Run, load as load_run

LOG_EVERY = 10
N_INTERP = 8
NAN = float("nan")


def resolve_device(prefer: str) -> torch.device:
    try:
        dev = pick_device(prefer)
    except RuntimeError as err:
        raise ConfigError(f"device: {err}") from None
    if dev.type == "cuda" and os.environ.get("LOCAL_RANK"):
        dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return dev


def _next_multiple(step: int, every: int) -> int:
    return (step // every + 1) * every


class ImageRun(Run):
    """Subclasses set `experiment`, `loss_keys`, make `self.trainer` (`make_trainer`) and apply
    their live keys (`_retune`)."""
    loss_keys: tuple[str, ...] = ()

    def __init__(self, cfg, data: image_data.ImageData | None = None, upload: bytes | None = None):
        """`data`: images already loaded; `upload`: a zip's bytes for data=folder (the page's
        upload); else cfg's data is loaded."""
        super().__init__(cfg)
        self.device = resolve_device(cfg.device)
        try:
            self.data = data or image_data.load(cfg.data, cfg.data_dir, cfg.size, cfg.channels,
                                                upload=upload if cfg.data == "folder" else None)
        except (MemoryError, OSError) as err:         # a huge upload, an unreadable file: one line
            raise ConfigError(f"could not load the images: {type(err).__name__}: {err}"[:300]) from None
        self.note = self.data.note          # e.g. the archive's report; the command line prints it
        self.fd_status = ("" if self.data.labels is not None else
                          f"{FD_LABEL} needs class labels to train its feature network; your images have none")
        if cfg.fd_samples == 0:
            self.fd_status = f"{FD_LABEL} is off (fd_samples=0)"
        self._fd: FrechetScore | None = None
        self._fd_tried = False
        self.history = {"step": [], **{k: [] for k in self.loss_keys}, "images_per_sec": [], "fd": []}
        self._last: dict[str, float] = {}
        self.fid = NAN
        self.fd_z = torch.randn(cfg.fd_samples, cfg.latent, generator=generator(cfg.seed + 3))
        try:
            self.trainer = self.make_trainer()
        except torch.OutOfMemoryError:
            raise ConfigError(f"not enough {self.device.type} memory for this model: lower width, batch or "
                              "size") from None
        self.real_shown = self.data.batch(torch.arange(min(64, len(self.data.images))), torch.device("cpu"))

    def make_trainer(self):
        raise NotImplementedError

    @property
    def precision(self) -> str | None:
        return None if self.cfg.precision == "auto" else self.cfg.precision

    # ---- the run protocol (lab.run.Run takes the lock around these) ----------------------------
    def _advance(self, k: int, **options) -> None:
        """k steps in chunks that end on every logged step, every Fréchet step and at `total`."""
        end = self.step + k
        while self.step < end:
            stops = [end, _next_multiple(self.step, LOG_EVERY)]
            if self.cfg.fd_every:
                stops.append(_next_multiple(self.step, self.cfg.fd_every))
            if self.step < self.total:
                stops.append(self.total)
            before, stop = self.step, min(stops)
            self._last = self.trainer.advance(stop - before)
            self.step = self.trainer.step
            finished = before < self.total <= self.step
            measure = finished or (self.cfg.fd_every and self.step % self.cfg.fd_every == 0)
            fd = self._score() if measure else NAN
            if self.step % LOG_EVERY == 0 or self.step == end or measure:
                self.history["step"].append(self.step)
                for key in (*self.loss_keys, "images_per_sec"):
                    self.history[key].append(self._last.get(key, NAN))
                self.history["fd"].append(fd)
            if finished and self.cfg.inception:
                self.fid = self.true_fid()

    def _metrics(self) -> dict:
        m = {"steps": self.step}
        for key in self.loss_keys:
            m[key] = self._last.get(key, NAN)
        secs = self.trainer.train_seconds
        m["images_per_sec"] = self.trainer.images_seen / secs if secs > 0 else NAN
        m["fd"] = self.last_fd()
        if self.cfg.inception:
            m["fid"] = self.fid
        return m

    def _snapshot(self, **options) -> dict:
        """Plain arrays and numbers: the fixed-noise samples, real images, curves, progress."""
        t = self.trainer
        recent = [v for v in self.history["images_per_sec"][-5:] if math.isfinite(v)]
        # the recent speed, so the ETA follows a server whose load changes
        rate = float(np.mean(recent)) / t.images_per_step if recent else NAN
        left = max(self.total - self.step, 0)
        return {
            "experiment": self.experiment, "step": self.step, "total": self.total,
            "samples": t.sample().numpy(), "real": self.real_shown.numpy(),
            "history": {k: list(v) for k, v in self.history.items()},
            "last": dict(self._last), "elapsed_s": t.train_seconds,
            "eta_s": left / rate if math.isfinite(rate) and rate > 0 else NAN,
            "device": str(self.device), "precision": t.precision, "fd_label": FD_LABEL,
            "graphs": t.graph_note if t.cuda else "",
            "fd_status": self.fd_status, "note": self.note,
            "fd_empty": "no labels: no FD" if self.data.labels is None else "not measured yet",
        }

    def _state(self) -> dict:
        return {"trainer": self.trainer.state_dict(), "last": dict(self._last), "fid": self.fid}

    def _load_state(self, state: dict) -> None:
        self.trainer.load_state_dict(state["trainer"])
        self._last = {k: float(v) for k, v in state["last"].items()}
        self.fid = float(state["fid"])

    # ---- explicit measurements and reads (each takes the lock) ------------------------------------
    def last_fd(self) -> float:
        """The most recent Fréchet score in the history (NaN if none yet)."""
        return next((v for v in reversed(self.history["fd"]) if math.isfinite(v)), NAN)

    def score_now(self) -> float:
        """The Fréchet score of `fd_samples` generated images (fixed noise) against real ones,
        at the current step, written into the history (expensive: a few hundred ms to a minute
        the first time, when the feature network is loaded or trained)."""
        with self.lock:
            value = self._score()
            if self.history["step"] and self.history["step"][-1] == self.step:
                self.history["fd"][-1] = value
            else:
                for key in self.history:
                    self.history[key].append(self.step if key == "step" else value if key == "fd" else NAN)
            return value

    def _score(self) -> float:
        fd = self._scorer()
        if fd is None:
            return NAN
        fake = torch.cat([self.trainer.sample(z) for z in self.fd_z.split(500)])
        return fd.score(fake)

    def _scorer(self) -> FrechetScore | None:
        if self._fd is None and not self._fd_tried and self.cfg.fd_samples > 0:
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

    def true_fid(self) -> float:
        """FID on Inception-v3 features from the user's weights file: fd_samples generated vs
        fd_samples real images (minutes on a CPU: ~6 GFLOP per image)."""
        from lab.images.inception import load_inception
        with self.lock:
            net = load_inception(self.cfg.inception)
            pick = torch.randperm(len(self.data.images), generator=generator(self.cfg.seed + 5))[:self.cfg.fd_samples]
            real = self.data.images.cpu()[pick].float() / 127.5 - 1
            fake = torch.cat([self.trainer.sample(z) for z in self.fd_z.split(500)])
            return FrechetScore(net.to(self.device), real, self.device).score(fake)

    def interpolation(self, a: int, b: int, n: int = N_INTERP) -> np.ndarray:
        """Samples along the segment between fixed-noise vectors a and b (Radford et al., sec. 6.1)."""
        with self.lock:
            za, zb = self.trainer.fixed_z[a].cpu(), self.trainer.fixed_z[b].cpu()
            t = torch.linspace(0, 1, n).unsqueeze(1)
            return self.trainer.sample((1 - t) * za + t * zb).numpy()

    # Reads a page asks for by name: in a worker process (lab.pool.RemoteRun forwards a method
    # call, never the trainer itself), they are the only way to reach the networks.
    def samples(self, n: int, seed: int) -> np.ndarray:
        """n images in [-1, 1] from fresh noise of `seed`'s stream: what the evaluation page
        judges (an array, as snapshots are)."""
        with self.lock:
            z = torch.randn(n, self.trainer.latent, generator=generator(seed + 11))
            return torch.cat([self.trainer.sample(chunk).cpu() for chunk in z.split(500)]).numpy()

    def class_means(self) -> dict:
        """lab.images.arithmetic.class_means at this step (ConfigError without labels)."""
        from lab.images import arithmetic
        with self.lock:
            return {"step": self.step, **arithmetic.class_means(self.trainer, self.data, self.cfg.seed)}

    def arithmetic_path(self, means: dict, a: int, b: int, i: int) -> dict:
        """lab.images.arithmetic.path: fixed-noise sample i moved by mean(a) - mean(b)."""
        from lab.images import arithmetic
        with self.lock:
            return arithmetic.path(self.trainer, means, a, b, i)


def shown_values(run: ImageRun) -> dict:
    """A loaded run's config as the page's widgets show it: a GAN recipe's own values where the
    file has None (the widgets hold numbers)."""
    from lab.gan import recipes
    shown = recipes.resolve(run.cfg) if run.experiment == "image_gan" else run.cfg
    return {k: getattr(shown, k) if v is None else v for k, v in dataclasses.asdict(run.cfg).items()}


def seeded(experiment: str, make_run, cfg, k: int, upload: bytes | None = None):
    """The page's run with k - 1 seed companions (lab.seeds.with_seeds: plain runs, trained in
    turn by the page's one worker), all reading the images the first one loaded or unzipped."""
    from lab.seeds import with_seeds
    loaded: dict = {}

    def make(c):
        run = make_run(c, data=loaded.get("data"), upload=upload)
        loaded.setdefault("data", run.data)
        return run
    return with_seeds(experiment, cfg, k, make)


def load(data: bytes) -> ImageRun:
    """lab.run.load for the page's Resume: an image_gan or image_vae run file, rebuilt; any other
    file (unsafe, junk, another experiment's) is refused with one line (CheckpointError). The
    file's data_dir and inception must lie under the data root (lab.data.root), as if typed."""
    experiment = checkpoint.from_bytes(data)["experiment"]
    if experiment not in ("image_gan", "image_vae"):
        raise checkpoint.CheckpointError(f"this file is from {experiment!r}, not image_gan or image_vae")
    return load_run(data, experiment, confine=confine)
