"""Projector mode (`?classroom=1`): the instructor's link turns it on for the
session. Larger, darker figure text, larger page text, the sidebar starts collapsed and its
advanced expanders are hidden (tensorflow/playground's hide-controls).

The mode lives in st.session_state once a link set it: st.navigation drops a page's query
string when another page opens, and every page rewrites its own (ui.url.sync_url), which keeps
`classroom=1` through `extra()`. Figures stay pure functions in lab; the mode is applied here,
to the finished figure, just before Streamlit draws it (`chart`).
"""
from __future__ import annotations

import streamlit as st

KEY = "classroom"
HIDE = "classroom.hide"        # the controls the instructor's link hides (`?hide=lr_d,lr_g`)
OFFERED = "classroom.offered"  # {key: label} of the controls this run drew: the chooser's options
TICK_PX = 14          # the floor for tick labels on a projector
TEXT_PX = 16          # titles of panels, legends, axis titles
INK = "#111111"       # dark: the default template's #2a3f5f grey-blue washed out on a projector


def start() -> bool:
    """Read the link once per session (genlab.py, before set_page_config); later runs keep the
    session's choice, also on pages whose URL no longer carries it."""
    if KEY not in st.session_state:
        st.session_state[KEY] = st.query_params.get(KEY) == "1"
        st.session_state[HIDE] = [k for k in st.query_params.get("hide", "").split(",") if k.strip()]
    st.session_state[OFFERED] = {}
    return bool(st.session_state[KEY])


def on() -> bool:
    return bool(st.session_state.get(KEY, False))


def extra() -> dict[str, str]:
    """What every page's URL keeps besides its config: a copied link stays in the mode and
    hides the same controls."""
    out = {KEY: "1"} if on() else {}
    if hidden():
        out["hide"] = ",".join(sorted(hidden()))
    return out


def hidden() -> set[str]:
    """Config keys whose controls are not drawn (TF Playground's hide-controls): the page keeps
    their values from the link, so a lecture shows only the knobs it is about."""
    return set(st.session_state.get(HIDE, ()))


def offer(key: str, label: str) -> None:
    """ui.widgets.config_widgets reports each control it draws (or hides), for the chooser."""
    st.session_state.setdefault(OFFERED, {})[key] = label


def hide_chooser() -> None:
    """In projector mode, under the page's controls: which of them to hide (genlab.py, after the
    page ran, so the options are this page's controls). A key hidden on another page stays
    hidden, and stays listed."""
    ss = st.session_state
    if not on():
        return
    offered = {**{k: k for k in hidden()}, **ss.get(OFFERED, {})}
    if not offered:
        return
    st.sidebar.divider()
    st.sidebar.multiselect("Hide these controls", list(offered), default=sorted(hidden() & set(offered)),
                           format_func=lambda k: offered.get(k, k), key="classroom.hide_choice",
                           on_change=_take_hidden,
                           help="Hidden controls keep their values; a copied link hides them too (hide=...).")


def _take_hidden() -> None:
    st.session_state[HIDE] = list(st.session_state.get("classroom.hide_choice", []))


def _follow_toggle() -> None:
    if st.session_state.get(KEY):
        st.query_params[KEY] = "1"
    elif KEY in st.query_params:
        del st.query_params[KEY]


def sidebar_toggle() -> None:
    """A way in and out without editing the address (genlab.py draws it on every page)."""
    st.sidebar.toggle("Projector mode", key=KEY, on_change=_follow_toggle,
                      help="Larger, darker text for a lecture hall; advanced controls hidden. "
                           "A link with ?classroom=1 opens the lab this way.")


# Streamlit's own text: rem-based, so a larger root size scales body text and widgets alike.
# The page title follows the window's width (2.7vw, 27.6 px at 1024 px, 2.1rem = 37.8 px from
# 1400 px on, never under 1.4rem): the longest title, the image page's, stays one line at 1024 px
# (it took two at 2.1rem, as did the robust-mean and disjoint ones). st.metric cuts a label or
# value that is wider than its column with an ellipsis ("1,975 (19…" in four columns at 1024 px):
# here values are 1.9rem (34 px, Streamlit's 2.25rem would be 40.5 px) and both wrap at a space
# instead, a word wider than the column anywhere, so nothing is cut. Advanced sidebar expanders
# are hidden (the basic controls stay); the formulas expander on the page stays (the lecture may
# want them).
_CSS = """<style>
html { font-size: 18px; }
[data-testid="stSidebar"] [data-testid="stExpander"] { display: none; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #222 !important; }
h1 { font-size: clamp(1.4rem, 2.7vw, 2.1rem) !important; padding-top: 0 !important; }
[data-testid="stMetricValue"] { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] *, [data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere; }
[data-testid="stMainBlockContainer"] { padding-top: 4rem !important; }
</style>"""


def style() -> None:
    if on():
        st.html(_CSS)


def projector(fig):
    """The figure with projector-sized, dark text (in place; returns it). Margins grow to fit
    the larger labels (automargin: one extra layout pass per redraw, paid only in this mode)."""
    tick = dict(size=TICK_PX, color=INK)
    fig.update_layout(font=dict(size=TEXT_PX, color=INK), legend=dict(font=dict(size=TICK_PX, color=INK)))
    axes = dict(tickfont=tick, title_font=dict(size=TEXT_PX, color=INK), automargin=True)
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    # A log axis labels 2 and 5 between decades at 3/4 size (10.5 px): decades only instead.
    for ax in [*fig.select_xaxes(), *fig.select_yaxes()]:
        if ax.type == "log" and ax.dtick is None:
            ax.dtick = 1
    for ann in fig.layout.annotations or ():      # subplot titles, panel notes
        ann.font = dict(size=max(TICK_PX, ann.font.size or 0), color=ann.font.color or INK)
    for trace in fig.data:
        if "colorbar" in trace:
            trace.colorbar.tickfont = tick
    return fig


def lead_and_live(where=None):
    """(lead, live): two containers, in `where` (or the page). A student's page shows the lead
    first (a live read-out's headline numbers, a closed-form section before the training), then
    the live figure; on a projector the live figure comes first and the lead under it, so the
    figure starts above the fold at 1024x768 (four metrics above it pushed the robust-mean,
    EBM and evaluation pages' figures to ~660 px of 768). Code order stays the page's."""
    first, second = (where or st).container(), (where or st).container()
    return (second, first) if on() else (first, second)


def chart(fig, key: str, where=None, **kwargs):
    """st.plotly_chart (or `where.plotly_chart`: a column, a tab) with projector text in
    projector mode: the one place pages draw a figure."""
    return (where or st).plotly_chart(projector(fig) if on() else fig, key=key, **kwargs)
