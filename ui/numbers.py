"""How a read-out shows one number: a few significant digits, and "n/a" for a number the run
cannot give yet (NaN, e.g. MALA's acceptance before any proposal) instead of "nan"."""
from __future__ import annotations

import math


def number(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:.{digits}g}"
