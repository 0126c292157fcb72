"""`oss-tracker export DIR --format csv|parquet` (issue 14 point 9): every table and view out, one
file each, into a new or empty folder, never through a symlink; CSV safe to open in a spreadsheet
yet exact once un-prefixed; Parquet exact; one state of the database whatever a sync writes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oss_tracker.store.open import SCHEMA
from tests.conftest import ROOT, copy_db, dump, run
from tests.test_output_safety import CLS, CR_ID, FORMULA, NL_ID, RLO_ID, hostile  # noqa: F401 (a fixture)

# What the export must hold: every table and view but SQLite's own and the migrations' bookkeeping.
OBJECTS = """SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')
             AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations' ORDER BY type = 'view', name"""


def stored(db: Path, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        cursor = conn.execute(f'SELECT * FROM "{name}"')
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        conn.close()


def objects(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(OBJECTS).fetchall()
    finally:
        conn.close()


def unprefixed(cell: str) -> str:
    """The documented way back from a CSV text cell to the stored value."""
    return cell[1:] if cell.startswith("'") else cell


def as_csv(value: Any) -> str:
    return "" if value is None else str(value)


def test_csv_export_has_every_table_and_view_and_reads_back(bundled_history: Path, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"  # made, parents too
    result = run("export", str(out), "--db", str(bundled_history))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out}\n"
    expected = objects(bundled_history)
    # 21 tables (the 6 of families and kind_companies among them) and 5 views, a file each
    assert len(expected) == 26 and ("org_daily", "view") in expected and ("family_days", "table") in expected
    assert ("kind_companies", "table") in expected
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(os.listdir(out)) == sorted([f"{n}.csv" for n, _ in expected] + ["manifest.json"])
    total = 0
    for entry, (name, kind) in zip(manifest["files"], expected, strict=True):
        columns, rows = stored(bundled_history, name)
        assert (entry["name"], entry["type"], entry["file"], entry["rows"], entry["columns"]) == (
            name, kind, f"{name}.csv", len(rows), columns
        )  # fmt: skip
        with open(out / entry["file"], newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
        assert table[0] == columns
        # Every value, as the stored one (NULL an empty field), once a leading ' is taken off text.
        assert [[unprefixed(c) for c in row] for row in table[1:]] == [
            [as_csv(v) for v in r] for r in rows
        ], name
        total += len(rows)
    assert (manifest["format"], manifest["as_of"]) == ("csv", "2025-11-27T06:00:00Z")
    assert manifest["schema"][0] == "m001_initial" and sorted(manifest["schema"]) == sorted(SCHEMA)
    # The bundled days are replayed demo data: the export says so, as every report does.
    demo = "demo data: replayed from a recording, not fetched from the Hub (the bundled demo's numbers are partly invented)"
    assert (manifest["source"], manifest["source_note"]) == ("replay", demo)
    assert result.stderr == (
        f"export ok: 21 tables and 5 views, {total:,} rows, csv files and manifest.json in {out} · {demo}\n"
    )
    assert (out / "models.csv").read_text().splitlines()[0] == (
        "id,hub_id,repo_id,org_id,created_at,last_modified,license,license_tag,license_name,pipeline_tag,"
        "library_name,parameters,gated,base_model,base_relation,sha,first_seen,first_seen_run,last_seen,"
        "last_seen_run,removed_at,removed_run,kind,kind_inferred,kind_basis,architecture,model_type,"
        "context_length,active_parameters,providers,papers"
    )


def test_parquet_export_is_exact(bundled_history: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "pq"
    result = run("export", str(out), "--format", "parquet", "--db", str(bundled_history))
    assert result.exit_code == 0, result.stderr
    for name, _kind in objects(bundled_history):
        columns, rows = stored(bundled_history, name)
        table = pq.read_table(out / f"{name}.parquet")
        assert table.column_names == columns
        assert [tuple(r.values()) for r in table.to_pylist()] == rows, name
    types = {f.name: str(f.type) for f in pq.read_schema(out / "model_snapshots.parquet")}
    assert types == {"run_id": "int64", "model_id": "int64", "downloads_30d": "int64",
                     "downloads_all_time": "int64", "likes": "int64", "trending": "double"}  # fmt: skip


@pytest.fixture
def hostile_db(hostile: tuple[Path, Any]) -> Path:  # noqa: F811 (the fixture imported above)
    """The hostile history of tests/test_output_safety.py (formulas, controls, markup in its fields)."""
    return hostile[0]


def test_csv_export_neutralises_formulas_and_keeps_values_exact(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "h"
    done = run("export", str(out), "--db", str(hostile_db))
    assert done.exit_code == 0 and "demo data" not in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["source"], manifest["source_note"]) == ("hub", None)  # synced from a Hub (the fake one)
    with open(out / "models.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    cells = {
        r["repo_id"]: (r["license"], r["license_name"], r["pipeline_tag"], r["library_name"]) for r in table
    }
    assert cells[RLO_ID] == ("'@sum(1)", "'@SUM(1)", "'-x", "' =1+1")  # = after a blank too
    assert cells[CR_ID] == ("x\ry", "", "'\t=1+1", "'-1")  # a control character is kept (quoted)
    assert cells[NL_ID][2:] == ("'+1", "'@x")
    assert cells[CLS][3] == "'" + FORMULA
    for row in table:  # and back, exactly
        assert row["repo_id"] == unprefixed(row["repo_id"])
    _columns, rows = stored(hostile_db, "models")
    assert [[unprefixed(c) for c in r.values()] for r in table] == [[as_csv(v) for v in r] for r in rows]


def test_parquet_keeps_hostile_strings_exact(hostile_db: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "h"
    assert run("export", str(out), "-f", "parquet", "--db", str(hostile_db)).exit_code == 0
    _columns, rows = stored(hostile_db, "models")
    assert [tuple(r.values()) for r in pq.read_table(out / "models.parquet").to_pylist()] == rows


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_existing_folder_must_be_empty_and_no_symlink_is_followed(
    bundled_history: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine\n")
    a_file = tmp_path / "file"
    a_file.write_text("x\n")
    before = dump(bundled_history)
    cases = {
        link: f"{link} is a symbolic link: export into a new folder",
        full: f"{full} is not empty: export into a new or empty folder",
        a_file: f"{a_file} is not a folder: export into a new folder",
    }
    for folder, line in cases.items():
        result = run("export", str(folder), "-f", fmt, "--db", str(bundled_history))
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"oss-tracker: error: {line}\n")
    assert os.listdir(target) == [] and os.listdir(full) == ["notes.txt"] and a_file.read_text() == "x\n"
    assert dump(bundled_history) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("export", str(empty), "-f", fmt, "--db", str(bundled_history)).exit_code == 0
    assert "manifest.json" in os.listdir(empty)


def test_no_database_makes_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", str(out), "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1 and result.stderr.startswith("oss-tracker: error: no database at ")
    assert not out.exists()


HIDDEN = "import sys; sys.modules['pyarrow'] = None; from oss_tracker.cli import main; sys.argv[0] = 'oss-tracker'; main()"


def test_parquet_without_pyarrow_is_one_line_and_csv_needs_none(
    bundled_history: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def export(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", HIDDEN, "export", *args, "--db", str(bundled_history)],
                              capture_output=True, text=True, timeout=60, env=env)  # fmt: skip

    refused = export(str(tmp_path / "pq"), "--format", "parquet")
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1, "", "oss-tracker: error: --format parquet needs pyarrow: pip install 'oss-tracker[export]' "
               "(from a clone: pip install -e '.[export]'), or export --format csv\n",
    )  # fmt: skip
    assert not (tmp_path / "pq").exists()
    done = export(str(tmp_path / "csv"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "csv" / "manifest.json").exists()


def test_the_export_reads_one_state_while_a_sync_writes(bundled_history: Path, tmp_path: Path) -> None:
    """A run committed by another connection while the export is under way is in none of its files."""
    from oss_tracker.store.export import export

    db = copy_db(bundled_history, tmp_path / "t.db")
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    reader = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)

    def meanwhile(name: str) -> None:
        if name == "derivative_counts":  # the first file: the export's transaction has begun
            with writer:
                writer.execute(
                    """INSERT INTO runs (started_at, finished_at, day, endpoint, orgs, status, requests, tool_version)
                       VALUES ('2025-11-28T06:00:00Z', '2025-11-28T06:01:00Z', '2025-11-28', 'x', '[]', 'ok', 1, 't')"""
                )

    done = export(reader, tmp_path / "out", "csv", progress=meanwhile)
    runs = next(e for e in done if e.name == "runs")
    assert runs.rows == 3
    assert len((tmp_path / "out" / "runs.csv").read_text().splitlines()) == 4  # header and 3 runs
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["as_of"] == "2025-11-27T06:00:00Z"
    assert writer.execute("SELECT count(*) FROM runs").fetchone() == (4,)


def test_a_failed_export_leaves_the_folder_empty(bundled_history: Path, tmp_path: Path) -> None:
    from oss_tracker.store.export import export

    reader = sqlite3.connect(f"{bundled_history.absolute().as_uri()}?mode=ro", uri=True)
    seen: list[str] = []

    def interrupted(name: str) -> None:
        seen.append(name)
        if name == "models":
            raise KeyboardInterrupt

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        export(reader, out, "csv", progress=interrupted)
    assert seen[-1] == "models" and len(seen) > 3
    assert os.listdir(out) == []


def test_an_odd_column_type_is_written_as_text_in_parquet(tmp_path: Path, bundled_history: Path) -> None:
    """SQLite types values, not columns: a text in an INTEGER column (which the tool never writes)
    does not stop a Parquet export; that column is written as text, every value kept."""
    import pyarrow.parquet as pq

    db = copy_db(bundled_history, tmp_path / "odd.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE runs SET requests = 'many' WHERE id = 3")
    conn.close()
    assert run("export", str(tmp_path / "pq"), "-f", "parquet", "--db", str(db)).exit_code == 0
    table = pq.read_table(tmp_path / "pq" / "runs.parquet")
    assert str(table.schema.field("requests").type) == "string"
    assert table.column("requests").to_pylist() == ["450", "450", "many"]
    assert str(table.schema.field("id").type) == "int64"


def test_help_names_the_formats() -> None:
    text = run("export", "-h").stdout
    assert "Usage: oss-tracker export [OPTIONS] {DIR}" in text
    assert io.StringIO(text).read().count("oss-tracker export ") >= 2


@pytest.mark.parametrize(
    "name", ["/../../escaped", "../escaped", "a/b", "..", "ok.csv", "tab\tname", ""], ids=repr
)
def test_a_table_or_view_name_that_is_no_plain_name_is_refused(
    bundled_history: Path, tmp_path: Path, name: str
) -> None:
    """A view named `/../../escaped` (someone's, or a hostile file's) became a file name: the export
    wrote `escaped.csv` outside its folder. Only plain names are exported; anything else is
    refused in one line before a file is written or the folder made."""
    db = copy_db(bundled_history, tmp_path / "evil.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(f"CREATE VIEW \"{name.replace(chr(34), chr(34) * 2)}\" AS SELECT 1 AS a, '=cmd' AS b")
    conn.close()
    out = tmp_path / "deep" / "er" / "out"
    result = run("export", str(out), "--db", str(db))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("oss-tracker: error: the database holds a view named ")
    assert result.stderr.endswith(
        ", which cannot be a file name in the export: export refused, nothing written (rename or drop it)\n"
    )
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "deep").exists() and not (tmp_path / "escaped.csv").exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"evil.db", "evil.db-wal", "evil.db-shm"}


def test_a_view_s_malformed_json_is_a_database_error_not_a_damaged_file(
    bundled_history: Path, tmp_path: Path
) -> None:
    """SQLite says "malformed JSON" for json_extract('not json'): the file is sound, and the
    message must not send anyone to restore a backup."""
    db = copy_db(bundled_history, tmp_path / "t.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("CREATE VIEW zzz_bad AS SELECT json_extract('not json', '$') AS x")
    conn.close()
    result = run("export", str(tmp_path / "out"), "--db", str(db))
    assert (result.exit_code, result.stderr) == (1, "oss-tracker: error: database error: malformed JSON\n")
    assert os.listdir(tmp_path / "out") == []  # a failed export leaves its folder empty
