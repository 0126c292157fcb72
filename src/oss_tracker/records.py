"""Plain records that flow from hub/ to store/: no HTTP, no SQL."""

from __future__ import annotations

from dataclasses import dataclass

from oss_tracker import licenses

RELATIONS = ("finetune", "quantized", "adapter", "merge")
# The endpoint a replayed run is stored with (`runs.endpoint`): reports label such data as demo data.
REPLAY_ENDPOINT = "http://replay.invalid"


@dataclass(slots=True)
class ModelRecord:
    """One model as listed by the Hub, flattened to what the tracker stores."""

    hub_id: str
    repo_id: str
    created_at: str | None
    last_modified: str | None
    downloads_30d: int | None
    downloads_all_time: int | None
    likes: int | None
    trending: float | None
    license: licenses.License
    pipeline_tag: str | None
    library_name: str | None
    parameters: int | None
    gated: str | None
    base_model: str | None
    base_relation: str | None
    sha: str | None
    odd: int = 0  # values the Hub sent that were out of range or unreadable: stored as unknown
    # A backfilled row whose descriptive columns (tags, pipeline...) were not read (its model is
    # stored and unchanged since): its licence is None and only its counts and dates are known.
    described: bool = True


@dataclass(frozen=True)
class OrgOverview:
    name: str
    num_models: int | None
    followers: int | None
    num_datasets: int | None = None
    num_spaces: int | None = None
    odd: int = 0  # counts the Hub sent that were out of range or unreadable: stored as unknown


KINDS = ("dataset", "space")


@dataclass(slots=True)
class RepoRecord:
    """A dataset or a Space as listed by the Hub (Spaces have no download counts)."""

    kind: str  # dataset | space
    hub_id: str
    repo_id: str
    created_at: str | None
    last_modified: str | None
    downloads_30d: int | None
    downloads_all_time: int | None
    likes: int | None
    trending: float | None
    license: licenses.License
    sdk: str | None
    odd: int = 0  # as ModelRecord.odd


@dataclass(frozen=True)
class ChildCounts:
    """What the Hub said: a split per relation (dict form) or only a total (int form); a total of
    None is an answer that could not be read (the model's stored count then stands)."""

    total: int | None
    split: dict[str, int] | None
    bases: list[tuple[str, str | None, str | None]]  # (repo id, hub _id, relation)


# -- families (issue 16): every descendant of a watched model, from an archived day ------------
@dataclass(frozen=True, slots=True)
class FamilyRoot:
    """A watched model whose family is walked: its repo id now first, then its former names
    (bases declared under an old name count for it: the archive knows repos by id only)."""

    model_id: int
    names: tuple[str, ...]
    account: str


@dataclass(slots=True)
class Descendant:
    """One of a family's most downloaded descendants."""

    repo_id: str
    depth: int  # 1: declares the model itself as its base
    relation: str | None  # of the declaration it was reached by (None: not said)
    downloads_30d: int | None
    downloads_all_time: int | None


@dataclass(slots=True)
class FamilyRecord:
    """A watched model's family on one archived day. Downloads are sums over repos (a repo whose
    count is unreadable adds nothing); `period_*` are all-time differences since the day before
    (None: no day before to compare with)."""

    model_id: int
    descendants: int
    direct: dict[str, int]  # depth 1, by relation ("" = not said)
    depth2: int
    depth3: int
    deeper: int  # depth 4 and more
    max_depth: int
    merges: int  # descendants declaring several bases of the family: each counted once
    cycles: int  # declared cycles met (and broken) in the family
    accounts: int  # distinct accounts publishing descendants
    company: int  # descendants published by the model's own company (the watch list's)
    own_30d: int | None
    company_30d: int | None
    community_30d: int | None
    period_own: int | None = None
    period_company: int | None = None
    period_community: int | None = None
    drops: int = 0  # repos whose all-time count went down over the period (counted as they are)
    top: list[Descendant] | None = None
    top_accounts: list[tuple[str, int, int | None]] | None = None  # (account, repos, 30-day downloads)


@dataclass(slots=True)
class OwnerRecord:
    """An account (`org`) or a company of the watch list on one archived day: its own models'
    downloads beside the downloads of the repos built on them (each repo once)."""

    kind: str  # org | company
    name: str
    accounts: list[str]
    models: int  # its own repos in the day's file
    own_30d: int | None
    own_all_time: int | None
    company: int  # (an org) repos built on it by its company's other accounts
    company_30d: int | None
    company_all_time: int | None
    community: int  # repos built on it by anyone outside its company
    community_30d: int | None
    community_all_time: int | None
    period_own: int | None = None
    period_company: int | None = None
    period_community: int | None = None
