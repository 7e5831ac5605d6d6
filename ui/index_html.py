"""What GenLab adds to Streamlit's index.html: where the server is, and the chunks every page needs.

Where the server is, so the browser never probes a page's URL. Opened at a page's URL (`/gan1d`),
Streamlit's frontend cannot tell whether `gan1d` is the page or part of the server's own path
behind a proxy, so it asks both: `/gan1d/_stcore/health` and `/gan1d/_stcore/host-config` answer
404 in every browser console before `/_stcore/...` answers (streamlit#7074; the candidates are
the URL and the URL without its last segment). The frontend asks no candidates when
`window.__streamlit.BACKEND_BASE_URL` is set before its bundle loads. `IndexHtml` adds that line
to index.html, served to a browser's page loads, and only when the URL's last segment is one of
GenLab's page paths: the base is then the URL without it, the candidate the frontend would have
settled on. Anything else (the root, a proxy's prefix, a mistyped page) gets no such line, and
the frontend's own probe, as before.

The chunks: index.html asks for Streamlit's core modules at once (`<link rel=modulepreload>`),
but a component's chunk only when the first message that draws one arrives, over the websocket,
after the script's first lines ran. Every GenLab page draws Plotly charts, whose chunk is 4.7 MB
of JavaScript: asked for with the page, it downloads and compiles while the websocket connects
and the page's script runs (PRELOADED; found by name in the installed Streamlit, so a release
that renames it preloads less, never breaks a page). Only Plotly, not the widgets: with the
number input, select box, checkbox, button and metric chunks preloaded too, a widget whose
chunk still came late (a multiselect, a text box) sometimes mounted with its empty default
instead of the value the script had set, and the next click sent that (under load in Chromium:
the discriminators page lost its critics in 1 of 2 opens, gan1d its target in 5 of 16; with
Plotly alone the discriminators page kept them in 14 of 14; gan1d's config widgets are also set
on every run now, ui.widgets).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

# Runs before the bundle (it is the first thing in <head>). `pages` are URL path segments.
SCRIPT = ("<script>(function(){{var pages={pages};"
          "var p=location.pathname.replace(/\\/+$/,''),i=p.lastIndexOf('/');"
          "if(pages.indexOf(decodeURIComponent(p.slice(i+1)))>=0)"
          "window.__streamlit={{BACKEND_BASE_URL:location.origin+p.slice(0,i)}};}})();</script>")

ASKED_AWAY = {b"accept-encoding", b"if-none-match", b"if-modified-since", b"range", b"if-range"}
REWRITTEN = {b"content-length", b"etag", b"last-modified"}


# Chunks (by their component's name) that every page fetches after its first script lines.
PRELOADED = ("PlotlyChart",)


def preloads(static_dir: str | Path | None = None) -> list[str]:
    """The file names of PRELOADED's chunks in Streamlit's static/js (as many as are there)."""
    if static_dir is None:
        from streamlit.file_util import get_static_dir
        static_dir = get_static_dir()
    js = Path(static_dir) / "static" / "js"
    return sorted(p.name for name in PRELOADED for p in js.glob(f"{name}.*.js"))


def page_paths() -> list[str]:
    """Every URL path a GenLab page answers at: its own and the names it had before."""
    from ui import PAGES       # the catalogue; importing ui draws nothing
    return sorted({p.url_path for p in PAGES} | {old for p in PAGES for old in p.old_paths})


def inject(html: bytes, pages: Iterable[str], chunks: Iterable[str] = ()) -> bytes:
    """index.html with the base URL's script first in its <head> and the chunks' preloads last,
    after Streamlit's own (unchanged if it has no <head>)."""
    head, end = html.find(b"<head>"), html.find(b"</head>")
    if head < 0 or end < head:
        return html
    script = SCRIPT.format(pages=json.dumps(list(pages))).encode()
    links = "".join(f'<link rel="modulepreload" crossorigin href="./static/js/{c}">' for c in chunks).encode()
    at = head + len(b"<head>")
    return html[:at] + script + html[at:end] + links + html[end:]


class IndexHtml:
    """ASGI middleware: a browser's page load (GET, Accept: text/html) answered with HTML gets
    `inject`'s additions; every other request passes through untouched. The page load is asked of
    the app uncompressed and unconditional (index.html is ~8 KB), so its body can be edited, and
    answered without the file's ETag and date, which no longer describe it."""

    def __init__(self, app, pages: Iterable[str], chunks: Iterable[str] = ()) -> None:
        self.app = app
        self.pages, self.chunks = list(pages), list(chunks)

    async def __call__(self, scope, receive, send) -> None:
        if not _page_load(scope):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in ASKED_AWAY]
        held: dict = {}
        body = bytearray()

        async def edit(message) -> None:
            if message["type"] == "http.response.start" and _is_html(message):
                held["start"] = message
                return
            if "start" not in held:          # not HTML (a redirect, a file): as it came
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            page = inject(bytes(body), self.pages, self.chunks)
            start = held["start"]
            start = {**start, "headers": [(k, v) for k, v in start["headers"] if k.lower() not in REWRITTEN]
                     + [(b"content-length", str(len(page)).encode())]}
            await send(start)
            await send({"type": "http.response.body", "body": page})

        await self.app({**scope, "headers": headers}, receive, edit)


def _page_load(scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    accept = dict(scope["headers"]).get(b"accept", b"")
    return b"text/html" in accept


def _is_html(start) -> bool:
    content_type = dict(start["headers"]).get(b"content-type", b"")
    return content_type.startswith(b"text/html")
