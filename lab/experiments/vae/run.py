"""A VAE trained live (note 000 sec. 2, note 001), with PCA and a plain autoencoder beside it
on the same data and the same minibatches: note 002's story from linear to deep to
probabilistic. All numbers are nats per example; the ELBO is negative, higher is better.

The run follows lab.run.Run: `advance`, a pure `snapshot` (what the live view redraws), a
cheap `metrics`; the importance-weighted bound is the explicit `iw_bound()`. Its other readers
(`decode`, `interpolate`, `comparison`) take the run's lock like the protocol's methods, so a
page may call them while a tick trains.
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np
import torch
from scipy.stats import norm

from lab import quadrature
from lab import variational as vae
from lab.autoencoders import PCA, Autoencoder, bce, squared_error
from lab.config import ConfigError
from lab.device import build_seeded, generator
from lab.experiments.vae.config import LatentVAEConfig
from lab.experiments.vae.data import load_data
from lab.run import Run

N_SHOW = 1000          # test points in the latent scatter
N_RECON = 10           # test digits shown with their reconstructions
N_PCA = 20_000         # training examples PCA is fitted on
EVAL_SEED = 99_991     # evaluation draws its z from its own fixed stream: same model, same number
HISTORY = ("step", "beta", "elbo_train", "recon_train", "kl_train", "elbo_test", "recon_test", "kl_test")


def _locked(method):
    """A public reader outside the protocol takes the run's lock too."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)
    return wrapper


class LatentVAERun(Run):
    experiment = "vae"
    state_attrs = ("model", "opt", "ae", "ae_opt", "gen", "_acc")

    def __init__(self, cfg: LatentVAEConfig, data: dict | None = None, progress=None):
        super().__init__(cfg)
        if cfg.model != "vae":
            raise ConfigError(f"LatentVAERun trains model=vae, not model={cfg.model} (lab.experiments.vae.make_run "
                              f"picks the run)")
        d = data or load_data(cfg, progress)
        self.x, self.y, self.xt, self.yt, self.shape = d["x_train"], d["y_train"], d["x_test"], d["y_test"], d["shape"]
        if len(self.x) < 2 or len(self.xt) < 1:
            raise ConfigError(f"data={cfg.data} has too few examples ({len(self.x)} train, {len(self.xt)} test)")
        self.likelihood = "bernoulli" if self.shape else "gaussian"
        n_in = self.x.shape[1]
        self.model = build_seeded(cfg.seed, lambda: vae.VAE(n_in, cfg.latent, cfg.width, cfg.depth, self.likelihood))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.ae = self.ae_opt = None
        if cfg.compare:
            self.ae = build_seeded(cfg.seed + 1, lambda: Autoencoder(n_in, cfg.latent, cfg.width, cfg.depth,
                                                                     self.likelihood))
            self.ae_opt = torch.optim.Adam(self.ae.parameters(), lr=cfg.lr)
        self.pca = PCA(self.x[:N_PCA], min(cfg.latent, n_in))
        self.gen = generator(cfg.seed)
        ev = generator(cfg.seed + 5)
        self.train_eval = self.x[torch.randperm(len(self.x), generator=ev)[:cfg.n_eval]]
        self.test_eval = self.xt[:cfg.n_eval]
        # Fixed prior draws, decoded at every look so sample grids are comparable over time
        # (pytorch/examples dcgan's fixed_noise).
        self.fixed_z = torch.randn(64, cfg.latent, generator=ev)
        self.history = {k: [] for k in HISTORY + (("ae_recon_test",) if self.ae is not None else ())}
        self._acc = {"elbo": 0.0, "recon": 0.0, "kl": 0.0, "n": 0}
        self._log()

    def beta_now(self) -> float:
        return vae.warmup_beta(self.cfg.beta, self.step, self.cfg.warmup)

    # ---- training ----------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        """k minibatch steps of the VAE (and of the autoencoder on the same batch)."""
        for net in (self.model, self.ae):
            if net is not None:
                net.train()
        for _ in range(k):
            cfg = self.cfg
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

    def _retune(self, cfg: LatentVAEConfig) -> None:
        """beta, warm-up, batch, steps, K and log_every are read at each use; the rate lives in Adam."""
        for opt in (self.opt, self.ae_opt):
            for group in () if opt is None else opt.param_groups:
                group["lr"] = cfg.lr

    @contextlib.contextmanager
    def _reading(self):
        """The nets in eval mode, no graph, then back in training mode (snapshot stays pure)."""
        nets = [m for m in (self.model, self.ae) if m is not None]
        modes = [m.training for m in nets]
        for m in nets:
            m.eval()
        try:
            with torch.no_grad():
                yield
        finally:
            for m, mode in zip(nets, modes):
                m.train(mode)

    def _log(self) -> None:
        """One point of the curves: the train ELBO averaged over the minibatches since the last
        point (at step 0: the train subset), the test ELBO on the fixed test subset."""
        h, a = self.history, self._acc
        with self._reading():
            te = vae.evaluate(self.model, self.test_eval, generator(EVAL_SEED))
            tr = (vae.evaluate(self.model, self.train_eval, generator(EVAL_SEED)) if a["n"] == 0
                  else {k: a[k] / a["n"] for k in ("elbo", "recon", "kl")})
            if self.ae is not None:
                h["ae_recon_test"].append(-float(self.ae.loss(self.test_eval)))
        h["step"].append(self.step)
        h["beta"].append(self.beta_now())
        for key in ("elbo", "recon", "kl"):
            h[f"{key}_train"].append(tr[key])
            h[f"{key}_test"].append(te[key])
        self._acc = {"elbo": 0.0, "recon": 0.0, "kl": 0.0, "n": 0}

    # ---- reading the model (all pure) ----------------------------------------------------------
    def _metrics(self) -> dict:
        """Two evaluation passes over n_eval examples and three reconstructions: cheap."""
        with self._reading():
            tr = vae.evaluate(self.model, self.train_eval, generator(EVAL_SEED))
            te = vae.evaluate(self.model, self.test_eval, generator(EVAL_SEED))
            mu, _ = self.model.encode(self.test_eval)
            m = {"steps": self.step, "beta": self.beta_now(), "elbo_train": tr["elbo"], "elbo_test": te["elbo"],
                 "recon_test": te["recon"], "kl_test": te["kl"],
                 # Burda et al.'s active units: latent coordinates whose posterior mean moves with x
                 "active_units": int((mu.var(0) > 0.01).sum())}
            for name, xh in self._reconstructions(self.test_eval).items():
                m[f"sq_err_{name}"] = squared_error(self.test_eval, xh)
                if self.shape:
                    m[f"bce_{name}"] = bce(self.test_eval, xh)
        return m

    @_locked
    def iw_bound(self) -> dict:
        """The importance-weighted bound IW_K on the test subset (Burda, Grosse & Salakhutdinov
        2016) beside the ELBO at the same step: K forward passes per example, so on demand."""
        with self._reading():
            te = vae.evaluate(self.model, self.test_eval, generator(EVAL_SEED))
            iw = vae.iw_bound(self.model, self.test_eval, self.cfg.K, generator(EVAL_SEED))
        return {"step": self.step, "K": self.cfg.K, "iw_elbo_test": float(iw.mean()), "elbo_test": te["elbo"]}

    @_locked
    def exact_log_px(self) -> dict:
        """log p(x) on the test subset by quadrature over the latent (lab.quadrature; latent 1 or 2
        only, else {}): the mean, the mean and the largest of the per-example stated errors, the
        grid's spacing. About 2 s for 1,000 digits at width 256 on one CPU thread."""
        if self.cfg.latent > 2:
            return {}
        with self._reading():
            r = quadrature.log_marginal(self.model, self.test_eval)
        return {"step": self.step, "log_px_test": float(r["log_px"].mean()),
                "log_px_test_error": float(r["error"].mean()), "log_px_test_error_max": float(r["error"].max()),
                "grid_step": float(r["h"].min()), "grid": r["grid"]}

    @_locked
    def exact_digits(self, n: int, ks: tuple[int, ...] = (1, 3, 10, 30, 100, 300, 1000), samples: int = 1000) -> dict:
        """Per test example 0..n-1 (latent 1 or 2): the ELBO (recon over `samples` draws, with its
        standard error), the IW bound for each K in `ks` (nested draws), log p(x) by quadrature and
        its stated error, and gap = log p(x) - ELBO, which is KL(q(z|x) || p(z|x))."""
        x = self.test_eval[:n]
        with self._reading():
            r = quadrature.log_marginal(self.model, x)
            e = quadrature.elbo_mc(self.model, x, samples, generator(EVAL_SEED))
            iw = quadrature.iw_curve(self.model, x, list(ks), generator(EVAL_SEED + 1))
        return {"step": self.step, "ks": list(ks), "iw": np.stack([iw[k].numpy() for k in ks], 1),
                "elbo": e["elbo"].numpy(), "elbo_se": e["se"].numpy(), "log_px": r["log_px"].numpy(),
                "error": r["error"].numpy(), "gap": (r["log_px"] - e["elbo"]).numpy(), "grid": r["grid"],
                "labels": self.yt[:n].numpy()}

    @_locked
    def exact_posterior(self, i: int) -> dict:
        """Test example i (2-D latent): the exact posterior p(z|x) and the encoder's q(z|x) on one
        grid around the posterior's mass, KL(q || p(z|x)) on it, the digit and its label."""
        with self._reading():
            h = float(quadrature.log_marginal(self.model, self.test_eval[i:i + 1])["h"][0])
            p = quadrature.posterior(self.model, self.test_eval[i], h=min(h, 0.025))
        p["kl"] = quadrature.kl_on_grid(p["log_q"], p["log_post"], p["h"])
        x = self.test_eval[i].numpy()
        return p | {"step": self.step, "index": i, "label": int(self.yt[i]),
                    "image": x.reshape(self.shape) if self.shape else x}

    def _reconstructions(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each model's reconstruction of x (in _reading): the VAE decodes its posterior mean."""
        out = {"pca": self.pca.decode(self.pca.encode(x))}
        if self.ae is not None:
            out["ae"] = self.ae.decode(self.ae.encode(x))
        out["vae"] = self.model.decode_mean(self.model.encode(x)[0])
        return out

    def _decode(self, z: np.ndarray) -> np.ndarray:
        """(m, latent) latent points -> (m, *shape) images in [0, 1] (or (m, 2) points)."""
        with self._reading():
            z = torch.as_tensor(np.asarray(z, np.float32).reshape(-1, self.cfg.latent))
            out = self.model.decode_mean(z).numpy()
        return out.reshape((len(out),) + self.shape) if self.shape else out

    decode = _locked(_decode)

    def _encode_test(self, n: int = N_SHOW) -> tuple[np.ndarray, np.ndarray]:
        with self._reading():
            mu, logvar = self.model.encode(self.xt[:n])
        return mu.numpy(), logvar.numpy()

    @_locked
    def interpolate(self, i: int, j: int, n: int = 10) -> np.ndarray:
        """Decoded points on the straight line between the posterior means of test items i and j."""
        mu, _ = self._encode_test(max(i, j) + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        return self._decode((1 - t) * mu[i] + t * mu[j])

    def _manifold(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Kingma & Welling 2014, Fig. 4: z on a grid of Gaussian quantiles Phi^-1((i + 1/2) / n)
        over the first two latent coordinates (the others at 0). Returns the quantile axis and
        the decoded (n, n, ...) array, row 0 at the top (largest z_2); (n, ...) for latent = 1."""
        q = norm.ppf((np.arange(n) + 0.5) / n)
        if self.cfg.latent == 1:
            return q, self._decode(q[:, None])
        z1, z2 = np.meshgrid(q, q[::-1])
        z = np.zeros((n * n, self.cfg.latent), np.float32)
        z[:, 0], z[:, 1] = z1.ravel(), z2.ravel()
        out = self._decode(z)
        return q, out.reshape((n, n) + out.shape[1:])

    def _snapshot(self, z=None) -> dict:
        """What the live view redraws: the curves, the test points' posteriors, the manifold,
        and (given `z`, a latent point) the decoder's mean there."""
        mu, logvar = self._encode_test()
        q, grid = self._manifold(15 if self.shape else 25)
        h = self.history
        snap = {"data": self.cfg.data, "step": self.step, "total": self.total, "beta": self.beta_now(), "shape": self.shape,
                "latent": self.cfg.latent, "history": {k: list(v) for k, v in h.items()},
                "latest": {k: v[-1] for k, v in h.items()} | {"steps": h["step"][-1]},
                "mu": mu, "logvar": logvar, "labels": self.yt[:N_SHOW].numpy(), "quantiles": q, "manifold": grid}
        if not self.shape:
            snap |= {"train_points": self.x[:2000].numpy(), "train_labels": self.y[:2000].numpy()}
        if z is not None:                   # the first coordinates given; the others at 0
            given = np.asarray(z, np.float32).ravel()[: self.cfg.latent]
            snap["z"] = np.zeros(self.cfg.latent, np.float32)
            snap["z"][: len(given)] = given
            snap["decoded"] = self._decode(snap["z"][None])[0]
        return snap

    @_locked
    def comparison(self) -> dict:
        """Reconstructions, prior samples, and PCA / autoencoder / VAE codes of the same test
        points, with `metrics()` at this step."""
        xs, xr = self.xt[:N_SHOW], self.xt[:N_RECON]
        shape = self.shape or (self.x.shape[1],)
        with self._reading():
            recs = {k: v.numpy().reshape((len(v),) + shape) for k, v in self._reconstructions(xr).items()}
            lat = {"pca": self.pca.encode(xs).numpy(), "vae": self.model.encode(xs)[0].numpy()}
            if self.ae is not None:
                lat["ae"] = self.ae.encode(xs).numpy()
        samples = self._decode(self.fixed_z.numpy())
        # One draw x ~ p(x|z) per prior sample (Bernoulli pixels), from its own fixed stream: what the
        # model generates, beside the decoder mean E[x|z] that sample grids usually show.
        drawn = torch.bernoulli(torch.as_tensor(samples).clamp(0, 1), generator=generator(EVAL_SEED)).numpy() \
            if self.shape else samples
        return {"step": self.step, "shape": self.shape, "labels": self.yt[:N_SHOW].numpy(), "latents": lat,
                "inputs": xr.numpy().reshape((len(xr),) + shape), "recons": recs,
                "samples": samples, "bernoulli": drawn, "metrics": self._metrics()}

    def data(self) -> dict:
        """The run's data set, as load_data gives it (for a model trained beside it)."""
        return {"x_train": self.x, "y_train": self.y, "x_test": self.xt, "y_test": self.yt, "shape": self.shape}

    @_locked
    def class_means(self) -> tuple[np.ndarray, np.ndarray]:
        """The labels present among the first N_SHOW test items and, per label, the mean of their
        posterior means mu(x): (c,), (c, latent)."""
        mu, _ = self._encode_test()
        labels = self.yt[:N_SHOW].numpy()
        classes = np.unique(labels)
        return classes, np.stack([mu[labels == c].mean(0) for c in classes])

    @_locked
    def arithmetic(self, a: int, b: int, i: int, n: int = 8) -> dict:
        """Latent arithmetic: z_i + t (mean(class a) - mean(class b)) for t in [0, 1] (n points), decoded,
        with the two class means decoded (DCGAN paper, Radford et al. 2016, sec. 6.3, on a VAE)."""
        classes, means = self.class_means()
        where = {int(c): k for k, c in enumerate(classes)}
        if a not in where or b not in where:
            raise ConfigError(f"no test digit labelled {a if a not in where else b} among the first {N_SHOW}")
        mu, _ = self._encode_test(i + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        path = mu[i] + t * (means[where[a]] - means[where[b]])
        return {"path": self._decode(path), "means": self._decode(means[[where[a], where[b]]]),
                "input": self.xt[i].numpy().reshape(self.shape or (-1,)), "label": int(self.yt[i])}
