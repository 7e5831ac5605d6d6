"""GenLab: `streamlit run app.py`. The pages are genlab.py (a Streamlit script: routing, the
device badge); this file serves them as Streamlit does, with index.html saying where the server
is (ui.base_url: no 404 in the browser's console when a page's URL is opened)."""
import streamlit as st
from starlette.middleware import Middleware

from ui.base_url import TellBaseUrl, page_paths

app = st.App("genlab.py", middleware=[Middleware(TellBaseUrl, pages=page_paths())])
