"""The Wasserstein vs JS page through streamlit's AppTest (fragment timers do not fire here;
each run executes the live body once)."""
from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page

PAGE = "app_pages/wasserstein.py"


def _open(query: dict | None = None) -> AppTest:
    return open_app_page(PAGE, query)


def _runs(at):
    return at.session_state["ws.runs"]


def test_page_loads_and_steps():
    at = _open({"objectives": "js_minimax,wgan_gp", "steps": "40"})
    assert not at.error
    assert len(at.get("plotly_chart")) == 5          # divergences, plane, trajectories, gap, samples
    assert list(_runs(at)) == ["js_minimax", "wgan_gp"]
    assert all(r.step == 0 for r in _runs(at).values())
    at.number_input(key="ws.k").set_value(7).run()
    at.button(key="ws.step").click().run()
    assert not at.exception
    runs = _runs(at)
    assert [r.step for r in runs.values()] == [7, 7]
    table = at.dataframe[0].value
    assert list(table["objective"]) == ["JS-GAN, minimax", "WGAN-GP"]
    assert table["theta"].tolist() == pytest.approx([r.theta for r in runs.values()], abs=1e-4)
    assert runs["wgan_gp"].theta < 2.0                # the critic's push moved it already
    at.checkbox(key="ws.earlier").check().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6          # + D and critics at earlier steps
    assert [k["step"] for k in runs["js_minimax"].kept] == [1, 5]


def test_step_stops_at_the_budget():
    at = _open({"objectives": "wgan_sn", "steps": "10"})
    at.number_input(key="ws.k").set_value(25).run()
    at.button(key="ws.step").click().run()
    assert _runs(at)["wgan_sn"].step == 10


def test_gaussians_show_the_family_and_sigma_reaches_the_run():
    at = _open({"objectives": "js_ns"})
    at.radio(key="ws.setup").set_value("gaussians").run()
    at.select_slider(key="ws.sigma").set_value(0.01).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6          # + the s-family figure
    run = _runs(at)["js_ns"]
    assert run.cfg.setup == "gaussians" and run.cfg.sigma == 0.01
    assert at.query_params["setup"] in ("gaussians", ["gaussians"])
    js = run.metrics()["js_exact"]
    assert js == pytest.approx(math.log(2), abs=1e-12)  # s = 0.01, theta0 = 2: disjoint in effect


def test_noise_and_reset():
    at = _open({"objectives": "js_minimax"})
    at.number_input(key="ws.noise").set_value(1.0).run()
    run = _runs(at)["js_minimax"]
    assert run.cfg.instance_noise == 1.0
    at.button(key="ws.step").click().run()
    assert _runs(at)["js_minimax"].step == 10
    at.button(key="ws.reset").click().run()
    assert _runs(at)["js_minimax"].step == 0


def test_bad_link_value_falls_back_with_a_note():
    at = _open({"theta0": "99", "objective": "nope", "objectives": "js_ns"})
    warnings = " ".join(w.value for w in at.warning)
    assert "theta0" in warnings and "objective" in warnings
    assert _runs(at)["js_ns"].cfg.theta0 == 2.0


def test_no_objective_says_what_to_do():
    at = _open({"objectives": "js_ns"})
    at.multiselect(key="ws.objectives").set_value([]).run()
    assert not at.exception
    assert any("objective" in i.value for i in at.info)
