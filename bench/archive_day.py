"""Backfill on archive days shaped like the real one: bytes fetched, memory, time, report latency.

    python bench/archive_day.py [--rows 3000000] [--group 100000] [--days 365] [--layout spread|sorted]
                                [--chain 10,50,5,5,5] [--out /tmp/oss-archive]

1. Generates (once; reused while they exist) synthetic `models.parquet` days of `--rows` rows in
   row groups of `--group`, streamed a row group at a time: every column the archive has, the
   heavy ones included (`tags` a list of ~12, `cardData` a JSON string of ~250 bytes of text,
   `siblings` ~8 file names, `sha` 40 hex digits, `config`, `gguf`, `safetensors`, `baseModels`),
   about 500 bytes a row, like the real 1.5 GB file of 3 M rows. The watched accounts' rows (the
   4 default accounts of fixtures/worlds/2025-11-24.json, 1,154 rows) are spread at random over
   every row group (`spread`), or the file is sorted by id (`sorted`: they sit in one or two row
   groups). The newest day holds the fixture world's state; `--chain` makes older days, each
   with that many more watched models modified between it and the day after it (an older
   `lastModified`), the same filler rows in the same places.
2. Single days, each backfill in a child: the newest day into a fresh database; an older day
   after it (the same file: no model modified; then the chain's first steps, 10 and 50 models
   modified): bytes read against the file's size, wall time, peak RSS (`/usr/bin/time`).
3. The usual order: a live sync of the four accounts (the fake Hub serving the fixture world)
   first, then one backfill of the whole chain (newest first, each day compared with the one
   imported after it); and the same backfill into a fresh database. Bytes per day.
4. The floor of a day: pyarrow reading the same column chunks alone (no records, no SQLite).
5. `--days` dates imported in one backfill into a fresh database, the newest file and the
   chain's first older one alternating (the chain's first step of models modified between any
   two days): wall time against `--days` times the floor of such a day.
6. Report latency on the resulting history against `oss-tracker --version` through the Typer
   app (the goal's reference, as in bench/report_latency.py).

The 1-minute load average is printed beside each time (2 cores: above 2 the CPUs were shared).
The files are read from the local disk (page cache warm after the first day): the floor and the
import read the same bytes the same way, so their ratio is what the writes and the record
building add. Over the network both would add the same transfer time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import OSS_TRACKER, ROOT, TYPER_VERSION, env, fakehub_process, machine, median, table

ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]
PIPELINES = ["text-generation", "image-classification", "text-to-image", "automatic-speech-recognition",
             "feature-extraction", "sentence-similarity", "token-classification", None]  # fmt: skip
LIBRARIES = ["transformers", "diffusers", "gguf", "peft", "sentence-transformers", "mlx", None]
COMMON_TAGS = ["transformers", "safetensors", "pytorch", "text-generation", "conversational", "region:us",
               "endpoints_compatible", "autotrain_compatible", "en", "gguf", "llama", "qwen2", "mistral"]  # fmt: skip
LICENSES = ["license:apache-2.0", "license:mit", "license:other", "license:cc-by-4.0", "license:llama3"]


def chain_paths(out: Path, rows: int, group: int, layout: str, chain: tuple[int, ...]) -> list[Path]:
    """The files of the chain of days: the newest first (day 0), then each older day."""
    base = out / f"models-{rows}-{group}-{layout}"
    return [base.with_suffix(".parquet")] + [
        out / f"{base.name}-older{k}-of-{'-'.join(map(str, chain[:k]))}.parquet"
        for k in range(1, len(chain) + 1)
    ]


def generate(
    paths: list[Path], rows: int, group: int, layout: str, chain: tuple[int, ...], seed: int = 7
) -> None:
    """The synthetic days, written a row group at a time (memory: one row group), all in one pass so
    that they share every filler row and every row's place. `paths[0]` is the newest day (the
    fixture world's state, which a live sync of the fake Hub stores too); `paths[k]` is `k` days
    older: the `chain[k - 1]` watched models modified between it and the day after it (and those of
    the newer steps) carry an older `lastModified`. The counts are the same every day: days that
    alternate (`--days`) must not have all-time counts going down every other day (each a drop
    the reports would list), and the bytes read do not depend on them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from fixtures.build_archive import archive_table

    rng = np.random.default_rng(seed)
    # The watched rows in the archive's shapes (the fixture builder's), plus a `sha` column.
    world = json.loads((ROOT / "fixtures" / "worlds" / "2025-11-24.json").read_text())
    world["models"] = [m for m in world["models"] if m["author"] in ORGS]
    # Models that can carry an older lastModified (an hour earlier, still after createdAt).
    movable = [
        i for i, m in enumerate(world["models"]) if _hours(m["lastModified"]) - _hours(m["createdAt"]) > 2
    ]
    order = [movable[i] for i in np.random.default_rng(seed + 1).permutation(len(movable))]
    if sum(chain) > len(order):
        raise SystemExit(f"the chain modifies {sum(chain)} models: only {len(order)} can be")
    days = []
    for k in range(len(paths)):
        older = set(order[: sum(chain[:k])])
        models = [
            {**m, "lastModified": _older(m["lastModified"])} if i in older else m
            for i, m in enumerate(world["models"])
        ]
        table = archive_table({**world, "models": models}, filler=0)
        days.append(table.append_column("sha", pa.array(["0" * 40] * table.num_rows)))
    schema = days[0].schema
    n_watched = days[0].num_rows
    n_groups = (rows + group - 1) // group
    if layout == "spread":
        slots = rng.choice(rows, size=n_watched, replace=False)
        where = {int(s): i for i, s in enumerate(slots)}
    else:  # sorted by id: the watched ids sort together
        where = {rows // 2 + i: i for i in range(n_watched)}
    tmps = [p.with_suffix(".tmp") for p in paths]
    writers = [pq.ParquetWriter(t, schema, compression="snappy") for t in tmps]
    try:
        for g in range(n_groups):
            start, n = g * group, min(group, rows - g * group)
            mine = [i for pos, i in where.items() if start <= pos < start + n]
            filler = _filler(rng, start, n - len(mine), schema)
            order_g = rng.permutation(n) if mine else None
            for day, writer in zip(days, writers, strict=True):
                table = filler
                if mine:
                    table = pa.concat_tables([filler, day.take(mine)]).take(pa.array(order_g))
                if layout == "sorted":
                    table = table.sort_by("id")
                writer.write_table(table, row_group_size=group)
            print(f"\r  row group {g + 1}/{n_groups}", end="", file=sys.stderr, flush=True)
    finally:
        for writer in writers:
            writer.close()
    print(file=sys.stderr)
    for tmp, path in zip(tmps, paths, strict=True):
        tmp.rename(path)


def _hours(iso_time: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp() / 3600


def _older(iso_time: str) -> str:
    """An hour earlier (the model's previous commit)."""
    from datetime import UTC, datetime, timedelta

    then = datetime.fromisoformat(iso_time.replace("Z", "+00:00")) - timedelta(hours=1)
    return then.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _strings(
    rng, n: int, low: int, high: int, alphabet: bytes = b"abcdefghijklmnopqrstuvwxyz0123456789-_ "
) -> object:
    """n random strings of low..high characters, built from buffers (no Python string per row)."""
    import numpy as np
    import pyarrow as pa

    lengths = rng.integers(low, high + 1, size=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.frombuffer(alphabet, dtype=np.uint8)[rng.integers(0, len(alphabet), size=int(offsets[-1]))]
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())).cast(
        pa.string()
    )


def _filler(rng, start: int, n: int, schema):
    """n rows of other accounts, every column filled the way the real file is."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    users = rng.integers(0, 400_000, size=n)
    names = _strings(rng, n, 6, 40, b"abcdefghijklmnopqrstuvwxyz0123456789-.")
    authors = pa.array([f"user{u:06d}" for u in users])
    ids = pc.binary_join_element_wise(authors, names, "/")
    created = pa.array(rng.integers(1_646_000_000_000, 1_764_000_000_000, size=n), pa.int64()).cast(
        pa.timestamp("ms", tz="UTC")
    )
    # tags: ~12 a row, mostly common ones, plus a licence, a base_model and an arxiv id
    k = rng.integers(6, 16, size=n)
    t_off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(k, out=t_off[1:])
    total = int(t_off[-1])
    pool = pa.array(COMMON_TAGS + LICENSES)
    values = pool.take(pa.array(rng.integers(0, len(pool), size=total)))
    uniq = pc.binary_join_element_wise(pa.array(["base_model:"] * total), _strings(rng, total, 10, 40), "")
    use_uniq = pa.array(rng.random(total) < 0.25)
    values = pc.if_else(use_uniq, uniq, values)
    tags = pa.ListArray.from_arrays(pa.array(t_off), values)
    # siblings: ~8 file names a row
    s = rng.integers(2, 14, size=n)
    s_off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(s, out=s_off[1:])
    files = _strings(rng, int(s_off[-1]), 8, 40)
    siblings = pa.ListArray.from_arrays(pa.array(s_off), pa.StructArray.from_arrays([files], ["rfilename"]))
    card = pc.binary_join_element_wise(
        pa.array(['{"license": "mit", "tags": ["x"], "description": "'] * n),
        _strings(rng, n, 50, 450),
        pa.array(['"}'] * n),
        "",
    )
    hexes = _strings(rng, n, 40, 40, b"0123456789abcdef")
    cols = {
        "id": ids,
        "author": authors,
        "downloads": pa.array(rng.integers(0, 10_000, size=n)),
        "downloadsAllTime": pa.array(rng.integers(0, 1_000_000, size=n)),
        "likes": pa.array(rng.integers(0, 200, size=n)),
        "trendingScore": pa.array(rng.random(n)),
        "createdAt": created,
        "lastModified": created,
        "pipeline_tag": pa.array(PIPELINES).take(pa.array(rng.integers(0, len(PIPELINES), size=n))),
        "library_name": pa.array(LIBRARIES).take(pa.array(rng.integers(0, len(LIBRARIES), size=n))),
        "tags": tags,
        "gated": pa.array(["false"] * n),
        "cardData": card,
        "siblings": siblings,
        "safetensors": pa.array([None] * n, schema.field("safetensors").type),
        "baseModels": pa.array([None] * n, schema.field("baseModels").type),
        "config": pa.StructArray.from_arrays(
            [
                pa.ListArray.from_arrays(
                    pa.array(np.arange(n + 1, dtype=np.int32)), pa.array(["LlamaForCausalLM"] * n)
                ),
                pa.array(["llama"] * n),
            ],
            ["architectures", "model_type"],
        ),  # fmt: skip
        "gguf": pa.StructArray.from_arrays(
            [pa.array(rng.integers(0, 10**10, size=n)), pa.array(["llama"] * n)], ["total", "architecture"]
        ),
        "sha": hexes,
    }
    return pa.table({f.name: cols[f.name].cast(f.type) for f in schema}, schema=schema)


def backfill(
    work: Path, name: str, db: Path, days: list[tuple[str, Path]], *, fresh: bool, hub: str | None = None
) -> dict:
    """One `oss-tracker backfill` of these (day, file) pairs (a local archive folder of links; with
    `hub`, the one day the fake Hub at that URL serves as `cfahlgren1/hub-stats`) into `db`
    (emptied first when `fresh`), in a child: wall time, its peak RSS, the 1-minute load when it
    started, and each imported day's bytes and the file's size, in the order they were imported."""
    import sqlite3

    folder = work / name / "models"
    if folder.exists():
        shutil.rmtree(folder)
    for day, file in days:
        (folder / day).mkdir(parents=True)
        (folder / day / "models.parquet").symlink_to(file)
    if fresh:
        for old in work.glob(db.name + "*"):
            old.unlink()
    before = _run_ids(db)
    argv = [OSS_TRACKER, "backfill", "--db", str(db)]
    if hub is None:
        argv += ["--source", str(folder.parent)]
    else:  # -v: the live listings' lines
        argv[1:1] = ["-v"]
        argv += ["--endpoint", hub, "--since", days[0][0], "--until", days[0][0]]
    argv += [f for o in ORGS for f in ("--org", o)]
    # Through /usr/bin/time: a child's ru_maxrss counts the parent's pages it was forked with
    # (this process, after generating a file, is large), not only what the command used.
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M %U %S", *argv], capture_output=True, text=True, env=env(work)
    )
    wall = time.perf_counter() - t0
    lines = proc.stderr.strip().splitlines()
    _, peak_kb, user, system = lines[-1].split()
    if proc.returncode != 0:
        sys.exit(f"backfill failed ({proc.returncode}): {proc.stderr.strip()}")
    # Imported newest first: in the order they were stored (each day's wall time is the gap
    # between its finish and the one before; the first day's includes start-up).
    sizes = {day: file.stat().st_size for day, file in days}
    runs = (
        sqlite3.connect(db)
        .execute("SELECT id, day, bytes_read FROM runs WHERE source = 'archive' ORDER BY finished_at, id")
        .fetchall()
    )
    return {"wall": wall, "cpu": float(user) + float(system), "peak_mib": int(peak_kb) / 1024, "load": load, "line": "\n".join(lines[:-1]).strip(),
            "runs": [{"day": d, "read": n, "size": sizes[d]} for i, d, n in runs if i not in before]}  # fmt: skip


def _run_ids(db: Path) -> set[int]:
    import sqlite3

    if not db.exists():
        return set()
    try:
        return {r[0] for r in sqlite3.connect(db).execute("SELECT id FROM runs")}
    except sqlite3.Error:
        return set()


def live_sync(work: Path, db: Path, now: str) -> tuple[float, str]:
    """The usual order: a live sync of the four accounts first (the fake Hub serving the fixture
    world, the newest day's state), into a fresh `db`. Its wall time and summary line."""
    for old in work.glob(db.name + "*"):
        old.unlink()
    world = ROOT / "fixtures" / "worlds" / "2025-11-24.json"
    with fakehub_process(world) as url:
        argv = [OSS_TRACKER, "sync", *[f for o in ORGS for f in ("--org", o)], "--derivatives", "none",
                "--endpoint", url, "--db", str(db), "--now", now]  # fmt: skip
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env(work))
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"sync failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, proc.stderr.strip()


class _Counted:
    def __init__(self, f) -> None:
        self.f, self.read_bytes = f, 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.read_bytes += len(data)
        return data

    def __getattr__(self, name: str):
        return getattr(self.f, name)


def floor(file: Path, columns: str = "snapshot", against: Path | None = None) -> tuple[float, int, float]:
    """pyarrow alone reading what a day's import reads: every row group's ids, then (`snapshot`)
    the snapshot's columns of the row groups holding watched rows, or (`all`) those and the
    descriptive ones and cardData (a first day). With `against` (the day imported just before),
    also the descriptive columns of the row groups holding a watched row whose `lastModified`
    differs from that day's. No records, no SQLite. (wall seconds, bytes read, CPU seconds)"""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "src"))
    from oss_tracker.hub.archive_table import CHEAP, SNAPSHOT_TIER, _pattern

    pattern = _pattern(ORGS)
    known: dict[str, object] = {}
    if against is not None:  # not timed: what the import learnt from the day before
        other = pq.ParquetFile(against)
        for g in range(other.num_row_groups):
            t = other.read_row_group(g, columns=["id", "lastModified"])
            t = t.take(
                pc.indices_nonzero(pc.match_substring_regex(t.column("id"), pattern, ignore_case=True))
            )
            known.update(zip(t.column("id").to_pylist(), t.column("lastModified").to_pylist(), strict=True))
    t0, c0 = time.perf_counter(), time.process_time()
    with open(file, "rb") as raw:
        f = _Counted(raw)
        pf = pq.ParquetFile(f, pre_buffer=True)
        names = pf.schema_arrow.names
        snap = [c for c in CHEAP if c in SNAPSHOT_TIER and c in names]
        more = [c for c in CHEAP if c not in SNAPSHOT_TIER and c != "gguf.total" and c.split(".")[0] in names]
        more += ["tags"]
        for g in range(pf.num_row_groups):
            ids = pf.read_row_group(g, columns=["id"]).column("id")
            hits = pc.indices_nonzero(pc.match_substring_regex(ids, pattern, ignore_case=True))
            if len(hits):
                ids_l = ids.take(hits).to_pylist()  # kept from the first read, as the import does
                cols = pf.read_row_group(g, columns=snap).take(hits)
                mods = cols.column("lastModified").to_pylist()
                if columns == "all":
                    whole = [True] * len(ids_l)
                    described = pf.read_row_group(g, columns=[*more, "cardData"]).take(hits)
                else:
                    whole = [
                        against is not None and known.get(i) != m for i, m in zip(ids_l, mods, strict=True)
                    ]
                    described = pf.read_row_group(g, columns=more).take(hits) if any(whole) else None
                # A GGUF repo's parameters (a row read whole without a safetensors total): `gguf.total`.
                if described is not None:
                    totals = described.column("safetensors").combine_chunks().flatten()[0].to_pylist()
                    if any(w and t is None for w, t in zip(whole, totals, strict=True)):
                        pf.read_row_group(g, columns=["gguf.total"]).take(hits)
    return time.perf_counter() - t0, f.read_bytes, time.process_time() - c0


def latency(db: Path, work: Path, rounds: int = 5) -> list[tuple[str, float]]:
    """Median wall time of each report on `db`, against `--version` through the Typer app (the
    reference of the goal, as in bench/report_latency.py; the bare `--version` is answered before
    Typer and is shown for what it is), in interleaved rounds."""
    cmds = [("--version (through Typer)", TYPER_VERSION),
            ("--version (answered before Typer)", [OSS_TRACKER, "--version"]),
            ("report --org Qwen", [OSS_TRACKER, "report", "--org", "Qwen", "--db", str(db)]),
            ("trends", [OSS_TRACKER, "trends", "--db", str(db)]),
            ("trends --since 2024-11-25", [OSS_TRACKER, "trends", "--db", str(db), "--since", "2024-11-25"]),
            ("compare", [OSS_TRACKER, "compare", "--db", str(db)]),
            ("releases", [OSS_TRACKER, "releases", "--db", str(db)])]  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name, _ in cmds}
    for argv in [a for _, a in cmds]:  # warm-up: bytecode cache, page cache
        subprocess.run(argv, capture_output=True, env=env(work), check=True)
    for _ in range(rounds):
        for name, argv in cmds:
            t0 = time.perf_counter()
            subprocess.run(argv, capture_output=True, env=env(work), check=True)
            times[name].append(time.perf_counter() - t0)
    return [(name, median(ts)) for name, ts in times.items()]


def _day(iso_day: str, back: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(iso_day) - timedelta(days=back)).isoformat()


def _row(label: str, run: dict, out: dict | None, load: float) -> list[str]:
    """A day's row: bytes exact; wall, CPU (user + system) and peak RSS when it was a backfill alone."""
    times = (
        [f"{out['wall']:.1f} s", f"{out['cpu']:.1f} s", f"{out['peak_mib']:.0f} MiB"] if out else ["", "", ""]
    )
    return [
        label,
        f"{run['read'] / 1e6:,.1f} MB",
        f"{100 * run['read'] / run['size']:.1f} %",
        *times,
        f"{load:.2f}",
    ]


NEWEST = "2025-12-01"  # the chain's newest day (after the watched rows' own dates, 2025-11-24)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--group", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--layout", choices=["spread", "sorted"], default="spread")
    ap.add_argument("--chain", default="10,50,5,5,5",
                    help="models modified between each older day and the day after it (comma-separated)")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("/tmp/oss-archive"))
    ap.add_argument("--first-day-only", action="store_true",
                    help="only the newest day into a fresh database, from a local file and from the Hub")  # fmt: skip
    args = ap.parse_args()
    chain = tuple(int(n) for n in args.chain.split(",") if n)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = chain_paths(args.out, args.rows, args.group, args.layout, chain)
    if args.first_day_only:
        paths = paths[:1]
    print(machine())
    if not all(p.exists() for p in paths):
        t0 = time.perf_counter()
        generate(paths, args.rows, args.group, args.layout, chain)
        print(f"generated {len(paths)} day(s) in {time.perf_counter() - t0:.0f} s")
    file = paths[0]
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(file).metadata
    sizes: dict[str, int] = {}
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            top = col.path_in_schema.split(".")[0]
            sizes[top] = sizes.get(top, 0) + col.total_compressed_size
    size = file.stat().st_size
    print(f"file: {size / 1e9:.2f} GB, {meta.num_rows:,} rows, {meta.num_row_groups} row groups")
    print(
        "column shares: "
        + ", ".join(f"{k} {100 * v / size:.1f}%" for k, v in sorted(sizes.items(), key=lambda kv: -kv[1]))
    )
    w = args.out
    rows: list[list[str]] = []
    # One day into a fresh database, then (separate runs) an older day: the same file, or one with
    # models modified since it (compared with the stored state: the day imported just before).
    one = backfill(w, "a", w / "one.db", [(NEWEST, file)], fresh=True)
    rows.append(
        _row(f"{args.layout}, first day, fresh database, local file", one["runs"][0], one, one["load"])
    )
    # The same day from the Hub (the fake Hub serving the file as hub-stats, and the fixture
    # world as the accounts' live state): the accounts are listed live first.
    world = ROOT / "fixtures" / "worlds" / "2025-11-24.json"
    with fakehub_process(world, archive=(file, f"{NEWEST}T13:05:00.000Z")) as url:
        live = backfill(w, "h", w / "hub.db", [(NEWEST, file)], fresh=True, hub=url)
    rows.append(_row(f"{args.layout}, first day, fresh database, from the Hub (live listing first)",
                     live["runs"][0], live, live["load"]))  # fmt: skip
    print("from the Hub:", live["line"])
    if args.first_day_only:
        print(
            table(
                [
                    "day imported (four orgs)",
                    "read",
                    "of the file",
                    "wall",
                    "CPU",
                    "peak RSS",
                    "load (1 min)",
                ],
                rows,
            )
        )
        return
    again = backfill(w, "b", w / "one.db", [(_day(NEWEST, 1), file)], fresh=False)
    label = f"{args.layout}, an older day after it, no model modified"
    rows.append(_row(label, again["runs"][0], again, again["load"]))
    for k in range(1, min(len(chain), 2) + 1):  # the chain's first steps: 10 and 50 models by default
        backfill(w, "c", w / "step.db", [(_day(NEWEST, k - 1), paths[k - 1])], fresh=True)
        step = backfill(w, "d", w / "step.db", [(_day(NEWEST, k), paths[k])], fresh=False)
        label = f"{args.layout}, an older day after it, {chain[k - 1]} models modified"
        rows.append(_row(label, step["runs"][0], step, step["load"]))
    chain_days = [(_day(NEWEST, k), p) for k, p in enumerate(paths)]
    steps = ["newest"] + [f"{n} modified" for n in chain]
    for label, db in (("live sync first", w / "live.db"), ("fresh database", w / "chain.db")):
        if label == "live sync first":
            s_wall, s_line = live_sync(w, db, f"{_day(NEWEST, -1)}T06:00:00")
            print(f"live sync ({_day(NEWEST, -1)}): {s_wall:.1f} s; {s_line}")
        out = backfill(w, "chain", db, chain_days, fresh=label != "live sync first")
        for run, step in zip(out["runs"], steps, strict=True):
            rows.append(_row(f"{args.layout}, {label}, then one backfill of {len(paths)} days: {run['day']} "
                             f"({step})", run, None, out["load"]))  # fmt: skip
        total = sum(r["read"] for r in out["runs"])
        print(f"{label}, one backfill of {len(paths)} days: {out['wall']:.1f} s (CPU {out['cpu']:.1f} s), peak RSS {out['peak_mib']:.0f} MiB, "
              f"{total / 1e6:,.1f} MB read ({100 * total / sum(r['size'] for r in out['runs']):.1f} %), "
              f"load {out['load']:.2f}\n  {out['line']}")  # fmt: skip
    print()
    print(
        table(
            ["day imported (four orgs)", "read", "of the file", "wall", "CPU", "peak RSS", "load (1 min)"],
            rows,
        )
    )
    print()
    # Best of 3 (wall and CPU each), with the load beside it: the floor is as noisy as the import.
    full = [floor(file, "all") for _ in range(3)]
    print(f"floor of a first day (pyarrow alone, the same columns): {min(f[0] for f in full):.2f} s "
          f"(CPU {min(f[2] for f in full):.2f} s), {full[0][1] / 1e6:,.1f} MB, load {os.getloadavg()[0]:.2f}")  # fmt: skip
    floors = [floor(file) for _ in range(3)]
    f_time, f_cpu = min(f[0] for f in floors), min(f[2] for f in floors)
    print(f"floor of a day, no model modified (ids + snapshot columns): {f_time:.2f} s (CPU {f_cpu:.2f} s), "
          f"{floors[0][1] / 1e6:,.1f} MB ({100 * floors[0][1] / size:.1f} %), load {os.getloadavg()[0]:.2f}")  # fmt: skip
    if len(paths) > 1:
        mods = [floor(paths[1], against=file) for _ in range(3)]
        m_time, m_cpu = min(f[0] for f in mods), min(f[2] for f in mods)
        print(f"floor of a day, {chain[0]} models modified (and their row groups' descriptive columns): "
              f"{m_time:.2f} s (CPU {m_cpu:.2f} s), {mods[0][1] / 1e6:,.1f} MB ({100 * mods[0][1] / size:.1f} %), "
              f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    if args.days:
        # `--days` dates, every one of them a different day from the one after it: the newest file and the
        # chain's first older one alternate (`chain[0]` models modified between any two days).
        pair = paths[:2] if len(paths) > 1 else paths[:1]
        first = "2025-11-25"  # after the watched rows' own dates (2025-11-24's world)
        days = [(_day(first, -i), pair[i % len(pair)]) for i in range(args.days)]
        out = backfill(w, "year", w / "year.db", days, fresh=True)
        per, per_cpu = (m_time, m_cpu) if len(pair) > 1 else (f_time, f_cpu)
        total = sum(r["read"] for r in out["runs"])
        later = out["runs"][1:]
        print(f"{args.days} days ({'alternating two files, ' + str(chain[0]) + ' models modified between any two days' if len(pair) > 1 else 'one file repeated'}), "
              f"fresh database: {out['wall']:.0f} s = {out['wall'] / args.days:.2f} s a day, peak RSS {out['peak_mib']:.0f} MiB, "
              f"load {out['load']:.2f} at the start; {total / 1e9:,.1f} GB read ({100 * total / sum(r['size'] for r in out['runs']):.1f} %; "
              f"the days after the first {100 * sum(r['read'] for r in later) / max(1, sum(r['size'] for r in later)):.1f} %); "
              f"floor x days = {per * args.days:.0f} s; ratio {out['wall'] / (per * args.days):.2f}; CPU {out['cpu']:.0f} s "
              f"against floor CPU x days {per_cpu * args.days:.0f} s: ratio {out['cpu'] / (per_cpu * args.days):.2f}")  # fmt: skip
        print(f"  {out['line']}")
        for name, t in latency(w / "year.db", w):
            print(f"  {name}: {t * 1000:.0f} ms")
        print(f"  (load {os.getloadavg()[0]:.2f} after)")


if __name__ == "__main__":
    main()
