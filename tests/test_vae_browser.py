"""The VAE page in headless Chromium: clicking empty latent space decodes that point (a Plotly
selection event, which AppTest cannot produce), and the live redraw keeps its charts."""
from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import error_texts, wait_for_app


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
