"""Draws assets/icon.png, GenLab's page icon: a flask, like Material's "science" glyph, shipped
with the app so the browser fetches nothing from the internet (`:material/science:` as
page_icon made it load the favicon from fonts.gstatic.com).

    python assets/make_icon.py
"""
from pathlib import Path

from PIL import Image, ImageDraw

SIZE, SCALE = 64, 4          # drawn 4x larger, then downsampled: smooth edges
BLUE, LIQUID = (25, 103, 210, 255), (66, 165, 245, 255)


def flask() -> Image.Image:
    s = SCALE
    img = Image.new("RGBA", (SIZE * s, SIZE * s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    body = [(24, 6), (40, 6), (40, 10), (37, 10), (37, 26), (54, 52), (54, 58), (10, 58), (10, 52),
            (27, 26), (27, 10), (24, 10)]
    d.polygon([(x * s, y * s) for x, y in body], fill=BLUE)
    liquid = [(21, 40), (43, 40), (50, 52), (50, 54), (14, 54), (14, 52)]
    d.polygon([(x * s, y * s) for x, y in liquid], fill=LIQUID)
    return img.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    flask().save(Path(__file__).with_name("icon.png"), optimize=True)
