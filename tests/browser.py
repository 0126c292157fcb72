"""A real browser for the site's tests: Debian's Chromium, headless, driven by Playwright.

`chromium()` starts it or FAILS the test with a one-line reason (never a skip: CI cannot pass
without these tests; `.ci/run` installs Chromium where it is missing). `visit()` loads a page
and reads back what a person would see: console errors, every request the page made, and for
each chart the marks plotly drew beside the numbers in its table.

    python -m tests.browser screenshot SITE/index.html docs/site-overview.png
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

EXECUTABLE = os.environ.get("OSS_TRACKER_CHROMIUM", "/usr/bin/chromium")
# As root Chromium needs --no-sandbox; the background-networking flags keep it from calling
# Google's hosts (this machine's network is closed: those would be refused, many at a time).
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--metrics-recording-only", "--no-default-browser-check",
]  # fmt: skip


def start_reason() -> str | None:
    """Why Chromium cannot be started here, or None."""
    if not Path(EXECUTABLE).is_file():
        return f"Chromium not found at {EXECUTABLE}: apt-get install chromium (as .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -e '.[test]'"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright Browser); the calling test fails if it cannot start."""
    reason = start_reason()
    if reason is not None:
        pytest.fail(reason, pytrace=False)
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=EXECUTABLE, args=ARGS, timeout=60_000)
        except Error as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            pytest.fail(f"Chromium cannot start ({EXECUTABLE}): {first}", pytrace=False)
        try:
            yield browser
        finally:
            browser.close()


# What a page shows, read in the page: per chart, the marks drawn (a scatter's markers, a bar
# chart's bars) and the values of its table; per section table, its cells.
READ = """() => {
  const cell = (c) => ({text: c.textContent.trim(), value: c.hasAttribute('data-value') ? c.getAttribute('data-value') : null,
                        href: c.querySelector('a') ? c.querySelector('a').getAttribute('href') : null});
  const charts = [...document.querySelectorAll('figure.chart')].map((f) => {
    const plot = f.querySelector('[data-chart]');
    const table = f.querySelector('table.numbers');
    const series = [...table.querySelectorAll('thead th')].slice(1).map((th) => th.textContent);
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map(cell));
    return {
      title: f.querySelector('figcaption > :first-child').textContent,
      note: f.querySelector('figcaption p').textContent,
      markers: plot.querySelectorAll('.scatterlayer .trace .points path.point').length,
      bars: plot.querySelectorAll('.barlayer .trace .points .point path').length,
      drawn: plot.querySelectorAll('.main-svg').length > 0,
      log: f.querySelector('button[data-log]') !== null,
      legend: [...plot.querySelectorAll('.legendtext')].map((t) => t.textContent),
      ticks: [...plot.querySelectorAll('.xtick text')].map((t) => t.textContent),
      links: plot.querySelectorAll('a').length,
      series, rows,
    };
  });
  const tables = [...document.querySelectorAll('table.section')].map((t) => ({
    title: t.querySelector('caption').textContent,
    headers: [...t.querySelectorAll('thead th')].map((th) => th.textContent),
    rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map(cell)),
  }));
  return {title: document.title, h1: document.querySelector('h1').textContent, charts, tables,
          warnings: [...document.querySelectorAll('.warning')].map((p) => p.textContent),
          pwned: window.pwned !== undefined, scripts: document.querySelectorAll('script').length,
          foreign: document.querySelectorAll('img, iframe, object, embed, form, input').length};
}"""


def visit(page: Any, url: str, *, allowed: str) -> dict[str, Any]:
    """Load `url` in `page`, wait for every chart to be drawn, and read it back. Every request
    whose address does not start with `allowed` is refused and listed, as is every console error."""
    outside: list[str] = []
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_request(request: Any) -> None:
        if not request.url.startswith(allowed):
            outside.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda err: errors.append(f"uncaught: {err}"))
    page.on("request", on_request)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function(
            "[...document.querySelectorAll('[data-chart]')].every((d) => d.querySelector('.main-svg'))",
            polling=50,
            timeout=30_000,
        )
        read = page.evaluate(READ)
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("request", on_request)
    return {**read, "errors": errors, "outside": outside}


def screenshot(site_page: Path, to: Path, *, width: int = 1280, height: int = 1500) -> None:
    """The top of a page as a PNG, as a person first sees it."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        page = context.new_page()
        visit(page, site_page.resolve().as_uri(), allowed=site_page.resolve().parent.as_uri() + "/")
        page.screenshot(path=str(to), full_page=False)
        context.close()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "screenshot":
        sys.exit(__doc__)
    screenshot(Path(sys.argv[2]), Path(sys.argv[3]))
