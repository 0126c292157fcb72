"""`changes --since DATE [--until DATE]` (issue 14 point 6): a digest of any period, one code path
with the last sync's `changes`, on the bundled replays (fixtures/worlds: 24, 25 and 27 Nov 2025).

The expected releases, removals, renames and movers are computed here from the world files,
independently of the tracker: by the Hub's `_id`, day after day.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPLAY_DAYS, load_world, run

WATCHED = {"deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI", "Wan-AI"}
WORLDS = {day: load_world(day) for day in REPLAY_DAYS}


def models(day: str) -> dict[str, dict[str, Any]]:
    return {m["_id"]: m for m in WORLDS[day]["models"] if m["author"] in WATCHED}


def licence(m: dict[str, Any]) -> str:
    tag = next((t.split(":", 1)[1] for t in m["tags"] if t.startswith("license:")), "unknown")
    return m["cardData"]["license_name"] if tag == "other" else tag


def iso(at: str) -> str:
    """A time as the tracker stores it (whole seconds)."""
    return re.sub(r"\.\d+Z$", "Z", at)


def digest(db: Path, *args: str) -> dict[str, Any]:
    result = run("changes", "--db", str(db), "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def expected_movers(
    base_day: str, end_day: str, limit: int, orgs: set[str] = WATCHED
) -> list[dict[str, Any]]:
    """Downloads between two days over the `_id`s of both, and a launch's whole count."""
    before, after = models(base_day), models(end_day)
    out = []
    for hub_id, m in after.items():
        if m["author"] not in orgs:
            continue
        if hub_id in before:
            base = before[hub_id]["downloadsAllTime"]
            n, launch = m["downloadsAllTime"] - base, False
            growth = round(100.0 * n / base, 2) if base else None
        elif m["createdAt"] > f"{base_day}T06:00:00Z":
            n, launch, growth = m["downloadsAllTime"], True, None
        else:
            continue
        if n > 0:
            out.append({"id": m["id"], "org": m["author"], "downloads": n, "growth_pct": growth,
                        "downloads_all_time": m["downloadsAllTime"], "from": base_day, "to": end_day,
                        "launch": launch, "note": "created in the window" if launch else ""})  # fmt: skip
    out.sort(key=lambda r: (-r["downloads"], r["id"]))
    return [{"rank": i, **r} for i, r in enumerate(out[:limit], 1)]


def test_a_period_lists_what_each_sync_of_it_found(bundled_history: Path) -> None:
    """`changes` saw only the last sync: the 25th's release and licence change were lost to a
    weekly reader. Now every sync of the days asked for, measured from the day before them."""
    data = digest(bundled_history, "--since", "2025-11-25", "--until", "2025-11-27")
    d24, d25, d27 = (models(d) for d in REPLAY_DAYS)
    new25 = [d25[i] for i in d25.keys() - d24.keys()]
    new27 = [d27[i] for i in d27.keys() - d25.keys() - d24.keys()]
    released = sorted(new25 + new27, key=lambda m: m["createdAt"], reverse=True)
    assert [m["id"] for m in released] == ["deepseek-ai/DeepSeek-Math-V2", "Qwen/Qwen3-VL-32B-Thinking-FP8"]
    assert (data["as_of"], data["since"]) == ("2025-11-27T06:00:00Z", "2025-11-24T06:00:00Z")
    assert data["window"] == {"since": "2025-11-25", "until": "2025-11-27", "runs": 2}
    assert data["new"] == [m["id"] for m in released]
    # Each with what the Hub said of it the day it was first seen.
    first_day = {m["_id"]: ("2025-11-25" if m in new25 else "2025-11-27") for m in released}
    assert [
        (r["id"], r["org"], r["created_at"], r["first_seen"], r["license"], r["parameters"], r["pipeline_tag"],
         r["downloads_all_time"], r["downloads_30d"])
        for r in data["releases"]
    ] == [
        (m["id"], m["author"], iso(m["createdAt"]), f"{first_day[m['_id']]}T06:00:00Z", licence(m),
         m["safetensors"]["total"], m["pipeline_tag"], m["downloadsAllTime"], m["downloads"])
        for m in released
    ]  # fmt: skip
    assert [r["downloads_all_time"] for r in data["releases"]] == [1287, 412]
    gone = [d25[i]["id"] for i in d25.keys() - d27.keys()]
    assert data["removed"] == gone == ["Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8"]
    renamed = [
        {"from": d25[i]["id"], "to": d27[i]["id"]}
        for i in d25.keys() & d27.keys()
        if d25[i]["id"] != d27[i]["id"]
    ]
    assert data["renamed"] == renamed
    changed = [
        {"id": d25[i]["id"], "from": licence(d24[i]), "to": licence(d25[i])}
        for i in d24.keys() & d25.keys()
        if licence(d24[i]) != licence(d25[i])
    ]
    assert (
        data["license_changed"]
        == changed
        == [{"id": "MiniMaxAI/MiniMax-M2", "from": "mit", "to": "modified-mit"}]
    )
    spaces = {s["_id"]: s["id"] for s in WORLDS["2025-11-25"]["spaces"]}.items() - {
        s["_id"]: s["id"] for s in WORLDS["2025-11-24"]["spaces"]
    }.items()
    assert data["spaces"] == {"new": [i for _, i in spaces], "removed": [], "renamed": []}
    datasets = {s["_id"]: s["id"] for s in WORLDS["2025-11-25"]["datasets"]}.items() - {
        s["_id"]: s["id"] for s in WORLDS["2025-11-27"]["datasets"]
    }.items()
    assert data["datasets"] == {"new": [], "removed": [i for _, i in datasets], "renamed": []}
    # The top movers between the day before the window and its last day.
    assert data["movers"] == expected_movers("2025-11-24", "2025-11-27", 10)
    # Every change once, dated by the run that saw it, grouped as a digest reads.
    assert [(e["change"], e["kind"], e["id"], e["at"][:10]) for e in data["events"]] == [
        ("new", "model", "deepseek-ai/DeepSeek-Math-V2", "2025-11-27"),
        ("new", "model", "Qwen/Qwen3-VL-32B-Thinking-FP8", "2025-11-25"),
        ("removed", "model", "Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8", "2025-11-27"),
        ("renamed", "model", "Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic", "2025-11-27"),
        ("licence", "model", "MiniMaxAI/MiniMax-M2", "2025-11-25"),
        ("removed", "dataset", "MiniMaxAI/MiniMax-Text-01-LongCtx-Eval", "2025-11-27"),
        ("new", "Space", "Qwen/Qwen3-VL-Thinking-Demo", "2025-11-25"),
    ]


def test_a_launch_counts_its_whole_downloads_among_the_movers(bundled_history: Path) -> None:
    """DeepSeek-Math-V2 was created on the 27th: its 1,287 downloads are all of the period's."""
    data = digest(bundled_history, "--org", "deepseek-ai", "--since", "2025-11-26", "--limit", "40")
    assert data["movers"] == expected_movers("2025-11-25", "2025-11-27", 40, {"deepseek-ai"})
    launch = next(m for m in data["movers"] if m["launch"])
    assert (launch["id"], launch["downloads"], launch["growth_pct"]) == (
        "deepseek-ai/DeepSeek-Math-V2",
        1287,
        None,
    )
    assert data["new"] == ["deepseek-ai/DeepSeek-Math-V2"] and data["removed"] == []


def test_the_last_sync_is_the_same_code_path(bundled_history: Path) -> None:
    """Without --since: the last sync; the same as a window holding only its day."""
    last = digest(bundled_history)
    assert last["window"] == {"since": "2025-11-27", "until": "2025-11-27", "runs": 1}
    for args in (("--since", "2025-11-27"), ("--since", "2025-11-26"), ("--until", "2025-11-27")):
        other = digest(bundled_history, *args)
        other.pop("window"), last.pop("window", None)
        assert other == last, args
    assert last["movers"] == expected_movers("2025-11-25", "2025-11-27", 10)
    assert last["new"] == ["deepseek-ai/DeepSeek-Math-V2"]


def test_until_alone_is_the_sync_of_that_day(bundled_history: Path) -> None:
    data = digest(bundled_history, "--until", "2025-11-25")
    assert (data["as_of"], data["since"]) == ("2025-11-25T06:00:00Z", "2025-11-24T06:00:00Z")
    assert data["new"] == ["Qwen/Qwen3-VL-32B-Thinking-FP8"]
    assert data["license_changed"] == [{"id": "MiniMaxAI/MiniMax-M2", "from": "mit", "to": "modified-mit"}]
    table = run("changes", "--db", str(bundled_history), "--until", "2025-11-25")
    assert table.stdout.splitlines()[0] == "Changes in the sync of 25 Nov 2025"


def test_a_window_from_the_first_sync_lists_no_first_listing_as_releases(bundled_history: Path) -> None:
    """The first sync of an account is not a wave of releases; movers start from its first day."""
    data = digest(bundled_history, "--since", "2025-11", "--limit", "3")
    assert data["since"] is None and data["window"] == {
        "since": "2025-11-01",
        "until": "2025-11-27",
        "runs": 3,
    }
    assert data["new"] == ["deepseek-ai/DeepSeek-Math-V2", "Qwen/Qwen3-VL-32B-Thinking-FP8"]
    assert data["movers"] == expected_movers("2025-11-24", "2025-11-27", 3)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--since", "2025-11-26", "--until", "2025-11-26"), "no sync stored from 2025-11-26 to 2025-11-26: nothing to compare"),
        (("--since", "2025-12-01"), "--since 2025-12-01 is past the end of the history: the history runs from 2025-11-24 to 2025-11-27"),
        (("--until", "2025-11-01"), "--until 2025-11-01 is before the history starts: the history runs from 2025-11-24 to 2025-11-27"),
    ],
)  # fmt: skip
def test_a_window_without_a_sync_says_so(bundled_history: Path, args: tuple[str, ...], line: str) -> None:
    result = run("changes", "--db", str(bundled_history), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"oss-tracker: error: {line}\n")


def test_the_markdown_digest_is_headings_and_bullets(bundled_history: Path) -> None:
    result = run(
        "changes", "--db", str(bundled_history), "--since", "2025-11-25", "--limit", "2", "-f", "markdown"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "# Changes from 25 Nov 2025 to 27 Nov 2025\n"
        "\n"
        "## New releases (2) by kind, originals first\n"
        "\n"
        "- **deepseek-ai/DeepSeek-Math-V2**: original, 686B parameters, apache-2.0, text-generation, created 27 Nov "
        "2025, 1,287 downloads at first sight\n"
        "- **Qwen/Qwen3-VL-32B-Thinking-FP8**: conversion, 33.3B parameters, apache-2.0, image-text-to-text, created "
        "25 Nov 2025, 412 downloads at first sight\n"
        "\n"
        "## Removals, renames and licence changes (5)\n"
        "\n"
        "- **removed** model Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8: seen 27 Nov 2025\n"
        "- **renamed** model Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic: from Qwen/Qwen3-Next-80B-A3B-Instruct-FP8, "
        "seen 27 Nov 2025\n"
        "- **licence** model MiniMaxAI/MiniMax-M2: mit -\\> modified-mit, seen 25 Nov 2025\n"
        "- **removed** dataset MiniMaxAI/MiniMax-Text-01-LongCtx-Eval: seen 27 Nov 2025\n"
        "- **new** Space Qwen/Qwen3-VL-Thinking-Demo: seen 25 Nov 2025\n"
        "\n"
        "## Top 2 movers: downloads in the window\n"
        "\n"
        "- **Qwen/Qwen3-4B-Instruct-2507**: +786,172 downloads, +3.0% on its all-time count\n"
        "- **Qwen/Qwen3-0.6B**: +766,270 downloads, +1.0% on its all-time count\n"
        "\n"
        "_2 runs from 25 Nov 2025 06:00 UTC to 27 Nov 2025 06:00 UTC, since 24 Nov 2025 06:00 UTC · demo data: "
        "replayed from a recording, not fetched from the Hub (the bundled demo's numbers are partly invented)_\n"
    )
    movers = expected_movers("2025-11-24", "2025-11-27", 2)
    assert [(m["id"], m["downloads"]) for m in movers] == [
        ("Qwen/Qwen3-4B-Instruct-2507", 786172), ("Qwen/Qwen3-0.6B", 766270)
    ]  # fmt: skip


def test_csv_is_every_change_dated(bundled_history: Path) -> None:
    result = run(
        "changes", "--db", str(bundled_history), "--since", "2025-11-25", "-f", "csv", "--org", "MiniMaxAI"
    )
    assert result.stdout == (
        "change,kind,id,detail,at\n"
        "licence,model,MiniMaxAI/MiniMax-M2,mit -> modified-mit,2025-11-25T06:00:00Z\n"
        "removed,dataset,MiniMaxAI/MiniMax-Text-01-LongCtx-Eval,,2025-11-27T06:00:00Z\n"
    )


def test_limit_zero_lists_every_mover(bundled_history: Path) -> None:
    """0 means all, in every command with --limit (it meant none here): every model of top's ranking
    of the last sync's day whose count grew."""
    data = digest(bundled_history, "--limit", "0")
    ranked = json.loads(
        run("top", "--since", "2025-11-27", "--limit", "0", "--db", str(bundled_history), "--json").stdout
    )["models"]
    assert [m["id"] for m in data["movers"]] == [m["id"] for m in ranked if m["downloads"] > 0]
    assert len(data["movers"]) == 1_052
    table = run("changes", "--db", str(bundled_history), "--limit", "0").stdout
    assert "All movers: downloads since" in table
