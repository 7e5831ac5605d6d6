"""VAE latent manifolds (note 000 sec. 2, note 001, note 002).

A VAE with a k-dimensional latent trained live on real digits (embedded, offline), MNIST or
Fashion-MNIST (IDX files), or two moons; beside it, on the same data and the same batches,
PCA and a plain autoencoder with the same k: note 002's story from linear to deep to
probabilistic. All numbers are nats per example; the ELBO is negative, higher is better.
"""
from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import norm

from lab import vae
from lab.autoencoders import PCA, Autoencoder, bce, squared_error
from lab.config import ConfigError, check_choice, check_range, opt
from lab.device import build_seeded, generator
from lab.experiments import Experiment

DATA = ("digits", "mnist", "fashion", "toy2d")
N_SHOW = 1000          # test points in the latent scatter
N_RECON = 10           # test digits shown with their reconstructions
EVAL_SEED = 99_991     # evaluation draws its z from its own fixed stream: same model, same number


@dataclass(frozen=True)
class VaeConfig:
    data: str = opt("digits", "digits: 5,000 real MNIST digits shipped with GenLab (offline); "
                              "mnist | fashion: IDX files from data_dir or the cache; toy2d: two moons")
    data_dir: str = opt("", "folder holding the IDX files (train-images-idx3-ubyte[.gz] ...); "
                            "empty = the download cache")
    download: bool = opt(False, "fetch MNIST / Fashion-MNIST into the cache if missing (checksummed)")
    latent: int = opt(2, "latent dimension k; 2 shows the manifold directly")
    width: int = opt(256, "hidden units per layer of encoder and decoder")
    depth: int = opt(2, "hidden layers of encoder and decoder")
    beta: float = opt(1.0, "weight of the KL term (beta-VAE); 1 = the ELBO")
    warmup: int = opt(0, "KL warm-up: beta ramps linearly from 0 over this many steps (0 = off)")
    steps: int = opt(2000, "training steps (minibatches)")
    batch: int = opt(128, "examples per minibatch")
    lr: float = opt(1e-3, "Adam learning rate")
    K: int = opt(64, "importance samples for the IW bound iw_elbo_test (Burda et al. 2016)")
    n_eval: int = opt(1000, "train and test examples used for the evaluation metrics")
    log_every: int = opt(20, "steps between two points of the curves (each one evaluates the test set)")
    compare: bool = opt(True, "also train a plain autoencoder on the same batches (PCA is always fitted)")
    seed: int = opt(0, "random seed: same seed, same curves")

    def __post_init__(self):
        check_choice("data", self.data, DATA)
        check_range("latent", self.latent, 1, 64)
        check_range("width", self.width, 8, 2048)
        check_range("depth", self.depth, 1, 6)
        check_range("beta", self.beta, 0.0, 100.0)
        check_range("warmup", self.warmup, 0, 1_000_000)
        check_range("steps", self.steps, 0, 1_000_000)
        check_range("batch", self.batch, 1, 4096)
        check_range("lr", self.lr, 1e-6, 0.1)
        check_range("K", self.K, 1, 5000)
        check_range("n_eval", self.n_eval, 10, 100_000)
        check_range("log_every", self.log_every, 1, 100_000)
        if self.data_dir and self.data in ("digits", "toy2d"):
            raise ConfigError(f"data_dir is only for data=mnist or fashion, not data={self.data}")


def load_data(cfg: VaeConfig, progress=None) -> dict:
    """Flattened float32 train/test arrays in [0, 1] (images) or raw 2-D points (toy)."""
    from lab.data.digits import load_digits
    from lab.data.idx import load_idx_dataset
    from lab.data.toy2d import load_toy2d
    if cfg.data == "toy2d":
        (xtr, ytr), (xte, yte) = load_toy2d("train", cfg.seed), load_toy2d("test", cfg.seed)
        return {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte, "shape": None}
    if cfg.data == "digits":
        (xtr, ytr), (xte, yte) = load_digits("train"), load_digits("test")
    else:
        from lab.data import download
        folder = cfg.data_dir or download.cached(cfg.data)
        if not folder and cfg.download:
            folder = download.download_dataset(cfg.data, progress=progress)
        if not folder:
            raise ConfigError(f"data={cfg.data} needs its IDX files: set data_dir=FOLDER (on the page: the folder "
                              f"box), or download=true (the Download button) to fetch them into "
                              f"{download.cache_folder(cfg.data)}")
        (xtr, ytr), (xte, yte) = (load_idx_dataset(folder, cfg.data, s) for s in ("train", "test"))
    to_t = lambda a: torch.from_numpy(a).float().div_(255.0).reshape(len(a), -1)  # noqa: E731
    return {"x_train": to_t(xtr), "y_train": torch.from_numpy(ytr), "x_test": to_t(xte),
            "y_test": torch.from_numpy(yte), "shape": tuple(xtr.shape[1:])}


class VaeRun:
    def __init__(self, cfg: VaeConfig, data: dict | None = None, progress=None):
        self.cfg = cfg
        d = data or load_data(cfg, progress)
        self.x, self.y, self.xt, self.yt, self.shape = d["x_train"], d["y_train"], d["x_test"], d["y_test"], d["shape"]
        if len(self.x) < 2 or len(self.xt) < 1:
            raise ConfigError(f"data={cfg.data} has too few examples ({len(self.x)} train, {len(self.xt)} test)")
        self.likelihood = "bernoulli" if self.shape else "gaussian"
        n_in = self.x.shape[1]
        self.model = build_seeded(cfg.seed, lambda: vae.VAE(n_in, cfg.latent, cfg.width, cfg.depth, self.likelihood))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.ae = None
        if cfg.compare:
            self.ae = build_seeded(cfg.seed + 1, lambda: Autoencoder(n_in, cfg.latent, cfg.width, cfg.depth, self.likelihood))
            self.ae_opt = torch.optim.Adam(self.ae.parameters(), lr=cfg.lr)
        self.pca = PCA(self.x[:20_000], min(cfg.latent, n_in))
        self.gen = generator(cfg.seed)
        ev = generator(cfg.seed + 5)
        self.train_eval = self.x[torch.randperm(len(self.x), generator=ev)[:cfg.n_eval]]
        self.test_eval = self.xt[:cfg.n_eval]
        # Fixed prior draws, decoded at every snapshot so sample grids are comparable
        # (pytorch/examples dcgan's fixed_noise).
        self.fixed_z = torch.randn(64, cfg.latent, generator=ev)
        self.step = 0
        self.history: dict[str, list[float]] = {k: [] for k in (
            "step", "beta", "elbo_train", "recon_train", "kl_train", "elbo_test", "recon_test", "kl_test")}
        if self.ae is not None:
            self.history["ae_recon_test"] = []
        self._acc = {"elbo": 0.0, "recon": 0.0, "kl": 0.0, "n": 0}
        self._log()

    @property
    def total(self) -> int:
        return self.cfg.steps

    def beta_now(self) -> float:
        return vae.warmup_beta(self.cfg.beta, self.step, self.cfg.warmup)

    # ---- training ----------------------------------------------------------------------------
    def advance(self, k: int) -> None:
        """k minibatch steps of the VAE (and of the autoencoder on the same batch)."""
        cfg = self.cfg
        self.model.train()
        for _ in range(k):
            xb = self.x[torch.randint(len(self.x), (cfg.batch,), generator=self.gen)]
            # maximise recon - beta_t KL  <=>  minimise its negative
            loss, t = vae.loss(self.model, xb, self.gen, self.beta_now())
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            if self.ae is not None:
                ae_loss = self.ae.loss(xb)
                self.ae_opt.zero_grad(set_to_none=True)
                ae_loss.backward()
                self.ae_opt.step()
            self.step += 1
            for key in ("elbo", "recon", "kl"):
                self._acc[key] += float(t[key].detach().sum())
            self._acc["n"] += len(xb)
            if self.step % cfg.log_every == 0:
                self._log()

    @torch.no_grad()
    def _log(self) -> None:
        h, a = self.history, self._acc
        self.model.eval()
        ev = vae.evaluate(self.model, self.test_eval, generator(EVAL_SEED))
        if a["n"] == 0:                     # step 0: no minibatch yet, evaluate the train subset
            tr = vae.evaluate(self.model, self.train_eval, generator(EVAL_SEED))
        else:                               # the mean over the minibatches since the last point
            tr = {k: a[k] / a["n"] for k in ("elbo", "recon", "kl")}
        h["step"].append(self.step)
        h["beta"].append(self.beta_now())
        for key in ("elbo", "recon", "kl"):
            h[f"{key}_train"].append(tr[key])
            h[f"{key}_test"].append(ev[key])
        if self.ae is not None:
            h["ae_recon_test"].append(-self._ae_loss(self.test_eval))
        self._acc = {"elbo": 0.0, "recon": 0.0, "kl": 0.0, "n": 0}
        self.model.train()

    @torch.no_grad()
    def _ae_loss(self, x: torch.Tensor) -> float:
        self.ae.eval()
        out = float(self.ae.loss(x))
        self.ae.train()
        return out

    # ---- reading the model -------------------------------------------------------------------
    @torch.no_grad()
    def metrics(self, iw: bool = True) -> dict:
        self.model.eval()
        tr = vae.evaluate(self.model, self.train_eval, generator(EVAL_SEED))
        te = vae.evaluate(self.model, self.test_eval, generator(EVAL_SEED))
        mu, _ = self.model.encode(self.test_eval)
        m = {"steps": self.step, "beta": self.beta_now(), "elbo_train": tr["elbo"], "elbo_test": te["elbo"],
             "recon_test": te["recon"], "kl_test": te["kl"],
             # Burda et al.'s active units: latent coordinates whose mean moves with x
             "active_units": int((mu.var(0) > 0.01).sum())}
        if iw:
            m["iw_elbo_test"] = float(vae.iw_bound(self.model, self.test_eval, self.cfg.K,
                                                   generator(EVAL_SEED)).mean())
        m.update(self.compare_errors())
        return m

    @torch.no_grad()
    def reconstructions(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each model's reconstruction of x: the VAE decodes its posterior mean."""
        self.model.eval()
        out = {"pca": self.pca.decode(self.pca.encode(x)),
               "vae": self.model.decode_mean(self.model.encode(x)[0])}
        if self.ae is not None:
            self.ae.eval()
            out["ae"] = self.ae.decode(self.ae.encode(x))
        return out

    def compare_errors(self) -> dict:
        """Squared error per example for PCA, AE and VAE on the test subset (and BCE for images)."""
        x = self.test_eval
        m = {}
        for name, xh in self.reconstructions(x).items():
            m[f"sq_err_{name}"] = squared_error(x, xh)
            if self.shape:
                m[f"bce_{name}"] = bce(x, xh)
        return m

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> np.ndarray:
        """(m, latent) latent points -> (m, *shape) images in [0, 1] (or (m, 2) points)."""
        self.model.eval()
        z = torch.as_tensor(np.asarray(z, np.float32).reshape(-1, self.cfg.latent))
        out = self.model.decode_mean(z).numpy()
        return out.reshape((len(out),) + self.shape) if self.shape else out

    @torch.no_grad()
    def encode_test(self, n: int = N_SHOW) -> tuple[np.ndarray, np.ndarray]:
        self.model.eval()
        mu, logvar = self.model.encode(self.xt[:n])
        return mu.numpy(), logvar.numpy()

    def interpolate(self, i: int, j: int, n: int = 10) -> np.ndarray:
        """Decoded points on the straight line between the posterior means of test items i and j."""
        mu, _ = self.encode_test(max(i, j) + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        return self.decode((1 - t) * mu[i] + t * mu[j])

    def manifold(self, n: int = 15) -> tuple[np.ndarray, np.ndarray]:
        """Kingma & Welling Fig. 4: z on a grid of Gaussian quantiles Phi^-1((i + 1/2) / n)
        over the first two latent coordinates (the others at 0). Returns the quantile axis and
        the decoded (n, n, ...) array, row 0 at the top (largest z_2); (n, ...) for latent = 1."""
        q = norm.ppf((np.arange(n) + 0.5) / n)
        if self.cfg.latent == 1:
            return q, self.decode(q[:, None])
        z1, z2 = np.meshgrid(q, q[::-1])
        z = np.zeros((n * n, self.cfg.latent), np.float32)
        z[:, 0], z[:, 1] = z1.ravel(), z2.ravel()
        out = self.decode(z)
        return q, out.reshape((n, n) + out.shape[1:])

    def latest(self) -> dict:
        """The last logged point of the curves (no extra forward pass): for a live read-out."""
        h = self.history
        return {k: h[k][-1] for k in h} | {"steps": h["step"][-1]}

    def snapshot(self) -> dict:
        """What the live view redraws: curves, the test points' posteriors, the manifold."""
        mu, logvar = self.encode_test()
        q, grid = self.manifold(15 if self.shape else 25)
        toy = {} if self.shape else {"train_points": self.x[:2000].numpy(), "train_labels": self.y[:2000].numpy()}
        return {"data": self.cfg.data, "step": self.step, "shape": self.shape, "latent": self.cfg.latent,
                "history": {k: list(v) for k, v in self.history.items()}, "latest": self.latest(),
                "mu": mu, "logvar": logvar, "labels": self.yt[:N_SHOW].numpy(),
                "quantiles": q, "manifold": grid, **toy}

    def comparison(self) -> dict:
        """Reconstructions, prior samples, and PCA / autoencoder / VAE codes of the same test points."""
        mu, _ = self.encode_test()
        xr = self.xt[:N_RECON]
        shape = self.shape or (self.x.shape[1],)
        recs = {k: v.numpy().reshape((len(v),) + shape) for k, v in self.reconstructions(xr).items()}
        lat = {"pca": self.pca.encode(self.xt[:N_SHOW]).numpy(), "vae": mu}
        if self.ae is not None:
            with torch.no_grad():
                self.ae.eval()
                lat["ae"] = self.ae.encode(self.xt[:N_SHOW]).numpy()
        return {"step": self.step, "shape": self.shape, "labels": self.yt[:N_SHOW].numpy(), "latents": lat,
                "inputs": xr.numpy().reshape((len(xr),) + shape), "recons": recs,
                "samples": self.decode(self.fixed_z.numpy()), "metrics": self.metrics(iw=False)}

    def weights(self) -> bytes:
        """The trained weights as a state_dict file: plain tensors and a config dict only, so
        it loads with torch.load(..., weights_only=True) (no pickled code)."""
        blob = {"config": dataclasses.asdict(self.cfg), "step": self.step,
                "vae": self.model.state_dict()}
        if self.ae is not None:
            blob["autoencoder"] = self.ae.state_dict()
        buf = io.BytesIO()
        torch.save(blob, buf)
        return buf.getvalue()


def _figures(run: VaeRun) -> dict:
    from lab.figures import vae as figs
    snap = run.snapshot()
    return {"vae_curves": figs.curves(snap["history"]), "vae_latent": figs.latent_scatter(snap, ellipses=True),
            "vae_compare": figs.compare_latents(run.comparison()), "vae_manifold": figs.manifold_figure(snap)}


EXPERIMENT = Experiment(
    name="vae",
    summary="Train a VAE (and PCA / an autoencoder beside it) on real digits, MNIST, Fashion or two moons",
    config=VaeConfig,
    make_run=VaeRun,
    figures=_figures,
)
