"""Checkpoints as plain state_dict files: tensors, numbers, strings, lists and dicts only.

They are read with torch.load(weights_only=True), whose unpickler refuses every global that is
not a tensor type, so a file crafted to run code on load (a pickle naming os.system, say) is
rejected instead of executed. Anything that is not a GenLab image checkpoint gives a
CheckpointError with one line for the user.
"""
from __future__ import annotations

import dataclasses
import io
import pickle
import re
from pathlib import Path

import torch

from lab.config import ConfigError

FORMAT = "genlab-image-checkpoint"
VERSION = 1


class CheckpointError(ConfigError):
    """The file is not a (safe, compatible) GenLab image checkpoint."""


def to_bytes(experiment: str, cfg, trainer_state: dict, history: dict[str, list]) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "experiment": experiment,
           "config": dataclasses.asdict(cfg), "trainer": trainer_state,
           "history": {k: [float(v) for v in vals] for k, vals in history.items()}}
    buf = io.BytesIO()
    torch.save(doc, buf)
    return buf.getvalue()


def save(path: str | Path, experiment: str, cfg, trainer_state: dict, history: dict) -> Path:
    path = Path(path)
    path.write_bytes(to_bytes(experiment, cfg, trainer_state, history))
    return path


def from_bytes(data: bytes, experiment: str) -> dict:
    """The checkpoint's dict (tensors on the CPU); CheckpointError if it is unsafe or foreign."""
    try:
        doc = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        if found:
            raise CheckpointError(f"refused: the file asks to run Python code ({found.group(1)}) when loaded; "
                                  "a checkpoint holds only tensors and numbers") from None
        raise CheckpointError("not a checkpoint file: torch.load could not read it") from None
    except Exception as err:  # torch.load raises struct.error, RuntimeError, EOFError... on junk
        raise CheckpointError(f"not a checkpoint file: torch.load could not read it ({err})"[:200]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError("not a GenLab image checkpoint (save one with the page's "
                              "Checkpoint button or the experiment's save)")
    if doc.get("version") != VERSION:
        raise CheckpointError(f"checkpoint version {doc.get('version')} is not {VERSION}")
    if doc.get("experiment") != experiment:
        raise CheckpointError(f"this checkpoint is from {doc.get('experiment')!r}, not {experiment!r}")
    return doc


def load(path: str | Path, experiment: str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist")
    return from_bytes(path.read_bytes(), experiment)
