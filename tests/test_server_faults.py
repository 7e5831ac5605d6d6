"""A real `streamlit run app.py`, as a class meets it: many sessions opening a freshly started
server at once, and the server stopped (SIGINT / SIGTERM) while an image run trains."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ui
from conftest import ROOT, _free_port, error_texts, serve, server_env, wait_for_app

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


def _start(log_dir: Path) -> tuple[subprocess.Popen, str, Path]:
    port = _free_port()
    err = log_dir / "stderr.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(err, "w"), env=server_env())
    deadline = time.time() + 90
    while time.time() < deadline:
        assert proc.poll() is None, err.read_text()[-2000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}", err
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("streamlit did not start")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_the_server_while_an_image_run_trains_exits_cleanly(browser, tmp_path, signum):
    """The worker's daemon thread was still inside torch when the interpreter tore down:
    `terminate called without an active exception`, exit code 134. Now: no crash, no traceback,
    and the training processes end with the server. Served as an st.App (app.py), uvicorn shuts
    down gracefully and then raises the signal it caught again, as a Unix process should: Ctrl-C
    ends with click's one word "Aborted!" (status 1), SIGTERM by the signal itself (-15)."""
    proc, url, err = _start(tmp_path)
    try:
        ctx = browser.new_context(viewport={"width": 1200, "height": 900})
        pg = ctx.new_page()
        pg.goto(f"{url}/image_training?width=8&batch=8&steps=100000&fd_samples=0", wait_until="domcontentloaded")
        wait_for_app(pg, timeout_ms=180_000)
        pg.get_by_role("button", name=re.compile(r"Play$")).first.click()
        pg.get_by_text(re.compile(r"training: step [1-9]")).first.wait_for(timeout=120_000)
        children = _children(proc.pid)
        proc.send_signal(signum)
        code = proc.wait(60)
        ctx.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = err.read_text()
    assert "terminate called" not in stderr and "Traceback" not in stderr, stderr[-3000:]
    assert code in {signal.SIGINT: (0, 1), signal.SIGTERM: (0, -signal.SIGTERM)}[signum], (code, stderr[-3000:])
    assert code != 1 or stderr.strip() == "Aborted!", stderr[-3000:]
    time.sleep(1)
    assert [c for c in children if os.path.exists(f"/proc/{c}")] == [], "a training process outlived the server"


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (/proc; psutil is not a dependency)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out
