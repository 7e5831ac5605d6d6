"""The discriminators page driven by widget keys, as a student would use it."""
import math

import pytest

from conftest import metric, open_page as _open

PAGE = "app_pages/discriminator.py"


def open_page(params: dict | None = None):
    return _open(PAGE, params)


def critic_table(at) -> dict[str, dict[str, str]]:
    """The per-critic Markdown table as {discriminator: {column: cell}}."""
    text = next(m.value for m in at.markdown if m.value.startswith("| discriminator"))
    lines = [[c.strip() for c in line.strip("|").split(" | ")] for line in text.splitlines()]
    head, rows = lines[0], lines[2:]
    return {r[0]: dict(zip(head[1:], r[1:])) for r in rows}


def warnings(at) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning]     # Markdown escapes off: as rendered


def test_step_trains_and_numbers_match_the_exact_values():
    at = open_page()
    assert metric(at, "Steps") == "0"
    assert float(metric(at, "JS exact (nats)")) == pytest.approx(math.log(2), abs=1e-3)
    assert float(metric(at, "W1 exact")) == pytest.approx(4.0, abs=1e-3)
    at.number_input(key="disc.k").set_value(300).run()
    at.button(key="disc.step").click().run()
    assert not at.exception
    assert metric(at, "Steps") == "300"
    table = critic_table(at)
    assert list(table) == ["trained D (minimax)", "critic: weight clipping",
                           "critic: gradient penalty", "critic: spectral norm"]
    assert 0.9 < float(table["critic: spectral norm"]["Lipschitz constant (measured)"]) <= 1.01
    assert table["trained D (minimax)"]["estimate"].startswith("JS from D = ")
    assert float(table["trained D (minimax)"]["sup \\|D - D\\*\\|"]) < 0.05   # D has reached D* (0.50 at step 0)


def test_widget_bounds_are_the_configs():
    """The width box offered 1-512 while the config (and a link, and the command line) took
    1-1024; every number box now takes its bounds from the config's declarations."""
    from lab.config import spec
    from lab.experiments.discriminator import DiscriminatorConfig
    at = open_page()
    for key in ("width", "depth", "lr_d", "clip", "gp_lambda", "n_samples", "seed", "steps"):
        box, s = at.number_input(key=f"disc.{key}"), spec(DiscriminatorConfig, key)
        assert (box.min, box.max) == (s.lo, s.hi), key
    assert at.number_input(key="disc.width").max == 1024


def test_lr_retunes_the_runs_in_place_and_width_rebuilds_them():
    at = open_page({"critics": "none,sn"})
    at.button(key="disc.step").click().run()
    assert metric(at, "Steps") == "25"
    at.number_input(key="disc.lr_d").set_value(0.001).run()
    assert not at.exception and metric(at, "Steps") == "25"          # kept: lr is live
    run = at.session_state["disc.runs"]["none"]
    assert run.opt.param_groups[0]["lr"] == pytest.approx(0.001)
    at.number_input(key="disc.width").set_value(32).run()
    assert not at.exception and metric(at, "Steps") == "0"           # a new net
    assert at.query_params["width"] == "32" and at.query_params["lr_d"] == "0.001"


def test_steps_is_the_budget_step_stops_there():
    at = open_page({"steps": "5"})
    assert not at.exception and not at.warning
    assert at.number_input(key="disc.steps").value == 5
    at.button(key="disc.step").click().run()
    assert not at.exception and metric(at, "Steps") == "5"            # 25 asked, 5 allowed


def test_lsgan_draws_its_optimum_beside_the_trained_d():
    at = open_page({"critics": "none"})
    at.selectbox(key="disc.objective").set_value("lsgan").run()
    assert not at.exception
    at.number_input(key="disc.k").set_value(200).run()
    at.button(key="disc.step").click().run()
    table = critic_table(at)
    assert list(table) == ["trained D (lsgan)"] and table["trained D (lsgan)"]["estimate"] == ""
    assert float(table["trained D (lsgan)"]["sup \\|D - D\\*\\|"]) < 0.5      # 1.0 at step 0
    names = {t.get("name") for t in _figure_traces(at)}
    assert {"D*_LS (exact)", "trained D (lsgan)"} <= names
    assert at.query_params["objective"] == "lsgan"


def _figure_traces(at) -> list[dict]:
    import json
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-disc.fig"))
    return json.loads(chart.proto.spec)["data"]


def test_changing_the_preset_changes_the_exact_numbers_and_the_url():
    at = open_page()
    at.selectbox(key="disc.pair").set_value("Overlapping bumps").run()
    assert not at.exception
    assert float(metric(at, "W1 exact")) == pytest.approx(1.0, abs=1e-3)
    assert float(metric(at, "JS exact (nats)")) < 0.2
    assert at.query_params["real"] == "N(0.5,1)"


def test_switching_to_2d_runs_and_reports_no_w1():
    at = open_page()
    at.radio(key="disc.dim").set_value(2).run()
    assert not at.exception
    assert metric(at, "W1 exact") == "n/a in 2-D"
    assert at.selectbox(key="disc.pair").value == "2-D: blobs apart"
    at.button(key="disc.step").click().run()
    assert metric(at, "Steps") == "25"


def test_a_bad_spec_shows_one_error_and_keeps_the_last_runs():
    at = open_page()
    at.button(key="disc.step").click().run()
    at.text_input(key="disc.real").input("0.5*N(1,").run()
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")     # Markdown escapes off: the text as rendered
    assert len(at.error) == 1 and "real" in shown and "weight*N" in shown and "0.5\\*N(1," in at.error[0].value
    assert metric(at, "Steps") == "25"              # nothing lost


def test_a_link_reproduces_the_view_and_a_bad_value_falls_back_with_a_note():
    at = open_page({"dim": "1", "real": "N(3,0.5)", "fake": "N(-1,0.5)", "seed": "7", "lr_d": "banana",
                    "critics": "sn,gp"})
    assert float(metric(at, "W1 exact")) == pytest.approx(4.0, abs=1e-3)
    assert at.number_input(key="disc.seed").value == 7
    assert at.multiselect(key="disc.critics").value == ["sn", "gp"]
    assert at.selectbox(key="disc.pair").value == "Custom (type below)"
    assert any("lr_d='banana'" in w for w in warnings(at))
    assert at.number_input(key="disc.lr_d").value == pytest.approx(2e-3)


@pytest.mark.parametrize("params, words, critics", [
    ({"seed": "-3"}, ["seed=-3", "out of range"], ["none", "clip", "gp", "sn"]),
    ({"constraint": "zzz"}, ["constraint='zzz'", "none, clip, gp, sn"], ["none", "clip", "gp", "sn"]),
    ({"critics": "zzz,sn,qq"}, ["critics=zzz,qq", "none, clip, gp, sn"], ["sn"]),
    ({"critics": "zzz"}, ["critics=zzz"], ["none", "clip", "gp", "sn"]),
    ({"critic": "gp"}, ["'critic=gp' is an old name", "constraint=gp"], ["gp"]),
    ({"lr": "0.01", "critics": "none"}, ["'lr=0.01' is an old name"], ["none"]),
])
def test_a_bad_or_old_link_opens_with_a_warning_and_no_exception(params, words, critics):
    at = open_page(params)
    shown = " ".join(warnings(at))
    assert all(w in shown for w in words), shown
    assert not at.error and at.multiselect(key="disc.critics").value == critics
    assert at.number_input(key="disc.seed").value == 0
    at.button(key="disc.step").click().run()
    assert not at.exception and metric(at, "Steps") == "25"
    assert at.query_params["critics"] == ",".join(critics) and "critic" not in at.query_params


NO_TORCH = '''
import sys
class NoTorch:      # stands for "torch and scipy are still importing"
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "scipy"):
            raise ImportError(name + " is blocked in this test")
sys.meta_path.insert(0, NoTorch())
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("genlab.py", default_timeout=60).run()
print(repr((at.title[0].value, [e.message for e in at.exception])))
at.switch_page("app_pages/discriminator.py").run()
print(repr(([t.value for t in at.title], len(at.get("plotly_chart")), [e.message for e in at.exception],
            [e.stack_trace[-3] for e in at.exception])))
'''


def test_the_opening_is_drawn_before_torch_and_scipy_load():
    """The home page, and the page's title, intro and note 002's figure (in its expander) go to
    the browser before torch (~1.4 s) and scipy (~0.4 s) are imported, so the browser loads its
    plotting code meanwhile. In a fresh interpreter where importing them fails, that much must
    still be drawn, and the first failure must be the page's import."""
    import ast
    import subprocess
    import sys

    from conftest import ROOT
    out = subprocess.run([sys.executable, "-c", NO_TORCH], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    home_title, home_errors = ast.literal_eval(out[-2])
    assert home_title == "GenLab"
    assert home_errors == ["torch is blocked in this test"]      # the device badge, after the page
    titles, charts, errors, where = ast.literal_eval(out[-1])
    assert titles == ["Discriminators: perfect vs Lipschitz"] and charts == 1
    assert errors == ["torch is blocked in this test"]
    assert "app_pages/discriminator.py" in where[0] and "from lab.experiments.discriminator.run" in where[0]


def test_the_sidebar_names_the_device_on_every_run():
    from test_app_smoke import device_badges, expected_badge
    at = open_page()
    assert device_badges(at) == [expected_badge()]
    at.button(key="disc.step").click().run()
    assert device_badges(at) == [expected_badge()]


def test_loss_curves_and_export_are_drawn_only_when_opened():
    """A closed expander's chart still costs the browser a hidden plot on the first view."""
    at = open_page()
    charts = len(at.get("plotly_chart"))
    assert len(at.get("download_button")) == 0
    at.session_state["disc.more"] = True          # what opening it in the browser sets
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts + 1
    assert [d.proto.label for d in at.get("download_button")] == [
        "Figure: discriminators (HTML)", "Numbers (JSON)", "Curves (CSV)"]


def test_the_formulas_are_rendered_only_when_opened():
    """KaTeX cost a first-time browser ~0.2 s of start-up, so the formulas wait for a click."""
    at = open_page()
    star = r"D^*(x)=\frac{p(x)}{p(x)+p_G(x)}"
    assert not any(star in m.value for m in at.markdown)
    at.session_state["disc.formulas"] = True
    at.run()
    assert any(star in m.value for m in at.markdown)
