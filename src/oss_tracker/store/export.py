"""`export DIR`: every table and view of the database, one file each (CSV, or Parquet through
pyarrow), into a new or empty folder, with `manifest.json` written last.

The whole export reads one state of the file (one read transaction: a sync running meanwhile
is not half in it). Each file is written under a temporary name and renamed when complete, and
nothing is written through a symlink (files.empty_folder, files.create_new): a file in the
folder is whole, the manifest lists them once all are, and an export that fails removes what it
wrote (the folder is left empty, as it was).

CSV is the raw data for tools (pandas, R, DuckDB, `sqlite-utils insert`), as stored: NULL is an
empty field; one exception keeps it safe to open in a spreadsheet (the project's rule for
strings from outside): a text value that a spreadsheet would run as a formula (its first
non-blank character `=`, `+`, `-` or `@`, or a leading tab or CR), and any text beginning with
`'`, is written with one `'` before it, so that stripping one leading `'` from every text cell
that has one gives back the exact value. Parquet keeps every value exactly.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oss_tracker.files import create_new, empty_folder

FORMATS = ("csv", "parquet")
MANIFEST = "manifest.json"
BATCH = 50_000  # rows read and written at a time: memory stays flat whatever the table's size
# Not history: SQLite's own tables and the migrations' bookkeeping.
SKIPPED = ("sqlite_%", "\\_sqlite\\_migrations")


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a table or view name that is safe as a file name


class ExportError(Exception):
    """An export that cannot be made (no pyarrow for Parquet, a folder refused); the message says why."""


@dataclass
class Exported:
    name: str
    type: str  # table | view
    file: str
    rows: int
    columns: list[str] = field(default_factory=list)


def need_pyarrow() -> None:
    """Before any work: Parquet needs pyarrow, an optional extra."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ExportError(
            "--format parquet needs pyarrow: pip install 'oss-tracker[export]' "
            "(from a clone: pip install -e '.[export]'), or export --format csv"
        ) from None


def objects(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The tables and views to export, (name, type): tables first, by name."""
    return [
        (str(n), str(t))
        for n, t in conn.execute(
            """SELECT name, type FROM sqlite_master
               WHERE type IN ('table', 'view') AND name NOT LIKE ? AND name NOT LIKE ? ESCAPE '\\'
               ORDER BY type = 'view', name""",
            list(SKIPPED),
        ).fetchall()
    ]


def export(
    conn: sqlite3.Connection,
    folder: Path,
    fmt: str,
    *,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    source: tuple[str, str] = ("", ""),
) -> list[Exported]:
    """Write every table and view into `folder` (new or empty) as `NAME.csv` or `NAME.parquet`,
    then `manifest.json`; the files written, in order. `source`: where the runs came from and a
    note (the demo's label), said in the manifest."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: {' or '.join(FORMATS)}")
    if fmt == "parquet":
        need_pyarrow()
    listed = objects(conn)
    for name, kind in listed:
        # A name becomes a file name: one from someone else's table or view (`/../../x`, `a/b`,
        # `..`) could write outside the folder. Only plain names are exported; the schema's are.
        if not _PLAIN.fullmatch(name):
            raise ExportError(
                f"the database holds a {kind} named {name!r}, which cannot be a file name in the export: "
                "export refused, nothing written (rename or drop it)"
            )
    from oss_tracker.files import UnusableFolder

    try:
        dir_fd = empty_folder(folder, "export")
    except UnusableFolder as err:
        raise ExportError(str(err)) from None
    write = _write_csv if fmt == "csv" else _write_parquet
    done: list[Exported] = []
    try:
        # One read transaction for every file: the state of one moment, whatever a sync writes.
        conn.execute("BEGIN")
        as_of = conn.execute("SELECT max(started_at) FROM runs WHERE status IN ('ok', 'partial')").fetchone()[
            0
        ]
        for name, kind in listed:
            if progress is not None:
                progress(name)
            file = f"{name}.{fmt}"
            rows, columns = _atomically(folder, file, dir_fd, lambda f, n=name: write(conn, n, f))
            done.append(Exported(name, kind, file, rows, columns))
        manifest = {
            "format": fmt,
            "exported_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "as_of": as_of,
            "schema": [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = 'oss_tracker' ORDER BY applied_at, name"
                ).fetchall()
            ],
            "source": source[0] or None,
            "source_note": source[1] or None,
            "csv_text_rule": CSV_RULE if fmt == "csv" else None,
            "files": [asdict(e) for e in done],
        }
        _atomically(
            folder, MANIFEST, dir_fd, lambda f: f.write(json.dumps(manifest, indent=2).encode() + b"\n")
        )
    except BaseException:
        # A failed export leaves the folder as it found it, empty: no file that looks whole.
        for e in done:
            with contextlib.suppress(OSError):
                os.unlink(e.file, dir_fd=dir_fd)
        raise
    finally:
        conn.rollback()
        os.close(dir_fd)
    return done


CSV_RULE = (
    "NULL is an empty field; a text value beginning with ' or, after blanks, with = + - @ (or with a tab "
    "or CR) has one ' put before it: strip one leading ' from a text cell to get the exact value"
)


def _atomically(folder: Path, name: str, dir_fd: int, fill: Callable[[Any], Any]) -> Any:
    """`fill` a binary file, written as `.NAME.part` then renamed to NAME once whole; on any
    failure the partial file is removed."""
    part = f".{name}.part"
    fd = create_new(folder, part, dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            result = fill(f)
        os.rename(part, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part, dir_fd=dir_fd)
        raise
    return result


def _rows(conn: sqlite3.Connection, name: str) -> tuple[list[str], Iterator[list[tuple[Any, ...]]]]:
    cursor = conn.execute(f'SELECT * FROM "{name}"')  # a name from sqlite_master, quoted
    columns = [d[0] for d in cursor.description]

    def batches() -> Iterator[list[tuple[Any, ...]]]:
        while batch := cursor.fetchmany(BATCH):
            yield batch

    return columns, batches()


FORMULA_START = ("=", "+", "-", "@")


def csv_value(value: Any) -> Any:
    """A value as the CSV export writes it: see the module's docstring."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value[:1] in ("'", "\t", "\r") or value.lstrip()[:1] in FORMULA_START:
            return "'" + value
        return value
    if isinstance(value, bytes):
        return value.hex()
    return value


def _write_csv(conn: sqlite3.Connection, name: str, f: Any) -> tuple[int, list[str]]:
    import csv
    import io

    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
    # RFC 4180's CRLF between records: then a value holding a CR or a LF is quoted (the csv module
    # quotes what holds a character of the line terminator), so a bare CR never splits a record.
    writer = csv.writer(text, lineterminator="\r\n")
    columns, batches = _rows(conn, name)
    writer.writerow(columns)
    n = 0
    for batch in batches:
        writer.writerows([csv_value(v) for v in row] for row in batch)
        n += len(batch)
    text.flush()
    text.detach()  # the file is closed by its owner
    return n, columns


# -- Parquet ---------------------------------------------------------------------------------------
def _declared(conn: sqlite3.Connection, name: str) -> dict[str, str]:
    """Each column's declared type (views give theirs for plain column references, else '')."""
    return {
        str(r[1]): str(r[2] or "").upper() for r in conn.execute(f'PRAGMA table_info("{name}")').fetchall()
    }


def _arrow_type(declared: str, values: list[Any]) -> Any:
    """The Arrow type of a column: from its declared type (SQLite's affinity rules), else from its
    first values."""
    import pyarrow as pa

    if "INT" in declared:
        return pa.int64()
    if any(t in declared for t in ("CHAR", "CLOB", "TEXT")):
        return pa.string()
    if any(t in declared for t in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    seen = {type(v) for v in values if v is not None}
    if seen == {int}:
        return pa.int64()
    if seen and seen <= {int, float}:
        return pa.float64()
    if seen == {bytes}:
        return pa.binary()
    return pa.string()


class _Mismatch(Exception):
    """A value that does not fit its column's Arrow type (SQLite types each value, not columns)."""

    def __init__(self, column: str) -> None:
        self.column = column


def _write_parquet(conn: sqlite3.Connection, name: str, f: Any) -> tuple[int, list[str]]:
    """The table as Parquet, a row group a batch. A column holding values of another type than
    its first ones (possible in SQLite, never written by the tool) is written as text instead:
    the table is written again with that column as strings, every value kept."""
    as_text: set[str] = set()
    while True:
        f.seek(0)
        f.truncate()
        try:
            return _parquet_pass(conn, name, f, as_text)
        except _Mismatch as odd:
            as_text.add(odd.column)


def _parquet_pass(conn: sqlite3.Connection, name: str, f: Any, as_text: set[str]) -> tuple[int, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    declared = _declared(conn, name)
    columns, batches = _rows(conn, name)
    writer = None
    schema = None
    n = 0
    try:
        for batch in batches:
            by_column = list(zip(*batch, strict=True))
            if schema is None:
                schema = pa.schema(
                    [
                        pa.field(
                            c, pa.string() if c in as_text else _arrow_type(declared.get(c, ""), list(vals))
                        )
                        for c, vals in zip(columns, by_column, strict=True)
                    ]
                )
                writer = pq.ParquetWriter(f, schema)
            arrays = []
            for c, vals, fld in zip(columns, by_column, schema, strict=True):
                if c in as_text:
                    vals = tuple(
                        None if v is None else (v.hex() if isinstance(v, bytes) else str(v)) for v in vals
                    )
                try:
                    arrays.append(pa.array(vals, type=fld.type))
                except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
                    raise _Mismatch(c) from None
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))  # type: ignore[union-attr]
            n += len(batch)
        if writer is None:  # no row: the columns still, typed as declared
            schema = pa.schema(
                [
                    pa.field(c, pa.string() if c in as_text else _arrow_type(declared.get(c, ""), []))
                    for c in columns
                ]
            )
            writer = pq.ParquetWriter(f, schema)
            writer.write_table(schema.empty_table())
    finally:
        if writer is not None:
            writer.close()
    return n, columns
