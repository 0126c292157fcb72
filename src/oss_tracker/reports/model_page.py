"""`model ID`: one model's page: what it is, its history (renames, licences, removal), its declared
bases and the watched models built on it, its downloads and likes over time and its derivative
counts, from the database alone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from oss_tracker.reports.common import archived, created, model_facts, model_row, sourced
from oss_tracker.reports.model import Chart, ChartSeries, Column, Report, Section
from oss_tracker.reports.trends import launch_notes

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

DEFAULT_SPAN = {"day": 30, "week": 26 * 7, "month": None}  # days back from the last snapshot, as `trends`
RELATIONS = ("finetune", "quantized", "adapter", "merge", "total")


@sourced
def model_page(
    db: Database,
    ident: str,
    *,
    since: date | None = None,
    until: date | None = None,
    interval: str = "day",
) -> Report:
    """One model (by its repo id, a former name or its Hub `_id`): facts, history, bases, trend.

    The trend covers the last 30 days by day (26 weeks by week, the whole history by month) up to
    the model's last snapshot, unless `since` says otherwise; a gap is a gap."""
    from oss_tracker import licenses as lic
    from oss_tracker.humanize import human_date, human_datetime
    from oss_tracker.reports import series as ts

    found = model_row(db, ident)
    mid = found["id"]
    keys = ("hub_id", "id", "org", "created_at", "last_modified", "license", "license_tag", "license_name",
            "pipeline_tag", "library_name", "parameters", "gated", "base_model", "base_relation", "sha",
            "first_seen", "last_seen", "removed_at")  # fmt: skip
    row = db.execute(
        f"""SELECT m.hub_id, m.repo_id, g.name, {created()}, m.last_modified, m.license, m.license_tag,
                   m.license_name, m.pipeline_tag, m.library_name, m.parameters, m.gated, m.base_model,
                   m.base_relation, m.sha, m.first_seen, m.last_seen, m.removed_at
            FROM models m JOIN orgs g ON g.id = m.org_id WHERE m.id = ?""",
        [mid],
    ).fetchone()
    info: dict[str, Any] = dict(zip(keys, row, strict=True))
    org_id = db.execute("SELECT org_id FROM models WHERE id = ?", [mid]).fetchone()[0]
    facts = model_facts(db, [mid]).get(mid) or {}
    details = facts.get("details") or {}

    def snapshot(run_column: str) -> dict[str, Any]:
        got = db.execute(
            f"""SELECT r.started_at, s.downloads_30d, s.downloads_all_time, s.likes, s.trending
                FROM models m JOIN runs r ON r.id = m.{run_column}
                LEFT JOIN model_snapshots s ON s.run_id = m.{run_column} AND s.model_id = m.id
                WHERE m.id = ?""",
            [mid],
        ).fetchone()
        return dict(
            zip(("as_of", "downloads_30d", "downloads_all_time", "likes", "trending"), got, strict=True)
        )

    first_sight, latest = snapshot("first_seen_run"), snapshot("last_seen_run")
    del first_sight["trending"]
    events = db.execute(
        "SELECT kind, old, new, at FROM events WHERE model_id = ? ORDER BY at, id", [mid]
    ).fetchall()
    renames = [{"at": at, "from": old, "to": new} for kind, old, new, at in events if kind == "renamed"]
    licences = [
        {"at": at, "from": old, "to": new} for kind, old, new, at in events if kind == "license_changed"
    ]
    removals = [
        {"at": at, "event": kind} for kind, _old, _new, at in events if kind in ("removed", "restored")
    ]
    bases = _bases(db, mid, info["base_model"], info["base_relation"], own=(info["hub_id"], info["id"]))
    children = _built_on(db, mid, info["hub_id"], info["id"])

    # The trend: downloads (all-time differences) and likes, one point a day, week or month.
    subject = ts.Subject(
        found["org"], found["org_id"], info["id"], mid, found["last_day"] if info["removed_at"] else None
    )
    span = DEFAULT_SPAN[interval]
    if since is None and span is not None:
        end = (
            min(until, date.fromisoformat(found["last_day"]))
            if until
            else date.fromisoformat(found["last_day"])
        )
        since = end - timedelta(days=span - 1)
    [downloads], start, end_day = ts.build(
        db, [subject], metric="downloads", interval=interval, since=since, until=until
    )
    [likes], _, _ = ts.build(db, [subject], metric="likes", interval=interval, since=since, until=until)
    liked = {p.period: p for p in likes.points}
    points = []
    for p in downloads.points:
        q = liked.get(p.period)
        points.append(
            {
                "period": p.period,
                "period_start": p.period_start,
                "date": p.date,
                "as_of": p.as_of,
                "gap": p.gap,
                "downloads_all_time": p.total,
                "downloads": p.change,
                "days": p.days,
                "per_day": p.per_day,
                "growth_pct": p.growth_pct,
                "likes": q.total if q else None,
                "likes_change": q.change if q else None,
                "drops": p.drops,
                # Measured from its account's snapshot before its first: a launch counts whole.
                "launch": bool(p.launches),
                "first_seen_not_counted": bool(p.first_seen_not_counted),
            }
        )
    rows = [
        {**d, "note": "; ".join(launch_notes(p, one_model=True))}
        for d, p in zip(points, downloads.points, strict=True)
    ]
    window = {
        "from": downloads.window_from,
        "to": downloads.window_to,
        "downloads": downloads.window_change,
        "growth_pct": downloads.window_growth_pct,
        "likes_change": likes.window_change,
    }
    counts = [
        dict(zip(("day", *RELATIONS), r, strict=True))
        for r in db.execute(
            """SELECT day, finetune, quantized, adapter, merge, total FROM derivative_counts
               WHERE model_id = ? AND day >= ? AND day <= ? ORDER BY day""",
            [mid, start.isoformat() if start else "", end_day.isoformat() if end_day else "9999"],
        ).fetchall()
    ]
    last_count = db.execute(
        "SELECT day, finetune, quantized, adapter, merge, total FROM derivative_latest WHERE model_id = ?",
        [mid],
    ).fetchone()

    status = "current"
    if info["removed_at"]:
        status = f"removed {human_date(info['removed_at'])} (last listed {human_date(info['last_seen'])})"
    data = {
        **{k: info[k] for k in ("id", "hub_id", "org")},
        "matched": found["matched"],
        "status": "removed" if info["removed_at"] else "current",
        "kind": facts.get("kind"),
        "kind_inferred": facts.get("kind_inferred"),
        "kind_basis": facts.get("kind_basis"),
        "details": facts.get("details"),
        **{k: info[k] for k in keys if k not in ("id", "hub_id", "org", "base_model", "base_relation")},
        "license_group": lic.group(info["license"]),
        "first_sight": first_sight,
        "latest": latest,
        "renames": renames,
        "license_changes": licences,
        "removals": removals,
        "bases": bases,
        "built_on_it": children,
        "interval": interval,
        "since": start.isoformat() if start else None,
        "until": end_day.isoformat() if end_day else None,
        "trend": {"window": window, "points": points, "drops": [d.public() for d in downloads.drops]},
        "derivatives": {
            "latest": dict(zip(("day", *RELATIONS), last_count, strict=True)) if last_count else None,
            "counts": counts,
        },
    }

    def say(value: Any, kind: str = "int") -> str:
        if value is None:
            return "unknown"
        return f"{value:,}" if kind == "int" else str(value)

    about = [
        ("Model", info["id"]),
        ("Account", info["org"]),
        ("Hub _id", info["hub_id"]),
        *([("Found by", f"its former name {ident}")] if found["matched"] == "former name" else []),
        *([("Kind", f"{facts['kind']} ({'inferred: ' if facts.get('kind_inferred') else ''}{facts.get('kind_basis')})")]
          if facts.get("kind") else []),
        ("Status", status),
        ("Created", human_date(info["created_at"]) if info["created_at"] else "unknown"),
        ("First seen", f"{human_datetime(info['first_seen'])}, {say(first_sight['downloads_all_time'])} downloads then"),
        ("Last seen", human_datetime(info["last_seen"])),
        ("Licence", f"{info['license']} ({lic.group(info['license'])})"),
        ("Pipeline", info["pipeline_tag"] or "unknown"),
        ("Library", info["library_name"] or "unknown"),
        ("Parameters", f"{_size(info['parameters'])} ({info['parameters']:,})" if info["parameters"] else "unknown"),
        *_details(details),
        ("Gated", {"false": "no", None: "unknown"}.get(info["gated"], info["gated"])),
        ("Declared bases", ", ".join(f"{b['id']} ({b['relation'] or 'relation unknown'}{'; itself' if b['self'] else ''})" for b in bases) or "none"),
        ("Downloads (last 30 days)", say(latest["downloads_30d"])),
        ("Downloads (all time)", say(latest["downloads_all_time"])),
        ("Likes", say(latest["likes"])),
        ("Trending score", say(latest["trending"], "str")),
        ("Direct derivatives", f"{last_count[5]:,} (counted {human_date(last_count[0])})" if last_count else "not counted yet"),
        ("As of", human_datetime(latest["as_of"])),
    ]  # fmt: skip
    history = [
        *([{"at": info["created_at"], "event": "created", "detail": ""}] if info["created_at"] else []),
        {"at": info["first_seen"], "event": "first seen", "detail": f"as {_first_name(renames, info['id'])}"},
        *({"at": r["at"], "event": "renamed", "detail": f"{r['from']} -> {r['to']}"} for r in renames),
        *(
            {"at": c["at"], "event": "licence changed", "detail": f"{c['from']} -> {c['to']}"}
            for c in licences
        ),
        *({"at": r["at"], "event": r["event"], "detail": ""} for r in removals),
    ]
    history.sort(key=lambda h: h["at"])
    over = ""
    if start is not None:
        over = f" ({human_date(start.isoformat())} – {human_date(end_day.isoformat())})"  # type: ignore[union-attr]
    charts = [
        _chart("Downloads per day", info["id"], points, "per_day", kind="rate"),
        _chart("Likes", info["id"], points, "likes", kind="int"),
    ]
    per = {"day": "day", "week": "week", "month": "month"}[interval]
    return Report(
        title=info["id"],
        data=data,
        sections=[
            Section(
                "About",
                [Column("item", "Item"), Column("value", "Value")],
                [{"item": k, "value": v} for k, v in about],
            ),  # fmt: skip
            Section(
                "History",
                [Column("at", "When", "date"), Column("event", "Event"), Column("detail", "Detail")],
                history,
            ),
            Section(
                "Declared bases",
                [
                    Column("id", "Base model"),
                    Column("relation", "Relation"),
                    Column("org", "Watched account"),
                    Column("declared", "Declared in"),
                    Column("note", "Note", csv=False, table=any(b["self"] for b in bases)),
                ],  # fmt: skip
                [
                    {**b, "note": "the model itself (its card names it as its own base)" if b["self"] else ""}
                    for b in bases
                ],
                empty="no declared base (an original)",
            ),
            Section(
                "Watched models built on it",
                [Column("id", "Model"), Column("org", "Account"), Column("relation", "Relation")],
                children,
                empty="no watched model declares it as a base",
            ),
            Section(
                f"Downloads and likes per {per}{over}",
                [
                    Column("period", {"day": "Day", "week": "Week", "month": "Month"}[interval], "period"),
                    Column("period_start", "Period start", table=False),
                    Column("date", "Snapshot", "date", table=interval != "day"),
                    Column("as_of", "As of", "datetime", table=False),
                    Column("gap", "Gap", "bool", table=False),
                    Column("downloads_all_time", "All-time", "int"),
                    Column("downloads", "Downloads", "delta"),
                    Column("days", "Days", "int"),
                    Column("per_day", "Per day", "rate"),
                    Column("growth_pct", "Growth", "pct"),
                    Column("likes", "Likes", "int"),
                    Column("likes_change", "Likes change", "delta"),
                    Column("drops", "Drops", "int", table=False),
                    Column("launch", "Launch", "bool", table=False),
                    Column("first_seen_not_counted", "First seen, not counted", "bool", table=False),
                    Column("note", "Note", csv=False, table=any(r["note"] for r in rows)),
                ],
                rows,
                empty="no snapshot in the window",
            ),
            Section(
                f"Direct derivatives by day{over}",
                [Column("day", "Day", "date"), *(Column(r, r.capitalize(), "int") for r in RELATIONS)],
                counts,
                empty="no derivative count in the window",
            ),
        ],
        footer=" · ".join(
            part
            for part in (
                f"as of {human_datetime(latest['as_of'])}",
                "downloads = difference of all-time counts between snapshots; its first point is measured "
                "from its account's snapshot before it (created after it: its whole count); a gap is no snapshot",
                archived(
                    db,
                    [org_id],
                    start.isoformat() if start else None,
                    end_day.isoformat() if end_day else None,
                ),
            )  # fmt: skip
            if part
        ),
        charts=[c for c in charts if c.series],
        main=4,
    )


def _details(details: dict[str, Any]) -> list[tuple[str, str]]:
    """The About lines of what the listing's `expand` says the model is (issue 14, point 8)."""
    out = []
    if details.get("active_parameters"):
        out.append(
            (
                "Active parameters",
                f"{_size(details['active_parameters'])} (mixture of experts, from its name)",
            )
        )
    elif details.get("moe"):
        out.append(("Active parameters", "unknown (a mixture of experts, by its model type)"))
    arch = " / ".join(v for v in (details.get("architecture"), details.get("model_type")) if v)
    out.append(("Architecture", arch or "unknown"))
    context = details.get("context_length")
    out.append(("Context length", f"{context:,} tokens" if context else "unknown"))
    providers = details.get("providers")
    out.append((
        "Inference providers",
        "unknown" if providers is None else ", ".join(f"{k} ({v or 'status unknown'})" for k, v in providers.items()) or "none",
    ))  # fmt: skip
    papers = details.get("papers")
    out.append(("Papers cited", ", ".join(f"arXiv:{p}" for p in papers) if papers else "none"))
    return out


def _chart(title: str, name: str, points: list[dict[str, Any]], key: str, *, kind: str) -> Chart:
    """One series over the points; before its first value it is not a gap but not started yet."""
    values: list[float | None] = [None if p["gap"] else p[key] for p in points]
    first = next((i for i, v in enumerate(values) if v is not None), None)
    series = [ChartSeries(name, values, offset=first)] if first is not None else []
    return Chart(title, [p["period_start"] for p in points], series, kind=kind, y_label=title)


def _size(parameters: int) -> str:
    from oss_tracker.humanize import human_size

    return human_size(parameters)


def _first_name(renames: list[dict[str, Any]], current: str) -> str:
    """The name the model had when first seen: the first rename's old name, else its current one."""
    return renames[0]["from"] if renames else current


def _bases(
    db: Database, model_id: int, tag_base: str | None, tag_relation: str | None, *, own: tuple[str, str]
) -> list[dict[str, Any]]:
    """The model's declared bases: from its `base_model:` tags (the listing, every sync) and its
    `baseModels` (read with its derivative count), each once, with the watched account it is in;
    `self` where the base is the model itself (`own`: its Hub `_id` and repo id), which a card
    can declare: no base, and flagged rather than shown as a relation."""
    found: dict[str, dict[str, Any]] = {}
    if tag_base:
        found[tag_base.lower()] = {
            "id": tag_base,
            "relation": tag_relation,
            "declared": "tags",
            "hub_id": None,
        }
    for repo, hub_id, relation in db.execute(
        "SELECT base_repo_id, base_hub_id, relation FROM model_bases WHERE model_id = ? ORDER BY base_repo_id",
        [model_id],
    ).fetchall():
        known = found.get(repo.lower())
        if known is not None:
            known["declared"], known["hub_id"] = "tags, baseModels", hub_id
            known["relation"] = known["relation"] or relation
        else:
            found[repo.lower()] = {
                "id": repo,
                "relation": relation,
                "declared": "baseModels",
                "hub_id": hub_id,
            }
    out = []
    for base in found.values():
        watched = db.execute(
            """SELECT g.name FROM models m JOIN orgs g ON g.id = m.org_id
               WHERE m.hub_id = ? OR m.repo_id = ? COLLATE NOCASE
               ORDER BY m.removed_at IS NOT NULL LIMIT 1""",
            [base["hub_id"] or "", base["id"]],
        ).fetchone()
        itself = base["hub_id"] == own[0] or base["id"].lower() == own[1].lower()
        out.append({"id": base["id"], "relation": base["relation"], "org": watched[0] if watched else None,
                    "declared": base["declared"], "self": itself})  # fmt: skip
    return out


def _built_on(db: Database, model_id: int, hub_id: str, repo_id: str) -> list[dict[str, Any]]:
    """The watched models that declare this one as a base (their tags or their baseModels)."""
    rows = db.execute(
        """SELECT m.repo_id, g.name, b.relation FROM model_bases b
           JOIN models m ON m.id = b.model_id JOIN orgs g ON g.id = m.org_id
           WHERE (b.base_hub_id = ? OR b.base_repo_id = ? COLLATE NOCASE) AND m.id != ? AND m.removed_at IS NULL
           UNION
           SELECT m.repo_id, g.name, m.base_relation FROM models m JOIN orgs g ON g.id = m.org_id
           WHERE m.base_model = ? COLLATE NOCASE AND m.id != ? AND m.removed_at IS NULL
           ORDER BY 1""",
        [hub_id, repo_id, model_id, repo_id, model_id],
    ).fetchall()
    seen: dict[str, dict[str, Any]] = {}
    for repo, org, relation in rows:
        known = seen.setdefault(repo, {"id": repo, "org": org, "relation": relation})
        known["relation"] = known["relation"] or relation
    return list(seen.values())
