"""Fuzz (issue 11): a few thousand random hostile listing items through a real sync, then every report.

Reproducible: one fixed seed. Random types for every field, numbers out of any range (2**63,
10**400, a 5,000-digit integer, NaN, infinities), random Unicode with lone surrogates (sent as
JSON escapes), control characters, terminal escape sequences, C1 controls, bidi overrides,
very long strings, nested junk, duplicate `_id`s within and across orgs, other accounts'
namespaces, and items that are not objects at all. Served by the fake Hub over HTTP, several
orgs, several pages each, two daily runs (the second with derivative counts and new models).
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run, sync_argv
from tests.fakehub import FakeHub

MAX_COUNT = 2**53 - 1  # oss_tracker.values.MAX_COUNT, written out: the test also runs against older code
SEED = 11
ORGS = ("FuzzA", "FuzzB", "FuzzC", "FuzzD")
PER_ORG = 800  # items a day 1 listing holds
PAGE = 250

NASTY = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b]0;pwned\x07",  # set the window title
    "\x9b31m",  # C1 CSI
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\x00",
    "\r",
    "\x07",
    "\x7f",
    "\t",
    "\x1b",
    "\ud800",  # lone surrogates
    "\udfff",
    "=cmd|' /C calc'!A0",
    "| --- |",
    "🙂",
    "通义千问",
    "",
]
HUGE_NUMBERS = [2**53 - 1, 2**53, 2**63 - 1, 2**63, 2**64, -1, -(2**63), 10**400, 0]
FLOATS = [math.nan, math.inf, -math.inf, 1e308, 0.5, -0.0, 1e-320, 7.0, 2.0**53]
DATES = [
    "2025-01-20T03:46:07.000Z",
    "2024-06-01T00:00:00Z",
    "0999-06-01T00:00:00.000Z",
    "9999-12-31T23:59:59.000Z",
    "2025-02-30T00:00:00.000Z",
    "2021-01-01T00:00:00.000Z",
    "2025-13-01T00:00:00.000Z",
    "yesterday",
    "２０２５-01-01T00:00:00.000Z",
    "2025-01-01T00:00:00+01:00",
]


def text(rng: random.Random, size: int = 12, *, storable: bool = False) -> str:
    """Random Unicode with something nasty in most strings (`storable`: no NUL, no lone surrogate,
    not too long)."""
    nasty = [n for n in NASTY if not (storable and re.search("[\x00\ud800-\udfff]", n))]
    parts = []
    for _ in range(rng.randint(1, size)):
        r = rng.random()
        if r < 0.25:
            parts.append(rng.choice(nasty))
        elif r < 0.5:
            parts.append(chr(rng.randint(0x20, 0x7E)))
        elif r < 0.6:
            parts.append(chr(rng.choice([rng.randint(1 if storable else 0, 0x1F), rng.randint(0x7F, 0x9F)])))
        else:
            code = rng.randint(0xA0, 0x2FFFF)
            parts.append(chr(code if not (storable and 0xD800 <= code <= 0xDFFF) else 0xA0))
    if rng.random() < 0.02:  # long: within the 1,000 characters kept (if storable), or far past
        parts.append("x" * (rng.randint(200, 900) if storable else rng.randint(1_000, 20_000)))
    return "".join(parts)


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A value of any JSON type (NaN and infinities included), nested a little."""
    r = rng.random()
    if r < 0.12:
        return None
    if r < 0.2:
        return rng.choice([True, False])
    if r < 0.35:
        return rng.choice(HUGE_NUMBERS + [rng.randint(-(10**6), 10**12)])
    if r < 0.45:
        return rng.choice(FLOATS + [rng.uniform(-1e6, 1e6)])
    if r < 0.55:
        return rng.choice(["NaN", "Infinity", "1e400", "12", "-5", "0x10", " 7 "])
    if r < 0.65:
        return rng.choice(DATES)
    if r < 0.85 or depth >= 2:
        return text(rng)
    if r < 0.93:
        return [junk(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {text(rng, 4): junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def maybe(rng: random.Random, good: Any, p: float = 0.5) -> Any:
    return good if rng.random() < p else junk(rng)


def tags(rng: random.Random) -> Any:
    if rng.random() < 0.1:
        return junk(rng)
    out: list[Any] = []
    for _ in range(rng.randint(0, 8)):
        r = rng.random()
        if r < 0.3:
            out.append("license:" + rng.choice(["mit", "apache-2.0", "other", text(rng, 6)]))
        elif r < 0.5:
            rel = rng.choice(["finetune", "quantized", "adapter", "merge", text(rng, 3)])
            out.append(f"base_model:{rel}:{text(rng, 6)}/{text(rng, 6)}")
        elif r < 0.6:
            out.append(junk(rng))
        else:
            out.append(text(rng, 8))
    return out


def item(rng: random.Random, org: str, n: int, *, hostile_ids: bool) -> dict[str, Any]:
    """One listing item of `org` (its `author` is the org, so the fake Hub lists it there)."""
    # Plain ids a third of the time: huggingface_hub's model_info refuses the others (derivatives).
    name = f"m-{n}" if rng.random() < 0.33 else f"{text(rng, 10, storable=not hostile_ids)}-{n}"
    repo_id: Any = f"{org}/{name}"
    hub_id: Any = f"{SEED:02x}{ORGS.index(org):02x}{n:020x}"
    if hostile_ids:
        r = rng.random()
        if r < 0.1:
            repo_id = f"Victim/{text(rng, 6)}-{n}"  # another account's namespace
        elif r < 0.15:
            repo_id = junk(rng)
        elif r < 0.2:
            hub_id = junk(rng)
        elif r < 0.25:
            repo_id = f"{org}/a\ud800{n}"
        elif r < 0.3:
            hub_id = f"{n}\x00"
    out = {
        "_id": hub_id,
        "id": repo_id,
        "author": org,
        "createdAt": maybe(rng, rng.choice(DATES[:2])),
        "lastModified": maybe(rng, "2025-11-01T00:00:00.000Z"),
        "downloads": maybe(rng, rng.randint(0, 10**6)),
        "downloadsAllTime": maybe(rng, rng.randint(0, 10**9)),
        "likes": maybe(rng, rng.randint(0, 10**4)),
        "trendingScore": maybe(rng, rng.uniform(0, 100)),
        "tags": tags(rng),
        "cardData": maybe(rng, {"license_name": maybe(rng, text(rng, 6))}),
        "pipeline_tag": maybe(rng, "text-generation", 0.3),
        "library_name": maybe(rng, "transformers", 0.3),
        "gated": maybe(rng, rng.choice([False, "auto", "manual"])),
        "safetensors": maybe(rng, {"parameters": {"BF16": 7}, "total": maybe(rng, 7_000_000_000)}),
        "sha": maybe(rng, f"{n:040x}"),
        "childrenModelCount": maybe(rng, rng.choice([0, 3, {"quantized": 2, "finetune": 1}])),
    }
    for key in list(out):
        if key not in ("_id", "id", "author") and rng.random() < 0.05:
            del out[key]
    return out


def make_world(rng: random.Random, day: int) -> dict[str, Any]:
    models = []
    for org in ORGS:
        hostile_ids = org in ("FuzzC", "FuzzD")
        count = PER_ORG + (100 if day == 2 else 0)
        models += [item(rng, org, n, hostile_ids=hostile_ids) for n in range(count)]
    # Duplicate _ids: within FuzzB, and one of FuzzA's in FuzzB (a transfer mid-sync).
    b = [m for m in models if m["author"] == "FuzzB"]
    a = [m for m in models if m["author"] == "FuzzA"]
    for i in range(0, 10, 2):
        b[i + 1]["_id"] = b[i]["_id"]
    for i in range(10):
        b[50 + i]["_id"] = a[i]["_id"]
    orgs = {
        "FuzzA": {"numFollowers": junk(rng)},
        # 5 repeated _ids: the Hub counts each model once
        "FuzzB": {"numFollowers": 2**64, "numModels": PER_ORG + (100 if day == 2 else 0) - 5},
        "FuzzC": {"numFollowers": "lots"},
        "FuzzD": {"numModels": None, "numDatasets": 10**400},
    }
    return {"orgs": orgs, "models": models}


def page_junk(rng: random.Random):
    """A `mutate` fault: items that are not objects, and (as raw JSON) a 5,000-digit number."""

    def fn(page: Any) -> Any:
        if not isinstance(page, list):
            return page
        extra = [rng.choice(["a bare string", 42, None, [1, 2], 1.5, True]) for _ in range(3)]
        body = json.dumps([*page, *extra])
        return (body[:-1] + ', {"_id": "big", "id": "FuzzD/big", "downloads": 1' + "0" * 5000 + "}]").encode()

    return fn


# C0 controls but the newline, DEL, C1 controls, bidi embeddings/overrides and isolates.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
INT64 = 2**63
COUNT_COLUMNS = {
    "model_snapshots": ("downloads_30d", "downloads_all_time", "likes"),
    "repo_snapshots": ("downloads_30d", "downloads_all_time", "likes"),
    "models": ("parameters",),
    "org_snapshots": ("num_models", "followers", "num_datasets", "num_spaces", "listed"),
    "derivative_counts": ("finetune", "quantized", "adapter", "merge", "total"),
    "derivative_latest": ("finetune", "quantized", "adapter", "merge", "total", "prev_total"),
}
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """Two daily syncs of hostile worlds into one database, at `-v` (every log line of what was
    skipped, left out or retried is fuzzed too): (db, their results)."""
    rng = random.Random(SEED)
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    results = []
    with pytest.MonkeyPatch.context() as env:
        from tests.dbstate import isolated_env

        isolated_env(env, db.parent)
        with FakeHub(make_world(rng, 1), page_size=PAGE) as hub:
            hub.add_fault("mutate", match="author=FuzzD", times=99, fn=page_junk(rng))
            results.append(run("-v", *sync_argv(hub, db, *ORGS, now="2025-11-24T06:00:00Z")))
            hub.set_world(make_world(rng, 2))
            results.append(
                run("-v", *sync_argv(hub, db, *ORGS, now="2025-11-25T06:00:00Z", derivatives="all"))
            )
    return db, results


def test_a_hostile_sync_ends_cleanly(fuzzed: tuple[Path, list[Any]]) -> None:
    db, results = fuzzed
    for result in results:
        assert result.exit_code in (0, 3), result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1].startswith("sync ")
        assert "is another account's model: left out" in result.stderr  # -v logs, fuzzed ids in them
        found = sorted({f"U+{ord(c):04X}" for c in CONTROL.findall(result.stderr)})
        assert found == [], f"control characters in the log lines: {found}"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # FuzzA's ids are all usable and its own: it is stored on both days, whatever its values.
        stored = conn.execute(
            "SELECT r.id, o.name FROM org_snapshots s JOIN orgs o ON o.id = s.org_id JOIN runs r ON r.id = s.run_id"
        ).fetchall()
        assert (1, "FuzzA") in stored and (2, "FuzzA") in stored
        assert conn.execute("SELECT count(*) FROM model_snapshots").fetchone()[0] > 1000
    finally:
        conn.close()


def test_every_stored_number_is_in_range(fuzzed: tuple[Path, list[Any]]) -> None:
    db, _ = fuzzed
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for (column,) in conn.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall():
                for kind, value in conn.execute(f'SELECT typeof("{column}"), "{column}" FROM "{table}"'):
                    if kind == "integer":
                        assert -INT64 <= value < INT64
                    if kind == "real":
                        assert math.isfinite(value), (table, column)
        for table, columns in COUNT_COLUMNS.items():
            for column in columns:
                bad = conn.execute(
                    f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
                    f"AND (typeof({column}) != 'integer' OR {column} < 0 OR {column} > ?)",
                    [MAX_COUNT],
                ).fetchall()
                assert bad == [], (table, column, bad[:5])
        trending = conn.execute(
            "SELECT trending FROM model_snapshots WHERE trending IS NOT NULL AND abs(trending) > ?",
            [MAX_COUNT],
        ).fetchall()
        assert trending == []
        for table in ("models", "repos"):
            for column in ("created_at", "last_modified"):
                for (value,) in conn.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
                    assert DATE.fullmatch(value) and "2015" <= value <= "2025-11-26", value
    finally:
        conn.close()


REPORTS = [
    ("report", "--org", "FuzzA"),
    ("report", "--org", "FuzzB"),
    ("releases", "--limit", "0"),
    ("changes",),
    ("changes", "--since", "2000-01"),
    ("trends",),
    ("trends", "--model", "FuzzA/x"),
    ("licenses",),
    ("compare",),
    ("derivatives",),
]


@pytest.mark.parametrize("argv", REPORTS, ids=[" ".join(a) for a in REPORTS])
@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "json"])
def test_every_report_of_the_hostile_database_is_clean(
    fuzzed: tuple[Path, list[Any]], argv: tuple[str, ...], fmt: str
) -> None:
    """No traceback, and no control character of the Hub's in the output, JSON included (where
    json.dumps leaves DEL, C1 and bidi characters raw: `json_visible` escapes them, and the JSON
    still reads back): escaping is the output's job (issue 11, points 9-11)."""
    db, _ = fuzzed
    result = run(*argv, "--db", str(db), "-f", fmt)
    if argv[:2] == ("trends", "--model"):
        assert result.exit_code == 1 and "FuzzA/x" in result.stderr  # no such model: one line
        return
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    if fmt == "json":
        json.loads(result.stdout)
    found = sorted({f"U+{ord(c):04X}" for c in CONTROL.findall(result.stdout)})
    assert found == [], f"{' '.join(argv)} -f {fmt}: control characters in the output: {found}"
