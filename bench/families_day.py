"""Families on an archive day shaped like the real one: time, memory, bytes read, storage.

    python bench/families_day.py [--rows 3000000] [--group 100000] [--bases baseModels|tags]
                                 [--out /tmp/oss-families] [--year]

1. Generates (once; reused while it exists) a synthetic `models.parquet` of `--rows` rows in row
   groups of `--group`, every column of the archive (as bench/archive_day.py's), with realistic
   base declarations: 40 % of the rows declare a base; of those, 10 % a watched model (the 1,154
   rows of the four default accounts, fixtures/worlds/2025-11-24.json, weighted by their
   downloads), 25 % another declaring repo (chains: depth 3 and more), 65 % one of 20,000 other
   popular bases (other families); 4 % declare a second base (merges), 1 % a third; 2 % a base
   that does not exist, 2 % a base in another case, 200 repos themselves. `--bases tags` writes
   no `baseModels` column (the older revisions): the bases are then only in `tags`.
2. The day's snapshots of the four accounts imported into a fresh database (the watched models),
   then, each in a child process through /usr/bin/time (wall, peak RSS):
   a. `backfill --families` of that day alone (no day before: no period);
   b. the same file as the next day, alone (`--since/--until`): the day before is read for its
      ids and all-time counts, which is what `sync --families` does every day;
   c. two more days in one run (the day before is kept in memory).
3. The floor: pyarrow alone reading the same column chunks (no graph, no walk, no SQLite).
4. Storage (`--year`): the real rows of one day copied under 365 days (counts varied), the top
   lists kept for one day a month as the tool keeps them; bytes per family-day from dbstat.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from _common import OSS_TRACKER, ROOT, env, machine
from archive_day import COMMON_TAGS, LIBRARIES, LICENSES, ORGS, PIPELINES, _strings

RELATIONS = ["quantized", "finetune", "adapter", None]
RELATION_P = [0.45, 0.35, 0.15, 0.05]


def generate(path: Path, rows: int, group: int, bases_in: str, seed: int = 16) -> dict:
    """The synthetic day, a row group at a time; returns what was built into it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from fixtures.build_archive import archive_table

    rng = np.random.default_rng(seed)
    world = json.loads((ROOT / "fixtures" / "worlds" / "2025-11-24.json").read_text())
    world["models"] = [m for m in world["models"] if m["author"] in ORGS]
    watched = archive_table(world, filler=0)
    watched = watched.append_column("sha", pa.array(["0" * 40] * watched.num_rows))
    if bases_in == "tags":
        watched = watched.drop_columns(["baseModels"])
    schema = watched.schema
    w_n = watched.num_rows
    slots = rng.choice(rows, size=w_n, replace=False)
    is_watched = np.zeros(rows, dtype=bool)
    is_watched[slots] = True
    # Every id first: bases name other rows.
    users = rng.integers(0, 400_000, size=rows)
    authors = pa.array([f"user{u:06d}" for u in users])
    ids = pc.binary_join_element_wise(
        authors, _strings(rng, rows, 6, 40, b"abcdefghijklmnopqrstuvwxyz0123456789-."), "/"
    )
    mask = np.zeros(rows, dtype=bool)
    mask[slots] = True
    order = np.argsort(slots)  # watched rows in slot order
    ids = pc.replace_with_mask(
        ids, pa.array(mask), watched.column("id").take(pa.array(order)).combine_chunks()
    )
    authors = pc.replace_with_mask(
        authors, pa.array(mask), watched.column("author").take(pa.array(order)).combine_chunks()
    )
    # Who declares what.
    has = (rng.random(rows) < 0.40) & ~is_watched
    declaring = np.flatnonzero(has)
    kind = rng.choice(3, size=len(declaring), p=[0.10, 0.25, 0.65])
    weights = np.array([max(1, m["downloads"] or 1) for m in world["models"]], dtype=float) ** 0.8
    weights /= weights.sum()
    candidates = np.flatnonzero(~has & ~is_watched)
    popular = rng.choice(candidates, size=20_000, replace=False)
    pop_w = 1 / (np.arange(20_000) + 1) ** 1.1
    pop_w /= pop_w.sum()

    def pick(k: np.ndarray) -> np.ndarray:
        out = np.empty(len(k), dtype=np.int64)
        a, b, c = k == 0, k == 1, k == 2
        out[a] = slots[rng.choice(w_n, size=a.sum(), p=weights)]
        out[b] = rng.choice(declaring, size=b.sum())
        out[c] = popular[rng.choice(20_000, size=c.sum(), p=pop_w)]
        return out

    n_bases = np.ones(len(declaring), dtype=np.int64)
    extra = rng.random(len(declaring))
    n_bases[extra < 0.04] = 2
    n_bases[extra < 0.01] = 3
    parents = [pick(kind)]
    # A merge joins a model and its own base (both in one family, as merges of finetunes of one base
    # are); a third base, when there is one, is any.
    row_of = np.full(rows, -1, dtype=np.int64)
    row_of[declaring] = np.arange(len(declaring))
    up = row_of[parents[0]]
    grand = np.where(up >= 0, parents[0][np.maximum(up, 0)], -1)
    second = np.full(len(declaring), -1, dtype=np.int64)
    two = n_bases >= 2
    second[two] = np.where(
        grand[two] >= 0, grand[two], pick(rng.choice(3, size=two.sum(), p=[0.10, 0.25, 0.65]))
    )
    third = np.full(len(declaring), -1, dtype=np.int64)
    three = n_bases >= 3
    third[three] = pick(rng.choice(3, size=three.sum(), p=[0.10, 0.25, 0.65]))
    parents += [second, third]
    # 100 declared cycles in watched families: b declares a (a child of a watched model), a declares b too.
    direct = np.flatnonzero((kind == 0) & (n_bases == 1))
    pairs = rng.choice(direct, size=200, replace=False).reshape(100, 2)
    for a, b in pairs:
        parents[0][b] = declaring[a]
        n_bases[a] = 2
        parents[1][a] = declaring[b]
    selfish = rng.choice(np.flatnonzero(n_bases == 1), size=200, replace=False)
    parents[0][selfish] = declaring[selfish]
    relation = rng.choice(len(RELATIONS), size=len(declaring), p=RELATION_P)
    relation[n_bases > 1] = -1  # merge
    dangling = rng.random(len(declaring)) < 0.02
    lowered = rng.random(len(declaring)) < 0.02
    # Per declaring row: its base ids, as flat arrays (row order), with offsets.
    offsets = np.zeros(len(declaring) + 1, dtype=np.int64)
    np.cumsum(n_bases, out=offsets[1:])
    flat_parent = np.empty(offsets[-1], dtype=np.int64)
    for j in range(3):
        rows_j = np.flatnonzero(n_bases > j)
        flat_parent[offsets[rows_j] + j] = parents[j][rows_j]
    base_ids = ids.take(pa.array(flat_parent))
    first = offsets[:-1]
    gone = np.zeros(offsets[-1], dtype=bool)
    gone[first[dangling]] = True
    base_ids = pc.replace_with_mask(
        base_ids, pa.array(gone), pa.array([f"gone{i:08d}/deleted-model" for i in range(gone.sum())])
    )
    low = np.zeros(offsets[-1], dtype=bool)
    low[first[lowered]] = True
    base_ids = pc.if_else(pa.array(low), pc.ascii_lower(base_ids), base_ids)
    rel_names = pa.array([*(r for r in RELATIONS), "merge"]).take(
        pa.array(np.where(relation < 0, 4, relation))
    )
    stats = {"rows": rows, "declaring": int(len(declaring)), "bases": int(offsets[-1]),
             "watched_children": int((kind == 0).sum()), "merges": int((n_bases > 1).sum()),
             "self": 200, "dangling": int(dangling.sum())}  # fmt: skip
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for g in range(0, rows, group):
            n = min(group, rows - g)
            table = _group(rng, schema, g, n, ids, authors, row_of, offsets, base_ids, rel_names, bases_in)
            mine = np.flatnonzero(is_watched[g : g + n])
            if len(mine):
                # the watched rows replace the filler rows at their slots
                keep = np.setdiff1d(np.arange(n), mine)
                combined = pa.concat_tables(
                    [table.take(pa.array(keep)), _watched_rows(watched, slots, g + mine)]
                )
                position = np.concatenate([keep, mine])
                table = combined.take(pa.array(np.argsort(position)))
            writer.write_table(table, row_group_size=group)
            print(
                f"\r  row group {g // group + 1}/{(rows + group - 1) // group}",
                end="",
                file=sys.stderr,
                flush=True,
            )
    print(file=sys.stderr)
    tmp.rename(path)
    return stats


def _watched_rows(watched, slots, positions):
    """The watched rows that sit at `positions` (in that order)."""
    import numpy as np
    import pyarrow as pa

    index = {int(s): i for i, s in enumerate(slots)}
    return watched.take(pa.array(np.array([index[int(p)] for p in positions], dtype=np.int64)))


def _group(rng, schema, start, n, ids, authors, row_of, offsets, base_ids, rel_names, bases_in):
    """A row group's filler rows: the columns of bench/archive_day.py's, with these bases."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    who = row_of[start : start + n]
    declares = who >= 0
    counts = np.where(declares, offsets[np.maximum(who, 0) + 1] - offsets[np.maximum(who, 0)], 0)
    b_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=b_off[1:])
    b_index = (
        np.concatenate([np.arange(offsets[w], offsets[w + 1]) for w in who[declares]])
        if declares.any()
        else np.zeros(0, dtype=np.int64)
    )
    b_ids = base_ids.take(pa.array(b_index, pa.int64()))
    b_rel = rel_names.take(pa.array(who[declares], pa.int64()))
    # tags: ~10 common ones and two heavy unique ones a row, then base_model:<id> (and with its relation)
    k = rng.integers(6, 14, size=n)
    c_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(k, out=c_off[1:])
    pool = pa.array(COMMON_TAGS + LICENSES)
    common = pool.take(pa.array(rng.integers(0, len(pool), size=int(c_off[-1]))))
    uniq = pc.binary_join_element_wise(
        pa.array(["arxiv:"] * int(c_off[-1])), _strings(rng, int(c_off[-1]), 10, 40), ""
    )
    common = pc.if_else(pa.array(rng.random(int(c_off[-1])) < 0.25), uniq, common)
    rel_per_base = np.repeat(np.arange(int(declares.sum())), counts[declares])
    said = pc.is_valid(b_rel.take(pa.array(rel_per_base, pa.int64())))
    plain = pc.binary_join_element_wise(pa.array(["base_model:"] * len(b_ids)), b_ids, "")
    with_rel = pc.binary_join_element_wise(
        pa.array(["base_model:"] * len(b_ids)), pc.fill_null(b_rel.take(pa.array(rel_per_base, pa.int64())), "x"),
        pa.array([":"] * len(b_ids)), b_ids, "")  # fmt: skip
    # per row: its common tags, then for each base its two tags (the second only when a relation is said)
    two = np.where(np.asarray(said), 2, 1)
    t_base = np.zeros(n, dtype=np.int64)
    np.add.at(t_base, np.flatnonzero(declares).repeat(counts[declares]), two)
    lengths = k + t_base
    t_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=t_off[1:])
    base_values = pa.concat_arrays([plain, with_rel])
    # the base tags in row order: for each base, plain, then with_rel when said
    order = []
    nb = len(b_ids)
    pos_in = np.arange(nb)
    interleaved = np.stack([pos_in, pos_in + nb], axis=1)
    keep_pair = np.stack([np.ones(nb, dtype=bool), np.asarray(said)], axis=1)
    order = interleaved[keep_pair]
    base_tags = base_values.take(pa.array(order, pa.int64()))
    idx = np.empty(int(t_off[-1]), dtype=np.int64)
    row_of_slot = np.repeat(np.arange(n), lengths)
    within = np.arange(int(t_off[-1])) - t_off[row_of_slot]
    is_common = within < k[row_of_slot]
    idx[is_common] = c_off[row_of_slot[is_common]] + within[is_common]
    base_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(t_base, out=base_start[1:])
    idx[~is_common] = (
        len(common) + base_start[row_of_slot[~is_common]] + (within[~is_common] - k[row_of_slot[~is_common]])
    )
    tags = pa.ListArray.from_arrays(
        pa.array(t_off.astype(np.int32)), pa.concat_arrays([common, base_tags]).take(pa.array(idx))
    )
    s = rng.integers(2, 14, size=n)
    s_off = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(s, out=s_off[1:])
    siblings = pa.ListArray.from_arrays(
        pa.array(s_off), pa.StructArray.from_arrays([_strings(rng, int(s_off[-1]), 8, 40)], ["rfilename"])
    )
    card = pc.binary_join_element_wise(
        pa.array(['{"license": "mit", "description": "'] * n),
        _strings(rng, n, 50, 450),
        pa.array(['"}'] * n),
        "",
    )
    created = pa.array(rng.integers(1_646_000_000_000, 1_764_000_000_000, size=n), pa.int64()).cast(
        pa.timestamp("ms", tz="UTC")
    )
    cols = {
        "id": ids.slice(start, n), "author": authors.slice(start, n),
        "downloads": pa.array(rng.integers(0, 10_000, size=n) * (rng.random(n) < 0.5)),
        "downloadsAllTime": pa.array(rng.integers(0, 1_000_000, size=n)),
        "likes": pa.array(rng.integers(0, 200, size=n)), "trendingScore": pa.array(rng.random(n)),
        "createdAt": created, "lastModified": created,
        "pipeline_tag": pa.array(PIPELINES).take(pa.array(rng.integers(0, len(PIPELINES), size=n))),
        "library_name": pa.array(LIBRARIES).take(pa.array(rng.integers(0, len(LIBRARIES), size=n))),
        "tags": tags, "gated": pa.array(["false"] * n), "cardData": card, "siblings": siblings,
        "safetensors": pa.array([None] * n, schema.field("safetensors").type),
        "config": pa.StructArray.from_arrays([pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), pa.array(["LlamaForCausalLM"] * n)), pa.array(["llama"] * n)], ["architectures", "model_type"]),
        "gguf": pa.StructArray.from_arrays([pa.array(rng.integers(0, 10**10, size=n)), pa.array(["llama"] * n)], ["total", "architecture"]),
        "sha": _strings(rng, n, 40, 40, b"0123456789abcdef"),
    }  # fmt: skip
    if bases_in == "baseModels":
        kind = schema.field("baseModels").type
        models = pa.ListArray.from_arrays(
            pa.array(b_off.astype(np.int32)), pa.StructArray.from_arrays([b_ids], ["id"])
        )
        rel = pa.nulls(n, pa.string())
        rel = pc.replace_with_mask(rel, pa.array(declares), b_rel) if declares.any() else rel
        struct = pa.StructArray.from_arrays([rel, models], fields=list(kind), mask=pa.array(~declares))
        cols["baseModels"] = struct
    return pa.table({f.name: cols[f.name].cast(f.type) for f in schema}, schema=schema)


def timed(argv: list[str], work: Path) -> dict:
    """Wall, CPU (user + system), peak RSS and the output of a child, with the 1-minute load before it."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M CPU %U %S", *argv], capture_output=True, text=True, env=env(work)
    )
    wall = time.perf_counter() - t0
    lines = proc.stderr.strip().splitlines()
    if proc.returncode != 0:
        sys.exit(f"{argv} failed: {proc.stderr}")
    _, rss, _, user, system = lines[-1].split()
    return {"wall": wall, "cpu": float(user) + float(system), "load": load, "peak_mib": int(rss) / 1024,
            "line": "\n".join(lines[:-1])}  # fmt: skip


def floor(file: Path, columns: list[str]) -> float:
    """pyarrow alone reading these columns of every row group (best of 3)."""
    import pyarrow.parquet as pq

    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        with open(file, "rb") as f:
            pf = pq.ParquetFile(f, pre_buffer=True)
            for g in range(pf.num_row_groups):
                pf.read_row_group(g, columns=columns)
        spent = time.perf_counter() - t0
        best = spent if best is None else min(best, spent)
    return best  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--group", type=int, default=100_000)
    ap.add_argument("--bases", choices=["baseModels", "tags"], default="baseModels")
    ap.add_argument("--out", type=Path, default=Path("/tmp/oss-families"))
    ap.add_argument("--year", action="store_true", help="also measure storage over a year of family days")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    file = args.out / f"families-{args.rows}-{args.group}-{args.bases}.parquet"
    print(machine())
    if not file.exists():
        t0 = time.perf_counter()
        stats = generate(file, args.rows, args.group, args.bases)
        (args.out / (file.name + ".json")).write_text(json.dumps(stats))
        print(f"generated {file} in {time.perf_counter() - t0:.0f} s")
    stats = json.loads((args.out / (file.name + ".json")).read_text())
    print(f"file: {file.stat().st_size / 1e9:.2f} GB; {json.dumps(stats)}")
    days = ["2025-11-25", "2025-11-26", "2025-11-27", "2025-11-28"]
    folder = args.out / "days"
    shutil.rmtree(folder, ignore_errors=True)
    for day in days:
        (folder / "models" / day).mkdir(parents=True)
        (folder / "models" / day / "models.parquet").symlink_to(file)
    db = args.out / "families.db"
    for old in args.out.glob("families.db*"):
        old.unlink()
    base = [
        OSS_TRACKER,
        "backfill",
        "--db",
        str(db),
        "--source",
        str(folder),
        *sum((["--org", o] for o in ORGS), []),
    ]
    one = [f"--since={days[0]}", f"--until={days[0]}"]
    snap = timed(base, args.out)
    print(
        f"snapshots of the {len(days)} days first (the watched models stored; then only families are read): "
        f"{snap['wall']:.1f} s"
    )
    runs = [
        ("a. families of one day, no day before", [*base, "--families", *one]),
        ("b. the next day alone: the day before read for its counts (sync --families)",
         [*base, "--families", f"--since={days[1]}", f"--until={days[1]}"]),
        ("c. two more days in one run (the day before kept in memory)",
         [*base, "--families", f"--since={days[2]}", f"--until={days[3]}"]),
    ]  # fmt: skip
    size = file.stat().st_size
    for name, argv in runs:
        r = timed(argv, args.out)
        read = sqlite3.connect(db).execute("SELECT sum(bytes_read) FROM family_days").fetchone()[0]
        print(
            f"{name}: {r['wall']:.1f} s (CPU {r['cpu']:.1f} s), peak RSS {r['peak_mib']:.0f} MiB, load {r['load']:.1f}"
        )
        print(f"  {r['line']}")
    conn = sqlite3.connect(db)
    for day, read, rows_, bases_from, with_bases in conn.execute(
        "SELECT day, bytes_read, rows, bases_from, with_bases FROM family_days ORDER BY day"
    ):
        print(f"  {day}: {read / 1e6:,.1f} MB read ({100 * read / size:.1f} % of {size / 1e6:,.0f} MB), {rows_:,} rows, "
              f"bases from {bases_from}, {with_bases:,} declaring")  # fmt: skip
    fams = conn.execute(
        "SELECT count(*), sum(descendants), max(descendants), max(max_depth), sum(merges), sum(cycles) FROM families f "
        "JOIN family_days d ON d.id = f.day_id WHERE d.day = ?", [days[-1]]
    ).fetchone()  # fmt: skip
    owners = conn.execute(
        "SELECT name, community, company FROM family_owners o JOIN family_days d ON d.id = o.day_id "
        "WHERE d.day = ? AND kind = 'org' ORDER BY community DESC", [days[-1]]
    ).fetchall()  # fmt: skip
    print(f"  families: {fams[0]:,} with descendants, {fams[1]:,} descendants summed, largest {fams[2]:,}, "
          f"deepest {fams[3]}, merges {fams[4]:,}, cycles {fams[5]:,}; built on each account: {owners}")  # fmt: skip
    cols = ["id", "downloads", "downloadsAllTime", args.bases]
    print(
        f"floor (pyarrow alone reading {', '.join(cols)}): {floor(file, cols):.1f} s; "
        f"ids and all-time only: {floor(file, ['id', 'downloadsAllTime']):.1f} s"
    )
    if args.year:
        storage(db, conn)


def storage(db: Path, conn: sqlite3.Connection) -> None:
    """A year of family days: the newest day's rows copied under 361 more days (counts varied), top
    lists on one day a month (as the tool keeps them); bytes per family-day from dbstat."""
    from datetime import date, timedelta

    [(last_id, last_day)] = conn.execute(
        "SELECT id, day FROM family_days ORDER BY day DESC LIMIT 1"
    ).fetchall()
    lists_id = conn.execute("SELECT DISTINCT day_id FROM family_top ORDER BY day_id DESC LIMIT 1").fetchone()[
        0
    ]
    n_days = conn.execute("SELECT count(*) FROM family_days").fetchone()[0]
    with conn:
        for k in range(1, 366 - n_days + 1):
            day = (date.fromisoformat(last_day) + timedelta(days=k)).isoformat()
            cur = conn.execute(
                """INSERT INTO family_days (day, started_at, endpoint, revision, orgs, rows, with_bases, bases_from,
                       self_references, period_from, bytes_read, computed_at, tool_version, message)
                   SELECT ?, started_at, endpoint, revision, orgs, rows, with_bases, bases_from, self_references,
                          period_from, bytes_read, computed_at, tool_version, message FROM family_days WHERE id = ?""",
                [day, last_id],
            )
            new = cur.lastrowid
            conn.execute(
                """INSERT INTO families SELECT model_id, ?, descendants + ?, finetune, quantized, adapter, merge,
                       unspecified, depth2, depth3, deeper, max_depth, merges, cycles, accounts, company,
                       own_30d + ?, company_30d + ?, community_30d + ?, period_own + ?, period_company + ?,
                       period_community + ?, drops
                   FROM families WHERE day_id = ?""",
                [new, k % 7, k * 11, k * 13, k * 17, k, k * 3, k * 5, last_id],
            )
            for table in ("family_owners",):
                conn.execute(
                    f"""INSERT INTO {table} SELECT ?, kind, name, accounts, models, own_30d, own_all_time, company,
                           company_30d, company_all_time, community, community_30d, community_all_time, period_own,
                           period_company, period_community FROM {table} WHERE day_id = ?""",
                    [new, last_id],
                )
            if (date.fromisoformat(day) + timedelta(days=1)).day == 1:  # a month's last day keeps its lists
                conn.execute(
                    """INSERT INTO family_top SELECT model_id, ?, rank, name_id, depth, relation, downloads_30d + ?,
                           downloads_all_time + ? FROM family_top WHERE day_id = ?""",
                    [new, k, k * 10, lists_id],
                )
                conn.execute(
                    """INSERT INTO family_accounts SELECT model_id, ?, rank, name_id, repos, downloads_30d + ?
                       FROM family_accounts WHERE day_id = ?""",
                    [new, k, lists_id],
                )
    sizes = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    family_days = conn.execute("SELECT count(*) FROM families").fetchone()[0]
    days_n = conn.execute("SELECT count(*) FROM family_days").fetchone()[0]
    parts = ["families", "family_top", "family_accounts", "family_owners", "family_names", "family_days"]
    total = sum(sizes.get(p, 0) for p in parts)
    per = {p: sizes.get(p, 0) / family_days for p in parts}
    print(f"storage: {days_n} family days, {family_days:,} family rows (family-days), {total / 2**20:.1f} MiB in "
          f"the family tables: {total / family_days:.0f} B per family-day ("
          + ", ".join(f"{p} {v:.0f}" for p, v in per.items()) + f"); {total / days_n / 2**10:.0f} KiB a day")  # fmt: skip


if __name__ == "__main__":
    main()
