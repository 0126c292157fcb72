"""Self-test of the fake Hub, driven by the real huggingface_hub client (no mocks)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import parse_ratelimit_headers

from tests.fakehub import FakeHub

N_MODELS = 2345
BASE_TS = 1_700_000_000


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def make_world() -> dict[str, Any]:
    models: list[dict[str, Any]] = []
    for i in range(N_MODELS):
        ts = BASE_TS + i * 3600
        models.append(
            {
                "_id": f"{ts:08x}{i:016x}",
                "id": f"BigOrg/model-{i:04d}",
                "author": "BigOrg",
                "createdAt": _iso(ts),
                "lastModified": _iso(ts + 60),
                "downloads": (i * 7919) % 1000,
                "downloadsAllTime": i * 10,
                "likes": i % 13,
                "trendingScore": i % 5,  # many ties: exercises the _id tie-break
                "private": False,
                "gated": False,
                "tags": ["transformers", "safetensors", "text-generation", "license:apache-2.0"],
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "sha": f"{i:040x}",
            }
        )
    models[0]["childrenModelCount"] = {"finetune": 3, "quantized": 2}  # stored dict, served verbatim
    models[1]["childrenModelCount"] = 7  # stored int, served verbatim
    base = "BigOrg/model-0002"  # children computed from community tags
    for j, relation in enumerate(["finetune", "finetune", "quantized"]):
        ts = BASE_TS + 10_000_000 + j
        models.append(
            {
                "_id": f"{ts:08x}{j:016x}",
                "id": f"community/derived-{j}",
                "author": "community",
                "createdAt": _iso(ts),
                "downloads": 1,
                "likes": 0,
                "tags": ["transformers", f"base_model:{base}", f"base_model:{relation}:{base}"],
            }
        )
    return {
        "orgs": {"BigOrg": {"fullname": "Big Org", "numFollowers": 42}},
        "models": models,
        "renames": {"BigOrg/old-name": "BigOrg/model-0004"},
    }


WORLD = make_world()


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with FakeHub(WORLD) as fake:
        # The client fetches {ENDPOINT}/api/agent-harnesses (best effort): keep it off the internet.
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        yield fake


@pytest.fixture
def api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


def api_statuses(hub: FakeHub) -> list[int]:
    return [r["status"] for r in hub.requests if r["path"] != "/api/agent-harnesses"]


def test_listing_whole_org_in_three_pages(hub: FakeHub, api: HfApi) -> None:
    models = list(api.list_models(author="BigOrg", expand=["createdAt", "downloadsAllTime"]))
    ids = [m.id for m in models]
    assert len(ids) == N_MODELS
    assert len(set(ids)) == N_MODELS
    assert set(ids) == {f"BigOrg/model-{i:04d}" for i in range(N_MODELS)}
    assert hub.count("/api/models") == 3
    assert api_statuses(hub) == [200, 200, 200]
    by_id = {m.id: m for m in models}
    assert by_id["BigOrg/model-0010"].downloads_all_time == 100
    assert by_id["BigOrg/model-0010"].created_at is not None
    assert by_id["BigOrg/model-0010"].likes is None  # not expanded -> not sent
    # Pages 2 and 3 came from the Link header: same params + sort=trendingScore + cursor.
    listing = [r for r in hub.requests if r["path"] == "/api/models"]
    assert "cursor" not in dict(listing[0]["query"])
    for req in listing[1:]:
        query = req["query"]
        assert ("author", "BigOrg") in query
        assert [v for k, v in query if k == "expand"] == ["createdAt", "downloadsAllTime"]
        assert ("sort", "trendingScore") in query
        assert "cursor" in dict(query)


def test_link_header_cursor_shape(hub: FakeHub) -> None:
    r = httpx2.get(f"{hub.url}/api/models", params={"author": "BigOrg", "sort": "likes", "limit": 5})
    assert r.status_code == 200
    assert len(r.json()) == 5
    assert list(r.json()[0]) == [
        "_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
        "pipeline_tag", "library_name", "createdAt", "modelId",
    ]  # fmt: skip
    next_url = r.links["next"]["url"]
    assert next_url.startswith(f"{hub.url}/api/models?author=BigOrg&sort=likes&limit=5&cursor=")
    cursor = dict(parse_qsl(urlsplit(next_url).query))["cursor"]
    condition = json.loads(base64.b64decode(cursor))
    last = r.json()[-1]
    assert condition == {
        "$or": [{"likes": last["likes"], "_id": {"$gt": last["_id"]}}, {"likes": {"$lt": last["likes"]}}]
    }
    assert httpx2.get(f"{hub.url}/api/models", params={"cursor": "not base64!"}).status_code == 400
    assert httpx2.get(f"{hub.url}/api/models", params={"sort": "trending"}).status_code == 400


def test_listing_rejects_detail_only_expand(api: HfApi) -> None:
    with pytest.raises(BadRequestError) as info:
        list(api.list_models(author="BigOrg", expand=["childrenModelCount"]))
    assert info.value.response.status_code == 400


def test_model_info_children_model_count(api: HfApi) -> None:
    def children(repo_id: str) -> Any:
        return api.model_info(repo_id, expand=["childrenModelCount"]).children_model_count

    assert children("BigOrg/model-0000") == {"finetune": 3, "quantized": 2}
    assert children("BigOrg/model-0001") == 7
    assert children("BigOrg/model-0002") == {"finetune": 2, "quantized": 1}
    assert children("BigOrg/model-0003") == 0


def test_model_info_follows_rename(hub: FakeHub, api: HfApi) -> None:
    info = api.model_info("BigOrg/old-name")
    assert info.id == "BigOrg/model-0004"
    assert info._id == WORLD["models"][4]["_id"]
    assert api_statuses(hub) == [307, 200]


def test_unknown_repo_raises_repository_not_found(api: HfApi) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("BigOrg/does-not-exist")


def test_organization_overview(api: HfApi) -> None:
    overview = api.get_organization_overview("BigOrg")
    assert overview.num_models == N_MODELS
    assert overview.num_followers == 42
    assert overview.fullname == "Big Org"
    with pytest.raises(HfHubHTTPError) as info:
        api.get_organization_overview("NoSuchOrg")
    assert info.value.response.status_code == 404


def test_ratelimit_headers_parse(hub: FakeHub) -> None:
    r = httpx2.get(f"{hub.url}/api/models/BigOrg/model-0000")
    info = parse_ratelimit_headers(r.headers)
    assert info is not None
    assert (info.resource_type, info.remaining) == ("api", 99_999)
    assert (info.limit, info.window_seconds) == (100_000, 300)
    assert 1 <= info.reset_in_seconds <= 300


def test_quota_of_three_gives_429_on_fourth_request() -> None:
    with FakeHub(WORLD, quota=3) as small:
        url = f"{small.url}/api/organizations/BigOrg/overview"
        responses = [httpx2.get(url) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    remaining = [parse_ratelimit_headers(r.headers).remaining for r in responses]  # type: ignore[union-attr]
    assert remaining == [2, 1, 0, 0]
    assert int(responses[3].headers["Retry-After"]) >= 1
    assert "error" in responses[3].json()


def test_faults(hub: FakeHub) -> None:
    url = f"{hub.url}/api/models"
    hub.add_fault("status", match="author=BigOrg", status=503)
    assert httpx2.get(url, params={"author": "BigOrg", "limit": 1}).status_code == 503
    assert httpx2.get(url, params={"author": "BigOrg", "limit": 1}).status_code == 200

    hub.add_fault("status", status=429, reset=7)
    r = httpx2.get(url, params={"limit": 1})
    assert (r.status_code, r.headers["ratelimit"], r.headers["retry-after"]) == (429, '"api";r=0;t=7', "7")

    hub.add_fault("truncate")
    with pytest.raises(httpx2.RemoteProtocolError):
        httpx2.get(url, params={"limit": 3})

    hub.add_fault("drop")
    with pytest.raises(httpx2.TransportError):
        httpx2.get(url, params={"limit": 3})
    assert hub.requests[-1]["status"] == 0

    hub.add_fault("badjson")
    r = httpx2.get(url)
    assert (r.status_code, r.text) == (200, "<html>oops")

    hub.add_fault("repeat_page", match="sort=likes")
    r = httpx2.get(url, params={"sort": "likes", "limit": 2})
    assert r.links["next"]["url"] == str(r.url)

    hub.add_fault("mutate", match="model-0005", fn=lambda payload: payload.update(likes="many"))
    assert httpx2.get(f"{url}/BigOrg/model-0005").json()["likes"] == "many"
    assert httpx2.get(f"{url}/BigOrg/model-0005").json()["likes"] == 5

    hub.add_fault("delay", seconds=0.2)
    start = time.monotonic()
    assert httpx2.get(f"{url}/BigOrg/model-0005").status_code == 200
    assert time.monotonic() - start >= 0.2

    hub.add_fault("status", status=500, times=5)
    hub.clear_faults()
    assert httpx2.get(f"{url}/BigOrg/model-0005").status_code == 200


def test_set_world_swaps_state(hub: FakeHub, api: HfApi) -> None:
    hub.set_world({"models": [{"_id": "a" * 24, "id": "Tiny/one", "author": "Tiny"}]})
    assert [m.id for m in api.list_models(author="Tiny")] == ["Tiny/one"]
    assert list(api.list_models(author="BigOrg")) == []
    assert api.get_organization_overview("Tiny").num_models == 1
