"""The site in a real browser (issue 17): headless Chromium (Debian's), driven by Playwright.

Every page of the bundled demo's site is loaded once from file:// (and again from a static
server on 127.0.0.1): no console error, no request outside the site; each chart draws a mark
for each value of its table; the numbers on the pages are those of the JSON reports for the
same database; the log switch works; hostile names are text, never markup, script or link.

These tests FAIL, never skip, when Chromium cannot start (tests/browser.py): `.ci/run` installs
it where it is missing. One browser for the module; each page is read once (`visits`).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from oss_tracker.escape import visible
from tests.browser import chromium, visit
from tests.conftest import ROOT, WATCHLIST, run
from tests.site_hostile import HTML_NAMES, PLOTLY_ID

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))


def _visit_all(browser: Any, site: Path) -> dict[str, dict[str, Any]]:
    page = browser.new_page(viewport=VIEWPORT)
    allowed = site.resolve().as_uri() + "/"
    try:
        return {rel: visit(page, (site / rel).resolve().as_uri(), allowed=allowed) for rel in _pages(site)}
    finally:
        page.close()


@pytest.fixture(scope="module")
def visits(browser: Any, demo_site: Path) -> dict[str, dict[str, Any]]:
    """Every page of the demo site as the browser shows it, read once."""
    return _visit_all(browser, demo_site)


def test_chromium_starts(browser: Any) -> None:
    assert browser.version.split(".")[0].isdigit()


def test_every_page_loads_from_file_with_no_console_error_and_no_request_outside_the_site(
    visits: dict[str, dict[str, Any]], demo_site: Path
) -> None:
    assert sorted(visits) == _pages(demo_site) and len(visits) > 20
    for name, seen in visits.items():
        assert (name, seen["errors"], seen["outside"]) == (name, [], [])
        assert all(chart["drawn"] for chart in seen["charts"]), name


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_served_by_a_static_host_every_request_stays_on_its_origin(browser: Any, demo_site: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(demo_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    context = browser.new_context(viewport=VIEWPORT)
    refused: list[str] = []

    def only_the_site(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_site)
    page = context.new_page()
    kinds = ["index.html", "derivatives.html", "releases.html", "org/Qwen.html", "company/Alibaba.html",
             "model/Qwen--Qwen3-8B.html"]  # a page of each kind (every page is loaded from file:// above)  # fmt: skip
    try:
        for name in kinds:
            seen = visit(page, base + name, allowed=base)
            assert (name, seen["errors"], seen["outside"]) == (name, [], [])
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert refused == []


def test_each_chart_draws_a_mark_for_each_value_in_its_table(visits: dict[str, dict[str, Any]]) -> None:
    charts = 0
    for name, seen in visits.items():
        for chart in seen["charts"]:
            values = sum(1 for row in chart["rows"] for c in row[1:] if c["value"] is not None)
            assert values > 0, (name, chart["title"])
            assert chart["markers"] + chart["bars"] == values, (name, chart["title"])
            charts += 1
    assert charts > 50


# -- the numbers are the JSON reports' ------------------------------------------------------------------
def _json(*args: str) -> Any:
    result = run("--config", str(WATCHLIST), *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _chart(seen: dict[str, Any], title: str) -> dict[str, dict[str, float]]:
    """A chart's table: series -> x -> value, the values drawn only."""
    [chart] = [c for c in seen["charts"] if c["title"] == title]
    out: dict[str, dict[str, float]] = {s: {} for s in chart["series"]}
    for row in chart["rows"]:
        for series, c in zip(chart["series"], row[1:], strict=True):
            if c["value"] is not None:
                out[series][row[0]["value"]] = float(c["value"])
    return {s: v for s, v in out.items() if v}


def _table(seen: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """A section's rows, each header -> the cell's raw value where it has one, else its text."""
    [table] = [t for t in seen["tables"] if t["title"] == title]
    return [
        {
            h: (c["value"] if c["value"] is not None else c["text"])
            for h, c in zip(table["headers"], row, strict=True)
        }
        for row in table["rows"]
    ]


def _per_day(series: list[dict[str, Any]], key: str = "org") -> dict[str, dict[str, float]]:
    out = {
        s[key]: {p["period_start"]: float(p["per_day"]) for p in s["points"] if p["per_day"] is not None}
        for s in series
    }
    return {k: v for k, v in out.items() if v}


def _shares(series: list[dict[str, Any]], groups: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Each group's share of each period's downloads, from `trends` points (every account here has
    the same snapshot days: its periods line up)."""
    by_period: dict[str, dict[str, int]] = {}
    for s in series:
        for p in s["points"]:
            if p["days"] is not None and p["change"] is not None:
                by_period.setdefault(p["period_start"], {})[s["org"]] = p["change"]
    out: dict[str, dict[str, float]] = {}
    for period, changes in by_period.items():
        total = sum(changes.values())
        for group, accounts in groups.items():
            part = sum(changes[a] for a in accounts if a in changes)
            out.setdefault(group, {})[period] = round(100.0 * part / total, 1)
    return out


def _share_series(series: list[dict[str, Any]], key: str = "org") -> dict[str, dict[str, float]]:
    """`trends --metric share`'s points: series -> period start -> share."""
    out = {
        s[key]: {p["period_start"]: float(p["share_pct"]) for p in s["points"] if p["share_pct"] is not None}
        for s in series
    }
    return {k: v for k, v in out.items() if v}


def _months(by_month: list[dict[str, Any]], key: str = "org") -> dict[str, dict[str, float]]:
    """Releases per month per series, every month from the series' first release on (0 when none)."""
    months = sorted({r["month"] for r in by_month})
    every, (y, m) = [], (int(months[0][:4]), int(months[0][5:]))
    while f"{y}-{m:02d}" <= months[-1]:
        every.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    out: dict[str, dict[str, float]] = {}
    for name in {r[key] for r in by_month}:
        counts = {r["month"]: r["releases"] for r in by_month if r[key] == name}
        first = min(counts)
        out[name] = {f"{mo}-01": float(counts.get(mo, 0)) for mo in every if mo >= first}
    return out


def test_the_overview_shows_the_numbers_of_trends_releases_licenses_and_compare(
    visits: dict[str, dict[str, Any]], bundled_history: Path
) -> None:
    seen, db = visits["index.html"], str(bundled_history)
    trend = _json("trends", "--db", db, "--since", "2025-11-24")["series"]
    assert _chart(seen, "Downloads per day") == _per_day(trend)
    accounts = [s["org"] for s in trend]
    # The shares are trends' own (one implementation, rounded once), and what its points give.
    shares = _json("trends", "--db", db, "--since", "2025-11-24", "--metric", "share")["series"]
    assert _chart(seen, "Accounts' share of downloads") == _share_series(shares)
    assert _share_series(shares) == _shares(trend, {a: [a] for a in accounts})
    by_company = _json("trends", "--db", db, "--since", "2025-11-24", "--metric", "share", "--by", "company")
    assert _chart(seen, "Companies' share of downloads") == _share_series(by_company["series"], "company")
    companies = {"DeepSeek": ["deepseek-ai"], "Alibaba": ["Qwen", "Wan-AI"], "Moonshot AI": ["moonshotai"],
                 "MiniMax": ["MiniMaxAI"]}  # fmt: skip
    assert _share_series(by_company["series"], "company") == _shares(trend, companies)
    by_month = _json("releases", "--db", db)["by_month"]
    assert _chart(seen, "Releases per month") == _months(by_month)
    for key, title in (("originals", "Original releases per month (conversions and derived models left out)"),
                       ("conversions", "Conversions per month (quantized or converted copies)")):  # fmt: skip
        assert _chart(seen, title) == _months([{**r, "releases": r[key]} for r in by_month if r[key]]), title
    licences = _json("licenses", "--db", db)["orgs"]
    groups = ("permissive", "copyleft", "custom", "unknown")
    assert _chart(seen, "Licence mix") == {
        g: {o["org"]: float(o["groups"][g]) for o in licences} for g in groups
    }
    compare = _json("compare", "--db", db)["orgs"]
    assert [(r["Org"], int(r["Models"]), int(r["Downloads 30-day"]), int(r["Downloads in period"]))
            for r in _table(seen, "Accounts side by side")] == [
        (r["org"], r["models"], r["downloads_30d"], r["downloads_period"]) for r in compare]  # fmt: skip
    by_company = _json("compare", "--by", "company", "--db", db)["companies"]
    assert [(r["Company"], int(r["Downloads 30-day"])) for r in _table(seen, "Companies side by side")] == [
        (r["company"], r["downloads_30d"]) for r in by_company]  # fmt: skip


def _account_page(seen: dict[str, Any], report: dict[str, Any], label: str) -> None:
    """An account's or company's page against its `report` JSON."""
    title = next(t["title"] for t in seen["tables"] if t["title"].startswith("Totals"))
    totals = {r[""]: (int(r["Now"]), r["Change"]) for r in _table(seen, title) if r["Now"] != "—"}
    for key, label_ in (("models", "Models"), ("downloads_30d", "Downloads (last 30 days)"),
                        ("downloads_all_time", "Downloads (all time)"), ("likes", "Likes"), ("followers", "Followers")):  # fmt: skip
        change = report["change"][key] if report["change"] else None
        assert totals[label_] == (report[key], str(change) if change is not None else "—"), label_
    top = _table(seen, next(t["title"] for t in seen["tables"] if t["title"].startswith("Top ")))
    assert [(r["Model"], int(r["30-day"])) for r in top] == [
        (m["id"], m["downloads_30d"]) for m in report["top_models"]
    ]
    points = report["trend"]["points"]
    assert _chart(seen, "Downloads per day") == {
        label: {p["period_start"]: float(p["per_day"]) for p in points if p["per_day"] is not None}
    }
    months = report["releases_by_month"]
    assert _chart(seen, "Releases per month") == _months(
        [{"month": m, "org": label, "releases": n} for m, n in months.items()]
    )
    assert _chart(seen, "Licence mix") == {"Models": {k: float(v) for k, v in report["licenses"].items()}}
    derivs = report["derivatives"]
    shown = {
        k.replace("_", " "): float(derivs[k])
        for k in ("finetune", "quantized", "adapter", "merge", "split_unknown")
        if derivs.get(k)
    }
    if shown:
        assert _chart(seen, "Derivatives by relation") == {"Derivatives": shown}
    else:  # no derivative at all (Wan-AI): no chart of zeros
        assert "Derivatives by relation" not in [c["title"] for c in seen["charts"]]


def test_account_and_company_pages_show_the_numbers_of_report(
    visits: dict[str, dict[str, Any]], bundled_history: Path
) -> None:
    db = str(bundled_history)
    for org in ("deepseek-ai", "MiniMaxAI", "moonshotai", "Qwen", "Wan-AI"):
        report = _json("report", "--org", org, "--db", db, "--days", "90")
        _account_page(visits[f"org/{org}.html"], report, org)
    report = _json("report", "--company", "Alibaba", "--db", db, "--days", "90")
    seen = visits["company/Alibaba.html"]
    assert seen["h1"] == "Alibaba (Qwen, Wan-AI) on the Hugging Face Hub"
    _account_page(seen, report, "Alibaba")
    by_account = _table(seen, "By account")
    assert [(r["Account"], int(r["30-day"])) for r in by_account] == [
        (a["org"], a["downloads_30d"]) for a in report["by_account"]
    ]


def test_model_pages_show_the_numbers_of_trends_and_derivatives(
    visits: dict[str, dict[str, Any]], bundled_history: Path
) -> None:
    db = str(bundled_history)
    models = [name for name in visits if name.startswith("model/")]
    assert len(models) >= 10
    for name in models:
        seen = visits[name]
        repo = seen["h1"]
        assert name == f"model/{repo.replace('/', '--')}.html"
        trend = _json("trends", "--model", repo, "--db", db, "--since", "2025-11-24")["series"]
        assert _chart(seen, "Downloads per day") == _per_day(trend, "model")
        counts = _json("derivatives", repo, "--db", db)["counts"]
        expected = {rel: {c["day"]: float(c[rel]) for c in counts if c[rel] is not None}
                    for rel in ("total", "finetune", "quantized", "adapter", "merge")}  # fmt: skip
        assert _chart(seen, "Direct derivatives") == {k: v for k, v in expected.items() if v}
        facts = {row[0]["text"]: row[1] for t in seen["tables"] if t["title"] == "About" for row in t["rows"]}
        assert (
            facts["Account"]["href"] == f"../org/{repo.split('/')[0]}.html"
        )  # the facts link to the account
    # The licence history is the `licenses` report's changes of that model.
    changes = _json("licenses", "--db", db)["changes"]
    history = _table(visits["model/MiniMaxAI--MiniMax-M2.html"], "Licence history")
    assert (
        [(r["Seen"], r["From"], r["To"]) for r in history]
        == [(c["at"], c["from"], c["to"]) for c in changes if c["id"] == "MiniMaxAI/MiniMax-M2"]
        == [("2025-11-25T06:00:00Z", "mit", "modified-mit")]
    )


def test_the_derivatives_page_shows_the_derivatives_ranking(
    visits: dict[str, dict[str, Any]], bundled_history: Path
) -> None:
    bases = _json("derivatives", "--db", str(bundled_history), "--limit", "20")["bases"]
    seen = visits["derivatives.html"]
    chart = _chart(seen, "Top 20 bases by direct derivatives")
    expected = {
        rel: {b["id"]: float(b[rel]) for b in bases if b[rel] is not None}
        for rel in ("finetune", "quantized", "adapter", "merge")
    }
    expected["total only"] = {b["id"]: float(b["total"]) for b in bases if b["finetune"] is None}
    assert chart == {k: v for k, v in expected.items() if v}
    ranked = _table(seen, "Top 20 bases by direct derivatives")
    assert [(r["Base model"], int(r["Total"])) for r in ranked] == [(b["id"], b["total"]) for b in bases]


def test_the_releases_page_lists_the_feeds_entries_and_the_newest_releases(
    visits: dict[str, dict[str, Any]], bundled_history: Path
) -> None:
    seen = visits["releases.html"]
    entries = [
        (r["Change"], r["Model"])
        for r in _table(seen, next(t["title"] for t in seen["tables"] if t["title"].startswith("The ")))
    ]
    assert entries == [
        ("renamed", "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic"), ("removed", "Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8"),
        ("new", "deepseek-ai/DeepSeek-Math-V2"), ("new", "Qwen/Qwen3-VL-32B-Thinking-FP8"), ("licence", "MiniMaxAI/MiniMax-M2"),
    ]  # fmt: skip
    newest = _json("releases", "--db", str(bundled_history), "--limit", "100")["releases"]
    assert [r["Model"] for r in _table(seen, "Newest first (by createdAt)")] == [r["id"] for r in newest]


def test_the_log_switch_turns_the_y_axis_to_log_and_back(browser: Any, demo_site: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    try:
        seen = visit(
            page, (demo_site / "index.html").resolve().as_uri(), allowed=demo_site.resolve().as_uri() + "/"
        )
        offered = [c["title"] for c in seen["charts"] if c["log"]]
        assert "Accounts' share of downloads" in offered  # Qwen's ~80 % dwarfs Wan-AI's ~0.3 %
        n = [c["title"] for c in seen["charts"]].index("Accounts' share of downloads")
        axis = f"document.querySelector('[data-chart=\"{n}\"]').layout.yaxis.type"
        button = page.locator(f'button[data-log="{n}"]')
        assert (page.evaluate(axis), button.get_attribute("aria-pressed")) in (
            ("linear", "false"),
            ("-", "false"),
        )
        button.click()
        assert (page.evaluate(axis), button.get_attribute("aria-pressed")) == ("log", "true")
        button.click()
        assert (page.evaluate(axis), button.get_attribute("aria-pressed")) == ("linear", "false")
    finally:
        page.close()


def test_hostile_names_show_as_text_and_inject_nothing(browser: Any, hostile_site: tuple[Path, Path]) -> None:
    _, site = hostile_site
    seen = _visit_all(browser, site)
    shown: set[str] = set()
    for name, page in seen.items():
        assert (name, page["errors"], page["outside"]) == (name, [], [])
        for chart in page["charts"]:
            assert chart["links"] == 0, (name, chart["title"])  # plotly made no <a> of a name
            shown |= {
                n for n in map(visible, HTML_NAMES) if n in chart["legend"] + chart["ticks"] + chart["series"]
            }
        for table in page["tables"]:
            shown |= {
                n for n in map(visible, HTML_NAMES) for row in table["rows"] for c in row if c["text"] == n
            }
    assert shown == {visible(n) for n in HTML_NAMES}
    headings = {page["h1"] for page in seen.values()}
    assert {visible(n) for n in HTML_NAMES} <= headings
    # The pages ran nothing of the names (a script, an onerror) and made no element of them.
    for name, page in seen.items():
        assert (name, page["pwned"], page["foreign"], page["scripts"]) == (name, False, 0, 3)
    ticks = seen["derivatives.html"]["charts"][0]["ticks"]
    assert visible(PLOTLY_ID) in ticks  # plotly shows the name, markup and all, as text


def test_the_overview_screenshot(browser: Any, demo_site: Path, tmp_path: Path) -> None:
    """The README's picture of the overview (UPDATE_GOLDEN=1 writes docs/site-overview.png)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1500}, device_scale_factor=1)
    page = context.new_page()
    try:
        visit(page, (demo_site / "index.html").resolve().as_uri(), allowed=demo_site.resolve().as_uri() + "/")
        shot = tmp_path / "overview.png"
        page.screenshot(path=str(shot), full_page=False)
    finally:
        context.close()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1280, 1500)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        (ROOT / "docs" / "site-overview.png").write_bytes(data)
    assert (ROOT / "docs" / "site-overview.png").is_file()


def test_without_chromium_these_tests_fail_with_one_line_saying_why(tmp_path: Path) -> None:
    env = {**os.environ, "OSS_TRACKER_CHROMIUM": str(tmp_path / "no-chromium")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::test_chromium_starts"],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    reason = f"Chromium not found at {tmp_path / 'no-chromium'}: apt-get install chromium (as .ci/run does)"
    assert reason in done.stdout.splitlines()  # the whole reason, on its own line
    assert "skipped" not in done.stdout and done.stdout.rstrip().endswith(
        "1 error in " + done.stdout.rsplit("1 error in ", 1)[-1].strip()
    )
