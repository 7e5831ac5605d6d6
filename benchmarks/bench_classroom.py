"""A lab session on one small server: N browser sessions each playing a page at once, on a real
`streamlit run app.py` (127.0.0.1 only). For each N:

- new page interactive: a fresh browser context (empty cache, as a student joining late) opens
  the discriminators page while the N play; seconds from the request until its Play button is
  enabled and its first live chart is drawn (the page notes that moment itself, from a
  requestAnimationFrame watcher). p50 and p95 over `--joins` joins.
- redraws/s per session: changes of the page's step read-out (each live tick that shows new
  numbers; the image page's "step N" caption), counted in the page by a MutationObserver.
- steps/s per session: that read-out's growth over `--seconds`; total steps/s over sessions.
  The pages' steps cost different amounts, so the "no collapse" target is judged on relative
  throughput: each session's steps/s over its page's steps/s alone on a fresh server (measured
  first, one page at a time), summed over sessions (1.0 = the work one session gets alone).
- memory: VmRSS (/proc/PID/status) of the server and, separately, of its child processes (a
  worker pool's workers, if GENLAB_WORKERS runs one); before any session (fresh, and idle after
  one session opened and closed a page, so torch and the page code are loaded), the most while
  playing, and `--after` seconds after every session closed. A fresh server per N.
- CPU: seconds of CPU used by the server tree and by the clients (this script's Chromium)
  while measuring; on 2 cores the clients compete with the server, so read redraws/s with it.

The clients: by default (`--clients websocket`, as the issue's own figures were taken: "websocket
clients plus one real browser") the first session of each class and every late joiner are real
headless Chromium pages (Debian's chromium, Playwright), and the other sessions speak Streamlit's
websocket protocol without a browser (benchmarks/stream_client.py: they press Play and tick the
live fragment at the period the server asks). With `--clients browser` every session is a tab; on
this 2-core machine that measures Chromium (20 tabs took 1.4 of the 2 cores, the server 0.5),
while in a class each student's browser runs on their own laptop. `--server-cpus` and
`--client-cpus` pin the server and the clients apart on a bigger machine.
The environment is passed through: with GENLAB_WORKERS set, the server trains in its pool.

    python -m benchmarks.bench_classroom [--sessions 1,5,10,20] [--seconds 30] [--joins 5]
                                         [--after 60] [--out classroom.json] [--quick]

Targets at N = 20: p95 interactive <= 5 s; every session >= 0.5 redraws/s; relative throughput
>= 0.8; server (+ workers) RSS a minute after all closed within 20% of idle.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

# tests.conftest sets GENLAB_WORKERS=0 for AppTest (training in the test process); the server this
# bench starts must see the caller's setting instead (unset: the pool's default, one per core).
_CALLER_WORKERS = os.environ.get("GENLAB_WORKERS")
from benchmarks.bench_page_live import serve, stop, wait_for_server  # noqa: E402
from benchmarks.stream_client import Sessions  # noqa: E402
from benchmarks.stream_client import sample as stream_sample  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, _free_port  # noqa: E402

if _CALLER_WORKERS is None:
    os.environ.pop("GENLAB_WORKERS", None)
else:
    os.environ["GENLAB_WORKERS"] = _CALLER_WORKERS

# The pages that train live, in the order sessions take them (each session a different page
# while N <= 10). Query strings raise short default budgets so Play never stops by itself in a
# run, and keep the image page at the tests' tiny size (it is a toy here, not a DCGAN run).
LIVE_PAGES = [
    ("discriminator", "steps=1000000"),
    ("mode_collapse", "steps=1000000"),
    ("disjoint", "steps=100000"),
    ("gan1d", "steps=1000000"),
    ("dirac_gan", "steps=100000"),
    ("vae", "steps=1000000"),
    ("robust_mean", "epochs=5000"),
    ("ebm", "steps=1000000"),
    ("sweep", "steps=1000000"),
    ("image_training", "width=8&batch=8&steps=100000&fd_samples=0"),
]
JOIN_PAGE = "discriminator"

# The step read-out: the first metric whose label starts like this, else the image page's caption.
COUNTER_JS = r"""(() => {
  const LABEL = /^(Steps?|Iterations|Theta steps|G steps|Generator steps)\b/;
  const num = t => { const m = (t || '').replace(/,/g, '').match(/\d+/); return m ? parseInt(m[0]) : null; };
  const read = () => {
    for (const m of document.querySelectorAll('[data-testid=stMetric]')) {
      if (LABEL.test(m.innerText.trim())) return num((m.querySelector('[data-testid=stMetricValue]') || m).innerText);
    }
    const cap = [...document.querySelectorAll('[data-testid=stCaptionContainer], [data-testid=stMarkdownContainer]')]
      .map(e => e.innerText.match(/\bstep (\d[\d,]*)/)).find(Boolean);
    return cap ? num(cap[1]) : null;
  };
  window.__bench = {changes: 0, value: null};
  const watch = () => new MutationObserver(() => { const v = read();
      if (v !== null && v !== window.__bench.value) { window.__bench.changes++; window.__bench.value = v; } })
    .observe(document.body, {subtree: true, childList: true, characterData: true});
  document.body ? watch() : addEventListener('DOMContentLoaded', watch);
})();"""
SAMPLE_JS = "() => ({...window.__bench, t: Date.now() / 1000, visible: document.visibilityState})"

# Interactive: Play enabled and a live chart drawn (not one folded in an expander).
READY_JS = """(() => { const tick = () => {
  const play = [...document.querySelectorAll('button')].some(b => /Play$/.test(b.innerText.trim()) && !b.disabled);
  const shown = [...document.querySelectorAll('.js-plotly-plot')].some(e => e.offsetParent !== null
      && e.getBoundingClientRect().width > 0 && !e.closest('[data-testid=stExpander]'));
  if (play && shown) { window.__ready = performance.timeOrigin + performance.now(); return; }
  requestAnimationFrame(tick); }; requestAnimationFrame(tick); })();"""
PLAY = re.compile(r"^(play_arrow)?\s*Play$")
PAUSE = re.compile(r"^(pause)?\s*Pause$")
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
VIEW = {"width": 1400, "height": 900}


# ---- /proc: memory and CPU of a process tree (psutil is not a dependency) -----------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(d))
    return kids


def descendants(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out += kids.get(p, [])
        todo += kids.get(p, [])
    return out


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in f[11:15])       # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


class Memory:
    """Samples the server's RSS and its children's once a second in a thread."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def now(self) -> tuple[float, float]:
        return rss_mb(self.pid), sum(rss_mb(p) for p in descendants(self.pid))

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(self.now())

    def peak(self) -> tuple[float, float]:
        self.samples.append(self.now())
        return max(s for s, _ in self.samples), max(w for _, w in self.samples)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# ---- sessions ---------------------------------------------------------------------------------
def url_of(base: str, stem: str, query: str) -> str:
    return f"{base}/{stem}?{query}" if query else f"{base}/{stem}"


def open_session(browser, base: str, stem: str, query: str, play: bool = True):
    ctx = browser.new_context(viewport=VIEW)
    ctx.add_init_script(COUNTER_JS)
    page = ctx.new_page()
    page.goto(url_of(base, stem, query), wait_until="domcontentloaded", timeout=300_000)
    button = page.get_by_role("button", name=PLAY).first
    button.wait_for(timeout=300_000)
    if play:
        button.click(timeout=300_000)
        page.get_by_role("button", name=PAUSE).first.wait_for(timeout=300_000)
    return ctx, page


def join_seconds(browser, base: str) -> float:
    """A fresh context (empty cache) opening the join page: seconds to interactive."""
    ctx = browser.new_context(viewport=VIEW)
    ctx.add_init_script(READY_JS)
    page = ctx.new_page()
    try:
        t0 = time.time()
        page.goto(url_of(base, JOIN_PAGE, ""), wait_until="commit", timeout=300_000)
        page.wait_for_function("window.__ready", timeout=300_000, polling=250)
        return page.evaluate("window.__ready") / 1000 - t0
    finally:
        ctx.close()


class Tab:
    """A session in a real browser tab (Playwright)."""

    kind = "browser"

    def __init__(self, browser, base: str, stem: str, query: str, play: bool = True):
        self.ctx, self.page = open_session(browser, base, stem, query, play)

    def sample(self) -> dict:
        return self.page.evaluate(SAMPLE_JS)

    def state(self) -> dict:
        return {"visible": self.page.evaluate("document.visibilityState"),
                "playing": self.page.get_by_role("button", name=PAUSE).count() > 0,
                "errors": [e.inner_text()[:200] for e in self.page.query_selector_all(ERRORS)]}

    def close(self) -> None:
        self.ctx.close()


class Socket:
    """A session over Streamlit's websocket protocol, no browser (benchmarks/stream_client.py)."""

    kind = "websocket"

    def __init__(self, clients: Sessions, stem: str, query: str, play: bool = True):
        self.clients, self.s = clients, clients.open(stem, query, play)

    def sample(self) -> dict:
        return stream_sample(self.s)

    def state(self) -> dict:
        return {"visible": "visible", "playing": self.s.label == "Pause" and not self.s.closed,
                "errors": list(self.s.errors)}

    def close(self) -> None:
        self.clients.close(self.s)


def session(browser, clients: Sessions | None, base: str, stem: str, query: str, first: bool):
    """The first session of a class (or every one with --clients browser) in a browser tab,
    the others over the websocket protocol."""
    return Tab(browser, base, stem, query) if clients is None or first else Socket(clients, stem, query)


def measure(probes: list, seconds: float) -> list[dict]:
    """Each session's step read-out and redraw count over `seconds` of Play."""
    first = [p.sample() for p in probes]
    time.sleep(seconds)
    out = []
    for p, a in zip(probes, first):
        b = p.sample()
        dt = b["t"] - a["t"]
        steps = None if a["value"] is None or b["value"] is None else (b["value"] - a["value"]) / dt
        out.append({"redraws_s": (b["changes"] - a["changes"]) / dt, "steps_s": steps, "client": p.kind, **p.state()})
    return out


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile: p95 of 5 joins is their slowest."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, -(-len(s) * q // 100) - 1))] if s else float("nan")


def fresh_server(a) -> tuple:
    port = _free_port()
    mine = os.sched_getaffinity(0)
    if a.server_cpus:             # inherited at fork by the server and every thread it starts
        os.sched_setaffinity(0, a.server_cpus)
    try:
        srv = serve(port)
    finally:
        os.sched_setaffinity(0, mine)
    wait_for_server(port, timeout=120)
    return srv, f"http://127.0.0.1:{port}"


def warm_idle(browser, base: str, srv, settle: float) -> tuple[float, float]:
    """Server RSS after one session opened the join page and closed (torch and pages loaded)."""
    ctx, _ = open_session(browser, base, JOIN_PAGE, "", play=False)
    ctx.close()
    time.sleep(settle)
    return rss_mb(srv.pid), sum(rss_mb(p) for p in descendants(srv.pid))


def clients_for(a, base: str) -> Sessions | None:
    return Sessions(int(base.rsplit(":", 1)[1])) if a.clients == "websocket" else None


def solo_rates(browser, a, stems: list[tuple[str, str]]) -> dict[str, float]:
    """Each page's steps/s alone on a fresh server, by the client that plays it in a class:
    the reference for relative throughput."""
    srv, base = fresh_server(a)
    clients = clients_for(a, base)
    rates = {}
    try:
        warm_idle(browser, base, srv, 0)     # as each N starts: torch and the page code loaded
        for i, (stem, query) in enumerate(stems):
            probe = session(browser, clients, base, stem, query, first=i == 0)
            time.sleep(a.settle)
            rates[stem] = measure([probe], a.solo_seconds)[0]["steps_s"]
            probe.close()
            print(f"  alone: {stem:15s} {rates[stem] or 0:8.1f} steps/s ({probe.kind})", flush=True)
    finally:
        if clients:
            clients.stop()
        stop(srv)
    return rates


def level(browser, a, n: int, solo: dict[str, float]) -> dict:
    srv, base = fresh_server(a)
    mem, load, sockets = None, [os.getloadavg()[0]], clients_for(a, base)
    try:
        fresh = rss_mb(srv.pid)
        idle, idle_workers = warm_idle(browser, base, srv, a.settle)
        mem = Memory(srv.pid)
        plan = [LIVE_PAGES[i % len(LIVE_PAGES)] for i in range(n)]
        sessions = []
        t_open = time.time()
        for i, (stem, query) in enumerate(plan):
            sessions.append(session(browser, sockets, base, stem, query, first=i == 0))
        t_open = time.time() - t_open
        time.sleep(a.settle)
        # The clients' CPU: the browser's processes, and this process when it speaks the protocol.
        clients = [p for p in descendants(os.getpid()) if p != srv.pid and p not in descendants(srv.pid)]
        clients += [os.getpid()] if sockets else []
        server_tree = [srv.pid, *descendants(srv.pid)]
        c0, s0, t0 = cpu_s(clients), cpu_s(server_tree), time.time()
        per = measure(sessions, a.seconds)
        cpu = {"server_s": cpu_s(server_tree) - s0, "clients_s": cpu_s(clients) - c0, "wall_s": time.time() - t0}
        load.append(os.getloadavg()[0])        # other work on the machine shows here
        joins = [join_seconds(browser, base) for _ in range(a.joins)]
        peak, peak_workers = mem.peak()
        for probe in sessions:
            probe.close()
        time.sleep(a.after)
        after, after_workers = rss_mb(srv.pid), sum(rss_mb(p) for p in descendants(srv.pid))
    finally:
        if mem:
            mem.close()
        if sockets:
            sockets.stop()
        stop(srv)
    for (stem, _), s in zip(plan, per):
        s["page"] = stem
        s["relative"] = (s["steps_s"] or 0) / solo[stem] if solo.get(stem) else None
    rel = [s["relative"] for s in per if s["relative"] is not None]
    return {"sessions": n, "open_all_s": t_open, "load_average": load, "joins_s": joins, "join_p50": statistics.median(joins),
            "join_p95": pct(joins, 95), "per_session": per,
            "redraws_min": min(s["redraws_s"] for s in per), "redraws_median": statistics.median(s["redraws_s"] for s in per),
            "steps_total": sum(s["steps_s"] or 0 for s in per), "relative_total": sum(rel) if rel else None,
            "memory_mb": {"fresh": fresh, "idle": idle, "idle_workers": idle_workers, "peak": peak,
                          "peak_workers": peak_workers, "after": after, "after_workers": after_workers,
                          "after_wait_s": a.after},
            "cpu": cpu}


def table(levels: list[dict]) -> str:
    head = (f"{'N':>3} | {'interactive p50/p95 s':>21} | {'redraws/s min/median':>20} | {'steps/s each (median)':>21} | "
            f"{'total steps/s':>13} | {'relative':>8} | {'server MB idle/peak/after':>25} | {'workers MB peak/after':>21} | "
            f"{'CPU server/clients':>18}")
    rows = [head, "-" * len(head)]
    for r in levels:
        m, c = r["memory_mb"], r["cpu"]
        each = statistics.median(s["steps_s"] or 0 for s in r["per_session"])
        rel = "n/a" if r["relative_total"] is None else f"{r['relative_total']:.2f}"
        rows.append(f"{r['sessions']:>3} | {r['join_p50']:9.1f} / {r['join_p95']:9.1f} | {r['redraws_min']:8.2f} / "
                    f"{r['redraws_median']:9.2f} | {each:21.1f} | {r['steps_total']:13.1f} | {rel:>8} | "
                    f"{m['idle']:7.0f} /{m['peak']:7.0f} /{m['after']:7.0f} | {m['peak_workers']:9.0f} /{m['after_workers']:9.0f} | "
                    f"{c['server_s'] / c['wall_s']:7.2f} /{c['clients_s'] / c['wall_s']:6.2f} cores")
    return "\n".join(rows)


def verdicts(r: dict) -> list[str]:
    m = r["memory_mb"]
    idle, after = m["idle"] + m["idle_workers"], m["after"] + m["after_workers"]
    rel = r["relative_total"]
    return [f"p95 interactive {r['join_p95']:.1f} s <= 5 s: {'PASS' if r['join_p95'] <= 5 else 'FAIL'}",
            f"every session >= 0.5 redraws/s (min {r['redraws_min']:.2f}): {'PASS' if r['redraws_min'] >= 0.5 else 'FAIL'}",
            f"relative throughput >= 0.8 ({'n/a' if rel is None else f'{rel:.2f}'}): "
            f"{'n/a' if rel is None else 'PASS' if rel >= 0.8 else 'FAIL'}",
            f"memory {m['after_wait_s']:.0f} s after all closed within 20% of idle ({after:.0f} vs {idle:.0f} MB): "
            f"{'PASS' if after <= 1.2 * idle else 'FAIL'}"]


def cpus(text: str | None) -> set[int] | None:
    if not text:
        return None
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", default="1,5,10,20", help="comma-separated N")
    ap.add_argument("--seconds", type=float, default=30, help="seconds of Play measured per N")
    ap.add_argument("--joins", type=int, default=5, help="late joins timed per N")
    ap.add_argument("--after", type=float, default=60, help="seconds after all closed before memory is read")
    ap.add_argument("--settle", type=float, default=5, help="seconds of Play before measuring")
    ap.add_argument("--solo-seconds", type=float, default=15, help="seconds per page alone (relative throughput)")
    ap.add_argument("--no-solo", action="store_true", help="skip the pages-alone reference")
    ap.add_argument("--server-cpus", type=cpus, default=None, help="pin the server, e.g. 0,1")
    ap.add_argument("--client-cpus", type=cpus, default=None, help="pin the browser, e.g. 2-7")
    ap.add_argument("--clients", choices=["websocket", "browser"], default="websocket",
                    help="websocket: the first session of each class in a browser tab, the others over Streamlit's "
                         "protocol without a browser (as the issue measured); browser: every session a tab")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    ap.add_argument("--quick", action="store_true", help="N = 1,3, short windows: checks the bench works")
    a = ap.parse_args()
    if a.quick:
        a.sessions, a.seconds, a.joins, a.after, a.settle, a.solo_seconds = "1,3", 8, 2, 15, 5, 8
    ns = [int(n) for n in a.sessions.split(",")]
    workers = os.environ.get("GENLAB_WORKERS")
    pool = (workers or "").strip() != "0"
    print(f"GENLAB_WORKERS={workers!r} ({'a worker pool' if pool else 'training inside the server'}); clients: {a.clients}; "
          f"{os.cpu_count()} CPUs; server pinned to {sorted(a.server_cpus) if a.server_cpus else 'any'}, "
          f"clients to {sorted(a.client_cpus) if a.client_cpus else 'any'}; load average {os.getloadavg()[0]:.2f}",
          flush=True)
    if a.client_cpus:
        os.sched_setaffinity(0, a.client_cpus)         # Playwright's driver and Chromium inherit it
    stems = [LIVE_PAGES[i] for i in range(min(max(ns), len(LIVE_PAGES)))]
    results = {"genlab_workers": workers, "cpus": os.cpu_count(), "args": {k: (sorted(v) if isinstance(v, set) else v)
                                                                          for k, v in vars(a).items()}, "levels": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        solo = {} if a.no_solo else solo_rates(browser, a, stems)
        results["solo_steps_s"] = solo
        for n in ns:
            print(f"N = {n} ...", flush=True)
            r = level(browser, a, n, solo)
            results["levels"].append(r)
            for s in r["per_session"]:
                flag = "" if s["playing"] and not s["errors"] and s["visible"] == "visible" else \
                    f"  <- playing={s['playing']} visible={s['visible']} errors={s['errors']}"
                rel = "" if s["relative"] is None else f" ({s['relative']:.2f} of alone)"
                print(f"  {s['page']:15s} {s['client']:9s} {s['redraws_s']:5.2f} redraws/s {s['steps_s'] or 0:8.1f} steps/s{rel}{flag}",
                      flush=True)
            print(f"  joins: {', '.join(f'{t:.1f}' for t in r['joins_s'])} s; all {n} opened in {r['open_all_s']:.0f} s; "
                  f"load average {r['load_average'][0]:.1f} at the start, {r['load_average'][1]:.1f} while measuring",
                  flush=True)
        browser.close()
    print()
    print(table(results["levels"]))
    last = results["levels"][-1]
    print(f"\nTargets at N = {last['sessions']} (the issue's are at N = 20):")
    for v in verdicts(last):
        print("  " + v)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=1))
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
