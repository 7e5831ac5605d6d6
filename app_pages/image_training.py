"""Image training: DCGAN, LSGAN, WGAN, WGAN-GP, SN-GAN and a convolutional VAE (note 002, note 004)."""
import hashlib

import streamlit as st

import ui
from lab.data.root import data_root
from lab.experiments import image_gan, image_vae
from lab.figures.images import display_scale, png_bytes, readout
from lab.gan import recipes
from lab.images.runs import seeded
from lab.images.worker import follow, pooled_state, status_line
from lab.pool import Build
from ui.images import arithmetic_box, resume_box

NS = "img"
FLAT_OUT = 100_000      # steps per 1 s tick asked of the pool: more than any device trains
FAMILIES = {"GAN": image_gan, "VAE": image_vae}
TEXT, ss = ui.page_text(__file__), st.session_state

ui.opening(NS, "Image training: DCGAN, WGAN-GP, SN-GAN and a convolutional VAE", TEXT)

ss.setdefault(f"{NS}.family", "VAE" if st.query_params.get("family") == "VAE" else "GAN")
family = st.sidebar.radio("Model family", list(FAMILIES), key=f"{NS}.family", horizontal=True)
pkg, ns = FAMILIES[family], f"{NS}.{family}"
cls = pkg.EXPERIMENT.config
base = ui.config_from_url(cls, ns)
values = ui.config_widgets(cls, ns, base, groups=("Data", "Model", "Training"),
                           labels={"recipe": lambda r: recipes.RECIPES[r].label},
                           disabled=["data_dir"] if ss.get(f"{ns}.data", base.data) == "digits" else [])
upload = st.sidebar.file_uploader("Or upload a .zip of images", type="zip", key=f"{NS}.upload") \
    if values["data"] == "folder" else None
values |= ui.config_widgets(cls, ns, base, groups=("Advanced",), where=st.sidebar.expander("Advanced"), headers=False)
n_seeds = ui.seeds_input(NS)
if values["data"] == "folder" and not values["data_dir"] and upload is None:
    st.info("Upload a .zip of your images in the sidebar" + (", or type a folder of images under the data root."
            if data_root() else "."), icon=":material/upload:")
    st.stop()
cfg = ui.build_config(cls, ui.widgets.merged(base, values))
if cfg is not None:
    ui.sync_url(cfg, {"family": family} if family == "VAE" else None, n_seeds)
    if family == "GAN":
        ui.recipe_note(cfg, where=st.sidebar)

controls = ui.transport(NS, default_k=20, max_k=500, step_label="Step (k steps)")
zipped = upload.getvalue() if upload is not None else None
# In a training process of the pool (the default) when it is on, else in this server's thread.
runs = ui.keep_runs(NS, {family: cfg} if cfg is not None else None,
                    lambda name, c: Build(seeded, pkg.EXPERIMENT.name, pkg.make_run, c, n_seeds, upload=zipped),
                    reset=controls.reset, token=(hashlib.sha1(zipped).hexdigest() if zipped else None, n_seeds))
if (run := runs.get(family)) is None:
    st.stop()
tr = None
if not ui.pooled.is_remote(run):
    # the background thread: pauses after 20 s without a redraw (tab closed, page left), stops after 45 s
    stop = st.button("Stop (free the server slot)", key=f"{NS}.stop", icon=":material/stop:")
    tr, refused = follow(ss.get(f"{NS}.worker"), run, controls.playing, stop, pause_after=20, stop_after=45)
    ss[f"{NS}.worker"] = tr
    if refused:
        st.warning(ui.plain(refused), icon=":material/hourglass_top:")
    if stop or refused:
        ui.pause(NS)
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
if run.step >= run.total:
    st.caption("This run has done all its steps: raise **Steps** in the sidebar to train on.")


def body(snaps: dict) -> None:
    snap = snaps[family]
    if tr is not None:
        tr.heartbeat()
        if ui.playing(NS) and tr.state in ("failed", "stopped"):
            ui.pause(NS)
            st.rerun(scope="app")
        if tr.message:
            (st.error if tr.state == "failed" else st.info)(ui.plain(tr.message))
    state = tr.state if tr is not None else pooled_state(ui.playing(NS), snap["step"], snap["total"])
    st.progress(min(snap["step"] / max(snap["total"], 1), 1.0), text=status_line(state, snap["step"], snap["total"]))
    numbers, figure = ui.lead_and_live()        # on a projector: the images first, the numbers under them
    numbers.caption(f"Training on **{snap['device']}** in **{snap['precision']}**, channels_last tensors"
                    + "".join(f" · {ui.plain(snap[k])}" for k in ("graphs", "note") if snap.get(k)))
    for col, (label, value, note) in zip(numbers.columns(4), readout(snap)):
        col.metric(label, value, help=note)
    ui.seed_line(snap, where=numbers)
    scale, (left, right) = display_scale(snap["samples"]), figure.columns(2)
    left.image(png_bytes(snap["samples"], scale=scale), caption=f"Generated from the fixed noise, step {snap['step']:,}")
    right.image(png_bytes(snap["real"], scale=scale), caption="Real images")
    if family == "VAE":
        left.image(png_bytes(snap["reconstructions"], scale=scale), caption="Reconstructions of the first 16 real images")
        right.image(png_bytes(snap["walk"], scale=scale), caption="Latent walk: each row sweeps one of the most used latent directions")
    ui.chart(pkg.figures.curves(snap), key=f"{NS}.curves", config={"displaylogo": False})
    with st.expander("Latent interpolation (Radford et al., sec. 6.1)"):
        a, b = st.columns(2)
        i, j = a.number_input("From sample", 0, 63, 0, key=f"{NS}.ia"), b.number_input("To sample", 0, 63, 1, key=f"{NS}.ib")
        # the worker holds the run while it trains a chunk: others draw meanwhile
        with ui.off_the_slot(), run.holding(timeout=0.5) as held:
            if held is None:
                st.caption("The trainer is busy with its current steps; the path shows at the next redraw.")
            else:
                st.image(png_bytes(held.interpolation(i, j), scale=scale))


# A run in the pool trains as fast as its fair share allows (Steps per tick is the Step button's):
# the thread trains flat out too.
ui.live(NS, runs, body, k=controls.steps_per_tick if tr is not None else FLAT_OUT, every=1.0,
        snapshot=None if tr is None else lambda run: tr.latest(), train=False)
arithmetic_box(NS, run)

latest = ui.latest(NS)          # the last drawn tick: finished arrays, read when a button is clicked
last = lambda: latest.snaps[family]  # noqa: E731
st.subheader("Export and resume")
ui.downloads(NS, {"curves": lambda: pkg.figures.curves(last())}, lambda: {**last()["last"], "step": last()["step"]},
             stem=f"image_{family.lower()}", csv_rows=lambda: ui.rows_of({family: last()["history"]}),
             weights={family: run.state_bytes}, images={"Sample grid": lambda: png_bytes(last()["samples"], scale=2)})
resume_box(NS)
ui.things_to_try(TEXT)
