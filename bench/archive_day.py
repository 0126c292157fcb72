"""Backfill on archive days shaped like the real one: bytes fetched, memory, time, report latency.

    python bench/archive_day.py [--rows 3000000] [--group 100000] [--days 365] [--layout spread|sorted]
                                [--out /tmp/oss-archive] [--keep]

1. Generates (once; reused while it exists) a synthetic `models.parquet` of `--rows` rows in row
   groups of `--group`, streamed a row group at a time: every column the archive has, the heavy
   ones included (`tags` a list of ~12, `cardData` a JSON string of ~250 bytes of text, `siblings`
   ~8 file names, `sha` 40 hex digits, `config`, `gguf`, `safetensors`, `baseModels`), about 500
   bytes a row, like the real 1.5 GB file of 3 M rows. The watched accounts' rows (the 4 default
   accounts of fixtures/worlds/2025-11-24.json, 1,154 rows) are spread at random over every row
   group (`spread`), or the file is sorted by id (`sorted`: they sit in one or two row groups).
2. One day imported into a fresh database in a child process: bytes read against the file's
   size, wall time, peak RSS (`ru_maxrss`).
3. The floor of one day: pyarrow reading the same column chunks alone (no records, no SQLite).
4. `--days` days (the same file linked under `--days` dates, a local archive folder) imported
   in one backfill: wall time against `--days` times the floor.
5. Report latency on the resulting history against `oss-tracker --version`.

The file is read from the local disk (page cache warm after the first day): the floor and the
import read the same bytes the same way, so their ratio is what the writes and the record
building add. Over the network both would add the same transfer time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import OSS_TRACKER, ROOT, env, machine, median

ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]
PIPELINES = ["text-generation", "image-classification", "text-to-image", "automatic-speech-recognition",
             "feature-extraction", "sentence-similarity", "token-classification", None]  # fmt: skip
LIBRARIES = ["transformers", "diffusers", "gguf", "peft", "sentence-transformers", "mlx", None]
COMMON_TAGS = ["transformers", "safetensors", "pytorch", "text-generation", "conversational", "region:us",
               "endpoints_compatible", "autotrain_compatible", "en", "gguf", "llama", "qwen2", "mistral"]  # fmt: skip
LICENSES = ["license:apache-2.0", "license:mit", "license:other", "license:cc-by-4.0", "license:llama3"]


def generate(path: Path, rows: int, group: int, layout: str, seed: int = 7) -> None:
    """The synthetic day, written a row group at a time (memory: one row group)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from fixtures.build_archive import archive_table

    rng = np.random.default_rng(seed)
    # The watched rows in the archive's shapes (the fixture builder's), plus a `sha` column.
    world = json.loads((ROOT / "fixtures" / "worlds" / "2025-11-24.json").read_text())
    world["models"] = [m for m in world["models"] if m["author"] in ORGS]
    watched = archive_table(world, filler=0)
    watched = watched.append_column("sha", pa.array(["0" * 40] * watched.num_rows))
    schema = watched.schema
    n_groups = (rows + group - 1) // group
    if layout == "spread":
        slots = rng.choice(rows, size=watched.num_rows, replace=False)
        where = {int(s): i for i, s in enumerate(slots)}
    else:  # sorted by id: the watched ids sort together
        where = {rows // 2 + i: i for i in range(watched.num_rows)}
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for g in range(n_groups):
            start, n = g * group, min(group, rows - g * group)
            mine = [(pos - start, i) for pos, i in where.items() if start <= pos < start + n]
            table = _filler(rng, start, n - len(mine), schema)
            if mine:
                table = pa.concat_tables([table, watched.take([i for _, i in mine])])
                order = rng.permutation(table.num_rows)
                table = table.take(pa.array(order))
            if layout == "sorted":
                table = table.sort_by("id")
            writer.write_table(table, row_group_size=group)
            print(f"\r  row group {g + 1}/{n_groups}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    tmp.rename(path)


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


def import_one(file: Path, work: Path, *, again: bool = False) -> dict:
    """One day into a fresh database (or, `again`, the next day into that one), in a child:
    bytes read, wall time, that child's own peak RSS."""
    name, day = ("two", "2025-11-25") if again else ("one", "2025-11-24")
    folder = work / name / "models" / day
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "models.parquet"
    if not link.exists():
        link.symlink_to(file)
    db = work / "one.db"
    if not again:
        for old in work.glob("one.db*"):
            old.unlink()
    argv = [OSS_TRACKER, "backfill", "--db", str(db), "--source", str(work / name)]
    argv += [f for o in ORGS for f in ("--org", o)]
    # Through /usr/bin/time: a child's ru_maxrss counts the parent's pages it was forked with
    # (this process, after generating a file, is large), not only what the command used.
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", *argv], capture_output=True, text=True, env=env(work)
    )
    wall = time.perf_counter() - t0
    lines = proc.stderr.strip().splitlines()
    peak_kb = int(lines[-1].split()[1])
    err = "\n".join(lines[:-1])
    import sqlite3

    read = sqlite3.connect(db).execute("SELECT bytes_read FROM runs ORDER BY id DESC").fetchone()[0]
    size = file.stat().st_size
    return {"wall": wall, "peak_mib": peak_kb / 1024, "read": read, "size": size, "line": err.strip()}


class _Counted:
    def __init__(self, f) -> None:
        self.f, self.read_bytes = f, 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.read_bytes += len(data)
        return data

    def __getattr__(self, name: str):
        return getattr(self.f, name)


def floor(file: Path, columns: str = "snapshot") -> tuple[float, int]:
    """pyarrow alone reading what a day's import reads: every row group's ids, then (`snapshot`)
    the snapshot's columns of the row groups holding watched rows, or (`all`) those and the
    descriptive ones and cardData (a first day). No records, no SQLite."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "src"))
    from oss_tracker.hub.archive_table import CHEAP, SNAPSHOT_TIER, _pattern

    t0 = time.perf_counter()
    with open(file, "rb") as raw:
        f = _Counted(raw)
        pf = pq.ParquetFile(f, pre_buffer=True)
        names = pf.schema_arrow.names
        snap = [c for c in CHEAP if c in SNAPSHOT_TIER and c in names]
        more = [c for c in CHEAP if c not in SNAPSHOT_TIER and c.split(".")[0] in names] + [
            "tags",
            "cardData",
        ]
        pattern = _pattern(ORGS)
        for g in range(pf.num_row_groups):
            ids = pf.read_row_group(g, columns=["id"]).column("id")
            hits = pc.indices_nonzero(pc.match_substring_regex(ids, pattern, ignore_case=True))
            if len(hits):
                pf.read_row_group(g, columns=["id", *snap]).take(hits)
                if columns == "all":
                    pf.read_row_group(g, columns=more).take(hits)
    return time.perf_counter() - t0, f.read_bytes


def import_days(file: Path, work: Path, days: int) -> tuple[float, Path, str]:
    from datetime import date, timedelta

    folder = work / "year" / "models"
    if folder.exists():
        shutil.rmtree(folder.parent)
    first = date(2025, 11, 25)  # after the watched rows' own dates (2025-11-24's world)
    for i in range(days):
        d = folder / (first + timedelta(days=i)).isoformat()
        d.mkdir(parents=True)
        (d / "models.parquet").symlink_to(file)
    db = work / "year.db"
    for p in work.glob("year.db*"):
        p.unlink()
    argv = [
        OSS_TRACKER,
        "backfill",
        "--db",
        str(db),
        "--source",
        str(folder.parent),
        *sum((["--org", o] for o in ORGS), []),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env(work))
    return time.perf_counter() - t0, db, proc.stderr.strip()


def latency(db: Path, work: Path, rounds: int = 5) -> list[tuple[str, float]]:
    cmds = [("--version", ["--version"]),
            ("report --org Qwen", ["report", "--org", "Qwen", "--db", str(db)]),
            ("trends", ["trends", "--db", str(db)]),
            ("trends --since 2024-11-25", ["trends", "--db", str(db), "--since", "2024-11-25"]),
            ("compare", ["compare", "--db", str(db)]),
            ("releases", ["releases", "--db", str(db)])]  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name, _ in cmds}
    for _ in range(rounds):
        for name, argv in cmds:
            t0 = time.perf_counter()
            subprocess.run([OSS_TRACKER, *argv], capture_output=True, env=env(work), check=True)
            times[name].append(time.perf_counter() - t0)
    return [(name, median(ts)) for name, ts in times.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--group", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--layout", choices=["spread", "sorted"], default="spread")
    ap.add_argument("--out", type=Path, default=Path("/tmp/oss-archive"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    file = args.out / f"models-{args.rows}-{args.group}-{args.layout}.parquet"
    print(machine())
    if not file.exists():
        t0 = time.perf_counter()
        generate(file, args.rows, args.group, args.layout)
        print(f"generated {file} in {time.perf_counter() - t0:.0f} s")
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
    one = import_one(file, args.out)
    print(f"one day, fresh database: {one['read'] / 1e6:,.1f} MB read of {one['size'] / 1e6:,.0f} MB "
          f"({100 * one['read'] / one['size']:.1f} %), {one['wall']:.1f} s, peak RSS {one['peak_mib']:.0f} MiB")  # fmt: skip
    print(f"  {one['line']}")
    later = import_one(file, args.out, again=True)
    print(
        f"a later day (models stored, none modified): {later['read'] / 1e6:,.1f} MB read "
        f"({100 * later['read'] / later['size']:.1f} %), {later['wall']:.1f} s, peak RSS {later['peak_mib']:.0f} MiB"
    )
    full = min(floor(file, "all") for _ in range(3))
    print(f"floor of a first day (pyarrow alone, the same columns): {full[0]:.2f} s, {full[1] / 1e6:,.1f} MB")
    floors = [floor(file) for _ in range(3)]
    f_time = min(t for t, _ in floors)
    print(f"floor of a later day (ids + snapshot columns): {f_time:.2f} s, {floors[0][1] / 1e6:,.1f} MB "
          f"({100 * floors[0][1] / size:.1f} %)")  # fmt: skip
    if args.days:
        wall, db, line = import_days(file, args.out, args.days)
        print(f"{args.days} days: {wall:.0f} s = {wall / args.days:.2f} s a day; floor x days = {f_time * args.days:.0f} s; "
              f"ratio {wall / (f_time * args.days):.2f}")  # fmt: skip
        print(f"  {line}")
        for name, t in latency(db, args.out):
            print(f"  {name}: {t * 1000:.0f} ms")


if __name__ == "__main__":
    main()
