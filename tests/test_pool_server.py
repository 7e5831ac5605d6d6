"""A real server with its worker pool (lab.pool): a page plays, its training process is killed
(kill -9) mid-training; the server still answers, the page shows one line and no traceback, and
Restart brings the run back."""
from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from conftest import error_texts, serve, wait_for_app


def _server_pid(port: int) -> int:
    needle = f"--server.port\0{port}\0".encode()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if needle in (d / "cmdline").read_bytes():
                    return int(d.name)
            except OSError:
                continue
    raise AssertionError(f"no streamlit process on port {port}")


def _workers(parent: int) -> list[int]:
    """The server's training processes (`python -m lab.pool ...`)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"lab.pool\0" in cmd:
            out.append(int(d.name))
    return out


# A page, and the text that says its run is drawn. The image page's training was a thread of the
# server until the pool took it too: its kill must cost the same one line.
PAGES = {"disjoint": ("disjoint?recipes=gan&steps=100000", "Theta steps (of 100,000)"),
         "image": ("image_training?width=8&batch=8&steps=100000&fd_every=0", "of 100,000")}


@pytest.mark.parametrize("which", sorted(PAGES))
def test_a_killed_worker_costs_one_line_and_the_server_answers(browser, tmp_path, which):
    path, drawn = PAGES[which]
    with serve(tmp_path) as url:
        ctx = browser.new_context(viewport={"width": 1200, "height": 900})
        pg = ctx.new_page()
        try:
            pg.goto(f"{url}/{path}", wait_until="domcontentloaded")
            wait_for_app(pg, timeout_ms=180_000)
            pg.get_by_text(drawn).first.wait_for(timeout=120_000)     # the run exists
            pg.get_by_role("button", name=re.compile(r"Play$")).first.click()
            pg.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=60_000)
            pg.wait_for_timeout(3000)                       # training in its worker
            workers = _workers(_server_pid(int(url.rsplit(":", 1)[1])))
            assert workers, "the server started no training process"
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            line = pg.get_by_text(re.compile(r"The training process for this run stopped \(SIGKILL\)"))
            line.first.wait_for(timeout=90_000)
            assert len(error_texts(pg)) == 1, error_texts(pg)
            assert "Press Restart" in error_texts(pg)[0]
            assert not pg.query_selector_all("[data-testid='stException']")
            assert "Traceback" not in pg.inner_text("body")

            other = ctx.new_page()                          # the server still answers
            other.goto(url, wait_until="domcontentloaded")
            wait_for_app(other, timeout_ms=120_000)
            assert error_texts(other) == []

            pg.get_by_role("button", name=re.compile(r"Restart$")).first.click()
            pg.wait_for_function("() => !document.querySelector(\"[data-testid='stAlertContentError']\")",
                                 timeout=120_000)
            pg.get_by_text(drawn).first.wait_for(timeout=120_000)     # drawn again
            assert error_texts(pg) == []
            pg.get_by_role("button", name=re.compile(r"Play$")).first.click()   # trains again
            pg.get_by_role("button", name=re.compile(r"Pause$")).first.wait_for(timeout=60_000)
            pg.wait_for_timeout(2000)
            assert error_texts(pg) == []
        finally:
            ctx.close()
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]
