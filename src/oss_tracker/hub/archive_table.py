"""One archived day's file (`models.parquet`, or `models.csv` of the early months) into records of
the watched accounts: only the columns the history needs, only the row groups holding them.

Nothing about the file is assumed; each shape is detected (what is known: DESIGN.md, "The public archive"):

- **Columns.** `id` is required (no `id`, no day). Every other column may be missing in a
  revision (`downloadsAllTime` exists only from 2025-02-27): a missing column is unknown (NULL)
  for the day, said in a note, never a zero. The ModelRecord fields a day had are reported in
  `fields` so that the store does not overwrite what it knows with nothing.
- **Parameters.** `safetensors.total`, else (none sent) `gguf.total`, as a sync takes them
  (`gguf.total` read only in row groups holding such a row).
- **Types.** Counts are taken from integers or integral floats; `createdAt` from a timestamp (with
  or without a zone: UTC), or an ISO string; `tags` from a list, or (CSV) a JSON list in a string;
  `cardData` from a JSON string or a struct. Anything else is unknown for that row (counted).
  Counts are read from text the same way in a Parquet day as in a CSV one (digits read as a
  number); a Parquet column of counts whose type is not a number type is said in a note
  (`downloads`: strings, read as numbers), since the archive's writer changing types is news.
- **Reading.** Phase 1 reads `id` of every row group and finds the watched rows (an account's
  rows are those whose id's namespace is the account, in ASCII case); phase 2 reads the cheap
  columns and `tags` of the row groups holding them; phase 3 reads `cardData` (the heaviest
  column) only for row groups holding a `license:other` row whose licence name the database
  cannot supply (see `names`). Each row group's columns are taken down to the watched rows at
  once, so memory holds one row group's columns at a time.
- **Hostile strings.** Values go through values.py's checks as a live sync's do; `cardData`
  is parsed as JSON (never evaluated), and only its `license_name` is kept.

Imports pyarrow (the `archive` extra) and nothing of SQLite.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oss_tracker import licenses
from oss_tracker.hub.parse import _gated, base_from_tags, same_name
from oss_tracker.records import ModelRecord
from oss_tracker.values import CREATED_FLOOR, MODIFIED_FLOOR, count, hub_date, score, text

# Archive column -> ModelRecord field, for the cheap columns (a few bytes a row).
CHEAP = {
    "downloads": "downloads_30d",
    "downloadsAllTime": "downloads_all_time",
    "likes": "likes",
    "trendingScore": "trending",
    "createdAt": "created_at",
    "lastModified": "last_modified",
    "pipeline_tag": "pipeline_tag",
    "library_name": "library_name",
    "gated": "gated",
    "safetensors.total": "parameters",
    "gguf.total": "parameters",  # a GGUF repo has no safetensors: the GGUF header's count, as a sync takes it
}
SNAPSHOT_COLUMNS = ("downloads", "downloadsAllTime", "likes")
# Columns of numbers: one of another type in a Parquet day is read value by value as any odd
# value is (text that is a number read as one, anything else unknown), and said in the day's notes.
NUMERIC = ("downloads", "downloadsAllTime", "likes", "trendingScore", "safetensors.total", "gguf.total")
# Read for every watched row; the others (and `tags`) only for rows that may have changed.
SNAPSHOT_TIER = frozenset(
    {"downloads", "downloadsAllTime", "likes", "trendingScore", "createdAt", "lastModified"}
)
MAX_CARD = 1_000_000  # a cardData string longer than this is not parsed (its licence name is unknown)
# What a file's footer may claim: a real day's footer (20-odd columns, a few hundred row groups) is
# well under 1 MiB. A file's own claim is never read past this (a lying footer once put 400 MB in memory).
MAX_FOOTER = 64 * 2**20
TAIL = 64 * 1024  # the file's last bytes read at once: the whole footer of a real day
# The most one column chunk may claim, compressed or decoded: a real day's largest chunk (`tags` or
# `cardData` of a row group) is tens of MB. A chunk past this is refused before a byte of it is read.
MAX_CHUNK = 512 * 2**20
# The most one read() of a day's file may ask for (pyarrow reads a chunk, or a few near each other,
# at once): a read past it is refused, whatever asked for it.
MAX_READ = MAX_CHUNK + 64 * 2**20


class TooLarge(OSError):
    """A read of a day's file larger than MAX_READ (pyarrow turns an OSError into its own error)."""


def bounded(n: int | None, left: int) -> int:
    """The bytes a read(n) of a file with `left` bytes to go will return; TooLarge past MAX_READ."""
    want = left if n is None or n < 0 else min(n, left)
    if want > MAX_READ:
        raise TooLarge(f"a read of {want:,} bytes of the archived file: refused (more than {MAX_READ:,})")
    return max(0, want)


class Unreadable(Exception):
    """The file is not an archive day the tracker can read (the message says why)."""


# `downloadsAllTime` exists from this day on (DESIGN.md, "The public archive"): a column of that
# name in an earlier day is used only if its values pass a check (`all_time_verdict`), never assumed.
ALL_TIME_FROM = "2025-02-27"
ALL_TIME_AGREE = 0.95  # the share of rows whose all-time count is at least their 30-day count


@dataclass
class TableDay:
    rows: dict[str, list[ModelRecord]]  # account (as watched) -> its rows
    skipped: dict[str, int]  # account -> rows that could not be used
    fields: frozenset[str]
    notes: list[str] = field(default_factory=list)
    odd: int = 0  # values stored as unknown
    file_rows: int | None = None  # rows in the whole file (a truncated file has far fewer: store/archive.py)


Names = Callable[[str], "tuple[str | None, str | None, str, str | None] | None"]
Listed = Callable[[str], "str | None"]  # a repo's lastModified as a live listing gave it, or None


def _pattern(orgs: list[str]) -> str:
    return "^(" + "|".join(re.escape(o) for o in orgs) + ")/"


def _owner(repo_id: str, orgs: list[str]) -> str | None:
    namespace, sep, _ = repo_id.partition("/")
    if not sep:
        return None
    return next((o for o in orgs if same_name(namespace, o)), None)


def open_parquet(source: Any) -> Any:
    """A pyarrow ParquetFile of an archived day (a seekable file object), once its footer is known
    sane: the footer is read here (the file's last TAIL bytes, more only up to MAX_FOOTER) and
    given to pyarrow, which would otherwise read whatever length the file claims. Unreadable when
    it is not a Parquet file or has no text `id` column."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    size = source.seek(0, 2)
    if size < 12:
        raise Unreadable("not a readable Parquet file (too short)")
    start = max(0, size - TAIL)
    source.seek(start)
    tail = source.read(size - start)
    if len(tail) != size - start or tail[-4:] != b"PAR1":
        raise Unreadable("not a readable Parquet file (no PAR1 at its end)")
    length = int.from_bytes(tail[-8:-4], "little")
    if length > MAX_FOOTER or length + 12 > size:
        raise Unreadable(f"not a readable Parquet file (its footer claims {length:,} bytes)")
    if length + 8 > len(tail):
        source.seek(size - 8 - length)
        tail = source.read(length + 8)
        if len(tail) != length + 8:
            raise Unreadable("not a readable Parquet file (its footer could not be read whole)")
    try:
        meta = pq.read_metadata(io.BytesIO(tail[len(tail) - 8 - length :]))
        source.seek(0)
        pf = pq.ParquetFile(source, metadata=meta, pre_buffer=True)
    except (pa.ArrowException, OSError) as err:
        raise Unreadable(f"not a readable Parquet file ({_short(err)})") from None
    schema = pf.schema_arrow
    if "id" not in schema.names or not (
        pa.types.is_string(schema.field("id").type) or pa.types.is_large_string(schema.field("id").type)
    ):
        raise Unreadable("the file has no text `id` column: not a models snapshot")
    return pf


def check_chunks(pf: Any, columns: list[str], size: int) -> None:
    """Unreadable unless every chunk of these (top-level) columns lies inside the file and claims
    at most MAX_CHUNK bytes, compressed and decoded: checked in the footer, before any is read."""
    meta = pf.metadata
    wanted = {c.split(".")[0] for c in columns}
    for group in range(meta.num_row_groups):
        row_group = meta.row_group(group)
        for i in range(row_group.num_columns):
            chunk = row_group.column(i)
            if chunk.path_in_schema.split(".")[0] not in wanted:
                continue
            start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
            compressed, decoded = chunk.total_compressed_size, chunk.total_uncompressed_size
            if (
                start is None or start < 0 or compressed < 0 or start + compressed > size
                or compressed > MAX_CHUNK or decoded > MAX_CHUNK
            ):  # fmt: skip
                raise Unreadable(
                    f"row group {group}'s `{chunk.path_in_schema}` claims {max(compressed, decoded):,} bytes "
                    f"at {start}: refused"
                )


def read_parquet(
    source: Any,
    orgs: list[str],
    *,
    ceiling: str,
    names: Names,
    ids: list[Any] | None = None,
    listed: Listed | None = None,
) -> TableDay:
    """The watched accounts' rows of one Parquet day. `names(repo_id)` gives what is known of a repo
    (licence tag, licence name, licence key, lastModified), or None for a repo not known. `ids`:
    the `id` column of each row group when a caller has read it already (families: read once).
    `listed(repo_id)`: for a repo `names` does not know, the lastModified a live listing gave it; a
    row with that lastModified is not read whole, and is left undescribed (licence None) for the
    caller to describe from the listing. Nothing else of the listing is used here (its licence
    name is a later commit's for any other row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pf = open_parquet(source)
    schema = pf.schema_arrow
    names_in = set(schema.names)
    cheap = [c for c in CHEAP if c.split(".")[0] in names_in and _leaf(schema, c)]
    snap = [c for c in cheap if c in SNAPSHOT_TIER]
    # `gguf.total` only where a row read whole has no safetensors total (a GGUF repo): see phase 3.
    gguf = [c for c in cheap if c == "gguf.total"]
    describe = [c for c in cheap if c not in SNAPSHOT_TIER and c not in gguf] + (
        ["tags"] if "tags" in names_in else []
    )
    has_tags, has_card = "tags" in names_in, "cardData" in names_in
    check_chunks(pf, ["id", *cheap, *(["tags"] if has_tags else []), *(["cardData"] if has_card else [])],
                 source.seek(0, 2))  # fmt: skip
    day = TableDay(
        {o: [] for o in orgs},
        dict.fromkeys(orgs, 0),
        _fields(cheap, has_tags),
        file_rows=pf.metadata.num_rows,
    )
    day.notes += [n for c in cheap if c in NUMERIC and (n := _type_note(c, _leaf_type(schema, c)))]
    day.notes += _missing_notes(cheap, has_tags)
    pattern = _pattern(orgs)
    pool = pa.default_memory_pool()
    try:
        # Phase 1: the watched rows of each row group.
        hits: dict[int, Any] = {}
        hit_ids: dict[int, list[Any]] = {}
        for group in range(pf.num_row_groups):
            column = ids[group] if ids is not None else pf.read_row_group(group, columns=["id"]).column("id")
            found = pc.indices_nonzero(pc.match_substring_regex(column, pattern, ignore_case=True))
            if len(found):
                hits[group] = found
                hit_ids[group] = column.take(found).to_pylist()  # kept: `id` is never read twice
            del column
        # Phase 2: the snapshot's columns of those row groups, down to the watched rows.
        taken: dict[int, dict[str, list[Any]]] = {}
        for group, rows in hits.items():
            taken[group] = {"id": hit_ids[group], **(_take(pf, group, snap, rows) if snap else {})}
        # Phase 3: what describes a model (tags: licence and base; pipeline, library...) only for
        # the rows that may have changed: a model not stored yet, or whose lastModified is not the
        # stored one (a licence or a base is changed by a commit, which moves lastModified); then
        # `gguf.total` where such a row has no safetensors total.
        for group, cols in taken.items():
            cols["_described"] = [_changed(rid, modified, names, listed, ceiling) for rid, modified in
                                  zip(cols["id"], cols.get("lastModified") or [None] * len(cols["id"]), strict=True)]  # fmt: skip
            if describe and any(cols["_described"]):
                cols.update(_take(pf, group, describe, hits[group]))
            totals = cols.get("safetensors.total") or [None] * len(cols["id"])
            if gguf and any(d and t is None for d, t in zip(cols["_described"], totals, strict=True)):
                cols.update(_take(pf, group, gguf, hits[group]))
        # Phase 4: cardData (the heaviest column) only where a licence name is needed and not known.
        for group, cols in taken.items():
            tags = cols.get("tags") or [None] * len(cols["id"])
            if has_card and any(
                d and _needs_name(r, t, names)
                for r, t, d in zip(cols["id"], tags, cols["_described"], strict=True)
            ):
                cols.update(_take(pf, group, ["cardData"], hits[group]))
    except (pa.ArrowException, OSError) as err:
        raise Unreadable(f"a row group could not be read ({_short(err)})") from None
    finally:
        # The day's decoded columns go back to the system once the day is read, not after each row
        # group: the pool reuses them between row groups (giving them back each time cost a third
        # of a day's import in page faults), and a day at a time stays well under the memory goal.
        pool.release_unused()
    for cols in taken.values():
        _records(cols, orgs, day, ceiling, names, has_tags)
    return day


def _take(pf: Any, group: int, columns: list[str], rows: Any) -> dict[str, list[Any]]:
    """Columns of one row group, down to the given rows, as Python lists."""
    table = pf.read_row_group(group, columns=columns).take(rows)
    return {c: _column(table, c) for c in columns}


def _changed(repo_id: Any, modified: Any, names: Names, listed: Listed | None, ceiling: str) -> bool:
    """Whether a row must be read whole: its repo is not known (nor listed), or its lastModified,
    read as the record's is (the day's ceiling), is not the known one."""
    if not isinstance(repo_id, str):
        return True
    known = names(repo_id)
    was = known[3] if known is not None else listed(repo_id) if listed is not None else None
    when = _date(modified, MODIFIED_FLOOR, ceiling)
    return was is None or when is None or when != was


def all_time_verdict(both: int, agree: int, day: str) -> tuple[bool, str]:
    """Whether a day from before ALL_TIME_FROM holds believable all-time counts: `agree` of the `both`
    rows with both counts have all-time >= 30-day (a count of every download ever cannot be less
    than a month's). With the note that says which."""
    share = agree / both if both else 0.0
    if both and share >= ALL_TIME_AGREE:
        return True, (
            f"`downloadsAllTime` on {day}, before {ALL_TIME_FROM}: kept (at least the 30-day count in "
            f"{agree:,} of {both:,} rows)"
        )
    return False, (
        f"`downloadsAllTime` on {day}, before {ALL_TIME_FROM}, is not believable (at least the 30-day "
        f"count in {agree:,} of {both:,} rows): unknown that day"
    )


def distrust_all_time(day: TableDay, on: str) -> None:
    """A day from before ALL_TIME_FROM whose `downloadsAllTime` fails the check (all_time_verdict,
    over the watched rows) has its all-time counts unknown (the column as if missing); said either way."""
    if on >= ALL_TIME_FROM or "downloads_all_time" not in day.fields:
        return
    rows = [r for rs in day.rows.values() for r in rs]
    pairs = [(r.downloads_all_time, r.downloads_30d) for r in rows]
    both = [(a, m) for a, m in pairs if a is not None and m is not None]
    trusted, note = all_time_verdict(len(both), sum(1 for a, m in both if a >= m), on)
    day.notes.append(note)
    if not trusted:
        for r in rows:
            r.downloads_all_time = None
        day.fields = day.fields - {"downloads_all_time"}


def read_csv(source: Any, orgs: list[str], *, ceiling: str, names: Names) -> TableDay:
    """The watched accounts' rows of one CSV day (the archive's early months): the whole file is
    read (a CSV has no column chunks), streamed in blocks, only the needed columns converted."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    head = source.read(1 << 16)
    source.seek(0)
    try:
        header = next(csv.reader(io.StringIO(head.decode("utf-8", "replace").split("\n", 1)[0])))
    except (StopIteration, csv.Error):
        raise Unreadable("the CSV file has no header line") from None
    if "id" not in header:
        raise Unreadable("the CSV file has no `id` column: not a models snapshot")
    present = set(header)
    cheap = [c for c in CHEAP if c in present]
    has_tags, has_card = "tags" in present, "cardData" in present
    wanted = ["id", *cheap, *(["tags"] if has_tags else []), *(["cardData"] if has_card else [])]
    # Every column as text, converted here row by row: a CSV's type is a guess per block, and one
    # odd value must cost that value, not the day.
    types = dict.fromkeys(wanted, pa.string())
    day = TableDay({o: [] for o in orgs}, dict.fromkeys(orgs, 0), _fields(cheap, has_tags))
    day.notes += ["a CSV day: the whole file is read"] + _missing_notes(cheap, has_tags)
    pattern = _pattern(orgs)
    try:
        reader = pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(block_size=8 << 20),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted, column_types={c: t for c, t in types.items() if c in wanted}
            ),
        )
        day.file_rows = 0
        for batch in reader:
            day.file_rows += batch.num_rows
            rows = pc.indices_nonzero(pc.match_substring_regex(batch.column("id"), pattern, ignore_case=True))
            if len(rows):
                table = pa.Table.from_batches([batch]).take(rows)
                _records({c: _column(table, c) for c in wanted}, orgs, day, ceiling, names, has_tags)
    except (pa.ArrowException, OSError) as err:
        raise Unreadable(f"the CSV file could not be read ({_short(err)})") from None
    return day


def _leaf(schema: Any, path: str) -> bool:
    """Whether a dotted column path exists (a struct's child)."""
    return _leaf_type(schema, path) is not None


def _leaf_type(schema: Any, path: str) -> Any:
    """The Arrow type of a dotted column path (a struct's child), or None when there is none."""
    import pyarrow as pa

    parts = path.split(".")
    kind = schema.field(parts[0]).type
    for part in parts[1:]:
        if not pa.types.is_struct(kind) or kind.get_field_index(part) < 0:
            return None
        kind = kind.field(part).type
    return kind


def _type_note(column: str, kind: Any) -> str | None:
    """What a column of numbers of another type becomes (its values go through `_num` and the
    checks as a CSV's do): said, since a revision's types changing is news; None for numbers."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return f"`{column}`: strings, read as numbers"
    return f"`{column}`: {kind} values, not numbers: unknown that day"


def _column(table: Any, path: str) -> list[Any]:
    parts = path.split(".")
    column = table.column(parts[0])
    values = column.to_pylist()
    for part in parts[1:]:
        values = [v.get(part) if isinstance(v, dict) else None for v in values]
    return values


def _fields(cheap: list[str], has_tags: bool) -> frozenset[str]:
    out = {CHEAP[c] for c in cheap}
    if has_tags:
        out |= {"license", "base_model", "base_relation"}
    return frozenset(out)


def _missing_notes(cheap: list[str], has_tags: bool) -> list[str]:
    missing = [c for c in SNAPSHOT_COLUMNS if c not in cheap]
    notes = [f"no `{c}` column: unknown that day" for c in missing]
    if not has_tags:
        notes.append("no `tags` column: licences and bases unknown that day")
    return notes


def _tags(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    if isinstance(value, str) and value.startswith("[") and len(value) <= MAX_CARD:
        try:
            parsed = json.loads(value)
        except RecursionError:
            return None
        except ValueError:
            # A Python-style list (`['a', 'b']`) as some CSV writers leave it: read the quoted
            # strings, never evaluate it.
            return re.findall(r"'([^'\\]*)'", value)
        return [t for t in parsed if isinstance(t, str)] if isinstance(parsed, list) else None
    return None


def _licence_tag(tags: list[str] | None) -> str | None:
    for t in tags or []:
        if t.startswith("license:"):
            return t.removeprefix("license:").strip().lower() or None
    return None


def _needs_name(repo_id: Any, tags: Any, names: Names) -> bool:
    """A `license:other` row whose name the database cannot supply (unknown model, or another tag)."""
    if _licence_tag(_tags(tags)) != "other" or not isinstance(repo_id, str):
        return False
    stored = names(repo_id)
    return stored is None or (stored[0] or "").lower() != "other" or not stored[1]


def _card_name(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("license_name")
    if isinstance(value, str) and len(value) <= MAX_CARD:
        try:
            card = json.loads(value)
        except (ValueError, RecursionError):
            return None
        return card.get("license_name") if isinstance(card, dict) else None
    return None


def _date(value: Any, floor: str, ceiling: str) -> str | None:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        value = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(value, str) and not value.endswith("Z"):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        value = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return hub_date(value, floor, ceiling)


def _records(
    cols: dict[str, list[Any]], orgs: list[str], day: TableDay, ceiling: str, names: Names, has_tags: bool
) -> None:
    n = len(cols["id"])
    empty = [None] * n
    get = {c: cols.get(c, empty) for c in (*CHEAP, "tags", "cardData")}
    for i in range(n):
        raw_id = cols["id"][i]
        org = _owner(raw_id, orgs) if isinstance(raw_id, str) else None
        if org is None:
            continue  # another account whose name starts alike in another case (ASCII rule)
        repo_id = text(raw_id)
        if repo_id is None:
            day.skipped[org] += 1
            continue
        described = cols["_described"][i] if "_described" in cols else True
        tags = _tags(get["tags"][i]) if has_tags and described else None
        lic = None
        if has_tags and not described:
            # No commit since the stored state (same lastModified): the licence is the stored one.
            stored = names(repo_id)
            lic = licenses.License(stored[2], stored[0], stored[1]) if stored else None
        elif has_tags:
            lic = licenses.from_hub(tags, _card_name(get["cardData"][i]))
            stored = names(repo_id)
            if (
                lic.key == "other"
                and stored is not None
                and (stored[0] or "").lower() == "other"
                and stored[1]
            ):
                lic = licenses.License(stored[2], lic.tag, stored[1])  # the stored name, tag unchanged
        base, relation = base_from_tags(tags or [])
        raw = {c: get[c][i] for c in CHEAP}
        # As a sync (hub/parse.py): safetensors' total, else (none sent) the GGUF header's.
        sent_parameters = (
            raw["safetensors.total"] if raw["safetensors.total"] is not None else raw["gguf.total"]
        )
        rec = ModelRecord(
            hub_id="",
            repo_id=repo_id,
            created_at=_date(raw["createdAt"], CREATED_FLOOR, ceiling),
            last_modified=_date(raw["lastModified"], MODIFIED_FLOOR, ceiling),
            downloads_30d=count(_num(raw["downloads"])),
            downloads_all_time=count(_num(raw["downloadsAllTime"])),
            likes=count(_num(raw["likes"])),
            trending=score(_num(raw["trendingScore"])),
            license=lic,  # type: ignore[arg-type]  # None: not known that day
            pipeline_tag=text(raw["pipeline_tag"]),
            library_name=text(raw["library_name"]),
            parameters=count(_num(sent_parameters)),
            gated=_gated(_boolean(raw["gated"])) if raw["gated"] is not None else None,
            base_model=base,
            base_relation=relation,
            sha=None,
            described=described,
        )
        rec.odd = sum(
            1
            for stored_v, sent in (
                (rec.created_at, raw["createdAt"]), (rec.downloads_30d, raw["downloads"]),
                (rec.downloads_all_time, raw["downloadsAllTime"]), (rec.likes, raw["likes"]),
                (rec.trending, raw["trendingScore"]),
                # Parameters only where read for this row (whether a row not read whole has them
                # depends on its neighbours in the row group).
                *([(rec.parameters, sent_parameters)] if described else []),
            )
            if stored_v is None and sent not in (None, "")
        )  # fmt: skip
        day.odd += rec.odd
        day.rows[org].append(rec)


_NUMBER = re.compile(r"-?[0-9]{1,20}")


def _num(value: Any) -> Any:
    """A number as it came (Parquet), or read from text (CSV): an integer, else a finite float, else None."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if _NUMBER.fullmatch(value):
        return int(value)
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _boolean(value: Any) -> Any:
    """`gated` as text (CSV) or a boolean: False/True for the words, else the text itself."""
    if isinstance(value, str) and value.strip().lower() in ("false", "true"):
        return value.strip().lower() == "true"
    return value


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__
