"""`oss-tracker backfill`: years of history on day one, from a public archive of Hub snapshots.

Plans the days (the archive's commits, or local files), skips what is already stored, reads
each remaining day's file (only the watched rows' columns: hub/archive_table.py) and stores it
as one run in one transaction (store/archive.py). Locked like a sync, so a backfill and a sync
never write at once; resumable and idempotent because every stored day is whole and a day (an
account on a day) already stored is never read again. From the Hub, an account the database
knows no model of is listed live first (`_list_live`, never stored), so that the newest day's
rows unchanged since are not read whole.

Which revision is a day: the archive (`cfahlgren1/hub-stats`) overwrites `models.parquet`
daily, one commit an upload, but its commit listing does not say which files a commit changed.
For each UTC day the last commit whose title names `models` is taken (else the day's last
commit), and checked: the `models.parquet` it holds must differ (by the ETag, the content hash)
from the one of the last commit before that day, else that day brought no new snapshot of
models (the upload failed or was of another file) and it is a gap, never a copy dated wrongly.
A revision without `models.parquet` is tried for `models.csv` (the early months); one that
cannot be read is skipped with a note.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from oss_tracker import __version__
from oss_tracker.errors import CLOCK_SKEW, FAILED, Busy, TrackerError, describe
from oss_tracker.sync.archive_days import Candidate, Counted, Source, iso, read_share
from oss_tracker.sync.lock import LockError

log = logging.getLogger("oss_tracker")

HUB_STATS = "hub-stats"
LATEST_DAYS = (
    12  # days of commits `sync --families` lists: the newest, and earlier ones to measure a period from
)
DAY = re.compile(r"(?<![0-9])(20[0-9]{2}-[0-9]{2}-[0-9]{2})(?![0-9])")


class BackfillError(TrackerError):
    """Nothing could be planned or read (the archive unreachable, a bad --source)."""

    exit_code = FAILED


@dataclass
class BackfillJob:
    path: Path
    named: list[str] | None
    watched: Callable[[], list[str]]
    since: date | None = None
    until: date | None = None
    every: str = "day"  # day | week | month
    source: str = HUB_STATS  # or a local file or folder
    repo: str = "cfahlgren1/hub-stats"
    endpoint: str | None = None
    token: str | None = None
    retries: int = 5
    retry_wait: float = 1.0
    max_wait: float = 300.0
    timeout: float = 60.0
    wait: float = 0.0
    now: datetime | None = None  # this machine's clock (tests)
    # Families (issue 16, sync/families.py): also build each day's families; `snapshots=False` reads
    # no snapshot rows (`sync --families`, after a live sync), `latest` only the newest archived day.
    families: bool = False
    snapshots: bool = True
    latest: bool = False
    companies: Callable[[], list[tuple[str, list[str]]]] | None = None  # the watch list's (name, accounts)


@dataclass
class DayDone:
    day: str
    run_id: int
    status: str
    models: int
    new: int
    removed: int
    bytes_read: int
    file_size: int
    orgs: int  # the accounts asked of this day (those not stored already)

    def line(self) -> str:
        """`-v`'s line for the day, in the summary line's words: what was stored, what reading cost."""
        state = "imported" if self.status == "ok" else f"imported ({self.status})"
        return (
            f"backfill: {self.day} {state}, {self.orgs} org(s), {self.models:,} model snapshots, "
            f"{self.new:,} new model(s), {self.removed:,} removed, "
            f"{read_share(self.bytes_read, self.file_size)}, run #{self.run_id}"
        )


@dataclass
class BackfillSummary:
    orgs: list[str]
    imported: list[DayDone] = field(default_factory=list)
    held: int = 0  # days already stored for every asked account
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (day, why): a gap, with its reason
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (day, why): a file that cannot be read
    failed: list[tuple[str, str]] = field(default_factory=list)  # (day, why): could not be read now
    requests: int = 0
    families: list[Any] = field(default_factory=list)  # sync/families.py's FamiliesDone, a day each
    family_skipped: list[tuple[str, str]] = field(default_factory=list)  # (day, why): no families that day
    family_failed: list[tuple[str, str]] = field(default_factory=list)  # (day, why): to be tried again

    @property
    def status(self) -> str:
        """ok; partial (exit 3) when a day failed, could not be read or is partial but something
        is stored; failed (exit 1) when nothing is. A gap (no snapshot that day) is no problem."""
        problems = self.failed or self.unreadable or self.family_failed
        if problems or any(d.status != "ok" for d in self.imported):
            return "partial" if self.imported or self.held or self.families else "failed"
        return "ok"

    def line(self) -> str:
        """The one summary line a cron log keeps."""
        done = sorted(self.imported, key=lambda d: d.day)
        parts = [f"backfill {self.status}: {len(done)} day(s) imported"]
        if done:
            parts[0] += f" ({done[0].day} – {done[-1].day})"
            parts.append(
                f"{len(self.orgs)} org(s), {sum(d.models for d in done):,} model snapshots, "
                f"{sum(d.new for d in done):,} new model(s), {sum(d.removed for d in done):,} removed"
            )
            read = read_share(sum(d.bytes_read for d in done), sum(d.file_size for d in done))
            parts.append(read + (f", {self.requests:,} requests" if self.requests else ""))
        if self.held:
            parts.append(f"{self.held} day(s) already stored")
        if self.skipped:
            parts.append(f"{len(self.skipped)} day(s) skipped")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} day(s) unreadable")
        incomplete = [d.day for d in done if d.status != "ok"]
        if incomplete:  # why the status is partial when nothing else went wrong (runs.message says more)
            parts.append(
                f"{len(incomplete)} day(s) incomplete ({', '.join(incomplete[:5])}{', …' if len(incomplete) > 5 else ''}):"
                " models missing from them not taken as removed"
            )
        if self.families or self.family_skipped or self.family_failed:
            from oss_tracker.sync.families import families_part

            parts.append(families_part(self.families, self.family_skipped))
        problems = [
            f"{d}: {why}" for d, why in self.failed + self.unreadable + self.family_failed + self.skipped[:10]
        ]
        more = f"; … {len(self.skipped) - 10} more skipped" if len(self.skipped) > 10 else ""
        return ", ".join(parts) + (" — " + "; ".join(problems) + more if problems else "")


Progress = Callable[[int, int, int, str], None]  # days done, days planned, bytes read, current day
Said = Callable[[DayDone], None]  # each day imported, as soon as it is stored (`-v`'s lines)
# How long a backfill waits, before a day's write, for a sync that holds the database (a sync takes
# minutes; one that holds it for longer has hung, and the backfill stops: partial, run it again).
WRITE_WAIT = 3600.0
# What an archived row's descriptive columns say (hub/archive_table.py's `tags` and the cheap columns
# outside the snapshot's), as a live listing of the same commit says it.
LIVE_DESCRIBES = (
    "license",
    "pipeline_tag",
    "library_name",
    "parameters",
    "gated",
    "base_model",
    "base_relation",
)


def run_backfill(
    job: BackfillJob, progress: Progress | None = None, said: Said | None = None
) -> BackfillSummary:
    """Plan, read and store the days; raises BackfillError when nothing could be planned."""
    from oss_tracker.store.open import check_location, open_db
    from oss_tracker.sync.lock import DatabaseLock
    from oss_tracker.sync.stop import stop_on_signals

    try:
        import pyarrow  # noqa: F401 - only to say clearly what is missing
    except ImportError:
        raise BackfillError(
            "backfill reads Parquet with pyarrow, which is not installed: pip install 'oss-tracker[archive]'"
        ) from None
    orgs = job.named or job.watched()
    wall = (job.now or datetime.now(UTC)).astimezone(UTC)
    check_location(job.path)
    # `sync --families` (latest) builds one day after its sync: it may run beside a long backfill.
    with stop_on_signals(job.path) as on_stop, DatabaseLock(job.path, exclusive=not job.latest) as lock:
        # The lock first, as for a sync: a backfill refused as busy writes nothing, not even a
        # migration. Then it is given back: each day's write takes it again (sync/lock.py).
        lock.acquire(job.wait, first=True)
        db = open_db(lock.path, create=True)
        session = None
        try:
            lock.release()
            local = None if job.source == HUB_STATS else Path(job.source)
            if local is None:
                from oss_tracker.hub import client as hub
                from oss_tracker.hub.transport import RetryPolicy

                session = hub.connect(
                    endpoint=job.endpoint,
                    token=job.token,
                    policy=RetryPolicy(retries=job.retries, base_wait=job.retry_wait, max_wait=job.max_wait),
                    timeout=job.timeout,
                )
                on_stop.append(session.transport.cancel)
            return _Backfill(db, job, orgs, wall, session, local, progress, lock, said).run()
        finally:
            if session is not None:
                session.close()
            db.close()  # before the lock's descriptors close (see sync/lock.py)


class _Backfill:
    def __init__(self, db: Any, job: BackfillJob, orgs: list[str], wall: datetime, session: Any,
                 local: Path | None, progress: Progress | None, lock: Any, said: Said | None = None) -> None:  # fmt: skip
        from oss_tracker.store.archive import licence_names

        self.db, self.job, self.orgs, self.wall = db, job, orgs, wall
        self.session, self.local, self.progress, self.lock, self.said = session, local, progress, lock, said
        self.summary = BackfillSummary(orgs)
        self.found: list[Candidate] = []  # every archived day there is (the plan is taken from them)
        self.family_step: Any = None
        # What is known of each repo (lower case): (licence tag, licence name, licence key,
        # lastModified), from the stored models, then from each day read. A row whose lastModified
        # is one known here had no commit in between, so its licence and base are the known ones
        # and its descriptive columns are not read (hub/archive_table.py).
        self.known = licence_names(db)
        # Repo id (lower case) -> (lastModified, then the LIVE_DESCRIBES values) from the live
        # listing of the accounts the database knew no model of (`_list_live`): never stored, and
        # used only for a row whose lastModified is the listed one (the same commit).
        self.live: dict[str, tuple[Any, ...]] = {}

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The database lock while a day is written, a sync waiting for it let through first."""
        self.lock.acquire(WRITE_WAIT)
        try:
            yield
        finally:
            self.lock.release()

    def run(self) -> BackfillSummary:
        from oss_tracker.store import archive as stored

        planned = self._plan()
        if self.job.latest:
            return self._latest(planned)
        held = stored.held(self.db) if self.job.snapshots else {}
        if self.job.families:
            self.family_step = self._family_step(planned)
        todo = []
        for cand in planned:
            snapshots = self.job.snapshots and not all(
                o.lower() in held.get(cand.day, set()) for o in self.orgs
            )
            families = self.family_step is not None and self.family_step.needed(cand.day)
            if not snapshots and not families:
                self.summary.held += 1
            elif cand.at > iso(self.wall + CLOCK_SKEW):
                self.summary.skipped.append((cand.day, f"dated {cand.at}, after this machine's clock"))
            else:
                todo.append((cand, snapshots, families))
        # Newest first: each day's rows are then compared with the day after it (the live syncs'
        # state for the newest), which shares most rows' lastModified, so that only the rows of
        # repos changed in between are read whole. Families go oldest first: a day's period
        # downloads need the day before's counts, kept from the day read just before.
        if not self.job.families:
            todo.reverse()
        if any(snapshots for _, snapshots, _ in todo):
            self._list_live()
        bytes_read = 0
        for done, (cand, snapshots, families) in enumerate(todo):
            if self.progress is not None:
                self.progress(done, len(todo), bytes_read, cand.day)
            try:
                result = self._bucket(cand, snapshots, families)
            except (Busy, LockError) as err:
                self.summary.failed.append((cand.day, str(err)))
                break
            if result is not None:
                self.summary.imported.append(result)
                bytes_read += result.bytes_read
                if self.said is not None:
                    self.said(result)
        if self.progress is not None:
            self.progress(len(todo), len(todo), bytes_read, "")
        if self.session is not None:
            self.summary.requests = self.session.transport.requests
        return self.summary

    def _list_live(self) -> None:
        """The live state of each watched account the database knows no model of (a first backfill
        into a new database, or an account just added to the watch list): its overview, then one
        listing, as a sync's (the overview's count bounds it), kept in memory and never stored. An
        archived row whose lastModified is the listed one had no commit since, so its licence, base,
        pipeline, library, parameters and gating are the listing's and its descriptive columns are
        not read: the newest archived day then costs what it costs after a live sync (on a 3 M-row
        day 10 % of the file instead of 64 %: docs/benchmarks.md). Only with the Hub as the source;
        a listing that fails costs bytes only."""
        from oss_tracker.hub import client as hub
        from oss_tracker.store.archive import accounts_with_models

        if self.session is None:
            return
        stored = accounts_with_models(self.db)
        for org in self.orgs:
            if org.lower() in stored:
                continue
            listed: dict[str, tuple[Any, ...]] = {}
            try:
                overview = hub.fetch_overview(self.session.api, org)
                for rec in hub.iter_org_models(self.session.api, overview.name, expected=overview.num_models,
                                               now=self.wall):  # fmt: skip
                    if rec.last_modified is not None:
                        listed[rec.repo_id.lower()] = (
                            rec.last_modified,
                            *(getattr(rec, f) for f in LIVE_DESCRIBES),
                        )
            except KeyboardInterrupt:
                raise
            except Exception as err:  # noqa: BLE001 - without it every row of the account is read whole
                log.info("backfill: %s could not be listed live (%s): its archived rows are read whole",
                         org, describe(err))  # fmt: skip
                continue
            self.live.update((key, values) for key, values in listed.items() if key not in self.known)
            log.info("backfill: %s listed live, %s model(s): archived rows unchanged since are not read whole",
                     org, f"{len(listed):,}")  # fmt: skip

    def _listed(self, repo_id: str) -> str | None:
        live = self.live.get(repo_id.lower())
        return live[0] if live is not None else None

    def _describe_from_live(self, table: Any) -> None:
        """Rows not read whole whose repo the database did not know: described by the live listing,
        which holds the same commit (the same lastModified)."""
        for rows in table.rows.values():
            for rec in rows:
                live = self.live.get(rec.repo_id.lower())
                if rec.described or live is None or live[0] != rec.last_modified:
                    continue
                for name, value in zip(LIVE_DESCRIBES, live[1:], strict=True):
                    setattr(rec, name, value)
                rec.described = True

    def _family_step(self, planned: list[Candidate]) -> Any:
        from oss_tracker.sync.families import FamilyStep

        job = self.job
        return FamilyStep(self.db, self.orgs, planned, job.companies() if job.companies else [],
                          self.endpoint(), self.earlier)  # fmt: skip

    def _bucket(self, cand: Candidate, snapshots: bool, families: bool) -> DayDone | None:
        """The day, or (--every week|month) the bucket's next day back when it has no snapshot."""
        tried = [cand, *cand.fallbacks]
        for k, attempt in enumerate(tried):
            if k and not self._needed(attempt.day, snapshots, families):
                self.summary.held += 1  # the bucket has a stored day after all
                return None
            gaps = len(self.summary.skipped)
            done = self._day(attempt, snapshots, families)
            if len(self.summary.skipped) == gaps:  # imported, or a problem said: not a gap
                return done
            if k + 1 < len(tried):
                day, why = self.summary.skipped.pop()
                self.summary.skipped.append(
                    (day, f"{why}; the {self.job.every}'s day before it tried instead")
                )
        return None

    def _needed(self, day: str, snapshots: bool, families: bool) -> bool:
        """Whether a day still has something to import for the asked accounts."""
        from oss_tracker.store import archive as stored

        held = stored.held(self.db).get(day, set()) if snapshots else set()
        return (snapshots and not all(o.lower() in held for o in self.orgs)) or (
            families and self.family_step.needed(day)
        )

    def _latest(self, planned: list[Candidate]) -> BackfillSummary:
        """Only the newest archived day's families (`sync --families`): the newest day dated before
        this machine's clock whose file changed (a day whose upload failed is passed over)."""
        now = iso(self.wall + CLOCK_SKEW)
        days = [c for c in planned if c.at <= now][-LATEST_DAYS:]
        passed: list[tuple[str, str]] = []
        for cand in reversed(days):
            self.family_step = self._family_step([cand])
            if not self.family_step.needed(cand.day):
                self.summary.held += 1
                break
            skipped, unreadable = len(self.summary.skipped), len(self.summary.unreadable)
            self._day(cand, snapshots=False, families=True)
            if (len(self.summary.skipped), len(self.summary.unreadable)) == (skipped, unreadable):
                break
            # No snapshot that day, or none that can be read: the day before, then.
            passed += self.summary.skipped[skipped:] + self.summary.unreadable[unreadable:]
            del self.summary.skipped[skipped:], self.summary.unreadable[unreadable:]
        self.summary.family_skipped += [
            (d, f"passed over: {why}") for d, why in passed if not self.summary.families
        ]
        if self.session is not None:
            self.summary.requests = self.session.transport.requests
        return self.summary

    # -- planning --------------------------------------------------------------------------
    def _plan(self) -> list[Candidate]:
        found = self._local_days() if self.local is not None else self._hub_days()
        self.found = sorted(found, key=lambda c: c.day)
        job = self.job
        inside = [c for c in self.found if (job.since is None or c.day >= job.since.isoformat())
                  and (job.until is None or c.day <= job.until.isoformat())]  # fmt: skip
        buckets: dict[str, list[Candidate]] = {}
        for cand in inside:
            buckets.setdefault(_bucket(cand.day, job.every), []).append(cand)
        picked = []
        for days in buckets.values():  # the last day of each bucket, the others as its fallbacks
            last = days[-1]
            last.fallbacks = days[-2::-1] if job.every != "day" else []
            picked.append(last)
        return sorted(picked, key=lambda c: c.day)

    def _hub_days(self) -> list[Candidate]:
        from oss_tracker.hub.archive import list_commits
        from oss_tracker.sync.families import PREVIOUS_TRIES

        # The listing is newest first: it stops once past what the plan needs, `--since` less the
        # day before it (whether `--since`'s file changed) and, for families, the days a period may
        # start from. All days after the oldest one listed are then listed whole.
        since = self.job.since
        margin = 1 + (PREVIOUS_TRIES if self.job.families else 0)
        cutoff = (since - timedelta(days=margin)).isoformat() if since is not None else None
        try:
            listed = []
            days: set[str] = set()
            cut = False
            listing = list_commits(self.session, self.job.repo)
            for commit in listing:
                day = commit.at[:10]
                if self.job.latest and day not in days and len(days) == LATEST_DAYS + 1:
                    cut = True  # enough for the newest day and the days before it (its period's start)
                    break
                if cutoff is not None and day < cutoff:
                    cut = True
                    break
                days.add(day)
                listed.append(commit)
            cut = cut or not listing.complete
            commits = sorted(listed, key=lambda c: (c.at, c.sha))
        except Exception as err:  # noqa: BLE001 - one clear line, whatever failed
            raise BackfillError(f"cannot list the commits of {self.job.repo}: {describe(err)}") from None
        by_day: dict[str, list[Any]] = {}
        for commit in commits:
            by_day.setdefault(commit.at[:10], []).append(commit)
        out, before = [], None
        for day in sorted(by_day):
            day_commits = by_day[day]
            # The upload of models.parquet names it in its title (a hint, checked by ETag later).
            named = [c for c in day_commits if "models" in c.title.lower()]
            chosen = (named or day_commits)[-1]
            out.append(Candidate(day, chosen.at, chosen.sha, commit_before=before))
            before = day_commits[-1].sha
        # Cut short, the oldest day has no commit before it listed: whether its file changed is unknown.
        return out[1:] if cut else out

    def _local_days(self) -> list[Candidate]:
        path = self.local
        assert path is not None
        if not path.exists():
            raise BackfillError(f"--source {path}: no such file or folder")
        if path.is_file():
            found = DAY.findall(str(path))
            if not found:
                raise BackfillError(
                    f"--source {path}: cannot tell its day; name it like models/YYYY-MM-DD/models.parquet"
                )
            return [Candidate(found[-1], f"{found[-1]}T00:00:00Z", str(path), local=path)]
        out = []
        for folder in (path / "models", path):
            if not folder.is_dir():
                continue
            for sub in sorted(folder.iterdir()):
                if not (DAY.fullmatch(sub.name) and sub.is_dir()):
                    continue
                for name in ("models.parquet", "models.csv"):
                    if (sub / name).exists():
                        out.append(
                            Candidate(sub.name, f"{sub.name}T00:00:00Z", str(sub / name), local=sub / name)
                        )
                        break
            if out:
                break
        if not out:
            raise BackfillError(f"--source {path}: no models/YYYY-MM-DD/models.parquet (or .csv) inside")
        return out

    # -- one day ---------------------------------------------------------------------------
    def _day(self, cand: Candidate, snapshots: bool = True, families: bool = False) -> DayDone | None:
        """Read a day's file (without the lock) and store it (with it, a transaction each)."""
        from oss_tracker.hub.archive_table import Unreadable

        done = None
        try:
            with self._open(cand) as source, _memory(families):
                graph = self._family_read(cand, source) if families else None
                if snapshots:
                    done = self._snapshots(cand, source, graph)
                if graph is not None:
                    self._family_build(cand, source, graph)
        except _Gap as why:
            self.summary.skipped.append((cand.day, str(why)))
        except Unreadable as why:
            self.summary.unreadable.append((cand.day, str(why)))
        except (KeyboardInterrupt, Busy, LockError):
            raise  # stopped, a sync that never ends, or another database: no more days
        except Exception as err:  # noqa: BLE001 - a day that fails now is tried again next time
            log.debug("reading %s failed", cand.day, exc_info=True)
            self.summary.failed.append((cand.day, describe(err)))
        return done

    def _snapshots(self, cand: Candidate, source: Source, graph: Any) -> DayDone | None:
        from oss_tracker.hub.archive_table import distrust_all_time, read_csv, read_parquet
        from oss_tracker.hub.parse import date_ceiling
        from oss_tracker.store import archive as stored

        held = stored.held(self.db).get(cand.day, set())
        orgs = [o for o in self.orgs if o.lower() not in held]
        if not orgs:
            self.summary.held += 1
            return None
        ceiling = date_ceiling(datetime.fromisoformat(cand.at.replace("Z", "+00:00")))
        before, requests = source.bytes_read, source.requests
        if source.csv:
            table = read_csv(source.file, orgs, ceiling=ceiling, names=self._known)
        else:  # the ids of every row group are the graph's when its families are built too
            ids = graph.ids if graph is not None else None
            table = read_parquet(source.file, orgs, ceiling=ceiling, names=self._known, ids=ids,
                                 listed=self._listed if self.live else None)  # fmt: skip
        distrust_all_time(table, cand.day)
        self._describe_from_live(table)
        with self._writing():
            # A sync may have stored this day meanwhile (the lock was not held while reading).
            held = stored.held(self.db).get(cand.day, set())
            orgs = [o for o in orgs if o.lower() not in held]
            if not orgs:
                self.summary.held += 1
                return None
            done = self._store(cand, orgs, table, source.size, source.bytes_read - before,
                               source.requests - requests, source.label)  # fmt: skip
        self._learn(table)
        return done

    def _known(self, repo_id: str) -> tuple[str | None, str | None, str, str | None] | None:
        return self.known.get(repo_id.lower())

    def _learn(self, table: Any) -> None:
        """Each row's licence at its lastModified, for the next day's rows (see `known`)."""
        for rows in table.rows.values():
            for rec in rows:
                if rec.license is not None and rec.last_modified is not None:
                    lic = rec.license
                    self.known[rec.repo_id.lower()] = (lic.tag, lic.name, lic.key, rec.last_modified)

    def _family_read(self, cand: Candidate, source: Source) -> Any:
        """The day's graph of declared bases, or None (a CSV day, or one whose bases cannot be
        read: said, and its snapshots are still read)."""
        if source.csv:
            self.summary.family_skipped.append(
                (cand.day, "a CSV day: its bases are read from Parquet days only")
            )
            return None
        with self._family_problems(cand):
            return self.family_step.read(cand, source)
        return None

    def _family_build(self, cand: Candidate, source: Source, graph: Any) -> None:
        with self._family_problems(cand):
            day = self.family_step.build(cand, source, graph)
            with self._writing():
                if not self.family_step.needed(cand.day, again=True):
                    self.summary.held += 1
                    return
                self.summary.families.append(self.family_step.save(day, source.size))

    @contextmanager
    def _family_problems(self, cand: Candidate) -> Iterator[None]:
        """A day's families that cannot be built are said, never raised: its snapshots stand."""
        from oss_tracker.hub.archive_table import Unreadable

        try:
            yield
        except Unreadable as why:
            self.summary.family_skipped.append((cand.day, f"families unreadable: {why}"))
        except (KeyboardInterrupt, Busy, LockError):
            raise
        except Exception as err:  # noqa: BLE001 - tried again next time
            log.debug("families of %s failed", cand.day, exc_info=True)
            self.summary.family_failed.append((cand.day, f"families: {describe(err)}"))

    @contextmanager
    def _open(self, cand: Candidate) -> Iterator[Source]:
        """The day's file, to read from (counting its bytes); _Gap when the day has no snapshot."""
        if cand.local is not None:
            from oss_tracker.files import NotRegular, open_regular
            from oss_tracker.hub.archive_table import Unreadable

            # Opened without blocking and checked on the descriptor: a FIFO put in its place after
            # the plan was made cannot hang the read.
            try:
                fd = open_regular(cand.local)
            except NotRegular:
                raise Unreadable(f"{cand.local} is not a regular file") from None
            except OSError as err:
                raise Unreadable(f"cannot read {cand.local}: {err.strerror}") from None
            with os.fdopen(fd, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                yield Source(Counted(f, size), size, str(cand.local), cand.local.suffix == ".csv")
            return
        from oss_tracker.hub.archive import FileMissing, RemoteFile, stat

        path, info = "models.parquet", None
        for path in ("models.parquet", "models.csv"):
            try:
                info = stat(self.session, self.job.repo, cand.revision, path)
                break
            except FileMissing:
                continue
        if info is None:
            raise _Gap(f"no models.parquet or models.csv at revision {cand.revision[:12]}")
        if cand.commit_before is not None and info.etag is not None:
            try:
                before = stat(self.session, self.job.repo, cand.commit_before, path).etag
            except FileMissing:
                before = None
            if before == info.etag:
                raise _Gap(f"{path} did not change that day (revision {cand.revision[:12]}): no snapshot")
        with RemoteFile(self.session, info) as remote:
            yield Source(remote, info.size, f"{path}@{cand.revision}", path.endswith(".csv"))

    def earlier(self, cand: Candidate, tries: int) -> Iterator[tuple[Candidate, Source]]:
        """The archived days before `cand` (the `tries` newest) that have a snapshot of their own, newest
        first, each open while the caller looks at it (a day whose file did not change is passed over)."""
        for prev in reversed([c for c in self.found if c.day < cand.day][-tries:]):
            with ExitStack() as stack:
                try:
                    source = stack.enter_context(self._open(prev))
                except _Gap:
                    continue
                yield prev, source

    def endpoint(self) -> str:
        """Where the archive is read, as runs.endpoint says it (never a token)."""
        from oss_tracker.hub.transport import public_endpoint

        if self.local is not None:
            return "file:" + str(self.local.resolve())
        return f"{public_endpoint(self.session.api.endpoint)}/datasets/{self.job.repo}"

    def _store(self, cand: Candidate, orgs: list[str], table: Any, size: int, read_bytes: int,
               requests: int, label: str) -> DayDone:  # fmt: skip
        from oss_tracker.store.archive import ArchiveDay, ArchiveOrg, save_day

        stored = {r[0].lower(): r[0] for r in self.db.execute("SELECT name FROM orgs").fetchall()}
        archive_orgs, notes = [], list(table.notes)
        for org in orgs:
            rows = table.rows[org]
            if not rows and not table.skipped[org]:
                notes.append(f"{org}: no rows that day")
                continue
            # The Hub's spelling of the account: the stored one, else the archive's own.
            name = stored.get(org.lower()) or (rows[0].repo_id.split("/", 1)[0] if rows else org)
            archive_orgs.append(
                ArchiveOrg(name, rows, complete=not table.skipped[org], skipped=table.skipped[org])
            )
            if table.skipped[org]:
                notes.append(f"{org}: {table.skipped[org]:,} unusable row(s) skipped: no removals")
        if table.odd:
            notes.append(f"{table.odd:,} odd value(s) stored as unknown")
        day = ArchiveDay(
            started_at=cand.at,
            endpoint=self.endpoint(),
            revision=cand.revision if self.local is None else label,
            orgs=archive_orgs,
            fields=table.fields,
            notes=notes,
            bytes_read=read_bytes,
            requests=requests,
            asked=[stored.get(o.lower(), o) for o in orgs],
            file_rows=table.file_rows,
        )
        saved = save_day(self.db, day, version=__version__, finished_at=iso(datetime.now(UTC)))
        return DayDone(cand.day, saved.run_id, saved.status, saved.models, saved.new, saved.removed,
                       read_bytes, size, len(orgs))  # fmt: skip


class _Gap(Exception):
    """The day has no snapshot of models to import (the reason is the message)."""


@contextmanager
def _memory(families: bool) -> Iterator[None]:
    """pyarrow's allocator while a day's families are built (hub/archive_families.py's system_memory)."""
    if not families:
        yield
        return
    from oss_tracker.hub.archive_families import system_memory

    with system_memory():
        yield


def _bucket(day: str, every: str) -> str:
    d = date.fromisoformat(day)
    if every == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if every == "month":
        return day[:7]
    return day
