"""Fetching from the Hub through huggingface_hub: plain records out, no SQLite, no printing."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx2
from huggingface_hub import constants
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status, set_client_factory

# huggingface_hub's own client factory, to hand back after a run: the one private name the
# tracker uses. `set_client_factory` is public but has no getter, and the default factory (with
# its request hook: offline mode, request ids) is not exported. tests/test_sync.py checks that
# this is the library's own; a version without it fails that test rather than hand back a
# client that behaves differently.
from huggingface_hub.utils._http import default_client_factory

if TYPE_CHECKING:
    from huggingface_hub import HfApi

from oss_tracker import __version__
from oss_tracker.hub.parse import (
    Unusable,
    date_ceiling,
    model_record,
    parse_bases,
    parse_children,
    repo_record,
    same_name,
)
from oss_tracker.hub.replay import REPLAY_ENDPOINT, FolderRecorder, ReplayTransport
from oss_tracker.hub.transport import HubTransport, RetryPolicy, http_transport, public_endpoint
from oss_tracker.records import RELATIONS, ChildCounts, ModelRecord, OrgOverview, RepoRecord
from oss_tracker.values import count, json_int, unset

log = logging.getLogger("oss_tracker")

# Listing fields every kind of repo shares, then the model-only ones: every field the
# reports read. `baseModels` and `childrenModelCount` are detail-only: the listing
# answers them with HTTP 400. `config`, `gguf` and `inferenceProviderMapping` (what the release
# is: architecture, context length, the providers serving it) are in huggingface_hub 2.x's
# ExpandModelProperty_T: accepted on the listing, no request more.
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
LISTING_EXPAND = [
    *COMMON_EXPAND, "pipeline_tag", "library_name", "gated", "safetensors", "sha", "config", "gguf",
    "inferenceProviderMapping",
]  # fmt: skip


class LazyApi:
    """HfApi's settings at once, HfApi itself when a call needs one (model_info, list_models).

    Listings and overviews are read with the settings alone (the endpoint, and the headers the
    token and library name make); importing huggingface_hub.hf_api costs ~50 ms, which a sync
    without derivative counts then never pays.
    """

    def __init__(
        self, *, endpoint: str, token: str | bool | None, library_name: str, library_version: str
    ) -> None:
        self.endpoint = endpoint
        self.token = token
        self.library_name = library_name
        self.library_version = library_version
        self.user_agent = None
        self.headers = None
        self._api: HfApi | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:  # derivative workers ask at once: one HfApi
            if self._api is None:
                from huggingface_hub import HfApi

                self._api = HfApi(
                    endpoint=self.endpoint, token=self.token, library_name=self.library_name,
                    library_version=self.library_version,
                )  # fmt: skip
        return getattr(self._api, name)


@dataclass
class HubSession:
    """An HfApi wired to the tracker's transport, and that transport (for counts and pacing)."""

    api: LazyApi  # an HfApi, made when first needed
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
    backend = None
    if replay is not None:
        endpoint = REPLAY_ENDPOINT
        inner: httpx2.BaseTransport = ReplayTransport(replay)
        token = False
    else:
        endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        inner, backend = http_transport()
    # What is stored (runs.endpoint), recorded and shown: never a `user:password@`.
    shown = public_endpoint(endpoint)
    recorder = (
        FolderRecorder(record, shown, started_at or datetime.now(), orgs) if record is not None else None
    )
    # A replay has no quota to protect: it reads the recorded RateLimit headers (so that it
    # budgets exactly as the recorded run did) but never waits on them.
    transport = HubTransport(
        inner,
        endpoint=endpoint,
        policy=policy,
        recorder=recorder,
        pace=replay is None,
        timeout=timeout,
        backend=backend,
    )
    set_client_factory(
        lambda: httpx2.Client(
            transport=transport, follow_redirects=True, timeout=httpx2.Timeout(timeout, connect=15.0)
        )
    )
    # The public endpoint: request URLs (and so every error message and traceback that quotes
    # one) never hold the `user:password@`, which the transport sends as a header instead.
    api = LazyApi(endpoint=shown, token=token, library_name="oss-tracker", library_version=__version__)
    return HubSession(api=api, transport=transport, endpoint=shown, recorder=recorder)


def fetch_overview(api: HfApi, org: str) -> OrgOverview:
    """The org's overview: its counts (unknown where odd) and the Hub's spelling of its name.

    Read here rather than through HfApi.get_organization_overview, which puts the name into
    the URL path as it is and raises TypeError on an answer without `avatarUrl`.
    """
    info = _get_json(f"{api.endpoint}/api/organizations/{_path_part(org)}/overview", None, _headers(api))[0]
    if type(info) is not dict:
        raise BadPage("the Hub sent an organization overview that is not a JSON object")
    name = info.get("name")
    if not (type(name) is str and same_name(name, org)):
        name = org
    raw = [info.get(k) for k in ("numModels", "numFollowers", "numDatasets", "numSpaces")]
    counts = [count(v) for v in raw]
    return OrgOverview(
        name=name,
        num_models=counts[0],
        followers=counts[1],
        num_datasets=counts[2],
        num_spaces=counts[3],
        odd=sum(1 for v, c in zip(raw, counts, strict=True) if c is None and not unset(v)),
    )


def _path_part(name: str) -> str:
    """A name as one URL path segment: `/`, `?`, `#` and `%` encoded, and `.`/`..` too (a
    client would resolve them as dot segments). Names are validated before, this is the backstop."""
    part = quote(name, safe="")
    return part.replace(".", "%2E") if part in (".", "..") else part


@dataclass
class Tally:
    """What one listing left out or made unknown, for the run's summary and the count check."""

    odd: int = 0  # values stored as unknown (out of range, wrong type, bad date or text)
    skipped: int = 0  # items that cannot be stored: not an object, no usable _id or id
    # `_id`s of items of another account (their id names another namespace): each once, however
    # often the listing repeats it; the writer decides which may stand for a model transferred out.
    foreign_ids: set[str] = field(default_factory=set)

    @property
    def foreign(self) -> int:
        return len(self.foreign_ids)


class ListingOverrun(Exception):
    """A listing that ran well past its overview's count, or past its page limit."""


# The most pages a listing may bring, count or not: 200,000 repos at the Hub's 1,000 a page, ten
# times the largest org seen (~20,000 models). An endless next-page cursor would otherwise be
# followed for ever (and keep the sync lock: every later cron sync would exit busy).
MAX_PAGES = 200
# Pages allowed beyond those the count needs at the listing's own page size (its first page's).
PAGE_SLACK = 5
# Log lines for skipped items per listing: the count goes to the summary either way.
MAX_SKIP_WARNINGS = 10


def overrun_limit(expected: int | None) -> int | None:
    """Items a listing may bring before it counts as running away: the overview's count plus
    room for repos created while the sync pages (1 %, at least 10)."""
    if expected is None:
        return None
    return expected + max(10, expected // 100)


def iter_org_models(
    api: HfApi,
    org: str,
    *,
    expected: int | None = None,
    tally: Tally | None = None,
    now: datetime | None = None,
) -> Iterator[ModelRecord]:
    """Every model of an org, each `_id` once, following every page of the listing.

    Sorted by `createdAt`, which does not move while we page (downloads and trending do,
    and the Hub's keyset cursor can then skip or repeat rows). Items that cannot be stored,
    and items of another account, are left out and counted in `tally`.
    """
    tally = tally if tally is not None else Tally()
    ceiling = date_ceiling(now)
    seen: set[str] = set()
    for item in _pages(api, "models", org, LISTING_EXPAND, expected):
        try:
            record = model_record(item, ceiling)
        except Unusable as why:
            _skipped(org, "models", why, tally)
            continue
        if not _own(record.repo_id, item, org):
            tally.foreign_ids.add(record.hub_id)
            log.info("%s: %s is another account's model: left out", org, record.repo_id)
            continue
        if record.hub_id in seen:
            log.info("%s: %s listed twice; kept once", org, record.repo_id)
            continue
        seen.add(record.hub_id)
        tally.odd += record.odd
        yield record


DATASET_EXPAND = COMMON_EXPAND
SPACE_EXPAND = ["createdAt", "lastModified", "likes", "trendingScore", "tags", "cardData", "sdk"]


def iter_org_repos(
    api: HfApi,
    org: str,
    kind: str,
    *,
    expected: int | None = None,
    tally: Tally | None = None,
    now: datetime | None = None,
) -> Iterator[RepoRecord]:
    """Every dataset (kind `dataset`) or Space (`space`) of an org, each `_id` once, all pages."""
    tally = tally if tally is not None else Tally()
    ceiling = date_ceiling(now)
    path, expand = ("datasets", DATASET_EXPAND) if kind == "dataset" else ("spaces", SPACE_EXPAND)
    seen: set[str] = set()
    for item in _pages(api, path, org, expand, expected):
        try:
            record = repo_record(item, kind, ceiling)
        except Unusable as why:
            _skipped(org, path, why, tally)
            continue
        if not _own(record.repo_id, item, org):
            tally.foreign_ids.add(record.hub_id)
            log.info("%s: %s is another account's %s: left out", org, record.repo_id, kind)
            continue
        if record.hub_id in seen:
            continue
        seen.add(record.hub_id)
        tally.odd += record.odd
        yield record


def _skipped(org: str, kind: str, why: Unusable, tally: Tally) -> None:
    tally.skipped += 1
    if tally.skipped <= MAX_SKIP_WARNINGS:
        log.warning("%s: skipped a listing item %s", org, why)
    if tally.skipped == MAX_SKIP_WARNINGS:
        log.warning("%s: further skipped %s items are counted, not logged", org, kind)


def _own(repo_id: str, item: dict[str, Any], org: str) -> bool:
    """Whether an item is the listed org's: its id's namespace (and its `author`, when sent) is the org."""
    namespace, sep, _ = repo_id.partition("/")
    if not (sep and same_name(namespace, org)):
        return False
    author = item.get("author")
    return type(author) is not str or same_name(author, org)


class BadPage(Exception):
    """A Hub answer that is readable but not what was asked for (a page that is not a list...)."""


def _headers(api: HfApi) -> dict[str, str]:
    return build_hf_headers(
        token=api.token, library_name=api.library_name, library_version=api.library_version,
        user_agent=api.user_agent, headers=api.headers,
    )  # fmt: skip


def _get_json(url: str, params: Any, headers: dict[str, str]) -> tuple[Any, str | None]:
    """One GET: the parsed body and the next-page link, if any."""
    response = get_session().get(url, params=params, headers=headers)
    hf_raise_for_status(response)
    return _json(response.content), response.links.get("next", {}).get("url")


def _json(content: bytes) -> Any:
    """A Hub answer's JSON; what no JSON reader can take is a BadPage, never a traceback."""
    try:
        try:
            return json.loads(content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise
        except ValueError:
            # An integer of more than 4,300 digits, which Python refuses to build: read again
            # with such numbers as out of range (the slower way, only for such a page).
            return json.loads(content, parse_int=json_int)
    except UnicodeDecodeError:
        raise BadPage("the Hub sent a page that is not UTF-8 text") from None
    except RecursionError:
        raise BadPage("the Hub sent a page nested too deeply to read") from None


def _pages(api: HfApi, kind: str, org: str, expand: list[str], expected: int | None) -> Iterator[Any]:
    """The raw items of every page of an org's listing, following the `Link` header.

    Page by page, so that a listing running away stops at once, before its next page is asked
    for: far past its overview's count, past the pages that count needs (at the page size of its
    first page, plus PAGE_SLACK) or past MAX_PAGES, or an empty page that links to yet another
    (a listing that brings nothing never runs past a count of items).
    """
    url: str | None = f"{api.endpoint}/api/{kind}"
    params: Any = [("author", org), ("sort", "createdAt"), *(("expand", e) for e in expand)]
    headers = _headers(api)
    limit = overrun_limit(expected)
    max_pages = MAX_PAGES
    received = pages = 0
    while url is not None:
        page, url = _get_json(url, params, headers)
        params = None  # the next link carries every parameter
        if type(page) is not list:
            raise BadPage(f"the Hub sent a {kind} listing page that is not a list")
        pages += 1
        received += len(page)
        if limit is not None and received > limit:
            raise ListingOverrun(
                f"the {kind} listing ran past the Hub's count of {expected:,} "
                f"({received:,} items in {pages} page(s)): stopped, not stored"
            )
        if url is not None and not page:
            raise ListingOverrun(
                f"the {kind} listing sent an empty page that links to another (page {pages}): stopped, not stored"
            )
        if pages == 1 and limit is not None and url is not None:
            max_pages = min(MAX_PAGES, -(-limit // len(page)) + PAGE_SLACK)
        if url is not None and pages >= max_pages:
            counted = (
                "with no count to check it against" if expected is None else f"for a count of {expected:,}"
            )
            raise ListingOverrun(
                f"the {kind} listing went on past {max_pages} pages {counted}: stopped, not stored"
            )
        yield from page


# A model's detail (its derivative counts) and the derivatives' listing: tests/test_expand.py
# checks every name of these and of the listings' against huggingface_hub's Expand*Property_T.
CHILDREN_EXPAND = ["childrenModelCount", "baseModels"]
DERIVATIVES_EXPAND = ["author", "downloads", "likes", "createdAt", "tags"]


def fetch_children(api: HfApi, repo_id: str) -> ChildCounts:
    """Direct derivatives by relation, and the model's own declared bases (detail-only fields)."""
    info = api.model_info(repo_id, expand=CHILDREN_EXPAND)
    children = parse_children(getattr(info, "children_model_count", None))
    if children is None:
        return ChildCounts(total=None, split=None, bases=[])
    total, split = children
    return ChildCounts(total=total, split=split, bases=parse_bases(getattr(info, "base_models", None)))


def iter_derivatives(
    api: HfApi, base: str, relation: str | None, limit: int | None
) -> Iterator[dict[str, Any]]:
    """Repos that declare `base` as base_model (with that relation), most downloaded first, each
    `_id` once, at most `limit` (None: all).

    Read page by page from the listing's JSON (as the org listings are), not through
    `list_models`: its ModelInfo keeps the `_id` only as a private attribute."""
    tag = f"base_model:{relation}:{base}" if relation else f"base_model:{base}"
    params: dict[str, Any] | None = {
        "filter": tag, "sort": "downloads", "expand": DERIVATIVES_EXPAND,
        **({"limit": limit} if limit else {}),
    }  # fmt: skip
    ceiling = date_ceiling(None)
    seen: set[str] = set()
    url: str | None = f"{api.endpoint}/api/models"
    while url:
        page, url = _get_json(url, params, _headers(api))
        params = None  # the next page's link carries them
        if type(page) is not list:
            raise BadPage("the Hub sent a listing page that is not a list")
        if not page:
            return
        for item in page:
            try:
                record = repo_record(item, "model", ceiling)
            except Unusable:
                continue
            if record.hub_id in seen:
                continue
            seen.add(record.hub_id)
            tags = item.get("tags")
            tags = tags if type(tags) is list else []
            author = item.get("author")
            yield {
                "id": record.repo_id,
                "author": author if type(author) is str else record.repo_id.split("/", 1)[0],
                "relation": next((r for r in RELATIONS if f"base_model:{r}:{base}" in tags), None),
                "downloads_30d": record.downloads_30d,
                "likes": record.likes,
                "created_at": record.created_at,
            }
            if limit and len(seen) >= limit:
                return
