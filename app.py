"""GenLab: `streamlit run app.py`. The pages are genlab.py (a Streamlit script: routing, the
device badge); this file serves them as Streamlit does, with index.html saying where the server
is (no 404 in the browser's console when a page's URL is opened) and asking for the chunks every
page draws with at once (ui.index_html)."""
import streamlit as st
from starlette.middleware import Middleware

from ui.index_html import IndexHtml, page_paths, preloads

app = st.App("genlab.py", middleware=[Middleware(IndexHtml, pages=page_paths(), chunks=preloads())])
