"""How often a live page redraws: its fragment timer's period (ui.driver.live).

Two rules set it, and the longer wins:
- Load: when the server's playing sessions together would spend more than DRAW_SHARE of the
  cores drawing, each one's redraws space out (training in the workers keeps its share; drawing
  alone slows), up to MAX_EVERY. Read on a tick's CPU time, not its wall time: under load the
  wall time counts the wait for the GIL and the cores, and a period built on it fed back on
  itself (20 sessions on 2 cores: 30 s between redraws, the pages looked frozen).
- Overrun: a tick should end within its period. The browser's timer asks for the next tick
  every period whatever happens; a tick that takes longer ends with the next one asked for, and
  the next starts at once. Streamlit then dropped the first one's output if it was still queued
  (a stand-in run whose snapshot takes 0.5 s on a 0.2 s timer showed one value for 6 s; in a
  class the discriminator page showed no new step for 20 s). Since a tick waits for its output
  to leave (ui.delivery) a tick past its period is seen too, so this rule only keeps a page's
  script thread free between ticks (for clicks) up to MAX_OVERRUN_EVERY: beyond it, slower ticks
  run back to back. (Up to 8 s, at 20 sessions the slowest pages redrew every 4-8 s: min 0.15-
  0.20 redraws/s; with 2 s, 0.43-0.50.) The period is at least OVERRUN times the tick's own time
  (the median of its last three ticks, so that one slow tick does not slow the page for
  RESPACE_S). Time the tick cannot see counts too (the script runner's start under a GIL
  shared with 20 sessions): when two of the last three ticks began as the one before ended
  (the next request was already waiting), the period doubles.
A new period needs a full rerun (to re-arm the browser's timer), so it moves in powers of 2 of
the page's own period; it lengthens at most every GROW_S and shortens at most every RESPACE_S.
"""
from __future__ import annotations

import os
import time

import streamlit as st

DRAW_SHARE = 0.5        # of the machine's cores the server's drawing may take before redraws slow down
MAX_EVERY = 1.8         # s: load never spaces redraws further (0.56 redraws/s: the classroom's floor of 0.5, with room)
MAX_OVERRUN_EVERY = MAX_EVERY  # s: the longest period a slow tick is given (longer ticks run back to back)
OVERRUN = 1.25          # a tick's own time x this must fit in its period
GROW_S = 6.0            # s between two lengthenings of a page's period
RESPACE_S = 15.0        # s between a change of the period and a shortening
SHRINK_ROOM = 1.6       # a shorter period must fit this many times the tick's time x OVERRUN
BACK_TO_BACK_S = 0.03   # s: a tick that began this soon after the last one ended was waiting
AHEAD = 1.5             # a snapshot asked for ahead may be this many periods old (RemoteRun.snapshot)


def load_every(every: float, draw_cpu: float) -> float:
    """The period the load rule asks for: `draw_cpu` is one tick's drawing CPU time."""
    from lab.pool import get_pool
    pool = get_pool()
    n = pool.sessions_playing() if pool is not None else 1
    need = n * draw_cpu / (DRAW_SHARE * (os.cpu_count() or 1))
    return round(min(max(every, need), max(every, MAX_EVERY)), 1)


def uncrowded() -> bool:
    """Every playing session has a worker of its own (or training is in the server: one session's
    view of it)."""
    from lab.pool import get_pool
    pool = get_pool()
    return pool is None or pool.sessions_playing() <= pool.n


def look_ahead(now_every: float, calm: bool) -> float:
    """How old a snapshot asked for a tick ahead may be (RemoteRun.snapshot), 0 for none. Only
    while every playing session has a worker of its own: alone, the 256-member sweep went from
    0.60-0.95 to 1.25-2.03 redraws/s with it; at 20 sessions on 2 workers, with it on for all,
    redraws fell (min/median 0.15/0.32-0.40 against 0.20/0.60 at stop 26) and joins slowed
    (p95 8.3-9.4 s against 7.0), a cause not yet found (see issue 19's note). `calm`: uncrowded()."""
    from lab.pool import get_pool
    if get_pool() is None or now_every > MAX_EVERY or not calm:
        return 0.0
    return AHEAD * now_every


def tick_time(clock: dict, seconds: float, began: float | None, now_every: float,
              patient: bool = False) -> float:
    """Note one tick: its own time (its wall time less what it gave way to page runs and what
    the server trains to fill its period) and when it `began` (time.monotonic(); None for a full
    run's tick, which a click started, not the timer). Returns the time the period must fit: the
    median of the last three ticks, or the period itself when two of the last three fragment
    reruns began back to back (their period is too short, whatever they measured).
    `patient` (the session has a worker of its own: `uncrowded`): a full run's tick is not
    counted, it carries a click's one-off work (Play's first, waited-for snapshot: 0.64 s on the
    256-member sweep, whose fragment ticks then took 0.08-0.3 s), and on its own it set that
    page's period to 1.6 s for RESPACE_S; nor is one fragment tick alone (the first after Play
    took 0.68 s there: the worker's first steps); of two, the lower. In a crowded server slow
    ticks are the rule: there it is stop 26's rule, the one measured with 20 sessions."""
    count = began is not None or not patient
    last = (clock.get("ticks") or [])[-2 if count else -3:] + ([seconds] if count else [])
    waiting = (clock.get("back_to_back") or [])[-2:] + [
        began is not None and began - clock.get("ended_at", -1e9) < BACK_TO_BACK_S]
    clock["ticks"], clock["back_to_back"] = last, waiting
    if patient:
        median = sorted(last)[(len(last) - 1) // 2] if len(last) >= 2 else 0.0
    else:
        median = sorted(last)[len(last) // 2]
    return max(median, now_every) if sum(waiting) >= 2 else median


def period(every: float, load: float, tick: float) -> float:
    """`every` x a power of 2: near the load rule's period (at most MAX_EVERY), then doubled
    until a tick of `tick` seconds fits with room to spare (at most MAX_OVERRUN_EVERY); either
    cap is a level of its own (1.8 s after 1.6 s, or after 1 s for a 1 s page)."""
    level = every
    while level * 2 <= load * 1.2 and level < MAX_EVERY:
        level *= 2
    level = min(level, max(every, MAX_EVERY))
    while level < tick * OVERRUN and level < MAX_OVERRUN_EVERY:
        level = min(level * 2, MAX_OVERRUN_EVERY)
    return round(level, 1)


def should_respace(ns: str, every: float, now_every: float, load: float, tick: float) -> bool:
    """Whether to re-arm the fragment's timer (a full rerun) for a new period (kept in
    st.session_state[f"{ns}.every_load"]). A full rerun costs a page's whole script and a
    waiting tick of every other session (ui.driver.page_runs_first): on a noisy estimate a x1.5
    rule re-armed it every 5 s, the period flipping between nearby values (0.4, 0.6, 0.8 s
    seen at 20 sessions); hence powers of 2 and the two waits."""
    ss = st.session_state
    level = period(every, load, tick)
    if level < now_every and period(every, load, tick * SHRINK_ROOM) >= now_every:
        return False              # only with room to spare: no flipping between two periods
    wait = GROW_S if level > now_every else RESPACE_S
    if abs(level - now_every) > 1e-6 and time.monotonic() - ss.get(f"{ns}.respaced", 0.0) > wait:
        ss[f"{ns}.respaced"] = time.monotonic()
        ss[f"{ns}.every_load"] = level
        return True
    return False


def now_every(ns: str, every: float) -> float:
    """The page's period now: its own, or the one a respacing set."""
    return max(every, st.session_state.get(f"{ns}.every_load", every))
