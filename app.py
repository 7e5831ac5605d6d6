"""GenLab: `streamlit run app.py`. The pages are genlab.py (a Streamlit script: routing, the
device badge); this file serves them as Streamlit does, with index.html saying where the server
is (no 404 in the browser's console when a page's URL is opened) and asking for Plotly's chunk
at once (ui.index_html); stopping the server ends the training processes too."""
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from ui.index_html import IndexHtml, page_paths, preloads


@asynccontextmanager
async def stop_training_with_the_server(_app):
    """After uvicorn's graceful shutdown: wait for the script runs still in flight, then end the
    training processes. uvicorn then raises SIGTERM again with its default action, so the
    interpreter's atexit hooks never run: left to them, the pool's workers outlived the server."""
    yield
    from lab.pool import pool
    from ui.driver import let_script_runs_finish
    let_script_runs_finish()
    pool.shutdown()


app = st.App("genlab.py", middleware=[Middleware(IndexHtml, pages=page_paths(), chunks=preloads())],
             lifespan=stop_training_with_the_server)
