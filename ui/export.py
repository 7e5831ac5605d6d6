"""Export buttons: figures as standalone HTML, numbers as JSON, curves as CSV, a run's weights.

Every file is built only when its button is clicked (deferred data), so a live page pays nothing
for them. Put the buttons *outside* the live fragment: a deferred file registered inside a
fragment that reruns every 0.2 s is dropped at the next tick, and a download pressed while
playing gave nothing ("MediaFileStorageError: Deferred file ... not found"). Streamlit runs a
deferred download on its own thread, without the session (st.session_state cannot be read there),
so what the buttons read is finished data held by an object the page hands them: the last tick's
snapshots (`ui.latest(ns).snaps`), or a run's `state_bytes` (which takes its lock).
"""
from __future__ import annotations

import csv
import io
import json
import time
from typing import Any, Callable

import streamlit as st

DOWNLOAD_GRACE_S = 60.0     # how long a download button's callable and its file stay usable
MEDIA_GRACE_S = 30.0        # how long an image a page showed stays fetchable after a run replaced it


def give_files_time() -> None:
    """Three windows in which the browser asked the server for a file that was already gone:
    - the file a deferred button makes when clicked is held by no session: Streamlit marked it at
      the end of the next script run, in any session, and deleted it at the end of the one after.
      With pages ticking five times a second the browser had a few tenths of a second to fetch it
      (about 1 fetch in 25 lost here with one page playing; a class of 30 would leave milliseconds);
    - a full rerun (Play stopping at its budget, opening a lazy expander) forgets the buttons of
      the run before, and the next script-run end in any session dropped their callables, so a
      press in between met "Deferred file not found";
    - an image (st.image) was deleted at the first script-run end, in any session, after its own
      session's next run stopped naming it, while the browser had the first run's message in
      hand and had not fetched it yet: a 404 on /media/<id>.png (seen on the VAE page at Play,
      CI of stop 25).
    Downloads now last DOWNLOAD_GRACE_S and images MEDIA_GRACE_S after Streamlit first lets go of
    them (an image is a few kB; a page that redraws one 5 times a second keeps ~150 of them).
    Patches streamlit 1.67's media file manager (pinned in requirements.txt); idempotent."""
    from streamlit.runtime import media_file_manager as mfm
    cls = mfm.MediaFileMetadata
    if getattr(cls, "_genlab_grace", False):
        return

    def remove_orphaned_deferred_callables(self) -> None:
        active = {fid for by_coord in self._files_by_session_and_coord.values() for fid in by_coord.values()}
        now, since = time.monotonic(), self.__dict__.setdefault("_genlab_orphaned_since", {})
        for file_id in list(self._deferred_callables):
            if file_id in active:
                since.pop(file_id, None)
            elif now - since.setdefault(file_id, now) >= DOWNLOAD_GRACE_S:
                self._drop_deferred_id(file_id)
                since.pop(file_id, None)

    def remove_orphaned_files(self) -> None:
        # Streamlit's own sweep, with images treated as downloads are: marked, then deleted once
        # their grace has passed (Streamlit deletes an orphaned image at once).
        with self._lock:
            for file_id in self._get_inactive_file_ids():
                file = self._file_metadata[file_id]
                if file.is_marked_for_delete:
                    self._delete_file(file_id)
                else:
                    file.mark_for_delete()
            self._remove_orphaned_deferred_callables()

    def mark_for_delete(self) -> None:
        if getattr(self, "_genlab_marked_at", None) is None:
            self._genlab_marked_at = time.monotonic()

    def is_marked_for_delete(self) -> bool:
        marked = getattr(self, "_genlab_marked_at", None)
        grace = MEDIA_GRACE_S if self.kind == mfm.MediaFileKind.MEDIA else DOWNLOAD_GRACE_S
        return marked is not None and time.monotonic() - marked >= grace

    cls.mark_for_delete = mark_for_delete
    cls.is_marked_for_delete = property(is_marked_for_delete)
    mfm.MediaFileManager._remove_orphaned_deferred_callables = remove_orphaned_deferred_callables
    mfm.MediaFileManager.remove_orphaned_files = remove_orphaned_files
    cls._genlab_grace = True


give_files_time()


def _now(value):
    """A download's content, or a function that makes it when the button is clicked."""
    return value() if callable(value) else value


def rows_of(histories: dict[str, dict[str, list]], label: str = "run") -> list[dict]:
    """Long-form CSV rows from histories (dicts of equally long lists), one row per logged
    point of each run: {label: name, key: value, ...}. Every page's "Curves (CSV)"."""
    rows = []
    for name, hist in histories.items():
        keys = [k for k, v in hist.items() if isinstance(v, (list, tuple)) or hasattr(v, "tolist")]
        n = min((len(hist[k]) for k in keys), default=0)
        for i in range(n):
            rows.append({label: name, **{k: hist[k][i] for k in keys}})
    return rows


def csv_text(rows: list[dict]) -> str:
    from lab.cli import to_json
    buf = io.StringIO()
    keys = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buf, fieldnames=keys)
    writer.writeheader()
    writer.writerows(to_json(rows))
    return buf.getvalue()


PER_ROW = 3      # buttons per row: whole labels at 1024 px wide with the sidebar open


def downloads(ns: str, figures: dict[str, Any], metrics: Any, stem: str, csv_rows: Any = None,
              weights: dict[str, Callable[[], bytes]] | None = None, where=None, csv_label: str = "Curves (CSV)",
              csv_name: str = "history", images: dict[str, Callable[[], bytes]] | None = None) -> None:
    """Rows of buttons: each figure (or a function making it) as HTML, the numbers as JSON, the
    curves as CSV, each image (a function making PNG bytes) as PNG, and each run's weights
    (`run.state_bytes`, loadable with torch.load(weights_only=True) or lab.run.load)."""
    from lab.cli import to_json
    where = where or st
    icon = ":material/download:"
    buttons = [dict(label=f"Figure: {name} (HTML)", data=lambda f=fig: _now(f).to_html(include_plotlyjs=True),
                    file_name=f"{stem}_{name}.html", mime="text/html", key=f"{ns}.dl.{name}", icon=icon)
               for name, fig in figures.items()]
    buttons.append(dict(label="Numbers (JSON)", data=lambda: json.dumps(to_json(_now(metrics)), indent=1),
                        file_name=f"{stem}_metrics.json", mime="application/json", key=f"{ns}.dl.json", icon=icon))
    if csv_rows is not None:
        buttons.append(dict(label=csv_label, data=lambda: csv_text(_now(csv_rows)), file_name=f"{stem}_{csv_name}.csv",
                            mime="text/csv", key=f"{ns}.dl.csv", icon=icon))
    buttons += [dict(label=f"{name} (PNG)", data=make, file_name=f"{stem}_{name.lower().replace(' ', '_')}.png",
                     mime="image/png", key=f"{ns}.dl.png.{name}", icon=":material/image:")
                for name, make in (images or {}).items()]
    buttons += [dict(label=f"Weights {name} (.pt)", data=make, file_name=f"{stem}_{name}.pt", key=f"{ns}.dl.weights.{name}",
                     icon=icon, help="torch.load(path, weights_only=True), or lab.run.load(bytes) to resume")
                for name, make in (weights or {}).items()]
    for row in range(0, len(buttons), PER_ROW):
        for col, button in zip(where.columns(PER_ROW), buttons[row:row + PER_ROW]):
            col.download_button(**button, on_click="ignore")
