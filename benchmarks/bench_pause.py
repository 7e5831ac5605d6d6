"""How long Pause takes to stop a playing page, as a student meets it: a real server, Debian's
Chromium, the page playing with a large steps-per-tick, Pause pressed, and the clock stopped when
the Play button is back (the rerun that switched training off has reached the browser). Trials
on the pages whose Pause was ignored before the one engine (40 s on mode collapse, when a tick
trained 1.5 s on a 0.2 s timer).

    python -m benchmarks.bench_pause [--trials 5] [--k 1000]
"""
from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, serve, wait_for_app

PAGES = {"mode_collapse": 1000, "discriminator": 300, "disjoint": 500}


def trial(page, k: int) -> float:
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    page.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=30_000)
    page.wait_for_timeout(2000)                    # several ticks at k steps each
    page.get_by_role("button", name=re.compile(r"Pause$")).first.click(force=True)
    t0 = time.monotonic()
    page.get_by_role("button", name=re.compile(r"Play$")).first.wait_for(timeout=60_000)
    took = time.monotonic() - t0
    page.wait_for_timeout(1000)
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for stem, k in PAGES.items():
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/{stem}?steps=100000", wait_until="domcontentloaded")   # a budget Play will not reach
            wait_for_app(page)
            box = page.locator("input[aria-label='Steps per tick']")
            box.fill(str(k))
            box.press("Enter")
            wait_for_app(page)
            times = [trial(page, k) for _ in range(a.trials)]
            print(f"{stem:15s} steps/tick {k:5d}: Pause honoured in median {statistics.median(times):.2f} s, "
                  f"max {max(times):.2f} s over {a.trials} presses")
            page.close()


if __name__ == "__main__":
    main()
