"""ui's own machinery, outside a page: the grace period of downloads and images."""
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


def test_an_image_a_rerun_replaced_stays_fetchable_until_its_grace_ends(monkeypatch):
    """The browser fetches an st.image after the message naming it arrives; by then its session
    may have run again and named another image. Streamlit deleted the first at the next sweep
    (a 404 on /media/<id>.png at Play on the VAE page); it now stays MEDIA_GRACE_S, and no
    longer."""
    now = [7.0]
    monkeypatch.setattr(ui.export.time, "monotonic", lambda: now[0])
    storage = MemoryMediaFileStorage("/media")
    mgr = MediaFileManager(storage)
    first = mgr.add(b"\x89PNG first", "image/png", "1.2")
    first_id = first.rsplit("/", 1)[-1].split(".")[0]
    mgr.clear_session_refs()                          # the next run starts
    second = mgr.add(b"\x89PNG second", "image/png", "1.2")
    for _ in range(30):                               # other sessions' runs end meanwhile
        mgr.remove_orphaned_files()
    assert storage.get_file(first_id).content == b"\x89PNG first"
    now[0] += ui.export.MEDIA_GRACE_S + 1
    mgr.remove_orphaned_files()
    with pytest.raises(Exception):
        storage.get_file(first_id)
    assert storage.get_file(second.rsplit("/", 1)[-1].split(".")[0]).content == b"\x89PNG second"
