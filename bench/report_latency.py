"""Report latency on two years of history, side by side with `oss-tracker --version`.

    python bench/report_latency.py [--db HISTORY.db] [--rounds 7] [--plans]

Builds (or reuses, with --db) the synthetic history of bench/synth.py: 730 days, 20 orgs,
5,000 models, about 3.6 million snapshot rows. Then, in interleaved rounds so that a busy
machine slows every command alike, runs `oss-tracker --version` and each report command as
a user would (a new process, the table format and a JSON or CSV form, output to a pipe) on
that database, and the same commands on a 3-day database of the same orgs (what start-up
alone costs a report). Also the
in-process time of each report's queries (CPU time, best of 5). --plans prints EXPLAIN QUERY
PLAN for every statement the reports run.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import time
from pathlib import Path

from _common import OSS_TRACKER, env, machine, median, ms, run_child, table, workdir
from synth import build_families, build_history

ORG = "lab-00"  # the largest org of the synthetic history


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


def commands(db: Path) -> list[tuple[str, list[str]]]:
    model = family_model(db)
    families = [
        ("families", ["families", "--db", str(db)]),
        ("families -f json", ["families", "--db", str(db), "-f", "json"]),
        ("families --by growth", ["families", "--db", str(db), "--by", "growth"]),
        ("derivatives --family MODEL", ["derivatives", "--family", str(model), "--db", str(db)]),
        ("derivatives --family MODEL -f json", ["derivatives", "--family", str(model), "--db", str(db), "-f", "json"]),
    ] if model else []  # fmt: skip
    return families + [
        ("report --org lab-00", ["report", "--org", ORG, "--db", str(db)]),
        ("report --org lab-00 -f json", ["report", "--org", ORG, "--db", str(db), "-f", "json"]),
        ("trends", ["trends", "--db", str(db)]),
        ("trends -f csv", ["trends", "--db", str(db), "-f", "csv"]),
        ("compare", ["compare", "--db", str(db)]),
        ("compare -f json", ["compare", "--db", str(db), "-f", "json"]),
        ("derivatives", ["derivatives", "--db", str(db)]),
        ("derivatives -f json", ["derivatives", "--db", str(db), "-f", "json"]),
    ]


def report_functions(db):
    from oss_tracker.reports import compare as compare_report
    from oss_tracker.reports import derivatives as derivative_report
    from oss_tracker.reports import families as family_report
    from oss_tracker.reports import org as reports
    from oss_tracker.reports import trends as trend_report

    model = family_model(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    families = {
        "families": lambda: family_report.families_report(db),
        "families --by growth": lambda: family_report.families_report(db, by="growth"),
        "derivatives --family MODEL": lambda: family_report.family_report(db, model),
    } if model else {}  # fmt: skip
    return {
        **families,
        "report --org lab-00": lambda: reports.org_report(db, ORG),
        "trends": lambda: trend_report.trends(db),
        "compare": lambda: compare_report.compare(db, None),
        "derivatives": lambda: derivative_report.ranking(db),
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
        if args.families:
            build_families(small, quiet=True)
        rows_n = sqlite3.connect(big).execute("SELECT count(*) FROM model_snapshots").fetchone()[0]
        environ = env(tmp)
        cases = [("--version", ["--version"], None)]
        for name, argv in commands(big):
            cases.append((name, argv, "big"))
        for name, argv in commands(small):
            cases.append((name, argv, "small"))
        for _name, argv, _ in cases:  # warm-up: bytecode cache, OS page cache
            run_child([OSS_TRACKER, *argv], environ)
        walls: dict[tuple[str, str | None], list[float]] = {(n, w): [] for n, _a, w in cases}
        for _ in range(args.rounds):
            for name, argv, which in cases:
                wall, code, _rss, err = run_child([OSS_TRACKER, *argv], environ)
                if code != 0:
                    sys.exit(f"{name} failed ({code}): {err.strip()}")
                walls[(name, which)].append(wall)
        queries = query_times(big)
        version = median(walls[("--version", None)])
        rows = [["`oss-tracker --version`", ms(version), "1.00", "", "", ""]]
        for name, _argv in commands(big):
            on_big, on_small = median(walls[(name, "big")]), median(walls[(name, "small")])
            rows.append([
                f"`oss-tracker {name}`", ms(on_big), f"{on_big / version:.2f}", ms(on_small),
                f"{on_small / version:.2f}", ms(queries.get(name.split(" -f ")[0], 0)),
            ])  # fmt: skip
        plan_text = plans(big) if args.plans else ""
    print(f"machine: {machine()}")
    print(f"history: {rows_n:,} model snapshot rows; rounds: {args.rounds} (median wall time)\n")
    print(
        table(
            [
                "command",
                "2-year history",
                "× --version",
                "3-day history",
                "× --version",
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
