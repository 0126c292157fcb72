"""Families (issue 16): every descendant of a watched model, and how much of a family's use is the
community's, from the archived days whose families were built (`sync --families`, `backfill
--families`). `derivatives --family MODEL` shows one family and its history; `families` ranks them.

Only the database is read (store/families.py wrote it): no archive, no pyarrow.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import model_row, share_pct, sourced, watched_orgs
from oss_tracker.reports.model import Chart, ChartSeries, Column, Report, Section
from oss_tracker.store.families import api_compared, api_differences

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

DEFINITION = (
    "Family = every repo declaring the model as its base, directly or through other repos "
    "(baseModels, else base_model tags, in the public archive's daily file), to any depth; each repo "
    "once (a repo with several bases in the family is a merge, counted once), cycles broken, bases "
    "declared under a former name counted. Depth 1 = direct children. Company = the watch list's "
    "company of the model's account; community = every other account. Period downloads = all-time "
    "differences since the day before, over the repos in both files."
)
NO_FAMILIES = (
    "run `oss-tracker sync --families` (the newest archived day) or `oss-tracker backfill --families` "
    "(past days): they read the public archive"
)
FAMILY_COLUMNS = (
    "descendants", "finetune", "quantized", "adapter", "merge", "unspecified", "depth2", "depth3", "deeper",
    "max_depth", "merges", "cycles", "accounts", "company", "own_30d", "company_30d", "community_30d",
    "period_own", "period_company",
    "period_community", "drops",
)  # fmt: skip
BY = ("descendants", "community", "growth")
STALE_DAYS = 3  # the archive is a day or two behind the Hub; more than this is worth a note


def _stale(db: Database, day: str) -> list[str]:
    """A note when the families are much older than the last live sync."""
    row = db.execute(
        "SELECT max(day) FROM runs WHERE source IS NULL AND status IN ('ok', 'partial')"
    ).fetchone()
    if row is None or row[0] is None:
        return []
    behind = (date.fromisoformat(row[0]) - date.fromisoformat(day)).days
    if behind <= STALE_DAYS:
        return []
    return [
        f"the families are of {day}, {behind} days before the last sync: `oss-tracker sync --families` builds the newest"
    ]


def _sum(*values: int | None) -> int | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def _family_row(row: tuple[Any, ...]) -> dict[str, Any]:
    f = dict(zip(FAMILY_COLUMNS, row, strict=True))
    f["direct"] = f["finetune"] + f["quantized"] + f["adapter"] + f["merge"] + f["unspecified"]
    f["total_30d"] = _sum(f["own_30d"], f["company_30d"], f["community_30d"])
    f["community_share_pct"] = share_pct(f["community_30d"], f["total_30d"])
    f["period_total"] = _sum(f["period_own"], f["period_company"], f["period_community"])
    return f


_SELECT = ", ".join(f"f.{c}" for c in FAMILY_COLUMNS)


def _days(db: Database, orgs: set[str]) -> list[tuple[str, int, str | None]]:
    """Family days that walked any of `orgs` (lower case), in time order: (day, id, period_from)."""
    rows = db.execute(
        """SELECT d.day, d.id, d.period_from FROM family_days d
           WHERE json_valid(d.orgs) AND EXISTS (SELECT 1 FROM json_each(d.orgs) j
                                                WHERE lower(j.value) IN (SELECT value FROM json_each(?)))
           ORDER BY d.day""",
        [json.dumps(sorted(orgs))],
    ).fetchall()
    return [(d, int(i), p) for d, i, p in rows]


def _walked(db: Database, day_id: int) -> set[str]:
    """The accounts (lower case) a family day walked."""
    row = db.execute("SELECT orgs FROM family_days WHERE id = ?", [day_id]).fetchone()
    try:
        items = json.loads(row[0]) if row else []
    except ValueError:
        return set()
    return {i.lower() for i in items if isinstance(i, str)} if isinstance(items, list) else set()


def _company_of(db: Database, day_id: int, org: str) -> str | None:
    for name, accounts in db.execute(
        "SELECT name, accounts FROM family_owners WHERE day_id = ? AND kind = 'company' ORDER BY name",
        [day_id],
    ).fetchall():
        try:
            members = json.loads(accounts)
        except ValueError:
            continue
        if isinstance(members, list) and org.lower() in (a.lower() for a in members if isinstance(a, str)):
            return str(name)
    return None


def _chain(days: list[tuple[str, int, str | None]], start: str) -> tuple[list[int], str | None]:
    """The family days whose periods join up from the newest back to `start`: their ids, and the day
    the joined period starts from (None: the newest has no period)."""
    by_day = {d: (i, p) for d, i, p in days}
    if not days:
        return [], None
    day: str | None = days[-1][0]
    ids: list[int] = []
    begins = None
    while day is not None and day > start and day in by_day:
        day_id, before = by_day[day]
        if before is None:
            break
        ids.append(day_id)
        begins = before
        day = before
    return ids, begins


# -- one family: `derivatives --family MODEL` ------------------------------------------------
@sourced
def family_report(db: Database, ident: str, *, limit: int = 20) -> Report:
    """A watched model's family on the newest family day, its downloads by part, its top
    descendants and accounts, its history, and its direct children beside model_info's count."""
    model = model_row(db, ident)
    repo_id, org = model["repo_id"], model["org"]
    days = _days(db, {org.lower()})
    if not days:
        raise NoData(f"no family of {repo_id} yet: {NO_FAMILIES}")
    stored = {
        row[0]: _family_row(row[1:])
        for row in db.execute(
            f"""SELECT fd.day, {_SELECT} FROM family_days fd JOIN families f ON f.day_id = fd.id AND f.model_id = ?
                ORDER BY fd.day""",
            [model["id"]],
        ).fetchall()
    }
    day, day_id, period_from = days[-1]
    company = _company_of(db, day_id, org) or org
    f = stored.get(day)
    sections: list[Section] = []
    data: dict[str, Any] = {
        "id": repo_id,
        "org": org,
        "company": company,
        "day": day,
        "period_from": period_from,
    }
    if f is None:
        data.update(family=None, downloads=None, top=[], accounts=[])
        sections.append(Section(f"Family of {repo_id} on {day}", [], [], empty="no descendant that day"))
    else:
        data["family"] = {k: f[k] for k in ("descendants", "direct", "finetune", "quantized", "adapter", "merge",
                                           "unspecified", "depth2", "depth3", "deeper", "max_depth", "merges",
                                           "cycles", "accounts", "company")}  # fmt: skip
        tree = [
            ("Descendants (all depths, each repo once)", f["descendants"]),
            ("Direct children (depth 1)", f["direct"]),
            ("  finetune", f["finetune"]), ("  quantized", f["quantized"]), ("  adapter", f["adapter"]),
            ("  merge", f["merge"]), ("  relation not said", f["unspecified"]),
            ("Depth 2", f["depth2"]), ("Depth 3", f["depth3"]), ("Depth 4 and more", f["deeper"]),
            ("Deepest", f["max_depth"]),
            ("Merges (several bases in the family, counted once)", f["merges"]),
            ("Cycles of declared bases (broken)", f["cycles"]),
            ("Publishing accounts", f["accounts"]),
            (f"Published by {company} itself", f["company"]),
        ]  # fmt: skip
        sections.append(
            Section(
                f"Family of {repo_id} on {day}",
                [Column("what", ""), Column("count", "Repos", "int")],
                [{"what": w, "count": n} for w, n in tree],
            )  # fmt: skip
        )
        parts = [
            ("own", f"{repo_id} itself", f["own_30d"], f["period_own"]),
            ("company", f"{company}'s descendants", f["company_30d"], f["period_company"]),
            ("community", "the community's descendants", f["community_30d"], f["period_community"]),
            ("family", "the whole family", f["total_30d"], f["period_total"]),
        ]
        downloads = [
            {"part": key, "label": label, "downloads_30d": d30, "share_30d_pct": share_pct(d30, f["total_30d"]),
             "downloads_period": per, "share_period_pct": share_pct(per, f["period_total"])}
            for key, label, d30, per in parts
        ]  # fmt: skip
        data["downloads"] = {
            r["part"]: {k: v for k, v in r.items() if k not in ("part", "label")} for r in downloads
        }
        since = f" since {period_from}" if period_from else " in a period (no day before)"
        sections.append(
            Section(
                f"Downloads on {day}",
                [
                    Column("label", "Part"),
                    Column("downloads_30d", "30-day downloads", "int"),
                    Column("share_30d_pct", "Share", "share"),
                    Column("downloads_period", f"Downloads{since}", "int"),
                    Column("share_period_pct", "Share", "share"),
                ],
                downloads,
            )  # fmt: skip
        )
        top = [
            {"rank": r, "id": name, "depth": depth, "relation": rel, "downloads_30d": d30, "downloads_all_time": at}
            for r, name, depth, rel, d30, at in db.execute(
                """SELECT t.rank, n.name, t.depth, t.relation, t.downloads_30d, t.downloads_all_time
                   FROM family_top t JOIN family_names n ON n.id = t.name_id
                   WHERE t.model_id = ? AND t.day_id = ? ORDER BY t.rank""",
                [model["id"], day_id],
            ).fetchall()
        ]  # fmt: skip
        accounts = [
            {"account": name, "repos": n, "downloads_30d": d30}
            for name, n, d30 in db.execute(
                """SELECT n.name, a.repos, a.downloads_30d FROM family_accounts a JOIN family_names n ON n.id = a.name_id
                   WHERE a.model_id = ? AND a.day_id = ? ORDER BY a.rank""",
                [model["id"], day_id],
            ).fetchall()
        ]
        data["top"], data["accounts"] = top, accounts
        sections.append(
            Section(
                f"Most downloaded descendants ({len(top)} of {f['descendants']:,})",
                [
                    Column("rank", "#", "int"),
                    Column("id", "Repo"),
                    Column("depth", "Depth", "int"),
                    Column("relation", "Relation"),
                    Column("downloads_30d", "30-day downloads", "int"),
                    Column("downloads_all_time", "All-time", "int"),
                ],
                top,
            )  # fmt: skip
        )
        sections.append(
            Section(
                f"Accounts publishing most descendants ({len(accounts)} of {f['accounts']:,})",
                [
                    Column("account", "Account"),
                    Column("repos", "Repos", "int"),
                    Column("downloads_30d", "30-day downloads", "int"),
                ],
                accounts,
            )  # fmt: skip
        )
    history = []
    previous = None
    for d, _i, p in days:
        h = stored.get(d)
        n = h["descendants"] if h else 0
        history.append(
            {"day": d, "descendants": n, "change": n - previous if previous is not None else None,
             "direct": h["direct"] if h else 0, "community_30d": h["community_30d"] if h else 0,
             "community_share_pct": h["community_share_pct"] if h else None, "period_from": p,
             "community_period": h["period_community"] if h else (0 if p else None)}
        )  # fmt: skip
        previous = n
    data["history"] = history
    sections.append(
        Section(
            "History (newest first)",
            [
                Column("day", "Day", "date"),
                Column("descendants", "Descendants", "int"),
                Column("change", "Change", "delta"),
                Column("direct", "Direct", "int"),
                Column("community_30d", "Community 30-day", "int"),
                Column("community_share_pct", "Community share", "share"),
                Column("community_period", "Community in period", "int"),
                Column("period_from", "Period from", "date"),
            ],
            history[::-1][:limit],
        )  # fmt: skip
    )
    compared = api_differences(db, day=day, model_ids=[model["id"]])
    data["api"] = compared[0] if compared else None
    sections.append(_api_section(compared, f"{repo_id}'s direct children: the archive beside model_info",
                                 "not counted through model_info (see `oss-tracker sync --derivatives`)"))  # fmt: skip
    charts = []
    if len(history) > 1:
        charts.append(Chart(f"Descendants of {repo_id}", [h["day"] for h in history],
                            [ChartSeries(repo_id, [h["descendants"] for h in history])]))  # fmt: skip
    notes = _stale(db, day)
    if f is not None and f["drops"]:
        notes.append(
            f"{f['drops']:,} descendant(s) had an all-time count lower than on {period_from}: their period "
            "downloads are counted as they are, negative (the Hub recounts now and then)"
        )
    return Report(
        title=f"Family of {repo_id}",
        data=data,
        sections=sections,
        charts=charts,
        notes=notes,
        footer=f"{DEFINITION} From the public archive of {day}.",
        main=2 if f is not None else 1,  # the top descendants, else the history
    )


def _api_section(rows: list[dict[str, Any]], title: str, empty: str) -> Section:
    for r in rows:
        r["verdict"] = "beyond the archive's age" if r["beyond"] else "within the archive's age"
    return Section(
        title,
        [Column("id", "Model"), Column("archive_day", "Archive", "date"), Column("archive_direct", "Direct", "int"),
         Column("api_day", "model_info", "date"), Column("api_direct", "Direct", "int"),
         Column("difference", "Difference", "delta"), Column("allowed", "Allowed", "int"),
         Column("verdict", "Verdict")],
        rows,
        empty=empty,
    )  # fmt: skip


# -- every family: `families` --------------------------------------------------------------
@sourced
def families_report(
    db: Database, *, orgs: list[str] | None = None, by: str = "descendants", since: date | None = None,
    limit: int = 20,
) -> Report:  # fmt: skip
    """Watched models ranked by their families (descendants, community downloads, or new
    descendants since `since`), each account's and company's own downloads beside those of the
    repos built on them, and the direct-children counts that disagree with model_info."""
    chosen = watched_orgs(db, orgs)
    names = {n.lower(): n for _, n in chosen}
    days = _days(db, set(names))
    if not days:
        raise NoData(f"no families of {', '.join(names.values())} yet: {NO_FAMILIES}")
    day, day_id, _ = days[-1]
    start_day = (since or date.fromisoformat(day) - timedelta(days=30)).isoformat()
    before = [d for d in days if d[0] <= start_day]
    start = before[-1] if before else next((d for d in days if d[0] > start_day), None)
    start = start if start is not None and start[0] != day else None
    chain, chain_from = _chain(days, start[0] if start else start_day)
    oids = [i for i, _ in chosen]
    marks = ",".join("?" * len(oids))

    walked_then = _walked(db, start[1]) if start else set()
    # Growth is measured for the accounts the window's first day walked (else it is unknown).
    then_ids = [i for i, n in chosen if n.lower() in walked_then]
    growth = (
        f"CASE WHEN m.org_id IN ({','.join('?' * len(then_ids)) or 'NULL'}) "
        "THEN f.descendants - coalesce(e.descendants, 0) END"
        if start
        else "NULL"
    )
    order = {
        "descendants": "f.descendants DESC",
        "community": "coalesce(f.community_30d, 0) DESC",
        "growth": "growth IS NULL, growth DESC",
    }[by]
    # Ranked in SQL: a day's rows are one range of the table; only the listed ones become rows here.
    found = db.execute(
        f"""SELECT m.id, m.repo_id, g.name, f.descendants, f.finetune + f.quantized + f.adapter + f.merge + f.unspecified,
                   f.merges, f.own_30d, f.company_30d, f.community_30d, {growth} AS growth, count(*) OVER ()
            FROM families f JOIN models m ON m.id = f.model_id JOIN orgs g ON g.id = m.org_id
            LEFT JOIN families e ON e.day_id = ? AND e.model_id = f.model_id
            WHERE f.day_id = ? AND m.org_id IN ({marks}) ORDER BY {order}, lower(m.repo_id) LIMIT ?""",
        [*(then_ids if start else []), start[1] if start else None, day_id, *oids, limit],
    ).fetchall()
    total = found[0][-1] if found else 0
    ranked = [
        {"model_id": model_id, "id": repo_id, "org": org, "descendants": n, "direct": direct,
         "deeper": n - direct, "merges": merges, "growth": grew, "own_30d": own, "community_30d": community,
         "community_share_pct": share_pct(community, _sum(own, company, community)), "community_period": None}
        for model_id, repo_id, org, n, direct, merges, own, company, community, grew, _ in found
    ]  # fmt: skip
    shown = ranked[:limit]
    if chain:  # the period's downloads of the families listed (each a row a day of the period)
        ids = [r["model_id"] for r in shown]
        periods = dict(
            db.execute(
                f"""SELECT f.model_id, sum(f.period_community) FROM families f
                    WHERE f.model_id IN ({",".join("?" * len(ids)) or "NULL"})
                      AND f.day_id IN ({",".join("?" * len(chain))}) GROUP BY f.model_id""",
                [*ids, *chain],
            ).fetchall()
        )
        for r in shown:
            r["community_period"] = periods.get(r["model_id"], 0)
    for r in shown:
        del r["model_id"]
    period = f"{chain_from} – {day}" if chain else None
    since_label = start[0] if start else None
    owners = _owners(db, day_id, chain, names)
    compared = api_compared(db, day=day, orgs=list(names.values()))
    candidates = api_differences(db, day=day, orgs=list(names.values()), candidates=True)
    beyond = sorted(
        (r for r in candidates if r["beyond"]), key=lambda r: (-abs(r["difference"]), r["id"].lower())
    )
    data = {
        "day": day, "by": by, "since": since_label, "period": {"from": chain_from, "to": day} if chain else None,
        "families": shown, "total_families": total,
        "orgs": [o for o in owners if o["kind"] == "org"], "companies": [o for o in owners if o["kind"] == "company"],
        "api": {"compared": compared, "beyond": len(beyond), "largest": beyond[:limit]},
    }  # fmt: skip
    window = f"new since {since_label}" if since_label else "no earlier family day: no new ones"
    window += f"; community downloads in {period}" if period else ""
    sections = [
        Section(
            f"Families ranked by {by} ({len(shown)} of {total:,} watched models with descendants; {window})",
            [
                Column("id", "Model"),
                Column("descendants", "Descendants", "int"),
                Column("direct", "Direct", "int"),
                Column("deeper", "Deeper", "int"),
                Column("growth", "New", "delta"),
                Column("own_30d", "Own 30-day", "int"),
                Column("community_30d", "Community 30-day", "int"),
                Column("community_share_pct", "Community share", "share"),
                Column("community_period", "Community in period", "int"),
                Column("org", "Org", csv=True, table=False),
                Column("merges", "Merges", "int", table=False),
            ],
            shown,
        ),  # fmt: skip
    ]
    owner_columns = [
        Column("name", "Name"), Column("models", "Own repos", "int"), Column("own_30d", "Own 30-day", "int"),
        Column("built_30d", "Built on us 30-day", "int"), Column("built_share_pct", "Share", "share"),
        Column("community", "Repos on us", "int"), Column("company", "By our other accounts", "int", table=False),
        Column("own_period", "Own in period", "int"), Column("built_period", "On us in period", "int"),
    ]  # fmt: skip
    sections.append(Section(f"Per account on {day}: our own downloads beside those of models built on us",
                            owner_columns, data["orgs"]))  # fmt: skip
    if data["companies"]:
        sections.append(Section(f"Per company on {day} (the watch list's; each repo once)", owner_columns,
                                data["companies"]))  # fmt: skip
    agree = (
        f"none: the {compared:,} direct-children count(s) also counted through model_info agree within "
        "the archive's age"
        if compared
        else "no direct-children count from model_info to compare (`oss-tracker sync --derivatives` counts them)"
    )
    title = "Direct children: the archive and model_info differ beyond the archive's age"
    if beyond:
        title += f" ({min(limit, len(beyond))} of {len(beyond):,}, largest differences first)"
    sections.append(_api_section(beyond[:limit], title, agree))
    footer = f"{DEFINITION} Families of {day} (the public archive)"
    footer += (
        f"; community downloads in the period {period} (all-time differences, day after day)."
        if period
        else "."
    )
    return Report(
        title="Families of the watched models",
        data=data,
        sections=sections,
        footer=footer,
        notes=_stale(db, day),
    )


def _owners(db: Database, day_id: int, chain: list[int], names: dict[str, str]) -> list[dict[str, Any]]:
    """The day's account and company rows (of the chosen accounts), with their period sums."""
    periods: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    if chain:
        for kind, name, own, built in db.execute(
            f"""SELECT kind, name, sum(period_own), sum(coalesce(period_company, 0) + period_community)
                FROM family_owners WHERE day_id IN ({",".join("?" * len(chain))}) GROUP BY kind, name""",
            chain,
        ).fetchall():
            periods[(kind, name.lower())] = (own, built)
    out = []
    for kind, name, accounts, models, own, company, company_30d, community, community_30d in db.execute(
        """SELECT kind, name, accounts, models, own_30d, company, company_30d, community, community_30d
           FROM family_owners WHERE day_id = ? ORDER BY kind DESC, name COLLATE NOCASE""",
        [day_id],
    ).fetchall():
        try:
            members = [a for a in json.loads(accounts) if isinstance(a, str)]
        except (ValueError, TypeError):
            members = []
        if kind == "org" and name.lower() not in names:
            continue
        if kind == "company" and not {a.lower() for a in members} & names.keys():
            continue
        built = _sum(company_30d, community_30d)
        own_period, built_period = periods.get((kind, name.lower()), (None, None))
        out.append(
            {"kind": kind, "name": name, "accounts": members, "models": models, "own_30d": own,
             "built_30d": built, "built_share_pct": share_pct(built, _sum(own, built)), "community": community,
             "company": company, "own_period": own_period, "built_period": built_period}
        )  # fmt: skip
    return out
