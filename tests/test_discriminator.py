"""The discriminator experiment's behaviour, with fixed seeds on CPU, and its command line."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cli import main
from lab.config import ConfigError
from lab.experiments.discriminator import DiscriminatorConfig, DiscriminatorRun

ROOT = Path(__file__).resolve().parents[1]


def trained(**kw) -> DiscriminatorRun:
    run = DiscriminatorRun(DiscriminatorConfig(**kw))
    run.advance(run.total)
    return run


def test_unconstrained_d_converges_to_d_star_on_overlapping_bumps():
    m = trained(real="overlap_real", fake="overlap_fake", steps=800).metrics()
    # Measured 0.03-0.05 over seeds 0-2; D* here is a gentle sigmoid, so the MLP can fit it.
    assert 0.0 < m["sup_gap"] < 0.1
    # V(D,G)/2 + log 2 is a lower bound on JS that meets it at D*: within Monte-Carlo error.
    assert m["js_from_d"] == pytest.approx(m["js_exact"], abs=0.01)


def test_minimax_signal_vanishes_on_apart_bumps_while_critics_keep_one():
    d = trained(steps=600).metrics()          # the notes' Figure 1: bumps at -2 and 2, std 0.5
    assert d["js_from_d"] == pytest.approx(math.log(2), abs=0.005)
    assert d["signal_minimax"] < 1e-4          # flat on the fakes: no signal for G
    assert d["signal_minimax_dstar"] < 1e-6
    sn = trained(critic="sn", steps=600).metrics()
    assert 0.9 < sn["signal_w"] < 1.01         # a 1-Lipschitz slope: |f'| = 1 at the fakes


def test_sn_critic_is_one_lipschitz_and_estimates_w1():
    m = trained(critic="sn", steps=800).metrics()
    assert m["lipschitz"] <= 1.0 + 0.01
    assert m["w1_from_critic"] == pytest.approx(m["w1_exact"], rel=0.03)   # exact W1 = 4


def test_gp_critic_estimates_w1_within_tolerance():
    m = trained(critic="gp", steps=1000, real="bimodal_real", fake="wide_fake").metrics()
    # Measured 1.28-1.30 over seeds 0-3 for an exact 1.315.
    assert m["w1_from_critic"] == pytest.approx(m["w1_exact"], rel=0.05)
    assert 0.9 < m["lipschitz"] < 1.3          # the penalty is soft: near 1, not below


def test_clipped_critic_lipschitz_scales_with_c():
    small = trained(critic="clip", clip=0.01, steps=300).metrics()["lipschitz"]
    large = trained(critic="clip", clip=0.1, steps=300).metrics()["lipschitz"]
    assert large > 5 * small


def test_2d_runs_report_js_by_grid_and_no_w1():
    m = trained(dim=2, steps=300).metrics()
    assert "w1_exact" not in m
    assert m["js_exact"] == pytest.approx(math.log(2), abs=0.01)


def test_same_seed_same_numbers():
    a = trained(critic="gp", steps=200, seed=4).metrics()
    b = trained(critic="gp", steps=200, seed=4).metrics()
    assert a == b
    c = trained(critic="gp", steps=200, seed=5).metrics()
    assert c["w1_raw"] != a["w1_raw"]


def test_snapshot_shapes():
    s = DiscriminatorRun(DiscriminatorConfig(dim=2, steps=0)).snapshot()
    n = len(s["axes"][0])
    assert s["value"].shape == s["dstar"].shape == (n * n,)
    assert s["pushes"]["minimax"].shape == s["arrows_at"].shape


@pytest.mark.parametrize("kw, key", [(dict(dim=3), "dim"), (dict(critic="lasso"), "critic"),
                                     (dict(real="N(0,"), "real"), (dict(lr=-1.0), "lr"),
                                     (dict(dim=2, real="N(0,1)"), "real")])
def test_bad_config_names_the_key(kw, key):
    with pytest.raises(ConfigError, match=key):
        DiscriminatorConfig(**kw)


def _cli(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_writes_metrics_with_the_issue_keys(tmp_path):
    out = tmp_path / "none"
    r = _cli("run", "discriminator", "steps=150", "--out", str(out), "--quiet", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["experiment"] == "discriminator" and doc["config"]["steps"] == 150
    for key in ("js_exact", "js_from_d", "w1_exact", "lipschitz", "sup_gap", "signal_minimax", "signal_ns"):
        assert isinstance(doc["metrics"][key], float), key
    assert len(doc["history"]["step"]) == 15
    assert (out / "discriminator.html").exists()
    out2 = tmp_path / "sn"
    r = _cli("run", "discriminator", "critic=sn", "steps=50", "real=N(1,0.5)", "fake=N(-1,0.5)",
             "--out", str(out2), "--quiet", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((out2 / "metrics.json").read_text())["metrics"]
    assert {"w1_from_critic", "signal_w", "lipschitz"} <= set(m)
    assert m["w1_exact"] == pytest.approx(2.0, abs=1e-6)


@pytest.mark.parametrize("args, word", [(["lr=fast"], "lr"), (["critic=lasso"], "critic"),
                                        (["colour=red"], "colour"), (["real=N(0,1"], "real")])
def test_cli_bad_value_is_one_line_and_nonzero(tmp_path, capsys, args, word):
    # In-process: the same main() that `python -m lab` calls, without a torch import per case.
    assert main(["run", "discriminator", *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in err
    assert not (tmp_path / "x" / "metrics.json").exists()


def test_cli_bad_value_from_a_real_process(tmp_path):
    r = _cli("run", "discriminator", "steps=-5", "--out", str(tmp_path / "x"), tmp_path=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["error: steps=-5 is out of range: it must lie in [0, 1e+06]"]


def test_cli_list_names_experiments_and_keys(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "discriminator:" in out and "gp_lambda=" in out


def test_cli_under_torchrun_only_rank_zero_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert main(["run", "discriminator", "steps=10", "--out", str(tmp_path), "--quiet"]) == 0
    assert not (tmp_path / "metrics.json").exists()
    monkeypatch.setenv("RANK", "0")
    assert main(["run", "discriminator", "steps=10", "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "metrics.json").exists()


def test_drawing_step_0_does_not_import_torch_dynamo():
    """The page's first view builds every critic and draws it; torch.optim's first call
    imports all of torch._dynamo (~1 s), so the optimiser must wait for the first update."""
    import subprocess
    import sys
    code = ("import sys, dataclasses\n"
            "from lab.experiments.discriminator import DiscriminatorConfig, DiscriminatorRun\n"
            "runs = [DiscriminatorRun(DiscriminatorConfig(critic=c)) for c in ('none', 'clip', 'gp', 'sn')]\n"
            "[r.snapshot() for r in runs]\n"
            "print('torch._dynamo' in sys.modules)\n"
            "runs[0].advance(1)\n"
            "print('torch._dynamo' in sys.modules, runs[0].step)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False", "True 1"]


def test_generator_losses_figure_is_note_002s_picture():
    """log(1 - d) against -log d over d = D(G(z)): where the fakes are spotted (d -> 0) the
    minimax loss has slope -1/(1 - d) ~ -1 while the non-saturating one has slope -1/d."""
    import numpy as np

    from lab.figures.discriminator import generator_losses_figure
    minimax, ns = generator_losses_figure().data
    d = np.asarray(minimax.x)
    assert np.allclose(minimax.y, np.log(1 - d)) and np.allclose(ns.y, -np.log(d))
    slope = lambda tr: (tr.y[1] - tr.y[0]) / (tr.x[1] - tr.x[0])  # noqa: E731
    assert slope(minimax) == pytest.approx(-1 / (1 - d[0]), rel=0.02)
    assert slope(ns) == pytest.approx(-1 / d[0], rel=0.5)          # steep: about -200 at d = 0.005
    assert slope(ns) < 50 * slope(minimax)


def test_dots_image_puts_each_sample_where_its_axes_say():
    """The 2-D panels' samples are one PNG stretched over the axis ranges: a dot must land at
    its (x, y), in its colour, with square pixels, and nothing elsewhere."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from lab.figures.style import dots_image
    pts = np.array([[1.0, 2.0]], np.float32)
    img = dots_image([(pts, "#1f77b4")], (0.0, 4.0), (0.0, 3.0), width=400)
    assert (img["x"], img["y"], img["sizex"], img["sizey"]) == (0.0, 3.0, 4.0, 3.0)
    png = Image.open(io.BytesIO(base64.b64decode(img["source"].split(",", 1)[1]))).convert("RGBA")
    assert png.size == (400, 300)
    r, g, b, a = png.getpixel((100, 100))           # x = 1 -> 100 px; y = 2 -> 100 px from the top
    assert (r, g, b) == (0x1f, 0x77, 0xb4) and 150 < a < 255
    assert png.getpixel((300, 250))[3] == 0 and png.getpixel((100, 200))[3] == 0
    assert dots_image([(pts, "#1f77b4")], (0.0, 4.0), (0.0, 3.0), width=400)["source"] == img["source"]


def test_2d_figure_lays_the_samples_over_every_panel():
    import dataclasses

    from lab.figures.discriminator import figure
    cfg = DiscriminatorConfig(dim=2, n_samples=50)
    snaps = {c: DiscriminatorRun(dataclasses.replace(cfg, critic=c)).snapshot() for c in ("none", "sn")}
    fig = figure(snaps, arrow_loss="minimax")
    assert [(im.xref, im.yref) for im in fig.layout.images] == [("x", "y"), ("x2", "y2"), ("x3", "y3")]
    assert {t.name for t in fig.data if t.showlegend is not False} >= {"real", "fake"}
    assert not any(t.type == "scatter" and t.x is not None and len(t.x) == 50 for t in fig.data)
