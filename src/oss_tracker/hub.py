"""Fetching from the Hub through huggingface_hub: plain records out, no SQLite, no printing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import DatasetInfo, HfApi, ModelInfo, SpaceInfo, constants
from huggingface_hub.utils import build_hf_headers, paginate, parse_datetime, set_client_factory

try:  # the client's own factory, to hand back after a run (not exported by the package)
    from huggingface_hub.utils._http import default_client_factory
except ImportError:  # pragma: no cover

    def default_client_factory() -> httpx2.Client:
        return httpx2.Client(follow_redirects=True, timeout=None)


from oss_tracker import __version__, licenses
from oss_tracker.derivatives import ChildCounts, parse_bases, parse_children
from oss_tracker.records import RELATIONS, ModelRecord, OrgOverview, RepoRecord
from oss_tracker.replay import REPLAY_ENDPOINT, FolderRecorder, ReplayTransport
from oss_tracker.transport import HubTransport, RetryPolicy

log = logging.getLogger("oss_tracker")

# Listing fields every kind of repo shares, then the model-only ones: every field the
# reports read. `baseModels` and `childrenModelCount` are detail-only: the listing
# answers them with HTTP 400.
COMMON_EXPAND = [
    "createdAt",
    "lastModified",
    "downloads",
    "downloadsAllTime",
    "likes",
    "trendingScore",
    "tags",
    "cardData",
]
LISTING_EXPAND = [*COMMON_EXPAND, "pipeline_tag", "library_name", "gated", "safetensors", "sha"]


@dataclass
class HubSession:
    """An HfApi wired to the tracker's transport, and that transport (for counts and pacing)."""

    api: HfApi
    transport: HubTransport
    endpoint: str
    recorder: FolderRecorder | None = None

    def close(self) -> None:
        """Stop recording and give huggingface_hub its own HTTP client back."""
        if self.recorder is not None:
            self.recorder.close()
        set_client_factory(default_client_factory)

    def __enter__(self) -> HubSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    *,
    endpoint: str | None = None,
    token: str | bool | None = None,
    replay: Path | None = None,
    record: Path | None = None,
    policy: RetryPolicy | None = None,
    timeout: float = 60.0,
    started_at: datetime | None = None,
    orgs: list[str] | None = None,
) -> HubSession:
    """Build the one HfApi the tracker uses: endpoint, token, library name, transport."""
    if replay is not None:
        endpoint = REPLAY_ENDPOINT
        inner: httpx2.BaseTransport = ReplayTransport(replay)
        token = False
    else:
        endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        inner = httpx2.HTTPTransport()
    recorder = (
        FolderRecorder(record, endpoint, started_at or datetime.now(), orgs) if record is not None else None
    )
    # A replay has no quota to protect: it reads the recorded RateLimit headers (so that it
    # budgets exactly as the recorded run did) but never waits on them.
    transport = HubTransport(
        inner, endpoint=endpoint, policy=policy, recorder=recorder, pace=replay is None, timeout=timeout
    )
    set_client_factory(
        lambda: httpx2.Client(
            transport=transport, follow_redirects=True, timeout=httpx2.Timeout(timeout, connect=15.0)
        )
    )
    api = HfApi(endpoint=endpoint, token=token, library_name="oss-tracker", library_version=__version__)
    return HubSession(api=api, transport=transport, endpoint=endpoint, recorder=recorder)


def fetch_overview(api: HfApi, org: str) -> OrgOverview:
    info = api.get_organization_overview(org)
    name = info.name if isinstance(info.name, str) and info.name.lower() == org.lower() else org
    return OrgOverview(
        name=name,
        num_models=_int(info.num_models),
        followers=_int(info.num_followers),
        num_datasets=_int(info.num_datasets),
        num_spaces=_int(info.num_spaces),
    )


def iter_org_models(api: HfApi, org: str) -> Iterator[ModelRecord]:
    """Every model of an org, each `_id` once, following every page of the listing.

    Sorted by `createdAt`, which does not move while we page (downloads and trending do,
    and the Hub's keyset cursor can then skip or repeat rows).
    """
    seen: set[str] = set()
    for item in _pages(api, "models", org, LISTING_EXPAND):
        record = _parse_item(item, ModelInfo, model_record)
        if record is None:
            log.warning("%s: skipped a listing item with no _id or id", org)
            continue
        if record.hub_id in seen:
            log.info("%s: %s listed twice; kept once", org, record.repo_id)
            continue
        seen.add(record.hub_id)
        yield record


DATASET_EXPAND = COMMON_EXPAND
SPACE_EXPAND = ["createdAt", "lastModified", "likes", "trendingScore", "tags", "cardData", "sdk"]


def iter_org_repos(api: HfApi, org: str, kind: str) -> Iterator[RepoRecord]:
    """Every dataset (kind `dataset`) or Space (`space`) of an org, each `_id` once, all pages."""
    if kind == "dataset":
        items = _pages(api, "datasets", org, DATASET_EXPAND)
        parsed = (_parse_item(item, DatasetInfo, lambda info: repo_record(info, kind)) for item in items)
    else:
        items = _pages(api, "spaces", org, SPACE_EXPAND)
        parsed = (_parse_item(item, SpaceInfo, lambda info: repo_record(info, kind)) for item in items)
    seen: set[str] = set()
    for record in parsed:
        if record is None or record.hub_id in seen:
            continue
        seen.add(record.hub_id)
        yield record


def repo_record(info: Any, kind: str) -> RepoRecord | None:
    hub_id, repo_id = getattr(info, "_id", None), getattr(info, "id", None)
    if not isinstance(hub_id, str) or not isinstance(repo_id, str):
        return None
    tags = info.tags if isinstance(info.tags, list) else []
    card = getattr(info, "card_data", None)
    license_name = (
        getattr(card, "license_name", None) if card is not None and not isinstance(card, str) else None
    )
    return RepoRecord(
        kind=kind,
        hub_id=hub_id,
        repo_id=repo_id,
        created_at=_iso(info.created_at),
        last_modified=_iso(info.last_modified),
        downloads_30d=_int(getattr(info, "downloads", None)),
        downloads_all_time=_int(getattr(info, "downloads_all_time", None)),
        likes=_int(info.likes),
        trending=_float(getattr(info, "trending_score", None)),
        license=licenses.from_hub(tags, license_name),
        sdk=_str(getattr(info, "sdk", None)),
    )


class BadPage(Exception):
    """A listing page that is JSON but not a list of repos."""


def _pages(api: HfApi, kind: str, org: str, expand: list[str]) -> Iterator[Any]:
    """The raw items of every page of an org's listing, through the client's own pagination.

    Not api.list_models(): there ModelInfo() raises on one odd item (a date it cannot parse,
    a safetensors block without "parameters") and that ends the whole listing. Here one odd
    item costs that item.
    """
    params = [("author", org), ("sort", "createdAt"), *(("expand", e) for e in expand)]
    headers = build_hf_headers(
        token=api.token, library_name=api.library_name, library_version=api.library_version,
        user_agent=api.user_agent, headers=api.headers,
    )  # fmt: skip
    for item in paginate(f"{api.endpoint}/api/{kind}", params=params, headers=headers):
        if isinstance(item, str):  # iterating an object gives its keys: the page was not a list
            raise BadPage(f"the Hub sent a {kind} listing page that is not a list")
        yield item


def _parse_item(item: Any, info_type: type, build: Any) -> Any:
    """A raw listing item through the client's parser; fields it cannot parse become unknown."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    item = {**item, "siblings": None}
    for key in ("createdAt", "lastModified"):
        if key in item and not _hub_date(item[key]):
            item.pop(key)
    for key, ok in (("safetensors", _safetensors_ok), ("transformersInfo", lambda v: isinstance(v, dict))):
        if item.get(key) and not ok(item[key]):
            item.pop(key)
    try:
        return build(info_type(**item))
    except Exception:  # noqa: BLE001 - any other shape the client rejects: skip the item, not the org
        log.debug("unparseable listing item %r", item.get("id"), exc_info=True)
        return None


def _hub_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_datetime(value)
    except ValueError:
        return False
    return True


def _safetensors_ok(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("parameters"), dict) and "total" in value


def fetch_children(api: HfApi, repo_id: str) -> ChildCounts:
    """Direct derivatives by relation, and the model's own declared bases (detail-only fields)."""
    info = api.model_info(repo_id, expand=["childrenModelCount", "baseModels"])
    total, split = parse_children(getattr(info, "children_model_count", None))
    return ChildCounts(total=total, split=split, bases=parse_bases(getattr(info, "base_models", None)))


def iter_derivatives(
    api: HfApi, base: str, relation: str | None, limit: int | None
) -> Iterator[dict[str, Any]]:
    """Repos that declare `base` as base_model (with that relation), most downloaded first, each once."""
    tag = f"base_model:{relation}:{base}" if relation else f"base_model:{base}"
    seen: set[str] = set()
    expand = ["author", "downloads", "likes", "createdAt", "tags"]
    for info in api.list_models(filter=tag, sort="downloads", expand=expand, limit=limit):
        hub_id = getattr(info, "_id", None) or info.id
        if hub_id in seen:
            continue
        seen.add(hub_id)
        tags = info.tags if isinstance(info.tags, list) else []
        rel = next((r for r in RELATIONS if f"base_model:{r}:{base}" in tags), None)
        yield {
            "id": info.id,
            "author": info.author if isinstance(info.author, str) else info.id.split("/", 1)[0],
            "relation": rel,
            "downloads_30d": _int(info.downloads),
            "likes": _int(info.likes),
            "created_at": _iso(info.created_at),
        }


def model_record(info: Any) -> ModelRecord | None:
    """Flatten a huggingface_hub ModelInfo; odd or missing values become None, never an error."""
    hub_id = getattr(info, "_id", None)
    repo_id = getattr(info, "id", None)
    if not isinstance(hub_id, str) or not isinstance(repo_id, str) or not hub_id or not repo_id:
        return None
    tags = info.tags if isinstance(info.tags, list) else []
    card = info.card_data
    license_name = (
        getattr(card, "license_name", None) if card is not None and not isinstance(card, str) else None
    )
    base, relation = base_from_tags(tags)
    return ModelRecord(
        hub_id=hub_id,
        repo_id=repo_id,
        created_at=_iso(info.created_at),
        last_modified=_iso(info.last_modified),
        downloads_30d=_int(info.downloads),
        downloads_all_time=_int(info.downloads_all_time),
        likes=_int(info.likes),
        trending=_float(info.trending_score),
        license=licenses.from_hub(tags, license_name),
        pipeline_tag=_str(info.pipeline_tag),
        library_name=_str(info.library_name),
        parameters=_int(getattr(info.safetensors, "total", None)),
        gated=_gated(info.gated),
        base_model=base,
        base_relation=relation,
        sha=_str(info.sha),
    )


def base_from_tags(tags: list[Any]) -> tuple[str | None, str | None]:
    """The declared base and relation from `base_model:RELATION:ID` (or bare `base_model:ID`) tags."""
    bare = None
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation, sep, base = rest.partition(":")
        if sep and relation in RELATIONS and base:
            return base, relation
        if not sep and bare is None:
            bare = rest
    return bare, None


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _gated(value: Any) -> str | None:
    if value is False:
        return "false"
    if value is True:
        return "true"
    return value if isinstance(value, str) else None
