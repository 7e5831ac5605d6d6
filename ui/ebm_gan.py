"""Part 4 of the energy-based-models page: the GAN as an EBM (lab.experiments.ebm_gan). Its
formulas and things to try are ebm.md sections the page shows (ui.ebm.PARTS); the live read-out is the bound against log Z(f), the learned f against log p."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ui.classroom import chart, lead_and_live
from ui.numbers import number


def _fmt(v: float) -> str:
    return number(v, 4)          # bound and log Z agree to the 4th digit at the optimum


def body(ns: str, text: dict) -> Callable[[dict], None]:
    from lab.experiments.ebm_gan import figures as figs

    def draw(snaps: dict[str, Any]) -> None:
        s = snaps["run"]
        m = s["metrics"]
        numbers, figure = lead_and_live()       # on a projector: the model first, the numbers under it
        cols = numbers.columns(5)
        cols[0].metric(f"Steps (of {s['total']:,})", f"{s['step']:,}")
        cols[1].metric("Bound E_q f + H(q)", _fmt(m["bound"]))
        cols[2].metric("log Z(f)", _fmt(m["log_z"]))
        cols[3].metric("Gap KL(q || p_f)", _fmt(m["gap"]))
        if s["mode"] == "minmax":
            cols[4].metric("KL(p || p_f)", _fmt(m["kl_p"]))
        else:
            cols[4].metric("q's mean", ", ".join(f"{v:.3g}" for v in s["mu"]))
        chart(figs.model(s), key=f"{ns}.model", where=figure)
        chart(figs.bound_curve(s), key=f"{ns}.bound")
        st.caption(text["GAN read-out"])
    return draw


def figures() -> dict[str, Callable[[dict], Any]]:
    from lab.experiments.ebm_gan import figures as figs
    return {"model": figs.model, "bound": figs.bound_curve}
