"""The URL <-> config round trip: a link reproduces the view (tensorflow/playground's lesson)."""
from __future__ import annotations

import streamlit as st

from lab.config import from_strings_lenient, to_strings


def config_from_url(cls, ns: str):
    """The page's config as the URL gives it, read once per session (so later widget changes
    are not overwritten). Values that do not parse or validate fall back to the default, and
    old key names are read as today's; both are reported with st.warning, so a bad or old
    link still opens the page."""
    from ui import plain
    key = f"{ns}.url_config"
    if key not in st.session_state:
        cfg, notes = from_strings_lenient(cls, dict(st.query_params))
        st.session_state[key] = cfg
        st.session_state[f"{ns}.url_notes"] = notes
    for note in st.session_state.get(f"{ns}.url_notes", []):
        st.warning(plain(note), icon=":material/link_off:")
    return st.session_state[key]


def sync_url(cfg, extra: dict[str, str] | None = None) -> None:
    """Write the config's non-default values (and any page extras) into the URL, so a link
    reproduces the view. Only touches the URL when something changed."""
    want = {**to_strings(cfg), **(extra or {})}
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)
