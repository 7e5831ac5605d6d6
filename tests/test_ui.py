"""ui's own machinery, outside a page: the download files' grace period."""
from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

import ui.export


def test_a_clicked_download_survives_other_script_runs_until_its_grace_ends(monkeypatch):
    """Streamlit sweeps orphaned files at the end of every script run of every session: a
    generated download used to go at the second sweep. It now stays DOWNLOAD_GRACE_S."""
    now = [1000.0]
    monkeypatch.setattr(ui.export.time, "monotonic", lambda: now[0])
    storage = MemoryMediaFileStorage("/media")
    mgr = MediaFileManager(storage)
    placeholder = mgr.add_deferred(lambda: b"numbers", "application/json", "m.json", "coords", )
    url = mgr.execute_deferred(placeholder)
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    for _ in range(50):                              # fifty ticks of other sessions
        mgr.remove_orphaned_files()
    assert storage.get_file(file_id).content == b"numbers"
    now[0] += ui.export.DOWNLOAD_GRACE_S + 1
    mgr.remove_orphaned_files()
    with pytest.raises(Exception):
        storage.get_file(file_id)


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
