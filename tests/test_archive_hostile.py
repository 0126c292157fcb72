"""`oss-tracker backfill` against a hostile archive: what its servers, listing and files may do to the
machine (credentials sent where they must not go, memory, a hang, a listing without end), and that
each costs at most its day, never a secret, the memory or the run.

The archive is the fake Hub's dataset repo (tests/fakehub_archive.py) or a local folder, built
from the fixture worlds (fixtures/build_archive.py). No network.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from fixtures.build_archive import archive_table, parquet_bytes
from tests.conftest import load_world, rows, run
from tests.fakehub import FakeHub
from tests.fakehub_archive import Answer, ArchiveCommit, ArchiveRepo, ContentServer, sha_of
from tests.test_backfill import DAYS, SMALL, backfill, history, org_sums, world_sums


@pytest.fixture(scope="module")
def worlds() -> dict[str, dict[str, Any]]:
    return {day: load_world(day) for day in DAYS}


@pytest.fixture(scope="module")
def parquet(worlds: dict[str, dict[str, Any]]) -> dict[str, bytes]:
    return {day: parquet_bytes(archive_table(worlds[day])) for day in DAYS}


@pytest.fixture(scope="module")
def shared_hub(worlds: dict[str, dict[str, Any]]) -> Any:
    with FakeHub(worlds["2025-11-27"]) as fake:
        yield fake


@pytest.fixture
def hub(shared_hub: FakeHub, parquet: dict[str, bytes]) -> FakeHub:
    shared_hub.reset()
    shared_hub.archive = ArchiveRepo(history(parquet))
    return shared_hub


def test_an_endpoints_own_credentials_never_reach_the_content_host(
    shared_hub: FakeHub, tmp_path: Path, parquet: dict[str, bytes], worlds: dict[str, Any]
) -> None:
    """An endpoint given as http://user:password@host goes to that host as HTTP Basic credentials;
    the content host `resolve` redirects to is another origin and gets no Authorization at all."""
    shared_hub.reset()
    with ContentServer() as content_host:
        shared_hub.archive = ArchiveRepo(history(parquet), content=content_host)
        db = tmp_path / "b.db"
        endpoint = shared_hub.url.replace("http://", "http://alice:s3cret@")
        result = run("backfill", "--db", str(db), "--now", "2025-12-01T00:00:00Z", "--endpoint", endpoint,
                     *[a for o in SMALL for a in ("--org", o)])  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert content_host.seen and [s["authorization"] for s in content_host.seen] == [None] * len(
            content_host.seen
        )
    # The endpoint itself got them (base64 of alice:s3cret), on every request of the archive.
    archive = [r for r in shared_hub.requests if "hub-stats" in r["path"]]
    assert archive and {r["authorization"] for r in archive} == {"Basic YWxpY2U6czNjcmV0"}
    assert "s3cret" not in result.stderr
    for day in DAYS:
        assert org_sums(db, day) == world_sums(worlds[day], SMALL)


def test_a_range_read_dense_with_json_punctuation_is_no_json_answer(
    shared_hub: FakeHub, tmp_path: Path, worlds: dict[str, Any]
) -> None:
    """An uncompressed file whose `tags` hold 1.2 million `{` in one row group: a range answer of
    the file's bytes is not JSON, and the guard against answers of countless JSON values does not
    refuse it (it did: the day could never be imported)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = archive_table(worlds["2025-11-24"], filler=20)
    tags = table.column("tags").to_pylist()
    ids = table.column("id").to_pylist()
    filler = next(i for i, r in enumerate(ids) if r.startswith("user"))
    tags[filler] = ["{" * 1_200_000]
    table = table.set_column(
        table.schema.get_field_index("tags"), "tags", pa.array(tags, pa.list_(pa.string()))
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none", use_dictionary=False, row_group_size=10_000)
    shared_hub.reset()
    shared_hub.archive = ArchiveRepo(
        [ArchiveCommit(sha_of("dense"), "2025-11-24T13:05:00.000Z", "Upload models.parquet", {"models.parquet": buf.getvalue()})]
    )  # fmt: skip
    db = tmp_path / "v.db"
    result = backfill(shared_hub, db)
    assert result.exit_code == 0, result.stderr
    assert org_sums(db, "2025-11-24") == world_sums(worlds["2025-11-24"], SMALL)
    # The tags were read (the licences are the worlds'), in one answer of more than a million values.
    assert rows(db, "SELECT license FROM models WHERE repo_id = 'MiniMaxAI/MiniMax-M2'") == [("mit",)]


def _lying(data: bytes, claim: int) -> bytes:
    """The file with its footer length replaced by `claim`."""
    return data[:-8] + claim.to_bytes(4, "little") + b"PAR1"


def test_a_lying_footer_or_column_chunk_is_refused_before_it_is_read(
    tmp_path: Path, parquet: dict[str, bytes], worlds: dict[str, Any]
) -> None:
    """A footer that claims 400 MB is not read (pyarrow would read what it claims, into memory):
    the day is unreadable, in a child process whose peak memory stays far below the claim. A footer
    whose column chunk claims more than the file holds is refused the same way."""
    import pyarrow.parquet as pq

    folder = tmp_path / "lie"
    day = folder / "models" / "2025-11-24"
    day.mkdir(parents=True)
    big = 400 * 2**20
    with open(day / "models.parquet", "wb") as f:  # 400 MB, sparse: no disk used
        f.truncate(big)
        f.seek(big - len(parquet["2025-11-24"]))
        f.write(_lying(parquet["2025-11-24"], big - 12))
    code = (
        "import sys\n"
        "from oss_tracker.cli import main\n"
        f"sys.argv = ['oss-tracker', 'backfill', '--db', {str(tmp_path / 'l.db')!r}, '--source', {str(folder)!r},"
        " '--org', 'MiniMaxAI', '--now', '2025-12-01T00:00:00Z']\n"
        "try:\n    main()\n"
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would count this test
        # process's own pages at the fork (a large pytest process), not only what the child used.
        "finally:\n    print('PEAK', [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0],"
        " file=sys.stderr)\n"
    )
    import oss_tracker

    src = str(Path(oss_tracker.__file__).parent.parent)  # the package under test, wherever it is
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": src})  # fmt: skip
    assert done.returncode == 1, done.stderr
    first = done.stderr.splitlines()[0]
    assert first == (
        "backfill failed: 0 day(s) imported, 1 day(s) unreadable — 2025-11-24: not a readable Parquet "
        f"file (its footer claims {big - 12:,} bytes)"
    )
    peak_kib = int(done.stderr.split("PEAK ")[1].split()[0])
    assert peak_kib < 300 * 1024  # the interpreter and pyarrow: far below the 400 MB claimed
    # A chunk claiming bytes past the file's end: refused from the footer, nothing of it read.
    data = parquet["2025-11-25"]
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    chunk = meta.row_group(0).column(0)
    assert chunk.path_in_schema == "id"
    other = tmp_path / "chunk" / "models" / "2025-11-25"
    other.mkdir(parents=True)
    (other / "models.parquet").write_bytes(data[: len(data) // 2] + data[len(data) // 2 :])
    from oss_tracker.hub.archive_table import MAX_CHUNK, Unreadable, check_chunks, open_parquet

    with open(other / "models.parquet", "rb") as f:
        pf = open_parquet(f)
        with pytest.raises(Unreadable, match=r"row group 0's `id` claims"):
            check_chunks(pf, ["id"], chunk.total_compressed_size)  # as if the file were that short
        check_chunks(pf, ["id", "tags"], len(data))  # the real size: every chunk fits
    assert MAX_CHUNK == 512 * 2**20


def test_a_fifo_put_in_place_of_a_days_file_does_not_hang_the_backfill(
    tmp_path: Path, parquet: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 25th's file is a FIFO by the time it is opened, though every look at its path said a
    regular file (`os.stat` answers for it as it was: a swap after a check). The day is unreadable,
    said, the others are imported, and nothing waits on the FIFO (it is opened without blocking
    and checked on its descriptor)."""
    folder = tmp_path / "copy"
    for day in DAYS:
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        target.write_bytes(parquet[day])
    fifo = folder / "models" / "2025-11-25" / "models.parquet"
    regular = os.stat(fifo)
    fifo.unlink()
    os.mkfifo(fifo)
    real_stat = os.stat

    def stale_stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        return regular if os.fspath(path) == str(fifo) else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stale_stat)
    db = tmp_path / "f.db"
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.update(result=backfill(None, db, "--source", str(folder))))
    worker.start()
    worker.join(timeout=30)
    monkeypatch.setattr(os, "stat", real_stat)
    if worker.is_alive():  # a writer opens the FIFO, which frees the reader, before the test fails
        with open(fifo, "wb"):
            pass
        worker.join(timeout=10)
        pytest.fail("the backfill hung on a FIFO")
    result = box["result"]
    assert result.exit_code == 3, result.stderr
    assert result.stderr.endswith(f"1 day(s) unreadable — 2025-11-25: {fifo} is not a regular file\n")
    assert rows(db, "SELECT day FROM runs ORDER BY day") == [("2025-11-24",), ("2025-11-27",)]


@pytest.mark.parametrize("then", ["empty pages", "the first page again"])
def test_a_commit_listing_without_end_stops_and_since_stops_it_early(
    hub: FakeHub, tmp_path: Path, then: str
) -> None:
    """A listing whose pages keep a `next` link (empty pages, or the same commits again) ends at the
    first page that brings nothing new, not after 2,000 requests; and with --since the listing
    stops once it is past the day before it."""
    repo = hub.archive
    real = repo._commits
    served: list[int] = []

    def endless(route: str, query: list[tuple[str, str]], host: str) -> Answer:
        page = int(dict(query).get("p", "0"))
        served.append(page)
        # 7 commits, 2 a page, newest first: 27d 27m | 26d 25d | 25m 24d | 24m; from page 3 on, for ever:
        answer = real(route, [("p", "0")] if page >= 3 and then != "empty pages" else query, host)
        if page >= 3 and then == "empty pages":
            answer.body = b"[]"
        answer.headers["Link"] = (
            f'<http://{host}/api/datasets/{repo.repo}/commits/main?p={page + 1}>; rel="next"'
        )
        return answer

    repo._commits = endless  # type: ignore[method-assign]
    db = tmp_path / "e.db"
    result = backfill(hub, db)
    assert served == [0, 1, 2, 3]
    # The listing was cut: its oldest day (the 24th, whose last commit came on page 2) cannot be told
    # from the day before it, so it is not planned; the 26th is a gap (no models upload).
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT day FROM runs ORDER BY day") == [("2025-11-25",), ("2025-11-27",)]
    # --since: the listing (a commit a page, newest first) stops at the first commit older than the
    # day before --since; nothing older is asked for.
    hub.reset()
    hub.archive = ArchiveRepo(history({d: d.encode() for d in DAYS}), page_size=1)
    served.clear()
    plain = hub.archive._commits

    def counted(route: str, query: list[tuple[str, str]], host: str) -> Answer:
        served.append(int(dict(query).get("p", "0")))
        return plain(route, query, host)

    hub.archive._commits = counted  # type: ignore[method-assign]
    quick = backfill(hub, tmp_path / "s.db", "--since", "2025-11-27")
    # 27d, 27m, 26d (the day before --since), 25d (older: the end).
    assert served == [0, 1, 2, 3]
    assert quick.exit_code == 1
    assert quick.stderr == (
        "backfill failed: 0 day(s) imported, 1 day(s) unreadable — 2025-11-27: not a readable Parquet file (too short)\n"
    )
