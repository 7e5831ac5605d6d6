"""Offline for real: every page, opened from its own link (as a student follows a shared URL) and
played, requests nothing outside the server, and the browser sees no failed request, no error
status and no console error. A lecture hall's network may be down or filtered; an instructor's
console must be clean."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import ui
from conftest import error_texts, wait_for_app

LOCAL = {"127.0.0.1", "localhost"}
PLAY = re.compile(r"^(play_arrow)?\s*Play$")
PAUSE = re.compile(r"^(pause)?\s*Pause$")


def test_no_page_requests_anything_outside_the_server_or_fails_a_request(streamlit_url, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    now = {"stem": ""}
    outside, failed, bad_status, console = [], [], [], []
    page.on("response", lambda r: r.status >= 400 and bad_status.append((now["stem"], r.status, r.url)))
    page.on("console", lambda m: m.type == "error" and console.append(
        (now["stem"], m.text[:300], (m.location or {}).get("url", ""))))

    page.on("request", lambda r: urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname not in LOCAL and outside.append((now["stem"], r.url)))
    # net::ERR_ABORTED is the browser cancelling a load it no longer needs (a lazy chunk or a
    # font for an element redrawn meanwhile, or the next page's navigation); the console does
    # not show it. Every other failure (ERR_NAME_NOT_RESOLVED, ERR_CONNECTION_REFUSED...) counts.
    page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED" and failed.append((now["stem"], r.url, r.failure)))
    page.on("pageerror", lambda e: console.append((now["stem"], f"uncaught: {e}"[:300], "")))
    try:
        for stem in ["", *(e.url_path for e in ui.available_pages())]:
            now["stem"] = stem
            page.goto(f"{streamlit_url}/{stem}", wait_until="domcontentloaded")
            wait_for_app(page)
            page.wait_for_selector("h1", timeout=90_000)
            if stem:                                     # every page in the catalogue plays
                page.get_by_role("button", name=PLAY).first.click(timeout=90_000)
                page.get_by_role("button", name=PAUSE).first.wait_for(timeout=60_000)
                page.wait_for_timeout(1000)              # a few live ticks: their figures and images
                pause = page.get_by_role("button", name=PAUSE)
                if pause.count():
                    pause.first.click()
                wait_for_app(page)
            assert error_texts(page) == [], (stem, error_texts(page))
    finally:
        ctx.close()
    assert outside == [], outside
    assert failed == [], failed
    assert bad_status == [], bad_status
    assert console == [], console
