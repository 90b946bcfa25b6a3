"""Label stock. All sizes in millimetres; positions measured from the page's top-left corner."""

from dataclasses import dataclass
from typing import Literal

A4 = (210.0, 297.0)


@dataclass(frozen=True, slots=True)
class LabelPreset:
    name: str
    kind: Literal["sheet", "roll"]
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    margin_left: float = 0.0
    margin_top: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0

    @property
    def labels_per_page(self) -> int:
        return self.columns * self.rows

    def label_origin(self, slot: int) -> tuple[float, float]:
        """Top-left corner of the label in `slot` (0-based, left to right, then down)."""
        row, column = divmod(slot, self.columns)
        return (
            self.margin_left + column * (self.label_width + self.gap_x),
            self.margin_top + row * (self.label_height + self.gap_y),
        )


def centred_sheet(
    name: str,
    columns: int,
    rows: int,
    label_width: float,
    label_height: float,
    *,
    gap_x: float = 0.0,
    gap_y: float = 0.0,
    page: tuple[float, float] = A4,
) -> LabelPreset:
    """A sheet whose grid of labels is centred on the page, as die-cut stock is."""
    page_width, page_height = page
    grid_width = columns * label_width + (columns - 1) * gap_x
    grid_height = rows * label_height + (rows - 1) * gap_y
    return LabelPreset(
        name=name,
        kind="sheet",
        page_width=page_width,
        page_height=page_height,
        columns=columns,
        rows=rows,
        label_width=label_width,
        label_height=label_height,
        margin_left=round((page_width - grid_width) / 2, 3),
        margin_top=round((page_height - grid_height) / 2, 3),
        gap_x=gap_x,
        gap_y=gap_y,
    )


def roll(name: str, label_width: float, label_height: float) -> LabelPreset:
    """Thermal roll stock: every label is a page of its own size."""
    return LabelPreset(
        name=name,
        kind="roll",
        page_width=label_width,
        page_height=label_height,
        columns=1,
        rows=1,
        label_width=label_width,
        label_height=label_height,
    )


PRESETS: dict[str, LabelPreset] = {
    preset.name: preset
    for preset in (
        # Avery/Herma 3475-like: 24 labels touching each other and the sides of the page.
        centred_sheet("a4-3x8", 3, 8, 70.0, 37.0),
        # Avery 3657-like: 40 labels, 8 mm side and 21.5 mm top margins.
        centred_sheet("a4-4x10", 4, 10, 48.5, 25.4),
        # Avery L7163-like: 14 labels, 2.5 mm between the columns.
        centred_sheet("a4-2x7", 2, 7, 99.1, 38.1, gap_x=2.5),
        roll("thermal-50x30", 50.0, 30.0),
        # Brother DK-11209 small address labels.
        roll("thermal-62x29", 62.0, 29.0),
    )
}
