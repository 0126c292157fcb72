"""Originals, conversions and derived models (issue 14, point 1), and what the listing's `expand`
says a release is (point 8): how the sync classifies and stores them.

The counts below were worked out from fixtures/worlds/*.json by the rules of store/kinds.py (a
declared `base_model:quantized:` is a conversion; a quantization in the name or a converted-weights
library is one, inferred; no base, or a base of another company, an original; a base of the
model's own company, derived), not read back from a database.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

from oss_tracker.hub.parse import model_record, providers
from oss_tracker.store import schema
from oss_tracker.store.kinds import active_parameters, classify
from oss_tracker.store.open import open_db
from tests.conftest import ROOT, copy_db, load_world, model, rows, run, sync_argv, world
from tests.fakehub import FakeHub

KINDS_SQL = """SELECT g.name, m.kind, m.kind_inferred, count(*), sum(m.removed_at IS NOT NULL)
               FROM models m JOIN orgs g ON g.id = m.org_id GROUP BY 1, 2, 3 ORDER BY 1 COLLATE NOCASE, 2, 3"""


def test_every_model_of_the_recorded_days_is_classified(bundled_history: Path) -> None:
    assert rows(bundled_history, KINDS_SQL) == [
        # DeepSeek: V3.2-Exp's finetune relation comes from its baseModels (its tags name its base
        # bare); V3.1's and Coder-V2-Instruct's bare tags stay without a relation: derived, inferred.
        ("deepseek-ai", "derived", 0, 1, 0),
        ("deepseek-ai", "derived", 1, 2, 0),
        ("deepseek-ai", "original", 0, 68, 0),
        ("MiniMaxAI", "original", 0, 10, 0),  # its SynLogic finetunes are built on Qwen: originals
        ("moonshotai", "derived", 0, 4, 0),
        ("moonshotai", "original", 0, 10, 0),
        # Qwen: 728 declared quantizations (the removed GPTQ-Int8 one of them) and 176 copies whose
        # name says so (GGUF with no base, MLX-bf16 "finetunes", ONNX, MLC, Int4...).
        ("Qwen", "conversion", 0, 728, 1),
        ("Qwen", "conversion", 1, 176, 0),
        ("Qwen", "derived", 0, 54, 0),
        ("Qwen", "original", 0, 103, 0),
        ("Wan-AI", "original", 0, 8, 0),
    ]
    assert rows(
        bundled_history,
        """SELECT repo_id, kind, kind_inferred, kind_basis FROM models WHERE repo_id IN (
               'moonshotai/Kimi-Dev-72B', 'deepseek-ai/DeepSeek-Math-V2', 'Qwen/Qwen3-8B-MLX-bf16',
               'Qwen/Qwen1.5-7B-Chat-GGUF', 'deepseek-ai/DeepSeek-V3.2-Exp', 'deepseek-ai/DeepSeek-V3.1',
               'Qwen/Qwen3-VL-32B-Thinking-FP8', 'Qwen/Qwen3-8B', 'Qwen/Qwen3-8B-Base', 'Qwen/Qwen1.5-7B-Chat-ONNX')
           ORDER BY repo_id""",
    ) == [
        ("Qwen/Qwen1.5-7B-Chat-GGUF", "conversion", 1, "name: GGUF"),  # no base declared at all
        ("Qwen/Qwen1.5-7B-Chat-ONNX", "conversion", 1, "name: ONNX"),
        ("Qwen/Qwen3-8B", "derived", 0, "declared finetune"),  # of Qwen3-8B-Base
        ("Qwen/Qwen3-8B-Base", "original", 0, "no declared base"),
        ("Qwen/Qwen3-8B-MLX-bf16", "conversion", 1, "name: MLX (declared finetune)"),  # the Hub's guess
        ("Qwen/Qwen3-VL-32B-Thinking-FP8", "conversion", 0, "declared quantized"),
        ("deepseek-ai/DeepSeek-Math-V2", "original", 0, "names itself as its base: no base declared"),
        ("deepseek-ai/DeepSeek-V3.1", "derived", 1, "a base of its company, no relation declared"),
        ("deepseek-ai/DeepSeek-V3.2-Exp", "derived", 0, "declared finetune"),
        ("moonshotai/Kimi-Dev-72B", "original", 0, "built on another company's model"),  # Qwen2.5-72B
    ]


def test_every_qwen_model_of_the_last_30_days_is_a_conversion(bundled_history: Path) -> None:
    """The demo's claim that misled: "Releases 30d: Qwen 90" counted packaging."""
    assert rows(
        bundled_history,
        """SELECT m.kind, count(*) FROM models m JOIN orgs g ON g.id = m.org_id
           WHERE g.name = 'Qwen' AND m.created_at >= '2025-10-29' GROUP BY m.kind""",
    ) == [("conversion", 90)]


def test_the_listing_details_are_stored(bundled_history: Path) -> None:
    got = rows(
        bundled_history,
        """SELECT repo_id, architecture, model_type, context_length, parameters, active_parameters, providers,
                  papers
           FROM models WHERE repo_id IN ('deepseek-ai/DeepSeek-R1', 'Qwen/Qwen3-30B-A3B-GGUF', 'Qwen/Qwen3-8B',
                                         'Wan-AI/Wan2.2-T2V-A14B', 'Qwen/Qwen1.5-7B-Chat-q4f16_1-MLC')
           ORDER BY repo_id""",
    )
    assert got == [
        ("Qwen/Qwen1.5-7B-Chat-q4f16_1-MLC", None, None, None, None, None, "{}", None),  # no config, no gguf
        # A GGUF repo: its architecture, context length and total from `gguf` (no safetensors).
        ("Qwen/Qwen3-30B-A3B-GGUF", "qwen3moe", None, 40960, 30511757248, 3_000_000_000, "{}", '["2505.09388"]'),
        ("Qwen/Qwen3-8B", "Qwen3ForCausalLM", "qwen3", None, 8190735360, None,
         '{"featherless-ai":"live","nscale":"staging"}', '["2309.00071","2505.09388"]'),
        ("Wan-AI/Wan2.2-T2V-A14B", "WanPipeline", None, None, 28608665728, 14_000_000_000,
         '{"fal-ai":"live","replicate":"live","wavespeed":"live"}', '["2503.20314"]'),
        ("deepseek-ai/DeepSeek-R1", "DeepseekV3ForCausalLM", "deepseek_v3", None, 684531386000, None,
         '{"fireworks-ai":"live","hyperbolic":"live","nebius":"live","novita":"live","sambanova":"live",'
         '"together":"live"}', '["2501.12948"]'),
    ]  # fmt: skip


ITEM = {"_id": "65a1b2c3d4e5f6a7b8c9d0e1", "id": "A/x"}
CEILING = "2030-01-01T00:00:00Z"


def test_provider_mappings_of_both_shapes_and_hostile_details_are_read_or_left_unknown() -> None:
    listing = [{"provider": "together", "providerId": "a/x", "status": "live", "task": "conversational"},
               {"provider": "novita", "status": "staging", "task": "conversational"},
               {"provider": "novita", "status": "live", "task": "text-generation"}]  # fmt: skip
    detail = {"together": {"status": "live", "providerId": "a/x"}, "novita": {"status": "staging"}}
    assert providers(listing) == '{"novita":"live","together":"live"}'  # live for either task
    assert providers(detail) == '{"novita":"staging","together":"live"}'
    assert providers([]) == "{}" and providers({}) == "{}"
    assert providers("together") is None and providers(7) is None
    assert providers([{"provider": "x\x00y", "status": "live"}, "junk", {"status": "live"}]) == "{}"
    assert providers({"x": "y", "z": {"status": "live"}}) == '{"z":"live"}'  # an entry that is no object
    good = model_record(
        {**ITEM, "config": {"architectures": ["XForCausalLM", "Other"], "model_type": "x_moe",
                            "max_position_embeddings": 32768},
         "tags": ["arxiv:2501.12948", "arxiv:2501.12948", "arxiv:cs/0112017", "arxiv:<script>", "arxiv:1"]},
        CEILING,
    )  # fmt: skip
    assert (good.architecture, good.model_type, good.context_length, good.papers, good.odd) == (
        "XForCausalLM",
        "x_moe",
        32768,
        '["2501.12948","cs/0112017"]',
        0,
    )
    bad = model_record(
        {**ITEM, "config": "qwen2", "gguf": ["qwen2"], "inferenceProviderMapping": 3,
         "safetensors": None, "tags": []},
        CEILING,
    )  # fmt: skip
    assert (bad.architecture, bad.model_type, bad.context_length, bad.providers, bad.papers, bad.odd) == (
        None, None, None, None, None, 3
    )  # fmt: skip
    gguf = model_record({**ITEM, "gguf": {"total": 7.5, "architecture": "", "context_length": -1}}, CEILING)
    # the total and the context length odd; an empty architecture is one not sent
    assert (gguf.parameters, gguf.architecture, gguf.context_length, gguf.odd) == (None, None, None, 2)
    odd = model_record(
        {**ITEM, "config": {"architectures": [None, "X"], "model_type": 12, "max_position_embeddings": 1.5},
         "gguf": {"architecture": ["x"], "context_length": 10**30}},
        CEILING,
    )  # fmt: skip
    assert (odd.architecture, odd.model_type, odd.context_length, odd.odd) == (None, None, None, 5)
    # a context past 10**9 tokens is no model's; config's architecture wins over the GGUF's
    long = model_record(
        {**ITEM, "config": {"architectures": ["A"], "max_position_embeddings": "40960"},
         "gguf": {"architecture": "gguf-arch", "context_length": 9007199254740991}},
        CEILING,
    )  # fmt: skip
    assert (long.architecture, long.context_length, long.odd) == ("A", None, 2)
    fine = model_record({**ITEM, "gguf": {"architecture": "qwen3", "context_length": 1_000_000_000}}, CEILING)
    assert (fine.architecture, fine.context_length, fine.odd) == ("qwen3", 1_000_000_000, 0)


def test_the_rules_of_classification() -> None:
    none: dict[str, str] = {}
    alibaba = {"qwen": "Alibaba", "wan-ai": "Alibaba"}
    assert classify("Qwen/X-GGUF", None, None, None, none) == ("conversion", 1, "name: GGUF")
    assert classify("Qwen/X", None, None, "gguf", none) == ("conversion", 1, "library: gguf")
    assert classify("Qwen/X-Instruct", "qwen/x", "finetune", None, none) == (
        "derived",
        0,
        "declared finetune",
    )
    assert classify("Wan-AI/W", "Qwen/X", "finetune", None, none)[0] == "original"
    assert classify("Wan-AI/W", "Qwen/X", "finetune", None, alibaba) == ("derived", 0, "declared finetune")
    # A quantization is packaging, whoever made the weights.
    assert classify("Qwen/Llama-GGUF", "meta/Llama", "quantized", None, none)[:2] == ("conversion", 0)
    assert classify("Qwen/Llama-GGUF", "meta/Llama", "finetune", None, none)[:2] == ("conversion", 1)
    assert classify("A/X", "A/X", "quantized", None, none) == (
        "original",
        0,
        "names itself as its base: no base declared",
    )
    # The account's name is no sign: `mlx-community/Model` is not a conversion by its name alone.
    assert classify("mlx-community/Model", None, None, None, none)[0] == "original"
    assert [active_parameters(n) for n in ("Q/Qwen3-30B-A3B", "Q/Qwen1.5-MoE-A2.7B-Chat", "Q/Wan2.2-T2V-A14B",
                                           "Q/A3B", "Q/AWQ", "A1B/x", "Q/x-A100")] == [
        3_000_000_000, 2_700_000_000, 14_000_000_000, 3_000_000_000, None, None, None,
    ]  # fmt: skip


TWO_ACCOUNTS = """
[companies.Lab]
accounts = ["LabA", "LabB"]
"""


def test_two_accounts_of_one_company_are_one_company_and_a_new_watch_list_reclassifies(
    hub: FakeHub, tmp_path: Path
) -> None:
    """LabB's finetune of a LabA model is LabA's company's derived model only when the watch list
    says they are one company; a sync under another watch list classifies every model again."""
    hub.set_world(
        world(
            model("LabA/Base-7B"),
            model("LabB/Base-7B-Video", tags=["base_model:LabA/Base-7B", "base_model:finetune:LabA/Base-7B"]),
            model("LabB/Solo"),
        )
    )
    config = tmp_path / "watch.toml"
    config.write_text(TWO_ACCOUNTS)
    db = tmp_path / "t.db"
    kinds = "SELECT repo_id, kind, kind_basis FROM models ORDER BY repo_id"

    def synced(now: str, *config_args: str) -> list[tuple]:
        result = run(*config_args, *sync_argv(hub, db, "LabA", "LabB", now=now))
        assert result.exit_code == 0, result.stderr
        return rows(db, kinds)

    assert synced("2025-11-24T06:00:00Z") == [
        ("LabA/Base-7B", "original", "no declared base"),
        ("LabB/Base-7B-Video", "original", "built on another company's model"),
        ("LabB/Solo", "original", "no declared base"),
    ]
    builtin = [
        ("deepseek-ai", "DeepSeek"),
        ("minimaxai", "MiniMax"),
        ("moonshotai", "Moonshot AI"),
        ("qwen", "Alibaba"),
    ]
    assert rows(db, "SELECT account, company FROM kind_companies ORDER BY account") == builtin
    assert synced("2025-11-25T06:00:00Z", "--config", str(config))[1] == (
        "LabB/Base-7B-Video",
        "derived",
        "declared finetune",
    )
    assert rows(db, "SELECT account, company FROM kind_companies ORDER BY account") == [
        ("laba", "Lab"), ("labb", "Lab")
    ]  # fmt: skip
    # Back to the built-in watch list: two companies again, and the kind follows.
    assert synced("2025-11-26T06:00:00Z")[1] == (
        "LabB/Base-7B-Video",
        "original",
        "built on another company's model",
    )
    assert rows(db, "SELECT account, company FROM kind_companies ORDER BY account") == builtin


def test_the_migrations_classify_and_describe_a_history_stored_before_them(
    bundled_history: Path, tmp_path: Path
) -> None:
    """A file from before m011 and m012: no kinds, no details, m003's latest_model_stats. Opening it
    classifies every model (each account its own company until a sync brings the watch list's) and
    gives the active parameters the names say; the other details wait for the next sync."""
    older = copy_db(bundled_history, tmp_path / "older.db")
    old_views = sqlite3.connect(":memory:")
    schema.m003_views(old_views)
    conn = sqlite3.connect(older)
    with conn:
        conn.execute("DROP VIEW latest_model_stats")
        conn.execute(
            old_views.execute("SELECT sql FROM sqlite_master WHERE name = 'latest_model_stats'").fetchone()[0]
        )
        for column in ("kind", "kind_inferred", "kind_basis", "architecture", "model_type", "context_length",
                       "active_parameters", "providers", "papers"):  # fmt: skip
            conn.execute(f"ALTER TABLE models DROP COLUMN {column}")
        conn.execute("DROP TABLE kind_companies")
        conn.execute(
            "DELETE FROM _sqlite_migrations WHERE name IN ('m011_model_kinds', 'm012_model_details')"
        )
    conn.close()
    open_db(older).conn.close()  # as the next sync (or a report, on a writable file) does
    assert rows(older, KINDS_SQL) == rows(bundled_history, KINDS_SQL)
    assert rows(older, "SELECT count(*), count(active_parameters), count(architecture) FROM models") == [
        (1164, 186, 0)  # 186 names such as 30B-A3B
    ]
    assert rows(
        older, "SELECT kind, architecture FROM latest_model_stats WHERE repo_id = 'Qwen/Qwen3-8B'"
    ) == [("derived", None)]


def test_the_details_cost_no_request(hub: FakeHub, tmp_path: Path) -> None:
    """What a release is comes with the listing's own pages (its `expand`): a listing-only sync of the
    first recorded day makes the lower bound of requests, one overview an account and one request a
    listing page (Qwen's 1,060 models take two), and stores the details."""
    hub.set_world(load_world("2025-11-24"))
    db = tmp_path / "t.db"
    orgs = ("deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI", "Wan-AI")
    assert run(*sync_argv(hub, db, *orgs)).exit_code == 0
    paths = Counter(r["path"] for r in hub.requests if r["path"] != "/api/agent-harnesses")
    assert paths == {
        **{f"/api/organizations/{org}/overview": 1 for org in orgs},
        "/api/models": 6,  # 1 + 2 + 1 + 1 + 1
        "/api/datasets": 4,  # Wan-AI has none: its overview says so, no listing
        "/api/spaces": 5,
    }
    assert rows(db, "SELECT count(architecture), count(providers) FROM models") == [(1041, 1162)]


# -- the reports (points 1, 7 and 8) ----------------------------------------------------------------
QWEN = "Qwen"


def _json(db: Path, *argv: str) -> dict:
    import json

    result = run(*argv, "--db", str(db), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _world_models(day: str, org: str) -> list[dict]:
    return [m for m in load_world(day)["models"] if m["author"] == org]


def test_releases_count_originals_and_all_and_filter_by_kind(bundled_history: Path) -> None:
    recent = _json(bundled_history, "releases", "--org", QWEN, "--since", "2025-10-29", "--limit", "0")
    assert (recent["total"], recent["originals"], {r["kind"] for r in recent["releases"]}) == (
        90,
        0,
        {"conversion"},
    )
    assert recent["by_month"] == [  # every Qwen release of those 30 days a conversion
        {"month": "2025-11", "org": QWEN, "releases": 78, "originals": 0, "conversions": 78},
        {"month": "2025-10", "org": QWEN, "releases": 12, "originals": 0, "conversions": 12},
    ]
    originals = _json(bundled_history, "releases", "--kind", "original", "--limit", "0")
    assert (originals["kind"], originals["total"], originals["originals"]) == ("original", 199, 199)
    assert {r["kind"] for r in originals["releases"]} == {"original"}
    assert sum(r["releases"] for r in originals["by_month"]) == 199
    everything = _json(bundled_history, "releases", "--limit", "0")["total"]
    footer = run("releases", "--limit", "2", "--db", str(bundled_history)).stdout
    assert f"199 of {everything:,} releases are originals · showing 2 of {everything:,} (" in footer
    derived = _json(bundled_history, "releases", "--kind", "derived", "--org", "deepseek-ai", "--limit", "0")
    assert [(r["id"], r["kind_inferred"]) for r in derived["releases"]] == [
        ("deepseek-ai/DeepSeek-V3.2-Exp", False),
        ("deepseek-ai/DeepSeek-V3.1", True),
        ("deepseek-ai/DeepSeek-Coder-V2-Instruct", True),
    ]
    # What each release is, as its listing said (the 27th's world).
    r1 = next(r for r in _json(bundled_history, "releases", "--org", "deepseek-ai", "--limit", "0")["releases"]
              if r["id"] == "deepseek-ai/DeepSeek-R1")  # fmt: skip
    w = next(m for m in _world_models("2025-11-27", "deepseek-ai") if m["id"] == "deepseek-ai/DeepSeek-R1")
    assert (r1["architecture"], r1["providers"], r1["served_by"], r1["papers"], r1["papers_cited"]) == (
        w["config"]["architectures"][0],
        {i["provider"]: i["status"] for i in w["inferenceProviderMapping"]},
        6,
        ["2501.12948"],
        1,
    )


def test_releases_say_whether_gated_and_the_model_type_and_mark_an_inferred_kind(
    bundled_history: Path,
) -> None:
    """Point 8 in `releases`: each release's `gated` (as stored: false, auto or manual) and its
    `model_type` (from its config), as the 27th's listing said; the table marks a kind the Hub did
    not declare with `*` and a footnote, while the JSON and CSV keep the kind and kind_inferred apart."""
    listed = {m["id"]: m for o in (QWEN, "moonshotai") for m in _world_models("2025-11-27", o)}
    feed = {
        r["id"]: r
        for o in (QWEN, "moonshotai")
        for r in _json(bundled_history, "releases", "--org", o, "--limit", "0")["releases"]
    }
    got = {
        repo: (feed[repo]["gated"], feed[repo]["model_type"], feed[repo]["kind"], feed[repo]["kind_inferred"])
        for repo in ("Qwen/Qwen2.5-Math-PRM-72B", "moonshotai/Kimi-Audio-7B", "Qwen/Qwen1.5-7B-Chat-GGUF")
    }
    assert got == {
        "Qwen/Qwen2.5-Math-PRM-72B": ("auto", "qwen2", "original", False),
        "moonshotai/Kimi-Audio-7B": ("auto", "kimi_audio", "original", False),
        "Qwen/Qwen1.5-7B-Chat-GGUF": ("false", None, "conversion", True),  # no config: a GGUF repo
    }
    for repo, (gated, model_type, _, _) in got.items():
        w = listed[repo]
        assert (gated, model_type) == (
            "false" if w["gated"] is False else w["gated"],
            (w.get("config") or {}).get("model_type"),
        )
    # the two gated models of these accounts, and no other
    assert sorted(r for r, x in feed.items() if x["gated"] != "false") == sorted(
        r for r, w in listed.items() if w["gated"] is not False
    ) == ["Qwen/Qwen2.5-Math-PRM-72B", "moonshotai/Kimi-Audio-7B"]  # fmt: skip
    argv = ("releases", "--org", "deepseek-ai", "--kind", "derived", "--db", str(bundled_history))
    md = run(*argv, "--format", "markdown").stdout.splitlines()
    assert [line.split(" | ")[1:3] for line in md if line.startswith("| ") and "deepseek-ai/" in line] == [
        ["deepseek-ai/DeepSeek-V3.2-Exp", "derived"],  # a declared finetune
        ["deepseek-ai/DeepSeek-V3.1", "derived\\*"],  # its base's relation undeclared
        ["deepseek-ai/DeepSeek-Coder-V2-Instruct", "derived\\*"],
    ]
    assert (
        "· \\* kind inferred: the Hub does not declare it (oss-tracker model ID says how it was inferred) ·"
        in md[-1]
    )
    table = " ".join(run(*argv, env={"COLUMNS": "300"}).stdout.split())
    assert "│ deepseek-ai/DeepSeek-V3.1 │ derived* │ mit │" in table
    assert "* kind inferred: the Hub does not declare it" in table
    csv_rows = run(*argv, "--format", "csv").stdout.splitlines()
    assert [line.split(",")[1:5] for line in csv_rows[1:]] == [
        ["deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-ai", "derived", "false"],
        ["deepseek-ai/DeepSeek-V3.1", "deepseek-ai", "derived", "true"],
        ["deepseek-ai/DeepSeek-Coder-V2-Instruct", "deepseek-ai", "derived", "true"],
    ]
    # No kind inferred among the releases shown: no mark, no footnote.
    declared = run(
        "releases", "--org", "moonshotai", "--db", str(bundled_history), "--format", "markdown"
    ).stdout
    assert "\\*" not in declared and "kind inferred" not in declared


def test_the_status_column_is_titled_and_shown_only_where_a_release_is_removed(bundled_history: Path) -> None:
    """The release tables mark a removed model, dataset or Space in a "Status" column; a list
    without one has no such column (it would be empty)."""

    def header(*argv: str) -> str:
        md = run("releases", *argv, "--db", str(bundled_history), "--format", "markdown").stdout.splitlines()
        return next(line for line in md if line.startswith("| Created |"))

    head = ("| Created | Model | Kind | Licence | Size | Active | Context | Providers | Pipeline | First seen "
            "| At first sight | First 7 days | First 30 days |")  # fmt: skip
    # 9 Nov 2024: twelve Qwen conversions, Qwen2.5-Coder-3B-Instruct-GPTQ-Int8 removed on the 27th
    assert header("--org", QWEN, "--since", "2024-11-09", "--until", "2024-11-09") == head + " Status |"
    assert header("--org", "deepseek-ai") == head  # none removed
    assert (
        header("--type", "dataset", "--org", "MiniMaxAI")
        == (
            "| Created | Dataset | Account | Licence | First seen | 30-day | Likes | Status |"  # LongCtx-Eval removed
        )
    )
    assert header("--type", "dataset", "--org", "Qwen") == (
        "| Created | Dataset | Account | Licence | First seen | 30-day | Likes |"
    )
    assert header("--type", "space", "--org", "MiniMaxAI") == (
        "| Created | Space | Account | Licence | SDK | First seen | Likes |"
    )


def _licence_key(m: dict) -> str:
    tag = next((t[8:] for t in m["tags"] if t.startswith("license:")), None)
    if tag == "other":
        return (m.get("cardData") or {}).get("license_name") or "other"
    return tag or "unknown"


def test_the_licence_mix_weighted_by_downloads(bundled_history: Path) -> None:
    """Point 7: each licence's share of the current models' 30-day downloads beside its share of
    models, and the OSI-permissive share of each (the fixtures' permissive licences: apache-2.0, mit)."""
    data = _json(bundled_history, "licenses", "--org", QWEN)
    [qwen] = data["orgs"]
    models = _world_models("2025-11-27", QWEN)
    downloads: dict[str, int] = {}
    for m in models:
        downloads[_licence_key(m)] = downloads.get(_licence_key(m), 0) + m["downloads"]
    total = sum(downloads.values())
    assert {x["license"]: x["downloads_30d"] for x in qwen["licenses"]} == downloads
    assert qwen["downloads_30d"] == total == 72_338_269  # README's Qwen 30-day figure
    permissive = downloads["apache-2.0"] + downloads.get("mit", 0)
    assert qwen["permissive_downloads_share_pct"] == round(100 * permissive / total, 1) == 87.1
    assert (qwen["permissive_share_pct"], qwen["originals"], qwen["original_permissive_share_pct"]) == (
        68.2,
        103,
        57.3,
    )
    report = _json(bundled_history, "report", "--org", QWEN)
    assert report["license_downloads_30d"] == downloads
    assert (report["permissive_share_pct"], report["permissive_downloads_share_pct"]) == (68.2, 87.1)
    assert report["license_groups"]["unknown"] == {
        "models": 8,
        "originals": 1,
        "downloads_30d": downloads["unknown"],
    }


def test_the_licences_of_one_kind(bundled_history: Path) -> None:
    """`licenses --kind original`: the licences of Qwen's current originals alone (kinds as the DB
    classified them, licences and 30-day downloads from the 27th's world), each month's releases too."""
    kinds = dict(rows(bundled_history, "SELECT repo_id, kind FROM models WHERE removed_at IS NULL"))
    originals = [m for m in _world_models("2025-11-27", QWEN) if kinds[m["id"]] == "original"]
    counts = Counter(_licence_key(m) for m in originals)
    downloads = Counter()
    for m in originals:
        downloads[_licence_key(m)] += m["downloads"]
    data = _json(bundled_history, "licenses", "--org", QWEN, "--kind", "original")
    [qwen] = data["orgs"]
    assert (data["kind"], qwen["models"], qwen["originals"]) == ("original", len(originals), 103)
    assert {x["license"]: x["models"] for x in qwen["licenses"]} == counts
    assert {x["license"]: x["downloads_30d"] for x in qwen["licenses"]} == downloads
    assert counts == {"apache-2.0": 59, "tongyi-qianwen": 27, "tongyi-qianwen-research": 8, "qwen": 5,
                      "qwen-research": 2, "tongyi-qianwen-license-agreement": 1, "unknown": 1}  # fmt: skip
    # the fixtures' permissive licences: apache-2.0 and mit; every other named one is custom
    groups = Counter()
    for name, n in counts.items():
        groups[
            "permissive" if name in ("apache-2.0", "mit") else name if name == "unknown" else "custom"
        ] += n
    assert (
        qwen["groups"]
        == {"permissive": 59, "copyleft": 0, "custom": 43, "unknown": 1}
        == {g: groups[g] for g in ("permissive", "copyleft", "custom", "unknown")}
    )
    assert qwen["permissive_share_pct"] == round(100 * 59 / 103, 1) == 57.3
    assert qwen["permissive_downloads_share_pct"] == round(
        100 * downloads["apache-2.0"] / sum(downloads.values()), 1
    )
    months = Counter(m["createdAt"][:7] for m in originals)
    assert {r["month"]: sum(r[g] for g in ("permissive", "copyleft", "custom", "unknown"))
            for r in data["by_release_month"]} == months  # fmt: skip
    # all kinds: Qwen's 1,060 current models, of which the same 103 originals
    every = _json(bundled_history, "licenses", "--org", QWEN)["orgs"][0]
    assert (every["models"], every["originals"]) == (1060, 103)


def test_report_says_what_the_releases_are(bundled_history: Path) -> None:
    """Point 8, summed per account: the current models an inference provider serves live, and which
    providers; the distinct papers their arxiv: tags cite (the 27th's world, read independently)."""
    models = _world_models("2025-11-27", QWEN)
    providers: dict[str, int] = {}
    for m in models:
        for item in m.get("inferenceProviderMapping") or []:
            if item["status"] == "live":
                providers[item["provider"]] = providers.get(item["provider"], 0) + 1
    papers = {t for m in models for t in m["tags"] if t.startswith("arxiv:")}
    served = sum(any(i["status"] == "live" for i in m.get("inferenceProviderMapping") or []) for m in models)
    details = _json(bundled_history, "report", "--org", QWEN)["details"]
    assert details == {
        "models_served": served,
        "providers": dict(sorted(providers.items(), key=lambda kv: (-kv[1], kv[0]))),
        "models_described": len(models),
        "papers": len(papers),
        "models_citing": sum(any(t.startswith("arxiv:") for t in m["tags"]) for m in models),
        # Names such as 30B-A3B or MoE-A2.7B give a mixture of experts' active parameters.
        "moe_with_active_parameters": sum(bool(re.search(r"-A[0-9.]+B(-|$)", m["id"])) for m in models),
    }
    assert (served, len(providers), len(papers)) == (12, 10, 24)
    lines = run(
        "report", "--org", QWEN, "--db", str(bundled_history), env={"COLUMNS": "250"}
    ).stdout.splitlines()
    # The five serving most, the rest counted (the whole list is the JSON's).
    top5 = ", ".join(f"{p} ({n})" for p, n in list(details["providers"].items())[:5])
    assert (
        f"│ Served by inference providers (live)        │ 12 models, by 10 providers: {top5} and 5 more │"
        in [line.rstrip() for line in lines]
    )
    assert top5.startswith("nebius (6), novita (5), together (5), ")


def test_compare_and_report_of_one_kind(bundled_history: Path) -> None:
    """`--kind original`: every model-based figure of the originals alone; `all` counts originals apart."""
    every = {o["org"]: o for o in _json(bundled_history, "compare")["orgs"]}
    assert {k: every[QWEN][k] for k in ("models", "original_models", "releases_30d", "original_releases_30d",
                                        "releases_90d", "original_releases_90d")} == {
        "models": 1060, "original_models": 103, "releases_30d": 90, "original_releases_30d": 0,
        "releases_90d": 222, "original_releases_90d": 24,
    }  # fmt: skip
    kinds = dict(rows(bundled_history, "SELECT repo_id, kind FROM models WHERE removed_at IS NULL"))
    world = _world_models("2025-11-27", QWEN)
    # The 90 days end with the last snapshot's (27 Nov): from 30 Aug on; the removed model was older.
    assert sum(m["createdAt"] >= "2025-08-30" for m in world) == 222
    assert sum(m["createdAt"] >= "2025-08-30" and kinds[m["id"]] == "original" for m in world) == 24
    originals = _json(bundled_history, "compare", "--kind", "original")
    qwen = next(o for o in originals["orgs"] if o["org"] == QWEN)
    assert (originals["kind"], qwen["models"], qwen["original_models"]) == ("original", 103, None)
    assert (
        qwen["downloads_30d"]
        == sum(m["downloads"] for m in world if kinds[m["id"]] == "original")
        == 34_242_660
    )
    assert qwen["likes"] == sum(m["likes"] for m in world if kinds[m["id"]] == "original")
    conversions = _json(bundled_history, "report", "--org", QWEN, "--kind", "conversion", "--limit", "3")
    assert (conversions["kind"], conversions["models"]) == ("conversion", 903)
    assert {m["kind"] for m in conversions["top_models"]} == {"conversion"}
    assert conversions["downloads_30d"] == sum(
        m["downloads"] for m in world if kinds[m["id"]] == "conversion"
    )
    assert (
        sum(conversions["releases_by_month"].values()) == 903
        and sum(conversions["original_releases_by_month"].values()) == 0
    )


def test_the_digest_lists_originals_first(hub: FakeHub, tmp_path: Path) -> None:
    """A conversion released after an original in the same sync still comes second."""
    db = tmp_path / "t.db"
    hub.set_world(world(model("Lab/Old")))
    assert run(*sync_argv(hub, db, "Lab")).exit_code == 0
    hub.set_world(world(
        model("Lab/Old"),
        model("Lab/New-7B", created_at="2025-11-24T08:00:00.000Z"),
        model("Lab/New-7B-GGUF", created_at="2025-11-24T20:00:00.000Z", library_name="gguf"),
    ))  # fmt: skip
    assert run(*sync_argv(hub, db, "Lab", now="2025-11-25T06:00:00Z")).exit_code == 0
    data = _json(db, "changes")
    assert [(r["id"], r["kind"]) for r in data["releases"]] == [
        ("Lab/New-7B", "original"),
        ("Lab/New-7B-GGUF", "conversion"),
    ]


def test_a_company_of_one_kind_sums_its_accounts_periods_of_that_kind(bundled_history: Path) -> None:
    """`compare --by company --kind original`: Alibaba's period downloads are those of Qwen's and
    Wan-AI's originals, each the all-time differences of those models between the first and last
    snapshots (24 -> 27 Nov) plus the whole count of one created in between, from the world files."""
    kinds = dict(rows(bundled_history, "SELECT repo_id, kind FROM models"))

    def originals_period(org: str) -> int:
        first = {m["_id"]: m for m in _world_models("2025-11-24", org)}
        total = 0
        for m in _world_models("2025-11-27", org):
            if kinds[m["id"]] != "original":
                continue
            if m["_id"] in first:
                total += m["downloadsAllTime"] - first[m["_id"]]["downloadsAllTime"]
            elif m["createdAt"] > "2025-11-24T06:00:00Z":
                total += m["downloadsAllTime"]
        return total

    result = run("--config", str(ROOT / "examples" / "watchlist.toml"), "compare", "--group", "china", "--kind",
                 "original", "--db", str(bundled_history), "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    companies = {c["company"]: c for c in json.loads(result.stdout)["companies"]}
    assert companies["Alibaba"]["downloads_period"] == originals_period(QWEN) + originals_period("Wan-AI")
    assert companies["DeepSeek"]["downloads_period"] == originals_period("deepseek-ai")
    assert companies["Alibaba"]["models"] == sum(
        kinds[m["id"]] == "original" for o in (QWEN, "Wan-AI") for m in _world_models("2025-11-27", o)
    )
