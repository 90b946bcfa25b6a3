"""Draws the phone app's icons (server/web/icons/icon-{32,192,512}.png): a white check mark
on the app's blue, inside the safe zone of a maskable icon. The 32 px one is the tab's icon,
small enough for the server to put into the shell itself (server/web/controllers.py). Run
again after changing them."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "server" / "web" / "icons"
BLUE = (31, 111, 235)


def draw_icon(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(image)
    s = size / 100
    draw.line(
        [(30 * s, 52 * s), (44 * s, 66 * s), (71 * s, 36 * s)],
        fill="white",
        width=round(9 * s),
        joint="curve",
    )
    return image.quantize(colors=8)


if __name__ == "__main__":
    for size in (32, 192, 512):
        draw_icon(size).save(OUT / f"icon-{size}.png", optimize=True)
