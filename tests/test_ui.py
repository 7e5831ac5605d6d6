"""ui's own machinery, outside a page: the grace period of downloads and images."""
from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

import ui.export


def _kept_for(grace: float, now: list, mgr, storage, file_id: str, content: bytes, sweeps: int = 50) -> None:
    """The file survives `sweeps` other sessions' script-run ends, then goes at the first sweep
    after `grace` seconds."""
    for _ in range(sweeps):
        mgr.remove_orphaned_files()
    assert storage.get_file(file_id).content == content
    now[0] += grace + 1
    mgr.remove_orphaned_files()
    with pytest.raises(Exception):
        storage.get_file(file_id)


def _file_id(url: str) -> str:
    return url.rsplit("/", 1)[-1].split(".")[0]


def test_a_clicked_download_survives_other_script_runs_until_its_grace_ends(monkeypatch):
    """Streamlit sweeps orphaned files at the end of every script run of every session: a
    generated download used to go at the second sweep. It now stays DOWNLOAD_GRACE_S."""
    now = [1000.0]
    monkeypatch.setattr(ui.export.time, "monotonic", lambda: now[0])
    storage = MemoryMediaFileStorage("/media")
    mgr = MediaFileManager(storage)
    placeholder = mgr.add_deferred(lambda: b"numbers", "application/json", "m.json", "coords", )
    file_id = _file_id(mgr.execute_deferred(placeholder))
    _kept_for(ui.export.DOWNLOAD_GRACE_S, now, mgr, storage, file_id, b"numbers")


def test_a_button_forgotten_by_a_rerun_still_answers_within_the_grace(monkeypatch):
    """A full rerun forgets the previous run's buttons; a press that lands in between must still
    find its callable (it used to meet "Deferred file not found")."""
    now = [50.0]
    monkeypatch.setattr(ui.export.time, "monotonic", lambda: now[0])
    mgr = MediaFileManager(MemoryMediaFileStorage("/media"))
    placeholder = mgr.add_deferred(lambda: b"weights", "application/octet-stream", "w.pt", "coords")
    mgr.clear_session_refs()                          # a full rerun starts: nothing holds the button
    for _ in range(20):
        mgr.remove_orphaned_files()
    assert mgr.execute_deferred(placeholder).startswith("/media/")
    now[0] += ui.export.DOWNLOAD_GRACE_S + 1
    mgr.remove_orphaned_files()
    with pytest.raises(Exception, match="not found"):
        mgr.execute_deferred(placeholder)


def test_an_image_a_rerun_replaced_stays_fetchable_until_its_grace_ends(monkeypatch):
    """The browser fetches an st.image after the message naming it arrives; by then its session
    may have run again and named another image. Streamlit deleted the first at the next sweep
    (a 404 on /media/<id>.png at Play on the VAE page); it now stays MEDIA_GRACE_S, and no
    longer."""
    now = [7.0]
    monkeypatch.setattr(ui.export.time, "monotonic", lambda: now[0])
    storage = MemoryMediaFileStorage("/media")
    mgr = MediaFileManager(storage)
    first = _file_id(mgr.add(b"\x89PNG first", "image/png", "1.2"))
    mgr.clear_session_refs()                          # the next run starts
    second = _file_id(mgr.add(b"\x89PNG second", "image/png", "1.2"))
    _kept_for(ui.export.MEDIA_GRACE_S, now, mgr, storage, first, b"\x89PNG first")
    assert storage.get_file(second).content == b"\x89PNG second"        # the one shown stays
