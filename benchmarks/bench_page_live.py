"""How the discriminators page feels in a real browser: time from `streamlit run` to the page
being interactive (minus a bare `import torch`, which no page can avoid), and live redraws per
second while training (each redraw updates the Steps counter), and the training steps per
second each discriminator gets meanwhile.

    python -m benchmarks.bench_page_live [--seconds 10] [--k 25] [--starts 3] [--dim 1|2]

Start-up is timed as a user meets it: the browser is already open (`streamlit run` opens a tab
in it once the server answers), and the clock starts at `streamlit run`. "Interactive" means the
Steps counter, the live figure and Play are all on the page (a chart inside a closed expander is
drawn but folded away, so it does not count). The page itself notes that moment with a
requestAnimationFrame watcher, so Playwright's polling (0.2-0.3 s here) is not counted. Two
cases, each the median of `--starts` cold server starts: a browser that has never seen the app
(empty cache: it must fetch and compile Streamlit's 4.7 MB plotting bundle) and one that has
(cache and compiled code kept, as for anyone who opened GenLab before, e.g. an instructor who
rehearsed the demo).

Measured the same way, in the same run: `benchmarks/reference_app.py`, a bare Streamlit page with
two small Plotly charts and no torch, the floor for any Streamlit page with a plot here.

Needs Debian's chromium. Targets: <= 3 s after torch import; >= 5 redraws/s.
"""
import argparse
import re
import statistics
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, _free_port

REFERENCE = "benchmarks/reference_app.py"
READY_JS = """(() => { const plots = %d; const tick = () => {
  const steps = [...document.querySelectorAll('[data-testid=stMetric]')].some(e => e.innerText.includes('Steps'));
  const shown = [...document.querySelectorAll('.js-plotly-plot')].filter(e => e.offsetParent !== null
      && e.getBoundingClientRect().width > 0 && !e.closest('[data-testid=stExpander]')).length;
  const play = [...document.querySelectorAll('button')].some(b => /Play$/.test(b.innerText.trim()));
  if (steps && play && shown >= plots) { window.__ready = performance.timeOrigin + performance.now(); return; }
  requestAnimationFrame(tick); }; requestAnimationFrame(tick); })();"""

def count_js(metric: str) -> str:
    """Counts redraws in the page: each change of the st.metric whose text starts with `metric`."""
    return """() => {
  window.__redraws = 0; window.__last = null;
  const read = () => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]
      .find(e => e.innerText.startsWith('%s'));
    return m ? m.querySelector('[data-testid=stMetricValue]').innerText : null; };
  new MutationObserver(() => { const v = read(); if (v !== window.__last) { window.__redraws++; window.__last = v; } })
    .observe(document.body, {subtree: true, childList: true, characterData: true});
}""" % metric


COUNT_JS = count_js("Steps")

# Redraws of the figures themselves (a read-out can change while the figures below it do not:
# a tick's later deltas are dropped when the next tick starts before they went out). Every
# 100 ms, each chart's data (a hash of its traces' x, y, z and text) is compared with the last
# look. A chart is named by its Streamlit key (the element's st-key-* class), else its place.
FIGURES_JS = """() => {
  window.__figs = {};
  const hash = s => { let h = 0; for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h; };
  const sig = gd => hash(JSON.stringify((gd.data || []).map(t => [t.x, t.y, t.z, t.text])));
  const name = (gd, i) => { const k = gd.closest('[class*="st-key-"]');
    return k ? [...k.classList].find(c => c.startsWith('st-key-')).slice(7) : '#' + i; };
  const last = {};
  setInterval(() => { document.querySelectorAll('.js-plotly-plot').forEach((gd, i) => {
    const n = name(gd, i), s = sig(gd);
    if (last[n] !== undefined && s !== last[n]) window.__figs[n] = (window.__figs[n] || 0) + 1;
    last[n] = s; }); }, 100);
}"""


def torch_import_seconds() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - t


def wait_for_server(port: int, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return
        except OSError:
            if time.perf_counter() > end:
                raise
            time.sleep(0.05)


def serve(port: int, script: str = "app.py", env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(srv: subprocess.Popen) -> None:
    srv.terminate()
    srv.wait(10)


def start_up(page, port: int, url: str, script: str = "app.py") -> float:
    """Seconds from `streamlit run` to the page interactive, as the page itself saw it."""
    page.goto("about:blank")
    time.sleep(1.0)                        # the browser idle, as an open one would be
    t0 = time.time()
    srv = serve(port, script)
    try:
        wait_for_server(port)              # `streamlit run` opens its tab at this point
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_function("window.__ready", timeout=120_000, polling=200)
        return page.evaluate("window.__ready") / 1000 - t0
    finally:
        stop(srv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10, help="how long to count live redraws")
    ap.add_argument("--k", type=int, default=25, help="steps per tick")
    ap.add_argument("--starts", type=int, default=3, help="cold server starts per case")
    ap.add_argument("--shot", default=None, help="save a screenshot of the page after the run")
    ap.add_argument("--critics", default="none,clip,gp,sn", help="which discriminators the page trains")
    ap.add_argument("--dim", type=int, default=1, choices=(1, 2))
    a = ap.parse_args()
    t_torch = min(torch_import_seconds() for _ in range(2))
    port = _free_port()          # one port throughout: a browser caches per origin
    url = f"http://127.0.0.1:{port}/discriminator?critics={a.critics}&dim={a.dim}"
    ready_js = READY_JS % (2 if a.dim == 1 else 1)
    srv = None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        cold, bare = [], []
        for _ in range(a.starts):          # a fresh context each time: an empty cache
            for script, times, at, js in (("app.py", cold, url, ready_js),
                                          (REFERENCE, bare, f"http://127.0.0.1:{port}/", READY_JS % 2)):
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.add_init_script(js)
                times.append(start_up(ctx.new_page(), port, at, script))
                ctx.close()
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.add_init_script(ready_js)
        page = ctx.new_page()
        srv = serve(port)
        try:                               # two visits: Chromium keeps compiled code from the second
            wait_for_server(port)
            for _ in range(2):
                page.goto(url)
                page.wait_for_function("window.__ready", timeout=120_000, polling=200)
        finally:
            stop(srv)
        warm = [start_up(page, port, url) for _ in range(a.starts)]

        srv = serve(port)
        try:
            wait_for_server(port)
            page.goto(url)
            page.wait_for_function("window.__ready", timeout=120_000, polling=200)
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
        finally:
            stop(srv)
        browser.close()

    def line(name: str, times: list[float]) -> str:
        med = statistics.median(times)
        return (f"{name} {med:5.2f} s  ({med - t_torch:4.2f} s after torch import; "
                f"starts: {', '.join(f'{t:.2f}' for t in times)})")

    print(f"bare `import torch`:                 {t_torch:5.2f} s")
    print(line("streamlit run -> page interactive, browser cache empty:", cold))
    print(line("streamlit run -> page interactive, app seen before:    ", warm))
    print(f"plain reference (benchmarks/reference_app.py: no torch, two small Plotly charts), cache empty: "
          f"{statistics.median(bare):5.2f} s  (starts: {', '.join(f'{t:.2f}' for t in bare)}); "
          f"the page takes {statistics.median(cold) / statistics.median(bare):.2f}x, "
          f"{statistics.median(cold) - statistics.median(bare) - t_torch:+.2f} s beyond it and torch's import")
    print(f"live redraws while training:         {redraws / a.seconds:5.2f} /s  "
          f"({a.dim}-D, {a.critics}; up to {a.k} steps each per tick)")
    print(f"training steps per second, each:     {steps / a.seconds:5.0f}")


if __name__ == "__main__":
    main()
