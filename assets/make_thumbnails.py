"""Draw the home page's picture for each page (assets/thumbs/<page>.png, ~240 x 150, well under
30 KB): serve the app on loopback, open each page in headless Chromium, press Play where there is
one, let it train a few seconds, and photograph the first figure on screen. Run once after a page's
look changes: `python assets/make_thumbnails.py` (needs /usr/bin/chromium and playwright; no network)."""
from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "thumbs"
SIZE = (240, 120)
FIGURE = "[data-testid=stPlotlyChart], [data-testid=stImage]"


def _port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _wait(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not start")


def thumbnail(png: bytes) -> Image.Image:
    """The shot, at most 2.4 times as wide as high (the centre of a wider one), scaled to fit the
    thumbnail on white, in 64 colours."""
    im = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = im.size
    if w > 2.4 * h:
        cw = int(2.4 * h)
        im = im.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    im.thumbnail(SIZE, Image.LANCZOS)
    out = Image.new("RGB", SIZE, "white")
    out.paste(im, ((SIZE[0] - im.size[0]) // 2, (SIZE[1] - im.size[1]) // 2))
    return out.quantize(64)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import ui
    from playwright.sync_api import sync_playwright
    OUT.mkdir(exist_ok=True)
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for entry in ui.available_pages():
                page.goto(f"http://127.0.0.1:{port}/{entry.url_path}")
                page.wait_for_selector("[data-testid=stMainBlockContainer] h1", timeout=120_000)
                page.wait_for_timeout(3000)
                play = page.get_by_role("button", name="Play", exact=True)
                if play.count():
                    play.first.click()
                    page.wait_for_timeout(8000)
                    pause = page.get_by_role("button", name="Pause", exact=True)
                    if pause.count():          # a short run may have finished by itself
                        pause.first.click()
                page.wait_for_function(f"() => [...document.querySelectorAll('{FIGURE}')]"
                                       ".some(e => e.offsetParent && e.offsetHeight > 100)", timeout=120_000)
                page.wait_for_timeout(2000)
                shown = [el for el in page.query_selector_all(FIGURE) if el.is_visible() and el.bounding_box()["height"] > 100]
                path = OUT / f"{entry.url_path}.png"
                thumbnail(shown[0].screenshot()).save(path, optimize=True)
                print(path.relative_to(ROOT), path.stat().st_size, "bytes")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
