"""Part 4 of the energy-based-models page (the GAN as an EBM) through AppTest: it opens from a
link in both modes, steps, a live learning rate retunes in place, switching the mode starts a
new run, and a bad value is one warning."""
from __future__ import annotations

import pytest

from conftest import metric, open_page

PAGE = "app_pages/ebm.py"
NS = "ebm.gan"


def _run(at):
    return at.session_state[f"{NS}.run.runs"]["run"]


def test_minmax_opens_steps_and_retunes_live():
    at = open_page(PAGE, {"part": "ebm_gan", "steps": "40", "width": "8", "batch": "32", "layers": "1"})
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 2
    at.button(key=f"{NS}.run.step").click().run()
    run = _run(at)
    assert run.cfg.mode == "minmax" and run.step == 40 and metric(at, "Steps (of 40)") == "40"
    m = run.metrics()
    assert float(metric(at, "log Z(f)")) == pytest.approx(m["log_z"], rel=1e-3, abs=1e-3)
    assert float(metric(at, "Gap KL(q || p_f)")) == pytest.approx(m["gap"], rel=1e-3, abs=1e-3)
    at.number_input(key=f"{NS}.lr_g").set_value(0.01).run()        # live: the same run goes on
    assert _run(at) is run and run.cfg.lr_g == 0.01
    assert at.query_params["lr_g"] in ("0.01", ["0.01"])
    assert not at.exception and not at.error


def test_identity_from_a_link_reaches_log_z_and_switching_mode_restarts():
    at = open_page(PAGE, {"part": "ebm_gan", "mode": "identity", "target": "gauss", "steps": "40",
                          "lr_g": "0.05"})
    assert not at.error
    at.button(key=f"{NS}.run.step").click().run()
    run = _run(at)
    assert run.cfg.mode == "identity" and run.step == 40
    assert 0 <= run.metrics()["gap"] < 0.5                         # climbing towards log Z = 0
    assert float(metric(at, "log Z(f)")) == pytest.approx(0.0, abs=1e-12)
    at.selectbox(key=f"{NS}.mode").set_value("minmax").run()       # not live: a new run
    assert _run(at) is not run and _run(at).cfg.mode == "minmax" and _run(at).step == 0
    assert not at.exception and not at.error


@pytest.mark.parametrize("query,word", [({"part": "ebm_gan", "d_steps": "0"}, "d_steps"),
                                        ({"part": "ebm_gan", "mode": "zzz"}, "mode")])
def test_bad_link_values_warn_and_never_raise(query, word):
    at = open_page(PAGE, query)
    assert word in " ".join(w.value for w in at.warning) and not at.exception
