"""The Dirac-GAN page through Streamlit's AppTest (fragment timers do not fire here; each run
draws the live body once): it opens and steps, live keys retune, bad links warn, a diverging
variant stops with a note, export; and one real browser that plays, pauses and downloads."""
from __future__ import annotations

import json
import math
import re

import pytest

from conftest import download, error_texts, metric, open_page, wait_for_app

PAGE = "app_pages/dirac_gan.py"


def _runs(at) -> dict:
    return at.session_state["dirac.runs"]


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_page_opens_and_steps():
    at = open_page(PAGE, {"steps": "40"})
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 3              # plane, radius, eigenvalues
    assert list(_runs(at)) == ["simultaneous", "alternating", "r1", "noise", "consensus", "wgan_gp"]
    at.number_input(key="dirac.k").set_value(7).run()
    at.button(key="dirac.step").click().run()
    assert not at.exception
    assert {r.step for r in _runs(at).values()} == {7}
    assert metric(at, "Steps (of 40)") == "7"
    table = at.dataframe[0].value
    assert list(table["variant"])[:3] == ["Simultaneous GD", "Alternating GD", "R1 penalty"]
    assert list(table["prediction"])[:3] == ["spirals out", "circles (|λ| = 1)", "converges"]
    assert float(table["|λ| max"][0]) == pytest.approx(math.sqrt(1.01), abs=1e-5)
    assert table["radius now"].tolist() == pytest.approx([r.radius for r in _runs(at).values()])
    assert at.query_params["variants"] in ("simultaneous,alternating,r1,noise,consensus,wgan_gp",
                                           ["simultaneous,alternating,r1,noise,consensus,wgan_gp"])
    assert at.query_params["steps"] in ("40", ["40"])


def test_a_live_key_retunes_in_place_and_the_start_restarts():
    at = open_page(PAGE, {"variants": "r1,simultaneous"})
    at.button(key="dirac.step").click().run()
    run = _runs(at)["r1"]
    before = run.metrics()["max_abs_eigenvalue"]
    at.number_input(key="dirac.gamma").set_value(1.0).run()
    assert _runs(at)["r1"] is run and run.step == 20
    assert run.metrics()["max_abs_eigenvalue"] == pytest.approx(0.9, abs=1e-12) != before   # |1 + h(-1/2)|
    at.number_input(key="dirac.theta0").set_value(2.0).run()         # not live: new runs
    assert _runs(at)["r1"] is not run and _runs(at)["r1"].step == 0
    at.button(key="dirac.step").click().run()
    at.button(key="dirac.reset").click().run()
    assert _runs(at)["r1"].step == 0


@pytest.mark.parametrize("query,word", [({"variants": "r1,zzz"}, "zzz"), ({"gamma": "-3"}, "gamma"),
                                        ({"lr": "fast"}, "lr"), ({"seeds": "0"}, "seeds")])
def test_bad_link_values_warn_and_never_raise(query, word):
    at = open_page(PAGE, query)
    assert word in _warnings(at) and not at.error and _runs(at)
    if "variants" in query:
        assert list(_runs(at)) == ["r1"]


def test_a_diverging_variant_stops_with_a_note_and_the_others_go_on():
    at = open_page(PAGE, {"variants": "wgan,alternating", "steps": "1000"})
    at.number_input(key="dirac.k").set_value(1000).run()
    at.button(key="dirac.step").click().run()
    assert not at.exception and not at.error
    wgan, alt = _runs(at)["wgan"], _runs(at)["alternating"]
    assert 320 < wgan.step == wgan.total < 350 and alt.step == 1000
    assert any("WGAN, no penalty" in c.value and "stopped, it diverges" in c.value for c in at.caption)
    assert "(stopped)" in at.dataframe[0].value["prediction"][0]


def test_a_variant_whose_step_size_is_out_of_bounds_says_so_alone():
    at = open_page(PAGE, {"variants": "small_lr,r1", "lr": "0.0005"})
    assert any("lr / 10" in e.value and "lr=" in e.value for e in at.error)
    assert list(_runs(at)) == ["r1"]


def test_arrows_follow_the_chosen_variant_and_no_variant_says_what_to_do():
    at = open_page(PAGE, {"variants": "simultaneous,r1"})
    at.selectbox(key="dirac.field").set_value("r1").run()
    assert "R1 penalty" in at.get("plotly_chart")[0].proto.spec
    at.multiselect(key="dirac.variants").set_value(["alternating"]).run()
    assert not at.exception and at.selectbox(key="dirac.field").value == "alternating"
    at.multiselect(key="dirac.variants").set_value([]).run()
    assert not at.exception and any("variant" in i.value for i in at.info)


def test_export_offers_the_figures_numbers_and_trajectories():
    from lab.cli import to_json
    from ui.export import csv_text, rows_of
    at = open_page(PAGE, {"variants": "r1,noise", "steps": "30"})
    at.button(key="dirac.step").click().run()
    assert [d.proto.label for d in at.get("download_button")] == [
        "Figure: plane (HTML)", "Figure: eigenvalues (HTML)", "Figure: radius (HTML)", "Numbers (JSON)",
        "Trajectories (CSV)"]
    snaps = at.session_state["dirac.latest"].snaps           # what the buttons read when pressed
    numbers = json.loads(json.dumps(to_json({n: s["metrics"] for n, s in snaps.items()})))
    assert numbers["r1"]["steps"] == 20 and numbers["r1"]["radius_start"] == pytest.approx(math.sqrt(2))
    rows = csv_text(rows_of({n: s["trajectory"] for n, s in snaps.items()}, label="variant")).splitlines()
    assert rows[0] == "variant,step,theta,psi,radius" and len(rows) == 1 + 2 * 21


def test_browser_plays_pauses_and_downloads_the_numbers(streamlit_url, page, tmp_path):
    page.goto(f"{streamlit_url}/dirac_gan?variants=simultaneous,r1&steps=100000", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_role("heading", name=re.compile("Dirac-GAN")).wait_for(timeout=90_000)
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=90_000)    # the runs are built (in a worker)
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    page.wait_for_timeout(3000)
    page.get_by_role("button", name=re.compile(r"Pause$")).first.click()
    page.get_by_role("button", name=re.compile(r"Play$")).first.wait_for(timeout=10_000)
    wait_for_app(page)
    page.get_by_text("Export: figures, numbers, trajectories").click()
    numbers = json.loads(download(page, r"Numbers \(JSON\)", tmp_path).read_text())
    assert sorted(numbers) == ["r1", "simultaneous"] and numbers["r1"]["steps"] > 0
    assert numbers["r1"]["radius_final"] < numbers["r1"]["radius_start"] < numbers["simultaneous"]["radius_final"]
    assert error_texts(page) == []
