"""The VAE page's boxes (app_pages/vae.py stays a page): the data download, the export tab, latent
arithmetic, the reparameterisation section, and the exact likelihood on demand (ui.vae_exact)."""
from __future__ import annotations

import streamlit as st

from ui import downloads, latest, plain, rows_of
from ui.classroom import chart

PNG = dict(width="stretch", output_format="PNG")


def download_button(ns: str, name: str) -> None:
    """MNIST / Fashion-MNIST into the cache, checksummed, with a progress bar."""
    from lab.config import ConfigError
    from lab.data import download
    st.sidebar.caption(f"Not in the cache ({download.cache_folder(name)}).")
    if st.sidebar.button(f"Download {name} ({download.SIZES[name]}, checksummed)", key=f"{ns}.download"):
        bar = st.sidebar.progress(0.0, text="starting")
        try:
            download.download_dataset(name, progress=lambda f, done, tot: bar.progress(min(done / max(tot, 1), 1.0), f))
            st.sidebar.success("Downloaded and verified.")
        except ConfigError as err:
            st.sidebar.error(plain(err))


def export_tab(ns: str, run, comp: dict, pictures: dict) -> None:
    """The IW bound on demand, and every figure, the metrics, the curves and the weights to download.
    The live figures come from the last drawn tick; the comparison and the numbers from this script
    run's `comp` (the step the page's caption names)."""
    from lab.experiments.vae import figures as figs
    from lab.figures import grids
    ss = st.session_state
    if st.button(f"Compute the IW bound (K = {run.cfg.K})", key=f"{ns}.iw_btn"):
        ss[f"{ns}.iw"] = (run, run.iw_bound())
    iw_run, iw = ss.get(f"{ns}.iw", (None, {}))
    iw = iw if iw_run is run else {}
    if iw:
        st.markdown(f"IW bound at step {iw['step']}: **{iw['iw_elbo_test']:.2f}** nats (ELBO "
                    f"{iw['elbo_test']:.2f}, K = {iw['K']}): tighter, still below log p(x).")
    drawn = latest(ns)         # read now: a download's thread cannot read st.session_state
    snap = lambda: drawn.snaps["vae"]  # noqa: E731
    downloads(ns, {"curves": lambda: figs.curves(snap()["history"]), "latent": lambda: figs.latent_scatter(snap(), ellipses=True),
                   "compare": lambda: figs.compare_latents(comp), "manifold": lambda: figs.manifold_figure(snap())},
              metrics=lambda: comp["metrics"] | iw, stem="vae", csv_rows=lambda: rows_of({"vae": snap()["history"]}),
              weights={"vae": run.state_bytes})
    if pictures:
        st.download_button("Manifold (PNG)", data=lambda: grids.png(figs.manifold_image(snap())), file_name="vae_manifold.png",
                           mime="image/png", key=f"{ns}.dl.png", on_click="ignore", icon=":material/download:")


def arithmetic_tab(ns: str, run, labels, text: dict) -> None:
    """z + mean(class a) - mean(class b), decoded along the way, for a test digit."""
    from lab.figures import grids
    st.markdown(text["Latent arithmetic"])
    classes = sorted({int(c) for c in labels})
    c1, c2, c3 = st.columns(3)
    i = c1.number_input("Test digit #", 0, len(labels) - 1, 0, key=f"{ns}.ar_i")
    a = c2.selectbox("plus the mean of class", classes, index=min(1, len(classes) - 1), key=f"{ns}.ar_a")
    b = c3.selectbox("minus the mean of class", classes, index=0, key=f"{ns}.ar_b")
    ar = run.arithmetic(int(a), int(b), int(i))
    st.image(grids.grid(ar["path"], ncol=len(ar["path"]), scale=3), **PNG,
             caption=f"digit #{i} (label {ar['label']}): z, then z + t (mean({a}) - mean({b})) up to t = 1")
    st.image(grids.grid(ar["means"], ncol=2, scale=3), output_format="PNG",
             caption=f"the decoded class means: {a} and {b}")


def reparam_section(ns: str, text: dict, reparam_figures) -> None:
    st.subheader("The reparameterisation trick (note 000, Problem 6)")
    st.markdown(text["The reparameterisation trick"])
    c1, c2, c3 = st.columns(3)
    theta = c1.slider("theta", -4.0, 4.0, 2.0, 0.5, key=f"{ns}.theta")
    baseline = c2.checkbox("Baseline b = theta^2 + 1", key=f"{ns}.baseline",
                           help="score function with (x^2 - b): still unbiased, smaller variance")
    rseed = c3.number_input("Seed (this section)", 0, 10_000, 0, key=f"{ns}.rseed")
    for n, fig in enumerate(reparam_figures(theta, baseline, int(rseed))):
        chart(fig, key=f"{ns}.reparam{n}", config={"displaylogo": False})
