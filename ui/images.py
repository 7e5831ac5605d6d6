"""What the image page draws that is not a figure: resuming from a run file (the Weights
button's), which replaces the family's run and fills its widgets. Presentation only; loading is
lab.images.runs.load (torch.load with weights_only=True, paths confined to the data root)."""
from __future__ import annotations

import streamlit as st

from lab.config import ConfigError
from lab.images import runs as image_runs

FAMILY = {"image_gan": "GAN", "image_vae": "VAE"}


def resume_box(ns: str) -> None:
    """A file box for a run file: a good file becomes this session's run of its family (its
    config in the widgets, paused); anything else is one error line and nothing changes."""
    from lab.pool import Build
    from ui import pause, plain, pooled
    ss = st.session_state

    def load() -> None:
        try:                                 # rebuilt in a training process when the pool is on
            back = pooled.materialise(Build(image_runs.load, ss[f"{ns}.resume"].getvalue()))
        except ConfigError as err:           # CheckpointError: unsafe, junk, or another experiment's file
            ss[f"{ns}.resume_error"] = str(err)
            return
        fam = FAMILY[back.experiment]
        ss.update({f"{ns}.{fam}.{key}": value for key, value in image_runs.shown_values(back).items()})
        ss[f"{ns}.family"], ss[f"{ns}.runs"] = fam, {fam: back}
        pause(ns)

    st.file_uploader("Resume from a run file (.pt)", type="pt", key=f"{ns}.resume", on_change=load,
                     help="Loaded with torch.load(weights_only=True): a file holding code is refused.")
    if error := ss.pop(f"{ns}.resume_error", None):
        st.error(plain(error), icon=":material/error:")


def arithmetic_box(ns: str, run) -> None:
    """Latent arithmetic (Radford et al. 2016, sec. 6.3) on demand: the class means at this step
    (a VAE encodes labelled images, a GAN's samples are labelled by GenLab's classifier: lab.images
    .arithmetic), then a fixed-noise sample moved by mean(a) - mean(b). Computed on a click, under
    the run's lock (the worker holds it while it trains a chunk: then it says so)."""
    import numpy as np

    from lab.figures.images import display_scale, png_bytes
    from lab.images import arithmetic
    from ui import plain
    ss = st.session_state
    with st.expander("Latent arithmetic: z + mean(class a) - mean(class b)"):
        key = f"{ns}.arith"
        if st.button("Find the class means at this step", key=f"{ns}.arith_go"):
            with run.holding(timeout=2.0) as held:
                if held is None:
                    st.caption("The trainer is busy; press again.")
                else:
                    try:
                        found = held.class_means()        # a method: the run may be in a worker process
                        ss[key] = {"run": id(run), "step": found.pop("step"), "means": found}
                    except ConfigError as err:
                        st.warning(plain(err), icon=":material/info:")
        got = ss.get(key)
        if not got or got["run"] != id(run):
            st.caption("Press the button: the class means are taken over "
                       f"{arithmetic.N_CODES} codes at the step you press it.")
            return
        means = got["means"]
        classes = [int(c) for c in means["classes"]]
        c1, c2, c3 = st.columns(3)
        i = c1.number_input("Fixed-noise sample #", 0, 63, 0, key=f"{ns}.arith_i")
        a = c2.selectbox("plus the mean of class", classes, index=min(1, len(classes) - 1), key=f"{ns}.arith_a")
        b = c3.selectbox("minus the mean of class", classes, index=0, key=f"{ns}.arith_b")
        with run.holding(timeout=2.0) as held:
            if held is None:
                st.caption("The trainer is busy; the path shows at the next rerun.")
                return
            try:
                out = held.arithmetic_path(means, int(a), int(b), int(i))
            except ConfigError as err:
                st.warning(plain(err), icon=":material/info:")
                return
        scale = display_scale(np.zeros((1, 1, run.cfg.size, run.cfg.size)))
        counts = ", ".join(f"{c}: {n}" for c, n in zip(classes, means["counts"]))
        st.image(png_bytes(out["path"], scale=scale), caption=f"sample #{i}, then z + t (mean({a}) - mean({b})) up "
                 f"to t = 1 (class means at step {got['step']:,}; codes per class {counts})")
        st.image(png_bytes(out["means"], scale=scale), caption=f"the decoded class means of {a} and {b}")
