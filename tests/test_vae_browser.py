"""The VAE page in headless Chromium: clicking empty latent space decodes that point (a Plotly
selection event, which AppTest cannot produce), and the live redraw keeps its charts."""
from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import download, error_texts, wait_for_app


def _decoded_caption(page) -> str:
    return page.get_by_text(re.compile(r"decoder mean at z = \(")).first.inner_text()


def test_click_on_the_latent_scatter_decodes_that_point(streamlit_url, page):
    page.goto(f"{streamlit_url}/vae?width=32")
    wait_for_app(page)
    page.get_by_text("decoder mean at z = (0.00, 0.00)").first.wait_for(timeout=120_000)
    charts = page.locator("[data-testid='stPlotlyChart']")
    charts.nth(1).wait_for(timeout=60_000)        # 0: curves, 1: the latent scatter
    charts.nth(1).locator(".js-plotly-plot").wait_for(timeout=60_000)
    charts.nth(1).scroll_into_view_if_needed()    # a mouse click must land inside the viewport
    page.wait_for_timeout(3000)                   # plotly binds its click handlers after drawing
    box = charts.nth(1).bounding_box()
    # right of and above the centre of the plotting area: the faint click grid is there
    for _ in range(3):
        page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.35)
        try:
            page.wait_for_function("() => !/decoder mean at z = \\(0\\.00, 0\\.00\\)/.test(document.body.innerText)",
                                   timeout=30_000)
            break
        except PlaywrightTimeout:                 # a click before plotly was ready: once more
            pass
    z1, z2 = map(float, re.findall(r"-?\d+\.\d+", _decoded_caption(page))[:2])
    assert z1 > 0 and z2 > 0                      # the clicked quadrant, not the default z = 0
    assert not error_texts(page)


def _step(page) -> int:
    m = page.locator("[data-testid='stMetric']").filter(has_text="Step").locator("[data-testid='stMetricValue']")
    return int(m.first.inner_text().replace(",", ""))


def test_downloads_work_while_playing(streamlit_url, page, tmp_path):
    """Play, then download from the Export tab while the fragment keeps training: every file
    comes (a download's thread cannot read st.session_state, so the page hands it the last
    snapshot), holds the run's numbers, and training goes on."""
    import csv
    import json

    from lab.run import load

    page.goto(f"{streamlit_url}/vae?width=32&log_every=5")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    page.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=60_000)
    page.wait_for_function("() => /Step\\s*\\n?\\s*[1-9]/.test(document.body.innerText)", timeout=60_000)
    page.get_by_role("tab", name="Export").click()

    def fetch(label: str) -> bytes:
        return download(page, label, tmp_path).read_bytes()

    numbers = json.loads(fetch(r"Numbers \(JSON\)"))
    assert -600 < numbers["elbo_test"] < -100 and numbers["sq_err_pca"] > 0
    rows = list(csv.DictReader(fetch(r"Curves \(CSV\)").decode().splitlines()))
    assert len(rows) >= 2 and {r["run"] for r in rows} == {"vae"} and float(rows[-1]["step"]) > 0
    assert b"plotly" in fetch(r"Figure: latent \(HTML\)").lower()
    assert fetch(r"Manifold \(PNG\)")[:8] == b"\x89PNG\r\n\x1a\n"
    run = load(fetch(r"Weights vae \(\.pt\)"))
    assert run.cfg.width == 32 and run.step > 0
    before = _step(page)
    for _ in range(30):                           # still training: the counter moves on
        page.wait_for_timeout(500)
        if _step(page) > before:
            break
    assert _step(page) > before
    page.get_by_role("button", name=re.compile(r"Pause$")).first.click()
    assert not error_texts(page)
