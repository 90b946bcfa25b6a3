"""axe-core (npm, server/web/vendor's devDependencies) run in a page the tests opened: the
console's pages must have no serious or critical accessibility violation."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.async_api import Page

AXE = Path(__file__).resolve().parents[2] / "server/web/vendor/node_modules/axe-core/axe.min.js"


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Page) -> list[str]:
    """The serious and critical violations on the page as it is now, one line each."""
    assert AXE.is_file(), f"{AXE} is missing: run scripts/setup.sh (npm ci installs it)"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Added as the page's own script would be refused by its policy; evaluated instead.
        await page.evaluate(_axe_source())
    results = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]
