"""Runs in the worker pool (lab.pool), as the page sees them: built from a page's `Build`, played
and paused by the live driver, and, when their worker died, one line with a Restart button.

With GENLAB_WORKERS=0 (or a page whose `make` returns a run, not a Build) runs stay in the server
process exactly as before; everything here then does nothing.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any

import streamlit as st

log = logging.getLogger("genlab")


def session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "local"


def materialise(made: Any) -> Any:
    """A page's `make(name, cfg)` result as a run: a Build goes to the pool when it is on (a
    RemoteRun), or is called here; anything else is already a run."""
    from lab.pool import Build, RemoteRun, get_pool
    if not isinstance(made, Build):
        return made
    pool = get_pool()
    return made() if pool is None else RemoteRun(pool, made, session_id())


def materialise_all(made: dict[str, Any]) -> dict[str, Any]:
    """`materialise` for several runs at once; each value is the run, or the exception its build
    raised. Their Builds go to the pool together: its connection pipelines them, so the worker
    builds them back to back instead of waiting a round trip each (the discriminators page's five
    critics took 0.4-0.6 s of a late join's first run, one after another, with 20 sessions playing)."""
    from concurrent.futures import ThreadPoolExecutor

    from lab.pool import Build, RemoteRun, get_pool
    pool = get_pool()
    builds = {name: m for name, m in made.items() if isinstance(m, Build)}
    if pool is None or len(builds) < 2:
        return {name: _outcome(materialise, m) for name, m in made.items()}
    session = session_id()               # read here: the helper threads have no script context
    with ThreadPoolExecutor(len(builds), thread_name_prefix="genlab-build") as ex:
        asked = {name: ex.submit(RemoteRun, pool, m, session) for name, m in builds.items()}
    return {name: _outcome(asked[name].result) if name in asked else m for name, m in made.items()}


def _outcome(call, *args) -> Any:
    try:
        return call(*args)
    except Exception as err:       # noqa: BLE001 -- handed to the caller, which raises or shows it
        return err


def connected(session: str) -> bool:
    """Whether a browser session still has its websocket (Streamlit's runtime; thread-safe).
    Outside a server (AppTest, scripts) every session counts as connected."""
    from streamlit import runtime
    if not session or session == "local" or not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session)


def warm() -> None:
    """Start the training processes (when on) at the first page run: each imports torch for a
    few seconds, in parallel with the page; and set aside the runs of closed tabs."""
    from lab.pool import get_pool
    pool = get_pool()
    if pool is not None:
        pool.watch(connected)
        pool.warm()


def is_remote(run: Any) -> bool:
    from lab.pool import RemoteRun
    return isinstance(run, RemoteRun)


def lost_line(runs: dict[str, Any]) -> str:
    return next((r.lost for r in runs.values() if is_remote(r) and r.lost), "")


def offer_restart(ns: str, runs: dict[str, Any]) -> None:
    """When a run's worker died: the one line and a Restart button (nothing else of the live
    part: its numbers are gone with the process). Restart rebuilds it from its last saved state."""
    from lab.config import ConfigError
    from ui import plain
    from ui.transport import pause
    line = lost_line(runs)
    if not line:
        return
    pause(ns)
    if st.button("Restart", key=f"{ns}.restart_lost", icon=":material/restart_alt:", type="primary"):
        try:
            for run in runs.values():
                if is_remote(run) and run.lost:
                    run.restart()
        except ConfigError as err:          # a cap reached: say so
            st.error(plain(err), icon=":material/error:")
            st.stop()
        except Exception as err:  # noqa: BLE001 - the new worker failed too: one line, the trace in the log
            log.exception("GenLab restart failed on %s", ns)
            st.error(plain(f"Restart failed: {type(err).__name__}: {err}"[:400]), icon=":material/error:")
            st.stop()
        st.rerun()
    st.error(plain(line), icon=":material/error:")
    st.stop()


@contextlib.contextmanager
def guard():
    """Around a page: a worker lost in the middle of the page's own code (not in the driver)
    shows its one line, never a traceback; the next run offers Restart."""
    from lab.pool import WorkerLost
    from ui import plain
    try:
        yield
    except WorkerLost as err:
        st.error(plain(err), icon=":material/error:")


def pause_unwatched() -> None:
    """At the end of a session's newest full run: its runs on pages it no longer shows pause now.
    In the server a page left stops training at once (its fragment is gone); in a worker a run
    would go on until the heartbeat pause (GENLAB_IDLE_S), taking a share from everyone. Coming
    back with Play still on plays it again. A run's error here is left for its page to show."""
    from ui.driver import is_newest_run, watched
    shown = watched()
    ss = st.session_state
    if shown is None or not is_newest_run():
        return
    ss["genlab.watched"] = frozenset(shown)
    for key in [k for k in list(ss) if k.endswith(".remote_on")]:
        ns = key[: -len(".remote_on")]
        was = ss.get(key) or set()
        if ns in shown or not was:
            continue
        runs = ss.get(f"{ns}.runs", {})
        for name in list(was):
            run = runs.get(name)
            try:
                if run is not None and is_remote(run) and not run.lost:
                    run.pause()
            except Exception:  # noqa: BLE001 - a lost worker: its page says so when opened again
                log.info("GenLab: pausing %s/%s on leaving its page failed", ns, name, exc_info=True)
            was.discard(name)


def steer(ns: str, runs: dict[str, Any], on: bool, rate: float, ahead: float = 0.0) -> dict[str, dict]:
    """Tell the workers to train (at up to `rate` steps/s) or pause; each run's status. A tick
    of a page the session has left (still in flight when the new page ran) never plays.
    `ahead`: how old a snapshot asked for ahead may be while playing (RemoteRun.snapshot)."""
    remote = {n: r for n, r in runs.items() if is_remote(r)}
    was = st.session_state.setdefault(f"{ns}.remote_on", set())
    on = on and ns in st.session_state.get("genlab.watched", {ns})
    out = {}
    for name, run in remote.items():
        run.look_ahead = ahead if on else 0.0
        if on and run.step < run.total:
            out[name] = run.play(rate)
            was.add(name)
        elif name in was:
            out[name] = run.pause()
            was.discard(name)
        else:
            out[name] = run.status()          # also the heartbeat
    return out


def stopped_line(statuses: dict[str, dict]) -> str:
    """Why a run's training stopped in its worker (RemoteRun.play: a diverged loss, a device out
    of memory), or ''."""
    return next((s["error"] for s in statuses.values() if s.get("error") and not s.get("playing")), "")


def share_line(statuses: dict[str, dict]) -> str:
    """'N sessions training on this server: your share ~x steps/s' when N > 1, else ''."""
    from lab.pool import get_pool
    pool = get_pool()
    if pool is None or not statuses:
        return ""
    n = pool.sessions_playing()
    rates = [s["steps_per_s"] for s in statuses.values() if s.get("playing")]
    if n <= 1 or not rates:
        return ""
    return f"{n} sessions training on this server: your share ~{sum(rates) / len(rates):,.0f} steps/s"
