"""VAE latent manifolds (note 000 sec. 2, note 001, note 002)."""
import dataclasses
import time

import numpy as np
import streamlit as st

import ui
from lab import reparam
from lab.config import ConfigError
from lab.data import download
from lab.experiments.vae import DATA, VaeConfig, VaeRun, load_data
from lab.figures import vae as figs

NS = "vae"
TICK_S = 1.0   # seconds between redraws while playing: 3 Plotly charts and 2 PNGs per redraw
ss = st.session_state
DATA_NAMES = {"digits": "Real digits (5,000 MNIST, built in)", "mnist": "MNIST (IDX files)",
              "fashion": "Fashion-MNIST (IDX files)", "toy2d": "Two moons (2-D toy)"}

st.title("VAE latent manifolds")
st.markdown(
    "An encoder maps each image x to a Gaussian **q(z|x) = N(mu(x), diag sigma(x)^2)**; a decoder "
    "maps a latent z back to pixel probabilities **p(x|z)**. Training maximises the ELBO, a lower "
    "bound on log p(x), with one reparameterised sample z = mu + sigma * eps per image. With a 2-D "
    "latent you can *see* the code: test digits by label, and the decoded manifold over the prior.")
st.latex(r"\log p(x)\;\ge\;\mathrm{ELBO}(x)=\mathbb{E}_{q(z|x)}\big[\log p(x|z)\big]"
         r"-\beta\,\mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0,I)\big),\qquad z=\mu(x)+\sigma(x)\odot\varepsilon")
with st.expander("More formulas: the KL term, the importance-weighted bound"):
    st.latex(r"\mathrm{KL}=\tfrac12\sum_j\big(\mu_j^2+\sigma_j^2-1-\log\sigma_j^2\big),\qquad "
             r"\mathrm{IW}_K=\mathbb{E}\Big[\log\tfrac1K\sum_{k=1}^K\tfrac{p(x|z_k)\,p(z_k)}{q(z_k|x)}\Big]\uparrow\log p(x)")
    st.markdown("Bernoulli decoder: log p(x|z) = -BCE(x, decoder(z)) summed over the 784 pixels, in nats. "
                "beta > 1 is the beta-VAE; KL warm-up ramps beta from 0.")

# ---- settings (the URL gives the first values) ---------------------------------------------
url = ui.config_from_url(VaeConfig, NS)
with st.sidebar:
    st.header("Data")
    data = st.selectbox("Data set", DATA, index=DATA.index(url.data), key=f"{NS}.data",
                        format_func=DATA_NAMES.get)
    data_dir = ""
    if data in ("mnist", "fashion"):
        data_dir = st.text_input("Folder with the IDX files", url.data_dir, key=f"{NS}.data_dir",
                                 help="train-images-idx3-ubyte[.gz] and the three others; empty = the cache")
        if not data_dir and download.cached(data) is None:
            st.caption(f"Not in the cache ({download.cache_folder(data)}).")
            size = {"mnist": "11 MB", "fashion": "30 MB"}[data]
            if st.button(f"Download {data} ({size}, checksummed)", key=f"{NS}.download"):
                bar = st.progress(0.0, text="starting")
                show = lambda f, done, tot: bar.progress(min(done / tot, 1.0) if tot else 0.0, text=f)  # noqa: E731
                try:
                    download.download_dataset(data, progress=show)
                    st.success("Downloaded and verified.")
                except ConfigError as err:
                    st.error(ui.plain(err))
    st.header("Model")
    latent = st.number_input("Latent dimension", 1, 64, url.latent, key=f"{NS}.latent")
    width = st.number_input("Width (hidden units)", 8, 1024, url.width, step=32, key=f"{NS}.width")
    beta = st.number_input("beta (KL weight)", 0.0, 100.0, url.beta, step=0.5, key=f"{NS}.beta")
    warmup = st.number_input("KL warm-up (steps)", 0, 100_000, url.warmup, step=100, key=f"{NS}.warmup")
    st.header("Training")
    lr = st.number_input("Learning rate (Adam)", 1e-5, 0.1, url.lr, format="%.4f", key=f"{NS}.lr")
    batch = st.number_input("Batch size", 1, 1024, url.batch, key=f"{NS}.batch")
    steps = st.number_input("Stop after (steps)", 100, 200_000, url.steps, step=500, key=f"{NS}.steps")
    compare = st.checkbox("Train a plain autoencoder alongside", url.compare, key=f"{NS}.compare")
    seed = st.number_input("Seed", 0, 2**31 - 1, url.seed, key=f"{NS}.seed")

cfg = ui.build_config(VaeConfig, NS, dict(
    data=data, data_dir=data_dir, latent=int(latent), width=int(width), beta=float(beta), warmup=int(warmup),
    lr=float(lr), batch=int(batch), steps=int(steps), compare=compare, seed=int(seed), depth=url.depth,
    K=url.K, n_eval=url.n_eval, log_every=url.log_every))
if cfg is not None:
    ui.sync_url(cfg)

controls = ui.transport(NS, default_k=20, max_k=500)
model_keys = lambda c: {k: v for k, v in dataclasses.asdict(c).items() if k not in ("steps", "K")}  # noqa: E731
old = ss.get(f"{NS}.cfg")
if cfg is not None and old is not None and old != cfg and model_keys(old) == model_keys(cfg) and not controls.reset:
    ss[f"{NS}.run"].cfg = ss[f"{NS}.cfg"] = cfg       # a new step budget or K: keep training the same run
if cfg is not None and (controls.reset or ss.get(f"{NS}.cfg") != cfg):
    try:
        key = (cfg.data, cfg.data_dir, cfg.seed if cfg.data == "toy2d" else 0)
        if ss.get(f"{NS}.data_key") != key:
            ss[f"{NS}.data_cache"], ss[f"{NS}.data_key"] = load_data(cfg), key
        ss[f"{NS}.run"], ss[f"{NS}.cfg"] = VaeRun(cfg, ss[f"{NS}.data_cache"]), cfg
        ss.pop(f"{NS}.iw", None)
    except ConfigError as err:
        st.error(ui.plain(err), icon=":material/error:")
        ui.pause(NS)
run = ss.get(f"{NS}.run")
if run is None:
    st.stop()
if ss.get(f"{NS}.cfg") != cfg:
    st.caption("Showing the last run that worked; fix the setting above to start a new one.")
if controls.step:
    run.advance(controls.steps_per_tick)


def pick_from_selection() -> None:
    """A click on the latent scatter selects a point; copy it into the z boxes once (read
    before the boxes and the chart are drawn, so both show the new point in this run)."""
    event = ss.get(f"{NS}.latent_fig") or {}
    pts = event.get("selection", {}).get("points", [])
    if pts and ss.get(f"{NS}.last_pick") != (pts[0]["x"], pts[0]["y"]):
        ss[f"{NS}.last_pick"] = (pts[0]["x"], pts[0]["y"])
        ss[f"{NS}.z1"], ss[f"{NS}.z2"] = (float(np.clip(pts[0][k], -6, 6)) for k in ("x", "y"))


def decode_point(snap: dict, where) -> None:
    c1, c2 = where.columns(2)
    for k in ("z1", "z2"):
        ss.setdefault(f"{NS}.{k}", 0.0)
    z1 = c1.number_input("z1", -6.0, 6.0, step=0.25, key=f"{NS}.z1", help="or click the scatter")
    z2 = c2.number_input("z2", -6.0, 6.0, step=0.25, key=f"{NS}.z2", disabled=cfg_now.latent == 1)
    z = np.zeros((1, cfg_now.latent), np.float32)
    z[0, : min(2, cfg_now.latent)] = (z1, z2)[: cfg_now.latent]
    out = run.decode(z)
    if snap["shape"]:
        where.image(figs.image_grid(out, scale=5), caption=f"decoder mean at z = ({z1:.2f}, {z2:.2f})",
                    output_format="PNG")
    else:
        where.write(f"decoder mean at z: x = ({out[0, 0]:.3f}, {out[0, 1]:.3f})")


def live() -> None:
    if ss.get(f"{NS}.playing"):
        # At most k steps and at most half the redraw interval: a tick that outlasts the timer
        # is cut short by the next one before its charts reach the browser (they go blank).
        goal, t0 = min(run.step + controls.steps_per_tick, run.total), time.perf_counter()
        while run.step < goal and time.perf_counter() - t0 < 0.5 * TICK_S:
            run.advance(min(5, goal - run.step))
        if run.step >= run.total:
            ui.pause(NS)
            st.rerun(scope="app")
    snap = run.snapshot()
    m = snap["latest"]
    cols = st.columns(5)
    cols[0].metric("Step", f"{run.step:,}", help=f"Play stops at {run.total:,} (set in the sidebar)")
    cols[1].metric("ELBO (test)", f"{m['elbo_test']:.1f}", help=f"nats per example at step {m['steps']}; higher is better")
    cols[2].metric("Recon. (test)", f"{m['recon_test']:.1f}", help="E_q[log p(x|z)] on test, nats")
    cols[3].metric("KL (test)", f"{m['kl_test']:.2f}", help="KL(q(z|x) || N(0, I)) on test, nats")
    cols[4].metric("beta now", f"{m['beta']:.2f}", help="beta times the warm-up ramp")
    st.plotly_chart(figs.curves(snap["history"]), key=f"{NS}.curves", config={"displaylogo": False})
    left, right = st.columns([1.1, 1])
    with left:
        ellipses = st.toggle("Posterior ellipses (1 sigma)", key=f"{NS}.ellipses")
        pick_from_selection()
        picked = (ss.get(f"{NS}.z1", 0.0), ss.get(f"{NS}.z2", 0.0))
        fig = figs.latent_scatter(snap, ellipses=ellipses, click_grid=True, picked=picked)
        st.plotly_chart(fig, key=f"{NS}.latent_fig", on_select="rerun", selection_mode="points",
                        config={"displaylogo": False})
    with right:
        if snap["shape"]:
            st.markdown("**Decoded manifold** over Gaussian quantiles of (z1, z2) (Kingma & Welling, Fig. 4)")
            st.image(figs.manifold_image(snap), width="stretch", output_format="PNG")
        else:
            st.plotly_chart(figs.toy_manifold(snap), key=f"{NS}.toy", config={"displaylogo": False})
        decode_point(snap, st.container(border=True))


cfg_now = ss[f"{NS}.cfg"]
ui.live(live, controls.playing, every=TICK_S)

# ---- below the live view: redrawn on Step, Pause or any change (not every tick) -------------
comp = run.comparison()
st.caption(f"Below: the model at step {comp['step']:,} (refreshed on Step, Pause or any change).")
tabs = st.tabs(["Reconstructions & samples", "Interpolation", "PCA vs autoencoder vs VAE", "Export"])
with tabs[0]:
    if comp["shape"]:
        st.markdown("Top: test inputs. Below: VAE reconstructions (decoder at the posterior mean).")
        st.image(figs.rows_image([comp["inputs"], comp["recons"]["vae"]], scale=3), width="stretch",
                 output_format="PNG")
        st.markdown("Samples from the prior: z ~ N(0, I), the same 64 draws at every step.")
        st.image(figs.image_grid(comp["samples"], ncol=16, scale=2), width="stretch", output_format="PNG")
    else:
        st.info("Images only: pick a digit data set.")
with tabs[1]:
    n_test = len(comp["labels"])
    c1, c2 = st.columns(2)
    i = c1.number_input("From test digit #", 0, n_test - 1, 0, key=f"{NS}.i")
    j = c2.number_input("To test digit #", 0, n_test - 1, 1, key=f"{NS}.j")
    st.caption(f"Straight line between their posterior means; labels {comp['labels'][int(i)]} -> {comp['labels'][int(j)]}.")
    path = run.interpolate(int(i), int(j), 10)
    if comp["shape"]:
        st.image(figs.image_grid(path, ncol=10, scale=3), width="stretch", output_format="PNG")
    else:
        st.dataframe({"x1": path[:, 0], "x2": path[:, 1]})
with tabs[2]:
    st.plotly_chart(figs.compare_latents(comp), key=f"{NS}.compare_fig", config={"displaylogo": False})
    if comp["shape"]:
        rows = [comp["inputs"]] + [comp["recons"][k] for k in ("pca", "ae", "vae") if k in comp["recons"]]
        st.image(figs.rows_image(rows, scale=2), width="stretch", output_format="PNG",
                 caption="Rows: input, PCA, autoencoder, VAE (each with a code of the same size)")
    st.caption("Error = squared error per example on the test set; PCA is the best *linear* code "
               "(Eckart-Young), the autoencoder the same networks with no noise and no KL.")
with tabs[3]:
    if st.button(f"Compute the IW bound (K = {cfg_now.K})", key=f"{NS}.iw_btn"):
        ss[f"{NS}.iw"] = (run.step, run.metrics(iw=True)["iw_elbo_test"])
    if f"{NS}.iw" in ss:
        st.write(f"IW bound at step {ss[f'{NS}.iw'][0]}: **{ss[f'{NS}.iw'][1]:.2f}** nats "
                 f"(ELBO {comp['metrics']['elbo_test']:.2f}): tighter, still below log p(x).")
    h = run.history
    rows = [{k: h[k][n] for k in h} for n in range(len(h["step"]))]
    snap = run.snapshot()
    ui.downloads(NS, {"curves": figs.curves(h), "latent": figs.latent_scatter(snap, ellipses=True),
                      "compare": figs.compare_latents(comp)}, comp["metrics"], stem="vae", csv_rows=rows)
    c1, c2 = st.columns(2)
    c1.download_button("Weights (state_dict, .pt)", data=run.weights, file_name="vae_state_dict.pt",
                       key=f"{NS}.dl.weights", on_click="ignore", icon=":material/download:",
                       help="torch.load(path, weights_only=True): tensors and the config only")
    if comp["shape"]:
        c2.download_button("Manifold (PNG)", data=figs.png_bytes(figs.manifold_image(snap, scale=2)),
                           file_name="vae_manifold.png", mime="image/png", key=f"{NS}.dl.png",
                           on_click="ignore", icon=":material/download:")

st.subheader("The reparameterisation trick (note 000, Problem 6)")
st.markdown("Minimise E[x^2] over theta with x ~ N(theta, 1); the exact gradient is 2 theta. "
            "**Pathwise**: write x = theta + eps and differentiate through the sample. **Score function**: "
            "differentiate log q with the sample held fixed. Both are unbiased; their variances differ.")
st.latex(r"\nabla_\theta\,\mathbb{E}[x^2]=\mathbb{E}_\varepsilon\big[2(\theta+\varepsilon)\big]"
         r"=\mathbb{E}_x\big[x^2\,(x-\theta)\big]=2\theta,\qquad"
         r"\mathrm{Var}_1=4\ \text{ vs }\ \theta^4+14\theta^2+15")
c1, c2, c3 = st.columns(3)
theta = c1.slider("theta", -4.0, 4.0, 2.0, 0.5, key=f"{NS}.theta")
use_baseline = c2.checkbox("Baseline b = theta^2 + 1", key=f"{NS}.baseline",
                           help="score function with (x^2 - b): still unbiased, smaller variance")
rseed = c3.number_input("Seed (this section)", 0, 10_000, 0, key=f"{NS}.rseed")
b = theta ** 2 + 1 if use_baseline else 0.0
st.plotly_chart(figs.reparam_figure(reparam.sweep(theta, [1, 4, 16, 64, 256, 1024], 200, int(rseed), b)),
                key=f"{NS}.reparam", config={"displaylogo": False})
st.plotly_chart(figs.sgd_figure(reparam.sgd_paths(theta, 0.05, 80, 8, int(rseed), b)), key=f"{NS}.sgd")

st.subheader("Things to try")
st.markdown(
    "- Press **Play**: within ~30 s the manifold on the right turns into digits that morph into one another.\n"
    "- Set **beta = 5**: what happens to the manifold, the KL and the reconstructions? Then beta = 0.1.\n"
    "- Turn on the **posterior ellipses**: how large is sigma compared with the distance between classes?\n"
    "- Click an empty region of the scatter: what does the decoder make of a z no digit maps to?\n"
    "- Open **PCA vs autoencoder vs VAE**: which code separates the digits best, which reconstructs best?\n"
    "- Latent dimension 10: the ELBO improves; how many units stay active? (the manifold shows z1, z2 only)\n"
    "- **Two moons** with latent 1: the decoder bends a line onto the moons (a 1-D manifold).\n"
    "- Problem 6: at theta = 3, how many samples does the score function need to match pathwise at n = 4?")
