"""Families (issue 16): every descendant of a watched model, from archive days whose trees are known
by construction (TREE: depth 5, a declared cycle, a cycle through a watched model, a merge across
families, a self-reference, a base declared under a former name, a dangling base), built with
fixtures/build_archive.py and served by the fake Hub's dataset repo or read from local files.

Every expected figure is computed here from TREE and the day's counts by a plain walk
(`reference`), never pasted from a run.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fixtures.build_archive import archive_table, declare, parquet_bytes
from tests.conftest import dump, model, rows, run, sync, world
from tests.fakehub import FakeHub
from tests.fakehub_archive import ArchiveCommit, ArchiveRepo, sha_of

DAY1, DAY2 = "2025-11-24", "2025-11-25"
ORGS = ["Qwen", "deepseek-ai"]
COMPANIES = {"qwen": "Alibaba", "wan-ai": "Alibaba", "deepseek-ai": "DeepSeek"}
WATCHLIST = """
[companies.Alibaba]
accounts = ["Qwen", "Wan-AI"]

[companies.DeepSeek]
accounts = ["deepseek-ai"]
"""
# repo -> (declared bases, relation; None: not said). The renamed watched model is Qwen/Old on day 1
# and Qwen/New on day 2; bases name it both ways (and in another case).
TREE: dict[str, tuple[list[str], str | None]] = {
    "Qwen/Base": ([], None),
    "Qwen/Chat": (["Qwen/Base"], "finetune"),
    "Qwen/Old": ([], None),
    "Wan-AI/Video": (["Qwen/Chat"], "finetune"),
    "unsloth/Chat-GGUF": (["Qwen/Chat"], "quantized"),
    "u1/chain1": (["unsloth/Chat-GGUF"], "finetune"),
    "u1/chain2": (["u1/chain1"], "finetune"),
    "u1/chain3": (["u1/chain2"], "adapter"),  # depth 5 from Qwen/Base; gone on day 2
    "mergers/M": (["Qwen/Base", "Qwen/Chat", "deepseek-ai/R1"], "merge"),
    "cyc/a": (["cyc/b", "Qwen/Base"], "finetune"),
    "cyc/b": (["cyc/a"], "finetune"),
    "self/s": (["self/s", "Qwen/Base"], "finetune"),
    "bare/b": (["Qwen/Base"], None),
    "ren/x": (["Qwen/Old"], "finetune"),
    "ren/y": (["qwen/new"], "quantized"),
    "ren/z": (["Qwen/Old"], "adapter"),
    "deepseek-ai/R1": (["dl/loop"], "finetune"),  # a watched model declaring its own descendant
    "dl/loop": (["deepseek-ai/R1"], "finetune"),
    "dangling/d": (["gone/deleted"], "finetune"),
    "other/o": (["meta/llama"], "finetune"),
    "join/j": ([], None),  # declares Qwen/Base from day 2 on
}
DAY2_ONLY = {
    "new/n": (["Qwen/Chat"], "finetune"),
    **{f"x/extra-{i}": (["Qwen/Base"], "finetune") for i in range(5)},
    "Qwen/Fresh": ([], None),  # a watched account's own model launched between the two days
}
# Repos created after day 1's snapshot (every other repo was created long before): new on day 2,
# they had no download on day 1, so their whole all-time count is downloads of the period (a launch).
LAUNCHED = {"x/extra-0": "2025-11-24T20:00:00.000Z", "Qwen/Fresh": "2025-11-24T21:00:00.000Z"}
ARCHIVE_ONLY = {
    f"x/extra-{i}" for i in range(5)
}  # in the archive, not on the (fake) Hub: model_info misses them
MERGES = {"mergers/M"}  # by construction, the one repo declaring several bases of a family
CYCLES = [{"cyc/a", "cyc/b"}, {"deepseek-ai/R1", "dl/loop"}]
RENAMED = {"Qwen/Old": "Qwen/New"}
ROOTS = {"Qwen/Base": ["Qwen/Base"], "Qwen/Chat": ["Qwen/Chat"], "Qwen/New": ["Qwen/New", "Qwen/Old"],
         "deepseek-ai/R1": ["deepseek-ai/R1"]}  # fmt: skip
ORDER = sorted({*TREE, *DAY2_ONLY})


def tree(day: str) -> dict[str, tuple[list[str], str | None]]:
    """The repos of a day's file, under that day's names, with their declared bases."""
    out = {k: v for k, v in TREE.items() if not (day == DAY2 and k == "u1/chain3")}
    if day == DAY2:
        out.update(DAY2_ONLY)
        out["join/j"] = (["Qwen/Base"], "finetune")
        out[RENAMED["Qwen/Old"]] = out.pop("Qwen/Old")
    return out


def counts(repo: str, day: str) -> tuple[int, int]:
    """(30-day, all-time) downloads of a repo on a day (the renamed model keeps its index)."""
    i = ORDER.index({v: k for k, v in RENAMED.items()}.get(repo, repo))
    all_time = 1000 * (i + 1) + (7 * (i + 1) if day == DAY2 else 0)
    if repo == "unsloth/Chat-GGUF" and day == DAY2:
        all_time = 1000 * (i + 1) - 50  # an all-time count that went down
    return 10 + i, all_time


def hub_world(day: str, *, archive: bool) -> dict[str, Any]:
    """A day as Hub items: the archive's (every repo) or the fake Hub's (the archive-only ones left out)."""
    items = []
    for repo, (bases, relation) in tree(day).items():
        if not archive and repo in ARCHIVE_ONLY:
            continue
        d30, all_time = counts(repo, day)
        name = {v: k for k, v in RENAMED.items()}.get(repo, repo)
        created = {"created_at": LAUNCHED[repo]} if repo in LAUNCHED else {}
        item = model(repo, downloads=d30, all_time=all_time, hub_id=f"id-{ORDER.index(name):04d}", **created)
        items.append(declare(item, bases, relation) if bases else item)
    return world(*items, renames=RENAMED if day == DAY2 else {})


def archive_day(day: str) -> bytes:
    """Day 1 has no `baseModels` column (bases from tags), day 2 has one: detected per revision.
    `cardData` and the filler's `tags` are made heavy and incompressible, as in the real file, so that
    a range read of the light columns cannot take theirs along (pyarrow joins ranges less than 8 KiB
    apart)."""
    import random

    import pyarrow as pa

    drop = ("baseModels",) if day == DAY1 else ()
    table = archive_table(hub_world(day, archive=True), filler=40, drop=drop)
    rng = random.Random(day)
    cards = [
        json.dumps({"license": "mit", "text": f"{rng.getrandbits(16000):x}"}) for _ in range(table.num_rows)
    ]
    tags = [t if any(x.startswith("base_model:") for x in t or []) else [*(t or []), *(f"arxiv:{rng.getrandbits(64):x}" for _ in range(30))]
            for t in table.column("tags").to_pylist()]  # fmt: skip
    table = table.set_column(table.schema.get_field_index("cardData"), "cardData", pa.array(cards))
    table = table.set_column(
        table.schema.get_field_index("tags"), "tags", pa.array(tags, pa.list_(pa.string()))
    )
    return parquet_bytes(table, row_group_size=32)


# -- the reference: a plain walk over the constructed tree ----------------------------------
def account(repo: str) -> str:
    return repo.split("/")[0].lower()


def company(acc: str) -> str:
    return COMPANIES.get(acc, "@" + acc)


def reference(day: str, names: list[str]) -> dict[str, tuple[int, str | None]]:
    """repo -> (depth, relation) of every descendant of the model named `names`, breadth first."""
    low = {n.lower() for n in names}
    children: dict[str, list[tuple[str, str | None]]] = {}
    for repo, (bases, relation) in tree(day).items():
        for base in bases:
            if base.lower() != repo.lower():
                children.setdefault(base.lower(), []).append((repo, relation))
    out: dict[str, tuple[int, str | None]] = {}
    frontier, depth = sorted(low), 0
    while frontier:
        depth += 1
        nxt = []
        for base in frontier:
            for child, relation in children.get(base, []):
                if child.lower() in low or child in out:
                    continue
                out[child] = (depth, relation)
                nxt.append(child.lower())
        frontier = nxt
    return out


def expected_family(day: str, root: str) -> dict[str, Any] | None:
    names = ROOTS[root]
    members = reference(day, names)
    if not members:
        return None
    family = {m.lower() for m in members} | {n.lower() for n in names}
    cycle_of = {r: c for c in CYCLES for r in c}
    merges = sum(
        1 for m in members if m in MERGES
        and len({b.lower() for b in tree(day)[m][0] if b.lower() in family and b not in cycle_of.get(m, ())}) >= 2
    )  # fmt: skip
    cycles = sum(1 for c in CYCLES if c & ({*members, *names}))
    own_name = names[0] if names[0] in tree(day) else next(n for n in names if n in tree(day))
    mine = company(account(root))
    part = {"company": [0, 0, 0, 0], "community": [0, 0, 0, 0]}
    drops = 0
    previous = tree(DAY1) if day == DAY2 else None
    for m in members:
        d30, all_time = counts(m, day)
        p = part["company" if company(account(m)) == mine else "community"]
        p[0] += 1
        p[1] += d30
        p[2] += all_time
        if previous is not None and m in previous:
            diff = all_time - counts(m, DAY1)[1]
            p[3] += diff
            drops += diff < 0
        elif previous is not None and m in LAUNCHED:
            p[3] += all_time
    by_depth = [d for d, _ in members.values()]
    direct = [r for d, r in members.values() if d == 1]
    own = counts(own_name, day)
    before = next((n for n in names if n in (previous or {})), None)
    return {
        "descendants": len(members),
        "finetune": direct.count("finetune"),
        "quantized": direct.count("quantized"),
        "adapter": direct.count("adapter"),
        "merge": direct.count("merge"),
        "unspecified": direct.count(None),
        "depth2": by_depth.count(2),
        "depth3": by_depth.count(3),
        "deeper": sum(1 for d in by_depth if d >= 4),
        "max_depth": max(by_depth),
        "merges": merges,
        "cycles": cycles,
        "accounts": len({account(m) for m in members}),
        "company": part["company"][0],
        "own_30d": own[0],
        "company_30d": part["company"][1],
        "community_30d": part["community"][1],
        "period_own": own[1] - counts(before, DAY1)[1] if before else None,
        "period_company": part["company"][3] if previous else None,
        "period_community": part["community"][3] if previous else None,
        "drops": drops,
    }


def expected_owner(day: str, kind: str, name: str, accounts: list[str]) -> dict[str, Any]:
    accs = {a.lower() for a in accounts}
    reached: set[str] = set()
    for root, names in ROOTS.items():
        if account(root) in accs:
            reached |= set(reference(day, names))
    own = [r for r in tree(day) if account(r) in accs]
    previous = tree(DAY1) if day == DAY2 else None
    sums = {"own": [0, 0, 0, 0], "company": [0, 0, 0, 0], "community": [0, 0, 0, 0]}
    for r in own + sorted(reached - set(own)):
        d30, all_time = counts(r, day)
        key = "own" if account(r) in accs else "company" if kind == "org" and company(account(r)) == company(name.lower()) else "community"  # fmt: skip
        s = sums[key]
        s[0] += 1
        s[1] += d30
        s[2] += all_time
        old = {v: k for k, v in RENAMED.items()}.get(r, r)
        if previous is not None and (r in previous or old in previous):
            s[3] += all_time - counts(old, DAY1)[1]
        elif previous is not None and r in LAUNCHED:
            s[3] += all_time
    return {"models": sums["own"][0], "own_30d": sums["own"][1], "own_all_time": sums["own"][2],
            "company": sums["company"][0], "company_30d": sums["company"][1],
            "company_all_time": sums["company"][2], "community": sums["community"][0],
            "community_30d": sums["community"][1], "community_all_time": sums["community"][2],
            "period_own": sums["own"][3] if previous else None,
            "period_company": sums["company"][3] if previous else None,
            "period_community": sums["community"][3] if previous else None}  # fmt: skip


FAMILY_COLUMNS = list(expected_family(DAY2, "Qwen/Base") or {})


def stored_families(db: Path, day: str) -> dict[str, dict[str, Any]]:
    cols = ", ".join(f"f.{c}" for c in FAMILY_COLUMNS)
    return {
        r[0]: dict(zip(FAMILY_COLUMNS, r[1:], strict=True))
        for r in rows(
            db,
            f"""SELECT m.repo_id, {cols} FROM families f JOIN models m ON m.id = f.model_id
                JOIN family_days d ON d.id = f.day_id WHERE d.day = ?""",
            day,
        )
    }


def stored_owners(db: Path, day: str) -> dict[tuple[str, str], dict[str, Any]]:
    keys = list(expected_owner(DAY2, "org", "Qwen", ["Qwen"]))
    return {
        (r[0], r[1]): dict(zip(keys, r[2:], strict=True))
        for r in rows(
            db,
            f"""SELECT o.kind, o.name, {", ".join("o." + k for k in keys)} FROM family_owners o
                JOIN family_days d ON d.id = o.day_id WHERE d.day = ?""",
            day,
        )
    }


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def days() -> dict[str, bytes]:
    return {DAY1: archive_day(DAY1), DAY2: archive_day(DAY2)}


@pytest.fixture(scope="module")
def shared_hub() -> Any:
    with FakeHub(hub_world(DAY1, archive=False)) as fake:
        yield fake


@pytest.fixture
def hub(shared_hub: FakeHub, days: dict[str, bytes]) -> FakeHub:
    shared_hub.reset()
    shared_hub.set_world(hub_world(DAY1, archive=False))
    commits = [ArchiveCommit(sha_of(d), f"{d}T13:05:00.000Z", "Upload models.parquet with huggingface_hub",
                             {"models.parquet": days[d]}) for d in (DAY1, DAY2)]  # fmt: skip
    shared_hub.archive = ArchiveRepo(commits)
    return shared_hub


@pytest.fixture
def watchlist(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST)
    return path


def synced(hub: FakeHub, db: Path, derivatives: str = "none") -> None:
    """Two live syncs, the second after the rename (a `renamed` event: Qwen/Old -> Qwen/New)."""
    assert sync(hub, db, *ORGS, now=f"{DAY1}T06:00:00Z", derivatives=derivatives).exit_code == 0
    hub.set_world(hub_world(DAY2, archive=False))
    assert sync(hub, db, *ORGS, now=f"{DAY2}T06:00:00Z", derivatives=derivatives).exit_code == 0


def local_archive(tmp_path: Path, days: dict[str, bytes]) -> Path:
    folder = tmp_path / "archive"
    for day, data in days.items():
        (folder / "models" / day).mkdir(parents=True)
        (folder / "models" / day / "models.parquet").write_bytes(data)
    return folder


def backfill_families(db: Path, source: Path, watchlist: Path, *extra: str) -> Any:
    args = ["--config", str(watchlist), "backfill", "--families", "--db", str(db), "--source", str(source)]
    args += ["--now", "2025-12-01T00:00:00Z", *extra]
    for org in ORGS:
        args += ["--org", org]
    return run(*args)


# -- the tree ------------------------------------------------------------------------------
def test_families_of_local_archive_days_are_the_constructed_trees(
    hub: FakeHub, tmp_path: Path, days: dict[str, bytes], watchlist: Path
) -> None:
    db = tmp_path / "f.db"
    synced(hub, db)
    result = backfill_families(db, local_archive(tmp_path, days), watchlist)
    assert result.exit_code == 0, result.stderr
    for day in (DAY1, DAY2):
        expected = {
            (r if day == DAY1 or r != "Qwen/New" else r): f
            for r in ROOTS
            if (f := expected_family(day, r)) is not None
        }
        assert stored_families(db, day) == expected, day
        owners = stored_owners(db, day)
        assert owners == {
            ("org", "Qwen"): expected_owner(day, "org", "Qwen", ["Qwen"]),
            ("org", "deepseek-ai"): expected_owner(day, "org", "deepseek-ai", ["deepseek-ai"]),
            ("company", "Alibaba"): expected_owner(day, "company", "Alibaba", ["Qwen", "Wan-AI"]),
            ("company", "DeepSeek"): expected_owner(day, "company", "DeepSeek", ["deepseek-ai"]),
        }, day
    # The trees hold what they were built to hold (a guard on the reference itself).
    base = expected_family(DAY1, "Qwen/Base")
    assert base is not None and (base["max_depth"], base["merges"], base["cycles"]) == (5, 1, 1)
    assert expected_family(DAY2, "deepseek-ai/R1")["cycles"] == 1  # type: ignore[index]
    assert expected_family(DAY2, "Qwen/New")["descendants"] == 3  # type: ignore[index]
    assert expected_family(DAY2, "Qwen/Base")["drops"] == 1  # type: ignore[index]
    # Each day: where its bases came from, the rows declaring one, the self-reference dropped.
    with_bases = {d: sum(1 for b, _ in tree(d).values() if b) for d in (DAY1, DAY2)}
    assert rows(db, "SELECT day, bases_from, with_bases, self_references, period_from, rows, orgs FROM family_days ORDER BY day") == [
        (DAY1, "tags", with_bases[DAY1], 1, None, len(tree(DAY1)) + 41, json.dumps(sorted(ORGS, key=str.lower))),
        (DAY2, "baseModels", with_bases[DAY2], 1, DAY1, len(tree(DAY2)) + 41, json.dumps(sorted(ORGS, key=str.lower))),
    ]  # fmt: skip
    # The top descendants: by 30-day downloads, then id; the top accounts: by repos, downloads, name.
    members = reference(DAY2, ROOTS["Qwen/Base"])
    top = sorted(members, key=lambda m: (-counts(m, DAY2)[0], m))[:20]
    assert rows(db, """SELECT n.name, t.depth, t.relation, t.downloads_30d, t.downloads_all_time FROM family_top t
                       JOIN family_names n ON n.id = t.name_id JOIN family_days d ON d.id = t.day_id
                       JOIN models m ON m.id = t.model_id WHERE d.day = ? AND m.repo_id = 'Qwen/Base'
                       ORDER BY t.rank""", DAY2) == [
        (m, members[m][0], members[m][1], *counts(m, DAY2)) for m in top
    ]  # fmt: skip
    by_account: dict[str, list[int]] = {}
    for m in members:
        a = by_account.setdefault(m.split("/")[0], [0, 0])
        a[0] += 1
        a[1] += counts(m, DAY2)[0]
    assert rows(db, """SELECT n.name, a.repos, a.downloads_30d FROM family_accounts a
                       JOIN family_names n ON n.id = a.name_id JOIN family_days d ON d.id = a.day_id
                       JOIN models m ON m.id = a.model_id WHERE d.day = ? AND m.repo_id = 'Qwen/Base'
                       ORDER BY a.rank""", DAY2) == sorted(
        ((k, n, dl) for k, (n, dl) in by_account.items()), key=lambda a: (-a[1], -a[2], a[0].lower())
    )[:10]  # fmt: skip
    assert "families of 2 day(s) (2025-11-24 – 2025-11-25)" in result.stderr
    # Top lists are kept for the newest family day of each month: the 24th and 25th are one month.
    for table in ("family_top", "family_accounts"):
        assert rows(db, f"SELECT DISTINCT d.day FROM {table} t JOIN family_days d ON d.id = t.day_id") == [
            (DAY2,)
        ]


def test_top_lists_are_kept_for_the_newest_family_day_of_each_month(
    hub: FakeHub, tmp_path: Path, days: dict[str, bytes], watchlist: Path
) -> None:
    """Days built out of order: a month keeps its newest day's lists, whichever arrived last."""
    db = tmp_path / "w.db"
    synced(hub, db)
    folder = tmp_path / "weeks"
    for day in ("2025-10-31", "2025-11-26", "2025-11-25"):
        (folder / "models" / day).mkdir(parents=True)
        (folder / "models" / day / "models.parquet").write_bytes(days[DAY2])
    for day in ("2025-10-31", "2025-11-26", "2025-11-25"):
        result = backfill_families(db, folder, watchlist, "--since", day, "--until", day)
        assert result.exit_code == 0, result.stderr
    kept = rows(
        db, "SELECT DISTINCT d.day FROM family_top t JOIN family_days d ON d.id = t.day_id ORDER BY d.day"
    )
    assert kept == [("2025-10-31",), ("2025-11-26",)]
    assert rows(db, "SELECT count(DISTINCT day_id) FROM families") == [(3,)]  # aggregates: every day


def test_a_second_run_builds_nothing_again(
    hub: FakeHub, tmp_path: Path, days: dict[str, bytes], watchlist: Path
) -> None:
    db = tmp_path / "f.db"
    synced(hub, db)
    source = local_archive(tmp_path, days)
    assert backfill_families(db, source, watchlist).exit_code == 0
    before = dump(db)
    again = backfill_families(db, source, watchlist)
    assert again.exit_code == 0, again.stderr
    assert again.stderr == "backfill ok: 0 day(s) imported, 2 day(s) already stored\n"
    assert dump(db) == before


def _column_ranges(data: bytes, columns: set[str]) -> list[tuple[int, int]]:
    """[start, end) byte ranges of the file holding the given top-level columns' chunks."""
    import io

    import pyarrow.parquet as pq

    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    out = []
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            if col.path_in_schema.split(".")[0] in columns:
                start = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
                out.append((start, start + col.total_compressed_size))
    return out


def test_sync_families_reads_the_newest_archived_day_through_the_hub_and_only_its_graph_columns(
    hub: FakeHub, tmp_path: Path, days: dict[str, bytes], watchlist: Path
) -> None:
    db = tmp_path / "s.db"
    synced(hub, db)
    result = run("--config", str(watchlist), *_sync_args(hub, db), "--families")
    assert result.exit_code == 0, result.stderr
    # Only the newest archived day is built; the one before is read for its counts (the period).
    assert rows(db, "SELECT day, period_from, endpoint FROM family_days") == [
        (DAY2, DAY1, f"{hub.url}/datasets/cfahlgren1/hub-stats")
    ]
    assert stored_families(db, DAY2) == {r: f for r in ROOTS if (f := expected_family(DAY2, r)) is not None}
    read = rows(db, "SELECT bytes_read FROM family_days")[0][0]
    assert f"families ok: families of 1 day(s) ({DAY2}), " in result.stderr
    assert f"{read / 1e3:,.1f} kB read ({100 * read / len(days[DAY2]):.1f} % of " in result.stderr
    # What was fetched: day 2's ids, counts and baseModels, day 1's ids and all-time counts, wholly;
    # not a byte of either day's tags or cardData (the heavy columns), but for the file's last 64 KiB,
    # which pyarrow reads at once to find the footer.
    served: dict[str, list[tuple[int, int]]] = {DAY1: [], DAY2: []}
    for revision, path, asked in hub.archive.reads:  # type: ignore[union-attr]
        assert path == "models.parquet"
        start, end = (int(x) for x in re.fullmatch(r"bytes=(\d+)-(\d+)", asked).groups())  # type: ignore[union-attr]
        served[next(d for d in served if sha_of(d) == revision)].append((start, end + 1))
    assert sum(e - s for ranges in served.values() for s, e in ranges) == read
    wanted = {DAY2: {"id", "downloads", "downloadsAllTime", "baseModels"}, DAY1: {"id", "downloadsAllTime"}}
    for day, columns in wanted.items():
        for s, e in _column_ranges(days[day], columns):
            assert any(a <= s and e <= b for a, b in served[day]), (day, s, e)
        heavy = [
            (s, e) for s, e in _column_ranges(days[day], {"tags", "cardData"}) if e < len(days[day]) - 2**16
        ]
        assert len(heavy) >= 2
        for s, e in heavy:
            assert all(b <= s or e <= a for a, b in served[day]), (day, s, e)


def _sync_args(hub: FakeHub, db: Path, now: str = "2025-11-26T06:00:00Z") -> list[str]:
    args = ["sync", "--db", str(db), "--endpoint", hub.url, "--now", now, "--derivatives", "none"]
    for org in ORGS:
        args += ["--org", org]
    return args


# -- consistent with the API ----------------------------------------------------------------
RELATIONS = ("finetune", "quantized", "adapter", "merge")


def api_count(day: str, repo: str) -> int:
    """What the fake Hub's model_info says (its rule: `base_model:<relation>:<id>` tags, exact id)."""
    return sum(
        1 for m in hub_world(day, archive=False)["models"]
        if any(f"base_model:{r}:{repo}" in m["tags"] for r in RELATIONS)
    )  # fmt: skip


def test_direct_children_beside_model_info_and_a_difference_beyond_the_archives_age_is_reported(
    hub: FakeHub, tmp_path: Path, watchlist: Path
) -> None:
    db = tmp_path / "a.db"
    synced(hub, db, derivatives="all")  # counts on both days
    result = run("--config", str(watchlist), *_sync_args(hub, db), "--families")
    assert result.exit_code == 0, result.stderr
    out = json.loads(run("families", "--db", str(db), "-f", "json").stdout)
    compared = {}
    for root in [*ROOTS, "Qwen/Fresh"]:  # every watched model counted through model_info
        direct = sum(1 for d, _ in reference(DAY2, ROOTS.get(root, [root])).values() if d == 1)
        api = api_count(DAY2, root)
        allowed = max(2, math.ceil(0.02 * api))  # counted the same day: no age to allow for
        compared[root] = (direct, api, direct - api, allowed, abs(direct - api) > allowed)
    beyond = {k: v for k, v in compared.items() if v[4]}
    # By construction: Qwen/Base's archive-only and bare-tagged children, Qwen/New's children named
    # by its former name (and in another case); the two others agree.
    assert sorted(beyond) == ["Qwen/Base", "Qwen/New"]
    assert (out["api"]["compared"], out["api"]["beyond"]) == (len(compared), len(beyond))
    assert [(r["id"], r["archive_direct"], r["api_direct"], r["difference"], r["allowed"], r["api_day"],
             r["days_apart"]) for r in out["api"]["largest"]] == [
        (k, *v[:4], DAY2, 0) for k, v in sorted(beyond.items(), key=lambda kv: (-abs(kv[1][2]), kv[0].lower()))
    ]  # fmt: skip
    assert "2 direct-children count(s) differ from model_info beyond the archive's age" in result.stderr
    table = run("families", "--db", str(db), env={"COLUMNS": "200"}).stdout
    assert "Direct children: the archive and model_info differ beyond the archive's age" in table
    # One family shows its own comparison, within or beyond.
    chat = json.loads(run("derivatives", "--family", "Qwen/Chat", "--db", str(db), "-f", "json").stdout)
    assert (chat["api"]["archive_direct"], chat["api"]["api_direct"], chat["api"]["beyond"]) == (
        compared["Qwen/Chat"][0],
        compared["Qwen/Chat"][1],
        False,
    )
    # A glob is still the roll-up of direct counts (model_info's), not a tree.
    rollup = json.loads(run("derivatives", "--family", "Qwen/B*", "--db", str(db), "-f", "json").stdout)
    assert rollup["family"]["ids"] == ["Qwen/Base"] and rollup["family"]["total"] == api_count(
        DAY2, "Qwen/Base"
    )


def test_the_api_allowance_grows_with_the_archives_age(hub: FakeHub, tmp_path: Path, watchlist: Path) -> None:
    """Counted through model_info 2 days after the archived day, at a known pace: allowed = pace x 2 + noise."""
    db = tmp_path / "age.db"
    synced(hub, db, derivatives="all")
    extra = [declare(model(f"late/child-{i}"), ["Qwen/Chat"], "finetune") for i in range(6)]
    hub.set_world(
        {**hub_world(DAY2, archive=False), "models": [*hub_world(DAY2, archive=False)["models"], *extra]}
    )
    assert sync(hub, db, *ORGS, now="2025-11-27T06:00:00Z", derivatives="all").exit_code == 0
    source = tmp_path / "only-day2"
    (source / "models" / DAY2).mkdir(parents=True)
    (source / "models" / DAY2 / "models.parquet").write_bytes(archive_day(DAY2))
    assert backfill_families(db, source, watchlist).exit_code == 0
    out = json.loads(run("derivatives", "--family", "Qwen/Chat", "--db", str(db), "-f", "json").stdout)["api"]
    # model_info's counts around the archived day: the 25th (before or on it) is the nearest.
    assert (out["api_day"], out["days_apart"]) == (DAY2, 0)
    day1, day2, day3 = (
        api_count(DAY1, "Qwen/Chat"),
        api_count(DAY2, "Qwen/Chat"),
        api_count(DAY2, "Qwen/Chat") + 6,
    )
    assert rows(db, """SELECT d.day, d.total FROM derivative_counts d JOIN models m ON m.id = d.model_id
                       WHERE m.repo_id = 'Qwen/Chat' ORDER BY d.day""") == [
        (DAY1, day1), (DAY2, day2), ("2025-11-27", day3)
    ]  # fmt: skip
    assert out["pace_per_day"] == (day3 - day2) / 2


# -- reports --------------------------------------------------------------------------------
@pytest.fixture
def built(hub: FakeHub, tmp_path: Path, days: dict[str, bytes], watchlist: Path) -> Path:
    db = tmp_path / "r.db"
    synced(hub, db)
    assert backfill_families(db, local_archive(tmp_path, days), watchlist).exit_code == 0
    return db


def test_derivatives_family_model_shows_the_tree_its_downloads_and_its_history(built: Path) -> None:
    out = json.loads(run("derivatives", "--family", "Qwen/Base", "--db", str(built), "-f", "json").stdout)
    f1, f2 = expected_family(DAY1, "Qwen/Base"), expected_family(DAY2, "Qwen/Base")
    assert f1 is not None and f2 is not None
    assert (out["id"], out["org"], out["company"], out["day"], out["period_from"]) == (
        "Qwen/Base",
        "Qwen",
        "Alibaba",
        DAY2,
        DAY1,
    )
    direct = f2["finetune"] + f2["quantized"] + f2["adapter"] + f2["merge"] + f2["unspecified"]
    assert out["family"] == {**{k: f2[k] for k in out["family"] if k != "direct"}, "direct": direct}
    whole = f2["own_30d"] + f2["company_30d"] + f2["community_30d"]
    whole_period = f2["period_own"] + f2["period_company"] + f2["period_community"]
    assert out["downloads"]["community"] == {
        "downloads_30d": f2["community_30d"], "share_30d_pct": round(100 * f2["community_30d"] / whole, 1),
        "downloads_period": f2["period_community"],
        "share_period_pct": round(100 * f2["period_community"] / whole_period, 1),
    }  # fmt: skip
    assert out["downloads"]["family"]["downloads_30d"] == whole
    assert [(h["day"], h["descendants"], h["change"]) for h in out["history"]] == [
        (DAY1, f1["descendants"], None), (DAY2, f2["descendants"], f2["descendants"] - f1["descendants"])
    ]  # fmt: skip
    assert out["api"] is None  # no model_info count in this database
    # A former name leads to the model as it is named now.
    renamed = json.loads(run("derivatives", "--family", "Qwen/Old", "--db", str(built), "-f", "json").stdout)
    assert renamed["id"] == "Qwen/New"
    assert renamed["family"]["descendants"] == expected_family(DAY2, "Qwen/New")["descendants"]  # type: ignore[index]
    table = run("derivatives", "--family", "Qwen/Base", "--db", str(built), env={"COLUMNS": "200"}).stdout
    assert (
        f"Family of Qwen/Base on {DAY2}" in table
        and "Merges (several bases in the family, counted once)" in table
    )
    csv = run("derivatives", "--family", "Qwen/Base", "--db", str(built), "-f", "csv").stdout
    assert csv.splitlines()[0] == "rank,id,depth,relation,downloads_30d,downloads_all_time"


@pytest.mark.parametrize("by", ["descendants", "community", "growth"])
def test_families_ranks_the_watched_models_by_descendants_community_downloads_or_growth(
    built: Path, by: str
) -> None:
    out = json.loads(run("families", "--db", str(built), "--by", by, "--since", DAY1, "-f", "json").stdout)
    now = {r: f for r in ROOTS if (f := expected_family(DAY2, r))}
    then = {r: f for r in ROOTS if (f := expected_family(DAY1, r))}
    growth = {r: f["descendants"] - (then[r]["descendants"] if r in then else 0) for r, f in now.items()}
    key = {"descendants": lambda r: (-now[r]["descendants"], r.lower()),
           "community": lambda r: (-now[r]["community_30d"], r.lower()),
           "growth": lambda r: (-growth[r], r.lower())}[by]  # fmt: skip
    assert [f["id"] for f in out["families"]] == sorted(now, key=key)
    assert {f["id"]: (f["growth"], f["community_period"]) for f in out["families"]} == {
        r: (growth[r], now[r]["period_community"]) for r in now
    }
    assert (out["since"], out["period"]) == (DAY1, {"from": DAY1, "to": DAY2})
    qwen = next(o for o in out["orgs"] if o["name"] == "Qwen")
    e = expected_owner(DAY2, "org", "Qwen", ["Qwen"])
    assert (qwen["own_30d"], qwen["built_30d"], qwen["own_period"], qwen["built_period"]) == (
        e["own_30d"], e["company_30d"] + e["community_30d"], e["period_own"], e["period_company"] + e["period_community"]
    )  # fmt: skip
    assert [c["name"] for c in out["companies"]] == ["Alibaba", "DeepSeek"]


def test_families_csv_and_a_database_without_families(built: Path, tmp_path: Path, hub: FakeHub) -> None:
    csv = run("families", "--db", str(built), "-f", "csv").stdout.splitlines()
    assert (
        csv[0]
        == "id,descendants,direct,deeper,growth,own_30d,community_30d,community_share_pct,community_period,org,merges"
    )
    assert len(csv) == 1 + sum(1 for r in ROOTS if expected_family(DAY2, r))
    bare = tmp_path / "bare.db"
    assert sync(hub, bare, *ORGS).exit_code == 0
    for args in (("families",), ("derivatives", "--family", "Qwen/Base")):
        result = run(*args, "--db", str(bare))
        assert result.exit_code == 1
        assert result.stderr.startswith("oss-tracker: error: no famil") and "sync --families" in result.stderr
    unknown = run("derivatives", "--family", "nobody/nothing", "--db", str(built))
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "oss-tracker: error: no model 'nobody/nothing' in the database (see `oss-tracker releases`)\n",
    )


def test_the_family_reports_import_neither_the_hub_client_nor_pyarrow(built: Path) -> None:
    for args in (["families"], ["derivatives", "--family", "Qwen/Base"]):
        code = (
            "import os, sys\n"
            "_exit = os._exit\n"
            "def _report(code):  # a report ends with os._exit (no teardown): look before it\n"
            "    heavy = sorted(m for m in ('huggingface_hub', 'httpx2', 'sqlite_utils', 'numpy', 'pyarrow')"
            " if m in sys.modules)\n"
            "    print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
            "    sys.stderr.flush()\n"
            "    _exit(code)\n"
            "os._exit = _report\n"
            "from oss_tracker.cli import main\n"
            f"sys.argv = ['oss-tracker', *{args!r}, '--db', {str(built)!r}, '-f', 'json']\n"
            "main()\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "HEAVY [] EXIT 0" in done.stderr, (args, done.stderr)


# -- what goes wrong -----------------------------------------------------------------------
def test_sync_families_without_an_archive_keeps_the_run_and_exits_3(hub: FakeHub, tmp_path: Path) -> None:
    hub.archive = None  # the Hub has no such dataset: 404
    db = tmp_path / "n.db"
    result = run(*_sync_args(hub, db, now=f"{DAY1}T06:00:00Z"), "--families")
    assert result.exit_code == 3
    assert rows(db, "SELECT day, status FROM runs") == [(DAY1, "ok")]
    assert rows(db, "SELECT count(*) FROM family_days") == [(0,)]
    assert result.stderr.splitlines()[-1].startswith(
        "oss-tracker: error: families not built: cannot list the commits of cfahlgren1/hub-stats: "
    )
    usage = run(*_sync_args(hub, db), "--families", "--replay", str(tmp_path))
    assert usage.exit_code == 2 and "--families reads the Hub's archive" in usage.stderr


def test_hostile_archive_columns_cost_their_values_not_the_day(
    hub: FakeHub, tmp_path: Path, watchlist: Path
) -> None:
    """A `baseModels` of another shape, or with no id at all, leaves the bases to `tags`; an overlong
    base is no repo; odd counts are unknown; a descendant's id with control characters is shown escaped."""
    import pyarrow as pa

    evil = "evil/\x1b[31mred\u202e"
    items = hub_world(DAY1, archive=True)["models"]
    items.append(declare(model(evil, downloads=5, all_time=9), ["Qwen/Base", "x" * 400], "finetune"))
    table = archive_table(world(*items), filler=5)
    shapes = {
        "a-string": table.set_column(table.schema.get_field_index("baseModels"), "baseModels",
                                     pa.array(['{"models": []}'] * table.num_rows)),
        "all-null": archive_table(world(*items), filler=5, blank=("baseModels",)),
    }  # fmt: skip
    odd = table.column("downloads").to_pylist()
    odd[[r["id"] for r in table.to_pylist()].index("cyc/a")] = -4
    shapes["odd-counts"] = table.set_column(table.schema.get_field_index("downloads"), "downloads",
                                            pa.array([float(v) if v is not None else None for v in odd]).cast(pa.float64()))  # fmt: skip
    db = tmp_path / "h.db"
    synced(hub, db)
    expected = expected_family(DAY1, "Qwen/Base")
    assert expected is not None
    for i, (name, shaped) in enumerate(shapes.items()):
        source = tmp_path / name / "models" / f"2025-11-2{i + 6}"
        source.mkdir(parents=True)
        (source / "models.parquet").write_bytes(parquet_bytes(shaped, row_group_size=16))
        result = backfill_families(db, source.parent.parent, watchlist)
        assert result.exit_code == 0, (name, result.stderr)
        [(bases_from, message)] = rows(
            db, "SELECT bases_from, message FROM family_days WHERE day = ?", f"2025-11-2{i + 6}"
        )
        got = stored_families(db, f"2025-11-2{i + 6}")["Qwen/Base"]
        assert got["descendants"] == expected["descendants"] + 1, name  # the evil one; not the overlong base
        if name == "odd-counts":
            assert bases_from == "baseModels"
            # -4 is no count: cyc/a adds nothing to the community's 30-day downloads.
            assert got["community_30d"] == expected["community_30d"] - counts("cyc/a", DAY1)[0] + 5
        else:
            assert bases_from == "tags"
            assert message == {"a-string": "`baseModels` has an unknown shape: bases read from `tags`",
                               "all-null": "`baseModels` holds no id in this revision: bases read from `tags`"}[name]  # fmt: skip
    shown = run("derivatives", "--family", "Qwen/Base", "--db", str(db), env={"COLUMNS": "200"}).stdout
    assert "evil/\\x1b[31mred\\u202e" in shown and "\x1b" not in shown and "\u202e" not in shown


def test_sync_families_passes_over_a_newest_day_whose_file_did_not_change(
    hub: FakeHub, tmp_path: Path, days: dict[str, bytes]
) -> None:
    """The newest commit only re-uploaded another file: its models.parquet is the day before's (same
    content hash), so the day before is the newest archived day; nothing is dated wrongly."""
    hub.archive.commits.append(  # type: ignore[union-attr]
        ArchiveCommit(
            sha_of("later"),
            "2025-11-26T13:20:00.000Z",
            "Upload datasets.parquet",
            {"models.parquet": days[DAY2], "datasets.parquet": b"x"},
        )  # fmt: skip
    )
    db = tmp_path / "g.db"
    synced(hub, db)
    result = run(*_sync_args(hub, db, now="2025-11-27T06:00:00Z"), "--families")
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT day, revision, period_from FROM family_days") == [(DAY2, sha_of(DAY2), DAY1)]
    again = run(*_sync_args(hub, db, now="2025-11-27T07:00:00Z"), "--families")
    assert again.exit_code == 0, again.stderr
    assert (
        again.stderr.splitlines()[-1] == "families ok: the newest archived day's families are already stored"
    )


def test_a_day_before_that_cannot_be_read_leaves_the_families_without_a_period(
    hub: FakeHub, tmp_path: Path, days: dict[str, bytes], watchlist: Path
) -> None:
    db = tmp_path / "p.db"
    synced(hub, db)
    source = local_archive(tmp_path, {DAY1: b"PAR1 not a parquet file", DAY2: days[DAY2]})
    result = backfill_families(db, source, watchlist, "--since", DAY2)
    assert result.exit_code == 0, result.stderr
    [(period_from, message)] = rows(db, "SELECT period_from, message FROM family_days")
    assert period_from is None
    assert message.startswith(
        f"no period downloads: the day before ({DAY1}) could not be read (not a readable Parquet file"
    )
    expected = {r: f for r in ROOTS if (f := expected_family(DAY2, r)) is not None}
    for f in expected.values():
        f.update(period_own=None, period_company=None, period_community=None, drops=0)
    assert stored_families(db, DAY2) == expected


def test_a_csv_day_has_no_families_and_says_so(hub: FakeHub, tmp_path: Path, watchlist: Path) -> None:
    import csv
    import io

    from fixtures.build_archive import rows_of

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "author", "downloads", "tags"])
    writer.writeheader()
    for r in rows_of(hub_world(DAY1, archive=True), filler=3):
        writer.writerow(
            {"id": r["id"], "author": r["author"], "downloads": r["downloads"], "tags": json.dumps(r["tags"])}
        )
    folder = tmp_path / "csv" / "models" / DAY1
    folder.mkdir(parents=True)
    (folder / "models.csv").write_text(out.getvalue())
    db = tmp_path / "c.db"
    result = backfill_families(db, folder.parent.parent, watchlist)
    assert result.exit_code == 0, result.stderr
    assert (
        f"no families for 1 day(s): {DAY1}: a CSV day: its bases are read from Parquet days only"
        in result.stderr
    )
    assert rows(db, "SELECT count(*) FROM family_days") == [(0,)]
    assert rows(db, "SELECT count(*) FROM runs WHERE source = 'archive'") == [(1,)]  # its snapshot is stored


# -- periods, launches, presence (review of issue 16) ---------------------------------------
def test_families_count_a_launch_whole_as_the_accounts_periods_do(
    tmp_path: Path, days: dict[str, bytes], watchlist: Path
) -> None:
    """Qwen/Fresh (Qwen's own) and x/extra-0 (a community descendant of Qwen/Base) were created after
    day 1's snapshot: each counts whole in day 2's period. Built from the archive alone, Qwen's own
    downloads in the period are `trends`' for the same two days."""
    db = tmp_path / "fresh.db"
    result = backfill_families(db, local_archive(tmp_path, days), watchlist)
    assert result.exit_code == 0, result.stderr
    # Without live syncs no rename is known: Qwen/Old and Qwen/New are two repos of the account.
    both = [r for r in tree(DAY2) if account(r) == "qwen" and r in tree(DAY1)]
    own = sum(counts(r, DAY2)[1] - counts(r, DAY1)[1] for r in both) + counts("Qwen/Fresh", DAY2)[1]
    [(period_own,)] = rows(
        db,
        """SELECT o.period_own FROM family_owners o JOIN family_days d ON d.id = o.day_id
           WHERE d.day = ? AND o.kind = 'org' AND o.name = 'Qwen'""",
        DAY2,
    )
    trend = json.loads(run("trends", "--org", "Qwen", "--db", str(db), "-f", "json").stdout)
    assert [(p["date"], p["change"], p["launches"]) for p in trend["series"][0]["points"]] == [
        (DAY1, None, 0), (DAY2, own, 1)
    ]  # fmt: skip
    assert period_own == own
    # Qwen/Base's community period holds x/extra-0's whole count (new that day, created after day 1).
    base = stored_families(db, DAY2)["Qwen/Base"]
    assert base["period_community"] == expected_family(DAY2, "Qwen/Base")["period_community"]  # type: ignore[index]
    assert counts("x/extra-0", DAY2)[1] > 0 and "x/extra-0" in reference(DAY2, ["Qwen/Base"])


def test_family_periods_join_only_days_that_have_a_period(
    hub: FakeHub, tmp_path: Path, watchlist: Path
) -> None:
    """Four days, the second without downloadsAllTime, every repo +1,000 all-time a day: the second
    day has no period and no `period_from`; the third's period runs from the first (the day without
    counts is passed over); `families --since` the first day sums three days of downloads."""
    import copy

    folder = tmp_path / "chain"
    dates = ["2025-11-25", "2025-11-26", "2025-11-27", "2025-11-28"]
    base = hub_world(DAY2, archive=True)
    for k, day in enumerate(dates):
        world_k = copy.deepcopy(base)
        for m in world_k["models"]:
            m["downloadsAllTime"] += 1000 * k
        (folder / "models" / day).mkdir(parents=True)
        (folder / "models" / day / "models.parquet").write_bytes(
            parquet_bytes(archive_table(world_k, filler=20, all_time=k != 1))
        )
    db = tmp_path / "c.db"
    hub.set_world(hub_world(DAY2, archive=False))
    assert sync(hub, db, *ORGS, now="2025-11-25T06:00:00Z").exit_code == 0
    result = backfill_families(db, folder, watchlist)
    assert result.exit_code == 0, result.stderr
    assert rows(db, "SELECT day, period_from FROM family_days ORDER BY day") == [
        ("2025-11-25", None), ("2025-11-26", None), ("2025-11-27", "2025-11-25"), ("2025-11-28", "2025-11-27")
    ]  # fmt: skip
    community = [
        m for m, _ in reference(DAY2, ["Qwen/Base"]).items() if company(account(m)) != company("qwen")
    ]
    assert rows(
        db,
        """SELECT d.day, f.period_community FROM families f JOIN family_days d ON d.id = f.day_id
           JOIN models m ON m.id = f.model_id WHERE m.repo_id = 'Qwen/Base' ORDER BY d.day""",
    ) == [("2025-11-25", None), ("2025-11-26", None), ("2025-11-27", 2000 * len(community)),
          ("2025-11-28", 1000 * len(community))]  # fmt: skip
    out = json.loads(run("families", "--db", str(db), "-f", "json", "--since", "2025-11-25").stdout)
    assert out["period"] == {"from": "2025-11-25", "to": "2025-11-28"}
    assert {f["id"]: f["community_period"] for f in out["families"]}["Qwen/Base"] == 3000 * len(community)


def test_model_info_is_compared_only_for_models_in_the_days_file_with_room_for_one_count(
    hub: FakeHub, tmp_path: Path, watchlist: Path
) -> None:
    """Qwen/Brandnew (8 quantized children on the Hub) is not in day 2's file: the archive could not
    count its children, so it is not compared. Qwen/Chat, counted once by model_info two days after
    the archived day (no pace known), differs by 5: within the noise of each day apart (2 x 3)."""
    db = tmp_path / "n.db"
    synced(hub, db)  # no model_info counts on the two first days
    brand = model("Qwen/Brandnew", downloads=5, all_time=5, hub_id="id-brand")
    kids = [declare(model(f"q/kid-{i}"), ["Qwen/Brandnew"], "quantized") for i in range(8)]
    late = [declare(model(f"late/child-{i}"), ["Qwen/Chat"], "finetune") for i in range(5)]
    now = hub_world(DAY2, archive=False)
    hub.set_world({**now, "models": [*now["models"], brand, *kids, *late]})
    assert sync(hub, db, *ORGS, now="2025-11-27T06:00:00Z", derivatives="all").exit_code == 0
    source = tmp_path / "only-day2"
    (source / "models" / DAY2).mkdir(parents=True)
    (source / "models" / DAY2 / "models.parquet").write_bytes(archive_day(DAY2))
    assert backfill_families(db, source, watchlist).exit_code == 0
    [(absent,)] = rows(db, "SELECT absent FROM family_days")
    assert json.loads(absent) == [
        r[0] for r in rows(db, "SELECT id FROM models WHERE repo_id = 'Qwen/Brandnew'")
    ]
    out = json.loads(run("families", "--db", str(db), "-f", "json").stdout)
    chat_direct = sum(1 for d, _ in reference(DAY2, ["Qwen/Chat"]).values() if d == 1)
    assert chat_direct == api_count(DAY2, "Qwen/Chat")  # the archived day itself agreed
    chat = json.loads(run("derivatives", "--family", "Qwen/Chat", "--db", str(db), "-f", "json").stdout)[
        "api"
    ]
    assert (
        chat["difference"],
        chat["days_apart"],
        chat["pace_per_day"],
        chat["allowed"],
        chat["beyond"],
    ) == (-5, 2, None, 6, False)
    assert "Qwen/Brandnew" not in [r["id"] for r in out["api"]["largest"]]
    counted = {
        r[0] for r in rows(db, "SELECT m.repo_id FROM derivative_latest l JOIN models m ON m.id = l.model_id")
    }
    assert "Qwen/Brandnew" in counted
    assert out["api"]["compared"] == len(counted) - 1  # all counted models but the one not in the file
