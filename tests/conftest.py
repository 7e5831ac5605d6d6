"""Shared fixtures: one thread for tiny nets (as the app does), a live `streamlit run app.py`
server on 127.0.0.1, and a headless Debian Chromium driven by Playwright."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check"]

torch.set_num_threads(1)
# AppTest page tests run the page in this process and reach into its runs (run.gan, run.theta):
# they keep training here. A real server (serve) trains in its worker processes (lab.pool).
os.environ["GENLAB_WORKERS"] = "0"
SERVER_WORKERS = os.environ.get("GENLAB_TEST_SERVER_WORKERS", "2")     # 0: a served app trains in the server


def server_env() -> dict:
    """The environment of a `streamlit run` started by a test: the worker pool on, its workers
    at the server's priority (a CI machine shared with the browser and a second server would
    otherwise starve them; the priority is a production choice, not what these tests check)."""
    return {**os.environ, "GENLAB_WORKERS": SERVER_WORKERS, "GENLAB_WORKER_NICE": "0"}


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def serve(log_dir: Path, script: str = "app.py", args: tuple[str, ...] = ()):
    """`streamlit run app.py` (or `script`, with more `args`) headless on a free loopback port;
    yields its base URL (with `--server.baseUrlPath`, the host's: add the path yourself)."""
    port = _free_port()
    log = log_dir / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args],
            cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=server_env())
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    """(base URL, log file) of one server shared by the whole session."""
    folder = tmp_path_factory.mktemp("streamlit")
    with serve(folder) as url:
        yield url, folder / "server.log"


@pytest.fixture(scope="session")
def streamlit_url(streamlit_server):
    return streamlit_server[0]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def wait_for_app(page, timeout_ms: int = 90_000) -> None:
    """Until Streamlit has finished the script run (no running indicator) at least once."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] *').length > 5",
        timeout=timeout_ms)


def click_anyway(locator, tries: int = 5, timeout: float = 10_000) -> None:
    """Click while the page redraws, as a student does: at once (`force`: no waiting for the page
    to hold still), and again if a redraw moved the element between Playwright's scroll and its
    click ("Element is outside of the viewport", seen on CI while a page played)."""
    from playwright.sync_api import Error
    for attempt in range(tries):
        try:
            locator.click(force=True, timeout=timeout)
            return
        except Error as err:
            if "outside of the viewport" not in str(err) or attempt == tries - 1:
                raise
            locator.page.wait_for_timeout(200)


def error_texts(page) -> list[str]:
    """Text of every Streamlit exception or error element on the page."""
    return [el.inner_text()[:500] for el in page.query_selector_all(
        "[data-testid='stException'], [data-testid='stAlertContentError']")]


def open_page(path: str, params: dict | None = None, timeout: float = 180):
    """The app through AppTest, as a student arrives: the URL's query params, the entry
    script, then a switch to `path` (e.g. "app_pages/discriminators.py"). Fails on any exception."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "genlab.py"), default_timeout=timeout)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at, label: str) -> str:
    """The displayed value of the st.metric with this label."""
    return next(m.value for m in at.metric if m.label == label)


def download(page, label: str, folder: Path) -> Path:
    """Press the download button whose name matches `label` and save what the browser gets."""
    import re
    button = page.get_by_role("button", name=re.compile(label)).first
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as dl:
        button.click()
    path = folder / dl.value.suggested_filename
    dl.value.save_as(path)
    return path
