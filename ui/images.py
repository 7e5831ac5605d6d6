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
    from ui import pause, plain
    ss = st.session_state

    def load() -> None:
        try:
            back = image_runs.load(ss[f"{ns}.resume"].getvalue())
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
