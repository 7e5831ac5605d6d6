"""How the discriminators page feels in a real browser: time from `streamlit run` to the page
being interactive (minus a bare `import torch`, which no page can avoid), and live redraws per
second while training (each redraw updates the Steps counter), and the training steps per
second each discriminator gets meanwhile.

    python -m benchmarks.bench_page_live [--seconds 10] [--k 25]

Needs Debian's chromium. Targets (issue 2): <= 3 s after torch import; >= 5 redraws/s.
"""
import argparse
import re
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, _free_port

COUNT_JS = """() => {
  window.__redraws = 0; window.__last = null;
  const read = () => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]
      .find(e => e.innerText.includes('Steps'));
    return m ? m.querySelector('[data-testid=stMetricValue]').innerText : null; };
  new MutationObserver(() => { const v = read(); if (v !== window.__last) { window.__redraws++; window.__last = v; } })
    .observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def torch_import_seconds() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--k", type=int, default=25, help="steps per tick")
    ap.add_argument("--shot", default=None, help="save a screenshot of the page after the run")
    ap.add_argument("--critics", default="none,clip,gp,sn", help="which discriminators the page trains")
    ap.add_argument("--dim", type=int, default=1, choices=(1, 2))
    a = ap.parse_args()
    t_torch = min(torch_import_seconds() for _ in range(2))
    port = _free_port()
    t0 = time.perf_counter()
    srv = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                            "--server.address", "127.0.0.1", "--server.port", str(port),
                            "--browser.gatherUsageStats", "false"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/discriminators?critics={a.critics}&dim={a.dim}",
                              wait_until="domcontentloaded")
                    break
                except Exception:
                    time.sleep(0.1)
            page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
            page.get_by_role("button", name=re.compile("Play$")).first.wait_for()
            t_ready = time.perf_counter() - t0
            page.locator("input[aria-label='Steps per tick']").fill(str(a.k))
            page.keyboard.press("Enter")
            page.wait_for_timeout(1500)
            page.evaluate(COUNT_JS)
            page.get_by_role("button", name=re.compile("Play$")).first.click()
            page.wait_for_timeout(2000)                      # let the fragment timer settle
            start, steps0 = page.evaluate("[window.__redraws, window.__last]")
            page.wait_for_timeout(a.seconds * 1000)
            redraws, steps1 = page.evaluate("[window.__redraws, window.__last]")
            redraws -= start
            steps = int(steps1.replace(",", "")) - int(steps0.replace(",", ""))
            if a.shot:
                page.screenshot(path=a.shot, full_page=True)
            browser.close()
    finally:
        srv.terminate()
        srv.wait(10)
    print(f"bare `import torch`:                 {t_torch:5.2f} s")
    print(f"streamlit run -> page interactive:   {t_ready:5.2f} s  ({t_ready - t_torch:4.2f} s after torch import)")
    print(f"live redraws while training:         {redraws / a.seconds:5.2f} /s  "
          f"({a.dim}-D, {a.critics}; up to {a.k} steps each per tick)")
    print(f"training steps per second, each:     {steps / a.seconds:5.0f}")


if __name__ == "__main__":
    main()
