"""VAE latent manifolds (notes 000 sec. 2, 001, 002). The prose is in vae.md beside this file."""
import numpy as np
import streamlit as st

import ui
from lab.data import download
from lab.experiments.vae import IDX_DATA, LatentVAEConfig as Cfg, LatentVAERun, figures as figs
from lab.figures import grids
from lab.pool import Build
from lab.seeds import with_seeds
from ui import vae as box, vae_exact

NS, ss, text = "vae", st.session_state, ui.page_text(__file__)
DATA_NAMES = {"digits": "Real digits (5,000 MNIST, built in)", "mnist": "MNIST (IDX files)",
              "fashion": "Fashion-MNIST (IDX files)", "toy2d": "Two moons (2-D toy)"}
reparam_figures = st.cache_data(figs.reparam_figures, max_entries=64)   # pure, the same for everyone
PNG = box.PNG

ui.opening(NS, "VAE latent manifolds", text, "More formulas: the KL term, the importance-weighted bound")


url = ui.config_from_url(Cfg, NS)
st.sidebar.header("Data")
values = ui.config_widgets(Cfg, NS, url, keys=["data"], labels={"data": DATA_NAMES.get}) | {"data_dir": ""}
if values["data"] in IDX_DATA:
    values |= ui.config_widgets(Cfg, NS, url, keys=["data_dir"])
    if not values["data_dir"] and download.cached(values["data"]) is None:
        box.download_button(NS, values["data"])
values |= ui.config_widgets(Cfg, NS, url, groups=("Model", "Training")) | {"model": "vae"}   # the mixture: below
n_seeds = ui.seeds_input(NS)
if cfg := ui.build_config(Cfg, ui.widgets.merged(url, values)):
    ui.sync_url(cfg, seeds=n_seeds)
controls = ui.transport(NS, default_k=20, max_k=500)
runs = ui.keep_runs(NS, {"vae": cfg} if cfg else None, reset=controls.reset, token=n_seeds, make=lambda _, c: Build(
    with_seeds, "vae", c, n_seeds, LatentVAERun))
if "vae" not in runs:
    st.stop()
if (run := runs["vae"]).cfg != cfg:
    st.caption("Showing the last run that worked; fix the setting above to start a new one.")
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)


def picked_z() -> tuple[float, float]:
    """A click on the latent scatter moves the z boxes there, once per click (read before the
    boxes are drawn, so both show the new point in this run)."""
    pts = (ss.get(f"{NS}.latent_fig") or {}).get("selection", {}).get("points", [])
    if pts and ss.get(f"{NS}.last_pick") != (pts[0]["x"], pts[0]["y"]):
        ss[f"{NS}.last_pick"] = (pts[0]["x"], pts[0]["y"])
        ss[f"{NS}.z1"], ss[f"{NS}.z2"] = (float(np.clip(pts[0][k], -6, 6)) for k in ("x", "y"))
    return ss.setdefault(f"{NS}.z1", 0.0), ss.setdefault(f"{NS}.z2", 0.0)


def body(snaps: dict) -> None:
    snap = snaps["vae"]
    for col, (label, value, help_) in zip(st.columns(5), figs.readout(snap)):
        col.metric(label, value, help=help_)
    ui.seed_line(snap)
    ui.chart(figs.curves(snap["history"]), key=f"{NS}.curves", config={"displaylogo": False})
    left, right = st.columns([1.1, 1])
    ellipses = left.toggle("Posterior ellipses (1 sigma)", key=f"{NS}.ellipses")
    ui.chart(where=left, fig=figs.latent_scatter(snap, ellipses, click_grid=True, picked=(ss[f"{NS}.z1"], ss[f"{NS}.z2"])),
                      key=f"{NS}.latent_fig", on_select="rerun", selection_mode="points", config={"displaylogo": False})
    if snap["shape"]:
        right.markdown("**Decoded manifold** over Gaussian quantiles of (z1, z2) (Kingma & Welling, Fig. 4)")
        right.image(figs.manifold_image(snap), **PNG)
    else:
        ui.chart(where=right, fig=figs.toy_manifold(snap), key=f"{NS}.toy", config={"displaylogo": False})
    with right.container(border=True):
        c1, c2 = st.columns(2)
        c1.number_input("z1", -6.0, 6.0, step=0.25, key=f"{NS}.z1", help="or click the scatter")
        c2.number_input("z2", -6.0, 6.0, step=0.25, key=f"{NS}.z2", disabled=snap["latent"] == 1)
        if snap["shape"]:
            st.image(grids.grid(snap["decoded"][None], scale=5), caption=figs.z_caption(snap), output_format="PNG")
        else:
            st.write(f"{figs.z_caption(snap)}: x = ({snap['decoded'][0]:.3f}, {snap['decoded'][1]:.3f})")


ui.live(NS, runs, body, k=controls.steps_per_tick, every=1.0, snapshot=lambda r: r.snapshot(z=picked_z()))

# ---- below the live view: redrawn on Step, Pause or any change (not every tick) -------------
comp = run.comparison()
pictures = figs.gallery(comp)
st.caption(f"Below: the model at step {comp['step']:,} (refreshed on Step, Pause or any change).")
tabs = st.tabs(["Reconstructions & samples", "Interpolation", "PCA vs autoencoder vs VAE", "Latent arithmetic",
                "Exact log p(x) & posterior", "Export"])
if pictures:
    for name in ("Reconstructions", "Samples"):
        tabs[0].markdown(text[name])
        tabs[0].image(pictures[name], **PNG)
else:
    tabs[0].info("Images only: pick a digit data set.")
c1, c2 = tabs[1].columns(2)
i = c1.number_input("From test digit #", 0, len(comp["labels"]) - 1, 0, key=f"{NS}.i")
j = c2.number_input("To test digit #", 0, len(comp["labels"]) - 1, min(1, len(comp["labels"]) - 1), key=f"{NS}.j")
tabs[1].caption(f"Straight line between their posterior means; labels {comp['labels'][i]} -> {comp['labels'][j]}.")
path = run.interpolate(i, j, 10)
if pictures:
    tabs[1].image(grids.grid(path, ncol=10, scale=3), **PNG)
else:
    tabs[1].dataframe({"x1": path[:, 0], "x2": path[:, 1]})
ui.chart(where=tabs[2], fig=figs.compare_latents(comp), key=f"{NS}.compare_fig", config={"displaylogo": False})
if pictures:
    tabs[2].image(pictures["Compare"], caption="Rows: input, PCA, autoencoder, VAE (each with a code of the same size)", **PNG)
tabs[2].caption(text["Compare"])
with tabs[3]:
    if pictures:
        box.arithmetic_tab(NS, run, comp["labels"], text)
    else:
        st.info("Images only: pick a digit data set.")
with tabs[4]:
    vae_exact.section(NS, run, text, url)
with tabs[5]:
    box.export_tab(NS, run, comp, pictures)
box.reparam_section(NS, text, reparam_figures)
ui.things_to_try(text)
