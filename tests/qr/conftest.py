from collections.abc import Callable

import pytest

from qr.codes import new_code
from qr.fonts import FontFile, find_cjk_font
from qr.labels import LabelContent

PUBLIC_URL = "https://roundkeeper.school.example.cn"

MakeContent = Callable[..., LabelContent]


@pytest.fixture(scope="session")
def cjk_font() -> FontFile:
    # No skip when the font is missing: the project's setup installs it, and labels without
    # it would print empty boxes. FontNotFound's message says how to install it.
    return find_cjk_font()


def _make_content(
    *,
    code: str | None = None,
    title: str = "二号楼三层走廊 灭火器 MFZ/ABC4",
    subtitle: str = "教学楼A · 3F · 301 Classroom",
    org_line: str | None = "北京市海淀区第一实验小学",
) -> LabelContent:
    code = code or new_code()
    return LabelContent(
        url=f"{PUBLIC_URL}/t/{code}", code=code, title=title, subtitle=subtitle, org_line=org_line
    )


@pytest.fixture
def make_content() -> MakeContent:
    return _make_content
