"""Requests per listing-only sync (`--derivatives none`) against the lower bound.

    python bench/requests_per_sync.py [--watchlist 50]

Runs the real CLI (`oss-tracker sync --derivatives none`) against tests/fakehub.py for the
four default orgs (fixtures/worlds/2025-11-24.json) and for a synthetic watch list of 50
orgs (bench/synth.py: sizes 1, 999, 1000, 1001, 2000, 2500 and smaller ones). The fake Hub
logs every request it answers; the bound is one overview per org plus one listing page per
1000 models (per 1000 datasets and Spaces where the org has any).
"""

from __future__ import annotations

import argparse
import json
import sys

from _common import OSS_TRACKER, ROOT, env, lower_bound, machine, run_child, summary_requests, table, workdir
from synth import make_world, watchlist_sizes

from tests.fakehub import FakeHub

DEFAULT_ORGS = ["deepseek-ai", "Qwen", "moonshotai", "MiniMaxAI"]


def measure(name: str, world: dict, orgs: list[str], tmp) -> list[object]:
    db = tmp / f"{name}.db"
    with FakeHub(world) as hub:
        args = [OSS_TRACKER, "sync", "--db", str(db), "--endpoint", hub.url, "--derivatives", "none"]
        for org in orgs:
            args += ["--org", org]
        wall, code, _rss, err = run_child(args, env(tmp))
        if code not in (0, 3):
            sys.exit(f"{name}: sync failed ({code}): {err.strip()}")
        counted = {
            "overview": hub.count("/api/organizations"),
            "models": hub.count("/api/models"),
            "datasets": hub.count("/api/datasets"),
            "spaces": hub.count("/api/spaces"),
        }
        counted["total"] = hub.count()
    bound = lower_bound(world, orgs)
    reported = summary_requests(err)
    print(f"{name}: {err.strip().splitlines()[-1]}", file=sys.stderr)
    models = sum(1 for m in world["models"] if (m.get("author") or m["id"].split("/")[0]) in orgs)
    return [
        name,
        len(orgs),
        f"{models:,}",
        f"{counted['overview']} / {bound['overview']}",
        f"{counted['models']} / {bound['models']}",
        f"{counted['datasets'] + counted['spaces']} / {bound['datasets'] + bound['spaces']}",
        f"{counted['total']} / {bound['total']}",
        reported,
        "yes" if counted["total"] == bound["total"] else f"NO (+{counted['total'] - bound['total']})",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchlist", type=int, default=50, help="orgs in the synthetic watch list")
    args = parser.parse_args()
    rows = []
    with workdir() as tmp:
        fixture = json.loads((ROOT / "fixtures" / "worlds" / "2025-11-24.json").read_text())
        rows.append(measure("4 default orgs", fixture, DEFAULT_ORGS, tmp))
        sizes = watchlist_sizes(args.watchlist)
        rows.append(measure(f"{args.watchlist}-org watch list", make_world(sizes), list(sizes), tmp))
    print(f"machine: {machine()}\n")
    print(
        table(
            [
                "watch list",
                "orgs",
                "models",
                "overviews (measured / bound)",
                "model pages",
                "dataset + Space pages",
                "requests (measured / bound)",
                "sync's own count",
                "at the bound",
            ],  # fmt: skip
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
