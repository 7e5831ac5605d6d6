"""The energy-based-models page's glue (app_pages/ebm.py stays a page): its parts, the
target picker (presets or the student's own mixture), and each part's live read-out.

A part is one experiment with its own widgets' namespace, transport and read-out; adding one
is one entry in PARTS (its body and figures may live in their own ui module)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

from lab.experiments.ebm_gan.config import MODE_LABELS
from ui import ebm_gan
from ui.classroom import chart, lead_and_live
from ui.numbers import number
from ui.ebm_cd import cd_body, cd_figures
from ui.ebm_diffusion import diffusion_body, diffusion_figures

OWN = "Your own mixture"
START = {"box": "Spread over the box", "mode": "All in one mode"}


@dataclass(frozen=True)
class Part:
    label: str
    experiment: str
    ns: str              # its widgets' prefix; its transport's is ns + ".run" (the config has a key named step)
    groups: tuple[str, ...]            # the config's groups drawn in the sidebar, in order
    section: str                       # the ebm.md section shown under the part picker
    body: Callable[[str, dict], Callable[[dict], None]]   # (ns, page text) -> the live read-out
    figures: Callable[[], dict[str, Callable[[dict], Any]]]   # export: {stem: snapshot -> figure}
    first: tuple[str, ...] = ()        # keys drawn just under the target, without a header
    labels: dict = field(default_factory=dict)     # {key: value -> shown label} for those keys
    default_k: int = 50                # steps per tick to start with
    formulas: str = ""                 # its own ebm.md formulas section, added to the page's formulas
    tries: str = "Things to try"       # the ebm.md section shown under "Things to try"

    @property
    def stem(self) -> str:
        return self.experiment


def part_from_link() -> str:
    asked = st.query_params.get("part", "langevin")
    if asked not in PARTS:
        st.warning(f"Ignored the link's part {asked!r}: the parts are {', '.join(PARTS)}.",
                   icon=":material/link_off:")
        return "langevin"
    return asked


def target_widget(ns: str, url) -> str:
    """A preset, or a mixture typed in the Discriminators page's syntax."""
    from lab.data.densities import LABELS
    ss = st.session_state
    if f"{ns}.preset" not in ss:
        ss[f"{ns}.preset"] = url.target if url.target in LABELS else OWN
        ss[f"{ns}.own"] = "" if url.target in LABELS else url.target
    st.sidebar.header("Target")
    choice = st.sidebar.selectbox("Target", [*LABELS, OWN], key=f"{ns}.preset",
                                  format_func=lambda k: LABELS.get(k, k))
    if choice != OWN:
        return choice
    return st.sidebar.text_input("Mixture", key=f"{ns}.own", placeholder="0.5*N(-2,0.5)+0.5*N(2,0.5)",
                                 help="weight*N(mean,std) terms in 1-D, weight*N((x,y),std) in 2-D, joined by +")


def live_line(cls) -> str:
    """Which of this part's settings change without a restart (the config's live keys)."""
    from lab.config import live_keys, spec
    names = [(spec(cls, k).label or k) for k in live_keys(cls)]
    return ("Live (no restart): " + ", ".join(names) + ". Anything else starts a new run." if names
            else "Every setting starts a new run.")


def langevin_body(ns: str, text: dict) -> Callable[[dict], None]:
    from lab.experiments.langevin import figures as figs

    def body(snaps: dict[str, Any]) -> None:
        s = snaps["run"]
        m = s["metrics"]
        numbers, figure = lead_and_live()       # on a projector: the density first, the numbers under it
        cols = numbers.columns(4)
        cols[0].metric(f"Iterations (of {s['total']:,})", f"{s['step']:,}")
        cols[1].metric("KL(histogram || p)", number(m["kl"]))
        cols[2].metric("|mean error|", number(m["mean_error"]))
        cols[3].metric("MALA acceptance" if s["mala"] else "Escaped the box",
                       number(m["acceptance"]) if s["mala"] else f"{m['escaped']:.1%}")
        chart(figs.density(s), key=f"{ns}.density", where=figure)
        chart(figs.kl_curve(s), key=f"{ns}.kl")
        st.caption(text["KL"])
    return body


def score_body(ns: str, text: dict) -> Callable[[dict], None]:
    from lab.experiments.score_matching import figures as figs

    def body(snaps: dict[str, Any]) -> None:
        s = snaps["run"]
        m = s["metrics"]
        numbers, figure = lead_and_live()
        cols = numbers.columns(3)
        cols[0].metric(f"Steps (of {s['total']:,})", f"{s['step']:,}")
        cols[1].metric("Fisher divergence", number(m["fisher"]))
        cols[2].metric("At initialisation", number(m["fisher_init"]))
        chart(figs.fields(s), key=f"{ns}.fields", where=figure)
        chart(figs.fisher_curve(s), key=f"{ns}.fisher")
        st.caption(text["Fisher"])
    return body


def _langevin_figures() -> dict[str, Callable[[dict], Any]]:
    from lab.experiments.langevin import figures as figs
    return {"particles": figs.density, "kl": figs.kl_curve}


def _score_figures() -> dict[str, Callable[[dict], Any]]:
    from lab.experiments.score_matching import figures as figs
    return {"fields": figs.fields, "fisher": figs.fisher_curve}


PARTS = {
    "langevin": Part("1. Langevin dynamics", "langevin", "ebm.lv", ("Sampler",), "Langevin", langevin_body,
                     _langevin_figures, first=("init",), labels={"init": START.get}, default_k=20),
    "score_matching": Part("2. Score matching", "score_matching", "ebm.sm", ("Training", "Network"),
                           "Score matching", score_body, _score_figures),
    "cd": Part("3. Energy-based model (contrastive divergence)", "ebm", "ebm.cd", ("Negatives", "Training", "Network"),
               "Contrastive divergence", cd_body, cd_figures, default_k=10, formulas="CD formulas",
               tries="CD things to try"),
    "ebm_gan": Part("4. The GAN as an energy-based model", "ebm_gan", "ebm.gan", ("Training", "Networks"),
                    "GAN as EBM", ebm_gan.body, ebm_gan.figures, first=("mode",), labels={"mode": MODE_LABELS.get},
                    formulas="GAN formulas", tries="GAN things to try"),
    "diffusion": Part("5. From Langevin to diffusion", "diffusion", "ebm.df", ("Noise", "Sampler", "Training", "Network"),
                      "Diffusion", diffusion_body, diffusion_figures, first=("levels",), default_k=100,
                      formulas="Diffusion formulas", tries="Diffusion things to try"),
}
