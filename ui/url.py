"""The URL <-> config round trip: a link reproduces the view (tensorflow/playground's lesson)."""
from __future__ import annotations

import streamlit as st

from lab.config import from_strings_lenient, path_keys, to_strings
from lab.data.root import data_root


def config_from_url(cls, ns: str):
    """The page's config as the URL gives it, read once per session (so later widget changes
    are not overwritten). Values that do not parse or validate fall back to the default, and
    old key names are read as today's; both are reported with st.warning, so a bad or old
    link still opens the page. A link never names a server path (lab.data.root): a path key in it
    is dropped with a warning that names the key, never the value (the note must read the same
    whether the path exists or not)."""
    from ui import plain
    key = f"{ns}.url_config"
    if key not in st.session_state:
        params, paths = dict(st.query_params), path_keys(cls)
        cfg, notes = from_strings_lenient(cls, {k: v for k, v in params.items() if k not in paths})
        instead = "upload a zip" + (" or type a folder under the data root on the page" if data_root() else "")
        notes = [f"Ignored the link's {k}: a link never names a file or folder of the server; {instead}."
                 for k in paths if k in params] + notes
        for k in set(paths) & set(params):      # and out of the address bar, before the page may stop
            del st.query_params[k]
        st.session_state[key] = cfg
        st.session_state[f"{ns}.url_notes"] = notes
    for note in st.session_state.get(f"{ns}.url_notes", []):
        st.warning(plain(note), icon=":material/link_off:")
    return st.session_state[key]


def sync_url(cfg, extra: dict[str, str] | None = None, seeds: int = 1) -> None:
    """Write the config's non-default values (and any page extras, and `seeds=` when more than
    one seed trains) into the URL, so a link reproduces the view. Only touches the URL when
    something changed. Server paths stay out: a link that carried one would only be ignored.
    Projector mode (ui.classroom) is kept here for every page."""
    from ui import classroom
    paths = path_keys(type(cfg))
    want = {**{k: v for k, v in to_strings(cfg).items() if k not in paths}, **(extra or {}), **classroom.extra()}
    if seeds > 1:
        want["seeds"] = str(seeds)
    if dict(st.query_params) != want:
        st.query_params.from_dict(want)
