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
    # What the listing's `expand` says the release is (None: not sent, or no such value).
    architecture: str | None = None  # config.architectures[0], else gguf.architecture
    model_type: str | None = None  # config.model_type
    context_length: int | None = None  # gguf.context_length, else config.max_position_embeddings
    providers: str | None = None  # inferenceProviderMapping as JSON {provider: status}; "{}" for none
    papers: str | None = None  # the `arxiv:` tags as a JSON list of arXiv ids


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
