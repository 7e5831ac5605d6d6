"""The one image-grid convention: a batch of images -> one uint8 picture -> PNG bytes.

    grid(images, ncol=None, pad=2, scale=1, value_range=(0.0, 1.0)) -> uint8 (H, W) or (H, W, 3)
    png(picture) -> bytes

`images` is (n, H, W) or (n, C, H, W) with C = 1 (grey) or 3 (RGB), torch's layout; values
are mapped linearly from `value_range` onto 0..255 and clipped ((0, 1) for pixel
probabilities, (-1, 1) for a GAN's tanh output). Tiles are laid out row by row on a white
background, `pad` pixels apart. `scale` repeats every pixel of the finished picture (pads
included) so the browser does not blur small digits on a projector.

A picture goes to the browser as PNG (st.image(picture, output_format="PNG")): a Plotly
heat map of the same grid costs many times the bytes, and JPEG smears digit strokes.
"""
from __future__ import annotations

import io
import math

import numpy as np

BACKGROUND = 255      # white between tiles (and in empty cells of the last row)


def grid(images, ncol: int | None = None, pad: int = 2, scale: int = 1,
         value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """The tiled picture of `images` (see the module's docstring); `ncol` tiles per row
    (default: a square, ceil(sqrt(n))), never more than n."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3) or len(x) == 0:
        raise ValueError(f"images must be (n, H, W) or (n, C, H, W) with C = 1 or 3 and n >= 1, got {x.shape}")
    lo, hi = value_range
    tiles = np.clip((x - lo) * (255.0 / (hi - lo)) + 0.5, 0, 255).astype(np.uint8)    # (n, C, h, w)
    n, c, h, w = tiles.shape
    cols = min(ncol or math.ceil(math.sqrt(n)), n)
    rows = math.ceil(n / cols)
    out = np.full((c, rows * (h + pad) + pad, cols * (w + pad) + pad), BACKGROUND, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        out[:, pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = tiles[i]
    if scale > 1:
        out = out.repeat(scale, 1).repeat(scale, 2)
    return out[0] if c == 1 else out.transpose(1, 2, 0)


def png(picture: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W) or (H, W, 3) picture (a `grid` result)."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
