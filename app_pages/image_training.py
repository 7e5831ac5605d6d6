"""Image training: DCGAN, WGAN-GP, SN-GAN and a convolutional VAE (note 002, note 004)."""
import dataclasses

import streamlit as st

import ui
from lab.config import ConfigError
from lab.experiments.image_gan import ImageGANConfig, make_run as make_gan
from lab.experiments.image_vae import ImageVAEConfig, make_run as make_vae
from lab.figures.images import clock, csv_rows, gan_curves, png_bytes, status_line, vae_curves
from lab.data.images import load
from lab.images.runs import GANRun, VAERun, needs_new_run
from lab.images.worker import CapacityError, Training

NS = "img"
FAMILIES = {"GAN": (ImageGANConfig, make_gan, GANRun), "VAE": (ImageVAEConfig, make_vae, VAERun)}
ss = st.session_state

st.title("Image training: DCGAN, WGAN-GP, SN-GAN and a convolutional VAE")
st.markdown(
    "Train an image generator **in the background**: the page stays live while it learns. The grid "
    "shows the generator's images for the *same* 64 noise vectors at every step (DCGAN's fixed noise), "
    "beside real images. DCGAN follows Radford et al.'s guidelines: strided convolutions, batch norm, "
    "ReLU/tanh in G, LeakyReLU in D.")
with st.expander("The formulas", expanded=False):
    st.latex(r"\text{DCGAN: } \max_D \mathbb{E}\log D(x)+\mathbb{E}\log(1-D(G(z))),\quad \min_G -\mathbb{E}\log D(G(z))")
    st.latex(r"\text{WGAN-GP: } \min_f \mathbb{E}f(G(z))-\mathbb{E}f(x)+\lambda\,\mathbb{E}(\|\nabla f(\hat x)\|-1)^2"
             r"\qquad \text{SN-GAN (hinge): } \mathbb{E}[1-f(x)]_+ + \mathbb{E}[1+f(G(z))]_+")
    st.latex(r"\text{VAE: } \mathrm{ELBO}=\mathbb{E}_{q(z|x)}\log p(x|z)-\mathrm{KL}(q(z|x)\,\|\,\mathcal N(0,I))")
    st.latex(r"\mathrm{FD}=\|\mu_r-\mu_g\|^2+\mathrm{Tr}\big(\Sigma_r+\Sigma_g-2(\Sigma_r\Sigma_g)^{1/2}\big)")
    st.caption("FD (GenLab features) is note 004's FID computed on a small classifier trained here, not on "
               "Inception-v3: it works offline, but its numbers are not comparable with published FIDs.")

family = st.sidebar.radio("Model family", list(FAMILIES), key=f"{NS}.family", horizontal=True,
                          index=1 if st.query_params.get("family") == "VAE" else 0)
cls, make_run, run_cls = FAMILIES[family]
url_cfg = ui.config_from_url(cls, f"{NS}.{family}")


def widget(name, make, *args, **kw):
    """One config field's widget, keyed `img.<family>.<field>` so a loaded checkpoint can set it."""
    ss.setdefault(f"{NS}.{family}.{name}", getattr(url_cfg, name))
    return make(*args, key=f"{NS}.{family}.{name}", **kw)


with st.sidebar:
    data = widget("data", st.selectbox, "Data", ["digits", "mnist", "fashion", "cifar10", "folder"],
                  help="digits: 4,000 MNIST digits built in (offline). Others need files (data folder).")
    data_dir = widget("data_dir", st.text_input, "Data folder or file", disabled=data == "digits",
                      help="IDX folder (mnist/fashion), cifar-10-binary.tar.gz, or a folder / .zip of images")
    upload = st.file_uploader("Or upload a .zip of images", type="zip", key=f"{NS}.upload") if data == "folder" else None
    values = {"data": data, "data_dir": data_dir,
              "channels": widget("channels", st.selectbox, "Colour", ["auto", "grey", "rgb"]),
              "size": widget("size", st.selectbox, "Image size (px)", [28, 32, 64])}
    if family == "GAN":
        values["model"] = widget("model", st.selectbox, "Model", ["dcgan", "wgan_gp", "sngan"],
                                 format_func=lambda m: {"dcgan": "DCGAN", "wgan_gp": "WGAN-GP",
                                                        "sngan": "SN-GAN (hinge)"}[m])
        values["lr"] = widget("lr", st.number_input, "Learning rate (0 = paper's)", 0.0, 0.1, format="%.5f")
    else:
        values["lr"] = widget("lr", st.number_input, "Learning rate", 1e-5, 0.1, format="%.5f")
        values["beta"] = widget("beta", st.number_input, "beta (KL weight)", 0.0, 10.0)
    for name, label, lo, hi, step in (("batch", "Batch", 2, 1024, 1), ("width", "Width (channels)", 4, 256, 1),
                                      ("z_dim", "Latent dimension", 1, 512, 1), ("steps", "Steps", 10, 10**6, 500),
                                      ("fd_every", "FD every (steps)", 0, 10**5, 100), ("seed", "Seed", 0, 2**31 - 1, 1)):
        values[name] = widget(name, st.number_input, label, lo, hi, step=step)
    values["device"] = widget("device", st.selectbox, "Device", ["auto", "cpu", "cuda"])
    values = {**dataclasses.asdict(url_cfg), **values}

if data == "folder" and not data_dir and upload is None:
    st.info("Upload a .zip of your images in the sidebar, or type the path of a folder of images.",
            icon=":material/upload:")
    st.stop()
cfg = ui.build_config(cls, NS, values)
if cfg is not None:
    ui.sync_url(cfg, {"family": family} if family == "VAE" else None)


def watched(run) -> Training:
    """A worker that pauses after 20 s without a redraw (tab closed, page left) and stops after
    45 s, giving its server slot back; Play then continues the same run."""
    return Training(run, pause_after=20, stop_after=45)


def new_training(cfg) -> None:
    """Stop the old training (one per session), load the data, build a run and its worker."""
    if ss.get(f"{NS}.training") is not None:
        ss[f"{NS}.training"].stop()
    try:
        up = upload.getvalue() if upload is not None and cfg.data == "folder" else None
        images = load(cfg.data, cfg.data_dir, cfg.size, cfg.channels, upload=up) if up is not None else None
        ss[f"{NS}.training"] = watched(make_run(cfg, images))
        ss[f"{NS}.cfg"] = cfg
    except ConfigError as err:
        st.error(ui.plain(err), icon=":material/error:")
        ui.pause(NS)
    except Exception as err:  # e.g. out of memory on a big upload: one line, never a traceback
        st.error(ui.plain(f"Could not build this run: {type(err).__name__}: {err}"), icon=":material/error:")
        ui.pause(NS)


def on_checkpoint() -> None:
    file = ss.get(f"{NS}.ckpt")
    if file is None:
        return
    try:
        run = run_cls.from_checkpoint(file.getvalue(), cls, device="auto")
    except Exception as err:  # CheckpointError has the message; anything else still gets one line
        ss[f"{NS}.ckpt_error"] = str(err) if isinstance(err, ConfigError) else f"{type(err).__name__}: {err}"
        return
    if ss.get(f"{NS}.training") is not None:
        ss[f"{NS}.training"].stop()
    ss[f"{NS}.training"], ss[f"{NS}.cfg"] = watched(run), run.cfg
    for name, value in dataclasses.asdict(run.cfg).items():   # the widgets show the checkpoint's config
        ss[f"{NS}.{family}.{name}"] = value
    ss[f"{NS}.playing"] = False


controls = ui.transport(NS, default_k=20, max_k=500, step_label="Step (k steps)")
stop = st.button("Stop (free the server slot)", key=f"{NS}.stop", icon=":material/stop:")
if cfg is not None and (controls.reset or ss.get(f"{NS}.training") is None
                        or needs_new_run(ss.get(f"{NS}.cfg"), cfg)):
    new_training(cfg)
tr: Training | None = ss.get(f"{NS}.training")
if tr is None:
    st.stop()
if cfg is not None and ss.get(f"{NS}.cfg") != cfg and not needs_new_run(ss.get(f"{NS}.cfg"), cfg):
    with tr.holding() as run:          # more steps, another FD schedule: the same run goes on
        run.cfg = ss[f"{NS}.cfg"] = cfg
if stop:
    tr.stop()
    ui.pause(NS)
elif controls.playing and tr.state in ("new", "stopped", "finished") and tr.run.step < tr.run.total:
    try:
        if tr.state != "new":          # continue the same run on a fresh thread
            tr = ss[f"{NS}.training"] = watched(tr.run)
        tr.start()
    except CapacityError as err:
        st.warning(ui.plain(err), icon=":material/hourglass_top:")
        ui.pause(NS)
elif controls.playing and tr.run.step >= tr.run.total:
    st.info("This run has done all its steps: raise **Steps** in the sidebar to train on.")
    ui.pause(NS)
elif controls.playing:
    tr.resume()
elif tr.alive:
    tr.pause()
if controls.step and not ss[f"{NS}.playing"]:
    with tr.holding() as run:
        run.advance(min(controls.steps_per_tick, max(run.total - run.step, 0)))


def live() -> None:
    tr.heartbeat()
    snap = tr.snapshot if tr.alive and tr.snapshot is not None else None
    if snap is None:
        with tr.holding() as run:
            snap = run.snapshot()
    if ss.get(f"{NS}.playing") and tr.state in ("finished", "failed", "stopped"):
        ui.pause(NS)
        st.rerun(scope="app")
    if tr.message:
        (st.error if tr.state == "failed" else st.info)(ui.plain(tr.message))
    last, hist = snap["last"], snap["history"]
    st.progress(min(snap["step"] / max(snap["total"], 1), 1.0),
                text=status_line(tr.state, snap["step"], snap["total"]))
    st.caption(f"Training on **{snap['device']}** in **{snap['precision']}**, channels_last tensors"
               + (f" · {snap['note']}" if snap["note"] else ""))
    c = st.columns(4)
    ips = last.get("images_per_sec", float("nan"))
    c[0].metric("Images / s", "–" if ips != ips else f"{ips:,.0f}")
    c[1].metric("Elapsed", clock(snap["elapsed_s"]))
    c[2].metric("ETA", clock(snap["eta_s"]))
    c[3].metric(snap["fd_label"], f"{hist['fd'][-1]:.1f}" if hist["fd"] else "–",
                help=snap["fd_status"] or "measured every 'FD every' steps on 1,000 images")
    left, right = st.columns(2)
    scale = 3 if snap["samples"].shape[-1] <= 32 else 2
    grid_png = png_bytes(snap["samples"], scale=scale)
    left.image(grid_png, caption=f"Generated from the fixed noise, step {snap['step']:,}")
    right.image(png_bytes(snap["real"], scale=scale), caption="Real images")
    empty = "no labels: no FD" if tr.run.data.labels is None else "not measured yet"
    if family == "GAN":
        fig = gan_curves(hist, snap["fd_label"], tr.run.trainer.objective.probabilistic, empty)
    else:
        fig = vae_curves(hist, snap["fd_label"], empty)
        left.image(png_bytes(snap["reconstructions"], scale=scale), caption="Reconstructions of the first 16 real images")
        right.image(png_bytes(snap["walk"], scale=scale), caption="Latent walk: each row sweeps one of the most used latent directions")
    st.plotly_chart(fig, key=f"{NS}.curves", config={"displaylogo": False})
    with st.expander("Latent interpolation (Radford et al., sec. 6.1)"):
        a, b = st.columns(2)
        i = a.number_input("From sample", 0, 63, 0, key=f"{NS}.ia")
        j = b.number_input("To sample", 0, 63, 1, key=f"{NS}.ib")
        with tr.holding(timeout=0.5) as run:
            if run is None:
                st.caption("The trainer is busy (measuring FD); the path shows at the next redraw.")
            else:
                st.image(png_bytes(run.interpolation(int(i), int(j)), nrow=8, scale=scale))
    with st.expander("Export and resume"):
        d = st.columns(2)
        d[0].download_button("Sample grid (PNG)", grid_png, f"{family.lower()}_samples.png", "image/png",
                             key=f"{NS}.dl.png", on_click="ignore", icon=":material/image:")

        def ckpt() -> bytes:
            with tr.holding() as run:
                return run.checkpoint_bytes()
        d[1].download_button("Checkpoint (.pt)", ckpt, f"{family.lower()}_checkpoint.pt",
                             key=f"{NS}.dl.ckpt", on_click="ignore", icon=":material/save:")
        ui.downloads(NS, {"curves": fig}, {**last, "step": snap["step"]}, stem=f"image_{family.lower()}",
                     csv_rows=csv_rows(hist))


ui.live(live, controls.playing, every=1.0)
st.file_uploader("Resume from a checkpoint (.pt)", type="pt", key=f"{NS}.ckpt", on_change=on_checkpoint,
                 help="Loaded with torch.load(weights_only=True): a file holding code is refused.")
if ss.get(f"{NS}.ckpt_error"):
    st.error(ui.plain(ss.pop(f"{NS}.ckpt_error")), icon=":material/error:")

st.subheader("Things to try")
st.markdown(
    "- Press **Play** with the defaults: strokes appear within a few hundred steps, digits within a "
    "couple of minutes on a laptop CPU. Watch D(x) and D(G(z)) settle towards each other.\n"
    "- Switch to **WGAN-GP**: the critic's values are not probabilities; the loss gap tracks quality. "
    "(5 critic steps with a gradient penalty per G step: several times slower on a CPU.)\n"
    "- Set the learning rate to 0.002 for DCGAN: does training collapse? The FD curve tells you.\n"
    "- Use the **VAE** family: its samples are blurrier, its reconstructions sharp; compare the FDs.\n"
    "- Interpolate between two samples: a smooth path means G did not memorise (DCGAN, sec. 6.1).")
