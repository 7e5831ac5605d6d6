"""What every GenLab page shares: the page catalogue, the device badge, the URL <-> config
round trip, config widgets drawn from the config's own declarations, play / pause / step /
reset, the one live driver, and export buttons.

Pages stay thin: widgets -> a lab config -> a lab run -> lab figures. Everything here is
presentation; no maths, no training loop. Widget keys are namespaced per page (`ns`). Importing
ui never imports torch: a page can draw its opening before torch loads.
"""
from __future__ import annotations

import importlib
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import classroom, pooled
from ui.classroom import chart, lead_and_live
from ui.driver import begin_script_run, end_script_run, is_newest_run, keep_runs, latest, live, off_the_slot, step_runs
from ui.export import downloads, rows_of
from ui.lesson import lesson
from ui.transport import Transport, pause, playing, transport
from ui.url import config_from_url, sync_url
from ui.widgets import build_config, config_widgets, recipe_note, seed_line, seeds_input

__all__ = ["PAGES", "Transport", "available_pages", "begin_script_run", "end_script_run", "chart", "is_newest_run", "lead_and_live", "off_the_slot", "build_config", "config_from_url", "config_widgets",
           "device_badge", "downloads", "import_shared", "keep_runs", "latest", "live", "opening", "page_text", "pause", "plain", "playing",
           "pooled", "recipe_note", "rows_of", "seed_line", "seeds_input", "step_runs", "sync_url", "things_to_try", "transport", "warm_up"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PageEntry:
    file: str          # app_pages/<experiment>.py
    title: str
    icon: str
    blurb: str         # one line for the home page
    experiments: tuple[str, ...]       # the lab experiments it drives (its config is its URL)
    ns: str                            # its widget keys' prefix
    old_paths: tuple[str, ...] = ()    # URL paths of earlier names: links shared before still open

    @property
    def url_path(self) -> str:
        return Path(self.file).stem


PAGES = [
    PageEntry("app_pages/discriminator.py", "Discriminators: perfect vs Lipschitz", ":material/balance:",
              "Watch a trained D converge to D* = p/(p+p_G) and go flat on the fakes, while Lipschitz "
              "critics keep a slope the generator can follow.", ("discriminator",), "disc", ("discriminators",)),
    PageEntry("app_pages/mode_collapse.py", "Mode collapse", ":material/scatter_plot:",
              "Train GANs on rings and grids of Gaussians; count the modes they capture; try the cures.",
              ("mode_collapse",), "mc"),
    PageEntry("app_pages/disjoint.py", "Wasserstein vs JS", ":material/straighten:",
              "Disjoint supports: JS is stuck at log 2, W1 = |theta| still points the way.", ("disjoint",),
              "disjoint", ("wasserstein",)),
    PageEntry("app_pages/gan1d.py", "The GAN game in 1-D", ":material/swap_vert:",
              "Goodfellow et al.'s Figure 1 live: a generator network learns a 1-D target, D flattens to 1/2 "
              "and JS falls to 0; the minimax loss saturates where the non-saturating one does not.", ("gan1d",),
              "gan1d"),
    PageEntry("app_pages/dirac_gan.py", "Failure to converge: the Dirac-GAN", ":material/cyclone:",
              "D(x) = psi x against G = delta_theta: simultaneous steps spiral out, alternating ones circle, "
              "R1, instance noise and consensus converge; the eigenvalues say why.", ("dirac_gan",), "dirac"),
    PageEntry("app_pages/vae.py", "VAE latent manifolds", ":material/grid_view:",
              "Train a VAE on real digits live; see the 2-D latent space and the decoded manifold.", ("vae",), "vae"),
    PageEntry("app_pages/robust_mean.py", "Robust mean estimation", ":material/shield:",
              "Huber contamination: medians, Tukey depth and GANs as robust estimators.", ("robust_mean",), "rm"),
    PageEntry("app_pages/image_training.py", "Image training", ":material/image:",
              "DCGAN, WGAN-GP, SN-GAN and a convolutional VAE on images, in the background.",
              ("image_gan", "image_vae"), "img"),
    PageEntry("app_pages/ebm.py", "Energy-based models: from Langevin to diffusion", ":material/bolt:",
              "Note 003 live: Langevin particles against an exact density, score matching, an energy by "
              "contrastive divergence, the GAN as an EBM, and why many noise levels make diffusion work.",
              ("langevin", "score_matching", "ebm", "ebm_gan", "diffusion"), "ebm"),
    PageEntry("app_pages/sweep.py", "Sweeps: many runs at once", ":material/grid_on:",
              "Train a whole phase diagram live: learning rates, packing, penalties x seeds, as one batched "
              "model; click a cell to open it as a single run.", ("sweep",), "sweep"),
    PageEntry("app_pages/evaluation.py", "Evaluating generative models", ":material/analytics:",
              "Inception Score and the Fréchet distance under distortions, precision and recall, memorisation: "
              "what each number rewards and what it misses.", ("evaluation",), "eval"),
]


def available_pages() -> list[PageEntry]:
    """The catalogue's pages whose file exists."""
    return [p for p in PAGES if (ROOT / p.file).exists()]


def device_badge(where=None, if_loaded: bool = False) -> None:
    """Which device trains, in the sidebar (or in `where`, a slot kept for it there). Naming
    it imports torch (~1.4 s); `if_loaded` draws it only when that is already done."""
    if if_loaded and "torch" not in sys.modules:
        return
    from lab.device import describe, small_net_threads
    small_net_threads()              # the count the badge names is the one training uses
    (where or st.sidebar).caption(f"Device: **{describe()}**")


# Read by other libraries straight from sys.modules, never through `import`: plotly's
# `get_module(name, should_load=False)` checks `isinstance(v, pd.Series)` on every array it is
# given. When one session's first run was still importing pandas, another session's plotly
# figure got the half-built module: "partially initialized module 'pandas' has no attribute
# 'Series'" (12 students opening a fresh server). Imported whole before any page code runs.
SHARED_IMPORTS = ("numpy", "pandas")
_shared_lock = threading.Lock()
_shared_done = False


def import_shared(modules: tuple[str, ...] = SHARED_IMPORTS) -> None:
    """Import `modules` completely, once per process, before any page runs; a concurrent first
    run waits here (~0.2 s, the first run only) instead of meeting them half-imported."""
    global _shared_done
    if _shared_done:
        return
    with _shared_lock:
        if not _shared_done:
            for name in modules:
                importlib.import_module(name)
            _shared_done = True


def warm_up() -> None:
    """After a page is drawn: import, in the background, what the first Play will need, and
    start the training processes (lab.pool) again if one was recycled."""
    from lab.device import warm_up
    warm_up()
    pooled.warm()


def plain(text: object) -> str:
    """A message shown as typed: st.error/st.warning render Markdown, so a mixture spec like
    0.5*N(1,0.3) lost its '*' to italics and a '$' opened a formula."""
    return re.sub(r"([\\*$`~])", r"\\\1", str(text))


def opening(ns: str, title: str, text: dict[str, str], label: str = "The formulas") -> None:
    """Every page's first lines: its title, its intro, its formulas in an expander that is drawn
    only while open (a first-time browser paid ~0.2 s of start-up for KaTeX it did not show), and
    its lesson steps (ui.lesson) beside that expander."""
    st.title(title)
    # Projector mode: the intro folds away, so the live figure rises above the fold (the
    # instructor says it aloud); a student's view keeps it open. The lesson steps sit beside a row
    # that is there anyway, so they cost the page no height: the folded intro on a projector (the
    # formulas' long labels would wrap beside them at 1024 px), else the formulas.
    def row():
        return st.columns([4, 1], vertical_alignment="top") if "Lesson" in text else (st.container(), None)
    if classroom.on():
        intro, steps = row()
        intro.expander("About this page").markdown(text["Intro"])
        formulas = st.expander(label, key=f"{ns}.formulas", on_change="rerun")
    else:
        st.markdown(text["Intro"])
        here, steps = row()
        formulas = here.expander(label, key=f"{ns}.formulas", on_change="rerun")
    lesson(ns, text, steps)
    if formulas.open:
        formulas.markdown(text["Formulas"])


def things_to_try(text: dict[str, str]) -> None:
    st.subheader("Things to try")
    st.markdown(text["Things to try"])


def page_text(page_file: str) -> dict[str, str]:
    """The Markdown file beside a page (app_pages/<name>.md), split at its `## ` headings:
    {"Intro": ..., "Things to try": ...}. The page's prose lives there, its code in the .py."""
    text = Path(page_file).with_suffix(".md").read_text(encoding="utf-8")
    out, head = {}, ""
    for line in text.splitlines():
        if line.startswith("## "):
            head = line[3:].strip()
            out[head] = ""
        elif head:
            out[head] += line + "\n"
    return {k: v.strip() for k, v in out.items()}
