"""GenLab's pages: the Streamlit script `streamlit run app.py` serves (app.py adds index.html's
base URL). Routes to the pages and says which device trains."""
from pathlib import Path

import streamlit as st

import ui
from ui import classroom

# A shipped PNG, served by this server: `:material/science:` as page_icon made every browser
# fetch the favicon from fonts.gstatic.com (the pages' Material icons come from Streamlit's own bundle).
ICON = str(Path(__file__).with_name("assets") / "icon.png")


def home() -> None:
    st.title("GenLab")
    st.markdown(
        "An interactive lab for generative models: train small GANs and VAEs **live** and watch "
        "the lecture notes' theory happen, with the exact answer drawn beside every trained curve. "
        "Every page has play / pause / step, a seed, a link that reproduces the view, and export.")
    for entry in ui.available_pages():
        with st.container(border=True):
            # Each page's own figure (assets/thumbs, drawn by assets/make_thumbnails.py).
            thumb = Path(__file__).with_name("assets") / "thumbs" / f"{entry.url_path}.png"
            text, picture = st.columns([4, 1], vertical_alignment="center") if thumb.exists() else (st, None)
            text.page_link(entry.file, label=entry.title, icon=entry.icon)
            text.caption(entry.blurb)
            if picture is not None:
                picture.image(str(thumb), width="stretch")
    st.caption("Headless: `python -m lab list`, `python -m lab run EXPERIMENT key=value --out DIR`, "
               "`python -m lab sweep EXPERIMENT key=v1,v2 seeds=K --out DIR`.")


def forward(target: str):
    """A hidden page at a page's old URL path: a link shared before the rename opens the page
    it meant, with its settings."""
    def go() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())
    go.__name__ = f"forward_{target.replace('/', '_').replace('.', '_')}"
    return go


ui.import_shared()      # before any page: concurrent first runs never see a half-imported pandas
ui.begin_script_run()      # this run's number: only a session's newest run may rebuild its runs
try:                       # ...and other sessions' live ticks wait for it (ui.driver.page_runs_first)
    ui.pooled.warm()       # the training processes (lab.pool) start importing torch now, beside the page
    # Projector mode (`?classroom=1`, ui.classroom): read once per session, before the page config,
    # so the instructor's link opens with the sidebar folded away.
    st.set_page_config(page_title="GenLab", page_icon=ICON, layout="wide",
                       initial_sidebar_state="collapsed" if classroom.start() else "auto")

    pages = [st.Page(home, title="Home", icon=":material/home:", default=True)]
    pages += [st.Page(e.file, title=e.title, icon=e.icon, url_path=e.url_path) for e in ui.available_pages()]
    pages += [st.Page(forward(e.file), title=e.title, url_path=old, visibility="hidden")
              for e in ui.available_pages() for old in e.old_paths]
    # The device badge imports torch (~1.4 s). On the server's first run it waits until the page
    # is drawn: a page may draw its opening lines without torch. Later runs find torch loaded and
    # draw it first, so a page that stops early (st.stop) still shows it.
    classroom.sidebar_toggle()
    classroom.style()
    badge = st.sidebar.empty()
    ui.device_badge(badge, if_loaded=True)
    with ui.pooled.guard():        # a training process lost mid-page: one line, never a traceback
        st.navigation(pages).run()
        ui.pooled.pause_unwatched()    # runs of the pages this session left stop training now
    classroom.hide_chooser()
    ui.device_badge(badge)
    ui.warm_up()       # after the page is drawn: what the first Play will import, imported meanwhile
finally:                   # st.stop and st.rerun end a run too
    ui.end_script_run()
