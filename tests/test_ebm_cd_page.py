"""Part 3 of the energy-based-models page (contrastive divergence) through AppTest: it opens from
its link, steps, a live key retunes in place, a non-live one restarts, bad values warn and
never raise."""
from __future__ import annotations

import pytest

from conftest import metric, open_page

PAGE = "app_pages/ebm.py"
SMALL = {"part": "cd", "steps": "20", "batch": "32", "width": "16", "langevin_steps": "5"}


def _run(at):
    return at.session_state["ebm.cd.run.runs"]["run"]


def test_cd_part_opens_from_its_link_steps_and_retunes_live():
    at = open_page(PAGE, SMALL)
    assert not at.error and not at.warning and not at.exception
    run = _run(at)
    assert run.cfg.width == 16 and run.cfg.langevin_steps == 5
    assert len(at.get("plotly_chart")) == 2
    at.button(key="ebm.cd.run.step").click().run()
    assert run.step == 10 and metric(at, "Steps (of 20)") == "10"
    assert float(metric(at, "KL(p || p_f)")) == pytest.approx(run.metrics()["kl"], rel=1e-2)
    at.number_input(key="ebm.cd.langevin_steps").set_value(3).run()      # live: the same run goes on
    at.button(key="ebm.cd.run.step").click().run()
    assert _run(at) is run and run.step == 20 and run.cfg.langevin_steps == 3
    at.checkbox(key="ebm.cd.persistent").set_value(True).run()          # not live: a new run
    assert _run(at) is not run and _run(at).cfg.persistent and _run(at).step == 0
    assert at.query_params["persistent"] in ("true", ["true"])
    assert not at.exception and not at.error


def test_a_2d_target_draws_and_a_bad_mixture_is_one_error():
    at = open_page(PAGE, SMALL | {"target": "ring"})
    at.button(key="ebm.cd.run.step").click().run()
    assert _run(at).target.dim == 2 and _run(at).step == 10 and not at.exception
    at.selectbox(key="ebm.cd.preset").set_value("Your own mixture").run()
    at.text_input(key="ebm.cd.own").input("0.5*N(0,1)+N(").run()
    assert not at.exception and len(at.error) == 1 and "target" in at.error[0].value
    assert _run(at).step == 10                                    # the last good run stays


@pytest.mark.parametrize("query,word", [({"langevin_steps": "0"}, "langevin_steps"), ({"reinit": "2"}, "reinit"),
                                        ({"alpha": "x"}, "alpha")])
def test_bad_link_values_warn_and_never_raise(query, word):
    at = open_page(PAGE, {"part": "cd"} | query)
    assert word in " ".join(w.value for w in at.warning) and not at.exception
