"""A live tick slower than its timer still shows in the browser (ui.pace's overrun rule). The
browser's timer asks for the next tick every period whatever happens, so a tick that takes
longer always ends with the next one already asked for, and the browser then shows nothing new:
in a class of 10-20 sessions on two workers the discriminator page's ticks took 1-3 s and it
showed no new step for 20 s while its runs trained. Here, in a real server and a real browser, a
stand-in run's snapshot takes 0.5 s on a 0.2 s timer: the period grows to fit and every tick's
step is seen (before: one value for 6 s)."""
from __future__ import annotations

from conftest import serve

APP = '''
import time

import streamlit as st

from ui.driver import live


class Slow:
    """A run whose snapshot takes 0.5 s, as a worker busy with a class's requests answers."""
    total = 10 ** 9

    def __init__(self):
        self.step = 0

    def advance(self, k):
        self.step += k

    def snapshot(self):
        time.sleep(0.5)
        return {"step": self.step}


st.session_state.setdefault("t.playing", True)
runs = st.session_state.setdefault("t.runs", {"slow": Slow()})
live("t", runs, lambda snaps: st.metric("Step", snaps["slow"]["step"]), k=1, every=0.2)
'''

SEEN_JS = r"""(() => {
  window.__seen = [];
  const watch = () => new MutationObserver(() => {
    const v = document.querySelector('[data-testid=stMetricValue]');
    const n = v ? parseInt(v.innerText) : NaN;
    if (!isNaN(n) && window.__seen[window.__seen.length - 1] !== n) window.__seen.push(n);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
  document.body ? watch() : addEventListener('DOMContentLoaded', watch);
})();"""


def test_every_slow_tick_reaches_the_browser(browser, tmp_path):
    app = tmp_path / "slow_tick.py"
    app.write_text(APP)
    with serve(tmp_path, script=str(app)) as url:
        ctx = browser.new_context()
        page = ctx.new_page()
        try:
            page.add_init_script(SEEN_JS)
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_function("window.__seen && window.__seen.length >= 2", timeout=120_000)
            page.wait_for_timeout(8000)
            seen = page.evaluate("window.__seen")
        finally:
            ctx.close()
    ticks = seen[-1] - seen[0] + 1            # one step per tick: the steps span every tick made
    assert ticks >= 6, seen                   # ~0.5-0.6 s a tick for 8 s
    assert len(seen) >= 0.8 * ticks, (len(seen), ticks, seen)
