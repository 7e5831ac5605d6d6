"""ui.index_html: index.html tells Streamlit's frontend where the server is, so a page opened from
its link asks nothing that answers 404 (streamlit#7074's probe of /<page>/_stcore/...), and asks
for the chunks every page draws with at once.

The middleware is checked on a plain ASGI app (what it edits, what it leaves alone); what it adds
is checked in Chromium, served under a base URL path as behind a proxy, on a page's path, on a
name a page had before, and on a mistyped path (which keeps the frontend's probe)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

import ui
from conftest import error_texts, serve, wait_for_app
from ui.index_html import ASKED_AWAY, PRELOADED, SCRIPT, IndexHtml, inject, page_paths, preloads

INDEX = b"<!DOCTYPE html><html><head><meta charset='UTF-8'><link rel=\"modulepreload\" href=\"./a.js\"></head><body></body></html>"
CHUNKS = ["PlotlyChart.x1.js", "Metric.y2.js"]


def _run(coroutine) -> None:
    """asyncio.run on a thread of its own: a pytest worker that ran a Playwright test before has
    an event loop running on its main thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as ex:
        ex.submit(asyncio.run, coroutine).result()


def _file_app(content_type: bytes, body: bytes, chunks: int, seen: dict):
    """An ASGI app answering every request with `body` in `chunks` pieces, as a static file
    handler does (length, validators, no-cache); the request headers it saw go into `seen`."""
    async def asgi(scope, receive, send):
        seen.update({k.decode(): v.decode() for k, v in scope["headers"]})
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
            (b"etag", b'"abc"'), (b"last-modified", b"Sat, 05 Dec 2026 18:00:21 GMT"),
            (b"cache-control", b"no-cache")]})
        step = -(-len(body) // chunks)
        for i in range(chunks):
            await send({"type": "http.response.body", "body": body[i * step:(i + 1) * step],
                        "more_body": i < chunks - 1})
    return asgi


PAGE_LOAD = {"accept": "text/html,application/xhtml+xml", "accept-encoding": "gzip, br",
             "if-none-match": '"abc"', "host": "x"}


def _through(content_type=b"text/html; charset=utf-8", chunks=1, method="GET", headers=PAGE_LOAD):
    """One request through IndexHtml around _file_app: (request headers seen, messages sent)."""
    seen, sent = {}, []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    app = IndexHtml(_file_app(content_type, INDEX, chunks, seen), pages=["gan1d", "vae"], chunks=CHUNKS)
    scope = {"type": "http", "method": method, "path": "/gan1d",
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    _run(app(scope, receive, send))
    return seen, sent


def test_a_page_load_gets_the_script_first_in_its_head_with_a_right_length():
    seen, sent = _through(chunks=3)
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    headers = dict(start["headers"])
    assert body.startswith(b"<!DOCTYPE html><html><head><script>")
    assert body == inject(INDEX, ["gan1d", "vae"], CHUNKS)
    assert b'["gan1d", "vae"]' in body
    # the chunks' preloads come last in <head>, after Streamlit's own
    tail = (b'<link rel="modulepreload" crossorigin href="./static/js/PlotlyChart.x1.js">'
            b'<link rel="modulepreload" crossorigin href="./static/js/Metric.y2.js"></head>')
    assert body.index(b"./a.js") < body.index(tail) and body.endswith(tail + b"<body></body></html>")
    assert int(headers[b"content-length"]) == len(body) > len(INDEX)
    # the file's validators no longer describe the page; no-cache stays
    assert b"etag" not in headers and b"last-modified" not in headers
    assert headers[b"cache-control"] == b"no-cache"
    # asked uncompressed and unconditionally, so the body can be edited and is always whole
    assert not ASKED_AWAY & {k.encode() for k in seen} and seen["host"] == "x"


@pytest.mark.parametrize("case", ["javascript", "not a page load", "post", "websocket"])
def test_everything_else_passes_through_untouched(case):
    content_type, method, headers = b"text/html", "GET", {"accept": "text/html", "accept-encoding": "gzip"}
    if case == "javascript":
        content_type = b"application/javascript"
    elif case == "not a page load":
        headers = {"accept": "*/*", "accept-encoding": "gzip"}     # fetch(), a health check
    elif case == "post":
        method = "POST"
    if case == "websocket":
        calls = []

        async def inner(scope, receive, send):
            calls.append(scope)
        scope = {"type": "websocket", "path": "/_stcore/stream", "headers": []}
        _run(IndexHtml(inner, pages=["gan1d"], chunks=CHUNKS)(scope, None, None))
        assert calls == [scope]
        return
    seen, sent = _through(content_type=content_type, method=method, headers=headers)
    assert b"".join(m.get("body", b"") for m in sent[1:]) == INDEX
    assert dict(sent[0]["headers"])[b"etag"] == b'"abc"'
    if case != "javascript":        # (asked as a page load, answered with a file: only the answer is kept)
        assert seen["accept-encoding"] == "gzip"


def test_inject_leaves_html_without_a_head_alone():
    assert inject(b"<html><body>x</body></html>", ["gan1d"], CHUNKS) == b"<html><body>x</body></html>"


def test_preloads_finds_the_chunks_by_name(tmp_path):
    js = tmp_path / "static" / "js"
    js.mkdir(parents=True)
    for name in ["PlotlyChart.D9Z0.js", "PlotlyChartx.A1.js", "Metric.MSV.js", "Multiselect.Gs.js", "index.Dorm.js"]:
        (js / name).write_text("")
    # Plotly's chunk only: a widget's chunk preloaded made late widgets mount with their defaults
    assert preloads(tmp_path) == ["PlotlyChart.D9Z0.js"]
    assert preloads(tmp_path / "nowhere") == []


def test_the_installed_streamlit_has_every_preloaded_chunk():
    """If a Streamlit release renames a component's chunk, the page still works (it is asked for
    late, as before); this says which name to update."""
    found = preloads()
    assert sorted(n.split(".")[0] for n in found) == sorted(PRELOADED), found


def test_the_pages_are_the_catalogues_paths_old_and_new():
    paths = page_paths()
    assert set(paths) == {e.url_path for e in ui.PAGES} | {o for e in ui.PAGES for o in e.old_paths}
    assert {"gan1d", "discriminators", "wasserstein"} <= set(paths) and "" not in paths
    assert "{pages}" in SCRIPT


BASE = "genlab/lab"     # as behind a proxy that keeps a prefix


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("base_url"), args=("--server.baseUrlPath", BASE)) as url:
        yield f"{url}/{BASE}"


@pytest.mark.parametrize("path, title", [("gan1d", "GAN game"), ("wasserstein", "Wasserstein"),
                                          ("", "GenLab"), ("gan1x", None)])
def test_the_browser_finds_the_server_without_a_404(proxied, browser, path, title):
    """Under a base URL path: a page, a page's old name and the root connect with no failing
    request; a mistyped page still connects (through the frontend's own probe, whose 404s are
    Streamlit's and stay) and says the page is not found."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    bad = []
    page.on("response", lambda r: r.status >= 400 and bad.append((r.status, r.url)))
    try:
        page.goto(f"{proxied}/{path}", wait_until="domcontentloaded")
        wait_for_app(page)
        if title is None:
            page.get_by_text("not found", exact=False).first.wait_for(timeout=60_000)
            assert bad and all(s == 404 and "/gan1x/_stcore/" in u for s, u in bad), bad
            return
        page.locator("h1").filter(has_text=title).first.wait_for(timeout=90_000)
        assert error_texts(page) == []
        assert bad == []
        configured = page.evaluate("() => window.__streamlit && window.__streamlit.BACKEND_BASE_URL")
        assert configured == (f"http://{proxied.split('//')[1].split('/')[0]}/{BASE}" if path else None)
        # Plotly's chunk was asked for while the page's HTML was read (the preload), not after
        # the websocket brought the first chart (which opens after DOMContentLoaded)
        asked = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
            return performance.getEntriesByType('resource').filter(r => /PlotlyChart\\.[^/]*\\.js$/.test(r.name))
                .map(r => r.startTime < n.domContentLoadedEventStart); }""")
        assert asked == [True], asked
    finally:
        ctx.close()
