"""Play / Pause, Step and Reset, and a steps-per-tick box, in one row (GAN Lab's controls)."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Transport:
    playing: bool
    step: bool
    reset: bool
    steps_per_tick: int


def _set(key: str, value: bool) -> None:
    """Play sets True, Pause sets False: never a toggle. Streamlit can dispatch one click's
    callback twice when it lands while a fragment tick runs (once in the fragment's rerun,
    once in the full rerun after it); a toggle then undid the Pause (seen: Pause ignored for
    more than 20 s under load)."""
    st.session_state[key] = value


def playing(ns: str) -> bool:
    """Whether Play is on now (a fragment tick reads this, not the value from its script run)."""
    return bool(st.session_state.get(f"{ns}.playing", False))


def pause(ns: str) -> None:
    st.session_state[f"{ns}.playing"] = False


def transport(ns: str, default_k: int = 50, max_k: int = 1000, step_label: str = "Step") -> Transport:
    """The buttons and the box. Every page that trains shows them before it trains, so this is
    where a page run sets torch's thread count (per thread, and each run may be on a fresh one;
    the live driver does the same for its ticks)."""
    from lab.device import small_net_threads
    small_net_threads()
    playing_key = f"{ns}.playing"
    st.session_state.setdefault(playing_key, False)
    on = st.session_state[playing_key]
    c1, c2, c3, c4 = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
    c1.button("Pause" if on else "Play", key=f"{ns}.play", type="primary",
              icon=":material/pause:" if on else ":material/play_arrow:",
              on_click=_set, args=(playing_key, not on), width="stretch")
    step = c2.button(step_label, key=f"{ns}.step", icon=":material/skip_next:", width="stretch")
    reset = c3.button("Reset", key=f"{ns}.reset", icon=":material/restart_alt:", width="stretch")
    k = c4.number_input("Steps per tick", 1, max_k, default_k, step=10, key=f"{ns}.k",
                        help="Training steps between two redraws while playing, and per press of Step.")
    return Transport(st.session_state[playing_key], step, reset, int(k))
