"""One sync run: fetch every watched org (concurrently), then store the run in one transaction.

Each org's fetch thread hands its listing to the writer a page at a time through a small
bounded channel, so a sync holds a few pages in memory, not whole orgs. The writer stores
an org inside a savepoint and rolls that org back if its listing fails or falls short.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from oss_tracker import __version__
from oss_tracker.errors import CLOCK_SKEW, TrackerError, UnknownOrg, describe
from oss_tracker.hub import client as hub
from oss_tracker.records import KINDS, ModelRecord, OrgOverview, RepoRecord
from oss_tracker.store import derivatives as stored_counts
from oss_tracker.store import kinds, totals
from oss_tracker.store import writes as store
from oss_tracker.store.open import Store
from oss_tracker.sync import derivatives

log = logging.getLogger("oss_tracker")


@dataclass
class OrgResult:
    """What one account's fetch brought back, kind by kind (model, dataset, space)."""

    org: str
    overview: OrgOverview | None = None
    n_models: int = 0  # the models themselves went to the writer, page by page
    repos: dict[str, list[RepoRecord]] = field(default_factory=dict)  # kind -> datasets or Spaces
    fatal: BaseException | None = None  # stops the whole run (an unknown org named on the command line)
    error: str | None = None  # the overview or the model listing failed: nothing of the org is stored
    kind_errors: dict[str, str] = field(default_factory=dict)  # a dataset or Space listing failed
    # kind -> what its listing left out or made unknown
    tallies: dict[str, hub.Tally] = field(default_factory=lambda: {k: hub.Tally() for k in ("model", *KINDS)})
    # kind -> items of other accounts in the listing that were this org's repos when the run began
    # (transferred out: the overview may still count them); set by the writer
    held: dict[str, int] = field(default_factory=dict)
    overflowed: int = 0  # sums of its totals past 64 bits, stored as unknown

    def expected(self, kind: str) -> int | None:
        if self.overview is None:
            return None
        return {"model": self.overview.num_models, "dataset": self.overview.num_datasets,
                "space": self.overview.num_spaces}[kind]  # fmt: skip

    def listed(self, kind: str) -> int:
        return self.n_models if kind == "model" else len(self.repos.get(kind, []))

    def short(self, kind: str) -> str | None:
        """Why this kind's listing cannot be stored: it failed, or came back shorter than counted.

        The overview may still count a repo just transferred to another account, which the
        listing then shows under its new id: such an item helps meet the count, but only if it
        was this org's when the run began (`held`), each `_id` once. Any other account's item
        (planted, however often repeated) never stands in for a missing model.
        """
        if kind != "model" and kind in self.kind_errors:
            return self.kind_errors[kind]
        expected = self.expected(kind)
        tally = self.tallies[kind]
        if expected is not None and self.listed(kind) + self.held.get(kind, 0) < expected:
            # A partial listing stored as a snapshot would read as a collapse of downloads.
            why = [f"{tally.skipped:,} unusable item(s) skipped"] if tally.skipped else []
            if tally.foreign > self.held.get(kind, 0):
                why.append(
                    f"{tally.foreign - self.held.get(kind, 0):,} item(s) of other accounts not counted"
                )
            detail = f" ({'; '.join(why)})" if why else ""
            return f"listed {self.listed(kind):,} of {expected:,} {kind}s{detail}: not stored"
        return None

    def verified(self, kind: str) -> bool:
        """Stored, and its own items alone meet the overview's count: only then may missing items
        be removals (a count met with transferred items' help proves nothing of the rest)."""
        expected = self.expected(kind)
        return self.short(kind) is None and expected is not None and self.listed(kind) >= expected


@dataclass
class SyncSummary:
    run_id: int | None
    status: str  # ok | partial | failed
    orgs: list[store.OrgSaved]
    failed: dict[str, str]
    incomplete: dict[str, str]
    removed: list[str]  # models
    requests: int
    derivatives: derivatives.DerivativesSummary | None = None
    repos: dict[str, int] = field(default_factory=dict)  # datasets and Spaces listed, by kind
    repos_removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the stored orgs' listings left out or made unknown

    @property
    def models(self) -> int:
        return sum(o.listed for o in self.orgs)

    @property
    def warnings(self) -> list[str]:
        """What went wrong in a run stored whole: derivative counts that could not be refreshed.

        Not `partial` (exit 3 says an org's snapshot is missing or incomplete, and every one is
        here): such a count is left as it was, like one the budget did not reach, and the
        stalest counts are tried first next run. A warning, shown even with -q.
        """
        d = self.derivatives
        if d is None or not (d.failed or d.unreadable):
            return []
        what = " and ".join(
            part
            for part in (
                f"{d.failed:,} failed" if d.failed else "",
                f"{d.unreadable:,} unreadable" if d.unreadable else "",
            )
            if part
        )
        return [
            f"warning: {d.failed + d.unreadable:,} derivative count(s) not refreshed ({what}), left as they "
            "were (the stalest are tried first next run)"
        ]

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
        text += " — " + "; ".join(problems + self.notes) if problems or self.notes else ""
        return text + "".join(f" — {w}" for w in self.warnings)


def notes(stored: list[OrgResult], taken: dict[str, int]) -> list[str]:
    """What the stored orgs' listings left out or made unknown, per org, for the summary and runs.message."""
    per_org = {
        "odd value(s) stored as unknown": {
            r.org: (r.overview.odd if r.overview else 0) + sum(t.odd for t in r.tallies.values())
            for r in stored
        },
        "unusable item(s) skipped": {r.org: sum(t.skipped for t in r.tallies.values()) for r in stored},
        "item(s) of other accounts left out": {
            r.org: sum(t.foreign for t in r.tallies.values()) for r in stored
        },
        "item(s) already stored under another account this run skipped": taken,
        "total(s) past 64 bits stored as unknown": {r.org: r.overflowed for r in stored},
    }
    out = []
    for label, counts in per_org.items():
        if total := sum(counts.values()):
            orgs = ", ".join(f"{org}: {n:,}" for org, n in counts.items() if n)
            out.append(f"{total:,} {label} ({orgs})")
    return out


def _every_failure(failed: dict[str, str]) -> str:
    """Why no org was stored: each org's reason, or the reason once when every org failed alike
    (an endpoint that cannot be reached is not news sixteen times)."""
    reasons = set(failed.values())
    if len(reasons) == 1 and len(failed) > 1:
        return reasons.pop()
    return "; ".join(f"{org}: {msg}" for org, msg in failed.items()) or "nothing fetched"


class OutOfOrder(TrackerError):
    """A run dated at or before the newest stored run."""


class FutureRun(TrackerError):
    """A run dated after this machine's clock (beyond CLOCK_SKEW)."""


def _check_order(last: str | None, started: str, present: datetime) -> None:
    """OutOfOrder unless a run of `started` comes after every stored run (`last` the newest)."""
    if last is None or started > last:
        return
    try:
        ahead = datetime.fromisoformat(last.replace("Z", "+00:00")).astimezone(UTC) - present
    except ValueError:
        ahead = timedelta(0)
    if ahead > CLOCK_SKEW:
        raise OutOfOrder(
            f"the database holds a run dated {last}, after this machine's clock ({_iso(present)}): "
            "a clock or a recording was wrong when it was stored, and no run can be stored after it "
            "until it is gone (restore a backup from before it)"
        )
    # History only moves forward: the same recording replayed twice, or a clock set back,
    # would otherwise store a day twice or undo a rename.
    raise OutOfOrder(
        f"the database already holds a run of {last}; a run of {started} would go back in time "
        "(replay recordings once each, in date order)"
    )


class SyncFailed(Exception):
    """No org could be fetched: nothing was written."""


ProgressFn = Callable[[str, int], None]


PAGE = 1000  # records a page handed to the writer (the Hub's own page size)


class _Stopped(Exception):
    """The run is ending: a fetch thread stops handing pages over."""


class Channel:
    """A bounded hand-over from one org's fetch thread to the writer: a few pages, then the result."""

    def __init__(self, stop: threading.Event, size: int = 3) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=size)
        self._stop = stop

    def put(self, item: object) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set():
                    raise _Stopped from None

    def get(self) -> object:
        return self._queue.get()


def fetch_org(
    session: hub.HubSession,
    org: str,
    channel: Channel,
    progress: ProgressFn | None = None,
    *,
    strict: bool = True,
    now: datetime | None = None,
    side: Executor | None = None,
) -> None:
    """Overview, then every page of the org's models, datasets and Spaces, into `channel`.

    The channel receives the overview, pages of model records, and last the OrgResult
    (always, even on failure). A 404 on the overview stops the run when `strict` (a name
    typed on the command line); from a watch list it only fails this org, so that one
    renamed account cannot stop the daily history of all the others. With a `side` pool,
    the dataset and Space listings run there while the models are listed.
    """
    result = OrgResult(org)
    later: dict[str, Future[list[RepoRecord]]] = {}
    try:
        try:
            result.overview = _overview(session, org)
            # The Hub's spelling of the name (`--org qwen` lists and stores `Qwen`).
            result.org = result.overview.name
            channel.put(result.overview)
            if side is not None:
                # They need only the overview's counts: listed beside the models, the org costs
                # its longest listing in latency, not the three in a row.
                later = {k: side.submit(_list_repos, session, result, k, now) for k in _kinds(result)}
            page: list[ModelRecord] = []
            models = hub.iter_org_models(
                session.api,
                result.org,
                expected=result.expected("model"),
                tally=result.tallies["model"],
                now=now,
            )
            for record in models:
                page.append(record)
                result.n_models += 1
                if progress is not None:
                    progress(org, result.n_models)
                if len(page) >= PAGE:
                    channel.put(page)
                    page = []
            if page:
                channel.put(page)
        except UnknownOrg as err:
            if strict:
                result.fatal = err
            result.error = str(err)
        except _Stopped:
            raise
        except Exception as err:  # noqa: BLE001 - one org's failure must not lose the others
            result.error = describe(err)
            log.debug("fetching %s failed", org, exc_info=True)
        for kind in _kinds(result) if result.error is None else []:
            try:
                found = later.pop(kind, None)
                result.repos[kind] = found.result() if found else _list_repos(session, result, kind, now)
            except Exception as err:  # noqa: BLE001 - a Space listing failing must not cost the models
                result.kind_errors[kind] = f"{kind} listing failed: {describe(err)}"
                log.debug("listing %ss of %s failed", kind, org, exc_info=True)
        # The org failed: its side listings are not stored, but they end before its result is
        # handed over (the run's request count then includes them).
        wait(later.values())
        channel.put(result)
    except _Stopped:
        for future in later.values():
            future.cancel()
        return


def _kinds(result: OrgResult) -> list[str]:
    """The kinds of repo besides models to list: the overview counts them, and an account with
    none costs no listing request."""
    return [kind for kind in KINDS if result.expected(kind) != 0]


def _list_repos(
    session: hub.HubSession, result: OrgResult, kind: str, now: datetime | None
) -> list[RepoRecord]:
    repos = hub.iter_org_repos(
        session.api, result.org, kind, expected=result.expected(kind), tally=result.tallies[kind], now=now
    )
    return list(repos)


def _pages(channel: Channel, end: list[OrgResult]) -> Iterator[ModelRecord]:
    """The records the fetch thread hands over, until its result arrives (kept in `end`)."""
    while True:
        item = channel.get()
        if isinstance(item, OrgResult):
            end.append(item)
            return
        yield from item  # type: ignore[misc]


class _Discard(Exception):
    """Roll one org back: its listing failed or fell short."""


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


def _store_org(
    db: Store,
    run_id: int,
    started: str,
    channel: Channel,
    failed: dict[str, str],
    incomplete: dict[str, str],
    repos: dict[str, int],
    saved: list[store.OrgSaved],
    companies: kinds.Companies,
) -> OrgResult | None:
    """Write one org as its pages arrive, in a savepoint; roll it back if it failed or fell short."""
    first = channel.get()
    if isinstance(first, OrgResult):  # no overview: nothing to store
        if first.fatal is not None:
            raise first.fatal
        failed[first.org] = first.error or "no overview"
        return None
    overview: OrgOverview = first  # type: ignore[assignment]
    end: list[OrgResult] = []
    try:
        with db.atomic():  # a savepoint inside the run's transaction
            counts = store.start_org(db, overview.name)
            store.save_models(db, run_id, started, counts, _pages(channel, end), companies)
            result = end[0]
            if result.fatal is not None:
                raise result.fatal
            moved_out = {k: v for c in saved for k, v in c.moved_out.items()}
            for kind, tally in result.tallies.items():
                result.held[kind] = store.held_before(db, result.org, kind, tally.foreign_ids, moved_out)
            problem = result.error or result.short("model")
            if problem is not None:
                # A listing cut short is not a snapshot: half an org would read as a collapse.
                raise _Discard(problem)
            notes = [result.short(k) for k in KINDS if result.short(k)]
            unverified = [f"{k}s" for k in ("model", *KINDS) if result.expected(k) is None]
            if unverified:
                notes.append(f"no count of {', '.join(unverified)} to check the listing: no removals")
            listed = {
                kind: store.save_repos(
                    db, run_id, started, result.org, kind, result.repos.get(kind, []), counts
                )
                if result.short(kind) is None
                else None
                for kind in KINDS
            }
            store.save_org_snapshot(
                db,
                run_id,
                overview,
                counts,
                complete=not notes,
                datasets_listed=listed["dataset"],
                spaces_listed=listed["space"],
            )
            # The org's totals: every snapshot row is storable, so a sum past 64 bits is stored as
            # unknown (NULL) and noted, never a reason to lose the org.
            before = totals.overflows()
            totals.record(db, run_id=run_id, org_ids=[store.org_id(db, overview.name)])
            result.overflowed = totals.overflows() - before
    except _Discard as why:
        failed[overview.name] = str(why)
        return None
    if notes:
        incomplete[result.org] = "; ".join(n for n in notes if n)
    for kind, n in listed.items():
        repos[kind] += n or 0
    saved.append(counts)
    return result


def run_sync(
    db: Store,
    session: hub.HubSession,
    orgs: list[str],
    *,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
    wall: Callable[[], datetime] | None = None,
    workers: int = 16,
    progress: ProgressFn | None = None,
    strict: bool = True,
    derivative_mode: str = "auto",
    derivative_workers: int = 8,
    companies: kinds.Companies | None = None,
) -> SyncSummary:
    """Fetch `orgs` and store them as one run. Raises SyncFailed (nothing written) if all fail.

    `now` dates the run, `clock` its end (a replay's is fixed), `wall` is this machine's real
    clock: a run dated after it is refused. `companies`: the watch list's ({account: company}),
    which accounts are one company when models are classified (none: each account its own).
    """
    companies = companies or {}
    clock = clock or (lambda: datetime.now(UTC))
    started = _iso(now)
    present = (wall or (lambda: datetime.now(UTC)))()
    if now - present > CLOCK_SKEW:
        # One run from the future would make every later (true) run look like going back in time.
        raise FutureRun(
            f"the run is dated {started}, after this machine's clock ({_iso(present)}): "
            "a run from the future is not stored (check --now, the recording's recorded_at, or the clock)"
        )
    # A first look before fetching anything (a recording replayed twice costs no request); the
    # check that counts is the one inside the write transaction, below.
    _check_order(store.last_run_start(db), started, present)
    failed: dict[str, str] = {}
    incomplete: dict[str, str] = {}
    saved: list[store.OrgSaved] = []
    removed: list[str] = []
    repos_removed: list[str] = []
    repos: dict[str, int] = dict.fromkeys(KINDS, 0)
    stop = threading.Event()
    channels = {org: Channel(stop) for org in orgs}
    size = max(1, min(workers, len(orgs)))
    # A second pool of the same size for the orgs' dataset and Space listings, beside their models
    # (none with one worker: then one request at a time, as asked).
    side_pool = ThreadPoolExecutor(max_workers=size) if workers > 1 else nullcontext(None)
    with ThreadPoolExecutor(max_workers=size) as pool, side_pool as side:
        futures: list[Future[None]] = [
            pool.submit(fetch_org, session, org, channels[org], progress, strict=strict, now=now, side=side)
            for org in orgs
        ]
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
                # Now that this transaction holds SQLite's write lock, no other writer can commit
                # until it ends: checked here, runs are stored in time order even if two syncs
                # reached the file past the lock (another path, an older version).
                _check_order(store.last_run_start(db, other_than=run_id), started, present)
                verified: dict[str, list[str]] = {}
                stored: list[OrgResult] = []
                # One org at a time, in watch-list order, while the others keep fetching.
                for org in orgs:
                    result = _store_org(
                        db, run_id, started, channels[org], failed, incomplete, repos, saved, companies
                    )
                    if result is not None:
                        stored.append(result)
                        verified[result.org] = [k for k in ("model", *KINDS) if result.verified(k)]
                if not saved:
                    raise SyncFailed(_every_failure(failed))
                # After every org is saved, so a repo moved between two watched orgs is not taken for a removal.
                for org, kinds in verified.items():
                    if "model" in kinds:
                        removed.extend(store.mark_removed(db, run_id, started, org))
                    for kind in KINDS:
                        if kind in kinds:
                            repos_removed.extend(store.mark_removed(db, run_id, started, org, kind))
                # Every org's totals of this run were stored with it; now the whole history of
                # orgs a model moved between (a sum past 64 bits there is stored as unknown).
                moved = {o for c in saved for o in c.moved_from}
                if moved:
                    moved |= {store.org_id(db, c.org) for c in saved if c.moved_from}
                # ...and of orgs a model's createdAt changed in (the launch rule reads it).
                moved |= {store.org_id(db, c.org) for c in saved if c.created_changed}
                if moved:
                    totals.record(db, org_ids=sorted(moved))
                derived = derivatives.refresh(
                    db,
                    fetch=lambda repo_id: hub.fetch_children(session.api, repo_id),
                    # Every current model, stalest first: only worth reading if any is to be counted.
                    targets=stored_counts.stalest(db, [store.org_id(db, o.org) for o in saved], started[:10])
                    if derivative_mode != "none"
                    else [],
                    budget=session.transport.budget(),
                    run_id=run_id,
                    day=started[:10],
                    mode=derivative_mode,
                    workers=derivative_workers,
                )
                _classify(db, companies, [store.org_id(db, c.org) for c in saved])
                status = "partial" if failed or incomplete else "ok"
                finished = _iso(clock())
                problems = {**incomplete, **failed}
                run_notes = notes(stored, {c.org: c.taken for c in saved if c.taken})
                store.finish_run(
                    db,
                    run_id,
                    finished_at=finished,
                    status=status,
                    requests=session.transport.requests,
                    message="; ".join([*(f"{o}: {m}" for o, m in problems.items()), *run_notes]) or None,
                )
        except BaseException:
            stop.set()  # fetch threads waiting to hand over a page give up
            for future in futures:
                future.cancel()
            if side is not None:
                side.shutdown(wait=False, cancel_futures=True)  # side listings not begun never are
            raise
    return SyncSummary(
        run_id=run_id,
        status=status,
        orgs=saved,  # in watch-list order: stored one org at a time, in that order
        failed=failed,
        incomplete=incomplete,
        removed=removed,
        repos=repos,
        repos_removed=repos_removed,
        requests=session.transport.requests,
        derivatives=derived,
        notes=run_notes,
    )


def _classify(db: Store, companies: kinds.Companies, org_ids: list[int]) -> None:
    """The kinds the listing alone could not settle (each model was classified as it was written):
    under a watch list whose companies changed, every model's again; else those of the stored orgs
    whose tags name no relation and whose `baseModels` (stored with derivative counts) may."""
    if kinds.companies_changed(db, companies):
        kinds.refresh(db, companies)
    else:
        marks = ",".join("?" * len(org_ids))
        kinds.refresh(
            db,
            companies,
            f"m.id IN (SELECT model_id FROM model_bases) AND m.base_relation IS NULL AND m.org_id IN ({marks})",
            org_ids,
        )
    if kinds.stored_companies(db) != dict(companies):
        kinds.save_companies(db, companies)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
