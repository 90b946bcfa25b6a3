"""Label printing speed, and what error correction level Q would cost on each label stock.

Run: python bench/bench_labels.py
"""

import io
import math
import random
import time
from collections.abc import Callable

import qrcode
import zxingcpp
from qrcode.constants import ERROR_CORRECT_M

from qr.codes import new_code
from qr.fonts import find_cjk_font
from qr.labels import QR_INSET, LabelContent, label_png
from qr.presets import PRESETS
from qr.render import QUIET_ZONE, qr_png, qr_symbol, symbol_image
from qr.sheets import labels_pdf
from qr.symbols import Symbol

PUBLIC_URL = "https://roundkeeper.school.example.cn"
LABELS = 1000
PLACES = ["教学楼A · 3F · 301 Classroom", "综合楼 · 1F · 食堂后厨", "体育馆 · B1 · 配电室"]
ASSETS = [
    "二号楼三层走廊 灭火器 MFZ/ABC4",
    "配电箱 B-12",
    "实验室 紧急洗眼器",
    "操场东侧 AED 除颤仪",
]


def _contents(count: int, rng: random.Random) -> list[LabelContent]:
    contents = []
    for i in range(count):
        code = new_code(rng.randbytes)
        contents.append(
            LabelContent(
                url=f"{PUBLIC_URL}/t/{code}",
                code=code,
                title=f"{ASSETS[i % len(ASSETS)]} {i + 1}号",
                subtitle=PLACES[i % len(PLACES)],
                org_line="北京市海淀区第一实验小学",
            )
        )
    return contents


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def speed() -> None:
    font = find_cjk_font()
    rng = random.Random(2026)
    contents = _contents(LABELS, rng)
    preset = PRESETS["a4-3x8"]

    qr_symbol.cache_clear()
    pdf_bytes: list[bytes] = []
    pdf = _seconds(lambda: pdf_bytes.append(labels_pdf(contents, preset, font=font)))
    pages = math.ceil(LABELS / preset.labels_per_page)
    print(f"{LABELS} labels, {preset.name} PDF ({pages} pages, {len(pdf_bytes[0]) / 1e6:.2f} MB)")
    print(f"  labels_pdf:            {pdf:6.3f} s")

    qr_symbol.cache_clear()
    bare = _seconds(lambda: [qr_png(content.url) for content in contents])
    print(f"  {LABELS} bare qr_png:     {bare:6.3f} s   (PDF / bare QR = {pdf / bare:.2f})")

    def qrcode_pngs() -> None:
        for content in contents:
            qrcode.make(content.url, error_correction=ERROR_CORRECT_M).save(io.BytesIO())

    print(f"  {LABELS} qrcode.make PNG: {_seconds(qrcode_pngs):6.3f} s   (the library alone)")

    qr_symbol.cache_clear()
    sample = contents[:200]
    png = _seconds(lambda: [label_png(content, preset, dpi=300, font=font) for content in sample])
    print(f"  label_png at 300 dpi:  {png / len(sample) * 1000:6.2f} ms a label (QR included)")


def _stain(symbol: Symbol, fraction: float, rng: random.Random) -> Symbol:
    """Covers `fraction` of the symbol with one round stain, away from the finder patterns."""
    size = len(symbol)
    radius = math.sqrt(fraction * size * size / math.pi)
    cx, cy = rng.uniform(9, size - 1), rng.uniform(9, size - 1)
    colour = rng.random() < 0.5
    finder = {(r, c) for r in range(9) for c in range(9)}
    finder |= {(r, size - 1 - c) for r, c in finder} | {(size - 1 - r, c) for r, c in finder}
    return tuple(
        tuple(
            colour if (r - cy) ** 2 + (c - cx) ** 2 <= radius**2 and (r, c) not in finder else dark
            for c, dark in enumerate(row)
        )
        for r, row in enumerate(symbol)
    )


def error_correction() -> None:
    url = f"{PUBLIC_URL}/t/K7QMX3PX"
    print(f"\nError correction, for {url} ({len(url)} bytes)")
    for level in ("M", "Q"):
        size = len(qr_symbol(url, level))
        modules = [
            f"{name} {(preset.label_height - 2 * QR_INSET) / (size + 2 * QUIET_ZONE):.3f}"
            for name, preset in PRESETS.items()
        ]
        print(f"  {level}: version {(size - 17) // 4}, module mm: {', '.join(modules)}")
    rng = random.Random(18004)
    trials = 60
    for fraction in (0.08, 0.11, 0.14):
        rates = []
        for level in ("M", "Q"):
            read = 0
            for _ in range(trials):
                code = new_code(rng.randbytes)
                symbol = qr_symbol(f"{PUBLIC_URL}/t/{code}", level)
                image = symbol_image(_stain(symbol, fraction, rng), 6).convert("L")
                read += any(r.text.endswith(code) for r in zxingcpp.read_barcodes(image))
            rates.append(f"{level} {read / trials:4.0%}")
        print(f"  stain over {fraction:.0%} of the symbol, decoded: {', '.join(rates)}")


if __name__ == "__main__":
    speed()
    error_correction()
