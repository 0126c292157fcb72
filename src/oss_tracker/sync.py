"""One sync run: fetch every watched org (concurrently), then store the run in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlite_utils import Database

from oss_tracker import __version__, derivatives, hub, store
from oss_tracker.errors import TrackerError, UnknownOrg, describe
from oss_tracker.records import KINDS, ModelRecord, OrgOverview, RepoRecord

log = logging.getLogger("oss_tracker")


@dataclass
class OrgResult:
    """What one account's fetch brought back, kind by kind (model, dataset, space)."""

    org: str
    overview: OrgOverview | None = None
    models: list[ModelRecord] = field(default_factory=list)
    repos: dict[str, list[RepoRecord]] = field(default_factory=dict)  # kind -> datasets or Spaces
    error: str | None = None  # the overview or the model listing failed: nothing of the org is stored
    kind_errors: dict[str, str] = field(default_factory=dict)  # a dataset or Space listing failed

    def expected(self, kind: str) -> int | None:
        if self.overview is None:
            return None
        return {"model": self.overview.num_models, "dataset": self.overview.num_datasets,
                "space": self.overview.num_spaces}[kind]  # fmt: skip

    def listed(self, kind: str) -> int:
        return len(self.models) if kind == "model" else len(self.repos.get(kind, []))

    def short(self, kind: str) -> str | None:
        """Why this kind's listing cannot be stored: it failed, or came back shorter than counted."""
        if kind != "model" and kind in self.kind_errors:
            return self.kind_errors[kind]
        expected = self.expected(kind)
        if expected is not None and self.listed(kind) < expected:
            # A partial listing stored as a snapshot would read as a collapse of downloads.
            return f"listed {self.listed(kind):,} of {expected:,} {kind}s: not stored"
        return None

    def verified(self, kind: str) -> bool:
        """Stored and checked against the overview's count: only then may missing items be removals."""
        return self.short(kind) is None and self.expected(kind) is not None


@dataclass
class SyncSummary:
    run_id: int | None
    status: str  # ok | partial | failed
    orgs: list[store.OrgSaved]
    failed: dict[str, str]
    incomplete: dict[str, str]
    removed: list[str]  # models
    requests: int
    started_at: str
    finished_at: str
    derivatives: derivatives.DerivativesSummary | None = None
    repos: dict[str, int] = field(default_factory=dict)  # datasets and Spaces listed, by kind
    repos_removed: list[str] = field(default_factory=list)

    @property
    def models(self) -> int:
        return sum(o.listed for o in self.orgs)

    def line(self) -> str:
        """The one summary line a cron log keeps."""
        parts = [
            f"sync {self.status}: {len(self.orgs)} org(s), {self.models:,} models"
            + "".join(
                f", {n:,} {noun}"
                for noun, n in (
                    ("datasets", self.repos.get("dataset", 0)),
                    ("Spaces", self.repos.get("space", 0)),
                )
                if n
            ),
            f"{sum(o.new for o in self.orgs)} new"
            + (
                f" ({sum(o.first for o in self.orgs)} org(s) synced for the first time)"
                if any(o.first for o in self.orgs)
                else ""
            ),
            f"{len(self.removed)} removed"
            + (f" (+{len(self.repos_removed)} datasets/Spaces)" if self.repos_removed else ""),
            f"{sum(o.renamed for o in self.orgs)} renamed",
            f"{sum(o.license_changed for o in self.orgs)} licence change(s)",
            f"{self.requests} requests",
        ]
        if self.derivatives is not None and self.derivatives.mode != "none":
            parts.append(self.derivatives.text())
        if self.run_id is not None:
            parts.append(f"run #{self.run_id}")
        text = ", ".join(parts)
        problems = [f"{org}: {msg}" for org, msg in {**self.incomplete, **self.failed}.items()]
        return text + (" — " + "; ".join(problems) if problems else "")


class OutOfOrder(TrackerError):
    """A run dated at or before the newest stored run."""


class SyncFailed(Exception):
    """No org could be fetched: nothing was written."""


ProgressFn = Callable[[str, int], None]


def fetch_org(
    session: hub.HubSession, org: str, progress: ProgressFn | None = None, *, strict: bool = True
) -> OrgResult:
    """Overview, then every page of the org's models, datasets and Spaces.

    A 404 on the overview raises UnknownOrg when `strict` (a name typed on the command line);
    from a watch list it only fails this org, so that one renamed account cannot stop the
    daily history of all the others.
    """
    result = OrgResult(org)
    try:
        result.overview = _overview(session, org)
        # The Hub's spelling of the name (`--org qwen` lists and stores `Qwen`).
        result.org = result.overview.name
        for record in hub.iter_org_models(session.api, result.org):
            result.models.append(record)
            if progress is not None:
                progress(org, len(result.models))
    except UnknownOrg as err:
        if strict:
            raise
        result.error = str(err)
        return result
    except Exception as err:  # noqa: BLE001 - one org's failure must not lose the others
        result.error = describe(err)
        log.debug("fetching %s failed", org, exc_info=True)
        return result
    for kind in KINDS:
        # The overview counts them: an account with none costs no listing request.
        if result.expected(kind) == 0:
            continue
        try:
            result.repos[kind] = list(hub.iter_org_repos(session.api, result.org, kind))
        except Exception as err:  # noqa: BLE001 - a Space listing failing must not cost the models
            result.kind_errors[kind] = f"{kind} listing failed: {describe(err)}"
            log.debug("listing %ss of %s failed", kind, org, exc_info=True)
    return result


def check_account(session: hub.HubSession, org: str) -> str:
    """The Hub's spelling of an existing account's name; UnknownOrg if the Hub does not know it."""
    return _overview(session, org).name


def _overview(session: hub.HubSession, org: str) -> OrgOverview:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        overview = hub.fetch_overview(session.api, org)
    except HfHubHTTPError as err:
        if err.response is not None and err.response.status_code == 404:
            raise UnknownOrg(f"unknown organization '{org}': the Hub answered 404") from None
        raise
    return overview


def run_sync(
    db: Database,
    session: hub.HubSession,
    orgs: list[str],
    *,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
    workers: int = 16,
    progress: ProgressFn | None = None,
    strict: bool = True,
    derivative_mode: str = "auto",
    derivative_workers: int = 8,
) -> SyncSummary:
    """Fetch `orgs` and store them as one run. Raises SyncFailed (nothing written) if all fail."""
    clock = clock or (lambda: datetime.now(UTC))
    started = _iso(now)
    last = store.last_run_start(db)
    if last is not None and started <= last:
        # History only moves forward: the same recording replayed twice, or a clock set
        # back, would otherwise store a day twice or undo a rename.
        raise OutOfOrder(
            f"the database already holds a run of {last}; a run of {started} would go back in time "
            "(replay recordings once each, in date order)"
        )
    failed: dict[str, str] = {}
    incomplete: dict[str, str] = {}
    saved: list[store.OrgSaved] = []
    removed: list[str] = []
    repos_removed: list[str] = []
    repos: dict[str, int] = dict.fromkeys(KINDS, 0)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(orgs)))) as pool:
        pending: set[Future[OrgResult]] = {
            pool.submit(fetch_org, session, org, progress, strict=strict) for org in orgs
        }
        try:
            with db.atomic():
                run_id = store.start_run(
                    db,
                    started_at=started,
                    day=started[:10],
                    endpoint=session.endpoint,
                    orgs=orgs,
                    version=__version__,
                )
                verified: dict[str, list[str]] = {}
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        result = future.result()
                        problem = result.error or (
                            result.short("model") if result.overview else "no overview"
                        )
                        if problem is not None or result.overview is None:
                            failed[result.org] = problem or "no overview"
                            continue
                        notes = [result.short(k) for k in KINDS if result.short(k)]
                        unverified = [f"{k}s" for k in ("model", *KINDS) if result.expected(k) is None]
                        if unverified:
                            notes.append(
                                f"no count of {', '.join(unverified)} to check the listing: no removals"
                            )
                        if notes:
                            incomplete[result.org] = "; ".join(n for n in notes if n)
                        stored = {k: result.short(k) is None for k in KINDS}
                        listed = {
                            kind: store.save_repos(
                                db, run_id, started, result.org, kind, result.repos.get(kind, [])
                            )
                            if stored[kind]
                            else None
                            for kind in KINDS
                        }
                        for kind, n in listed.items():
                            repos[kind] += n or 0
                        saved.append(
                            store.save_org(
                                db,
                                run_id,
                                started,
                                result.overview,
                                result.models,
                                complete=not notes,
                                datasets_listed=listed["dataset"],
                                spaces_listed=listed["space"],
                            )
                        )
                        verified[result.org] = [k for k in ("model", *KINDS) if result.verified(k)]
                        result.models, result.repos = [], {}  # let the records go as soon as they are written
                if not saved:
                    raise SyncFailed(
                        "; ".join(f"{org}: {msg}" for org, msg in failed.items()) or "nothing fetched"
                    )
                # After every org is saved, so a repo moved between two watched orgs is not taken for a removal.
                for org, kinds in verified.items():
                    if "model" in kinds:
                        removed.extend(store.mark_removed(db, run_id, started, org))
                    for kind in KINDS:
                        if kind in kinds:
                            repos_removed.extend(store.mark_repos_removed(db, run_id, started, org, kind))
                derived = derivatives.refresh(
                    db,
                    fetch=lambda repo_id: hub.fetch_children(session.api, repo_id),
                    targets=derivatives.stalest(db, [store.org_id(db, o.org) for o in saved], started[:10]),
                    budget=session.transport.budget(),
                    run_id=run_id,
                    day=started[:10],
                    mode=derivative_mode,
                    workers=derivative_workers,
                )
                status = "partial" if failed or incomplete else "ok"
                finished = _iso(clock())
                problems = {**incomplete, **failed}
                store.finish_run(
                    db,
                    run_id,
                    finished_at=finished,
                    status=status,
                    requests=session.transport.requests,
                    message="; ".join(f"{o}: {m}" for o, m in problems.items()) or None,
                )
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return SyncSummary(
        run_id=run_id,
        status=status,
        orgs=sorted(saved, key=lambda o: [x.lower() for x in orgs].index(o.org.lower())),
        failed=failed,
        incomplete=incomplete,
        removed=removed,
        repos=repos,
        repos_removed=repos_removed,
        requests=session.transport.requests,
        started_at=started,
        finished_at=finished,
        derivatives=derived,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
