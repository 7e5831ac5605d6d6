"""A real `streamlit run app.py`, as a class meets it: many sessions opening a freshly started
server at once, and the server stopped (SIGINT / SIGTERM) while an image run trains."""
from __future__ import annotations

import re

import ui
from conftest import error_texts, serve, wait_for_app

SESSIONS = 12
LOG_NOISE = re.compile(r"Traceback|Error|Exception|partially initialized|terminate called|Warning", re.I)


def test_a_class_opening_a_fresh_server_at_once_sees_no_exception(browser, tmp_path):
    """Concurrent first runs imported pandas in several script threads while plotly's
    `get_module("pandas", should_load=False)` read the half-built module from sys.modules:
    `AttributeError: partially initialized module 'pandas' has no attribute 'Series'`."""
    stems = [e.url_path for e in ui.available_pages()]
    paths = ["discriminator"] * (SESSIONS // 2) + [stems[i % len(stems)] for i in range(SESSIONS - SESSIONS // 2)]
    with serve(tmp_path) as url:
        contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in paths]
        pages = [c.new_page() for c in contexts]
        try:
            for pg, path in zip(pages, paths):      # all sent before any first run has finished
                pg.goto(f"{url}/{path}", wait_until="commit")
            for pg, path in zip(pages, paths):
                wait_for_app(pg, timeout_ms=180_000)
                pg.wait_for_selector("h1", timeout=120_000)
                pg.wait_for_timeout(500)
                assert error_texts(pg) == [], (path, error_texts(pg))
                assert "partially initialized" not in pg.inner_text("body"), path
        finally:
            for c in contexts:
                c.close()
    log = (tmp_path / "server.log").read_text()
    assert not LOG_NOISE.search(log), log[-3000:]
