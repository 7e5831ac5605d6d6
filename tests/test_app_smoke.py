"""Every page of the app runs through AppTest without an exception: the entry (home) and each
page that exists in the catalogue."""
import pytest
from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT

PAGES = [p.file for p in ui.available_pages()]


def test_catalogue_has_the_foundation_page():
    assert "app_pages/discriminator.py" in PAGES


def test_home_links_every_available_page():
    at = AppTest.from_file(str(ROOT / "genlab.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert at.title[0].value == "GenLab"
    # st.page_link's proto carries the page's URL path name (the file's stem) and its label.
    links = {el.proto.page: el.proto.label for el in at.get("page_link")}
    assert links == {p.url_path: p.title for p in ui.available_pages()}


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_without_exception(path):
    at = AppTest.from_file(str(ROOT / "genlab.py"), default_timeout=180)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(at.title) >= 1


def device_badges(at) -> list[str]:
    return [c.value for c in at.sidebar.caption if c.value.startswith("Device: **")]


def expected_badge() -> str:
    """On a CPU-only machine (CI): one thread, the count small nets train with."""
    from lab.device import describe, pick_device
    return "Device: **CPU (1 thread)**" if pick_device().type == "cpu" else f"Device: **{describe()}**"


def test_home_names_the_device_training_uses():
    at = AppTest.from_file(str(ROOT / "genlab.py"), default_timeout=120).run()
    assert device_badges(at) == [expected_badge()]


@pytest.mark.parametrize("entry", ui.available_pages(), ids=lambda e: e.url_path)
def test_every_page_opens_with_its_formulas_folded_until_asked(entry):
    """The opening (ui.opening): title, intro, and formulas drawn only once their expander is open."""
    at = AppTest.from_file(str(ROOT / "genlab.py"), default_timeout=180)
    at.run()
    at.switch_page(entry.file)
    at.run()
    formulas = max(ui.page_text(str(ROOT / entry.file))["Formulas"].splitlines(), key=len)
    assert not any(formulas in m.value for m in at.markdown)
    at.session_state[f"{entry.ns}.formulas"] = True
    at.run()
    assert not at.exception and any(formulas in m.value for m in at.markdown)
