"""Projector mode in a real browser at 1024x768 (a lecture hall's projector): the page's title,
its Play button and its first live figure are on screen, inside the viewport's width, below
Streamlit's header; no button's label is cut; the figure's tick labels are >= 14 px."""
from __future__ import annotations

import pytest

from conftest import error_texts, wait_for_app

LAYOUT = """() => {
  const box = el => el && el.getBoundingClientRect();
  const header = box(document.querySelector('[data-testid=stHeader]'));
  const h1 = box(document.querySelector('h1'));
  const play = [...document.querySelectorAll('button')].find(b => /^(Play|Pause)$/.test((b.querySelector('p') || b).innerText.trim()));
  const shown = [...document.querySelectorAll('[data-testid=stPlotlyChart]')].filter(c => c.offsetParent);
  const chart = box(shown.length ? shown[0].querySelector('.main-svg') : null);   // not one in a closed expander
  const cut = [...document.querySelectorAll('[data-testid=stMain] button p')]
      .filter(p => p.offsetParent && p.scrollWidth > p.clientWidth + 1).map(p => p.innerText);
  const ticks = [...document.querySelectorAll('[data-testid=stPlotlyChart] .xtick text, [data-testid=stPlotlyChart] .ytick text')]
      .map(t => parseFloat(getComputedStyle(t).fontSize));
  return {w: innerWidth, h: innerHeight, header: header ? header.bottom : 0, h1, play: box(play), chart, cut,
          tick: ticks.length ? Math.min(...ticks) : null};
}"""


@pytest.mark.parametrize("path", ["gan1d", "discriminator"])
def test_projector_at_1024x768_shows_title_play_and_the_live_figure(streamlit_url, browser, path):
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    page = ctx.new_page()
    try:
        page.goto(f"{streamlit_url}/{path}?classroom=1")
        wait_for_app(page)
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_selector("[data-testid=stPlotlyChart] .xtick text", state="attached", timeout=60_000)
        page.wait_for_timeout(1500)           # a few ticks of the live redraw
        got = page.evaluate(LAYOUT)
        assert not error_texts(page)
        assert "classroom=1" in page.url
        assert got["h1"]["top"] >= got["header"] - 1, got        # the title is not under the header
        for what in ("play", "chart"):
            assert 0 <= got[what]["left"] and got[what]["right"] <= got["w"], (what, got)
        assert got["play"]["bottom"] <= got["h"], got             # Play above the fold
        assert got["chart"]["top"] < got["h"] - 150, got          # the live figure starts on screen
        assert got["cut"] == [], got
        assert got["tick"] >= 14, got
    finally:
        ctx.close()
