"""How each part of the energy-based-models page feels live in a real browser: redraws per
second while it plays (each redraw updates the part's first counter, e.g. "Iterations" or
"Steps"), and the steps per second the run makes meanwhile. One server, one headless Chromium,
the parts in turn at their default settings.

    python -m benchmarks.bench_ebm_page [--seconds 10] [--parts langevin,score_matching,...]

Needs Debian's chromium. Target: >= 4 redraws/s for every part.

Measured 2026-12-05 on this 2-core machine (load average ~5 from other work), 6 s per part:
langevin 5.0, score_matching 4.5, cd 4.8, ebm_gan 5.2, diffusion 4.7 redraws/s.
"""
from __future__ import annotations

import argparse
import re

from playwright.sync_api import sync_playwright

from benchmarks.bench_page_live import count_js, serve, stop, wait_for_server
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, _free_port

# The counter each part's read-out starts with (its first st.metric).
COUNTERS = {"langevin": "Iterations"}          # every other part's is "Steps"


def _value(page, counter: str) -> int:
    text = page.evaluate("""(c) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]
        .find(e => e.innerText.startsWith(c)); return m ? m.querySelector('[data-testid=stMetricValue]').innerText : '0'; }""",
                         counter)
    return int(re.sub(r"[^0-9]", "", text) or 0)


def measure(page, base: str, part: str, seconds: float) -> tuple[float, float]:
    counter = COUNTERS.get(part, "Steps")
    page.goto(f"{base}/ebm?part={part}&steps=1000000")
    page.get_by_test_id("stBaseButton-primary").first.wait_for(timeout=60_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    page.evaluate(count_js(counter))
    page.get_by_test_id("stBaseButton-primary").first.click()
    page.wait_for_timeout(3000)                      # the fragment timer settles
    r0, s0 = page.evaluate("window.__redraws"), _value(page, counter)
    page.wait_for_timeout(seconds * 1000)
    r1, s1 = page.evaluate("window.__redraws"), _value(page, counter)
    page.get_by_test_id("stBaseButton-primary").first.click()          # Pause
    return (r1 - r0) / seconds, (s1 - s0) / seconds


def main() -> None:
    from ui.ebm import PARTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--parts", default=",".join(PARTS))
    a = ap.parse_args()
    port = _free_port()
    srv = serve(port)
    try:
        wait_for_server(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for part in a.parts.split(","):
                redraws, steps = measure(page, f"http://127.0.0.1:{port}", part, a.seconds)
                print(f"{part:16s} {redraws:5.2f} redraws/s   {steps:8.0f} steps/s   (target >= 4 redraws/s)")
            browser.close()
    finally:
        stop(srv)


if __name__ == "__main__":
    main()
