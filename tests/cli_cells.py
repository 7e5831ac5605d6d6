"""What every sweep's command-line test checks of DIR/cells.html: it is the Sweep page's figure of
every cell at once (SweepKind.grid_figure) for the same sweep trained alike."""
from __future__ import annotations

from pathlib import Path

import torch
from plotly.io.json import to_json_plotly

from lab.sweep import kinds
from lab.sweep.cli import config_from_args


def same_cells_as_the_page(out: Path, experiment: str, args: list[str]) -> None:
    kind = kinds.get(experiment)
    cfg, _ = config_from_args(experiment, args)
    ref = kind.run(cfg, device=torch.device("cpu"))
    ref.advance(ref.total)
    want = kind.grid_figure(ref.snapshot()).to_dict()
    html = (out / "cells.html").read_text()
    # The figure as plotly writes it into a page (its JSON, "/" escaped): the same tiles, data and
    # pictures, not merely a file.
    assert to_json_plotly(want["data"]) in html
    assert to_json_plotly(want["layout"]) in html
