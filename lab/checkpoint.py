"""A run's state as a plain file: tensors, numbers, strings, lists and dicts only.

Read with torch.load(weights_only=True), whose unpickler refuses every global that is not a
tensor type, so a file crafted to run code on load (a pickle naming os.system, say) is
rejected instead of executed. Anything that is not a GenLab run file gives a CheckpointError
with one line for the user.

    {"format": "genlab-run", "version": 1, "experiment": name, "config": {...},
     "step": int, "history": {key: [numbers]}, "state": {...the run's own tensors...}}
"""
from __future__ import annotations

import dataclasses
import io
import pickle
import re
from pathlib import Path

import torch

from lab.config import ConfigError

FORMAT = "genlab-run"
VERSION = 1


class CheckpointError(ConfigError):
    """The file is not a (safe, compatible) GenLab run file."""


def _plain_history(history: dict) -> dict:
    """Numbers as Python floats (None kept), so the file needs no numpy on load."""
    def num(v):
        return v if v is None or isinstance(v, (int, str)) else float(v)
    return {k: [num(v) for v in vals] for k, vals in history.items()}


def to_bytes(experiment: str, cfg, step: int, history: dict, state: dict) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "experiment": experiment,
           "config": dataclasses.asdict(cfg), "step": int(step), "history": _plain_history(history),
           "state": state}
    buf = io.BytesIO()
    torch.save(doc, buf)
    return buf.getvalue()


def from_bytes(data: bytes, experiment: str | None = None) -> dict:
    """The file's dict (tensors on the CPU); CheckpointError if it is unsafe or foreign, or (with
    `experiment`) from another experiment."""
    try:
        doc = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        if found:
            raise CheckpointError(f"refused: the file asks to run Python code ({found.group(1)}) when loaded; "
                                  "a GenLab run file holds only tensors and numbers") from None
        raise CheckpointError("not a checkpoint file: torch.load could not read it") from None
    except Exception as err:  # torch.load raises struct.error, RuntimeError, EOFError... on junk
        raise CheckpointError(f"not a checkpoint file: torch.load could not read it ({err})"[:200]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError("not a GenLab run file (save one with a page's Weights button or "
                              "the run's state_bytes)")
    if doc.get("version") != VERSION:
        raise CheckpointError(f"run file version {doc.get('version')} is not {VERSION}")
    if experiment is not None and doc.get("experiment") != experiment:
        raise CheckpointError(f"this file is from {doc.get('experiment')!r}, not {experiment!r}")
    return doc


def load(path: str | Path, experiment: str | None = None) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist")
    return from_bytes(path.read_bytes(), experiment)
