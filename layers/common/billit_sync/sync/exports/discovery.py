"""Discovery: one tenant's completed OutSmart work orders → one ``ExportJob`` each.

A ``DiscoveryJob`` (the schedule's, one per connected tenant with exports on) runs
``DiscoveryService.discover``:

1. the tenant must be connected (``ensure_connected``): not connected or auth expired → nothing
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
5. with ``only_completed_after_connection`` (the default), work orders completed before the
   connection are skipped: the completion date (``WorkEndDate``, else the latest work period's
   date, else ``WorkDate``, else ``CreationDate``) is compared with the date of
   ``connected_at`` in OutSmart's time zone; the same day counts as after;
6. one ``ExportJob(trigger="discovery")`` per remaining work order, ten per SQS call.

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

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from billit_sync import messages
from billit_sync.connection.token_provider import NotConnectedError, ensure_connected
from billit_sync.errors import TransientError, UserFixableError
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
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
)
from billit_sync.store.clock import Clock
from billit_sync.sync.exports.invoice_builder import completion_date
from billit_sync.sync.exports.jobs import ExportJob

COMPLETED_STATUS = "Compleet"
DEFAULT_NOTICE_INTERVAL = timedelta(hours=6)
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


def completed_after(
    order: WorkOrder, connected_at: datetime, zone: tzinfo | None = None
) -> bool | None:
    """Whether the work order was completed on or after the day of the connection (in
    OutSmart's zone); ``None`` when the work order carries no date at all."""
    completed = completion_date(order)
    if completed is None:
        return None
    return completed >= connected_at.astimezone(zone or _outsmart_zone()).date()


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
    notice_interval: timedelta = DEFAULT_NOTICE_INTERVAL

    def discover(self, tenant_id: str) -> DiscoveryReport:
        """Queue an export for every completed work order that still needs one.

        Raises transient errors (the SQS record is retried); user-fixable problems are
        logged for the tenant and end in ``DiscoveryOutcome.FAILED``.
        """
        try:
            connection = ensure_connected(self.tenants, tenant_id)
        except NotConnectedError as not_connected:
            logger.info(
                "discovery skipped: not connected",
                extra={
                    "tenant_id": tenant_id,
                    "status": not_connected.status.value if not_connected.status else None,
                },
            )
            return self._done(DiscoveryReport(tenant_id, DiscoveryOutcome.NOT_CONNECTED))
        exports = self.settings.get(tenant_id).exports
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
        cutoff = export_cutoff(connection) if exports.only_completed_after_connection else None
        jobs = self._jobs_to_queue(tenant_id, orders, cutoff, report)
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

    def _jobs_to_queue(
        self,
        tenant_id: str,
        orders: Iterable[WorkOrder],
        cutoff: datetime | None,
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
        for job in candidates:
            entry = entries.get(job.row_id)
            reason = entry_skip(entry, now)
            if reason is None and entry is None and cutoff is not None:
                # The cutoff matters only for work orders the service never touched: one in the
                # ledger was already taken on (e.g. through the webhook) and is finished.
                after = completed_after(orders_by_row[job.row_id], cutoff, zone)
                if after is None:
                    reason = DiscoverySkip.UNDATED
                elif not after:
                    reason = DiscoverySkip.BEFORE_CONNECTION
            if reason is not None:
                report.skipped[reason.value] += 1
                continue
            jobs.append(job)
        return jobs

    # ---------------------------------------------------------------- notices
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
    ) -> None:
        """A sync-log entry, unless the same one was written less than ``notice_interval``
        ago (discovery runs every few minutes; the log panel should not fill with copies)."""
        digest = hashlib.sha256(
            "\n".join([message_key, *(f"{k}={v}" for k, v in sorted(params.items()))]).encode()
        ).hexdigest()[:16]
        lease = f"discovery-notice.{kind}.{digest}"
        seconds = int(self.notice_interval.total_seconds())
        if not self.leases.acquire(tenant_id, lease, f"notice-{uuid.uuid4().hex}", seconds):
            logger.info("sync-log notice already given recently", extra={"notice": kind})
            return
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.EXPORT,
            level=level,
            message_key=message_key,
            params=params,
            retryable=retryable,
        )

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
