"""The phone app: what a phone downloads on its first visit, and how fast a tag URL opens
offline on a slow phone.

Starts `roundkeeper serve` on a fresh SQLite database with the demo school and drives
Debian's Chromium through Playwright at a phone's size.

1. First load: a new browser opens /app/ and waits until the service worker has cached the
   app. Every HTML, JS, CSS, JSON and manifest response of that visit is counted, the ones
   the service worker fetches to cache included (the app's own files; the API's answers are
   data and counted apart), raw and gzip-compressed at level 6 as the deploy configs do.
   The service worker asks again for the files the page already loaded; the server answers
   'not modified' (ETag) without the body, so they count once.
2. Offline: the inspector logs in, pulls and goes offline; then, in a new tab each time (as
   the phone's camera app opens a tag URL in a browser where the app is open), with the
   CPU slowed down four times (DevTools protocol, Emulation.setCPUThrottlingRate), the time
   from the start of the navigation to /t/{code} until the target page with its checklists
   is painted, and to /t/{code}?checklist={key} until the form is painted. The app marks
   its first screen with performance.mark("rk:drawn") once built and "rk:ready" once the
   frame showing it is painted; their startTime counts from the navigation's start.
   What is due and the recent results are drawn into the target page just after.

    python bench/bench_phone.py [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from harness import demo_server
from playwright.async_api import Page, Request, async_playwright

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 640}
PASSWORD = "roundkeeper-demo"
CHECKLIST = "fire_extinguisher_monthly"
TARGET_BYTES = 300 * 1024
TARGET_MS = 300.0
THROTTLE = 4
TEXT_SUFFIXES = (".html", ".js", ".css", ".json", ".webmanifest")


@dataclass
class Download:
    files: list[tuple[str, int, int]] = field(default_factory=list)
    api_raw: int = 0
    api_gzipped: int = 0

    @property
    def raw(self) -> int:
        return sum(raw for _, raw, _ in self.files)

    @property
    def gzipped(self) -> int:
        return sum(packed for _, _, packed in self.files)


async def first_load(browser, base: str) -> Download:
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    finished: list[Request] = []
    context.on("requestfinished", lambda r: finished.append(r))
    page = await context.new_page()
    await page.goto(f"{base}/app/")
    await page.get_by_test_id("login-form").wait_for()
    # Installed and activated: every file is in the cache.
    await page.evaluate("navigator.serviceWorker.ready")
    download = Download()
    client = httpx.AsyncClient()
    for request in finished:
        response = await request.response()
        if response is None:
            continue
        path = urlsplit(request.url).path
        who = "sw" if request.service_worker else "page"
        sent = (await request.sizes())["responseBodySize"]
        text = path.startswith(("/app", "/api/")) or path.endswith(TEXT_SUFFIXES)
        if response.status not in (200, 304) or not text:
            continue
        if not sent:
            # Revalidated (ETag): the server sent no body, the browser had the file.
            download.files.append((f"{who} {path} (not modified)", 0, 0))
            continue
        # Playwright keeps no body of the service worker's fetches: the same file again.
        body = (await client.get(request.url)).content if request.service_worker else None
        body = body if body is not None else await response.body()
        packed = len(gzip.compress(body, compresslevel=6))
        if path.startswith("/api/"):
            download.api_raw += len(body)
            download.api_gzipped += packed
        else:
            download.files.append((f"{who} {path}", len(body), packed))
    await client.aclose()
    await context.close()
    return download


# Both marks once the screen is painted: [built, painted], in ms from the navigation start.
# One call that waits in the page for the mark (a PerformanceObserver, no polling).
MARKS = """new Promise((resolve) => {
  const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
  const done = () => resolve([at("rk:drawn"), at("rk:ready")]);
  if (at("rk:ready") !== undefined) return done();
  new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => e.name === "rk:ready")) done();
  }).observe({ type: "mark" });
})"""


async def drawn_at(context, url: str, ready: str) -> list[float]:
    """Milliseconds from the start of the navigation to the app's first screen built and
    painted, in a
    new tab (as the phone's camera app opens a tag URL) slowed down from its first task.
    Until the app says it is drawn, the page is only asked once, over the DevTools
    protocol, to say when the mark is set: Playwright's own locators would run their script
    in the page while it loads, and be counted."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    await page.goto(url, wait_until="commit")
    answer = await cdp.send(
        "Runtime.evaluate", {"expression": MARKS, "awaitPromise": True, "returnByValue": True}
    )
    marks = answer["result"].get("value")
    shown = await page.locator(ready).count()
    await page.close()
    if marks is None or not shown:
        raise SystemExit(f"{url}: not drawn (rk:ready {marks}, {ready}: {shown})")
    return marks


async def spin(page: Page) -> float:
    """A fixed piece of work, timed in the page: shows the throttling is in force."""
    return await page.evaluate(
        """() => { const t = performance.now(); let x = 0;
                   for (let i = 0; i < 3e6; i++) x += Math.sqrt(i);
                   return performance.now() - t; }"""
    )


async def offline_times(browser, base: str, code: str, runs: int) -> dict[str, list[float]]:
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = await context.new_page()
    await page.goto(f"{base}/app/")
    await page.locator("#username").fill("inspector")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    synced = page.locator('#status[data-state="ok"]')
    await synced.wait_for(timeout=60_000)
    await page.evaluate("navigator.serviceWorker.ready")
    # The app pulls when it starts; offline only after its answer.
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{base}/t/{code}")
    await synced.wait_for()
    await context.set_offline(True)
    cdp = await context.new_cdp_session(page)
    plain = await spin(page)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    times: dict[str, list] = {"target": [], "checklist": [], "spin": [plain]}
    times["spin"].append(await spin(page))
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    # The app stays open in its first tab, as in a phone's browser that has been used.
    target = '[data-testid="checklist"]'
    form = '[data-testid="form-title"]'
    await drawn_at(context, f"{base}/t/{code}", target)  # warm up
    for _ in range(runs):
        times["target"].append(await drawn_at(context, f"{base}/t/{code}", target))
        url = f"{base}/t/{code}?checklist={CHECKLIST}"
        times["checklist"].append(await drawn_at(context, url, form))
    await context.close()
    return times


def tag_code(output: str) -> str:
    url = next(line for line in output.splitlines() if "/t/" in line).split()[-1]
    return url.rsplit("/", 1)[1]


async def measure(base: str, code: str, runs: int) -> tuple[Download, dict[str, list[float]]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            download = await first_load(browser, base)
            times = await offline_times(browser, base, code, runs)
        finally:
            await browser.close()
    return download, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--files", action="store_true", help="list every file counted")
    args = parser.parse_args()
    with demo_server("sqlite") as running:
        code = tag_code(running.roundkeeper("demo"))
        download, times = asyncio.run(measure(running.base, code, args.runs))

    kb = lambda n: f"{n / 1024:.1f} KB"  # noqa: E731
    if args.files:
        for name, raw, packed in sorted(download.files):
            print(f"  {name:<40} {raw:>8} {packed:>8}")
    by_page = sum(1 for name, *_ in download.files if name.startswith("page "))
    by_sw = len(download.files) - by_page
    again = sum(1 for name, *_ in download.files if name.endswith("(not modified)"))
    verdict = "ok" if download.gzipped <= TARGET_BYTES else "OVER"
    print(
        f"first load of /app/: {len(download.files)} responses ({by_page} by the page, "
        f"{by_sw} by the service worker caching the app, {again} of them answered "
        "'not modified' without a body)"
    )
    print(
        f"  HTML+JS+CSS+JSON+manifest: {kb(download.gzipped)} gzip-6 ({kb(download.raw)} raw); "
        f"target <= {kb(TARGET_BYTES)}: {verdict}"
    )
    print(f"  API answers of that visit: {kb(download.api_gzipped)} gzip-6")
    plain, slowed = times["spin"]
    print(
        f"offline, CPU throttled {THROTTLE}x (a fixed loop: {plain:.0f} ms -> {slowed:.0f} ms), "
        f"{args.runs} runs, from navigation start to drawn:"
    )
    for name, label in (
        ("target", "/t/{code} -> checklists listed"),
        ("checklist", "/t/{code}?checklist= -> form ready"),
    ):
        built = [b for b, _ in times[name]]
        painted = [p for _, p in times[name]]
        median = statistics.median(painted)
        verdict = "ok" if median <= TARGET_MS else "OVER"
        print(
            f"  {label:<36} painted: median {median:4.0f} ms, min {min(painted):4.0f}, "
            f"max {max(painted):4.0f}; target <= {TARGET_MS:.0f} ms: {verdict}"
        )
        print(
            f"  {'':<36} built (before its paint): median {statistics.median(built):4.0f} ms, "
            f"min {min(built):4.0f}, max {max(built):4.0f}"
        )


if __name__ == "__main__":
    main()
