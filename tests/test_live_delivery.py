"""A live tick slower than its timer still shows in the browser (ui.pace's overrun rule). The
browser's timer asks for the next tick every period whatever happens, so a tick that takes
longer always ends with the next one already asked for, and the browser then shows nothing new:
in a class of 10-20 sessions on two workers the discriminator page's ticks took 1-3 s and it
showed no new step for 20 s while its runs trained. Here, in a real server and a real browser, a
stand-in run's snapshot takes 0.5 s on a 0.2 s timer: the period grows to fit and every tick's
step is seen (before: one value for 6 s)."""
from __future__ import annotations

import functools
import time

import pytest

from conftest import serve
from ui import pace

APP = '''
import functools
import time

import pytest
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


def _values_seen(browser, tmp_path, name: str, script: str, seconds: float = 8.0) -> list[int]:
    """Serve `script` and return the distinct Step values a real browser showed in `seconds`."""
    app = tmp_path / name
    app.write_text(script)
    with serve(tmp_path, script=str(app)) as url:
        ctx = browser.new_context()
        page = ctx.new_page()
        try:
            page.add_init_script(SEEN_JS)
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_function("window.__seen && window.__seen.length >= 2", timeout=120_000)
            page.wait_for_timeout(seconds * 1000)
            return page.evaluate("window.__seen")
        finally:
            ctx.close()


def test_every_slow_tick_reaches_the_browser(browser, tmp_path):
    seen = _values_seen(browser, tmp_path, "slow_tick.py", APP)
    ticks = seen[-1] - seen[0] + 1            # one step per tick: the steps span every tick made
    assert ticks >= 6, seen                   # ~0.5-0.6 s a tick for 8 s
    assert len(seen) >= 0.8 * ticks, (len(seen), ticks, seen)


# ---- the rules (ui.pace), outside a server ------------------------------------------------------
class _Streamlit:
    def __init__(self):
        self.session_state = {}


def test_the_period_fits_the_tick_in_powers_of_two_of_the_pages_own():
    assert pace.period(0.2, 0.2, 0.1) == 0.2
    assert pace.period(0.2, 0.2, 0.5) == 0.8                 # 0.5 x 1.25 = 0.625: 0.4 is too short
    assert pace.period(0.2, 1.0, 0.1) == 0.8                 # the load rule alone
    assert pace.period(0.3, 0.3, 0.5) == 1.2
    assert pace.period(0.2, 0.2, 1.35) == 1.8                # 1.6 too short: the cap is a level of its own
    assert pace.period(0.2, 0.2, 60.0) == 1.8                # never beyond MAX_OVERRUN_EVERY
    assert pace.period(1.0, 1.0, 60.0) == 1.8                # a 1 s page too (its next power, 2 s, is past it)
    assert pace.period(0.2, 60.0, 0.1) == 1.8                # nor the load rule beyond MAX_EVERY
    assert pace.period(0.2, 50.0, 0.0) == pace.MAX_EVERY      # nor the load rule beyond MAX_EVERY


def test_one_slow_tick_is_ignored_and_fragment_reruns_back_to_back_double_the_period():
    clock = {}
    for t, seconds in ((10.0, 0.1), (11.0, 0.9), (12.0, 0.1)):
        got = pace.tick_time(clock, seconds, began=t, now_every=0.4)
        clock["ended_at"] = t + seconds
    assert got == 0.1                                        # the median of 0.1, 0.9, 0.1
    for t in (12.1005, 12.2015):                             # each began as the last one ended
        got = pace.tick_time(clock, 0.1, began=t, now_every=0.4)
        clock["ended_at"] = t + 0.1
    assert got == 0.4 and pace.period(0.2, 0.2, got) == 0.8
    for _ in range(3):                                       # a full run's ticks follow clicks: never waiting
        got = pace.tick_time(clock, 0.1, began=None, now_every=0.4)
    assert got == 0.1
    patient = dict(clock)
    assert pace.tick_time(patient, 0.9, began=None, now_every=0.4, patient=True) == 0.1   # a click's: not counted
    assert pace.tick_time(clock, 0.9, began=None, now_every=0.4) == 0.1                   # counted, one of three
    assert pace.tick_time(clock, 0.9, began=None, now_every=0.4) == 0.9


def test_alone_a_full_runs_slow_tick_does_not_set_the_period_and_of_two_ticks_the_lower_counts():
    clock = {}
    tick = functools.partial(pace.tick_time, clock, now_every=0.2, patient=True)
    assert tick(0.64, began=None) == 0.0           # nothing known yet: no rule
    assert tick(0.68, began=5.0) == 0.0            # one tick alone: not yet
    clock["ended_at"] = 5.68
    assert tick(0.1, began=6.0) == 0.1             # of two, the lower
    clock["ended_at"] = 6.1
    assert tick(0.7, began=7.0) == 0.68            # then the median of three
    crowded = {}                                   # in a crowded server the first slow tick counts
    assert pace.tick_time(crowded, 0.64, began=None, now_every=0.2) == 0.64


def test_the_period_grows_at_once_and_shrinks_only_later_with_room(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(pace.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(pace, "st", _Streamlit())
    ss = pace.st.session_state
    assert pace.should_respace("p", 0.2, 0.2, 0.2, 0.5) and ss["p.every_load"] == 0.8
    now[0] += 1.0
    assert not pace.should_respace("p", 0.2, 0.8, 0.2, 1.0)            # 1.6 wanted: not within GROW_S
    now[0] += pace.GROW_S
    assert pace.should_respace("p", 0.2, 0.8, 0.2, 1.0) and ss["p.every_load"] == 1.6
    now[0] += pace.GROW_S
    assert not pace.should_respace("p", 0.2, 1.6, 0.2, 0.1)            # shorter: only after RESPACE_S
    now[0] += pace.RESPACE_S
    assert not pace.should_respace("p", 0.2, 1.6, 0.2, 0.7)            # 0.8 fits 0.7 x 1.25, without room
    assert pace.should_respace("p", 0.2, 1.6, 0.2, 0.1) and ss["p.every_load"] == 0.2


# ---- a tick's output is flushed before the next tick can drop it (ui.delivery) -----------------
BUSY_APP = '''
import os
import threading
import time

import streamlit as st

from ui import delivery


def busy():
    while True:                  # pure Python: takes the GIL in 5 ms turns, as 20 sessions' ticks do
        sum(range(1000))


if not hasattr(threading, "_busy"):
    threading._busy = [threading.Thread(target=busy, daemon=True) for _ in range(6)]
    for t in threading._busy:
        t.start()
ss = st.session_state
ss.setdefault("n", 0)


@st.fragment(run_every=0.1)
def tick():
    time.sleep(0.2)              # past its timer: the next tick is asked for before this one ends
    ss["n"] += 1
    st.metric("Step", ss["n"])
    if os.environ.get("GENLAB_TEST_WAIT_SENT") == "1":
        delivery.wait_sent(0.5)


tick()
'''


@pytest.mark.parametrize("wait", [True, False])
def test_a_tick_followed_at_once_by_the_next_is_seen_only_when_it_waits_for_its_flush(
        browser, tmp_path, monkeypatch, wait):
    """Streamlit drops a fragment's messages still queued when its next run starts, and a
    message reaches the queue on the event loop's thread: with the GIL busy (here 6 threads; in
    a class, 20 sessions) the next tick, already asked for, starts first. Without the wait most
    ticks never reach the browser (seen here: 2 of 13, 3 of 19, 8 of 36); with it, every one."""
    monkeypatch.setenv("GENLAB_TEST_WAIT_SENT", "1" if wait else "0")
    seen = _values_seen(browser, tmp_path, "busy_tick.py", BUSY_APP)
    ticks = seen[-1] - seen[0] + 1
    assert ticks >= 8, seen
    if wait:
        assert len(seen) >= 0.9 * ticks, (len(seen), ticks, seen)
    else:                        # the loss this guards against (if Streamlit stops dropping, say so)
        assert len(seen) <= 0.6 * ticks, (len(seen), ticks, seen)


def test_outside_a_server_the_wait_is_nothing():
    from ui import delivery
    assert delivery.wait_sent(1.0) == 0.0


# ---- page runs first (ui.driver): whose full runs make the ticks give way -----------------------
def _full_run():
    import streamlit as st

    from ui import driver
    if st.session_state.get("respacing"):
        st.session_state["genlab.respacing"] = True       # as the tick sets it before st.rerun
    driver.begin_script_run()
    st.session_state["in_flight"] = driver._full_run_in_flight()
    driver.end_script_run()


@pytest.mark.parametrize("respacing", [False, True])
def test_a_click_or_a_join_makes_ticks_give_way_and_a_timer_re_arming_run_does_not(monkeypatch, respacing):
    from streamlit.testing.v1 import AppTest

    from ui import driver
    monkeypatch.setattr(driver, "_in_flight", {})
    at = AppTest.from_function(_full_run)
    at.session_state["respacing"] = respacing
    at.run()
    assert not at.exception
    assert at.session_state["in_flight"] is (not respacing)
    assert "genlab.respacing" not in at.session_state        # read once
    assert not driver._in_flight                              # and forgotten at the run's end


def test_a_tick_gives_way_for_its_slack_and_at_least_page_first_s(monkeypatch):
    from ui import driver
    assert driver.give_way_s(2.0, 0.4) == pytest.approx(2.0 - pace.OVERRUN * 0.4)
    assert driver.give_way_s(0.4, 0.6) == driver.PAGE_FIRST_S             # no slack: still gives way
    monkeypatch.setattr(driver, "_in_flight", {0: time.monotonic()})       # a page run in flight
    t0 = time.monotonic()
    waited = driver.page_runs_first(0.3)
    assert 0.3 <= waited < 0.6 and time.monotonic() - t0 >= 0.3
    monkeypatch.setattr(driver, "_in_flight", {})
    assert driver.page_runs_first(0.3) < 0.05


# ---- drawing slots (ui.driver): one tick draws at a time; a wait inside hands the slot on ------
def test_ticks_draw_one_at_a_time_in_turn_and_a_wait_inside_a_drawing_lets_the_next_draw():
    import threading

    from ui import driver
    assert driver.DRAW_SLOTS == 1                              # the default (GENLAB_DRAW_SLOTS)
    spans, lock = [], threading.Lock()

    def draw(name, hold, wait=0.0):
        with driver.drawing():
            t0 = time.monotonic()
            time.sleep(hold)
            if wait:
                with driver.off_the_slot():                    # a run's lock held by its trainer
                    time.sleep(wait)
            with lock:
                spans.append((name, t0, time.monotonic()))

    a = threading.Thread(target=draw, args=("a", 0.1, 0.6))
    a.start()
    time.sleep(0.05)
    b = threading.Thread(target=draw, args=("b", 0.2))
    b.start()
    a.join(5), b.join(5)
    (_, a0, a1), (_, b0, b1) = sorted(spans, key=lambda s: s[0])
    assert b0 >= a0 + 0.1 - 0.02                               # b waited for a's drawing...
    assert b0 < a0 + 0.1 + 0.3 and b1 < a1                    # ...but not for a's wait: it drew meanwhile
    c_spans = []

    def plain(name):
        with driver.drawing():
            t0 = time.monotonic()
            time.sleep(0.15)
            c_spans.append((t0, time.monotonic()))

    threads = [threading.Thread(target=plain, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    c_spans.sort()
    assert all(s1[0] >= s0[1] - 0.005 for s0, s1 in zip(c_spans, c_spans[1:]))   # never two at once


def test_off_the_slot_outside_a_drawing_changes_nothing():
    from ui import driver
    with driver.off_the_slot():                                # a full run's click: no slot held
        pass
    assert driver._draw_slot.acquire(timeout=1)                # the one slot is still there, once
    try:
        assert not driver._draw_slot.acquire(timeout=0.05)
    finally:
        driver._draw_slot.release()
