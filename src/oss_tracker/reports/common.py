"""Queries every report shares: the orgs asked for, their latest runs, history span, derivative totals."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.records import REPLAY_ENDPOINT
from oss_tracker.reports.model import Column, Report
from oss_tracker.store.totals import safe_rows
from oss_tracker.values import created_sql

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database


# SQL for a repo's plausible createdAt, else NULL: the reports' name for `values.created_sql`.
created = created_sql

MODEL_KINDS = ("original", "conversion", "derived", "all")


class UnknownKind(ValueError):
    """A kind of model that is none of MODEL_KINDS (the message says so, for the user)."""


def kind_filter(kind: str, alias: str = "m") -> str:
    """SQL that keeps the models (`alias`: the models table) of one kind: `original`, `conversion`,
    `derived`, or `all` of them (issue 14, point 1; store/kinds.py says how a model is classified).

    The one place a report reads the classification through: a column of `models`, as cheap to
    filter on as the licence. A model no sync has classified (none: migration m011 classifies
    every stored one) is of no kind but `all`."""
    if kind == "all":
        return "1"
    if kind in MODEL_KINDS:
        return f"{alias}.kind = '{kind}'"
    raise UnknownKind(f"--kind {kind}: not one of {', '.join(MODEL_KINDS)}")


def kind_note(kind: str) -> str:
    """A footer's words for the kind a report was filtered to ("" for all)."""
    return "" if kind == "all" else f"{kind} models only (--kind {kind})"


def kind_missing(kind: str, of: list[str]) -> str:
    """The empty-state words of a part filtered by --kind when none of the models of `of` (an
    account, a company, several accounts) is of that kind: "no conversion among Wan-AI's models",
    rather than "nothing to show" or "no model has downloads in the period"."""
    noun = "derived model" if kind == "derived" else kind
    whose = f"{of[0]}'s models" if len(of) == 1 else f"the models of {', '.join(of)}"
    return f"no {noun} among {whose}"


def none_of_kind(db: Database, org_ids: list[int], kind: str) -> bool:
    """True when --kind names a kind that none of these accounts' current models is of."""
    if kind == "all" or not org_ids:
        return False
    marks = ",".join("?" * len(org_ids))
    found = db.execute(
        f"SELECT 1 FROM models m WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL AND {kind_filter(kind)} LIMIT 1",
        org_ids,
    ).fetchone()
    return found is None


# A run the reports read: every run in the file is one (a run is stored whole or not at all).
STORED_RUN = "r.status IN ('ok', 'partial')"


def org_row(db: Database, org: str) -> tuple[int, str]:
    """The org's id and stored spelling, or NoData if it was never synced."""
    row = db.execute("SELECT id, name FROM orgs WHERE name = ? COLLATE NOCASE", [org]).fetchone()
    if row is None:
        raise NoData(f"no data for organization '{org}': it was never synced (see `oss-tracker status`)")
    return int(row[0]), str(row[1])


def org_runs(db: Database, org_id: int, limit: int = 2) -> list[tuple[int, str, int | None, str]]:
    """The org's latest stored snapshots, newest first: (run id, run start, followers, day).

    Newest by run start, not by id: a day backfilled from an archive gets a higher id than the
    live runs after it. An org has a row a day (hundreds a year): the sort is cheap."""
    return [
        (int(r[0]), str(r[1]), r[2], str(r[3]))
        for r in db.execute(
            f"""SELECT o.run_id, r.started_at, o.followers, r.day FROM org_snapshots o JOIN runs r ON r.id = o.run_id
               WHERE o.org_id = ? AND {STORED_RUN} ORDER BY r.started_at DESC, o.run_id DESC LIMIT ?""",
            [org_id, limit],
        ).fetchall()
    ]


def totals_at(db: Database, org_id: int, run_id: int, kind: str = "all") -> dict[str, int | None]:
    """The org's model count and summed counts at a run (0 where it had no model; None where
    the sum is unknown: every count unknown, or a sum past 64 bits); of one kind of model."""
    from oss_tracker.store.totals import pair_sums

    at = pair_sums(db, [(org_id, run_id, None)], by="org", keep=kind_filter(kind)).get((org_id, run_id))
    keys = ("models", "downloads_30d", "downloads_all_time", "likes")
    return {k: at[k] for k in keys} if at else dict.fromkeys(keys, 0)


DROP_COLUMNS = [
    Column("org", "Org"),
    Column("model", "Model"),
    Column("from", "From", "date"),
    Column("to", "To", "date"),
    Column("before", "Before", "int"),
    Column("after", "After", "int"),
    Column("change", "Change", "delta"),
]


def repo_summary(db: Database, org_ids: list[int]) -> dict[str, dict[str, Any]]:
    """Current datasets and Spaces of these orgs: how many, and their summed downloads and likes."""
    out: dict[str, dict[str, Any]] = {}
    marks = ",".join("?" * len(org_ids)) or "NULL"
    for kind in ("dataset", "space"):
        [row] = safe_rows(
            db,
            f"""SELECT count(*), sum(s.downloads_30d), sum(s.downloads_all_time), sum(s.likes)
                FROM repos r JOIN repo_snapshots s ON s.repo_id = r.id AND s.run_id = r.last_seen_run
                WHERE r.kind = ? AND r.removed_at IS NULL AND r.org_id IN ({marks})""",
            [kind, *org_ids],
        )
        out[kind] = {"count": row[0], "downloads_30d": row[1], "downloads_all_time": row[2], "likes": row[3]}
    return out


def total(values: list[int | None]) -> int | None:
    """A sum over accounts (a company's, a group's), unknown (None) when any value is unknown: an
    unknown value is never taken for a zero."""
    return None if None in values else sum(values)  # type: ignore[arg-type]


def difference(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


def watched_orgs(db: Database, names: list[str] | None = None) -> list[tuple[int, str]]:
    """The named orgs (id, stored spelling), or every org with a snapshot, by name."""
    if names:
        seen: dict[int, str] = {}
        for name in names:
            oid, stored = org_row(db, name)
            seen.setdefault(oid, stored)
        return list(seen.items())
    found = db.execute(
        """SELECT g.id, g.name FROM orgs g
           WHERE EXISTS (SELECT 1 FROM org_snapshots o WHERE o.org_id = g.id)
           ORDER BY g.name COLLATE NOCASE"""
    ).fetchall()
    if not found:
        raise NoData("the database has no sync yet: run `oss-tracker sync` first")
    return [(int(i), str(n)) for i, n in found]


def history(db: Database, org_ids: list[int]) -> dict[str, Any]:
    """First and last snapshot day, number of snapshot days and runs, and the latest run start."""
    marks = ",".join("?" * len(org_ids)) or "NULL"
    row = db.execute(
        f"""SELECT min(r.day), max(r.day), count(DISTINCT r.day), count(DISTINCT r.id), max(r.started_at)
            FROM org_snapshots o JOIN runs r ON r.id = o.run_id
            WHERE o.org_id IN ({marks}) AND {STORED_RUN}""",
        org_ids,
    ).fetchone()
    return {"first_day": row[0], "last_day": row[1], "snapshots": row[2], "runs": row[3], "as_of": row[4],
            "archived": archived(db, org_ids)}  # fmt: skip


def within_history(db: Database, since: date | None, until: date | None, orgs: list[str] | None) -> None:
    """NoData, saying so, for a window wholly outside the stored history (not "no snapshots
    yet"): `since` after the last snapshot of these orgs, `until` before the first."""
    if since is None and until is None:
        return
    span = history(db, [oid for oid, _ in watched_orgs(db, orgs)])
    first, last = span["first_day"], span["last_day"]
    if not last:
        return  # no snapshot at all: the report says so itself
    stored = f"the history runs from {first} to {last}"
    if since is not None and since.isoformat() > last:
        raise NoData(f"--since {since.isoformat()} is past the end of the history: {stored}")
    if until is not None and until.isoformat() < first:
        raise NoData(f"--until {until.isoformat()} is before the history starts: {stored}")


def archived(db: Database, org_ids: list[int], since: str | None = None, until: str | None = None) -> str:
    """What part of a window (these orgs' snapshot days from `since` to `until`) comes from a public
    archive (`oss-tracker backfill`), in words for a footer, e.g. "12 of 30 days from the public
    archive (cfahlgren1/hub-stats)"; "" when none does. A day counts when its snapshot (the day's
    last run) of one of the orgs is an archived one."""
    if not org_ids or db.execute("SELECT 1 FROM runs WHERE source = 'archive' LIMIT 1").fetchone() is None:
        return ""
    marks = ",".join("?" * len(org_ids))
    days, from_archive, sources = db.execute(
        f"""WITH d AS (SELECT max(r.started_at || printf('%020d', r.id)) AS k
                       FROM org_snapshots o JOIN runs r ON r.id = o.run_id
                       WHERE o.org_id IN ({marks}) AND {STORED_RUN} AND r.day >= ? AND r.day <= ?
                       GROUP BY o.org_id, r.day)
            SELECT count(DISTINCT r.day), count(DISTINCT CASE WHEN r.source = 'archive' THEN r.day END),
                   group_concat(DISTINCT CASE WHEN r.source = 'archive' THEN r.endpoint END)
            FROM d JOIN runs r ON r.id = CAST(substr(d.k, -20) AS INTEGER)""",
        [*org_ids, since or "", until or "9999"],
    ).fetchone()
    if not from_archive:
        return ""
    names = sorted(
        {
            ("local files" if e.startswith("file:") else e.rpartition("/datasets/")[2] or e)
            for e in sources.split(",")
        }
    )
    return f"{from_archive:,} of {days:,} days from the public archive ({', '.join(names)})"


def history_footer(hist: dict[str, Any], *extra: str) -> str:
    from oss_tracker.humanize import human_date, human_datetime

    parts = []
    if hist.get("as_of"):
        parts.append(f"as of {human_datetime(hist['as_of'])}")
    if hist.get("first_day"):
        n = hist["snapshots"]
        parts.append(
            f"history {human_date(hist['first_day'])} – {human_date(hist['last_day'])}, "
            f"{n} daily snapshot{'s' if n != 1 else ''}"
        )
    return " · ".join([*parts, *(e for e in (hist.get("archived"), *extra) if e)])


def derivative_totals(db: Database, org_ids: list[int], kind: str = "all") -> dict[int, dict[str, Any]]:
    """Per org: the sum of each current model's latest derivative count (direct children), of the
    models of one kind."""
    if not org_ids:
        return {}
    marks = ",".join("?" * len(org_ids))
    out: dict[int, dict[str, Any]] = {}
    for row in safe_rows(
        db,
        f"""SELECT m.org_id, count(*), sum(d.finetune), sum(d.quantized), sum(d.adapter), sum(d.merge),
                   sum(d.total), max(d.day), sum(CASE WHEN d.finetune IS NULL THEN d.total ELSE 0 END)
            FROM models m JOIN derivative_latest d ON d.model_id = m.id
            WHERE m.org_id IN ({marks}) AND m.removed_at IS NULL AND {kind_filter(kind)}
            GROUP BY m.org_id""",
        org_ids,
    ):
        out[row[0]] = {
            "models_counted": row[1],
            "finetune": row[2],
            "quantized": row[3],
            "adapter": row[4],
            "merge": row[5],
            "total": row[6],
            "as_of_day": row[7],
            # Children of models for which the Hub gave only a total (no split by relation).
            "split_unknown": row[8],
        }
    return out


def model_row(db: Database, ident: str) -> dict[str, Any]:
    """A model by repo id (current or a former name) or Hub `_id`, or NoData; `matched` says which.

    Where two models answer to one name (a repo deleted and made again under it gets a new
    `_id`), the current one wins, else the one seen last."""
    base = """SELECT m.id, m.repo_id, m.org_id, g.name, m.removed_at, r.day
              FROM models m JOIN orgs g ON g.id = m.org_id JOIN runs r ON r.id = m.last_seen_run"""
    newest = "ORDER BY m.removed_at IS NOT NULL, r.started_at DESC, m.id DESC LIMIT 1"
    matched = "name"
    row = db.execute(f"{base} WHERE m.repo_id = ? COLLATE NOCASE {newest}", [ident]).fetchone()
    if row is None:
        matched = "former name"
        row = db.execute(
            f"""{base} WHERE m.id = (SELECT e.model_id FROM events e WHERE e.kind = 'renamed'
                                      AND e.old = ? COLLATE NOCASE ORDER BY e.at DESC, e.id DESC LIMIT 1)""",
            [ident],
        ).fetchone()
    if row is None:
        matched = "hub_id"
        row = db.execute(f"{base} WHERE m.hub_id = ?", [ident]).fetchone()
    if row is None:
        raise NoData(f"no model '{ident}' in the database (see `oss-tracker releases`)")
    return {
        "id": row[0],
        "repo_id": row[1],
        "org_id": row[2],
        "org": row[3],
        "removed_at": row[4],
        "last_day": row[5],
        "matched": matched,
    }


def model_facts(db: Database, model_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the database says each model *is*, beyond its listing, by model id: its kind
    (`original`, `conversion` or `derived`), whether that was inferred and on what basis
    (store/kinds.py), and its details from the listing's `expand` (`details`: architecture, model
    type, context length, active parameters and whether it is a mixture of experts, the inference
    providers serving it as {provider: status}, the arXiv ids of the papers it cites).

    The one place `model` and `changes` read them from."""
    import json

    from oss_tracker.store.kinds import is_moe

    if not model_ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for row in db.execute(
        """SELECT m.id, m.kind, m.kind_inferred, m.kind_basis, m.architecture, m.model_type, m.context_length,
                  m.active_parameters, m.providers, m.papers
           FROM json_each(?) j JOIN models m ON m.id = j.value""",
        [json.dumps(model_ids)],
    ).fetchall():
        mid, kind, inferred, basis, arch, mtype, context, active, providers, papers = row
        out[mid] = {
            "kind": kind,
            "kind_inferred": None if inferred is None else bool(inferred),
            "kind_basis": basis,
            "details": {
                "architecture": arch,
                "model_type": mtype,
                "context_length": context,
                "active_parameters": active,
                "moe": is_moe(mtype, active),
                "providers": json_column(providers),
                "papers": json_column(papers),
            },
        }
    return out


def json_column(text: str | None) -> Any:
    """A JSON column (providers, papers) as its value; None where unknown or unreadable."""
    import json

    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def served(providers: dict[str, Any] | None) -> int | None:
    """How many providers serve a model live (None: the Hub said nothing)."""
    return None if providers is None else sum(1 for status in providers.values() if status == "live")


def details_summary(db: Database, org_ids: list[int], kind: str = "all") -> dict[str, Any]:
    """What the current models of these accounts are, summed (issue 14, point 8): the models an
    inference provider serves live and those providers ({provider: models}, most first), the
    distinct papers the models cite and how many models cite one, and the mixture-of-experts
    models whose names give active parameters."""
    marks = ",".join("?" * len(org_ids)) or "NULL"
    where = f"m.org_id IN ({marks}) AND m.removed_at IS NULL AND {kind_filter(kind)}"
    providers = db.execute(
        f"""SELECT j.key, count(*) FROM models m, json_each(m.providers) j
            WHERE {where} AND m.providers IS NOT NULL AND j.value = 'live'
            GROUP BY j.key ORDER BY count(*) DESC, j.key""",
        org_ids,
    ).fetchall()
    served_n, described, citing, active = db.execute(
        f"""SELECT count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM json_each(m.providers) j WHERE j.value = 'live')
                                       THEN m.id END),
                   count(m.providers), count(m.papers), count(m.active_parameters)
            FROM models m WHERE {where}""",
        org_ids,
    ).fetchone()
    papers = db.execute(
        f"""SELECT count(DISTINCT j.value) FROM models m, json_each(m.papers) j
            WHERE {where} AND m.papers IS NOT NULL""",
        org_ids,
    ).fetchone()[0]
    return {
        "models_served": served_n,
        "providers": dict(providers),
        "models_described": described,  # models whose listing said which providers serve them
        "papers": papers,
        "models_citing": citing,
        "moe_with_active_parameters": active,
    }


KIND_ORDER = {"original": 0, "derived": 1, "conversion": 2}  # originals first


def synced(db: Database, accounts: list[str], *, keep: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The accounts the database holds a sync of (and those in `keep`), in order; NoData if none."""
    stored = {r[0].lower() for r in db.execute("SELECT name FROM orgs").fetchall()}
    named = {o.lower() for o in keep}
    kept = [a for a in accounts if a.lower() in stored or a.lower() in named]
    if not kept:
        raise NoData(f"none of {', '.join(accounts)} was synced yet")
    return kept


# -- where the data came from ----------------------------------------------------------------
DEMO = "demo data: replayed from a recording, not fetched from the Hub (the bundled demo's numbers are partly invented)"


def data_source(db: Database) -> tuple[str, str]:
    """Where the stored runs came from: ("hub", "") when every run asked a Hub, ("replay", DEMO)
    when every run was replayed from a recording (`sync --replay`: the bundled demo), ("mixed",
    a note) when some were, ("none", "") when no run is stored."""
    runs, replayed = db.execute(
        f"SELECT count(*), coalesce(sum(r.endpoint = ?), 0) FROM runs r WHERE {STORED_RUN}", [REPLAY_ENDPOINT]
    ).fetchone()
    if not runs:
        return "none", ""
    if not replayed:
        return "hub", ""
    if replayed == runs:
        return "replay", DEMO
    return "mixed", f"{replayed:,} of {runs:,} runs {DEMO.removeprefix('demo data: ')}"


def with_source(db: Database, report: Report) -> Report:
    """The report labelled with where its data came from: `source` in its JSON (hub, replay or
    mixed) and, for replayed data, a line in its footer saying it is demo data."""
    kind, note = data_source(db)
    if isinstance(report.data, dict):
        report.data["source"] = kind
    if note:
        report.footer = f"{report.footer} · {note}" if report.footer else note
    return report


def sourced(build: Callable[..., Report]) -> Callable[..., Report]:
    """A report builder (database first) whose report is labelled by `with_source`."""

    @functools.wraps(build)
    def labelled(db: Database, *args: Any, **kwargs: Any) -> Report:
        return with_source(db, build(db, *args, **kwargs))

    return labelled


def unknown_parts(parts: list[dict[str, Any]], keys: tuple[str, ...], name: str = "org") -> list[str]:
    """A note for each figure left unknown in a sum because an account's is unknown."""
    out = []
    for key in keys:
        missing = [p[name] for p in parts if p.get(key) is None]
        if missing:
            out.append(
                f"Note: {key.replace('_', ' ')} unknown for {', '.join(missing)}: the sum is unknown, "
                "not a sum of the others."
            )
    return out


def share_pct(part: int | None, whole: int | None) -> float | None:
    """`part` as a percentage of `whole`, to one decimal; unknown when either is, and where the
    whole is not positive (all-time counts that went down can make a period's total so)."""
    return round(100.0 * part / whole, 1) if part is not None and whole is not None and whole > 0 else None
