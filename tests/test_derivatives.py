"""Derivative counts: int and dict forms, budget and staleness, 429 mid-run, concurrency, reports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import dump, model, rows, run, sync_argv, world
from tests.fakehub import FakeHub


def sync(hub: FakeHub, db: Path, mode: str, *extra: str, now: str = "2025-11-24T06:00:00Z", orgs=("Lab",)):
    return run(*sync_argv(hub, db, *orgs, now=now, derivatives=mode, extra=extra))


def child(repo: str, relation: str, base: str, downloads: int = 5) -> dict:
    return model(
        repo, downloads=downloads, tags=[f"base_model:{base}", f"base_model:{relation}:{base}", "license:mit"]
    )


def lab_world() -> dict:
    return world(
        model("Lab/int-form", downloads=300, childrenModelCount=1234),
        model("Lab/dict-form", downloads=200, childrenModelCount={"finetune": 3, "quantized": 2}),
        model(
            "Lab/computed",
            downloads=100,
            baseModels={
                "relation": "finetune",
                "models": [{"_id": "67c85cdbebd06f51d80ca1c7", "id": "Other/Base-7B"}],
            },
        ),
        child("fan/computed-GGUF", "quantized", "Lab/computed", downloads=50),
        child("fan/computed-lora", "adapter", "Lab/computed", downloads=70),
        child("fan/computed-ft", "finetune", "Lab/computed", downloads=60),
        child("fan2/computed-Q4", "quantized", "Lab/computed", downloads=40),
    )


COUNTS = "SELECT m.repo_id, d.day, d.finetune, d.quantized, d.adapter, d.merge, d.total FROM derivative_counts d JOIN models m ON m.id = d.model_id ORDER BY 1"


def test_int_and_dict_forms_are_stored_without_inventing_a_split(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(lab_world())
    db = tmp_path / "t.db"
    result = sync(hub, db, "all")
    assert result.exit_code == 0, result.stderr
    assert rows(db, COUNTS) == [
        ("Lab/computed", "2025-11-24", 1, 2, 1, 0, 4),
        ("Lab/dict-form", "2025-11-24", 3, 2, 0, 0, 5),
        ("Lab/int-form", "2025-11-24", None, None, None, None, 1234),
    ]
    assert rows(
        db,
        "SELECT m.repo_id, b.base_repo_id, b.relation FROM model_bases b JOIN models m ON m.id = b.model_id",
    ) == [("Lab/computed", "Other/Base-7B", "finetune")]
    # one overview + one listing page + one model_info per watched model
    assert hub.count() == 2 + 3
    assert "derivatives: 3 refreshed, 0 left stale" in result.stderr


def test_report_ranks_bases_and_states_its_definition(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(lab_world())
    db = tmp_path / "t.db"
    sync(hub, db, "all")
    grown = lab_world()
    grown["models"][1]["childrenModelCount"] = {"finetune": 5, "quantized": 2, "merge": 1}
    hub.set_world(grown)
    sync(hub, db, "all", now="2025-11-25T06:00:00Z")
    out = json.loads(run("derivatives", "--db", str(db), "--format", "json").stdout)
    assert out["source"] == "hub"
    assert out["bases"] == [
        {"id": "Lab/int-form", "org": "Lab", "finetune": None, "quantized": None, "adapter": None, "merge": None,
         "total": 1234, "as_of": "2025-11-25", "change": 0},
        {"id": "Lab/dict-form", "org": "Lab", "finetune": 5, "quantized": 2, "adapter": 0, "merge": 1,
         "total": 8, "as_of": "2025-11-25", "change": 3},
        {"id": "Lab/computed", "org": "Lab", "finetune": 1, "quantized": 2, "adapter": 1, "merge": 0,
         "total": 4, "as_of": "2025-11-25", "change": 0},
    ]  # fmt: skip
    table = run("derivatives", "--db", str(db)).stdout
    assert "direct children declared through base_model" in table and "1,234" in table
    fam = json.loads(run("derivatives", "--db", str(db), "--family", "*-form", "-f", "json").stdout)["family"]
    assert (fam["members"], fam["total"], fam["finetune"]) == (2, 1242, 5)
    assert "matches '*-form'" in fam["rule"]


def test_budget_refreshes_stalest_first_and_carries_staleness_to_the_next_run(tmp_path: Path) -> None:
    # quota 40, reserve max(20, 10% of 40) = 20; the listing costs 2 (overview + one page).
    models = [model(f"Lab/m{i:02d}", downloads=100 - i) for i in range(30)]
    db = tmp_path / "t.db"
    with FakeHub(world(*models), quota=40) as hub:
        first = sync(hub, db, "auto")
    assert first.exit_code == 0, first.stderr
    assert "derivatives: 18 refreshed, 12 left stale" in first.stderr
    day1 = {r[0] for r in rows(db, COUNTS)}
    assert day1 == {f"Lab/m{i:02d}" for i in range(18)}  # most downloaded first
    with FakeHub(world(*models), quota=40) as hub:  # a new day, a new window
        second = sync(hub, db, "auto", now="2025-11-25T06:00:00Z")
    assert "derivatives: 18 refreshed, 12 left stale" in second.stderr
    day2 = {r[0] for r in rows(db, COUNTS + "") if r[1] == "2025-11-25"}
    # never-counted models first (12), then the oldest counts, most downloaded first (6)
    assert day2 == {f"Lab/m{i:02d}" for i in range(18, 30)} | {f"Lab/m{i:02d}" for i in range(6)}
    assert {r[0] for r in rows(db, COUNTS)} == {f"Lab/m{i:02d}" for i in range(30)}


def test_429_mid_run_waits_and_goes_on(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(lab_world())
    hub.add_fault("status", match="/api/models/Lab/", times=2, status=429, reset=0)
    db = tmp_path / "t.db"
    result = sync(hub, db, "all", "--derivative-workers", "1")
    assert result.exit_code == 0, result.stderr
    assert len(rows(db, COUNTS)) == 3
    assert [r["status"] for r in hub.requests if r["path"].startswith("/api/models/Lab/")].count(429) == 2


def test_a_model_that_fails_stays_stale_and_the_run_is_still_stored(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(lab_world())
    hub.add_fault("status", match="/api/models/Lab/int-form", times=99, status=503)
    db = tmp_path / "t.db"
    result = sync(hub, db, "all", "--retries", "1")
    assert result.exit_code == 0
    assert "derivatives: 2 refreshed, 1 left stale, 1 failed" in result.stderr
    assert [r[0] for r in rows(db, COUNTS)] == ["Lab/computed", "Lab/dict-form"]


def test_derivative_counts_that_fail_are_a_warning_even_with_quiet(hub: FakeHub, tmp_path: Path) -> None:
    """The run is stored whole (exit 0, `ok`: every org's snapshot is there), but cron, which
    runs with -q, must hear of counts that could not be refreshed."""
    hub.set_world(lab_world())
    hub.add_fault("status", match="/api/models/Lab/int-form", times=99, status=503)
    db = tmp_path / "t.db"
    result = run("-q", *sync_argv(hub, db, "Lab", derivatives="all", extra=("--retries", "0")))
    assert result.exit_code == 0
    assert result.stderr == (
        "sync ok: 1 org(s), 3 models, 0 new (1 org(s) synced for the first time), 0 removed, 0 renamed, "
        f"0 licence change(s), {hub.count()} requests, derivatives: 2 refreshed, 1 left stale, 1 failed, run #1 — "
        "warning: 1 derivative count(s) not refreshed (1 failed), left as they were (the stalest are tried first "
        "next run)\n"
    )
    assert rows(db, "SELECT status FROM runs") == [("ok",)]
    # Without a failure, -q stays silent.
    hub.clear_faults()
    again = run("-q", *sync_argv(hub, db, "Lab", now="2025-11-25T06:00:00Z", derivatives="all"))
    assert (again.exit_code, again.stderr) == (0, "")


def test_concurrent_fetching_stores_the_same_as_one_at_a_time(tmp_path: Path) -> None:
    models = [model(f"Lab/m{i:02d}", childrenModelCount={"finetune": i, "adapter": 2 * i}) for i in range(24)]
    dumps = []
    for workers in ("1", "8"):
        db = tmp_path / f"w{workers}.db"
        with FakeHub(world(*models), latency=0.01) as hub:
            assert sync(hub, db, "all", "--derivative-workers", workers).exit_code == 0
        dumps.append([line for line in dump(db) if line.startswith('INSERT INTO "derivative_counts"')])
    assert dumps[0] == dumps[1] and len(dumps[0]) == 24


def test_list_shows_the_derivative_repos_from_the_hub(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(lab_world())
    out = run("derivatives", "Lab/computed", "--list", "--endpoint", hub.url, "-f", "json")
    assert out.exit_code == 0, out.stderr
    assert [(i["id"], i["author"], i["relation"], i["downloads_30d"]) for i in json.loads(out.stdout)] == [
        ("fan/computed-lora", "fan", "adapter", 70),
        ("fan/computed-ft", "fan", "finetune", 60),
        ("fan/computed-GGUF", "fan", "quantized", 50),
        ("fan2/computed-Q4", "fan2", "quantized", 40),
    ]
    quant = run(
        "derivatives", "Lab/computed", "--list", "--relation", "quantized", "--endpoint", hub.url, "-f", "csv"
    )
    assert quant.stdout.splitlines() == [
        "id,author,relation,downloads_30d,likes,created_at",
        "fan/computed-GGUF,fan,quantized,50,1,2025-01-20T03:46:07Z",
        "fan2/computed-Q4,fan2,quantized,40,1,2025-01-20T03:46:07Z",
    ]
    # --limit N lists N of them; 0 all, as everywhere.
    listed = {}
    for n in ("2", "0"):
        got = run("derivatives", "Lab/computed", "--list", "--limit", n, "--endpoint", hub.url, "-f", "json")
        assert got.exit_code == 0, got.stderr
        listed[n] = [i["id"] for i in json.loads(got.stdout)]
    assert listed == {
        "2": ["fan/computed-lora", "fan/computed-ft"],
        "0": ["fan/computed-lora", "fan/computed-ft", "fan/computed-GGUF", "fan2/computed-Q4"],
    }


def test_no_counts_yet_is_a_clear_message(hub: FakeHub, tmp_path: Path) -> None:
    hub.set_world(lab_world())
    db = tmp_path / "t.db"
    sync(hub, db, "none")
    out = run("derivatives", "--db", str(db))
    assert out.exit_code == 1
    assert out.stderr.startswith("oss-tracker: error: no derivative counts yet")


def test_edges_between_watched_accounts_come_from_declared_bases(hub: FakeHub, tmp_path: Path) -> None:
    w = lab_world()
    base = model("Other/Base-7B", hub_id="67c85cdbebd06f51d80ca1c7", downloads=1)
    w["models"].append(base)
    w["orgs"]["Other"] = {"numFollowers": 1}
    hub.set_world(w)
    db = tmp_path / "t.db"
    assert sync(hub, db, "all", orgs=("Lab", "Other")).exit_code == 0
    edges = json.loads(run("derivatives", "--edges", "--db", str(db), "-f", "json").stdout)["edges"]
    assert edges == [
        {
            "id": "Lab/computed",
            "org": "Lab",
            "base": "Other/Base-7B",
            "base_org": "Other",
            "relation": "finetune",
        }
    ]


def test_a_family_glob_ignores_case_and_one_matching_nothing_says_so(bundled_history: Path) -> None:
    def family(glob: str) -> dict:
        out = run("derivatives", "--db", str(bundled_history), "--family", glob, "-f", "json")
        assert out.exit_code == 0, out.stderr
        return json.loads(out.stdout)["family"]

    upper, lower = family("Qwen3-*"), family("qwen3-*")
    assert (lower["members"], lower["total"]) == (upper["members"], upper["total"]) == (336, 1585)
    assert lower["ids"] == upper["ids"]
    # With the account, as well (a glob: `org/name` without a glob character names one model's tree,
    # tests/test_families.py).
    assert family("QWEN/QWEN3-8[B]")["ids"] == ["Qwen/Qwen3-8B"]
    for fmt in ("table", "json"):
        none = run("derivatives", "--db", str(bundled_history), "--family", "qwen9-*", "-f", fmt)
        assert (none.exit_code, none.stdout) == (1, "")
        assert none.stderr == (
            "oss-tracker: error: no watched model with a derivative count matches --family 'qwen9-*' "
            "(a glob on the name, with or without the account, ignoring case)\n"
        )
