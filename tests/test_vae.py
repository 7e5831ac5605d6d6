"""The VAE core: KL and ELBO against references, the importance-weighted bound, PCA against
Eckart-Young, the reparameterisation estimators, a short training run, the run protocol
(pure snapshots, live retuning, a saved run that resumes exactly), the CLI, the image grids."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from torch import distributions as D

from lab import reparam
from lab import variational as vae
from lab.autoencoders import PCA, squared_error
from lab.config import ConfigError
from lab.experiments.vae import LatentVAEConfig as Cfg, LatentVAERun, load_data


# ---- KL and the ELBO --------------------------------------------------------------------------
def test_kl_diag_gaussians_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu_q, lv_q = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g)
    mu_p, lv_p = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g)
    q = D.Independent(D.Normal(mu_q, (0.5 * lv_q).exp()), 1)
    p = D.Independent(D.Normal(mu_p, (0.5 * lv_p).exp()), 1)
    torch.testing.assert_close(vae.kl_diag_gaussians(mu_q, lv_q, mu_p, lv_p), D.kl_divergence(q, p),
                               rtol=1e-5, atol=1e-5)
    std = D.Independent(D.Normal(torch.zeros(4), torch.ones(4)), 1)
    torch.testing.assert_close(vae.kl_diag_gaussians(mu_q, lv_q), D.kl_divergence(q, std), rtol=1e-5, atol=1e-5)
    assert float(vae.kl_diag_gaussians(torch.zeros(1, 3), torch.zeros(1, 3))) == 0.0


def _set_linear(lin, w, b):
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
        lin.bias.copy_(torch.as_tensor(b, dtype=torch.float32))


def test_elbo_on_a_tiny_model_by_hand():
    """Decoder ignores z (zero weights), so E_q log p(x|z) is exact whatever eps is drawn:
    recon = sum_j x_j log p_j + (1 - x_j) log (1 - p_j),  KL = 1/2 (mu^2 + s^2 - 1 - log s^2)."""
    m = vae.VAE(n_in=3, latent=1, width=2, depth=1)
    enc0, enc1 = m.encoder[0], m.encoder[2]
    _set_linear(enc0, np.zeros((2, 3)), [1.0, 0.0])          # hidden = relu((1, 0)) = (1, 0)
    _set_linear(enc1, [[0.5, 0.0], [math.log(0.25), 0.0]], [0.0, 0.0])   # mu = 0.5, logvar ~ log 0.25
    _set_linear(m.decoder[0], np.zeros((2, 1)), [0.0, 0.0])
    _set_linear(m.decoder[2], np.zeros((3, 2)), [0.0, math.log(3.0), -math.log(3.0)])  # p = 1/2, 3/4, 1/4
    x = torch.tensor([[1.0, 0.0, 0.25]])
    t = vae.elbo_terms(m, x, torch.Generator().manual_seed(0))
    p = np.array([0.5, 0.75, 0.25])
    xs = np.array([1.0, 0.0, 0.25])
    recon = float(np.sum(xs * np.log(p) + (1 - xs) * np.log(1 - p)))
    logvar = 8 * math.tanh(math.log(0.25) / 8)                # the encoder's soft bound
    kl = 0.5 * (0.25 + math.exp(logvar) - 1 - logvar)
    t = {k: v.detach() for k, v in t.items()}
    assert float(t["recon"]) == pytest.approx(recon, rel=1e-5)
    assert float(t["kl"]) == pytest.approx(kl, rel=1e-5)
    assert float(t["elbo"]) == pytest.approx(recon - kl, rel=1e-5)
    loss, _ = vae.loss(m, x, torch.Generator().manual_seed(0), beta=3.0)
    assert float(loss.detach()) == pytest.approx(-(recon - 3.0 * kl), rel=1e-5)


def _linear_gaussian_vae(seed=0):
    """Encoder free, decoder linear x = W z + b + noise (sigma^2 = e^{dec_logvar}): the exact
    marginal is p(x) = N(b, W W^T + diag sigma^2), so log p(x) is known in closed form."""
    torch.manual_seed(seed)
    m = vae.VAE(n_in=2, latent=1, width=4, depth=1, likelihood="gaussian")
    m.decoder = torch.nn.Linear(1, 2)
    _set_linear(m.decoder, [[1.0], [-0.5]], [0.2, 0.1])
    with torch.no_grad():
        m.dec_logvar.copy_(torch.log(torch.tensor([0.3, 0.2])))
    return m


def test_gaussian_recon_term_matches_its_closed_form():
    m = _linear_gaussian_vae()
    x = torch.tensor([[0.7, -0.4]])
    mu, logvar = (v.detach() for v in m.encode(x))
    n = 200_000
    t = {k: v.detach() for k, v in vae.elbo_terms(m, x.expand(n, 2), torch.Generator().manual_seed(1)).items()}
    w, b, s2 = np.array([1.0, -0.5]), np.array([0.2, 0.1]), np.array([0.3, 0.2])
    mu_, v = float(mu), float(logvar.exp())
    resid = x.numpy()[0] - w * mu_ - b
    exact = float(np.sum(-0.5 * (np.log(2 * np.pi * s2) + (resid ** 2 + w ** 2 * v) / s2)))
    se = float(t["recon"].detach().std()) / math.sqrt(n)
    assert abs(float(t["recon"].mean()) - exact) < 4 * se


def test_iw_bound_sits_between_elbo_and_log_likelihood():
    m = _linear_gaussian_vae()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(40, 2, generator=g).repeat(100, 1)        # 4,000 draws: MC error ~0.1 nats
    w, b, s2 = torch.tensor([[1.0], [-0.5]]), torch.tensor([0.2, 0.1]), torch.tensor([0.3, 0.2])
    exact = D.MultivariateNormal(b, w @ w.T + torch.diag(s2)).log_prob(x).mean().item()
    elbo = vae.evaluate(m, x, torch.Generator().manual_seed(4))["elbo"]
    iw = {k: vae.iw_bound(m, x, k, torch.Generator().manual_seed(3)).mean().item() for k in (1, 8, 64, 1000)}
    assert iw[1] == pytest.approx(elbo, abs=0.4)            # IW_1 is the ELBO (two independent estimates)
    assert elbo < iw[8] < iw[64] < iw[1000]
    assert iw[1000] == pytest.approx(exact, abs=0.05)        # IW_K -> log p(x) from below
    assert elbo < exact - 0.05


def test_warmup_beta():
    assert [vae.warmup_beta(2.0, s, 100) for s in (0, 50, 100, 500)] == [0.0, 1.0, 2.0, 2.0]
    assert vae.warmup_beta(2.0, 0, 0) == 2.0


# ---- PCA --------------------------------------------------------------------------------------
def test_pca_error_is_the_discarded_variance():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 6, generator=g) * torch.tensor([3.0, 2.0, 1.0, 0.5, 0.3, 0.1])
    p = PCA(x, 2)
    err = squared_error(x, p.decode(p.encode(x)))
    ev = np.linalg.eigvalsh(np.cov(x.double().numpy().T))[::-1]
    assert err == pytest.approx(ev[2:].sum() * (len(x) - 1) / len(x), rel=1e-4)
    np.testing.assert_allclose(p.explained_variance.numpy(), ev[:2], rtol=1e-6)


# ---- reparameterisation (note 000, Problem 6) ------------------------------------------------
@pytest.mark.parametrize("theta", [0.0, 1.5, 3.0])
def test_both_estimators_are_unbiased_and_pathwise_has_less_variance(theta):
    n = 200_000
    g = torch.Generator().manual_seed(int(theta * 10))
    for est in reparam.ESTIMATORS:
        s = reparam.gradient_samples(est, theta, n, g).numpy()
        v = reparam.per_sample_variance(est, theta)
        assert abs(s.mean() - 2 * theta) < 4 * math.sqrt(v / n)
        # sample variance of a heavy-tailed term: allow 10% either side
        assert s.var() == pytest.approx(v, rel=0.1)
    assert reparam.per_sample_variance("pathwise", theta) < reparam.per_sample_variance("score", theta)


def test_score_function_baseline_keeps_it_unbiased_and_cuts_variance():
    theta, n = 2.0, 200_000
    b = theta ** 2 + 1                                         # E[x^2]: a good constant baseline
    s = reparam.gradient_samples("score", theta, n, torch.Generator().manual_seed(0), baseline=b).numpy()
    v = reparam.per_sample_variance("score", theta, baseline=b)
    assert v < reparam.per_sample_variance("score", theta)
    assert abs(s.mean() - 2 * theta) < 4 * math.sqrt(v / n)
    assert s.var() == pytest.approx(v, rel=0.1)


def test_sweep_variance_falls_as_one_over_n():
    sw = reparam.sweep(1.0, [4, 64], repeats=400, seed=0)
    for est in reparam.ESTIMATORS:
        ratio = sw[est]["var"] / sw[est]["var_theory"]
        assert np.all((ratio > 0.7) & (ratio < 1.3))
    assert np.all(sw["pathwise"]["var"] < sw["score"]["var"])
    paths = reparam.sgd_paths(3.0, 0.05, 60, 16, seed=0)
    assert abs(paths["exact"][-1]) < 0.01 and abs(paths["pathwise"][-1]) < 0.3


# ---- the experiment --------------------------------------------------------------------------
def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="data"):
        Cfg(data="cifar")
    with pytest.raises(ConfigError, match="latent"):
        Cfg(latent=0)
    with pytest.raises(ConfigError, match="seed"):
        Cfg(seed=-3)
    with pytest.raises(ConfigError, match="data_dir"):
        Cfg(data="digits", data_dir="/tmp")
    assert Cfg(steps=5).steps == 5                     # a short budget is a valid setting


def test_live_keys_are_the_training_knobs():
    from lab.config import live_keys
    assert set(live_keys(Cfg)) == {"lr", "beta", "warmup", "batch", "steps", "K", "log_every"}


def test_mnist_without_files_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match="data_dir=FOLDER.*download=true"):
        LatentVAERun(Cfg(data="mnist"))


def test_mnist_from_idx_files_the_test_wrote(tmp_path):
    from lab.data.idx import write_idx
    rng = np.random.default_rng(0)
    for stem, n in (("train", 64), ("t10k", 16)):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))
    run = LatentVAERun(Cfg(data="fashion", data_dir=str(tmp_path), width=16, steps=5, batch=8, n_eval=16))
    run.advance(5)
    assert run.x.shape == (64, 784) and 0.0 <= float(run.x.min()) and float(run.x.max()) <= 1.0
    assert np.isfinite(run.metrics()["elbo_test"])


@pytest.fixture(scope="module")
def trained():
    cfg = Cfg(width=128, steps=300, log_every=100, seed=0)
    run = LatentVAERun(cfg)
    run.advance(300)
    return run


def test_short_training_run_improves_test_elbo(trained):
    h = trained.history
    assert h["step"] == [0, 100, 200, 300]
    # a fresh net scores ~ -540 nats (every pixel at 1/2 costs 784 log 2 = 543); 300 steps
    # of a 2-D VAE reach about -175 (-158 after 1,000 steps at width 512)
    assert -560 < h["elbo_test"][0] < -500
    assert -195 < h["elbo_test"][-1] < -160
    assert h["elbo_test"][-1] - h["elbo_test"][0] > 300
    assert all(k > 0 for k in h["kl_test"][1:])
    m = trained.metrics()
    assert m["elbo_test"] == pytest.approx(h["elbo_test"][-1], abs=1e-3)    # same z stream
    assert m["recon_test"] - m["kl_test"] == pytest.approx(m["elbo_test"], abs=1e-3)
    assert "iw_elbo_test" not in m                                          # metrics stay cheap
    iw = trained.iw_bound()
    assert iw["step"] == 300 and iw["K"] == 64 and iw["elbo_test"] == pytest.approx(m["elbo_test"], abs=1e-3)
    assert m["elbo_test"] < iw["iw_elbo_test"] < m["elbo_test"] + 10
    # linear -> deep: the autoencoder beats PCA's reconstruction with the same 2-D code
    assert m["sq_err_ae"] < m["sq_err_pca"] and m["bce_ae"] < m["bce_pca"]


def test_snapshot_shapes_and_decode(trained):
    s, c = trained.snapshot(), trained.comparison()
    assert s["mu"].shape == (1000, 2) and s["labels"].shape == (1000,)
    assert s["manifold"].shape == (15, 15, 28, 28)
    assert s["latest"]["elbo_test"] == trained.history["elbo_test"][-1]
    assert s["step"] == s["latest"]["steps"] == 300 and s["total"] == 300
    assert c["samples"].shape == (64, 28, 28) and 0 <= c["samples"].min() and c["samples"].max() <= 1
    assert set(c["recons"]) == {"pca", "ae", "vae"} and c["recons"]["ae"].shape == (10, 28, 28)
    assert {k: v.shape for k, v in c["latents"].items()} == {k: (1000, 2) for k in ("pca", "ae", "vae")}
    img = trained.decode(np.zeros((3, 2)))
    np.testing.assert_allclose(img[0], s["manifold"][7, 7], atol=1e-6)   # the grid's centre is z = 0
    picked = trained.snapshot(z=(0.0, 0.0))
    np.testing.assert_allclose(picked["decoded"], img[0], atol=1e-6)
    path = trained.interpolate(0, 1, 6)
    np.testing.assert_allclose(path[0], trained.decode(s["mu"][:1])[0], atol=1e-6)
    np.testing.assert_allclose(path[-1], trained.decode(s["mu"][1:2])[0], atol=1e-6)


def _same(a, b) -> bool:
    """Deep equality of snapshot-like dicts of arrays, lists and numbers."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def test_snapshot_metrics_and_readers_are_pure():
    run = LatentVAERun(Cfg(width=32, steps=20, log_every=5, n_eval=100, K=4))
    run.advance(7)
    params = [p.detach().clone() for p in run.model.parameters()]
    gen, hist = run.gen.get_state(), {k: list(v) for k, v in run.history.items()}
    first = run.snapshot(z=(0.5, -0.5))
    for _ in range(2):
        run.snapshot(z=(1.0, 1.0)), run.metrics(), run.comparison(), run.iw_bound(), run.interpolate(0, 3)
        run.state_bytes()
    assert _same(run.snapshot(z=(0.5, -0.5)), first)
    assert run.history == hist and run.step == 7 and torch.equal(run.gen.get_state(), gen)
    assert all(torch.equal(p, q) for p, q in zip(run.model.parameters(), params))
    assert run.model.training and run.ae.training                     # put back in training mode
    run.snapshot()["history"]["step"].append(99)                      # a snapshot is a copy
    assert run.history["step"] == hist["step"]


def test_live_keys_retune_the_running_run_and_others_rebuild():
    cfg = Cfg(width=32, steps=40, log_every=10, n_eval=100)
    run = LatentVAERun(cfg)
    run.advance(10)
    assert run.retune(dataclasses.replace(cfg, lr=1e-6, beta=4.0, steps=500, batch=32))
    assert run.step == 10 and run.total == 500 and run.beta_now() == 4.0
    assert [g["lr"] for o in (run.opt, run.ae_opt) for g in o.param_groups] == [1e-6, 1e-6]
    before = [p.detach().clone() for p in run.model.parameters()]
    run.advance(10)
    moved = max(float((p.detach() - q).abs().max()) for p, q in zip(run.model.parameters(), before))
    assert 0 < moved < 1e-4                        # Adam's step is ~lr per parameter: 10 steps x 1e-6
    assert run.history["beta"][-1] == 4.0
    for key, value in (("width", 64), ("latent", 3), ("seed", 1), ("data", "toy2d"), ("compare", False)):
        assert not run.retune(dataclasses.replace(cfg, **{key: value})), key


def test_a_saved_run_resumes_exactly(trained):
    """state_bytes -> lab.run.load: weights, Adam's moments, the data stream and the pending
    train averages come back, so training on gives the very numbers the original gives."""
    from lab.run import load
    import io
    blob = torch.load(io.BytesIO(trained.state_bytes()), weights_only=True)   # plain tensors only
    assert blob["experiment"] == "vae" and blob["config"]["width"] == 128 and blob["step"] == 300
    cfg = dataclasses.replace(trained.cfg, steps=320, log_every=10)
    a = LatentVAERun(cfg)
    a.advance(5)
    b = load(a.state_bytes())
    assert isinstance(b, LatentVAERun) and b.step == 5 and b.history == a.history
    a.advance(15)
    b.advance(15)
    assert a.history == b.history and len(a.history["step"]) == 3
    z = torch.randn(4, 2)
    torch.testing.assert_close(a.model.decode_mean(z), b.model.decode_mean(z), rtol=0, atol=0)


def test_same_seed_same_numbers():
    cfg = Cfg(width=32, log_every=5, steps=10, n_eval=100)
    data = load_data(cfg)
    a, b = LatentVAERun(cfg, data), LatentVAERun(cfg, data)
    a.advance(10)
    b.advance(10)
    assert a.history == b.history
    c = LatentVAERun(Cfg(width=32, log_every=5, steps=10, n_eval=100, seed=1), data)
    c.advance(10)
    assert c.history["elbo_test"] != a.history["elbo_test"]


def test_toy2d_vae_beats_the_best_single_gaussian():
    """Two moons: the best Gaussian fit scores about -2.74 nats; a 1-D latent VAE that has found
    the curved manifold must do clearly better, and its IW bound must sit above its ELBO."""
    run = LatentVAERun(Cfg(data="toy2d", latent=1, width=64, steps=600, log_every=200, lr=3e-3,
                           compare=False, K=64))
    run.advance(600)
    m, iw = run.metrics(), run.iw_bound()
    xt = run.xt
    gauss = D.MultivariateNormal(xt.mean(0), torch.cov(xt.T)).log_prob(xt).mean().item()
    assert run.likelihood == "gaussian" and -2.9 < gauss < -2.6
    assert gauss + 0.2 < m["elbo_test"] < gauss + 1.5
    assert m["elbo_test"] < iw["iw_elbo_test"] < m["elbo_test"] + 0.5
    snap = run.snapshot()
    assert snap["manifold"].shape == (25, 2)                  # a decoded curve for a 1-D latent
    from lab.experiments.vae.figures import toy_manifold
    assert len(toy_manifold(snap).data) == 3


def test_cli_writes_the_metrics_and_figures(tmp_path, capsys):
    from lab.cli import main
    code = main(["run", "vae", "steps=20", "width=32", "n_eval=100", "K=4", "log_every=10",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((tmp_path / "metrics.json").read_text())
    m = doc["metrics"]
    for key in ("elbo_train", "elbo_test", "recon_test", "iw_elbo_test"):
        assert isinstance(m[key], float) and -600 < m[key] < -100, key
    assert 0 < m["kl_test"] < 50
    assert m["elbo_test"] == pytest.approx(m["recon_test"] - m["kl_test"], abs=1e-3)
    assert m["elbo_test"] < m["iw_elbo_test"]
    assert doc["history"]["step"] == [0, 10, 20]
    assert doc["config"]["K"] == 4
    for name in ("vae_latent.html", "vae_manifold.html", "vae_curves.html", "vae_compare.html"):
        assert (tmp_path / name).exists(), name
    assert (tmp_path / "vae_manifold.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- figures ----------------------------------------------------------------------------------
def test_grid_lays_out_tiles_on_white_and_maps_the_value_range():
    from lab.figures.grids import grid, png
    imgs = np.zeros((3, 2, 2), np.float32)
    imgs[1] = 1.0
    g = grid(imgs, ncol=3, pad=1)
    assert g.shape == (2 + 2, 3 * 3 + 1) and g.dtype == np.uint8
    assert g[1, 4] == 255 and g[1, 1] == 0 and g[0, 0] == 255     # tile 2 white, tile 1 black, white pad
    assert grid(imgs, ncol=3, pad=1, scale=2).shape == (8, 20)       # every pixel doubled, pads too
    np.testing.assert_array_equal(grid(imgs * 2 - 1, ncol=3, pad=1, value_range=(-1, 1)), g)
    assert grid(np.full((1, 1, 1), 0.5))[2, 2] == 128                # 127.5 rounds half up
    assert grid(np.full((1, 1, 1), 7.0))[2, 2] == 255                # clipped
    assert grid(imgs, ncol=10).shape == (6, 2 + 3 * 4)               # never more columns than tiles
    assert grid(imgs).shape == (2 * 4 + 2, 2 * 4 + 2)                # default: a square, 2 x 2
    rgb = np.zeros((5, 3, 4, 4), np.float32)
    rgb[:, 0] = 1.0                                                  # red
    c = grid(rgb, ncol=5)
    assert c.shape == (8, 5 * 6 + 2, 3) and tuple(c[3, 3]) == (255, 0, 0) and tuple(c[0, 0]) == (255, 255, 255)
    assert grid(rgb[:, :1], ncol=5).shape == (8, 32)                 # (n, 1, H, W) is grey
    with pytest.raises(ValueError, match="C = 1 or 3"):
        grid(np.zeros((2, 2, 4, 4)))
    for pic in (g, c):
        from PIL import Image
        import io
        data = png(pic)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), pic)


def test_reparam_and_curve_figures_have_their_traces():
    from lab.experiments.vae.figures import curves, reparam_figure, reparam_figures, sgd_figure
    sw = reparam.sweep(1.0, [1, 16], repeats=20, seed=0)
    fig = reparam_figure(sw)
    names = {t.name for t in fig.data}
    assert "exact 2 theta" in names and len(fig.data) == 7
    assert len(sgd_figure(reparam.sgd_paths(1.0, 0.1, 5, 4, 0)).data) == 3
    assert [len(f.data) for f in reparam_figures(2.0, True, 0)] == [7, 3]
    h = {"step": [0, 10], **{f"{k}_{s}": [-200.0, -180.0] for k in ("elbo", "recon", "kl") for s in ("train", "test")}}
    assert len(curves(h).data) == 6


def test_figures_of_a_snapshot(trained):
    from lab.experiments.vae import figures
    snap, comp = trained.snapshot(), trained.comparison()
    figs = figures.export(snap, comp)
    assert set(figs) == {"vae_curves", "vae_latent", "vae_compare", "vae_manifold"}
    # one marker trace and one ellipse trace per digit class
    assert len(figs["vae_latent"].data) == 20
    assert len(figures.latent_scatter(snap, click_grid=True, picked=(1.0, 2.0)).data) == 12
    assert figures.manifold_image(snap, scale=2).shape == (15 * 28 * 2, 15 * 28 * 2)
    assert figures.rows_image([comp["inputs"], comp["recons"]["vae"]], scale=1).shape == (2 * 30 + 2, 10 * 30 + 2)


def test_the_run_follows_the_protocol_and_its_readers_are_thread_safe():
    """Two threads (a fragment tick training, a script run or a download reading) on one run
    for a second: every reader takes the run's lock, so nothing raises and the steps add up."""
    import threading
    import time

    from lab.experiments import get
    from lab.run import RunProtocol
    exp = get("vae")
    run = exp.make_run(exp.config(**{**exp.smoke, "steps": 10_000}))
    assert isinstance(run, RunProtocol) and run.members == 1 and run.total == 10_000
    errors, stop = [], time.perf_counter() + 1.0

    def loop(work):
        try:
            while time.perf_counter() < stop:
                work()
        except Exception as err:  # noqa: BLE001 - the test reports any failure
            errors.append(err)

    readers = lambda: (run.snapshot(z=(0.5,)), run.comparison(), run.interpolate(0, 2, 3),  # noqa: E731
                       run.decode(np.zeros((1, 2))), run.state_bytes(), run.metrics(), run.iw_bound())
    threads = [threading.Thread(target=loop, args=(lambda: run.advance(3),)), threading.Thread(target=loop, args=(readers,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert run.step > 0 and run.step % 3 == 0 and run.history["step"][-1] == run.step - run.step % 5
