"""Part 5 of the energy-based-models page, from Langevin to diffusion: the three samplers' KL and
mode-weight error side by side, their samples over p, the curves and the noised densities (its
formulas and things to try are ebm.md sections the page shows, ui.ebm.PARTS)."""
from __future__ import annotations

import math
from typing import Any, Callable

import streamlit as st

from ui.classroom import chart, lead_and_live, on as projector_on
from ui.numbers import number

NO_CLOSED_FORM = "The banana blurred by N(0, sigma^2) has no closed form: its noised densities are not drawn."
SHORT = {"kl": "annealed", "kl_ddpm": "DDPM", "kl_langevin": "single-level"}      # the read-out's metric labels, whole at 1024 px


def _figures_of_readout(ns: str, s: dict) -> dict:
    """The three figures change only when the samplers draw (a read-out), not at every tick: build
    them once per read-out (a few hundred ms) and redraw the same ones in between (projector mode restyles them in place:
    a new set when it is switched)."""
    from lab.experiments.diffusion import figures as figs
    cache = st.session_state.setdefault(f"{ns}.readout_figures", {})
    key = (s["target"], s["metrics"]["sampled_at"], s["samples"]["ncsn"][:4].tobytes(), projector_on())
    if cache.get("key") != key:
        cache.clear()
        cache.update(key=key, samples=figs.samples(s), kl=figs.kl_curve(s),
                     noised=None if s["noised"] is None else figs.noised(s))
    return cache


def diffusion_body(ns: str, text: dict) -> Callable[[dict], None]:

    def body(snaps: dict[str, Any]) -> None:
        s = snaps["run"]
        m = s["metrics"]
        numbers, figure = lead_and_live()       # on a projector: the samples first, the numbers under them
        cols = numbers.columns(4)
        cols[0].metric(f"Steps (of {s['total']:,})", f"{s['step']:,}")
        for col, (key, name) in zip(cols[1:], SHORT.items()):
            err = m["mode_error" + key[2:]]
            col.metric(f"KL {name}", number(m[key]),
                       help=None if math.isnan(err) else f"mode-weight error {err:.3f}")
        shown = _figures_of_readout(ns, s)
        chart(shown["samples"], key=f"{ns}.chart_samples", where=figure)
        figure.caption(text["Diffusion read-out"])
        chart(shown["kl"], key=f"{ns}.chart_kl")
        if s["noised"] is not None:
            chart(shown["noised"], key=f"{ns}.chart_noised")
        else:
            st.caption(NO_CLOSED_FORM)
    return body


def diffusion_figures() -> dict[str, Callable[[dict], Any]]:
    from lab.experiments.diffusion import figures as figs
    return {"samples": figs.samples, "kl": figs.kl_curve, "noised": figs.noised}
