"""The data root: the one server folder a page may read data from (uploads and the embedded
digits need none). The server's owner sets it with the environment variable GENLAB_DATA_ROOT;
unset, a page reads no server path at all. The command line does not go through here: whoever
types `python -m lab run ... data_dir=...` already reads the machine's files.

A path typed on a page is resolved (symlinks followed, `..` collapsed) and must land inside the
root. The refusal is one message whatever the path is, so a page never tells a visitor whether
something exists outside the root."""
from __future__ import annotations

import os

from lab.config import ConfigError

ENV = "GENLAB_DATA_ROOT"


def data_root() -> str | None:
    """The resolved root folder, or None when the owner set none (read at each call, so a test
    or a restarted server sees the current value)."""
    text = os.environ.get(ENV, "").strip()
    return os.path.realpath(os.path.expanduser(text)) if text else None


def refusal(key: str) -> str:
    return (f"{key}: only folders under the data root the server's owner set ({ENV}) can be read; "
            f"upload a zip instead")


def confine(key: str, text: str) -> str:
    """`text` (absolute, or relative to the root) resolved to a real path inside the root; else
    ConfigError(refusal(key)). Nothing is opened: realpath only follows links."""
    root = data_root()
    if root is None:
        raise ConfigError(refusal(key))
    try:
        path = os.path.realpath(os.path.join(root, text))
        inside = os.path.commonpath([root, path]) == root
    except (ValueError, OSError):        # a NUL byte, a mix of drive letters
        inside = False
    if not inside:
        raise ConfigError(refusal(key))
    return path
