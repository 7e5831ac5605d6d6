"""The live Sweep page in a real browser: an 8 x 8 grid of learning rates x 4 seeds (256 ring GANs,
the mode-collapse page's default GAN) training while the page redraws. Counts redraws per second
(each redraw changes the Step read-out) and the members' training steps per second meanwhile.

    python -m benchmarks.bench_sweep_page [--seconds 20] [--grid 8] [--seeds 4] [--workers N]

The server runs as `streamlit run app.py` does: training in the worker pool (one per core), or
in the server process with `--workers 0`. Importing tests.conftest set GENLAB_WORKERS=0 for the
tests, and this bench used to inherit it, so it measured only the in-server path. Besides the
read-out it counts each figure's redraws (benchmarks.bench_page_live.FIGURES_JS): a read-out
can change while the figures under it do not.

Target (issue "many runs at once"): >= 2 redraws/s on this 2-core CPU while training.
Needs Debian's chromium.
"""
import argparse
import os
import re
import time
import urllib.parse

from playwright.sync_api import sync_playwright

from benchmarks.bench_page_live import FIGURES_JS, count_js, serve, stop, wait_for_server
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, _free_port

COUNT_JS = count_js("Step")


def step_of(text: str | None) -> int:
    return int(re.sub(r"[^0-9]", "", (text or "0").split("/")[0]) or 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--grid", type=int, default=8, help="values per axis")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--workers", type=int, default=None, help="training processes (default: the app's, one per core)")
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "GENLAB_WORKERS"}
    if a.workers is not None:
        env["GENLAB_WORKERS"] = str(a.workers)
    query = urllib.parse.urlencode({"x": f"lr_d=log:1e-4:1e-2:{a.grid}", "y": f"lr_g=log:1e-4:1e-2:{a.grid}",
                                    "seeds": a.seeds, "steps": 1_000_000})
    members = a.grid * a.grid * a.seeds
    port = _free_port()
    srv = serve(port, env=env)
    try:
        wait_for_server(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/sweep?{query}")
            page.get_by_role("button", name="Play").wait_for(timeout=120_000)
            page.wait_for_selector(".js-plotly-plot", timeout=120_000)
            page.get_by_role("button", name="Play").click()
            time.sleep(5)                      # the first ticks measure the step time
            page.evaluate(COUNT_JS)
            page.evaluate(FIGURES_JS)
            time.sleep(1)
            start, first, figs0 = page.evaluate("[window.__redraws, window.__last, {...window.__figs}]")
            t0 = time.perf_counter()
            time.sleep(a.seconds)
            redraws, last, figs1 = page.evaluate("[window.__redraws, window.__last, {...window.__figs}]")
            took = time.perf_counter() - t0
            page.get_by_role("button", name="Pause").click()
            browser.close()
    finally:
        stop(srv)
    rate = (redraws - start) / took
    steps = (step_of(last) - step_of(first)) / took
    print(f"{members} members ({a.grid} x {a.grid} cells x {a.seeds} seeds), {took:.1f} s of Play")
    shown = {i: (n - figs0.get(i, 0)) / took for i, n in sorted(figs1.items())}
    print(f"training in {'the server' if a.workers == 0 else 'worker processes'}")
    print(f"redraws/s {rate:5.2f}   (target >= 2: {'PASS' if rate >= 2 else 'FAIL'})")
    print("figure redraws/s " + "  ".join(f"{i} {r:.2f}" for i, r in shown.items()))
    print(f"steps/s each {steps:7.1f}   model-steps/s {steps * members:9,.0f}")


if __name__ == "__main__":
    main()
