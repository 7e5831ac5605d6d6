"""The mode-collapse page in headless Chromium: a student's own CSV (which AppTest cannot
upload) trains, and a bad file gives one clear error, never a traceback."""
from __future__ import annotations

import re

import numpy as np

from conftest import error_texts, wait_for_app


def _step_value(page) -> int:
    text = page.locator("[data-testid='stMetric']").first.inner_text()
    return int(re.sub(r"[^0-9]", "", text.split("\n")[-1]))


def test_csv_upload_trains_and_bad_rows_are_named(streamlit_url, page, tmp_path):
    rng = np.random.default_rng(0)
    pts = np.concatenate([c + 0.1 * rng.standard_normal((60, 2)) for c in ([0, 0], [2, 0], [0, 2])])
    good = tmp_path / "three_blobs.csv"
    good.write_text("x,y\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in pts))
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,4\nthree,5\n" + "1,1\n" * 20)

    page.goto(f"{streamlit_url}/mode_collapse?data=csv&width=16&latent=2&batch=32&csv_modes=3")
    wait_for_app(page)
    page.get_by_text("Upload a CSV file").first.wait_for(timeout=120_000)
    page.locator("input[type='file']").set_input_files(str(bad))
    page.get_by_text("CSV line 4").wait_for(timeout=60_000)
    assert any("CSV line 4" in e for e in error_texts(page))

    page.locator("input[type='file']").set_input_files(str(good))
    page.get_by_role("button", name=re.compile(r"Step$")).wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"Step$")).click()
    page.wait_for_function("() => /Step\\s*100/.test(document.body.innerText)", timeout=60_000)
    wait_for_app(page)
    assert _step_value(page) == 100
    assert "Modes" in page.inner_text("body") and "/3" in page.inner_text("body")
    assert not error_texts(page)
