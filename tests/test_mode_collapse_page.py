"""The mode-collapse page through streamlit's AppTest: widgets drive the runs, live keys retune
without a reset, A/B trains two configurations, bad input gives st.error, never a traceback."""
from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page

PAGE = "app_pages/mode_collapse.py"


def _open(query: dict | None = None) -> AppTest:
    return open_app_page(PAGE, query)


def _runs(at):
    return at.session_state["mc.runs"]


@pytest.fixture(scope="module")
def at():
    return _open({"width": "32", "latent": "4", "batch": "64"})


def test_page_renders_with_figures_and_anchors(at):
    assert any("Mode collapse" in t.value for t in at.title)
    assert len(at.get("plotly_chart")) == 4          # scatter, coverage, curves, strip
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 1 + 5   # this run + ring anchors
    assert list(_runs(at)) == ["A"] and _runs(at)["A"].cfg.width == 32   # the URL set the width


def test_step_buttons_advance_the_run(at):
    at.number_input(key="mc.k").set_value(5).run()
    run = _runs(at)["A"]
    at.button(key="mc.step").click().run()
    assert not at.exception and _runs(at)["A"] is run and run.step == 5
    d_before = [p.detach().clone() for p in run.D.parameters()]
    g_before = [p.detach().clone() for p in run.G.parameters()]
    at.button(key="mc.step_d").click().run()
    assert run.step == 6
    assert all((a == b).all() for a, b in zip(g_before, run.G.parameters()))
    assert not all((a == b).all() for a, b in zip(d_before, run.D.parameters()))


def test_live_key_retunes_and_restart_key_resets(at):
    run = _runs(at)["A"]
    step = run.step
    at.number_input(key="mc.lr_d").set_value(0.0002).run()
    assert _runs(at)["A"] is run and run.step == step
    assert run.opt_d.param_groups[0]["lr"] == pytest.approx(0.0002)
    at.number_input(key="mc.unroll").set_value(2).run()
    assert _runs(at)["A"] is run and run.cfg.unroll == 2
    at.number_input(key="mc.width").set_value(24).run()
    assert _runs(at)["A"] is not run and _runs(at)["A"].step == 0 and _runs(at)["A"].cfg.width == 24
    assert at.query_params["width"] == ["24"] or at.query_params["width"] == "24"


def test_ab_trains_two_configurations_on_the_same_seed(at):
    at.toggle(key="mc.ab").set_value(True).run()
    assert not at.exception
    runs = _runs(at)
    assert set(runs) == {"A", "B"} and (runs["B"].cfg.pac, runs["A"].cfg.pac) == (2, 1)
    assert runs["A"].cfg.seed == runs["B"].cfg.seed and runs["A"].cfg.data == runs["B"].cfg.data
    at.selectbox(key="mc.b.recipe").set_value("lsgan").run()
    assert at.number_input(key="mc.b.lr_d").value == pytest.approx(2e-4)      # the recipe's rate, shown
    at.number_input(key="mc.b.lr_d").set_value(0.0005).run()
    at.button(key="mc.step").click().run()
    runs = _runs(at)
    assert runs["B"].cfg.recipe == "lsgan" and runs["A"].step == runs["B"].step > 0
    assert runs["B"].cfg.lr_d == pytest.approx(5e-4) and runs["A"].cfg.lr_d == pytest.approx(2e-4)   # set above
    assert runs["B"].opt_g.param_groups[0]["lr"] == pytest.approx(2e-4)        # lr_g still the recipe's
    assert at.query_params["b_recipe"] in ("lsgan", ["lsgan"]) and at.query_params["ab"] in ("1", ["1"])
    assert any("(yours)" in c.value for c in at.sidebar.caption)
    assert len(at.get("plotly_chart")) == 8


def test_bad_value_shows_an_error_and_keeps_the_runs(at):
    before = _runs(at)["A"]
    at.number_input(key="mc.pac").set_value(3).run()       # batch 64 is not a multiple of 3
    assert not at.exception
    assert any("multiple of pac" in e.value for e in at.error)
    assert _runs(at)["A"] is before


def test_bad_url_value_falls_back_with_a_note():
    at = _open({"loss": "nope", "width": "16", "latent": "2", "batch": "32"})
    assert any("loss" in w.value for w in at.warning)
    assert _runs(at)["A"].cfg.recipe == "metz"


def test_csv_data_asks_for_an_upload():
    at = _open({"width": "16", "latent": "2", "batch": "32"})
    at.selectbox(key="mc.data").set_value("csv").run()
    assert not at.exception
    assert any("Upload a CSV" in i.value for i in at.info)
    at.selectbox(key="mc.data").set_value("grid25").run()
    assert not at.exception and _runs(at)["A"].data.n_modes == 25


@pytest.mark.parametrize("name, blob", [
    ("random.csv", bytes(range(256)) * 8 + b"\r\x00\n"),           # was `_csv.Error: new-line character ...`
    ("sheet.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),   # an old .xls renamed
    ("utf16.csv", "x,y\n1,2\nthree,4\n".encode("utf-16")),
])
def test_a_binary_or_bad_csv_is_one_error_line_and_the_last_good_run_stays(name, blob):
    at = _open({"width": "16", "latent": "2", "batch": "32", "data": "csv"})
    good = "x,y\n" + "\n".join(f"{i % 3},{(i * 5) % 7}" for i in range(40))
    at.file_uploader(key="mc.csv").set_value(("good.csv", good.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    run = _runs(at)["A"]
    at.button(key="mc.step").click().run()
    step = run.step
    at.file_uploader(key="mc.csv").set_value((name, blob, "text/csv")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Your CSV: ") and "x,y" in errors[0], errors
    assert "\n" not in errors[0]
    assert _runs(at)["A"] is run and run.step == step          # the last good run stays, untouched
    assert len(at.get("plotly_chart")) == 4                    # and is still drawn
