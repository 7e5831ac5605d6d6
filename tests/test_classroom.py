"""Projector mode (`?classroom=1`, ui.classroom): the instructor's link keeps the mode through
the page's own URL rewriting and a change of page, every figure a page draws gets projector-sized
dark text, and the sidebar toggle leaves the mode (and drops it from the link)."""
from __future__ import annotations

import json

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from conftest import open_page
from ui import classroom


def _dark(colour: str) -> bool:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return max(r, g, b) <= 0x40


def test_the_link_survives_a_config_change_and_a_change_of_page():
    at = open_page("app_pages/gan1d.py", {"classroom": "1"})
    lr = at.sidebar.number_input(key="gan1d.lr_d")
    lr.set_value(lr.value * 2).run()
    assert not at.exception
    assert at.query_params["classroom"] == "1"
    assert "lr_d" in at.query_params                  # the page did rewrite its URL
    for k in list(at.query_params):                   # as st.navigation does on a change of page
        del at.query_params[k]
    at.switch_page("app_pages/disjoint.py").run()
    assert not at.exception
    assert at.session_state["classroom"] and at.query_params["classroom"] == "1"
    at.sidebar.toggle(key="classroom").set_value(False).run()
    assert "classroom" not in at.query_params
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"].get("xaxis", {}).get("tickfont", {}).get("size") != classroom.TICK_PX


def test_every_figure_on_a_page_has_large_dark_ticks_in_the_mode():
    at = open_page("app_pages/gan1d.py", {"classroom": "1"})
    charts = at.get("plotly_chart")
    assert len(charts) >= 2
    for c in charts:
        layout = json.loads(c.proto.spec)["layout"]
        axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
        assert axes
        for ax in axes:
            assert ax["tickfont"]["size"] >= 14 and _dark(ax["tickfont"]["color"])


def test_projector_reaches_subplots_colour_bars_and_panel_titles():
    fig = make_subplots(1, 2, subplot_titles=("a", "b"))
    fig.add_trace(go.Heatmap(z=[[0, 1], [1, 0]]), 1, 1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0]), 1, 2)
    fig.update_layout(font=dict(size=11, color="#888888"))
    classroom.projector(fig)
    for ax in (fig.layout.xaxis, fig.layout.xaxis2, fig.layout.yaxis2):
        assert ax.tickfont.size == 14 and _dark(ax.tickfont.color)
    assert fig.layout.font.size >= 14 and _dark(fig.layout.font.color)
    assert fig.data[0].colorbar.tickfont.size == 14
    assert all(a.font.size >= 14 for a in fig.layout.annotations)


def test_every_page_draws_its_figures_through_ui_chart():
    """A page calling plotly_chart itself would skip projector mode's figure text."""
    from conftest import ROOT
    files = [*(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    direct = [f.name for f in files if f.name != "classroom.py" and "plotly_chart(" in f.read_text(encoding="utf-8")]
    assert len(files) > 10 and direct == []


def test_a_link_hides_chosen_controls_and_the_run_keeps_their_values():
    """?hide=lr_d: no learning-rate box for D, the run trains with the link's lr_d, and the
    address keeps hide= when the page rewrites it."""
    at = open_page("app_pages/discriminator.py", {"classroom": "1", "hide": "lr_d,seed", "lr_d": "0.0005"})
    keys = {w.key for w in at.number_input}
    assert "disc.lr_d" not in keys and "disc.seed" not in keys and "disc.clip" in keys
    runs = at.session_state["disc.runs"]
    assert runs and all(r.cfg.lr_d == 0.0005 for r in runs.values())
    assert at.query_params["hide"] in (["lr_d,seed"], "lr_d,seed")
    at.number_input(key="disc.clip").set_value(0.1).run()                  # another change: still hidden
    assert "disc.lr_d" not in {w.key for w in at.number_input}
    assert all(r.cfg.lr_d == 0.0005 for r in at.session_state["disc.runs"].values())


def test_the_chooser_hides_and_shows_again():
    at = open_page("app_pages/gan1d.py", {"classroom": "1"})
    chooser = at.multiselect(key="classroom.hide_choice")
    assert "batch" in chooser.options or "Batch" in " ".join(chooser.options)
    assert "gan1d.batch" in {w.key for w in at.number_input}
    chooser.set_value(["batch"]).run()
    assert not at.exception
    assert "gan1d.batch" not in {w.key for w in at.number_input}
    at.multiselect(key="classroom.hide_choice").set_value([]).run()
    assert "gan1d.batch" in {w.key for w in at.number_input}


def test_no_chooser_outside_the_projector():
    at = open_page("app_pages/gan1d.py")
    assert not [m for m in at.multiselect if m.key == "classroom.hide_choice"]
