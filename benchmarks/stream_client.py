"""Streamlit sessions without a browser: the websocket protocol a browser tab speaks (protobuf
BackMsg / ForwardMsg on /_stcore/stream), enough to open a page, press its Play button and keep
its live fragment ticking at the period the server asks for (`auto_rerun`), as the frontend's
timer does. Many of them run in one thread, at a small fraction of a core: on a 2-core machine a
class of real Chromium tabs measures Chromium (20 tabs took 1.4 of the 2 cores, the server 0.5),
while the students' browsers run on their own laptops. The classroom bench uses these for the
background sessions and real browsers for the late joiners, as the issue's own figures did
("websocket clients plus one real browser").

A redraw is counted, as in the browser, when the page's step read-out shows a new value.
"""
from __future__ import annotations

import asyncio
import re
import threading
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

LABEL = re.compile(r"^(Steps?|Iterations|Theta steps|G steps|Generator steps)\b")
CAPTION = re.compile(r"\bstep (\d[\d,]*)")
DIGITS = re.compile(r"\d+")
FRAGMENT_DONE = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


class Session:
    """One browser-less session of page `stem` (its URL query `query`)."""

    def __init__(self, port: int, stem: str, query: str):
        self.port, self.stem, self.query = port, stem, query
        self.page_hash = ""
        self.play_id, self.label = "", ""          # the transport's primary button: "Play" / "Pause"
        self.value: int | None = None              # the step read-out
        self.changes = 0
        self.full_runs = 0
        self.has_metric = False          # the page has a step metric: its text is not the read-out
        self.errors: list[str] = []
        self.auto: tuple[float, str] | None = None     # (interval, fragment id) while the server asks
        self.busy = False                          # a run of ours in flight
        self.ready = threading.Event()             # playing (or failed)
        self.closed = False
        self.ws = None

    # ---- messages -----------------------------------------------------------------------------
    def _seen(self, text: str) -> None:
        m = DIGITS.search(text.replace(",", ""))
        if m is not None and int(m.group(0)) != self.value:
            self.value = int(m.group(0))
            self.changes += 1

    def on(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "navigation":           # the page being run (the address bar's page)
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":  # the page rewrote its address: a browser sends it back
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            what = el.WhichOneof("type")
            if what == "button" and el.button.type == "primary" and el.button.label in ("Play", "Pause"):
                if self.play_id in ("", el.button.id):     # the page's first (a browser clicks .first)
                    self.play_id, self.label = el.button.id, el.button.label
            elif what == "metric" and LABEL.match(el.metric.label.strip()):
                self.has_metric = True
                self._seen(el.metric.body)
            elif what in ("markdown", "imgs", "progress") and not self.has_metric:
                # the image page: "step N" under its samples. Only on a page without a step metric,
                # as the browser's COUNTER_JS reads it: a page's text may say "step 3000" (seen on
                # mode collapse: its read-out fell back to 3000 at each full run)
                text = (el.markdown.body if what == "markdown" else el.progress.text if what == "progress"
                        else " ".join(i.caption for i in el.imgs.imgs))
                m = CAPTION.search(text)
                if m:
                    self._seen(m.group(1))
            elif what == "exception":
                self.errors.append(el.exception.message[:200])
            elif what == "alert" and el.alert.format == 1:          # ERROR
                self.errors.append(el.alert.body[:200])
        elif kind == "auto_rerun":
            self.auto = (msg.auto_rerun.interval, msg.auto_rerun.fragment_id)
        elif kind == "stop_auto_rerun":
            self.auto = None
        elif kind == "script_finished":
            self.busy = False
            if msg.script_finished != FRAGMENT_DONE:
                self.full_runs += 1

    # ---- requests -----------------------------------------------------------------------------
    async def rerun(self, widget: str = "", fragment: str = "") -> None:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query
        if self.page_hash:
            cs.page_script_hash = self.page_hash
        else:
            cs.page_name = self.stem
        if widget:
            w = cs.widget_states.widgets.add()
            w.id, w.trigger_value = widget, True
        if fragment:
            cs.fragment_id, cs.is_auto_rerun = fragment, True
        self.busy = True
        await self.ws.send(back.SerializeToString())

    async def run(self, play: bool) -> None:
        try:
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=None, open_timeout=300, ping_interval=20, ping_timeout=300) as ws:
                self.ws = ws
                reader = asyncio.create_task(self._read())
                await self.rerun()
                while self.full_runs == 0 or self.busy:
                    await asyncio.sleep(0.05)
                if play:
                    while not self.play_id:
                        await asyncio.sleep(0.05)
                    await self.rerun(widget=self.play_id)
                    while self.label != "Pause":
                        await asyncio.sleep(0.05)
                self.ready.set()
                await self._tick()
                reader.cancel()
        except Exception as err:  # noqa: BLE001 - reported as this session's error
            self.errors.append(f"{type(err).__name__}: {err}"[:200])
            self.ready.set()

    async def _read(self) -> None:
        async for raw in self.ws:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            self.on(msg)

    async def _tick(self) -> None:
        """The frontend's fragment timer (its handleAutoRerun: a setInterval): a rerun of the live
        fragment every `interval` s whether or not the last one has finished, re-armed only when
        the server asks for another interval. (It used to wait for each tick to finish: a tick
        longer than its period then looked fine here while a browser showed nothing new.)"""
        armed, next_at = None, 0.0
        while not self.closed:
            if self.auto is None:
                armed = None
            elif self.auto != armed:
                armed, next_at = self.auto, time.monotonic() + self.auto[0]
            elif time.monotonic() >= next_at:
                next_at = max(next_at + armed[0], time.monotonic())
                await self.rerun(fragment=armed[1])
            await asyncio.sleep(0.01)


class Sessions:
    """Browser-less sessions on one asyncio loop in a thread."""

    def __init__(self, port: int):
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="stream-clients", daemon=True)
        self.thread.start()
        self.open_ones: list[tuple[Session, object]] = []

    def open(self, stem: str, query: str, play: bool = True, timeout: float = 300) -> Session:
        s = Session(self.port, stem, query)
        fut = asyncio.run_coroutine_threadsafe(s.run(play), self.loop)
        self.open_ones.append((s, fut))
        if not s.ready.wait(timeout):
            s.errors.append(f"not playing after {timeout:.0f} s")
        return s

    def close(self, s: Session) -> None:
        s.closed = True
        if s.ws is not None:
            asyncio.run_coroutine_threadsafe(s.ws.close(), self.loop)

    def stop(self) -> None:
        for s, _ in self.open_ones:
            self.close(s)
        time.sleep(0.5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def sample(s: Session) -> dict:
    """What the browser bench's SAMPLE_JS reads: time, the read-out, its changes so far."""
    return {"t": time.time(), "value": s.value, "changes": s.changes}
