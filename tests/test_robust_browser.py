"""The robust-mean page in a real browser (streamlit run app.py + Debian's Chromium): the
downloads work while the estimate trains, and the sweep runs and stops in its own tab."""
import json
import re

from conftest import download, error_texts, wait_for_app


def test_downloads_while_playing_and_a_sweep_that_stops(streamlit_url, page, tmp_path):
    # 1,600 generator steps, 10 a tick: it plays for well over 30 s. (A run that ends auto-pauses
    # and reruns the page, which gives the buttons new files: a press during that rerun finds none.)
    page.goto(f"{streamlit_url}/robust_mean?n=2000&epochs=2000&estimators=mean,cw_median,js_gan",
              wait_until="domcontentloaded")
    wait_for_app(page)
    steps = page.locator("[data-testid='stMetric']").filter(has_text="Generator steps")
    steps.wait_for(timeout=90_000)
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    pause = page.get_by_role("button", name=re.compile(r"Pause$")).first
    pause.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".find(e => e.innerText.includes('Generator steps'));"
        " return m && parseInt(m.querySelector('[data-testid=stMetricValue]').innerText.replace(/,/g, '')) >= 5; }",
        timeout=90_000)

    def fetch(label: str):          # pressed once: ui.export gives the file time to be fetched
        return download(page, label, tmp_path)

    numbers = json.loads(fetch(r"Numbers \(JSON\)").read_text())      # pressed while training plays
    assert pause.is_visible()
    assert 5 <= numbers["steps"] < 1600 and numbers["n"] == 2000 and 1.2 < numbers["error"]["mean"] < 1.7
    assert set(numbers["error"]) == {"mean", "cw_median", "js_gan"}
    rows = fetch(r"Curves \(CSV\)").read_text().splitlines()
    logged = [int(r.split(",")[1]) for r in rows[1:]]          # every 1600 // 300 = 5 steps
    assert rows[0].startswith("run,step,js_gan_error") and logged[0] == 5 and logged[-1] >= numbers["steps"] - 4
    pause.click()

    # The sweep, in its own tab and its own fragment, on a short GAN schedule: 27 cells of 202 units.
    page.goto(f"{streamlit_url}/robust_mean?epochs=100&estimators=mean,cw_median,js_gan", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_role("tab", name="Error vs eps and p").click()
    page.locator("input[aria-label='Values of eps']").wait_for(timeout=30_000)   # the sweep's tab is shown
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()       # the visible one: the sweep's
    page.get_by_text(re.compile(r"[1-9]\d* of 27 cells, about \d+ s left")).wait_for(timeout=90_000)
    page.get_by_role("button", name=re.compile(r"Pause$")).first.click()
    page.get_by_role("button", name=re.compile(r"Play$")).first.wait_for(timeout=30_000)
    wait_for_app(page)                                  # the paused rerun has replaced the progress line
    page.get_by_text(re.compile(r"^\d+ of 27 cells$")).wait_for(timeout=30_000)
    cells = page.get_by_text(re.compile(r"\d+ of 27 cells"))
    shown = cells.inner_text()
    page.wait_for_timeout(2000)
    assert cells.inner_text() == shown and "s left" not in shown      # stopped where it was
    assert error_texts(page) == []
