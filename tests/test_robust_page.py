"""The robust-mean page driven by widget keys, as a student would use it."""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page, metric


PAGE = "app_pages/robust_mean.py"


def open_page(params: dict | None = None) -> AppTest:
    return open_app_page(PAGE, params)



def table(at):
    return at.dataframe[0].value.set_index("estimator")


def test_step_trains_the_gans_and_the_table_shows_measured_errors():
    at = open_page({"n": "2000", "batch": "100", "epochs": "50", "avg_epochs": "10"})
    assert metric(at, "Generator steps") == "0 / 200"
    t = table(at)
    assert len(t) == 8 and t.loc["sample mean", "breakdown point"] == "0"
    assert 1.2 < t.loc["sample mean", "measured error"] < 1.7          # eps * 5 * sqrt(2) = 1.41
    assert 0.25 < t.loc["coordinatewise median", "measured error"] < 0.7
    start = t.loc["JS-GAN", "measured error"]
    assert start == pytest.approx(t.loc["coordinatewise median", "measured error"], rel=1e-4)  # eta starts there
    at.number_input(key="rm.k").set_value(200).run()
    at.button(key="rm.step").click().run()
    assert not at.exception
    assert metric(at, "Generator steps") == "200 / 200"
    assert table(at).loc["JS-GAN", "measured error"] < 0.5 * start
    assert len(at.get("plotly_chart")) >= 3


def test_url_state_and_a_bad_link_value():
    at = open_page({"p": "3", "n": "500", "eps": "abc", "estimators": "mean,cw_median"})
    assert not at.exception
    assert any("eps" in w.value for w in at.warning)                   # the bad value is reported
    assert at.number_input(key="rm.p").value == 3
    assert at.multiselect(key="rm.names").value == ["mean", "cw_median"]
    assert list(table(at).index) == ["sample mean", "coordinatewise median"]


def test_tukey_is_left_out_above_its_dimension_and_bad_input_keeps_the_last_run():
    at = open_page({"n": "500", "estimators": "mean,tukey"})
    at.number_input(key="rm.p").set_value(20).run()
    assert not at.exception
    assert any("Tukey" in i.value and "p = 20" in i.value for i in at.info)
    assert list(table(at).index) == ["sample mean"]
    at.text_input(key="rm.hidden").set_value("20,x").run()           # a bad recipe: error, old run stays
    assert not at.exception
    assert any("hidden" in e.value for e in at.error)
    assert list(table(at).index) == ["sample mean"] and at.session_state["rm.cfg"].p == 20


def test_cluster_contamination_and_a_cancellable_sweep():
    at = open_page({"n": "500", "estimators": "mean,cw_median"})
    at.selectbox(key="rm.kind").set_value("cluster").run()
    assert not at.exception
    at.number_input(key="rm.cx").set_value(-4.0).run()
    assert at.query_params["cluster_x"] == "-4.0"
    at.text_input(key="rm.values.eps").set_value("0, 0.1, 0.3").run()
    at.number_input(key="rm.reps").set_value(2).run()
    at.number_input(key="rm.sweep_n").set_value(300).run()
    at.button(key="rm.sweep_go").click().run()
    assert not at.exception
    sweep = at.session_state["rm.sweep"]
    assert sweep.total == 6 and 1 <= sweep.done < 6 and at.session_state["rm.sweeping"]
    at.button(key="rm.sweep_stop").click().run()
    done = sweep.done
    at.run()
    assert not at.session_state["rm.sweeping"] and sweep.done == done < 6


def test_a_bad_sweep_list_is_an_error():
    at = open_page({"n": "500", "estimators": "mean"})
    at.text_input(key="rm.values.eps").set_value("0, x").run()
    at.button(key="rm.sweep_go").click().run()
    assert not at.exception
    assert any("Cannot sweep" in e.value for e in at.error)
