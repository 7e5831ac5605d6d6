"""The robust-mean page driven by widget keys, as a student would use it (AppTest)."""
import pytest

from conftest import metric, open_page as open_app_page

PAGE = "app_pages/robust_mean.py"
SMALL = {"n": "2000", "batch": "100", "epochs": "50", "avg_epochs": "10"}


def open_page(params: dict | None = None):
    return open_app_page(PAGE, params)


def table(at):
    return at.dataframe[0].value.set_index("estimator")


def the_run(at):
    return at.session_state["rm.runs"]["run"]


def test_step_trains_the_gans_and_the_table_shows_measured_errors():
    at = open_page(SMALL)
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
    assert 0.0 < table(at).loc["JS-GAN", "measured error"] < 0.5 * start
    assert len(at.get("plotly_chart")) == 4                   # scatter, errors, history, the sweep's (empty)
    assert 0.95 < float(metric(at, "D ranks outliers above inliers")) <= 1.0


def test_heat_map_follows_the_chosen_discriminator():
    at = open_page(SMALL)
    assert at.session_state["rm.latest"].snaps["run"]["heat"]["name"] == "js_gan"
    at.radio(key="rm.heat").set_value("tv_gan").run()
    assert not at.exception
    assert at.session_state["rm.latest"].snaps["run"]["heat"]["name"] == "tv_gan"


def test_url_state_and_a_bad_link_value():
    at = open_page({"p": "3", "n": "500", "eps": "abc", "estimators": "mean,cw_median"})
    assert not at.exception
    assert any("eps" in w.value for w in at.warning)                   # the bad value is reported
    assert at.number_input(key="rm.p").value == 3
    assert at.multiselect(key="rm.names").value == ["mean", "cw_median"]
    assert list(table(at).index) == ["sample mean", "coordinatewise median"]
    assert at.query_params["estimators"] == "mean,cw_median" and at.query_params["p"] == "3"


@pytest.mark.parametrize("params, key", [({"seed": "-3"}, "seed"), ({"p": "0"}, "p"), ({"estimators": "zzz"}, "zzz"),
                                         ({"estimators": "mean,zzz"}, "zzz"), ({"contamination": "zzz"}, "contamination"),
                                         ({"lr_d": "-1"}, "lr_d"), ({"n": "1e9"}, "n")])
def test_a_bad_link_value_is_a_warning_and_the_default_is_used(params, key):
    at = open_page({**params, "n": params.get("n", "500"), "estimators": params.get("estimators", "mean,cw_median")})
    assert not at.exception
    assert any(key in w.value for w in at.warning), [w.value for w in at.warning]
    cfg = the_run(at).cfg
    assert (cfg.seed, cfg.p, cfg.contamination, cfg.lr_d) == (0, 2, "far", None)
    assert not at.error


def test_a_link_from_the_page_reopens_the_same_view():
    at = open_page({"n": "500"})
    for key, value in (("p", 3), ("epochs", 20), ("avg_epochs", 5), ("lr_g", 0.05), ("eps", 0.3)):
        at.number_input(key=f"rm.{key}").set_value(value).run()
    at.selectbox(key="rm.contamination").set_value("near").run()
    at.number_input(key="rm.near_mu").set_value(1.0).run()
    at.multiselect(key="rm.names").set_value(["mean", "tukey", "js_gan"]).run()
    assert not at.exception and not at.error
    cfg, link = the_run(at).cfg, dict(at.query_params)
    assert link["estimators"] == "mean,tukey,js_gan" and link["epochs"] == "20" and "lr_d" not in link
    again = open_page(link)
    assert not again.warning and the_run(again).cfg == cfg


def test_tukey_is_left_out_above_its_dimension_and_bad_input_keeps_the_last_run():
    at = open_page({"n": "500", "estimators": "mean,tukey"})
    at.number_input(key="rm.p").set_value(20).run()
    assert not at.exception
    assert any("Tukey" in i.value and "p = 20" in i.value for i in at.info)
    assert list(table(at).index) == ["sample mean"]
    run = the_run(at)
    at.text_input(key="rm.hidden").set_value("20,x").run()           # a bad recipe: error, old run stays
    assert not at.exception
    assert any("hidden" in e.value for e in at.error)
    assert list(table(at).index) == ["sample mean"] and the_run(at) is run and run.cfg.p == 20


def test_a_live_key_retunes_the_run_and_any_other_key_rebuilds_it():
    at = open_page(SMALL)
    at.number_input(key="rm.k").set_value(20).run()
    at.button(key="rm.step").click().run()
    run = the_run(at)
    assert run.step == 20
    at.number_input(key="rm.lr_d").set_value(0.1).run()
    assert not at.exception
    assert the_run(at) is run and run.step == 20 and run.cfg.lr_d == 0.1
    assert all(g.opt_d.param_groups[0]["lr"] == 0.1 for g in run.gans.values())
    assert at.query_params["lr_d"] == "0.1"
    at.number_input(key="rm.epochs").set_value(40).run()              # not live: a fresh run
    assert the_run(at) is not run and the_run(at).step == 0


def test_cluster_contamination_and_a_stoppable_sweep():
    at = open_page({"n": "500", "estimators": "mean,cw_median"})
    at.selectbox(key="rm.contamination").set_value("cluster").run()
    assert not at.exception
    at.number_input(key="rm.cluster_x").set_value(-4.0).run()
    assert at.query_params["cluster_x"] == "-4.0" and the_run(at).cfg.cluster_x == -4.0
    at.text_input(key="rm.sw.eps_values").set_value("0, 0.1, 0.3").run()
    at.number_input(key="rm.sw.reps").set_value(2).run()
    at.number_input(key="rm.sw.n").set_value(300).run()
    sweep = at.session_state["rm.sw.runs"]["sweep"]
    assert sweep.total == 12 and sweep.step == 0 and sweep.base.contamination == "cluster"
    at.number_input(key="rm.sw.k").set_value(5).run()
    at.button(key="rm.sw.play").click().run()
    assert not at.exception
    assert at.session_state["rm.sw.runs"]["sweep"] is sweep and 1 <= sweep.step <= 12
    at.button(key="rm.sw.play").click().run()                        # Pause
    done = sweep.step
    at.run()
    assert sweep.step == done and not at.session_state["rm.sw.playing"]
    at.button(key="rm.sw.step").click().run()
    assert sweep.step == min(done + 5, 12)


def test_a_bad_sweep_list_is_an_error():
    at = open_page({"n": "500", "estimators": "mean"})
    at.text_input(key="rm.sw.eps_values").set_value("0, x").run()
    assert not at.exception
    assert any("eps_values" in e.value for e in at.error)
    at.text_input(key="rm.sw.eps_values").set_value("0, 0.7").run()   # a value the experiment refuses
    assert not at.exception
    assert any("sweep over eps" in e.value for e in at.error)
