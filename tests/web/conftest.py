"""A real Chromium (Debian's, driven by Playwright) against the real server.

Playwright never downloads a browser here: scripts/setup.sh (run by `make test`) installs
Debian's `chromium`. Without it these tests fail, as a missing PostgreSQL fails the
database tests: a skipped browser test would hide a missing capability.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        await chromium.close()
