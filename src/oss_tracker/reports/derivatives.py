"""Derivative reports from the database: bases ranked by direct children, org totals, families."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from oss_tracker.errors import NoData
from oss_tracker.reports.common import model_row, sourced, watched_orgs
from oss_tracker.reports.model import Column, Report, Section

if TYPE_CHECKING:  # only a type: report commands do not import sqlite-utils for it
    from sqlite_utils import Database

DEFINITION = (
    "Derivatives = direct children declared through base_model on the Hub, by relation "
    "(finetune, quantized, adapter, merge); not all descendants, not name matches."
)
RELATION_COLUMNS = [
    Column("finetune", "Finetune", "int"),
    Column("quantized", "Quantized", "int"),
    Column("adapter", "Adapter", "int"),
    Column("merge", "Merge", "int"),
    Column("total", "Total", "int"),
]


# A row of `latest_counts`, in its query's order.
LATEST_KEYS = (
    "id",
    "org",
    "finetune",
    "quantized",
    "adapter",
    "merge",
    "total",
    "as_of",
    "change",
    "previous_as_of",
)


def latest_counts(db: Database, orgs: list[str] | None = None) -> list[dict[str, Any]]:
    """Each current model's latest count, largest first, with the change since its previous count."""
    where, args = "", []
    if orgs:
        ids = [oid for oid, _ in watched_orgs(db, orgs)]
        where, args = f"AND m.org_id IN ({','.join('?' * len(ids))})", ids
    rows = db.execute(
        # derivative_latest holds each model's latest and previous count (kept by the sync):
        # a row a model, whatever the years of history.
        f"""SELECT m.repo_id, o.name, d.finetune, d.quantized, d.adapter, d.merge, d.total, d.day,
                   d.total - d.prev_total, d.prev_day
            FROM models m
            JOIN orgs o ON o.id = m.org_id
            JOIN derivative_latest d ON d.model_id = m.id
            WHERE m.removed_at IS NULL {where}
            ORDER BY d.total DESC, m.repo_id""",
        args,
    ).fetchall()
    return [dict(zip(LATEST_KEYS, r, strict=True)) for r in rows]


@sourced
def ranking(
    db: Database, *, orgs: list[str] | None = None, limit: int = 20, family: str | None = None
) -> Report:
    """Bases ranked by total direct derivatives, per-org totals, and an optional family roll-up."""
    counts = latest_counts(db, orgs)
    if not counts:
        scope = f" for {', '.join(orgs)}" if orgs else ""
        raise NoData(
            f"no derivative counts{scope} yet: run `oss-tracker sync` (derivatives are on by default, --derivatives auto)"
        )
    as_of = max(c["as_of"] for c in counts)
    per_org: dict[str, dict[str, Any]] = {}
    for c in counts:
        t = per_org.setdefault(c["org"], {"org": c["org"], "models": 0, "total": 0, "split_unknown": 0})
        t["models"] += 1
        t["total"] += c["total"]
        for rel in ("finetune", "quantized", "adapter", "merge"):
            if c[rel] is not None:
                t[rel] = t.get(rel, 0) + c[rel]
        if c["finetune"] is None:
            t["split_unknown"] += c["total"]
    totals = sorted(per_org.values(), key=lambda t: (-t["total"], t["org"]))
    sections = [
        Section(
            f"Top {limit} bases by direct derivatives" if limit else "Bases by direct derivatives",
            [
                Column("id", "Base model"),
                *RELATION_COLUMNS,
                Column("change", "Change", "delta"),
                Column("as_of", "As of", "date"),
            ],
            counts[: limit or None],  # 0: all
        ),
        Section(
            "Per organization",
            [
                Column("org", "Organization"),
                Column("models", "Models counted", "int"),
                *RELATION_COLUMNS[:-1],
                Column("split_unknown", "Split not given", "int"),
                RELATION_COLUMNS[-1],
            ],
            totals,
        ),
    ]
    data: dict[str, Any] = {
        "bases": [
            {
                k: c[k]
                for k in LATEST_KEYS[:-1]  # the JSON's base rows: all but the previous count's day
            }
            for c in counts[: limit or None]
        ]
    }
    if family is not None:
        fam = family_rollup(counts, family)
        sections.append(
            Section(
                f"Family {family}: {fam['rule']}",
                [Column("members", "Members", "int"), *RELATION_COLUMNS],
                [fam],
            )
        )
        data["family"] = fam
    edges = cross_org_edges(db, orgs)
    if edges:
        sections.append(edges_section(edges))
    footer = f"{DEFINITION} As of {as_of}; a relation shows — where the Hub gave only a total."
    return Report(title="Derivative models", data=data, sections=sections, footer=footer)


EDGE_TITLE = "Watched models built on another watched account's model (their declared baseModels)"


def cross_org_edges(db: Database, orgs: list[str] | None = None) -> list[dict[str, Any]]:
    """Edges between watched accounts: a current model whose declared base is another account's
    model; with `orgs`, the edges that start or end in one of them."""
    only, args = "", []
    if orgs:
        ids = [oid for oid, _ in watched_orgs(db, orgs)]
        marks = ",".join("?" * len(ids))
        only, args = f"AND (o.id IN ({marks}) OR bo.id IN ({marks}))", [*ids, *ids]
    rows = db.execute(
        f"""SELECT m.repo_id, o.name, b.base_repo_id, bo.name, b.relation
            FROM model_bases b
            JOIN models m ON m.id = b.model_id
            JOIN orgs o ON o.id = m.org_id
            JOIN models bm ON (bm.hub_id = b.base_hub_id OR bm.repo_id = b.base_repo_id)
            JOIN orgs bo ON bo.id = bm.org_id
            WHERE m.removed_at IS NULL AND bo.id != o.id {only}
            GROUP BY m.id, b.base_repo_id
            ORDER BY o.name, m.repo_id""",
        args,
    ).fetchall()
    keys = ("id", "org", "base", "base_org", "relation")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def edges_section(edges: list[dict[str, Any]]) -> Section:
    columns = [Column("id", "Model"), Column("org", "Account"), Column("relation", "Relation"),
               Column("base", "Base model"), Column("base_org", "Base account")]  # fmt: skip
    return Section(EDGE_TITLE, columns, edges, empty="no edge between watched accounts yet")


@sourced
def edges_report(db: Database, orgs: list[str] | None = None) -> Report:
    """Only the edges between watched accounts (those of `orgs`), for `derivatives --edges`."""
    edges = cross_org_edges(db, orgs)
    note = "from the declared baseModels of the watched models counted so far (--derivatives refreshes them)"
    return Report(
        title="Between watched accounts", data={"edges": edges}, sections=[edges_section(edges)], footer=note
    )


def family_rollup(counts: list[dict[str, Any]], pattern: str) -> dict[str, Any]:
    """Sum over the models whose name (with or without the org) matches a glob such as `Qwen3-*`,
    ignoring case as every lookup of a name does (the Hub's names are case-insensitive);
    NoData when none does."""
    glob = pattern.lower()
    members = [
        c
        for c in counts
        if fnmatch.fnmatchcase(c["id"].lower(), glob)
        or fnmatch.fnmatchcase(c["id"].split("/", 1)[-1].lower(), glob)
    ]
    if not members:
        raise NoData(
            f"no watched model with a derivative count matches --family '{pattern}' "
            "(a glob on the name, with or without the account, ignoring case)"
        )
    out: dict[str, Any] = {
        "family": pattern,
        "rule": f"sum of the direct derivatives of every watched model whose name matches '{pattern}' "
        "(ignoring case); a repo declaring two members as bases counts once per member",
        "members": len(members),
        "ids": [c["id"] for c in members],
        "total": sum(c["total"] for c in members),
    }
    for rel in ("finetune", "quantized", "adapter", "merge"):
        known = [c[rel] for c in members if c[rel] is not None]
        out[rel] = sum(known) if known else None
    return out


def children_listing(items: list[dict[str, Any]], base: str, relation: str | None) -> Report:
    """The derivative repos themselves, as listed live by the Hub's base_model filter."""
    rel = relation or "any relation"
    return Report(
        title=f"Derivatives of {base} ({rel})",
        data=items,
        sections=[
            Section(
                f"{len(items):,} repos declaring {base} as base_model ({rel})",
                [
                    Column("id", "Repo"),
                    Column("author", "Author"),
                    Column("relation", "Relation"),
                    Column("downloads_30d", "30-day downloads", "int"),
                    Column("likes", "Likes", "int"),
                    Column("created_at", "Created", "date"),
                ],
                items,
                empty="no derivative repos listed",
            )
        ],
        footer=DEFINITION,
    )


@sourced
def model_history(db: Database, ident: str) -> Report:
    """One model's stored derivative counts, newest first (by repo id, a former name or `_id`)."""
    try:
        model = model_row(db, ident)
    except NoData:
        model = None
    rows = (
        db.execute(
            """SELECT day, finetune, quantized, adapter, merge, total FROM derivative_counts
               WHERE model_id = ? ORDER BY day DESC""",
            [model["id"]],
        ).fetchall()
        if model is not None
        else []
    )
    if not rows:
        raise NoData(f"no derivative counts for '{ident}': not a watched model, or not counted yet")
    repo_id = model["repo_id"]  # type: ignore[index]
    keys = ("day", "finetune", "quantized", "adapter", "merge", "total")
    items = [dict(zip(keys, r, strict=True)) for r in rows]
    return Report(
        title=f"Derivatives of {repo_id}",
        data={"id": repo_id, "counts": items},
        sections=[
            Section("Direct derivatives by day", [Column("day", "Day", "date"), *RELATION_COLUMNS], items)
        ],
        footer=DEFINITION,
    )
