"""Discovery: one tenant's completed OutSmart work orders → one ``ExportJob`` each.

A ``DiscoveryJob`` (the schedule's, one per connected tenant with exports on) runs
``DiscoveryService.discover``:

1. the tenant must be connected (``require_connected``): not connected or auth expired → nothing
   is read or queued, and nothing is lost: the work orders stay ``Compleet`` in OutSmart and
   are found after the tenant reconnects;
2. exports must be on in the tenant's settings;
3. ``GetWorkorders?status=Compleet`` with ``update_status=false`` (the client never sends
   ``true``, which would mark every listed work order handled without an invoice). A work
   order the client cannot read is skipped and named in one sync-log warning;
4. the export ledger is read for all of them at once (``get_many``). Skipped: ``handled``
   (done for good), ``failed`` (waits for the user's retry) and entries in flight whose lease
   is live (a worker is on it). Entries in flight *without* a live lease are queued again:
   a ``pending`` one whose worker crashed, a ``created``/``sent`` one that still has to be
   marked handled;
5. every work order is recorded in ``WorkOrderSightings`` the first time it is seen
   ``Compleet``; the first run after the connection records the *baseline* (what was already
   ``Compleet``). OutSmart has no completion timestamp, and ``WorkDate``/``WorkEndDate`` are
   only the *scheduled* dates (outsmart-api.md §4.1);
6. with ``only_completed_after_connection`` (the default), work orders completed before the
   connection are skipped (``completed_after``): one that became ``Compleet`` after the
   baseline is after; one in the baseline is after only if work was done on or after the day
   of the first connection (its latest ``Workperiods[].WorkDate``, OutSmart's time zone; a
   baseline order without work periods is before);
7. a work order the technician did not finish (``WorkFinished`` ``"0"``, desc:2440) is not
   queued (not invoiced, not marked Handled); the log panel shows it once per work order
   with the technician's reason (its ``WorkStatus`` and that status's name, desc:103),
   again only if the reason changes;
8. one ``ExportJob(trigger="discovery")`` per remaining work order, ten per SQS call.

Queuing a work order twice is harmless: the schedule may find one that OutSmart's webhook
trigger (or the retry route, or the previous run) already queued, and both messages may be
delivered. The export worker claims the ledger entry before it creates anything, so the
second message finds the entry leased or handled and makes no second invoice.

Problems the user has to fix (the OutSmart token is missing or refused) end the run with a
sync-log error and no retry; transient ones (OutSmart down, AWS throttling, jobs that could
not be queued) raise, so the SQS record fails and is retried. Sync-log notices that would
repeat on every run (every few minutes) are written at most once per ``notice_interval``
for the same content, using a lease as the "already told" marker.
"""

import contextlib
import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from billit_sync import messages
from billit_sync.connection.token_provider import NotConnectedError, require_connected
from billit_sync.errors import IntegrationError, TransientError, UserFixableError
from billit_sync.jobs_queue import JobQueue
from billit_sync.observability import logger, metrics
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.assumptions import OUTSMART_TIME_ZONE_NAME
from billit_sync.outsmart.errors import OutSmartDataError
from billit_sync.outsmart.models import WorkOrder
from billit_sync.store import (
    Connection,
    ExportLedger,
    LeaseStore,
    LedgerEntry,
    LedgerState,
    SettingsStore,
    Sighting,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
    WorkOrderSightings,
)
from billit_sync.store.clock import Clock
from billit_sync.sync.exports.invoice_builder import completion_date
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.sync.exports.notices import PolicySkip, SkipNotices
from billit_sync.sync.exports.recompletion import completion_row

COMPLETED_STATUS = "Compleet"
DEFAULT_NOTICE_INTERVAL = timedelta(hours=6)
# "Once per work order": an unfinished work order's notice is not repeated for this long (the
# same reason); a changed reason is a new notice. The log panel keeps entries this long too
# (the sync log's retention, 90 days by default): a work order still lying around when its
# entry has expired is said again, never left without one (the wiring passes the retention).
UNFINISHED_NOTICE_INTERVAL = timedelta(days=90)
MAX_NAMED_WORKORDERS = 50
_WORKORDER_NO_MAX = 64  # ExportJob.workorder_no

OutSmartClientFactory = Callable[[str], OutSmartClient]
"""tenant id → that tenant's OutSmart client (raises ``UserFixableError`` without a token)."""


class DiscoveryOutcome(StrEnum):
    DISCOVERED = "discovered"
    NOT_CONNECTED = "not_connected"
    EXPORTS_OFF = "exports_off"
    FAILED = "failed"  # a user-fixable problem, logged for the tenant; not retried


class DiscoverySkip(StrEnum):
    """Why a completed work order was not queued."""

    HANDLED = "handled"
    FAILED = "failed"
    IN_FLIGHT = "in_flight"
    BEFORE_CONNECTION = "before_connection"
    UNDATED = "undated"  # no date at all to compare with the connection
    NOT_FINISHED = "not_finished"  # WorkFinished "0": the technician did not finish the work


class DiscoveryIncompleteError(TransientError):
    """Some export jobs could not be queued: the discovery job fails and is retried (the
    jobs that were queued may be queued again, which the export worker's ledger absorbs)."""


@dataclass
class DiscoveryReport:
    tenant_id: str
    outcome: DiscoveryOutcome
    found: int = 0
    """Completed work orders OutSmart listed and the client could read."""
    queued: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unreadable: list[str] = field(default_factory=list)
    """Row ids (or ``?``) of work orders that could not be read: named in the sync log."""
    failures: int = 0
    """Export jobs that could not be queued."""
    queued_row_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "outcome": self.outcome.value,
            "found": self.found,
            "queued": self.queued,
            "skipped": dict(self.skipped),
            "unreadable": len(self.unreadable),
            "failures": self.failures,
        }


_CET = timezone(timedelta(hours=1), "CET")


@cache
def _outsmart_zone() -> tzinfo:
    """OutSmart's wall-clock zone; a fixed CET if the runtime lacks the zone database (the
    comparison is by day, so at most the summer hour around midnight is affected)."""
    try:
        return ZoneInfo(OUTSMART_TIME_ZONE_NAME)
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the runtime's tzdata
        logger.warning("time zone database missing; using UTC+1 for OutSmart dates")
        return _CET


def outsmart_today(now: datetime, zone: tzinfo | None = None) -> date:
    """The day of ``now`` in OutSmart's (the office's) time zone."""
    return now.astimezone(zone or _outsmart_zone()).date()


def completed_after(
    order: WorkOrder,
    connected_at: datetime,
    sighting: Sighting | None,
    zone: tzinfo | None = None,
) -> bool | None:
    """Whether the work order was completed after the connection; ``None`` when that cannot
    be told (not seen before and no work period date).

    Seen ``Compleet`` only after the baseline → after. Otherwise the latest work period's date
    decides (on or after the day of the connection, in OutSmart's zone, counts as after); a
    work order in the baseline without any period date was ``Compleet`` before → not after.
    """
    if sighting is not None and not sighting.at_connection:
        return True
    worked = completion_date(order)
    if worked is None:
        return False if sighting is not None else None
    return worked >= outsmart_today(connected_at, zone)


def export_cutoff(connection: Connection) -> datetime | None:
    """The moment before which completed work orders are not exported (the setting on): the
    tenant's first connection, so work done while the connection had expired is still
    exported after the reconnect."""
    return connection.first_connected_at or connection.connected_at


def entry_skip(entry: LedgerEntry | None, now: datetime) -> DiscoverySkip | None:
    """Why the ledger says not to queue the work order, or ``None`` to queue it."""
    if entry is None:
        return None
    if entry.state is LedgerState.HANDLED:
        return DiscoverySkip.HANDLED
    if entry.state is LedgerState.FAILED:
        return DiscoverySkip.FAILED
    if entry.lease_is_live(now):
        return DiscoverySkip.IN_FLIGHT
    return None  # pending/created/sent without a live lease: a worker has to finish it


@dataclass
class DiscoveryService:
    tenants: TenantStore
    settings: SettingsStore
    ledger: ExportLedger
    leases: LeaseStore
    sync_log: SyncLogStore
    outsmart: OutSmartClientFactory
    export_jobs: JobQueue[ExportJob]
    clock: Clock
    sightings: WorkOrderSightings
    notice_interval: timedelta = DEFAULT_NOTICE_INTERVAL
    said_again_after: timedelta = UNFINISHED_NOTICE_INTERVAL
    """A once-per-work-order notice is repeated after this long: the log panel's retention."""
    skip_notices: SkipNotices | None = None
    """Says each work order skipped by a setting once in the log panel (issue 12)."""

    def discover(self, tenant_id: str) -> DiscoveryReport:
        """Queue an export for every completed work order that still needs one.

        Raises transient errors (the SQS record is retried); user-fixable problems are
        logged for the tenant and end in ``DiscoveryOutcome.FAILED``.
        """
        # Connection and settings in one read (issue 16).
        connection, tenant_settings = self.tenants.get_connection_and_settings(tenant_id)
        try:
            require_connected(connection)
        except NotConnectedError as not_connected:
            logger.info(
                "discovery skipped: not connected",
                extra={
                    "tenant_id": tenant_id,
                    "status": not_connected.status.value if not_connected.status else None,
                },
            )
            return self._done(DiscoveryReport(tenant_id, DiscoveryOutcome.NOT_CONNECTED))
        exports = tenant_settings.exports
        if not exports.enabled:
            return self._done(DiscoveryReport(tenant_id, DiscoveryOutcome.EXPORTS_OFF))
        report = DiscoveryReport(tenant_id, DiscoveryOutcome.DISCOVERED)
        try:
            orders = self._completed_workorders(tenant_id, report)
        except UserFixableError as problem:
            self._notice(
                tenant_id,
                kind="failed",
                level=SyncLogLevel.ERROR,
                message_key=messages.DISCOVERY_FAILED,
                params={"reason": str(problem)},
                retryable=False,
            )
            metrics.add_metric(name="DiscoveryFailures", unit=MetricUnit.Count, value=1)
            report.outcome = DiscoveryOutcome.FAILED
            return self._done(report)
        sightings = self._record_sightings(tenant_id, orders)
        cutoff = export_cutoff(connection) if exports.only_completed_after_connection else None
        jobs = self._jobs_to_queue(tenant_id, orders, cutoff, sightings, report)
        result = self.export_jobs.send_all(jobs)
        report.queued = len(result.sent)
        report.queued_row_ids = [job.row_id for job in result.sent]
        report.failures = len(result.failed)
        if report.unreadable:
            self._notice_unreadable(tenant_id, report.unreadable)
        self._done(report)
        if result.failed:
            raise DiscoveryIncompleteError(
                f"tenant {tenant_id}: {len(result.failed)} export job(s) could not be queued"
            )
        return report

    # ------------------------------------------------------------------ steps
    def _completed_workorders(self, tenant_id: str, report: DiscoveryReport) -> list[WorkOrder]:
        def unreadable(problem: OutSmartDataError) -> None:
            report.unreadable.append(problem.record_id)

        client = self.outsmart(tenant_id)
        orders = client.get_workorders(COMPLETED_STATUS, on_invalid=unreadable)
        unique: dict[str, WorkOrder] = {}
        for order in orders:
            unique.setdefault(order.id, order)
        report.found = len(unique)
        return list(unique.values())

    def _record_sightings(self, tenant_id: str, orders: list[WorkOrder]) -> dict[str, Sighting]:
        """Every listed work order's first sighting; the first run after the connection
        records them as the baseline (already ``Compleet`` at connection time)."""
        row_ids = [order.id for order in orders if _export_job(tenant_id, order) is not None]
        if not row_ids:
            return {}
        baseline_taken = self.sightings.baseline_taken_at(tenant_id) is not None
        known = self.sightings.get_many(tenant_id, row_ids)
        for row_id in row_ids:
            if row_id not in known:
                known[row_id] = self.sightings.record(
                    tenant_id, row_id, at_connection=not baseline_taken
                )
        if not baseline_taken:
            self.sightings.mark_baseline_taken(tenant_id)
        return known

    def _jobs_to_queue(
        self,
        tenant_id: str,
        orders: Iterable[WorkOrder],
        cutoff: datetime | None,
        sightings: dict[str, Sighting],
        report: DiscoveryReport,
    ) -> list[ExportJob]:
        candidates: list[ExportJob] = []
        orders_by_row: dict[str, WorkOrder] = {}
        for order in orders:
            job = _export_job(tenant_id, order)
            if job is None:  # a row id that cannot be a key or a message: unreadable too
                report.unreadable.append(order.id or "?")
                continue
            candidates.append(job)
            orders_by_row[job.row_id] = order
        if not candidates:
            return []
        entries = self.ledger.get_many(tenant_id, [job.row_id for job in candidates])
        now = self.clock()
        zone = _outsmart_zone()
        jobs: list[ExportJob] = []
        unfinished: list[WorkOrder] = []
        skips: list[PolicySkip] = []
        recompleted = self._recompletions(tenant_id, candidates, entries, now, report)
        jobs.extend(job for job in recompleted.values() if job is not None)
        for job in candidates:
            entry = entries.get(job.row_id)
            order = orders_by_row[job.row_id]
            if job.row_id in recompleted:
                continue
            reason = entry_skip(entry, now)
            if reason is None and entry is None and cutoff is not None:
                # The cutoff matters only for work orders the service never touched: one in the
                # ledger was already taken on (e.g. through the webhook) and is finished.
                after = completed_after(order, cutoff, sightings.get(job.row_id), zone)
                if after is None:
                    reason = DiscoverySkip.UNDATED
                elif not after:
                    reason = DiscoverySkip.BEFORE_CONNECTION
            if reason is None and not order.is_finished:
                reason = DiscoverySkip.NOT_FINISHED
                unfinished.append(order)
            if reason is not None:
                report.skipped[reason.value] += 1
                if cutoff is not None and reason in POLICY_SKIPS:
                    skips.append(policy_skip(orders_by_row[job.row_id], job, reason, cutoff))
                continue
            jobs.append(job)
        if unfinished:
            self._notice_unfinished(tenant_id, unfinished)
        self._say_skips(tenant_id, skips)
        return jobs

    def _say_skips(self, tenant_id: str, skips: list[PolicySkip]) -> None:
        if skips and self.skip_notices is not None:
            self.skip_notices.say_once(tenant_id, skips)

    def _recompletions(
        self,
        tenant_id: str,
        candidates: list[ExportJob],
        entries: dict[str, LedgerEntry],
        now: datetime,
        report: DiscoveryReport,
    ) -> dict[str, ExportJob | None]:
        """Work orders *Compleet* again although the service marked them Handled: completed
        again after their invoice (issue 12). Per row id: the job for the completion still
        to do, or None when that completion is in flight or failed (skipped like any)."""
        handled = [
            job
            for job in candidates
            if (e := entries.get(job.row_id)) and e.state is LedgerState.HANDLED
        ]
        if not handled:
            return {}
        later = [job for job in handled if entries[job.row_id].completion > 1]
        latest = self.ledger.get_many(
            tenant_id,
            [completion_row(job.row_id, entries[job.row_id].completion) for job in later],
        )
        found: dict[str, ExportJob | None] = {}
        for job in handled:
            completion = entries[job.row_id].completion
            entry = (
                entries[job.row_id]
                if completion == 1
                else latest.get(completion_row(job.row_id, completion))
            )
            if entry is not None and entry.state is LedgerState.HANDLED:
                completion += 1  # completed again after the latest completion's export
            elif entry is not None and (reason := entry_skip(entry, now)) is not None:
                report.skipped[reason.value] += 1
                found[job.row_id] = None
                continue
            found[job.row_id] = job.model_copy(update={"completion": completion})
        if found:
            logger.info(
                "work orders completed again after their invoice",
                extra={"tenant_id": tenant_id, "count": sum(1 for j in found.values() if j)},
            )
        return found

    # ---------------------------------------------------------------- notices
    def _notice_unfinished(self, tenant_id: str, orders: list[WorkOrder]) -> None:
        """One log-panel warning per unfinished work order and reason (its ``WorkStatus``,
        named from ``GET /workstatusses/``; the names are read once, best effort)."""
        names: dict[str, str] = {}
        if any(order.work_status.strip() for order in orders):
            try:
                statuses = self.outsmart(tenant_id).list_workstatusses()
                names = {status.sta_code: status.sta_name.strip() for status in statuses}
            except IntegrationError as failure:
                logger.warning(
                    "work statuses could not be read", extra={"error": type(failure).__name__}
                )
        for order in orders:
            code = order.work_status.strip()
            reason = f"{code} {names[code]}" if names.get(code) else code
            number = order.workorder_no.strip() or order.id
            self._notice(
                tenant_id,
                kind="unfinished",
                level=SyncLogLevel.WARNING,
                message_key=messages.EXPORT_WORK_NOT_FINISHED,
                params={"workorder_no": number, "reason": reason or "-"},
                retryable=False,
                interval=self.said_again_after,
                workorder_no=number,
            )

    def _notice_unreadable(self, tenant_id: str, row_ids: list[str]) -> None:
        named = sorted(set(row_ids))
        shown = named[:MAX_NAMED_WORKORDERS]
        if len(named) > len(shown):
            shown.append(f"+{len(named) - len(shown)}")
        self._notice(
            tenant_id,
            kind="unreadable",
            level=SyncLogLevel.WARNING,
            message_key=messages.DISCOVERY_UNREADABLE_WORKORDERS,
            params={"count": str(len(named)), "workorders": ", ".join(shown)},
            retryable=False,
        )
        metrics.add_metric(
            name="DiscoveryUnreadableWorkOrders", unit=MetricUnit.Count, value=len(named)
        )

    def _notice(
        self,
        tenant_id: str,
        *,
        kind: str,
        level: SyncLogLevel,
        message_key: str,
        params: dict[str, str],
        retryable: bool,
        interval: timedelta | None = None,
        workorder_no: str | None = None,
    ) -> None:
        """A sync-log entry, unless the same one was written less than ``interval`` (default
        ``notice_interval``) ago (discovery runs every few minutes; the log panel should not
        fill with copies)."""
        digest = hashlib.sha256(
            "\n".join([message_key, *(f"{k}={v}" for k, v in sorted(params.items()))]).encode()
        ).hexdigest()[:16]
        lease = f"discovery-notice.{kind}.{digest}"
        seconds = int((interval or self.notice_interval).total_seconds())
        owner = f"notice-{uuid.uuid4().hex}"
        if not self.leases.acquire(tenant_id, lease, owner, seconds):
            logger.info("sync-log notice already given recently", extra={"notice": kind})
            return
        try:
            self.sync_log.record(
                tenant_id,
                category=SyncLogCategory.EXPORT,
                level=level,
                message_key=message_key,
                params=params,
                retryable=retryable,
                workorder_no=workorder_no,
            )
        except Exception:
            # Not said: the "already said" mark must not keep it back for the whole interval.
            with contextlib.suppress(Exception):
                self.leases.release(tenant_id, lease, owner)
            raise

    @staticmethod
    def _done(report: DiscoveryReport) -> DiscoveryReport:
        metrics.add_metric(
            name="DiscoveredWorkOrdersQueued", unit=MetricUnit.Count, value=report.queued
        )
        if report.failures:
            metrics.add_metric(
                name="ExportJobsNotQueued", unit=MetricUnit.Count, value=report.failures
            )
        logger.info("discovery done", extra=report.as_dict())
        return report


POLICY_SKIPS = {
    DiscoverySkip.BEFORE_CONNECTION: messages.EXPORT_SKIPPED_BEFORE_CONNECTION,
    DiscoverySkip.UNDATED: messages.EXPORT_SKIPPED_UNDATED,
}


def policy_skip(
    order: WorkOrder, job: ExportJob, reason: DiscoverySkip, cutoff: datetime
) -> PolicySkip:
    """The log-panel entry for a work order the "completed after the connection" setting
    skips: its completion date and the connection date as OutSmart shows dates (d-m-Y)."""
    completed = completion_date(order)
    workorder_no = job.workorder_no or order.workorder_no.strip() or order.id
    return PolicySkip(
        row_id=job.row_id,
        workorder_no=workorder_no,
        reason=reason.value,
        message_key=POLICY_SKIPS[reason],
        params={
            "workorder_no": workorder_no,
            "completed": f"{completed:%d-%m-%Y}" if completed else "-",
            "connected": f"{cutoff.astimezone(_outsmart_zone()):%d-%m-%Y}",
        },
    )


def policy_skip_before_connection(
    order: WorkOrder, job: ExportJob, cutoff: datetime, after: bool | None
) -> PolicySkip:
    """The same entry when the export worker meets such a work order (a webhook or retry
    queued it): undated (``after`` None) or completed before the connection."""
    reason = DiscoverySkip.UNDATED if after is None else DiscoverySkip.BEFORE_CONNECTION
    return policy_skip(order, job, reason, cutoff)


def _export_job(tenant_id: str, order: WorkOrder) -> ExportJob | None:
    number = order.workorder_no.strip() or None
    if number is not None and len(number) > _WORKORDER_NO_MAX:
        number = None  # the worker reads the work order by its row id anyway
    try:
        return ExportJob(
            tenant_id=tenant_id, row_id=order.id, workorder_no=number, trigger="discovery"
        )
    except ValidationError:
        logger.warning("work order row id cannot be exported", extra={"tenant_id": tenant_id})
        return None
