"""Lesson steps: a page's walk-through as numbered presets an instructor clicks in order
(tensorflow/playground's guided tour, its presets named as steps of a lecture).

A page's Markdown may end with a `## Lesson` section of lines

    1. [Bumps apart: D* is flat on the fakes](?real=fig1_real&fake=fig1_fake) What to say.

Each step is a link's query string, the same one the page writes into the address bar, so a
step is exactly what opening that link shows. Choosing a step clears the page's own session
state (every key under its namespace: widgets, runs, transport) and sets the address to the
step's; the page then reads it as a freshly opened link does (ui.url.config_from_url). The new
run starts paused at step 0: the instructor presses Play when the class is ready.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

import streamlit as st

from ui import classroom

STEP = re.compile(r"^\s*(\d+)\.\s*\[(?P<label>.+?)\]\(\?(?P<query>[^)]*)\)\s*(?P<say>.*)$")


@dataclass(frozen=True)
class Step:
    number: int
    label: str
    params: dict[str, str]
    say: str


def steps(text: dict[str, str]) -> list[Step]:
    """The page's lesson steps, in order (none when its Markdown has no `## Lesson`)."""
    out = []
    for line in text.get("Lesson", "").splitlines():
        m = STEP.match(line)
        if m:
            out.append(Step(int(m.group(1)), m["label"], dict(parse_qsl(m["query"], keep_blank_values=True)),
                            m["say"].strip()))
    return out


def _go(ns: str, key: str, by_number: dict[int, Step]) -> None:
    """on_change of the steps: forget the page's state, take the step's link."""
    ss = st.session_state
    chosen = ss.get(key)
    if chosen is None:
        return
    for k in [k for k in list(ss) if k.startswith(f"{ns}.") and k != key]:
        del ss[k]
    st.query_params.from_dict({**by_number[chosen].params, **classroom.extra()})


def lesson(ns: str, text: dict[str, str], where=None) -> None:
    """A "Lesson" button (in `where`, e.g. a column beside the intro) that opens the steps; a
    popover, so the steps take no row of their own and the live figure stays above the fold
    on a projector. The chosen step's note shows in it too."""
    todo = steps(text)
    if not todo:
        return
    by_number = {s.number: s for s in todo}
    key = f"{ns}.lesson"
    chosen = st.session_state.get(key)
    label = f"Lesson {chosen}" if chosen in by_number else "Lesson"     # whole in a fifth of 1024 px
    with (where or st).popover(label, icon=":material/school:", width="stretch"):
        st.pills("Lesson steps", list(by_number), key=key, format_func=lambda n: f"{n}. {by_number[n].label}",
                 on_change=_go, args=(ns, key, by_number), label_visibility="collapsed")
        if chosen in by_number and by_number[chosen].say:
            st.caption(by_number[chosen].say)
        st.caption("Each step sets the page as the lecture needs it and starts a fresh run: press Play.")
