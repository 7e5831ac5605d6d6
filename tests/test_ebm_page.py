"""The energy-based-models page through AppTest (fragment timers do not fire; each run draws the
live body once): both parts open and step, a live key retunes in place, bad input warns, the
link keeps the part and the config."""
from __future__ import annotations

import pytest

from conftest import metric, open_page

PAGE = "app_pages/ebm.py"


def _run(at, ns: str):
    return at.session_state[f"{ns}.run.runs"]["run"]


def test_langevin_opens_steps_and_retunes_live():
    at = open_page(PAGE, {"particles": "300", "steps": "50"})
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 2
    at.button(key="ebm.lv.run.step").click().run()
    run = _run(at, "ebm.lv")
    assert run.step == 20 and metric(at, "Iterations (of 50)") == "20"
    assert float(metric(at, "KL(histogram || p)")) == pytest.approx(run.metrics()["kl"], rel=1e-2)
    at.checkbox(key="ebm.lv.mala").set_value(True).run()          # live: the same run goes on
    at.button(key="ebm.lv.run.step").click().run()
    assert _run(at, "ebm.lv") is run and run.step == 40 and 0 < run.metrics()["acceptance"] <= 1
    assert at.query_params["mala"] in ("true", ["true"])
    at.selectbox(key="ebm.lv.preset").set_value("bumps").run()   # not live: a new run
    assert _run(at, "ebm.lv") is not run and _run(at, "ebm.lv").target.dim == 1
    assert not at.exception and not at.error


def test_score_matching_from_a_link_and_a_bad_mixture_is_one_error():
    at = open_page(PAGE, {"part": "score_matching", "method": "sliced", "steps": "30", "width": "8"})
    assert not at.error
    assert _run(at, "ebm.sm").cfg.method == "sliced"
    at.button(key="ebm.sm.run.step").click().run()
    assert _run(at, "ebm.sm").step == 30
    assert float(metric(at, "Fisher divergence")) < float(metric(at, "At initialisation"))
    at.selectbox(key="ebm.sm.preset").set_value("Your own mixture").run()
    at.text_input(key="ebm.sm.own").input("0.5*N(0,1)+N(").run()
    assert not at.exception and len(at.error) == 1 and "target" in at.error[0].value
    assert _run(at, "ebm.sm").step == 30                          # the last good run stays


@pytest.mark.parametrize("query,word", [({"part": "zzz"}, "zzz"), ({"step": "-1"}, "step"),
                                        ({"target": "N((0"}, "target")])
def test_bad_link_values_warn_and_never_raise(query, word):
    at = open_page(PAGE, query)
    assert word in " ".join(w.value for w in at.warning) and not at.exception
