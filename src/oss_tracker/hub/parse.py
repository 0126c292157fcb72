"""Hub answers into plain records: one listing item, one model_info, values checked, nothing fetched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from oss_tracker import licenses
from oss_tracker.records import RELATIONS, ModelRecord, RepoRecord
from oss_tracker.values import CREATED_FLOOR, MAX_COUNT, MODIFIED_FLOOR, count, hub_date, score, text, unset


class Unusable(Exception):
    """A listing item that cannot be stored at all (the message says why, after "a listing item")."""


def same_name(name: str, org: str) -> bool:
    """One Hub account's name, in any case: ASCII case only (`"\u212aimi".lower()` is `kimi`,
    a Kelvin sign; a Hub name is ASCII, anything else must match exactly)."""
    return name == org or (name.isascii() and name.lower() == org.lower())


def date_ceiling(now: datetime | None) -> str:
    """The latest plausible date in this run's answers: its start, plus a day of clock skew."""
    moment = (now or datetime.now(UTC)).astimezone(UTC) + timedelta(days=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids(item: Any) -> tuple[str, str]:
    """An item's `_id` and `id`, or Unusable: without both as storable text it is no repo."""
    if type(item) is not dict:
        raise Unusable("that is not a JSON object")
    hub_id, repo_id = item.get("_id"), item.get("id")
    if type(hub_id) is not str or type(repo_id) is not str or not hub_id or not repo_id:
        raise Unusable("with no _id or id")
    if text(hub_id) is None or text(repo_id) is None:
        raise Unusable("whose _id or id is no Hub name (a NUL, a lone surrogate, or too long)")
    return hub_id, repo_id


def model_record(item: Any, ceiling: str) -> ModelRecord:
    """One raw listing item, flattened; odd or missing values become None (counted in `odd`).

    Read from the JSON directly, not through huggingface_hub's ModelInfo: that would parse
    the dates again and raise on shapes of fields the tracker never reads, costing an item
    (and so its org) for nothing. Raises Unusable for an item that cannot be stored.
    """
    hub_id, repo_id = _ids(item)
    get = item.get
    tags = get("tags")
    tags = tags if type(tags) is list else []
    card = get("cardData")
    license_name = card.get("license_name") if type(card) is dict else None
    safetensors = get("safetensors")
    total = safetensors.get("total") if type(safetensors) is dict else None
    base, relation = base_from_tags(tags)
    # Each field read once; `sent` keeps what the Hub sent, for the count of odd values.
    sent = (
        get("createdAt"),
        get("lastModified"),
        get("downloads"),
        get("downloadsAllTime"),
        get("likes"),
        get("trendingScore"),
        total,
        get("pipeline_tag"),
        get("library_name"),
        get("gated"),
        get("sha"),
    )
    kept = (
        hub_date(sent[0], CREATED_FLOOR, ceiling),
        hub_date(sent[1], MODIFIED_FLOOR, ceiling),
        count(sent[2]),
        count(sent[3]),
        count(sent[4]),
        score(sent[5]),
        count(total),
        text(sent[7]),
        text(sent[8]),
        _gated(sent[9]),
        text(sent[10]),
    )
    return ModelRecord(
        hub_id=hub_id,
        repo_id=repo_id,
        created_at=kept[0],
        last_modified=kept[1],
        downloads_30d=kept[2],
        downloads_all_time=kept[3],
        likes=kept[4],
        trending=kept[5],
        license=licenses.from_hub(tags, license_name),
        pipeline_tag=kept[7],
        library_name=kept[8],
        parameters=kept[6],
        gated=kept[9],
        base_model=base,
        base_relation=relation,
        sha=kept[10],
        odd=_odd(kept, sent) if None in kept else 0,
    )


def repo_record(item: Any, kind: str, ceiling: str) -> RepoRecord:
    """A raw dataset or Space listing item, flattened like model_record (Unusable if it cannot be stored)."""
    hub_id, repo_id = _ids(item)
    get = item.get
    tags = get("tags")
    card = get("cardData")
    license_name = card.get("license_name") if type(card) is dict else None
    sent = (
        get("createdAt"),
        get("lastModified"),
        get("downloads"),
        get("downloadsAllTime"),
        get("likes"),
        get("trendingScore"),
        get("sdk"),
    )
    kept = (
        hub_date(sent[0], CREATED_FLOOR, ceiling),
        hub_date(sent[1], MODIFIED_FLOOR, ceiling),
        count(sent[2]),
        count(sent[3]),
        count(sent[4]),
        score(sent[5]),
        text(sent[6]),
    )
    return RepoRecord(
        kind=kind,
        hub_id=hub_id,
        repo_id=repo_id,
        created_at=kept[0],
        last_modified=kept[1],
        downloads_30d=kept[2],
        downloads_all_time=kept[3],
        likes=kept[4],
        trending=kept[5],
        license=licenses.from_hub(tags if type(tags) is list else [], license_name),
        sdk=kept[6],
        odd=_odd(kept, sent) if None in kept else 0,
    )


def _odd(kept: tuple[Any, ...], sent: tuple[Any, ...]) -> int:
    """How many values the Hub did send were not kept (stored as unknown)."""
    return sum(1 for stored, value in zip(kept, sent, strict=True) if stored is None and not unset(value))


def base_from_tags(tags: list[Any]) -> tuple[str | None, str | None]:
    """The declared base and relation from `base_model:RELATION:ID` (or bare `base_model:ID`) tags."""
    bare = None
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation, sep, base = rest.partition(":")
        if sep and relation in RELATIONS and text(base):
            return base, relation
        if not sep and bare is None:
            bare = text(rest)
    return bare, None


def iso_time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _gated(value: Any) -> str | None:
    if value is False:
        return "false"
    if value is True:
        return "true"
    return text(value)


def parse_children(value: Any) -> tuple[int, dict[str, int] | None] | None:
    """`childrenModelCount` as a count (total only) or a dict of counts per relation; None when
    it is no count. A count by `values.count`'s rules, as every other count (7.0 is 7).

    Unknown is never 0: a fraction, a string, a negative or huge number, a dict with any such
    value (or summing past MAX_COUNT), or nothing at all (it was asked for) reads as unknown,
    and the stored count stands.
    """
    if type(value) is dict:
        counts = {k: count(v) for k, v in value.items()}
        if None in counts.values() or sum(counts.values()) > MAX_COUNT:  # type: ignore[arg-type]
            return None
        return sum(counts.values()), {r: counts[r] for r in RELATIONS if r in counts}  # type: ignore[misc]
    total = count(value)
    return None if total is None else (total, None)


def parse_bases(value: Any) -> list[tuple[str, str | None, str | None]]:
    """`baseModels`: {"relation": R, "models": [{"_id", "id"}, ...]} -> [(id, _id, R)]."""
    if not isinstance(value, dict):
        return []
    relation = text(value.get("relation"))
    models = value.get("models")
    out = []
    for item in models if type(models) is list else []:
        if type(item) is dict and text(item.get("id")) is not None:
            out.append((item["id"], text(item.get("_id")), relation))
    return out
