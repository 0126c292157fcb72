"""The compare report: the watched orgs side by side, with each org's share of the group."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import (
    DROP_COLUMNS,
    archived,
    created,
    derivative_totals,
    history,
    history_footer,
    kind_filter,
    kind_note,
    org_runs,
    repo_summary,
    share_pct,
    sourced,
    total,
    totals_at,
    unknown_parts,
    watched_orgs,
)
from oss_tracker.reports.model import Column, Report, Section
from oss_tracker.reports.period import edges, last_days, measured

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


LAUNCH_KEYS = ("period_launches", "period_launch_downloads", "period_first_seen_not_counted")
COMPARE_ROWS = (
    # key, label, kind
    ("models", "Models", "int"),
    ("original_models", "of which originals", "int"),
    ("releases_30d", "Releases 30d", "int"),
    ("original_releases_30d", "of which originals", "int"),
    ("releases_90d", "Releases 90d", "int"),
    ("original_releases_90d", "of which originals", "int"),
    ("downloads_30d", "Downloads 30d", "int"),
    ("share_30d_pct", "Share 30d of compared", "share"),
    ("share_30d_of_all_pct", "Share 30d of all tracked", "share"),
    ("downloads_all_time", "Downloads all-time", "int"),
    ("downloads_period", "Downloads in period", "int"),
    ("period_launch_downloads", "of which new models", "int"),
    ("period_growth_pct", "Period growth", "pct"),
    ("likes", "Likes", "int"),
    ("followers", "Followers", "int"),
    ("derivatives", "Derivatives", "int"),
    ("datasets", "Datasets", "int"),
    ("spaces", "Spaces", "int"),
)


def _transpose(
    rows: list[dict[str, Any]], group: dict[str, Any], sum_30d: int, *, subset: bool
) -> list[dict[str, Any]]:
    """Metrics as rows, orgs as columns: the human form of `compare`. The share of all tracked
    downloads is shown when the orgs compared are not all of them (else it is the other share)."""
    out = []
    for key, label, kind in COMPARE_ROWS:
        if key == "share_30d_of_all_pct" and not subset:
            continue
        if key.startswith("original_") and all(r.get(key) is None for r in rows):
            continue  # filtered to one kind: no originals apart
        row: dict[str, Any] = {"metric": label, "kind": kind}
        for r in rows:
            row[f"org:{r['org']}"] = r.get(key)
        row["all"] = 100.0 if key == "share_30d_pct" and sum_30d else group.get(key)
        out.append(row)
    return out


def _org_rows(
    db: Database, watched: list[tuple[int, str]], ref: date, start: date, kind: str = "all"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each org's row of `compare` (downloads in the period from `start`), and the drops met; of the
    models of one kind (every model-based figure: models, releases, downloads, likes, derivatives)."""
    from oss_tracker.reports import series as ts

    org_ids = [oid for oid, _ in watched]
    keep = kind_filter(kind)
    derivs = derivative_totals(db, org_ids, kind)
    rows: list[dict[str, Any]] = []
    drops: list[dict[str, Any]] = []
    for oid, name in watched:
        latest = org_runs(db, oid, 1)
        if not latest:
            continue
        run_id, as_of, followers, last_day = latest[0]
        totals = totals_at(db, oid, run_id, kind)
        released = f"coalesce({created()}, m.first_seen)"
        releases_n = db.execute(
            f"""SELECT sum({released} >= :d30), sum({released} >= :d90),
                       sum(m.kind = 'original' AND m.removed_at IS NULL), sum(m.kind = 'original' AND {released} >= :d30),
                       sum(m.kind = 'original' AND {released} >= :d90)
               FROM models m WHERE m.org_id = :org AND {keep}""",
            # The last 30 days end with the snapshot day: ref-29 .. ref, not 31 days.
            {
                "d30": (ref - timedelta(days=29)).isoformat(),
                "d90": (ref - timedelta(days=89)).isoformat(),
                "org": oid,
            },
        ).fetchone()
        measured = edges(db, oid, start, ref)
        period = period_base = None
        launch: dict[str, Any] = dict.fromkeys(LAUNCH_KEYS)
        from_day = measured.start.day if measured and measured.start else None
        if measured is not None and measured.start is not None:
            sums, found = ts.period_downloads(db, oid, measured.start.run, measured.end.run, keep)
            if sums is not None:
                period, period_base = sums["downloads"], sums["base"]
                counted = sums["launch_downloads"]
                launch = {
                    "period_launches": sums["launches"],
                    "period_launch_downloads": 0 if counted is None and not sums["launches"] else counted,
                    "period_first_seen_not_counted": sums["first_seen_not_counted"],
                }
            drops += [
                {
                    "org": g,
                    "model": repo,
                    "from": from_day,
                    "to": last_day,
                    "before": b,
                    "after": a,
                    "change": a - b,
                }
                for _k, _r, g, repo, b, a in found
            ]
        d = derivs.get(oid)
        repos = repo_summary(db, [oid])
        rows.append(
            {
                "org": name,
                "as_of": as_of,
                "models": totals["models"],
                "original_models": (releases_n[2] or 0) if kind == "all" else None,
                "releases_30d": releases_n[0] or 0,
                "original_releases_30d": (releases_n[3] or 0) if kind == "all" else None,
                "releases_90d": releases_n[1] or 0,
                "original_releases_90d": (releases_n[4] or 0) if kind == "all" else None,
                "downloads_30d": totals["downloads_30d"],
                "downloads_all_time": totals["downloads_all_time"],
                "downloads_period": period,
                **launch,
                "period_from": from_day if period is not None else None,
                "period_to": last_day if period is not None else None,
                "period_growth_pct": round(100.0 * period / period_base, 2)
                if period is not None and period_base
                else None,
                "likes": totals["likes"],
                "followers": followers,
                "derivatives": d["total"] if d else None,
                "datasets": repos["dataset"]["count"],
                "spaces": repos["space"]["count"],
                "_base": period_base if period is not None else None,
            }
        )
    return rows, drops


@sourced
def compare(
    db: Database, orgs: list[str] | None = None, *, since: date | None = None, kind: str = "all"
) -> Report:
    """The watched orgs side by side, as of their latest snapshots; downloads in the period from
    `since` (default: the last 30 days, up to the latest snapshot; measured by `period.edges`), and
    each org's share of the group. Models and releases are counted all and originals; `kind`: of
    that kind of model alone."""
    from oss_tracker.humanize import human_date

    watched = watched_orgs(db, orgs)
    org_ids = [oid for oid, _ in watched]
    hist = history(db, org_ids)
    if hist["last_day"] is None:
        raise NoData("no snapshot of these organizations yet: run `oss-tracker sync` first")
    ref = date.fromisoformat(hist["last_day"])
    start = since or last_days(ref, 30)
    # The footer's archived days are those of the report's window, not of the whole history.
    hist["archived"] = archived(db, org_ids, start.isoformat(), ref.isoformat())
    rows, drops = _org_rows(db, watched, ref, start, kind)
    # Each org's share is of the orgs compared; of every tracked org too, which a subset
    # compared changes (the same label for both would mislead).
    tracked = watched_orgs(db, None)
    subset = {oid for oid, _ in tracked} != set(org_ids)
    everyone = _org_rows(db, tracked, ref, start, kind)[0] if subset else rows
    # One rule for a sum (common.total): a part unknown makes it unknown, as for companies.
    all_30d = total([r["downloads_30d"] for r in everyone])
    all_period = total([r["downloads_period"] for r in everyone])
    sum_30d = total([r["downloads_30d"] for r in rows])
    sum_period = total([r["downloads_period"] for r in rows])
    for r in rows:
        r["share_30d_pct"] = share_pct(r["downloads_30d"], sum_30d)
        r["share_period_pct"] = share_pct(r["downloads_period"], sum_period)
        r["share_30d_of_all_pct"] = share_pct(r["downloads_30d"], all_30d)
        r["share_period_of_all_pct"] = share_pct(r["downloads_period"], all_period)

    group = {
        k: total([r[k] for r in rows])
        for k in (
            "models",
            "original_models",
            "releases_30d",
            "original_releases_30d",
            "releases_90d",
            "original_releases_90d",
            "downloads_30d",
            "downloads_all_time",
            "downloads_period",
            *LAUNCH_KEYS,
            "likes",
            "followers",
            "derivatives",
            "datasets",
            "spaces",
        )
    }
    bases = [r.pop("_base") for r in rows]
    base_sum = sum(b for b in bases if b)
    group["period_growth_pct"] = (
        round(100.0 * group["downloads_period"] / base_sum, 2)
        if group["downloads_period"] is not None and base_sum
        else None
    )
    group["share_30d_of_all_pct"] = share_pct(group["downloads_30d"], all_30d)
    group["share_period_of_all_pct"] = share_pct(group["downloads_period"], all_period)
    data = {
        "as_of": hist["as_of"],
        "since": start.isoformat(),
        "kind": kind,
        "orgs": rows,
        "group": group,
        "all_tracked": {"orgs": len(everyone), "downloads_30d": all_30d, "downloads_period": all_period},
        "drops": drops,
    }
    notes = unknown_parts(
        rows, ("downloads_30d", "downloads_all_time", "downloads_period", "likes", "followers")
    )
    if drops:
        notes.append(
            f"Warning: {len(drops)} all-time download count{'s' if len(drops) > 1 else ''} went down in the "
            "period (the Hub recounts); the period downloads include the drop."
        )
    if unseen := group["period_first_seen_not_counted"]:
        notes.append(
            f"Note: {unseen} model{'s were' if unseen > 1 else ' was'} first seen in the period but created "
            "before it (made public late, moved in, newly watched): not counted in the period downloads."
        )
    how = measured(
        start.isoformat(),
        ref.isoformat(),
        {(r["period_from"], r["period_to"]) for r in rows if r["period_from"]},
    )
    period_note = f"period: since {human_date(start.isoformat())}" + (f" ({how})" if how else "")
    drop_section = Section(
        "All-time download counts that went down in the period",
        DROP_COLUMNS,
        drops,
        empty="no all-time count went down",
    )
    return Report(
        title="Watched organizations side by side",
        data=data,
        sections=[
            Section(
                "Side by side",
                [
                    Column("org", "Org"),
                    Column("as_of", "As of", table=False),
                    Column("models", "Models", "int"),
                    Column("original_models", "Original models", "int", table=False),
                    Column("releases_30d", "Rel. 30d", "int"),
                    Column("original_releases_30d", "Original rel. 30d", "int", table=kind == "all"),
                    Column("releases_90d", "Rel. 90d", "int"),
                    Column("original_releases_90d", "Original rel. 90d", "int", table=False),
                    Column("downloads_30d", "Downloads 30-day", "int"),
                    Column("downloads_all_time", "Downloads all-time", "int"),
                    Column("downloads_period", "Downloads in period", "int"),
                    Column("period_launches", "New models in period", "int", table=False),
                    Column("period_launch_downloads", "Their downloads", "int", table=False),
                    Column("period_first_seen_not_counted", "First seen, not counted", "int", table=False),
                    Column("period_from", "Period from", table=False),
                    Column("period_to", "Period to", table=False),
                    Column("period_growth_pct", "Period growth", "pct", table=False),
                    Column("share_30d_pct", "Share of compared (30-day)", "share"),
                    Column("share_period_pct", "Share of compared (period)", "share", table=False),
                    Column("share_30d_of_all_pct", "Share of all tracked (30-day)", "share"),
                    Column("share_period_of_all_pct", "Share of all tracked (period)", "share", table=False),
                    Column("likes", "Likes", "int"),
                    Column("followers", "Followers", "int"),
                    Column("derivatives", "Derivatives", "int"),
                    Column("datasets", "Datasets", "int"),
                    Column("spaces", "Spaces", "int"),
                ],
                rows,
                empty="no snapshot yet",
                human=False,
            ),
            Section(
                "Side by side",
                [Column("metric", "Metric")]
                + [Column(f"org:{r['org']}", r["org"], "int") for r in rows]
                + ([Column("all", "All", "int")] if len(rows) > 1 else []),
                _transpose(rows, group, sum_30d, subset=subset),
                empty="no snapshot yet",
                row_kind="kind",
            ),
            drop_section,
        ],
        footer=history_footer(
            hist,
            period_note,
            f"shares: of the {len(rows)} orgs compared"
            + (f" and of all {len(everyone)} tracked" if subset else " (all tracked)"),
            "derivatives: direct children, each model's latest count",
            "downloads in period: all-time differences, plus the all-time count of each model created in it",
            "originals: models that are not a conversion or a derivative of their company's own"
            if kind == "all"
            else kind_note(kind),
        ),
        notes=notes,
        main=0,
    )
