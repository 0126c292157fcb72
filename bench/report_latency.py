"""Report latency on two years of history, side by side with `oss-tracker --version` and `python -c pass`.

    python bench/report_latency.py [--db HISTORY.db] [--rounds 7] [--plans]

Builds (or reuses, with --db) the synthetic history of bench/synth.py: 730 days, 20 orgs,
5,000 models, about 3.6 million snapshot rows. Then, in interleaved rounds so that a busy
machine slows every command alike, runs `oss-tracker --version` and each report command as
a user would (a new process, the table format and a JSON or CSV form, output to a pipe) on
that database, and the same commands on a 3-day database of the same orgs (what start-up
alone costs a report). Also the
in-process time of each report's queries (CPU time, best of 5). --plans prints EXPLAIN QUERY
PLAN for every statement the reports run.

`--version` here is the Typer app's (every command built, then Typer's eager option), as it
ran when the goal "a report within 2x --version" was set: the command line itself answers
`oss-tracker --version` before importing Typer now, and that bare `--version` runs in the same
rounds too, so that both ratios are read side by side.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
import tomllib
from pathlib import Path

from _common import OSS_TRACKER, PYTHON, TYPER_VERSION, env, machine, median, ms, run_child, table, workdir
from synth import build_families, build_history

ORG = "lab-00"  # the largest org of the synthetic history
# A watch list of the synthetic orgs for `trends --by company`: 5 companies of 4 accounts.
WATCHLIST = "".join(
    f'[companies."Co {c}"]\naccounts = {json.dumps([f"lab-{4 * c + i:02d}" for i in range(4)])}\n'
    for c in range(5)
)
PASS = [PYTHON, "-c", "pass"]


def family_model(db: Path) -> str | None:
    """The watched model with the largest family on the newest family day (None: no families)."""
    try:
        row = (
            sqlite3.connect(db)
            .execute(
                """SELECT m.repo_id FROM families f JOIN models m ON m.id = f.model_id
               WHERE f.day_id = (SELECT id FROM family_days ORDER BY day DESC LIMIT 1)
               ORDER BY f.descendants DESC, m.repo_id LIMIT 1"""
            )
            .fetchone()
        )
    except sqlite3.Error:
        return None
    return row[0] if row else None


def subjects(db: Path) -> tuple[str, str]:
    """The day 30 days before the history's last (a month's digest) and the largest org's first model."""
    conn = sqlite3.connect(db)
    try:
        since = conn.execute("SELECT date(max(day), '-29 days') FROM runs").fetchone()[0]
        model = conn.execute(
            "SELECT m.repo_id FROM models m JOIN orgs g ON g.id = m.org_id WHERE g.name = ? ORDER BY m.id LIMIT 1",
            [ORG],
        ).fetchone()[0]
    finally:
        conn.close()
    return since, model


def commands(db: Path, config: Path) -> list[tuple[str, list[str]]]:
    """The commands measured; `config`: the watch list of `trends --by company`."""
    since, model = subjects(db)
    family = family_model(db)
    families = [
        ("families", ["families", "--db", str(db)]),
        ("families -f json", ["families", "--db", str(db), "-f", "json"]),
        ("families --by growth", ["families", "--db", str(db), "--by", "growth"]),
        ("derivatives --family MODEL", ["derivatives", "--family", str(family), "--db", str(db)]),
        ("derivatives --family MODEL -f json", ["derivatives", "--family", str(family), "--db", str(db), "-f", "json"]),
    ] if family else []  # fmt: skip
    return families + [
        ("report --org lab-00", ["report", "--org", ORG, "--db", str(db)]),
        ("report --org lab-00 -f json", ["report", "--org", ORG, "--db", str(db), "-f", "json"]),
        ("trends", ["trends", "--db", str(db)]),
        ("trends -f csv", ["trends", "--db", str(db), "-f", "csv"]),
        ("compare", ["compare", "--db", str(db)]),
        ("compare -f json", ["compare", "--db", str(db), "-f", "json"]),
        ("derivatives", ["derivatives", "--db", str(db)]),
        ("derivatives -f json", ["derivatives", "--db", str(db), "-f", "json"]),
        ("top", ["top", "--db", str(db)]),
        ("top -f json", ["top", "--db", str(db), "-f", "json"]),
        ("trends --by company", ["--config", str(config), "trends", "--by", "company", "--db", str(db)]),
        ("trends --by company --metric share", ["--config", str(config), "trends", "--by", "company", "--metric", "share",
                                                "--db", str(db)]),
        ("changes", ["changes", "--db", str(db)]),
        ("changes --since (30 days)", ["changes", "--since", since, "--db", str(db)]),
        ("changes --since (30 days) -f markdown", ["changes", "--since", since, "--db", str(db), "-f", "markdown"]),
        ("model", ["model", model, "--db", str(db)]),
        ("model -f json", ["model", model, "--db", str(db), "-f", "json"]),
        # Issue 14, points 1, 7 and 8: kinds of model, the licence mix by downloads, what releases are.
        ("report --org lab-00 --kind original", ["report", "--org", ORG, "--kind", "original", "--db", str(db)]),
        ("compare --kind original", ["compare", "--kind", "original", "--db", str(db)]),
        ("releases", ["releases", "--db", str(db)]),
        ("releases --kind conversion", ["releases", "--kind", "conversion", "--db", str(db)]),
        ("licenses", ["licenses", "--db", str(db)]),
        ("top --kind original", ["top", "--kind", "original", "--db", str(db)]),
    ]  # fmt: skip


def report_functions(db):
    from datetime import date

    from oss_tracker import watchlist
    from oss_tracker.reports import changes as changes_report
    from oss_tracker.reports import compare as compare_report
    from oss_tracker.reports import derivatives as derivative_report
    from oss_tracker.reports import families as family_report
    from oss_tracker.reports import licences as licences_report
    from oss_tracker.reports import org as reports
    from oss_tracker.reports import releases as releases_report
    from oss_tracker.reports import top as top_report
    from oss_tracker.reports import trends as trend_report
    from oss_tracker.reports.model_page import model_page

    companies = watchlist.parse(tomllib.loads(WATCHLIST))
    since, model = subjects(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    family = family_model(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    families = {
        "families": lambda: family_report.families_report(db),
        "families --by growth": lambda: family_report.families_report(db, by="growth"),
        "derivatives --family MODEL": lambda: family_report.family_report(db, family),
    } if family else {}  # fmt: skip
    return {
        **families,
        "report --org lab-00": lambda: reports.org_report(db, ORG),
        "trends": lambda: trend_report.trends(db),
        "compare": lambda: compare_report.compare(db, None),
        "derivatives": lambda: derivative_report.ranking(db),
        "top": lambda: top_report.top(db),
        "trends --by company": lambda: trend_report.trends(db, companies=companies),
        "trends --by company --metric share": lambda: trend_report.trends(
            db, companies=companies, metric="share"
        ),
        "changes": lambda: changes_report.changes(db),
        "changes --since (30 days)": lambda: changes_report.changes(db, since=date.fromisoformat(since)),
        "model": lambda: model_page(db, model),
        "report --org lab-00 --kind original": lambda: reports.org_report(db, ORG, kind="original"),
        "compare --kind original": lambda: compare_report.compare(db, None, kind="original"),
        "releases": lambda: releases_report.releases(db),
        "releases --kind conversion": lambda: releases_report.releases(db, kind="conversion"),
        "licenses": lambda: licences_report.licenses_report(db),
        "top --kind original": lambda: top_report.top(db, kind="original"),
    }


def query_times(path: Path) -> dict[str, float]:
    """CPU seconds of each report's queries (no start-up, no rendering), best of 5."""
    from oss_tracker.store.open import open_db

    db = open_db(path, create=False)
    out = {}
    for name, fn in report_functions(db).items():
        best = None
        for _ in range(5):
            start = time.process_time()
            fn()
            spent = time.process_time() - start
            best = spent if best is None else min(best, spent)
        out[name] = best
    return out


def plans(path: Path) -> str:
    """EXPLAIN QUERY PLAN of each distinct statement the reports run (values as bound)."""
    from oss_tracker.store.open import open_db

    db = open_db(path, create=False)
    seen: dict[str, str] = {}

    def trace(sql: str) -> None:
        key = re.sub(r"\s+", " ", re.sub(r"'[^']*'|\b\d+\b", "?", sql)).strip()
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and key not in seen:
            seen[key] = sql

    db.conn.set_trace_callback(trace)
    for fn in report_functions(db).values():
        fn()
    db.conn.set_trace_callback(None)
    raw = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    out = []
    for sql in seen.values():
        shown = re.sub(r"json_each\('(.{60}).*?'\)", r"json_each('\1…')", " ".join(sql.split()))
        out.append(f"-- {shown}")
        for _id, parent, _n, detail in raw.execute("EXPLAIN QUERY PLAN " + sql):
            out.append(f"{'   ' * (1 + (parent > 0))}{detail}")
        out.append("")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="reuse (or build there) the 2-year history")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--plans", action="store_true", help="print the query plans too")
    parser.add_argument(
        "--families", action="store_true", help="add families (bench/synth.py families) if absent"
    )
    args = parser.parse_args()
    with workdir() as tmp:
        big = args.db or tmp / "history.db"
        if not big.exists():
            counts = build_history(big)
            print(f"built {big}: {counts}", file=sys.stderr)
        if args.families and family_model(big) is None:
            print(f"families: {build_families(big)}", file=sys.stderr)
        small = tmp / "small.db"
        build_history(small, days=3, quiet=True)
        config = tmp / "watchlist.toml"
        config.write_text(WATCHLIST)
        if args.families:
            build_families(small, quiet=True)
        rows_n = sqlite3.connect(big).execute("SELECT count(*) FROM model_snapshots").fetchone()[0]
        environ = env(tmp)
        cases = [
            ("pass", PASS, None),
            ("--version", TYPER_VERSION, None),
            ("bare", [OSS_TRACKER, "--version"], None),
        ]
        for name, argv in commands(big, config):
            cases.append((name, [OSS_TRACKER, *argv], "big"))
        for name, argv in commands(small, config):
            cases.append((name, [OSS_TRACKER, *argv], "small"))
        for _name, argv, _ in cases:  # warm-up: bytecode cache, OS page cache
            run_child(argv, environ)
        walls: dict[tuple[str, str | None], list[float]] = {(n, w): [] for n, _a, w in cases}
        for _ in range(args.rounds):
            for name, argv, which in cases:
                wall, code, _rss, err = run_child(argv, environ)
                if code != 0:
                    sys.exit(f"{name} failed ({code}): {err.strip()}")
                walls[(name, which)].append(wall)
        queries = query_times(big)
        version = median(walls[("--version", None)])
        base = median(walls[("pass", None)])
        bare = median(walls[("bare", None)])
        rows = [["`python -c pass`", ms(base), f"{base / version:.2f}", f"{base / bare:.2f}", f"{1:.2f}", "", "", ""],
                ["`oss-tracker --version` (answered before Typer)", ms(bare), f"{bare / version:.2f}", "1.00",
                 f"{bare / base:.2f}", "", "", ""],
                ["`oss-tracker --version` (through Typer)", ms(version), "1.00", f"{version / bare:.2f}",
                 f"{version / base:.2f}", "", "", ""]]  # fmt: skip
        for name, _argv in commands(big, config):
            on_big, on_small = median(walls[(name, "big")]), median(walls[(name, "small")])
            rows.append([
                f"`oss-tracker {name}`", ms(on_big), f"{on_big / version:.2f}", f"{on_big / bare:.2f}",
                f"{on_big / base:.2f}",
                ms(on_small), f"{on_small / version:.2f}", ms(queries.get(name.split(" -f ")[0], 0)),
            ])  # fmt: skip
        plan_text = plans(big) if args.plans else ""
    print(f"machine: {machine()}")
    print(f"history: {rows_n:,} model snapshot rows; rounds: {args.rounds} (median wall time)\n")
    print(
        table(
            [
                "command",
                "2-year history",
                "× --version (Typer)",
                "× --version (before Typer)",
                "× python -c pass",
                "3-day history",
                "× --version (Typer)",
                "queries alone (CPU)",
            ],  # fmt: skip
            rows,
        )
    )
    if plan_text:
        print("\n" + plan_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
