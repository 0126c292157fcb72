"""Families from one archived day: every repo that declares a watched model as its base, directly
or through other repos, to any depth, and the downloads of each part of the family.

**Reading.** A family needs, for every row of the day's file (3 M rows), its id, its declared
bases and its downloads: only those columns are read, a row group at a time, through the file
object backfill reads (range requests, counted): `id`, `downloads`, `downloadsAllTime`, and the
bases from `baseModels` (a struct: `relation` and a list of `{id}`) where the revision has a
usable one, else from `tags` (`base_model:<id>`, `base_model:<relation>:<id>`). Detected per
revision: a `baseModels` column of another shape, or whose every id is null by the footer's
statistics, is not used (`tags` is, said in a note).

**The graph, in columns** (pyarrow only, no pandas; pyarrow imports numpy where it is installed, docs/benchmarks.md). Declared
base ids are lower-cased in ASCII (repo ids are case-insensitive) and dictionary-encoded: an edge
is (base code, child row, relation code, and the code of the child's own id when some repo
declares it: only declaring rows need one, not the 3 M rows). A repo declaring itself is dropped
(counted). From the watched models' codes a level-by-level `is_in` over the edges finds
everything reachable; only that part (a few per cent of the Hub) becomes Python lists, walked
once per watched model breadth first (a repo's depth is its shortest path), and once per
account and company (each repo once). docs/benchmarks.md ("Families") has the time and memory
on 3 M rows, and what each of these choices saved.

**Cycles and merges.** A repo already reached is never walked again, so a declared cycle (A on
B, B on A) ends there; cycles are counted from the strongly connected components of the reached
part. A repo with several declared bases in a family is counted once, and counted as a merge
(a base in its own cycle does not make it one).

Imports pyarrow (the `archive` extra) and nothing of SQLite.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from oss_tracker.hub.archive_table import (
    ALL_TIME_FROM,
    Unreadable,
    _short,
    all_time_verdict,
    check_chunks,
    open_parquet,
)
from oss_tracker.records import RELATIONS
from oss_tracker.values import MAX_COUNT, text


# -- what a day's families are (stored by store/families.py, which reads them by attribute) ---------
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


RELATION_NAMES: tuple[str | None, ...] = (None, *RELATIONS)  # relation codes: 0 not said
MAX_ID = 300  # a declared base longer than this is no repo id (a 96-character name and its namespace)
TOP = 20  # descendants kept per family and day
TOP_ACCOUNTS = 10  # publishing accounts kept per family and day
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower(repo_id: str) -> str:
    """A repo id as matched: lower case in ASCII only (pyarrow's `ascii_lower`, the Hub's rule)."""
    return repo_id.translate(_ASCII_LOWER)


def namespace(repo_id: str) -> str:
    """The account of a repo id, lower case ("" for the Hub's old ids without one, e.g. `gpt2`)."""
    head, sep, _ = repo_id.partition("/")
    return lower(head) if sep else ""


@contextmanager
def system_memory() -> Iterator[None]:
    """pyarrow allocating with the C library's malloc while a day's families are built: its default
    allocator (mimalloc) keeps what is freed for later, ~130 MB more at the peak on 3 M rows; malloc
    gives large blocks back at once. Buffers made meanwhile keep their allocator afterwards."""
    import pyarrow as pa

    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


class Counts:
    """Every row's id and all-time count on a day, kept for a later day's period downloads (the
    repos present in both files, by id ignoring case). Spilled to a temporary Parquet file, not
    kept in memory: 3 M ids are ~150 MB, which the next day's graph needs (docs/benchmarks.md)."""

    def __init__(self, ids: list[Any], all_time: list[Any]) -> None:
        import tempfile

        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        self._folder = tempfile.TemporaryDirectory(prefix="oss-tracker-counts-")  # removed with this object
        self.path = f"{self._folder.name}/counts.parquet"
        schema = pa.schema([("id", pa.string()), ("all_time", pa.int64())])
        with pq.ParquetWriter(self.path, schema, compression="snappy") as writer:
            for chunk, counts in zip(ids, all_time, strict=True):
                writer.write_table(pa.table({"id": pc.ascii_lower(chunk), "all_time": counts}, schema=schema))

    def lookup(self, wanted: list[str]) -> dict[str, int]:
        """All-time counts of these (lower-case) repo ids, for those the day has a count of."""
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        return _lookup(
            ((t.column("id").combine_chunks(), t.column("all_time").combine_chunks())
             for t in (pf.read_row_group(g) for g in range(pf.num_row_groups))),
            wanted,
            lowered=True,
        )  # fmt: skip


def _lookup(groups: Any, wanted: list[str], *, lowered: bool = False) -> dict[str, int]:
    """All-time counts of the `wanted` (lower-case) ids among (ids, counts) row groups."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, int] = {}
    value_set = pa.array(wanted, pa.string())
    for ids, counts in groups:
        if not wanted:
            continue
        pos = pc.index_in(ids if lowered else pc.ascii_lower(ids), value_set=value_set)
        hit = pc.indices_nonzero(pc.is_valid(pos))
        if len(hit):
            for p, v in zip(pos.take(hit).to_pylist(), counts.take(hit).to_pylist(), strict=True):
                if v is not None:
                    out.setdefault(wanted[p], v)
    return out


@dataclass
class Graph:
    """One day's declared bases in columns, and every row's id and counts."""

    rows: int
    ids: list[Any]  # string arrays, a row group each
    d30: list[Any] | None  # int64 arrays (null: unreadable); None: no usable `downloads` column
    all_time: list[Any] | None  # same for `downloadsAllTime`
    edge_code: Any  # int32: the declared base
    edge_child: Any  # int32: the declaring row
    edge_rel: Any  # int8: relation code (RELATION_NAMES)
    child_code: (
        Any  # int32: the declaring row's own id's code among the declared bases (null: none declares it)
    )
    bases: Any  # string array: the declared base ids, lower case (the codes' dictionary)
    bases_from: str  # baseModels | tags
    with_bases: int  # rows declaring at least one base
    self_references: int  # declarations of a repo as its own base (dropped)
    notes: list[str] = field(default_factory=list)
    bytes_read: int = 0  # what reading it fetched (set by its reader's caller)

    def counts(self) -> Counts | None:
        return Counts(self.ids, self.all_time) if self.all_time is not None else None


# -- reading ---------------------------------------------------------------------------------
def read_graph(source: Any, *, day: str | None = None) -> Graph:
    """The day's declared bases and counts, from a Parquet file (a seekable file object). `day`: the
    archived day, whose all-time counts are checked when it is from before the column existed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pf = open_parquet(source)
    schema = pf.schema_arrow
    bases_from, notes = _bases_column(pf)
    counts = [
        c for c in ("downloads", "downloadsAllTime") if c in schema.names and _numeric(schema.field(c).type)
    ]
    notes += [
        f"no usable `{c}` column: unknown that day"
        for c in ("downloads", "downloadsAllTime")
        if c not in counts
    ]
    columns = ["id", *counts, bases_from]
    check_chunks(pf, columns, source.seek(0, 2))
    ids, d30, all_time, children, bases, relations, names = [], [], [], [], [], [], []
    pool = pa.default_memory_pool()
    offset = with_bases = 0
    tags = bases_from == "tags"
    try:
        for group in range(pf.num_row_groups):
            table = pf.read_row_group(group, columns=columns)
            ids.append(table.column("id").combine_chunks().cast(pa.string()))
            if "downloads" in counts:
                d30.append(_counts(table.column("downloads").combine_chunks()))
            if "downloadsAllTime" in counts:
                all_time.append(_counts(table.column("downloadsAllTime").combine_chunks()))
            column = table.column(bases_from).combine_chunks()
            child, base, rel = _from_tags(column) if tags else _from_base_models(column)
            with_bases += _distinct_sorted(child if not tags else child.sort())
            # The declaring rows' own ids, taken here a row group at a time (less memory).
            names.append(pc.ascii_lower(ids[-1].take(child)))
            children.append(pc.add(child.cast(pa.int64()), offset).cast(pa.int32()))
            bases.append(base)
            relations.append(rel)
            offset += table.num_rows
            del table, column
            pool.release_unused()
        graph = _build(ids, children, bases, relations, names)
        graph.with_bases = with_bases
        pool.release_unused()
    except (pa.ArrowException, OSError) as err:
        raise Unreadable(f"the file's bases could not be read ({_short(err)})") from None
    graph.rows = offset
    graph.d30 = d30 if "downloads" in counts else None
    graph.all_time = all_time if "downloadsAllTime" in counts else None
    if graph.all_time is not None and day is not None and day < ALL_TIME_FROM:
        trusted, note = _all_time_trusted(graph.all_time, graph.d30, day)
        notes.append(note)
        if not trusted:
            graph.all_time = None
    graph.bases_from = bases_from
    graph.notes = notes
    return graph


def read_counts(source: Any, wanted: list[str], *, day: str | None = None) -> dict[str, int] | None:
    """The all-time counts of the `wanted` (lower-case) ids on a day (the day before the one whose
    families are built), read a row group at a time (only `id` and `downloadsAllTime`); None when
    that day has no all-time counts (or, before the column existed, none that pass the check)."""
    import pyarrow as pa

    pf = open_parquet(source)
    schema = pf.schema_arrow
    if "downloadsAllTime" not in schema.names or not _numeric(schema.field("downloadsAllTime").type):
        return None
    early = day is not None and day < ALL_TIME_FROM and "downloads" in schema.names
    check_chunks(pf, ["id", "downloadsAllTime", *(["downloads"] if early else [])], source.seek(0, 2))
    if day is not None and day < ALL_TIME_FROM:
        if not early:
            return None
        columns = ["downloadsAllTime", "downloads"]
        tables = [pf.read_row_group(g, columns=columns) for g in range(pf.num_row_groups)]
        trusted, _ = _all_time_trusted([_counts(t.column(0).combine_chunks()) for t in tables],
                                       [_counts(t.column(1).combine_chunks()) for t in tables], day)  # fmt: skip
        del tables
        if not trusted:
            return None

    def groups() -> Any:
        for group in range(pf.num_row_groups):
            table = pf.read_row_group(group, columns=["id", "downloadsAllTime"])
            yield (
                table.column("id").combine_chunks().cast(pa.string()),
                _counts(table.column("downloadsAllTime").combine_chunks()),
            )

    try:
        return _lookup(groups(), wanted)
    except (pa.ArrowException, OSError) as err:
        raise Unreadable(f"the file's counts could not be read ({_short(err)})") from None


def read_created(source: Any, rows: list[int], *, ceiling: str) -> dict[int, str]:
    """The createdAt (UTC ISO) of these rows of the file (indices over the whole file, sorted),
    read a row group at a time, only the groups holding them; a row without a usable date is left
    out. For the launch rule: a repo new since the day before counts whole if created after it."""
    import pyarrow as pa

    from oss_tracker.hub.archive_table import _date
    from oss_tracker.values import CREATED_FLOOR

    pf = open_parquet(source)
    if "createdAt" not in pf.schema_arrow.names or not rows:
        return {}
    check_chunks(pf, ["createdAt"], source.seek(0, 2))
    out: dict[int, str] = {}
    meta = pf.metadata
    offset, k = 0, 0
    try:
        for group in range(meta.num_row_groups):
            n = meta.row_group(group).num_rows
            mine = []
            while k < len(rows) and rows[k] < offset + n:
                mine.append(rows[k] - offset)
                k += 1
            if mine:
                values = (
                    pf.read_row_group(group, columns=["createdAt"]).column(0).take(pa.array(mine, pa.int64()))
                )
                for local, value in zip(mine, values.to_pylist(), strict=True):
                    created = _date(value, CREATED_FLOOR, ceiling)
                    if created is not None:
                        out[offset + local] = created
            offset += n
    except (pa.ArrowException, OSError) as err:
        raise Unreadable(f"the file's createdAt could not be read ({_short(err)})") from None
    return out


def _all_time_trusted(all_time: list[Any], d30: list[Any] | None, day: str) -> tuple[bool, str]:
    """Whether a day from before `downloadsAllTime` existed (ALL_TIME_FROM) holds believable all-time
    counts: at least ALL_TIME_AGREE of the rows with both counts have all-time >= 30-day (a count of
    every download ever cannot be less than a month's). With the note that says which."""
    import pyarrow as pa
    import pyarrow.compute as pc

    both = agree = 0
    for i, counts in enumerate(all_time):
        if d30 is None:
            break
        month = d30[i]
        valid = pc.and_(pc.is_valid(counts), pc.is_valid(month))
        both += pc.sum(valid.cast(pa.int64())).as_py() or 0
        agree += pc.sum(pc.and_(valid, pc.greater_equal(counts, month)).cast(pa.int64())).as_py() or 0
    return all_time_verdict(both, agree, day)


def _numeric(kind: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _string(kind: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _bases_column(pf: Any) -> tuple[str, list[str]]:
    """Which column holds the day's declared bases: `baseModels` when the revision has one of the
    known shape holding any id, else `tags`; Unreadable when neither."""
    import pyarrow as pa

    schema = pf.schema_arrow
    notes: list[str] = []
    if "baseModels" in schema.names:
        kind = schema.field("baseModels").type
        models = (
            kind.field("models").type
            if pa.types.is_struct(kind) and kind.get_field_index("models") >= 0
            else None
        )
        item = (
            models.value_type
            if models is not None and (pa.types.is_list(models) or pa.types.is_large_list(models))
            else None
        )
        if (
            item is None
            or not pa.types.is_struct(item)
            or item.get_field_index("id") < 0
            or not _string(item.field("id").type)
        ):
            notes.append("`baseModels` has an unknown shape: bases read from `tags`")
        elif _all_null(pf, "baseModels"):
            notes.append("`baseModels` holds no id in this revision: bases read from `tags`")
        else:
            return "baseModels", notes
    kind = schema.field("tags").type if "tags" in schema.names else None
    if (
        kind is not None
        and (pa.types.is_list(kind) or pa.types.is_large_list(kind))
        and _string(kind.value_type)
    ):
        return "tags", notes
    raise Unreadable("no usable `baseModels` or `tags` column: no declared bases that day")


def _all_null(pf: Any, column: str) -> bool:
    """Whether the footer's statistics say that every id under `column` is null (no statistics: no)."""
    meta = pf.metadata
    leaves = [i for i in range(meta.num_columns)
              if meta.schema.column(i).path.split(".")[0] == column and meta.schema.column(i).path.endswith(".id")]  # fmt: skip
    if not leaves:
        return False
    for group in range(meta.num_row_groups):
        for i in leaves:
            chunk = meta.row_group(group).column(i)
            stats = chunk.statistics
            if stats is None or not stats.has_null_count or stats.null_count != chunk.num_values:
                return False
    return True


def _counts(column: Any) -> Any:
    """Counts as int64: a whole number (an integral float too) in 0..MAX_COUNT, else null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    x = column.cast(pa.float64(), safe=False)  # exact up to 2**53, past MAX_COUNT anyway
    ok = pc.and_(
        pc.and_(pc.is_finite(x), pc.equal(pc.floor(x), x)),
        pc.and_(pc.greater_equal(x, 0), pc.less_equal(x, float(MAX_COUNT))),
    )
    return pc.if_else(ok, x, pa.scalar(None, pa.float64())).cast(pa.int64())


def _valid_lists(column: Any) -> tuple[Any, Any]:
    """The non-null lists of a list column, and their rows: a null list's hidden values must not
    be read as some row's values."""
    import pyarrow.compute as pc

    rows = pc.indices_nonzero(pc.is_valid(column))
    return column.take(rows), rows


def _relation_codes(relation: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    code = pc.index_in(pc.ascii_lower(relation), value_set=pa.array(RELATIONS))
    return pc.fill_null(pc.add(code, 1), 0).cast(pa.int8())


def _from_base_models(column: Any) -> tuple[Any, Any, Any]:
    """(row, base id lower case, relation code) for each id of each row's `baseModels.models`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    fields = column.flatten()  # the struct's nulls carried into its fields
    models = fields[kind.get_field_index("models")]
    i = kind.get_field_index("relation")
    relation = fields[i] if i >= 0 and _string(kind.field(i).type) else pa.nulls(len(column), pa.string())
    lists, rows = _valid_lists(models)
    parent = rows.take(pc.list_parent_indices(lists))
    items = pc.list_flatten(lists)
    ids = items.flatten()[items.type.get_field_index("id")].cast(pa.string())
    ok = _usable(ids)
    parent = parent.filter(ok)
    return parent, pc.ascii_lower(ids.filter(ok)), _relation_codes(relation.cast(pa.string())).take(parent)


_TAG_RELATION = r"^(?P<rel>finetune|quantized|adapter|merge):(?P<id>.+)$"


def _from_tags(column: Any) -> tuple[Any, Any, Any]:
    """(row, base id lower case, relation code) for each `base_model:` tag (relation 0 when bare)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lists, rows = _valid_lists(column)
    parent = rows.take(pc.list_parent_indices(lists))
    tags = pc.list_flatten(lists).cast(pa.string())
    mine = pc.starts_with(tags, "base_model:")
    tags, parent = tags.filter(mine), parent.filter(mine)
    rest = pc.utf8_slice_codeunits(tags, 11)
    parts = pc.extract_regex(rest, _TAG_RELATION)
    said = pc.is_valid(parts)
    relation, base = parts.flatten()
    ids = pc.if_else(said, base, rest)
    ok = _usable(ids)
    codes = _relation_codes(pc.if_else(said, relation, pa.scalar(None, pa.string()))).filter(ok)
    # The Hub writes two tags for each base (`base_model:<id>`, `base_model:<relation>:<id>`): one
    # edge, with the relation said. Both are in the row, so a row group is deduplicated on its own.
    edges = pa.table({"child": parent.filter(ok), "base": pc.ascii_lower(ids.filter(ok)), "rel": codes})
    edges = edges.group_by(["child", "base"], use_threads=False).aggregate([("rel", "max")])
    return (edges.column("child").combine_chunks(), edges.column("base").combine_chunks(),
            edges.column("rel_max").combine_chunks())  # fmt: skip


def _usable(ids: Any) -> Any:
    import pyarrow.compute as pc

    length = pc.utf8_length(ids)
    return pc.fill_null(pc.and_(pc.greater(length, 0), pc.less_equal(length, MAX_ID)), False)


def _distinct_sorted(values: Any) -> int:
    """How many distinct values a sorted array holds (pyarrow's count_distinct hashes: ~300 MB here)."""
    import pyarrow.compute as pc

    n = len(values)
    return 0 if n == 0 else 1 + (pc.sum(pc.not_equal(values.slice(1), values.slice(0, n - 1))).as_py() or 0)


def _build(
    ids: list[Any], children: list[Any], bases: list[Any], relations: list[Any], names: list[Any]
) -> Graph:
    """Edges encoded, each declaring row's own code, self-references dropped. Codes are given to
    the declaring rows only (what a walk goes on from), not to every row of the day. `names`: the
    declaring rows' ids (lower case), an edge each. (In `baseModels` a repeated id is a repeated
    edge, which a walk meets twice and counts once.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    child = pa.concat_arrays(children) if children else pa.array([], pa.int32())
    base = pa.concat_arrays(bases) if bases else pa.array([], pa.string())
    rel = pa.concat_arrays(relations) if relations else pa.array([], pa.int8())
    child_ids = pa.concat_arrays(names) if names else pa.array([], pa.string())
    del children, bases, relations, names
    # A row without an id cannot be anyone's descendant (nothing could name it in a report).
    named = pc.is_valid(child_ids)
    if (pc.sum(named).as_py() or 0) != len(named):
        child, base, rel = child.filter(named), base.filter(named), rel.filter(named)
        child_ids = child_ids.filter(named)
    encoded = base.dictionary_encode()
    del base
    dictionary = encoded.dictionary
    edge_code = encoded.indices.cast(pa.int32())
    del encoded
    child_code = pc.index_in(child_ids, value_set=dictionary).cast(pa.int32())
    del child_ids
    own = pc.fill_null(pc.equal(child_code, edge_code), False)
    self_references = pc.sum(own).as_py() or 0
    keep = pc.invert(own)
    return Graph(
        rows=0,
        ids=ids,
        d30=None,
        all_time=None,
        edge_code=edge_code.filter(keep),
        edge_child=child.filter(keep),
        edge_rel=rel.filter(keep),
        child_code=child_code.filter(keep),
        bases=dictionary,
        bases_from="",
        with_bases=0,
        self_references=self_references,
    )


# -- walking ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """An account (`org`) or a company whose own repos and the repos built on them are summed."""

    kind: str  # org | company
    name: str
    accounts: tuple[str, ...]


@dataclass(slots=True)
class _Row:
    repo_id: str
    d30: int | None
    all_time: int | None
    code: int | None
    low: str = ""  # the id as matched (lower case)
    account: str = ""  # its account, lower case ("" for an id without one)
    listed: bool = True  # fit to be stored in a top list (values.text)


class Families:
    """The part of a day's graph reachable from the watched models and accounts, in Python; then
    `compute` walks it once per watched model and per owner.

    `companies` maps an account (lower case) to its company (the watch list's); an account it does
    not name is a company of its own."""

    def __init__(
        self, graph: Graph, roots: list[FamilyRoot], owners: list[Owner], companies: dict[str, str]
    ) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.graph, self.roots, self.owners = graph, roots, owners
        self.companies = {lower(k): v for k, v in companies.items()}
        names = sorted({lower(n) for r in roots for n in r.names})
        name_set = pa.array(names, pa.string())
        self.name_code: dict[str, int | None] = dict(
            zip(names, pc.index_in(name_set, value_set=graph.bases).to_pylist(), strict=True)
        )
        accounts = sorted({lower(a) for o in owners for a in o.accounts} | {lower(r.account) for r in roots})
        pattern = "^(" + "|".join(re.escape(a) for a in accounts) + ")/" if accounts else None
        self.named: dict[str, list[int]] = {}  # root name -> rows of that id
        self.own: dict[str, list[int]] = {}  # account -> its rows
        offset = 0
        for chunk in graph.ids:
            low = pc.ascii_lower(chunk)
            pos = pc.index_in(low, value_set=name_set)
            hit = pc.indices_nonzero(pc.is_valid(pos))
            for i, p in zip(hit.to_pylist(), pos.take(hit).to_pylist(), strict=True):
                self.named.setdefault(names[p], []).append(offset + i)
            if pattern is not None:
                mine = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(low, pattern), False))
                for i, rid in zip(mine.to_pylist(), low.take(mine).to_pylist(), strict=True):
                    self.own.setdefault(rid.split("/", 1)[0], []).append(offset + i)
            offset += len(chunk)
        # A watched model's row, and all its names (its counts the day before may be under a former one).
        self.names_of: dict[int, list[str]] = {}
        for root in roots:
            names_l = list(dict.fromkeys(lower(n) for n in root.names))
            for n in names_l:
                for row in self.named.get(n, []):
                    self.names_of.setdefault(row, names_l)
        special = sorted(
            {r for rows in self.named.values() for r in rows}
            | {r for rows in self.own.values() for r in rows}
        )
        special_ids = pa.chunked_array(graph.ids, pa.string()).take(pa.array(special, pa.int32()))
        special_codes = pc.index_in(pc.ascii_lower(special_ids), value_set=graph.bases).to_pylist()
        start = {c for c in self.name_code.values() if c is not None} | {
            c for c in special_codes if c is not None
        }
        # Everything reachable from any watched model or account, level by level, in columns.
        seen, frontier = set(start), sorted(start)
        while frontier:
            hit = pc.is_in(graph.edge_code, value_set=pa.array(frontier, pa.int32()))
            codes = pc.unique(pc.drop_null(graph.child_code.filter(hit))).to_pylist()
            frontier = [c for c in codes if c not in seen]
            seen.update(frontier)
        hit = pc.is_in(graph.edge_code, value_set=pa.array(sorted(seen), pa.int32()))
        # code -> its declaring rows, each `row << 3 | relation code` (an int, not a tuple: 170 k of them)
        self.adjacency: dict[int, list[int]] = {}
        row_code = dict(zip(special, special_codes, strict=True))
        for code, child, rel, own in zip(graph.edge_code.filter(hit).to_pylist(), graph.edge_child.filter(hit).to_pylist(),
                                         graph.edge_rel.filter(hit).to_pylist(), graph.child_code.filter(hit).to_pylist(),
                                         strict=True):  # fmt: skip
            self.adjacency.setdefault(code, []).append(child << 3 | rel)
            row_code[child] = own
        rows = sorted(row_code)
        taken = pa.array(rows, pa.int32())
        ids = pa.chunked_array(graph.ids, pa.string()).take(taken).to_pylist()
        d30 = _take(graph.d30, taken, len(rows))
        all_time = _take(graph.all_time, taken, len(rows))
        codes = [row_code[r] for r in rows]
        self.rows: dict[int, _Row] = {
            row: self._row(ids[i], d30[i], all_time[i], codes[i]) for i, row in enumerate(rows)
        }
        self.code_node: dict[int, int] = {}  # a code's node: the row of that id (~code: no such row)
        for row, info in self.rows.items():
            if info.code is not None and info.code in seen:
                self.code_node.setdefault(info.code, row)
        # Only a declared base can be in a cycle: the components are those of the rows (or names)
        # that something declares, which a repo declaring nothing cannot join.
        self.component, self.component_size = _components(self._nodes(start), self._successors)
        # Row -> createdAt, for the rows new since the period's start (read_created: set by the caller).
        self.created: dict[int, str] = {}
        self.since: str | None = None  # when the period's first day was taken (its snapshot's time)

    def rows_read(self) -> list[int]:
        """The rows whose figures are used (sorted): those whose createdAt the launch rule may need."""
        return sorted(self.rows)

    def absent(self) -> list[int]:
        """The watched models with no row that day under any of their names (created after it, or
        private then): their direct children are not compared with model_info's for that day."""
        return [r.model_id for r in self.roots if not any(self.named.get(lower(n)) for n in r.names)]

    def _launched(self, row: int) -> bool:
        """A repo created after the period's first day: it had no download then (a launch)."""
        created = self.created.get(row)
        return self.since is not None and created is not None and created > self.since

    def _row(self, repo_id: str, d30: int | None, all_time: int | None, code: int | None) -> _Row:
        """A row with what every walk asks of it worked out once (a row is in many families)."""
        head, sep, _ = repo_id.partition("/")
        return _Row(
            repo_id,
            d30,
            all_time,
            code,
            lower(repo_id),
            lower(head) if sep else "",
            text(repo_id) is not None,
        )

    def needed(self) -> list[str]:
        """Every repo id (lower case) the figures use, and every name of the watched models (a model
        renamed since the previous day had its former name then): the previous day's counts of these
        give the period downloads."""
        return sorted({r.low for r in self.rows.values()} | set(self.name_code))

    # -- the graph as nodes: a row, or ~code for a declared base with no row that day -----------
    def _node(self, code: int) -> int:
        return self.code_node.get(code, ~code)

    def _successors(self, node: int) -> list[int]:
        code = self.rows[node].code if node >= 0 else ~node
        rows = self.rows
        return (
            [c for e in self.adjacency.get(code, ()) if rows[c := e >> 3].code is not None]
            if code is not None
            else []
        )

    def _nodes(self, start: set[int]) -> list[int]:
        return [self._node(c) for c in sorted(start)]

    def _company(self, account: str) -> str:
        return self.companies.get(account, "@" + account)

    # -- per watched model ----------------------------------------------------------------
    def compute(
        self,
        previous: dict[str, int] | None,
        *,
        since: str | None = None,
        top: int = TOP,
        top_accounts: int = TOP_ACCOUNTS,
    ) -> tuple[list[FamilyRecord], list[OwnerRecord]]:
        """Each watched model's family (those with at least one descendant), and each owner's sums.
        `previous`: all-time counts (by lower-case id) of the day the period starts (None: none),
        whose snapshot was taken at `since`: a repo absent then and created after it counts whole."""
        self.since = since
        families = [f for f in (self._family(r, previous, top, top_accounts) for r in self.roots) if f]
        return families, [self._owner(o, previous) for o in self.owners]

    def _family(
        self, root: FamilyRoot, previous: dict[str, int] | None, top: int, top_accounts: int
    ) -> FamilyRecord | None:
        names = list(dict.fromkeys(lower(n) for n in root.names))
        root_rows = [row for n in names for row in self.named.get(n, [])]
        start = {self.name_code[n] for n in names if self.name_code.get(n) is not None}
        start |= {self.rows[r].code for r in root_rows if self.rows[r].code is not None}  # type: ignore[misc]
        if not start:
            return None
        main = root_rows[0] if root_rows else None
        members, merges = self._walk(start, set(root_rows), main)
        if not members:
            return None
        company = self._company(lower(root.account))
        graph = self.graph
        part = {"company": [0, 0, 0], "community": [0, 0, 0]}  # repos, 30-day downloads, period downloads
        direct = dict.fromkeys(("", *RELATIONS), 0)
        by_depth: dict[int, int] = {}
        accounts: dict[str, list[Any]] = {}
        drops = 0
        rows = self.rows
        for row, (depth, rel) in members.items():
            info = rows[row]
            sums = part["company" if self._company(info.account) == company else "community"]
            sums[0] += 1
            sums[1] += info.d30 or 0
            diff = _period(info, previous, launched=self._launched(row))
            if diff is not None:
                sums[2] += diff
                drops += diff < 0
            by_depth[depth] = by_depth.get(depth, 0) + 1
            if depth == 1:
                direct[RELATION_NAMES[rel] or ""] += 1
            shown = accounts.get(info.account)
            if shown is None:
                head = info.repo_id.split("/", 1)[0] if info.account else ""
                shown = accounts[info.account] = [head, 0, 0, text(head) is not None]
            shown[1] += 1
            shown[2] += info.d30 or 0
        own = self.rows[main] if main is not None else None
        own_period = None
        if previous is not None and own is not None and own.all_time is not None:
            before = next((previous[n] for n in names if n in previous), None)
            if before is None and main is not None and self._launched(main):
                before = 0  # launched in the period: no download then
            own_period = own.all_time - before if before is not None else None
        d30 = graph.d30 is not None
        at = graph.all_time is not None
        period = previous is not None and at
        cycles = {self.component[n] for n in (*members, *root_rows) if self.component_size.get(self.component.get(n, -1), 1) > 1}  # fmt: skip
        best = heapq.nsmallest(
            top,
            (r for r in members if rows[r].listed),
            key=lambda r: (-(rows[r].d30 if rows[r].d30 is not None else -1), rows[r].repo_id),
        )
        ranked = heapq.nsmallest(
            top_accounts, (a for a in accounts.values() if a[3]), key=lambda a: (-a[1], -a[2], a[0].lower())
        )
        return FamilyRecord(
            model_id=root.model_id,
            descendants=len(members),
            direct=direct,
            depth2=by_depth.get(2, 0),
            depth3=by_depth.get(3, 0),
            deeper=sum(n for d, n in by_depth.items() if d >= 4),
            max_depth=max(by_depth),
            merges=merges,
            cycles=len(cycles),
            accounts=len(accounts),
            company=part["company"][0],
            own_30d=(own.d30 if own is not None else None) if d30 else None,
            company_30d=part["company"][1] if d30 else None,
            community_30d=part["community"][1] if d30 else None,
            period_own=own_period if period else None,
            period_company=part["company"][2] if period else None,
            period_community=part["community"][2] if period else None,
            drops=drops,
            top=[
                Descendant(
                    self.rows[r].repo_id,
                    members[r][0],
                    RELATION_NAMES[members[r][1]],
                    self.rows[r].d30,
                    self.rows[r].all_time,
                )
                for r in best
            ],  # fmt: skip
            top_accounts=[(name, n, dl if d30 else None) for name, n, dl, _ in ranked],
        )

    def _walk(
        self, start: set[int], root_rows: set[int], main: int | None
    ) -> tuple[dict[int, tuple[int, int]], int]:
        """Breadth first from the root's codes: each descendant row's (depth, relation code), and
        how many declare two or more bases of the family outside their own cycle (merges)."""
        ROOT = -(2**62)  # the parent key of every declaration of the root (under any of its names)
        root_component = self.component.get(main) if main is not None else None
        members: dict[int, tuple[int, int]] = {}
        first_parent: dict[int, int] = {}
        merged: set[int] = set()
        seen = set(start)
        frontier = sorted(start)
        depth = 0
        while frontier:
            depth += 1
            nxt = []
            for code in frontier:
                parent = ROOT if code in start else self._node(code)
                parent_component = root_component if parent == ROOT else self.component.get(parent)
                for edge in self.adjacency.get(code, ()):
                    child, rel = edge >> 3, edge & 7
                    if child in root_rows:
                        continue  # the root declares one of its descendants: a cycle, broken here
                    if parent_component is None or parent_component != self.component.get(child):
                        first = first_parent.setdefault(child, parent)
                        if first != parent:
                            merged.add(child)
                    if child in members:
                        continue
                    members[child] = (depth, rel)
                    own = self.rows[child].code
                    if own is not None and own not in seen:
                        seen.add(own)
                        nxt.append(own)
            frontier = nxt
        return members, len(merged)

    # -- per account and company ----------------------------------------------------------
    def _owner(self, owner: Owner, previous: dict[str, int] | None) -> OwnerRecord:
        accounts = {lower(a) for a in owner.accounts}
        own = sorted(r for a in accounts for r in self.own.get(a, []))
        start = {self.rows[r].code for r in own if self.rows[r].code is not None}
        for root in self.roots:
            if lower(root.account) in accounts:
                start |= {c for n in root.names if (c := self.name_code.get(lower(n))) is not None}
        reached: set[int] = set()
        seen, frontier = set(start), list(start)  # type: ignore[arg-type]
        while frontier:
            nxt = []
            for code in frontier:
                for edge in self.adjacency.get(code, ()):
                    child = edge >> 3
                    if child in reached:
                        continue
                    reached.add(child)
                    c = self.rows[child].code
                    if c is not None and c not in seen:
                        seen.add(c)
                        nxt.append(c)
            frontier = nxt
        company = self._company(lower(owner.name)) if owner.kind == "org" else None
        sums = {"own": [0, 0, 0, 0], "company": [0, 0, 0, 0], "community": [0, 0, 0, 0]}
        own_set = set(own)
        for row in (*own, *(r for r in reached if r not in own_set)):
            info = self.rows[row]
            key = (
                "own" if info.account in accounts
                else "company" if self._company(info.account) == company else "community"
            )  # fmt: skip
            s = sums[key]
            s[0] += 1
            s[1] += info.d30 or 0
            s[2] += info.all_time or 0
            diff = _period(info, previous, self.names_of.get(row), launched=self._launched(row))
            if diff is not None:
                s[3] += diff
        d30 = self.graph.d30 is not None
        at = self.graph.all_time is not None
        period = previous is not None and at
        return OwnerRecord(
            kind=owner.kind,
            name=owner.name,
            accounts=list(owner.accounts),
            models=sums["own"][0],
            own_30d=sums["own"][1] if d30 else None,
            own_all_time=sums["own"][2] if at else None,
            company=sums["company"][0],
            company_30d=sums["company"][1] if d30 else None,
            company_all_time=sums["company"][2] if at else None,
            community=sums["community"][0],
            community_30d=sums["community"][1] if d30 else None,
            community_all_time=sums["community"][2] if at else None,
            period_own=sums["own"][3] if period else None,
            period_company=sums["company"][3] if period else None,
            period_community=sums["community"][3] if period else None,
        )


def _period(
    info: _Row, previous: dict[str, int] | None, names: list[str] | None = None, *, launched: bool = False
) -> int | None:
    """A repo's downloads since the previous day: the difference of its all-time counts, when both
    days have one (a count that went down is counted as it is, and flagged by the caller); a repo
    absent then but `launched` since (created after it) counts whole, as store/totals.py counts a
    launch. A watched model is looked up by its name that day, then by its other names (a rename
    in between)."""
    if previous is None or info.all_time is None:
        return None
    before = previous.get(info.low)
    for name in names or ():
        if before is not None:
            break
        before = previous.get(name)
    if before is None and launched:
        before = 0
    return info.all_time - before if before is not None else None


def _take(chunks: list[Any] | None, rows: Any, n: int) -> list[int | None]:
    import pyarrow as pa

    if chunks is None:
        return [None] * n
    return pa.chunked_array(chunks, pa.int64()).take(rows).to_pylist()


def _components(
    starts: list[int], successors: Callable[[int], list[int]]
) -> tuple[dict[int, int], dict[int, int]]:
    """Strongly connected components of what is reachable from `starts` (Tarjan's, iterative):
    node -> component, component -> size."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    component: dict[int, int] = {}
    size: dict[int, int] = {}
    counter = 0
    for start in starts:
        if start in index:
            continue
        work = [(start, iter(successors(start)))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(successors(nxt))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = 0
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component[top] = node
                    members += 1
                    if top == node:
                        break
                size[node] = members
    return component, size
