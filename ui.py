"""What every GenLab page shares: the page catalogue, the device badge, the URL <-> config
round trip, play / pause / step / reset, the live fragment, and export buttons.

Pages stay thin: widgets -> a lab config -> a lab run -> lab figures. Everything here is
presentation; no maths, no training loop. Widget keys are namespaced per page (`ns`).
"""
from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from lab.config import ConfigError, from_strings_lenient, to_strings

ROOT = Path(__file__).resolve().parent

# (file, title, icon, one line for the home page). A page is offered only once its file exists.
PAGES = [
    ("app_pages/discriminators.py", "Discriminators: perfect vs Lipschitz", ":material/balance:",
     "Watch a trained D converge to D* = p/(p+p_G) and go flat on the fakes, while Lipschitz "
     "critics keep a slope the generator can follow."),
    ("app_pages/mode_collapse.py", "Mode collapse", ":material/scatter_plot:",
     "Train GANs on rings and grids of Gaussians; count the modes they capture; try the cures."),
    ("app_pages/wasserstein.py", "Wasserstein vs JS", ":material/straighten:",
     "Disjoint supports: JS is stuck at log 2, W1 = |theta| still points the way."),
    ("app_pages/vae.py", "VAE latent manifolds", ":material/grid_view:",
     "Train a VAE on real digits live; see the 2-D latent space and the decoded manifold."),
    ("app_pages/robust_mean.py", "Robust mean estimation", ":material/shield:",
     "Huber contamination: medians, Tukey depth and GANs as robust estimators."),
    ("app_pages/image_training.py", "Image training", ":material/image:",
     "DCGAN, WGAN-GP, SN-GAN and a convolutional VAE on images, in the background."),
]


def available_pages() -> list[tuple[str, str, str, str]]:
    return [p for p in PAGES if (ROOT / p[0]).exists()]


def device_badge(where=None, if_loaded: bool = False) -> None:
    """Which device trains, in the sidebar (or in `where`, a slot kept for it there). Naming
    it imports torch (~1.4 s); `if_loaded` draws it only when that is already done."""
    if if_loaded and "torch" not in sys.modules:
        return
    from lab.device import describe, small_net_threads
    small_net_threads()              # the count the badge names is the one training uses
    (where or st.sidebar).caption(f"Device: **{describe()}**")


def warm_up() -> None:
    """After a page is drawn: import, in the background, what the first Play will need."""
    from lab.device import warm_up
    warm_up()


def plain(text: object) -> str:
    """A message shown as typed: st.error/st.warning render Markdown, so a mixture spec like
    0.5*N(1,0.3) lost its '*' to italics and a '$' opened a formula."""
    return re.sub(r"([\\*$`~])", r"\\\1", str(text))


# ---- the URL -------------------------------------------------------------------------------
def config_from_url(cls, ns: str):
    """The page's config as the URL gives it, read once per session (so later widget changes
    are not overwritten). Values that do not parse or validate fall back to the default and
    are reported with st.warning, so a bad link still opens the page."""
    key = f"{ns}.url_config"
    if key not in st.session_state:
        cfg, notes = from_strings_lenient(cls, dict(st.query_params))
        st.session_state[key] = cfg
        st.session_state[f"{ns}.url_notes"] = notes
    for note in st.session_state.get(f"{ns}.url_notes", []):
        st.warning(plain(note), icon=":material/link_off:")
    return st.session_state[key]


def sync_url(cfg, extra: dict[str, str] | None = None) -> None:
    """Write the config's non-default values (and any page extras) into the URL, so a link
    reproduces the view. Only touches the URL when something changed."""
    want = {**to_strings(cfg), **(extra or {})}
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)


def build_config(cls, ns: str, values: dict[str, Any]):
    """Widgets -> config. On a bad value: st.error with the config's own message, and None
    (the caller keeps its last good run, so nothing is lost)."""
    try:
        return cls(**values)
    except ConfigError as err:
        st.error(plain(err), icon=":material/error:")
        return None


# ---- play / pause / step / reset -----------------------------------------------------------
@dataclass(frozen=True)
class Transport:
    playing: bool
    step: bool
    reset: bool
    steps_per_tick: int


def _toggle(key: str) -> None:
    st.session_state[key] = not st.session_state.get(key, False)


def transport(ns: str, default_k: int = 50, max_k: int = 1000, step_label: str = "Step") -> Transport:
    """Play/Pause, Step and Reset buttons and a steps-per-tick box, in one row. Every page that
    trains shows them before it trains, so this is where a page run sets torch's thread count
    (per thread, and each run may be on a fresh one; `live` does the same for its ticks)."""
    from lab.device import small_net_threads
    small_net_threads()
    playing_key = f"{ns}.playing"
    st.session_state.setdefault(playing_key, False)
    playing = st.session_state[playing_key]
    c1, c2, c3, c4 = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
    c1.button("Pause" if playing else "Play", key=f"{ns}.play", type="primary",
              icon=":material/pause:" if playing else ":material/play_arrow:",
              on_click=_toggle, args=(playing_key,), width="stretch")
    step = c2.button(step_label, key=f"{ns}.step", icon=":material/skip_next:", width="stretch")
    reset = c3.button("Reset", key=f"{ns}.reset", icon=":material/restart_alt:", width="stretch")
    k = c4.number_input("Steps per tick", 1, max_k, default_k, step=10, key=f"{ns}.k",
                        help="Training steps between two redraws while playing, and per press of Step.")
    return Transport(st.session_state[playing_key], step, reset, int(k))


def pause(ns: str) -> None:
    st.session_state[f"{ns}.playing"] = False


TICK_SHARE = 0.8   # of the fragment timer's period one tick may use (1.0 measured 4.7 redraws/s, 0.8 5.0/s)


def advance_while_playing(ns: str, runs: dict, k: int, cap: int, budget: float | None = None) -> None:
    """Inside the live fragment: up to k more steps for every run while Play is on, time-boxed
    so that training plus drawing fit in TICK_SHARE of the timer's period. A tick longer than
    the period makes the browser's timer requests queue up behind it: redraws fall to one per
    tick time (2/s on the discriminators page before this), and on a busy machine a late tick's
    charts went blank (VAE page). The drawing time comes from the last tick (`live` measures
    it); `budget` overrides the whole computation. Runs advance in small round-robin chunks so
    they stay at equal step counts; each tick makes at least one chunk of progress. Past `cap`
    Play switches itself off (a forgotten tab must not train forever)."""
    if not st.session_state.get(f"{ns}.playing"):
        return
    if budget is None:
        clock = st.session_state.get(f"{ns}.clock", {})
        draw = clock.get("draw", 0.0)
        # When the picture alone overruns the timer (the 2-D page's five panels), redraws are
        # slow whatever we do: then train for half as long as we draw, not one chunk per tick.
        budget = max(TICK_SHARE * clock.get("every", 0.2) - draw, 0.5 * draw)
    chunk = max(1, k // 5)
    t0 = time.perf_counter()
    deadline = t0 + budget
    done = 0
    while done < k and (done == 0 or time.perf_counter() < deadline):
        step = min(chunk, k - done)
        for run in runs.values():
            run.advance(step)
        done += step
    st.session_state.setdefault(f"{ns}.clock", {})["train"] = time.perf_counter() - t0
    if max(r.step for r in runs.values()) >= cap:
        pause(ns)
        st.rerun(scope="app")


def live(body: Callable[[], None], playing: bool, every: float = 0.2, ns: str | None = None) -> None:
    """Run `body` in a fragment that reruns every `every` seconds while playing: only the
    live part of the page redraws, the controls stay put (GAN Lab throttles drawing the
    same way). With `ns`, each tick's drawing time (the tick minus its training) is kept
    for `advance_while_playing` to size the next tick's training."""
    from lab.device import small_net_threads

    @functools.wraps(body)           # the fragment keeps the page function's identity
    def tick() -> None:
        small_net_threads()          # a fragment rerun may run on a new thread
        if ns is None:
            body()
            return
        clock = st.session_state.setdefault(f"{ns}.clock", {})
        clock.update(every=every, train=0.0)
        t0 = time.perf_counter()
        body()
        draw = time.perf_counter() - t0 - clock["train"]
        # A slow tick counts at once, a fast one slowly: one hiccup must not starve training.
        clock["draw"] = draw if draw > clock.get("draw", 0.0) else 0.7 * clock["draw"] + 0.3 * draw
    st.fragment(tick, run_every=every if playing else None)()


# ---- export --------------------------------------------------------------------------------
def _jsonable(value):
    from lab.cli import to_json
    return to_json(value)


def _now(value):
    """A download's content, or a function that makes it when the button is clicked."""
    return value() if callable(value) else value


def downloads(ns: str, figures: dict[str, Any], metrics: Any, stem: str, csv_rows: Any = None) -> None:
    """Download buttons: each figure as standalone HTML, the numbers as JSON and CSV. The
    files are built only when clicked (deferred data), so a live page pays nothing for them.
    Figures, metrics and rows may be given as functions returning them (read at the click):
    Streamlit runs a deferred download on its own thread, so such a function must read
    finished data, never a model that a live tick may be training."""
    cols = st.columns(len(figures) + 1 + (csv_rows is not None))
    for col, (name, fig) in zip(cols, figures.items()):
        col.download_button(f"Figure: {name} (HTML)", data=lambda f=fig: _now(f).to_html(include_plotlyjs=True),
                            file_name=f"{stem}_{name}.html", mime="text/html", key=f"{ns}.dl.{name}",
                            on_click="ignore", icon=":material/download:")
    cols[len(figures)].download_button(
        "Numbers (JSON)", data=lambda: json.dumps(_jsonable(_now(metrics)), indent=1),
        file_name=f"{stem}_metrics.json", mime="application/json", key=f"{ns}.dl.json",
        on_click="ignore", icon=":material/download:")
    if csv_rows is not None:
        def to_csv() -> str:
            import csv
            rows = _now(csv_rows)
            buf = io.StringIO()
            keys = list(dict.fromkeys(k for row in rows for k in row))
            writer = csv.DictWriter(buf, fieldnames=keys)
            writer.writeheader()
            writer.writerows(_jsonable(rows))
            return buf.getvalue()
        cols[-1].download_button("Curves (CSV)", data=to_csv, file_name=f"{stem}_history.csv",
                                 mime="text/csv", key=f"{ns}.dl.csv", on_click="ignore",
                                 icon=":material/download:")


def config_values(cfg) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
