"""A live tick's output must reach the browser before the next tick of the same fragment starts.

Streamlit keeps a session's outgoing messages in a queue that the server's event loop flushes to
the websocket, and when a run of a fragment starts it drops that fragment's messages still in the
queue (ForwardMsgQueue.clear on SCRIPT_STARTED: a new run replaces them) and marks the last run
"finished early for rerun". A tick whose next timer request was already waiting (it ran past its
period, or the request came while it drew) is followed at once by the next one, often before the
event loop has flushed: with 20 sessions on 2 cores the event loop gets a small share of the
GIL, and about half of each session's runs ended "finished early for rerun" (20-34 of 40-70 in
35 s), most of them ticks whose output the browser never got although the server had drawn it.
A stand-in with 6 busy threads (tests/test_live_delivery.py): 2-8 of 13-36 ticks seen.

So a tick ends by waiting, asleep (the GIL free for the event loop), until its session's queue has
been flushed, for at most a bound: the tick's work is then seen, and the wait is counted in the
tick's time like any other (ui.pace spaces redraws out when it grows).
"""
from __future__ import annotations

import threading
import time

POLL_S = 0.005          # the event loop's own flush period (streamlit.runtime MESSAGE_FLUSH_INTERVAL_SECS)


def _session():
    """This session's AppSession, or None outside a server (AppTest, scripts) or when
    Streamlit's internals moved (the wait is then skipped, as before it existed)."""
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        if ctx is None or not Runtime.exists():
            return None
        info = Runtime.instance()._session_mgr.get_session_info(ctx.session_id)
        session = info.session if info is not None else None
        queue, loop = getattr(session, "_browser_queue", None), getattr(session, "_event_loop", None)
        ok = callable(getattr(queue, "is_empty", None)) and callable(getattr(loop, "call_soon_threadsafe", None))
        return session if ok else None
    except Exception:  # noqa: BLE001 - an internal moved: no wait, never an error on the page
        return None


def wait_sent(most: float) -> float:
    """Sleep until this session's messages so far have left for the browser, `most` seconds at
    most. Returns the seconds waited.

    A message a script sends reaches the session's queue on the event loop's thread, by a
    callback (call_soon_threadsafe), not at once: so first a marker goes the same way, behind
    them, and once it has run they are all queued; then the queue must empty (the flush)."""
    session = _session()
    t0 = time.monotonic()
    if session is None:
        return 0.0
    queued = threading.Event()
    try:
        session._event_loop.call_soon_threadsafe(queued.set)
    except RuntimeError:            # the loop is closed: the server is stopping
        return 0.0
    queue = session._browser_queue
    if queued.wait(most):
        while not queue.is_empty() and time.monotonic() - t0 < most:
            time.sleep(POLL_S)
    return time.monotonic() - t0
