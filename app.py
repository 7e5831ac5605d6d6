"""GenLab: `streamlit run app.py`. Routes to the pages and says which device trains."""
import streamlit as st

import ui
from lab.device import small_net_threads, warm_up

st.set_page_config(page_title="GenLab", page_icon=":material/science:", layout="wide")
small_net_threads()


def home() -> None:
    st.title("GenLab")
    st.markdown(
        "An interactive lab for generative models: train small GANs and VAEs **live** and watch "
        "the lecture notes' theory happen, with the exact answer drawn beside every trained curve. "
        "Every page has play / pause / step, a seed, a link that reproduces the view, and export.")
    for path, title, icon, blurb in ui.available_pages():
        with st.container(border=True):
            st.page_link(path, label=title, icon=icon)
            st.caption(blurb)
    st.caption("Headless: `python -m lab list`, `python -m lab run EXPERIMENT key=value --out DIR`.")


pages = [st.Page(home, title="Home", icon=":material/home:", default=True)]
pages += [st.Page(path, title=title, icon=icon) for path, title, icon, _ in ui.available_pages()]
ui.device_badge()
st.navigation(pages).run()
warm_up()          # after the page is drawn: what the first Play will import, imported meanwhile
