"""A real browser: `streamlit run app.py` on 127.0.0.1 and Debian's Chromium via Playwright.
Every page opens, Play is pressed, the page redraws, and no error element appears."""
import re

import pytest

import ui
from conftest import click_anyway, download, error_texts, serve, wait_for_app

PAGES = [p.file for p in ui.available_pages()]


def test_home_lists_the_pages(streamlit_url, page, tmp_path):
    page.goto(streamlit_url + "/", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_role("heading", name="GenLab").wait_for(timeout=60_000)
    for entry in ui.available_pages():
        assert page.get_by_text(entry.title).count() >= 1, entry.title
    page.screenshot(path=str(tmp_path / "home.png"))
    assert error_texts(page) == []


@pytest.mark.parametrize("path", PAGES)
def test_page_plays_and_redraws_without_error(streamlit_url, page, path, tmp_path):
    stem = path.split("/")[-1][:-3]
    page.goto(f"{streamlit_url}/{stem}", wait_until="domcontentloaded")
    wait_for_app(page)
    page.wait_for_selector("h1", timeout=90_000)
    play = page.get_by_role("button", name=re.compile(r"^(play_arrow)?\s*Play$"))
    play.first.wait_for(timeout=90_000)
    charts_before = page.locator(".js-plotly-plot").count()
    play.first.click()
    page.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=60_000)
    page.wait_for_timeout(4000)                   # several fragment ticks
    if not page.get_by_role("button", name=re.compile(r"Pause$")).count():
        # The budget ran out and Play switched itself off with a full rerun (disjoint: 300 steps):
        # count the charts once that rerun has drawn them, not halfway through it.
        wait_for_app(page)
    page.screenshot(path=str(tmp_path / f"{stem}.png"), full_page=True)
    # Runs live in the server's training processes: on a busy machine the first one may take a
    # few seconds to build there, so wait for the charts rather than count them at once.
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {max(1, charts_before)}",
                           timeout=90_000)
    assert error_texts(page) == []
    pause = page.get_by_role("button", name=re.compile(r"Pause$"))
    if pause.count():                             # a short default budget may have paused by itself
        pause.first.click()


def test_discriminator_page_trains_live(streamlit_url, page):
    """The Steps counter moves between two looks while playing: the fragment redraws."""
    page.goto(f"{streamlit_url}/discriminators", wait_until="domcontentloaded")
    wait_for_app(page)
    steps = page.locator("[data-testid='stMetric']").filter(has_text="Steps").locator("[data-testid='stMetricValue']")
    steps.wait_for(timeout=90_000)
    assert steps.inner_text() == "0"
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".find(e => e.innerText.includes('Steps'));"
        " return m && parseInt(m.querySelector('[data-testid=stMetricValue]').innerText.replace(/,/g, '')) >= 100; }",
        timeout=90_000)
    first = int(steps.inner_text().replace(",", ""))
    page.wait_for_timeout(3000)
    second = int(steps.inner_text().replace(",", ""))
    assert second > first
    page.get_by_role("button", name=re.compile(r"Pause$")).first.click()
    assert error_texts(page) == []


def test_a_shared_link_opened_first_on_a_fresh_server_runs_through_the_app(browser, tmp_path):
    """A student's first request is a link to a page (with its URL state). The page must run
    inside genlab.py (device badge, page titles in the navigation), not as a bare script: with
    a folder named pages/ Streamlit's legacy mode did exactly that until someone opened /."""
    with serve(tmp_path) as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.goto(f"{url}/discriminators?seed=3", wait_until="domcontentloaded")
        wait_for_app(page)
        page.get_by_text("Device:").first.wait_for(timeout=60_000)
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Discriminators: perfect vs Lipschitz" in nav and "Home" in nav
        assert page.locator("input[aria-label='Seed']").input_value() == "3"
        assert error_texts(page) == []
        ctx.close()


def type_into(page, url: str, label: str, text: str) -> None:
    """Open `url` and type `text` into the input labelled `label`, as a student would."""
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)
    box = page.locator(f"input[aria-label='{label}']")
    box.wait_for(timeout=90_000)
    box.fill(text)
    box.press("Enter")


def test_a_bad_spec_is_shown_as_typed(streamlit_url, page):
    """Alerts render Markdown: the '*' of a mixture spec must not turn into italics."""
    type_into(page, f"{streamlit_url}/discriminators", "Real p", "0.5*N(1,")
    page.locator("[data-testid='stAlertContentError']").first.wait_for(timeout=60_000)
    (shown,) = error_texts(page)
    assert "'0.5*N(1,'" in shown and "weight*N" in shown and "\\" not in shown


def test_export_after_a_step_downloads_what_the_page_shows(streamlit_url, page, tmp_path):
    """Step 50, open "Loss curves and export" (drawn only when open), download the numbers,
    the curves and the figure: they hold the 50 steps the page shows."""
    import csv
    import json
    import math

    type_into(page, f"{streamlit_url}/discriminators", "Steps per tick", "50")
    page.wait_for_timeout(500)
    page.get_by_role("button", name=re.compile(r"Step$")).first.click()
    page.locator("[data-testid='stMetric']").filter(has_text="Steps").get_by_text("50", exact=True).wait_for(timeout=60_000)
    page.get_by_text("Loss curves and export").click()

    def fetch(label: str):
        return download(page, label, tmp_path)

    numbers = json.loads(fetch(r"Numbers \(JSON\)").read_text())
    assert sorted(numbers) == ["clip", "gp", "none", "sn"]
    assert all(m["steps"] == 50 for m in numbers.values())
    assert numbers["none"]["js_exact"] == pytest.approx(math.log(2), abs=1e-3)
    assert numbers["sn"]["w1_exact"] == pytest.approx(4.0, abs=1e-3)
    with open(fetch(r"Curves \(CSV\)"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted({r["critic"] for r in rows}) == ["clip", "gp", "none", "sn"]
    assert sorted({int(r["step"]) for r in rows}) == [10, 20, 30, 40, 50]
    html = fetch(r"Figure: discriminators \(HTML\)").read_text()
    assert "plotly" in html.lower() and "critic: spectral norm" in html
    assert error_texts(page) == []


def _metric(page, label: str) -> int:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return int(re.sub(r"[^0-9]", "", box.locator("[data-testid='stMetricValue']").inner_text()) or 0)


def _open_export(page) -> None:
    """Open the Export expander while the page redraws, as a student does: again if it is still
    closed. Waits, not timings: Chromium redraws the page every tick, and with two busy loops
    beside it the click took up to 8 s (0.5-1.5 s without), over 10 s in CI's 2-core run with the
    other test worker training; once, under load, the expander was closed again and its buttons
    never came in 60 s."""
    import time
    summary = page.locator("[data-testid='stExpander'] summary").filter(has_text=re.compile("xport")).first
    button = page.get_by_role("button", name=re.compile(r"Numbers \(JSON\)")).first
    deadline = time.monotonic() + 120
    while not button.is_visible():
        assert time.monotonic() < deadline, "the Export expander's buttons never showed"
        if summary.evaluate("s => !s.closest('details') || !s.closest('details').open"):
            click_anyway(summary, timeout=60_000)
        page.wait_for_timeout(1000)


def _download(page, label) -> str:
    """Click a download button while the page redraws, as a student does: once more if nothing
    came (a forced click can land on a button a redraw is replacing; in CI one download never came
    in 30 s). The path of the file."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for attempt in range(2):
        try:
            with page.expect_download(timeout=30_000) as dl:
                click_anyway(page.get_by_role("button", name=label).first, timeout=60_000)
            return dl.value.path()
        except PlaywrightTimeout:
            if attempt:
                raise


@pytest.mark.parametrize("stem, counter, k, data_box, data_value", [
    ("mode_collapse", "Step", 1000, "Data set", "25 Gaussians"),
    ("discriminator", "Steps", 300, "Preset", "Overlapping bumps"),
    ("ebm", "Iterations", 1000, "Target", "Banana"),
])
def test_quick_clicks_while_playing_break_nothing(browser, streamlit_server, stem, counter, k, data_box, data_value):
    """What a class does to a page: Step pressed three times 0.7 s apart with a large steps per
    tick (1,000 on mode collapse killed the whole server with a segfault: two threads stepped one
    optimiser), then Play, a download while playing, Reset, a new seed and new data while
    playing, Pause. No exception on the page, no traceback in the server's log, the server still
    up, Pause honoured within a second, and the download holds the numbers. Clicks while playing
    are forced: Playwright would otherwise wait for a redrawing page to hold still."""
    import json
    import time
    import urllib.request
    url, log = streamlit_server
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    type_into(page, f"{url}/{stem}?steps=200000", "Steps per tick", str(k))   # a budget Play will not reach
    page.wait_for_timeout(500)
    step = page.get_by_role("button", name=re.compile(r"^(skip_next)?\s*Step( both)?$")).first
    for _ in range(3):
        click_anyway(step)
        page.wait_for_timeout(700)
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    page.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    _open_export(page)
    numbers = json.loads(open(_download(page, re.compile(r"Numbers \(JSON\)"))).read())
    assert numbers and all(isinstance(v, dict) for v in numbers.values())
    click_anyway(page.get_by_role("button", name=re.compile(r"Reset$")).first)
    page.wait_for_timeout(500)
    seed = page.locator("input[aria-label='Seed']")
    seed.fill("7")
    seed.press("Enter")
    page.wait_for_timeout(500)
    click_anyway(page.locator("[data-testid='stSelectbox']").filter(has_text=data_box).first)
    before = _metric(page, counter)
    click_anyway(page.get_by_role("option", name=re.compile(data_value)).first)
    wait_for_app(page)
    # The new data's runs are built in a worker process (lab.pool), which takes a moment while the
    # old ones still show: Pause once the page shows the new runs (their counter starts again).
    deadline = time.monotonic() + 30
    while _metric(page, counter) >= before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.wait_for_timeout(1000)
    click_anyway(page.get_by_role("button", name=re.compile(r"Pause$")).first)
    t0 = time.monotonic()
    page.get_by_role("button", name=re.compile(r"Play$")).first.wait_for(timeout=10_000)
    # Pause is honoured within about a second: ~0.5 s on an idle machine (benchmarks/bench_pause.py);
    # the bound leaves room for the other test worker on a two-core machine.
    assert time.monotonic() - t0 < 2.0
    wait_for_app(page)
    reads = [_metric(page, counter)]               # the page settles (a rerun may still redraw)...
    for _ in range(8):
        page.wait_for_timeout(1000)
        reads.append(_metric(page, counter))
        if reads[-1] == reads[-2]:
            break
    page.wait_for_timeout(2000)
    assert _metric(page, counter) == reads[-1] == reads[-2], reads   # ...and nothing trains after it
    assert error_texts(page) == []
    ctx.close()
    assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=10).read() == b"ok"   # still up
    text = log.read_text()
    assert "Traceback" not in text and "Segmentation" not in text, text[-3000:]


def test_no_request_leaves_the_server_s_host(streamlit_url, page):
    """A class on an offline network: the favicon was fetched from fonts.gstatic.com
    (`page_icon=":material/science:"`). Every request, on the home page and every page, goes to
    the server; the Material Symbols font the pages' icons use is Streamlit's own bundle."""
    from urllib.parse import urlparse
    host = urlparse(streamlit_url).netloc
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    for stem in [""] + [e.url_path for e in ui.available_pages()]:
        page.goto(f"{streamlit_url}/{stem}", wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_selector("h1", timeout=90_000)
        page.wait_for_timeout(1000)                   # the favicon and late fonts
    away = sorted({u for u in seen if urlparse(u).scheme in ("http", "https", "ws", "wss")
                   and urlparse(u).netloc != host})
    assert away == []
    assert any("materialsymbols" in u.lower() and urlparse(u).netloc == host for u in seen)
    icon = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert icon and all(urlparse(u).netloc == host for u in icon), icon


FOLD = """() => {
  const shown = [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
      .filter(c => c.offsetParent && !c.closest('[data-testid=stExpander]'));
  const live = shown.find(c => c.innerText.includes('Discriminator D(x)'));
  const cut = [...document.querySelectorAll('[data-testid=stMain] button p')]
      .filter(p => p.offsetParent && p.scrollWidth > p.clientWidth + 1).map(p => p.innerText);
  const wide = shown.filter(c => c.getBoundingClientRect().right > innerWidth + 1).length;
  return {first: shown.length ? shown[0].getBoundingClientRect().top : null,
          live: live ? live.getBoundingClientRect().top : null, cut, wide};
}"""


@pytest.mark.parametrize("width, height", [(1400, 900), (1024, 768)])
def test_discriminator_live_figure_starts_above_the_fold(streamlit_url, browser, width, height):
    """At 1400x900 the live D(x) panel starts on screen (its top at least 150 px above the fold,
    as the projector test asks at 1024x768), not only the densities above it; at 1024x768
    nothing is cut."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(f"{streamlit_url}/discriminator", wait_until="domcontentloaded")
        wait_for_app(page)
        page.get_by_role("button", name=re.compile(r"Play$")).first.click()
        page.get_by_text("Discriminator D(x)").first.wait_for(timeout=90_000)
        page.wait_for_timeout(1000)
        page.get_by_role("button", name=re.compile(r"Pause$")).first.click()
        wait_for_app(page)
        page.wait_for_function(f"() => ({FOLD})().live !== null", timeout=60_000)   # redrawn after Pause
        got = page.evaluate(FOLD)
        assert got["cut"] == [] and got["wide"] == 0, got
        if (width, height) == (1400, 900):
            assert got["first"] is not None and got["first"] < height, got
            assert got["live"] is not None and got["live"] < height - 150, got
        assert error_texts(page) == []
    finally:
        ctx.close()
