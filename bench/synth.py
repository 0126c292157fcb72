"""Synthetic data for the benchmarks: fake-Hub worlds and a long snapshot history.

    python bench/synth.py history OUT.db [--orgs 20 --models 5000 --days 730 --derivative-every 7]
    python bench/synth.py families HISTORY.db [--off 0.05]        # add families (issue 16) to it
    python bench/synth.py world OUT.json --sizes 20000            # one org of 20,000 models
    python bench/synth.py world OUT.json --watchlist 50           # the 50-org watch list

Deterministic (seeded). `history` lets `store.open.open_db` create the schema (every migration,
the indexes included), then fills it with plain sqlite3 in one transaction: the small
tables from Python (executemany), the snapshot rows with one INSERT ... SELECT per table
so that 3.6 million rows take seconds, not minutes. Rows go in as a daily sync writes
them (run by run, indexes in place), so page fill and file size are those of a real
history, not of a freshly rebuilt index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

LICENSES = [  # (key, tag, card name, weight)
    ("apache-2.0", "apache-2.0", None, 45),
    ("mit", "mit", None, 20),
    ("qwen", "other", "qwen", 10),
    ("llama3.1", "llama3.1", None, 8),
    ("cc-by-4.0", "cc-by-4.0", None, 4),
    ("gemma", "gemma", None, 5),
    ("unknown", None, None, 8),
]
PIPELINES = ["text-generation", "image-text-to-text", "feature-extraction", "text-to-image", None]
LIBRARIES = ["transformers", "transformers", "transformers", "gguf", "mlx", "diffusers", None]
VARIANTS = ["", "-Instruct", "-Base", "-FP8", "-AWQ", "-GGUF", "-MLX-4bit", "-GPTQ-Int4", "-Chat"]
SIZES = ["0.5B", "1.5B", "3B", "7B", "8B", "14B", "32B", "70B", "235B"]


def org_names(n: int) -> list[str]:
    return [f"lab-{i:02d}" for i in range(n)]


def split_sizes(total: int, n: int) -> list[int]:
    """`total` models over `n` orgs, skewed like the real Hub (a few big orgs, many small)."""
    weights = [1 / (i + 1) ** 0.8 for i in range(n)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def hub_id(seconds: int, name: str) -> str:
    """A Hub-like `_id`: creation time in hex seconds, then bytes from the name."""
    return f"{seconds:08x}" + hashlib.sha1(name.encode()).hexdigest()[:16]


def model_name(rng: random.Random, k: int) -> str:
    return f"Model{k // 40 + 1}-{rng.choice(SIZES)}{rng.choice(VARIANTS)}-{k:05d}"


# -- fake-Hub worlds ---------------------------------------------------------------------------
def hub_item(repo_id: str, created: datetime, rng: random.Random) -> dict:
    """One Hub-shaped listing item (camelCase), like tests/conftest.py's `model()`."""
    key, tag, name, _ = rng.choices(LICENSES, weights=[x[3] for x in LICENSES])[0]
    tags = ["transformers", "safetensors", "text-generation", "region:us"]
    card: dict = {}
    if tag is not None:
        tags.insert(3, f"license:{tag}")
        card["license"] = tag
    if name is not None:
        card["license_name"] = name
    at = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    downloads = int(10 ** rng.uniform(1, 6))
    item = {
        "_id": hub_id(int(created.timestamp()), repo_id),
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "createdAt": at,
        "lastModified": at,
        "downloads": downloads,
        "downloadsAllTime": downloads * rng.randint(1, 20),
        "likes": rng.randint(0, 500),
        "trendingScore": rng.randint(0, 50),
        "private": False,
        "gated": False,
        "tags": tags,
        "cardData": card,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "safetensors": {"parameters": {"BF16": (n := rng.randint(10**8, 10**11))}, "total": n},
        "sha": hashlib.sha1(repo_id.encode()).hexdigest(),
        **listing_details(repo_id),
    }
    paper = item.pop("_arxiv")
    if paper:
        tags.insert(3, paper)
    return item


def listing_details(repo_id: str) -> dict:
    """What a release is (issue 14): `config` for every model, an `arxiv:` tag on half of them and
    two inference providers on one in 50, as the listing's `expand` sends them. From a hash of the
    name, not the seeded stream: the other fields are those of the worlds before these were added."""
    h = int(hashlib.sha1(repo_id.encode()).hexdigest()[:8], 16)
    providers = [
        {"provider": p, "providerId": repo_id.lower(), "status": "live", "task": "conversational"}
        for p in (("together", "novita") if h % 50 == 0 else ())
    ]
    return {
        "config": {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"},
        "inferenceProviderMapping": providers,
        "_arxiv": f"arxiv:2{h % 10}0{h % 9 + 1}.{h % 90000 + 10000}" if h % 2 else None,
    }


def make_world(sizes: dict[str, int], seed: str = "bench") -> dict:
    """A fake-Hub world: `sizes` maps org -> number of models."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    models = []
    for org, n in sizes.items():
        for k in range(n):
            created = start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
            models.append(hub_item(f"{org}/{model_name(rng, k)}", created, rng))
    return {
        "orgs": {org: {"fullname": org, "numFollowers": 1000 + 37 * i} for i, org in enumerate(sizes)},
        "models": models,
    }


def watchlist_sizes(n: int = 50) -> dict[str, int]:
    """The 50-org watch list: mostly small orgs, and sizes on each side of a page boundary."""
    edges = [1, 999, 1000, 1001, 2000, 2500]
    rng = random.Random(f"watchlist|{n}")
    out = {}
    for i in range(n):
        out[f"wl-{i:02d}"] = edges[i] if i < len(edges) else rng.choice([3, 12, 40, 75, 150, 300, 600])
    return out


# -- a long history --------------------------------------------------------------------------------
def build_history(
    path: Path,
    *,
    orgs: int = 20,
    models: int = 5000,
    days: int = 730,
    start: date = date(2024, 1, 1),
    derivative_every: int = 7,
    seed: str = "history",
    quiet: bool = False,
) -> dict:
    """A database of `days` daily runs for `models` models in `orgs` orgs. Returns counts."""
    from oss_tracker import __version__
    from oss_tracker.store.open import open_db

    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    open_db(path, create=True).conn.close()  # the real schema: every migration, every index

    rng = random.Random(seed)
    names = org_names(orgs)
    sizes = split_sizes(models, orgs)
    # Days: a few with no run at all (gaps), a few with a second run at 18:00.
    gap_days: set[int] = set()
    double_days: set[int] = set()
    failed_day = -1
    if days >= 40:
        gap_days = set(rng.sample(range(10, days - 10), 3))
        double_days = set(rng.sample(sorted(set(range(10, days - 10)) - gap_days), 2))
        failed_day = rng.choice(sorted(set(range(10, days - 10)) - gap_days - double_days))
    runs = []  # (id, started_at, day, idx, status, main)
    for idx in range(days):
        if idx in gap_days:
            continue
        day = (start + timedelta(days=idx)).isoformat()
        runs.append([len(runs) + 1, f"{day}T06:00:00Z", day, idx, "ok", 1])
        if idx == failed_day:
            runs.append([len(runs) + 1, f"{day}T12:00:00Z", day, idx, "failed", 0])
        if idx in double_days:
            runs.append([len(runs) + 1, f"{day}T18:00:00Z", day, idx, "ok", 0])
    stored = [r for r in runs if r[4] == "ok"]
    first_run_of = {}
    last_run_of = {}
    for r in stored:
        first_run_of.setdefault(r[3], r)
        last_run_of[r[3]] = r
    day_idx = sorted(first_run_of)

    # Models: most exist before the history starts; ~3% are released during it, ~0.6% removed.
    params = []  # (model_id, org_id, first_idx, last_idx, a0, rate, l0, lrate, d0, dgrowth, split)
    model_rows = []
    events = []
    mid = 0
    for org_id, (org, size) in enumerate(zip(names, sizes, strict=True), start=1):
        for k in range(size):
            mid += 1
            released = rng.random() < 0.03
            if released:
                first_idx = rng.randrange(1, days - 1)
                created = datetime.combine(start + timedelta(days=first_idx), datetime.min.time(), UTC)
                created -= timedelta(hours=rng.randint(1, 5))
            else:
                first_idx = 0
                created = datetime.combine(start, datetime.min.time(), UTC) - timedelta(
                    seconds=rng.randint(3600, 2 * 365 * 86400)
                )
            first_idx = next(i for i in day_idx if i >= first_idx)
            removed = rng.random() < 0.006 and first_idx < days - 30 and days >= 40
            last_idx = rng.randrange(first_idx + 10, days - 5) if removed else days - 1
            last_idx = max(i for i in day_idx if i <= last_idx)
            a0 = int(10 ** rng.uniform(2, 8))
            rate = max(1, int(a0 * rng.uniform(0.0005, 0.01)))
            l0 = rng.randint(0, 2000)
            d0 = 0 if rng.random() < 0.6 else int(10 ** rng.uniform(0, 3.5))
            params.append(
                (
                    mid,
                    org_id,
                    first_idx,
                    last_idx,
                    a0,
                    rate,
                    l0,
                    rng.randint(0, 300),
                    d0,
                    rng.randint(0, 30),
                    int(rng.random() > 0.1),
                )  # fmt: skip
            )
            repo = f"{org}/{model_name(rng, k)}"
            key, tag, lname, _ = rng.choices(LICENSES, weights=[x[3] for x in LICENSES])[0]
            created_at = created.strftime("%Y-%m-%dT%H:%M:%SZ")
            first_run, last_run = first_run_of[first_idx], last_run_of[last_idx]
            removed_run = None
            if removed:
                removed_run = next(r for r in stored if r[3] > last_idx)
                events.append((removed_run[0], mid, "removed", repo, None, removed_run[1]))
            model_rows.append(
                (
                    mid, hub_id(int(created.timestamp()), repo), repo, org_id, created_at, created_at,
                    key, tag, lname, rng.choice(PIPELINES), rng.choice(LIBRARIES),
                    rng.choice([None, rng.randint(10**8, 10**12)]), "false", None, None,
                    hashlib.sha1(repo.encode()).hexdigest(),
                    first_run[1], first_run[0], last_run[1], last_run[0],
                    removed_run[1] if removed_run else None, removed_run[0] if removed_run else None,
                )
            )  # fmt: skip
    # A few renames and licence changes, as events (the models table holds the current state).
    for _ in range(20):
        m = rng.choice(model_rows)
        run = rng.choice(stored)
        events.append((run[0], m[0], "renamed", m[2] + "-old", m[2], run[1]))
    for _ in range(10):
        m = rng.choice(model_rows)
        run = rng.choice(stored)
        events.append((run[0], m[0], "license_changed", "mit", m[6], run[1]))
    events.sort(key=lambda e: e[0])

    # Their kinds and active parameters, as the sync stores them (issue 14): what `--kind` filters on.
    from oss_tracker.store.kinds import active_parameters, classify

    described = [(*classify(m[2], None, None, m[10], {}), active_parameters(m[2]), m[0]) for m in model_rows]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -500000")
    conn.execute("PRAGMA temp_store = MEMORY")
    with conn:
        conn.executemany("INSERT INTO orgs (id, name) VALUES (?, ?)", list(enumerate(names, start=1)))
        conn.executemany(
            """INSERT INTO runs (id, started_at, finished_at, day, endpoint, orgs, status, requests,
                                 tool_version, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    r[0],
                    r[1],
                    r[1][:14] + "02:10Z",
                    r[2],
                    "https://huggingface.co",
                    json.dumps(names),
                    r[4],
                    30 if r[4] == "ok" else 3,
                    __version__,
                    None if r[4] == "ok" else "every org failed",
                )
                for r in runs
            ],  # fmt: skip
        )
        conn.executemany(
            """INSERT INTO models (id, hub_id, repo_id, org_id, created_at, last_modified, license, license_tag,
                   license_name, pipeline_tag, library_name, parameters, gated, base_model, base_relation, sha,
                   first_seen, first_seen_run, last_seen, last_seen_run, removed_at, removed_run)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            model_rows,
        )
        conn.executemany(
            "UPDATE models SET kind = ?, kind_inferred = ?, kind_basis = ?, active_parameters = ? WHERE id = ?",
            described,
        )
        conn.executemany(
            "INSERT INTO events (run_id, model_id, kind, old, new, at) VALUES (?, ?, ?, ?, ?, ?)", events
        )
        conn.execute(
            """CREATE TEMP TABLE p (model_id INTEGER PRIMARY KEY, org_id, first_idx, last_idx, a0, rate, l0,
                                    lrate, d0, dgrowth, split)"""
        )
        conn.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", params)
        conn.execute("CREATE TEMP TABLE r (run_id INTEGER PRIMARY KEY, idx, day, main)")
        conn.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", [(x[0], x[3], x[2], x[5]) for x in stored])
        # Org snapshots: models present that run, followers growing.
        present = {}
        for _m, org_id, f, last, *_ in params:
            for idx in (f, last + 1):
                present.setdefault(org_id, {}).setdefault(idx, 0)
            present[org_id][f] += 1
            present[org_id][last + 1] -= 1
        org_rows = []
        for org_id in range(1, orgs + 1):
            deltas, n = present.get(org_id, {}), 0
            level = {}
            for idx in range(days):
                n += deltas.get(idx, 0)
                level[idx] = n
            for r in stored:
                listed = level[r[3]]
                org_rows.append((r[0], org_id, listed, 1000 * org_id + 3 * r[3], listed, 1))
        conn.executemany(
            """INSERT INTO org_snapshots (run_id, org_id, num_models, followers, listed, complete)
               VALUES (?, ?, ?, ?, ?, ?)""",
            org_rows,
        )
        # Model snapshots: run by run, in key order, as a daily sync appends them.
        # all-time = a0 + rate*day + (h mod rate): never decreasing (but for the drops below).
        h = "((p.model_id * 2654435761 + r.idx * 40503 + r.run_id) % 1000003)"
        conn.execute(
            f"""INSERT INTO model_snapshots (run_id, model_id, downloads_30d, downloads_all_time, likes, trending)
                SELECT r.run_id, p.model_id,
                       p.rate * 25 + {h} % (p.rate * 10 + 1),
                       p.a0 + p.rate * r.idx + {h} % p.rate,
                       p.l0 + r.idx * p.lrate / 100,
                       CASE WHEN {h} % 10 = 0 THEN {h} % 100 + 0.5 ELSE {h} % 100 END * 1.0
                FROM r JOIN p ON r.idx BETWEEN p.first_idx AND p.last_idx
                ORDER BY r.run_id, p.model_id"""
        )
        # A few all-time recounts (the Hub does this): the count drops and stays lower.
        for _ in range(25):
            m = rng.choice(params)
            run = rng.choice([x for x in stored if m[2] < x[3] <= m[3]] or [stored[-1]])
            conn.execute(
                """UPDATE model_snapshots SET downloads_all_time = downloads_all_time - ?
                   WHERE model_id = ? AND run_id >= ?""",
                [m[5] * 3, m[0], run[0]],
            )
        # Derivative counts: each model counted every `derivative_every` days, in rotation.
        total = "(p.d0 + r.idx * p.dgrowth / 10)"
        conn.execute(
            f"""INSERT INTO derivative_counts (model_id, day, run_id, finetune, quantized, adapter, merge, total)
                SELECT p.model_id, r.day, r.run_id,
                       CASE WHEN p.split THEN {total} * 4 / 10 END,
                       CASE WHEN p.split THEN {total} * 3 / 10 END,
                       CASE WHEN p.split THEN {total} * 2 / 10 END,
                       CASE WHEN p.split THEN {total} - {total} * 4 / 10 - {total} * 3 / 10 - {total} * 2 / 10 END,
                       {total}
                FROM r JOIN p ON r.idx BETWEEN p.first_idx AND p.last_idx
                WHERE r.main AND (r.idx + p.model_id) % ? = 0
                ORDER BY r.run_id, p.model_id""",
            [derivative_every],
        )
        # What every sync keeps beside its snapshots and counts, for the whole history.
        from sqlite_utils import Database

        from oss_tracker.store import derivatives
        from oss_tracker.store import totals as org_totals

        org_totals.record(Database(conn))
        derivatives.rebuild_latest(Database(conn))
    conn.execute("PRAGMA journal_mode = WAL")  # as open_db leaves every database
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("runs", "orgs", "models", "model_snapshots", "org_snapshots", "derivative_counts", "events")
    }
    conn.close()
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    counts["bytes"] = path.stat().st_size
    counts["largest_org"] = names[0]
    if not quiet:
        print(json.dumps(counts), file=sys.stderr)
    return counts


def build_families(path: Path, *, off: float = 0.05, seed: str = "families", quiet: bool = False) -> dict:
    """Families (issue 16) for a history built by build_history: a family day for every day with a
    run; every model with derivative counts has a family (in that history, nearly all), its direct
    children those counts (growing to the model's latest count; `off` of the models a third short,
    which the comparison with model_info must list), descendants three times as many; a row a
    family a day, its top 20 descendants and top 10 accounts on the newest day of each month (as
    store/families.py keeps them), every org a `family_owners` row a day. Written day by day, as
    daily syncs write them."""
    from oss_tracker.store.open import open_db

    t0 = time.perf_counter()
    open_db(path, create=True).conn.close()  # a history from before the families: migrated first
    conn = sqlite3.connect(path)
    rng = random.Random(seed)
    days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM runs WHERE status = 'ok' ORDER BY day")]
    latest = dict(conn.execute("SELECT model_id, total FROM derivative_latest WHERE total > 0").fetchall())
    orgs = [r[0] for r in conn.execute("SELECT name FROM orgs ORDER BY name")]
    fam = sorted(latest)
    short = set(rng.sample(fam, int(len(fam) * off)))
    names = 60_000
    with conn:
        conn.executemany("INSERT INTO family_names (id, name) VALUES (?, ?)",
                         [(i, f"acct-{i % 3000:04d}/derived-{i:06d}-GGUF") for i in range(1, names + 1)])  # fmt: skip
        last_of_month: dict[str, str] = {}
        for day in days:
            last_of_month[day[:7]] = day
        lists = set(last_of_month.values())
        previous = None
        for k, day in enumerate(days):
            day_id = conn.execute(
                """INSERT INTO family_days (day, started_at, endpoint, revision, orgs, rows, with_bases, bases_from,
                       self_references, period_from, bytes_read, computed_at, tool_version)
                   VALUES (?, ?, 'file:/synthetic', NULL, ?, 3000000, 1200000, 'baseModels', 200, ?, 150000000, ?, '0')""",
                [day, f"{day}T13:05:00Z", json.dumps(orgs), previous, f"{day}T14:00:00Z"],
            ).lastrowid
            rows = []
            grown = (k + 1) / len(days)
            for m in fam:
                d1 = max(1, round(latest[m] * grown * (0.66 if m in short else 1)))
                n = 3 * d1
                rows.append((m, day_id, n, d1 // 2, d1 // 4, d1 // 8, d1 - d1 // 2 - d1 // 4 - d1 // 8, 0,
                             n // 3, n // 6, n - d1 - n // 3 - n // 6, 4 if n > 20 else 2, n // 50, 0,
                             max(1, n // 4), n // 5, 1000 * m, 100 * n, 300 * n,
                             1000 if previous else None, 100 * n if previous else None,
                             300 * n if previous else None, 0))  # fmt: skip
            conn.executemany(f"INSERT INTO families VALUES ({', '.join('?' * 23)})", rows)
            conn.executemany(
                "INSERT INTO family_owners VALUES (?, 'org', ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, 0, ?)",
                [(day_id, o, json.dumps([o]), 250, 10**7, 10**9, 5000 + k, 10**6, 10**8,
                  10**5 if previous else None, 10**4 if previous else None) for o in orgs],
            )  # fmt: skip
            if day in lists:
                conn.executemany(
                    "INSERT INTO family_top VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(m, day_id, r, 1 + (m * 20 + r) % names, 1 + r % 3, "quantized", 10**5 // r, 10**6 // r)
                     for m in fam for r in range(1, 21)],
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO family_accounts VALUES (?, ?, ?, ?, ?, ?)",
                    [(m, day_id, r, 1 + (m * 7 + r) % 3000, 10 // r + 1, 10**4 // r)
                     for m in fam for r in range(1, 11)],
                )  # fmt: skip
            previous = day
    counts = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("family_days", "families", "family_top", "family_accounts", "family_owners")
    }
    conn.close()
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    counts["bytes"] = path.stat().st_size
    if not quiet:
        print(json.dumps(counts), file=sys.stderr)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    h = sub.add_parser("history", help="a database of daily snapshots")
    h.add_argument("out", type=Path)
    h.add_argument("--orgs", type=int, default=20)
    h.add_argument("--models", type=int, default=5000)
    h.add_argument("--days", type=int, default=730)
    h.add_argument("--derivative-every", type=int, default=7, help="days between a model's derivative counts")
    f = sub.add_parser("families", help="add families to a history built by `history`")
    f.add_argument("db", type=Path)
    f.add_argument(
        "--off",
        type=float,
        default=0.05,
        help="share of the models whose direct children model_info counts otherwise",
    )
    w = sub.add_parser("world", help="a fake-Hub world (JSON)")
    w.add_argument("out", type=Path)
    w.add_argument("--sizes", type=int, nargs="*", help="models per org (orgs big-00, big-01, ...)")
    w.add_argument("--watchlist", type=int, help="the synthetic watch list of N orgs")
    args = parser.parse_args(argv)
    if args.what == "history":
        build_history(
            args.out,
            orgs=args.orgs,
            models=args.models,
            days=args.days,
            derivative_every=args.derivative_every,
        )
    elif args.what == "families":
        build_families(args.db, off=args.off)
    else:
        if args.watchlist:
            sizes = watchlist_sizes(args.watchlist)
        else:
            sizes = {f"big-{i:02d}": n for i, n in enumerate(args.sizes or [20000])}
        args.out.write_text(json.dumps(make_world(sizes)))
        print(json.dumps({"orgs": len(sizes), "models": sum(sizes.values())}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
