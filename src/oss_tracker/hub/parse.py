"""Hub answers into plain records: one listing item, one model_info, values checked, nothing fetched."""

from __future__ import annotations

import json
import re
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
    sent_gguf = get("gguf")
    gguf = sent_gguf if type(sent_gguf) is dict else None
    total = safetensors.get("total") if type(safetensors) is dict else None
    if total is None and gguf is not None:
        total = gguf.get("total")  # a GGUF repo has no safetensors: the GGUF header's count
    base, relation, papers = tag_facts(tags)
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
    config = get("config")
    record = ModelRecord(
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
        papers=papers,
    )
    if config is not None or sent_gguf is not None:
        _describe(record, config, gguf)
        # A `config` or `gguf` that is no object is an odd value (its fields stay unknown).
        record.odd += (type(config) is not dict and not unset(config)) + (
            gguf is None and not unset(sent_gguf)
        )
    mapping = get("inferenceProviderMapping")
    if mapping is not None:
        record.providers = providers(mapping)
        record.odd += record.providers is None
    return record


MAX_CONTEXT = 1_000_000_000  # tokens: a hundred times the longest context any model reads


def _describe(record: ModelRecord, config: Any, gguf: dict[str, Any] | None) -> None:
    """Architecture, model type and context length from `config` and `gguf`: a value that is
    sent but cannot be read is unknown and counted as odd."""
    odd = 0

    def read(value: Any, parse: Any) -> Any:
        nonlocal odd
        kept = parse(value)
        odd += kept is None and not unset(value)
        return kept

    architecture = context = None
    if type(config) is dict:
        names = config.get("architectures")
        if type(names) is list and names:
            architecture = text(names[0])
            odd += architecture is None  # a list of architectures starting with no name
        elif type(diffusers := config.get("diffusers")) is dict:
            architecture = read(diffusers.get("_class_name"), text)  # a diffusers pipeline's class
        elif not unset(names) and names != []:
            odd += 1
        record.model_type = read(config.get("model_type"), text)
        context = read(config.get("max_position_embeddings"), _context)
    if gguf is not None:
        named = read(gguf.get("architecture"), text)
        architecture = architecture or named
        context = read(gguf.get("context_length"), _context) or context
    record.architecture, record.context_length = architecture, context
    record.odd += odd


def _context(value: Any) -> int | None:
    """A context length in tokens: a count of at most MAX_CONTEXT (past it, no model's)."""
    tokens = count(value)
    return tokens if tokens is not None and tokens <= MAX_CONTEXT else None


MAX_PROVIDERS = 100  # more inference providers than exist: a listing item's are cut there


def providers(value: Any) -> str | None:
    """`inferenceProviderMapping` as JSON `{provider: status}` (sorted; "{}" when none serves it):
    a list of `{provider, status, ...}` on a listing, a dict keyed by provider on `model_info`
    (huggingface_hub harmonises both). None when it is neither. A provider listed twice (two
    tasks) is `live` if either entry is."""
    if type(value) is list:
        if not value:
            return "{}"
        entries = [(i.get("provider"), i.get("status")) for i in value if type(i) is dict]
    elif type(value) is dict:
        entries = [(k, v.get("status")) for k, v in value.items() if type(v) is dict]
    else:
        return None
    out: dict[str, str | None] = {}
    for name, status in entries:
        name = text(name)
        fits = name is not None and len(name) <= 100 and (name in out or len(out) < MAX_PROVIDERS)
        if fits and out.get(name) != "live":  # type: ignore[arg-type]
            out[name] = text(status)  # type: ignore[index]
    return json.dumps(dict(sorted(out.items())), separators=(",", ":"))


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
    base, relation, _ = tag_facts(tags)
    return base, relation


# An arXiv identifier: `2501.12948` (or with a version, `2501.12948v2`), or the pre-2007 form
# `cs/0112017`. Anything else in an `arxiv:` tag is no paper.
_ARXIV = re.compile(r"[0-9]{4}\.[0-9]{4,5}(?:v[0-9]{1,3})?|[a-z][a-z-]{1,20}(?:\.[A-Z]{2})?/[0-9]{7}")
MAX_PAPERS = 200


def tag_facts(tags: list[Any]) -> tuple[str | None, str | None, str | None]:
    """From the tags, in one pass: the declared base and relation (`base_model:RELATION:ID`, or a
    bare `base_model:ID`), and the papers cited (`arxiv:ID` tags) as a JSON list, None if none."""
    bare = found = relation = None
    papers: list[str] = []
    for tag in tags:
        # Most tags are neither (`transformers`, `license:mit`...): their first letter says so
        # at a third of the cost of two startswith calls.
        if type(tag) is not str or tag[:1] not in "ab":
            continue
        if tag.startswith("base_model:"):
            if found is not None:
                continue
            rest = tag[11:]
            rel, sep, base = rest.partition(":")
            if sep and rel in RELATIONS and text(base):
                found, relation = base, rel
            elif not sep and bare is None:
                bare = text(rest)
        elif tag.startswith("arxiv:") and len(papers) < MAX_PAPERS and _ARXIV.fullmatch(tag, 6):
            papers.append(tag[6:])
    # JSON by hand: an arXiv id (checked above) holds no character JSON escapes; json.dumps cost
    # as much as the rest of the item.
    if not papers:
        cited = None
    elif len(papers) == 1:
        cited = '["' + papers[0] + '"]'
    else:
        cited = '["' + '","'.join(sorted(set(papers))) + '"]'
    return (found, relation, cited) if found is not None else (bare, None, cited)


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
