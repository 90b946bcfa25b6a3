"""The taps an all-OK check takes: from a tag URL to a submitted check where everything is
fine, for every template of the built-in library, on the demo school.

Starts `roundkeeper serve` on a fresh SQLite database with the demo school and drives
Debian's Chromium through Playwright at a phone's size (360x740), as the inspector, offline
after the first pull. For each template it opens the tag URL of a thing the template
applies to (the one with the fewest other checklists), then does what a person would:
open the checklist, All OK, answer what All OK and the asset's record left unanswered (a
reading in range, a name, a passing option, a photo, a signature), and Submit. Every tap,
typed field, photo and signature stroke counts as one tap; scrolling is what the page had
to move for each of them to be on the screen above the form's bar.

The library marks with `all_ok: true` the templates whose all-OK check is open, All OK,
Submit; the bench says which of those took more than three taps or any scrolling.

    python bench/bench_taps.py
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
from dataclasses import dataclass, field

from harness import demo_server
from PIL import Image
from playwright.async_api import Page, async_playwright

from checklists import load_library

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
PASSWORD = "roundkeeper-demo"
THREE = 3

# For each template key, the tag of the thing it applies to with the fewest checklists.
TAGS = """async () => {
  const store = await import("/web/app/store.js");
  const { applies } = await import("/web/app/target.js");
  const siteId = (await store.getMeta("user")).sites[0].site_id;
  const of = (entity) => store.recordsOf(siteId, entity);
  const [tags, assets, locations, templates, overrides] =
    await Promise.all(["tag", "asset", "location", "template", "site_checklist"].map(of));
  const byId = new Map([...assets, ...locations].map((r) => [r.id, r]));
  const rules = new Map(overrides.map((o) => [o.template_key, o]));
  const best = {};
  for (const tag of tags.filter((t) => t.status === "active")) {
    const thing = byId.get(tag.asset_id ?? tag.location_id);
    if (!thing) continue;
    const target = tag.asset_id ? { category: thing.category } : { kind: thing.kind };
    const keys = templates.filter((r) => applies(r.template, rules.get(r.key), target));
    for (const { key } of keys) {
      if (best[key]?.count <= keys.length) continue;
      best[key] = { code: tag.code, count: keys.length };
    }
  }
  return Object.fromEntries(Object.entries(best).map(([key, b]) => [key, b.code]));
}"""

# The problems the form would show now, from its draft: [[answer key, item type, reason]].
LEFT = """async ([code, key, today]) => {
  const store = await import("/web/app/store.js");
  const { validateAnswers } = await import("/web/app/checklist.js");
  const found = await store.targetRecords(code, { surroundings: false });
  const template = found.templates.find((r) => r.key === key).template;
  const draft = await store.getDraft(`${code}|${key}`);
  const problems = validateAnswers(template, draft?.answers ?? {}, today);
  const types = new Map(template.items.map((i) => [i.key, i]));
  return Object.entries(problems).map(([k, p]) => [k, types.get(k.split(".")[0]).type, p.code]);
}"""

# Brings an element onto the screen above the form's bar if it is not; how far it moved.
SCROLL = """(el) => {
  const box = el.getBoundingClientRect();
  const bar = document.querySelector('[data-testid="form-bar"]');
  const bottom = bar && !bar.contains(el) ? bar.getBoundingClientRect().top : innerHeight;
  if (box.top >= 0 && box.bottom <= bottom) return 0;
  const before = scrollY;
  el.scrollIntoView({ block: "center", behavior: "instant" });
  return Math.abs(scrollY - before);
}"""


@dataclass
class Run:
    key: str
    all_ok: bool
    code: str | None = None
    taps: int = 0
    scrolled: float = 0.0
    answered: list[str] = field(default_factory=list)
    submitted: bool = False


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


class Person:
    """Taps as a person does, counting each tap and the scrolling it needed."""

    def __init__(self, page: Page, run: Run) -> None:
        self.page = page
        self.run = run

    async def reach(self, test_id: str, target=None):
        target = target or self.page.get_by_test_id(test_id).first
        await target.wait_for()
        self.run.scrolled += await target.evaluate(SCROLL)
        self.run.taps += 1
        return target

    async def tap(self, test_id: str) -> None:
        await (await self.reach(test_id)).click()

    async def type(self, test_id: str, text: str) -> None:
        await (await self.reach(test_id)).fill(text)

    async def photo(self, test_id: str) -> None:
        await (await self.reach(test_id)).set_input_files(
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}
        )

    async def sign(self, test_id: str) -> None:
        pad = await self.reach(test_id)
        box = await pad.bounding_box()
        assert box is not None
        mouse = self.page.mouse
        await mouse.move(box["x"] + 20, box["y"] + 30)
        await mouse.down()
        await mouse.move(box["x"] + 160, box["y"] + 50, steps=5)
        await mouse.up()


def reading(item) -> int | float:
    """A reading inside the item's range."""
    if item.min is not None and item.max is not None:
        return item.min + (item.max - item.min) / 2 if item.decimals else round(item.min)
    if item.max is not None:
        return item.max - 2
    if item.min is not None:
        return item.min + 5
    return 1


async def settled(page: Page, args: list[str], answered: str | None) -> list[list[str]]:
    """What is left to answer once the form has saved the last answer to its draft (a photo
    is scaled down first, a signature drawn into an image)."""
    for _ in range(100):
        await page.wait_for_timeout(50)
        left = await page.evaluate(LEFT, args)
        if not left or left[0][0] != answered:
            return left
    raise SystemExit(f"{args[1]}: {answered} stays unanswered")


async def check(page: Page, base: str, run: Run, today: str) -> None:
    template = load_library()[run.key]
    items = {item.key: item for item in template.items}
    person = Person(page, run)
    await page.goto(f"{base}/t/{run.code}")
    button = page.locator(f'[data-testid="checklist"][data-key="{run.key}"] button')
    await (await person.reach("checklist", button)).click()
    await page.get_by_test_id("form-title").wait_for()
    await person.tap("all-ok")
    left = await settled(page, [run.code, run.key, today], None)
    while left:
        key, kind, _ = left[0]
        item = items[key.split(".")[0]]
        run.answered.append(key)
        if kind == "number":
            await person.type(f"input-{key}", str(reading(item)))
        elif kind == "text":
            await person.type(f"input-{key}", "张伟")
        elif kind == "date":
            await person.type(f"input-{key}", "2031-06-30")
        elif kind == "choice":
            good = [o.value for o in item.options if o.value not in item.fail_options]
            await person.tap(f"answer-{key}-{good[0]}")
        elif kind == "photo":
            await person.photo(f"photo-{key}")
        elif kind == "signature":
            await person.sign(f"signature-{key}")
        else:
            raise SystemExit(f"{run.key}: cannot answer {key} ({kind})")
        left = await settled(page, [run.code, run.key, today], key)
    await person.tap("submit")
    await page.get_by_test_id("submitted").wait_for(timeout=10_000)
    run.submitted = True


async def measure(base: str) -> list[Run]:
    library = load_library()
    runs = [Run(key=key, all_ok=template.all_ok) for key, template in library.items()]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
        page = await context.new_page()
        await page.goto(f"{base}/app/")
        await page.locator("#username").fill("inspector")
        await page.locator("#password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await page.locator('#status[data-state="ok"]').wait_for(timeout=60_000)
        await page.evaluate("navigator.serviceWorker.ready")
        await context.set_offline(True)
        tags = await page.evaluate(TAGS)
        today = dt.date.today().isoformat()
        for run in runs:
            run.code = tags.get(run.key)
            if run.code is not None:
                await check(page, base, run, today)
        await browser.close()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with demo_server("sqlite") as running:
        runs = asyncio.run(measure(running.base))
    print("from the tag URL to a submitted all-OK check, 360x740, demo school:")
    print(f"  {'template':<32} {'all_ok':>6} {'taps':>5} {'scrolled':>9}  answered besides All OK")
    for run in runs:
        if run.code is None:
            print(f"  {run.key:<32} {'yes' if run.all_ok else '':>6}   no thing in the demo school")
            continue
        print(
            f"  {run.key:<32} {'yes' if run.all_ok else '':>6} {run.taps:>5} "
            f"{run.scrolled:>7.0f}px  {', '.join(run.answered) or '-'}"
        )
    marked = [r for r in runs if r.all_ok]
    over = [r for r in marked if r.code is None or r.taps > THREE or r.scrolled > 0]
    print(
        f"marked all_ok: {len(marked)}; open, All OK, Submit with no scrolling: "
        f"{len(marked) - len(over)}"
    )
    for run in over:
        print(f"  OVER: {run.key} ({run.taps} taps, {run.scrolled:.0f}px scrolled)")


if __name__ == "__main__":
    main()
