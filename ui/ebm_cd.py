"""Part 3 of the energy-based-models page: an EBM p_f = exp(f) / Z trained by contrastive
divergence (lab.experiments.ebm). Its live read-out and its figures (its formulas and things
to try are ebm.md sections the page shows, ui.ebm.PARTS)."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ui.classroom import chart, lead_and_live
from ui.numbers import number


def cd_body(ns: str, text: dict) -> Callable[[dict], None]:
    from lab.experiments.ebm import figures as figs

    def body(snaps: dict[str, Any]) -> None:
        s = snaps["run"]
        m = s["metrics"]
        if m["diverged"]:
            st.warning("The energy f has overflowed (log Z is not finite): lower the learning rate or the "
                       "Langevin step size, then Reset.", icon=":material/warning:")
        numbers, figure = lead_and_live()       # on a projector: the density first, the numbers under it
        cols = numbers.columns(4)
        cols[0].metric(f"Steps (of {s['total']:,})", f"{s['step']:,}")
        cols[1].metric("KL(p || p_f)", number(m["kl"]))
        cols[2].metric("KL(p_f || p)", number(m["kl_reverse"]))
        cols[3].metric("Learned log Z", number(m["log_z"]))
        chart(figs.density(s), key=f"{ns}.density", where=figure)
        chart(figs.kl_curve(s), key=f"{ns}.kl")
        st.caption(text["CD read-out"])
    return body


def cd_figures() -> dict[str, Callable[[dict], Any]]:
    from lab.experiments.ebm import figures as figs
    return {"density": figs.density, "kl": figs.kl_curve}
