"""Runs one tenant's import job: guards (connected, one at a time), the importer, the log
panel entries, metrics, and the continuation when a large account needs another round."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from billit_sync import messages
from billit_sync.billit import BillitCredentials
from billit_sync.connection.token_provider import (
    NotConnectedError,
    TenantTokenProvider,
    ensure_connected,
)
from billit_sync.errors import AuthExpiredError, UserFixableError
from billit_sync.observability import logger, metrics
from billit_sync.store import (
    LeaseStore,
    SettingsStore,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
)
from billit_sync.store.clock import Clock
from billit_sync.sync.imports.importer import Importer
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.sync.imports.report import ImportReport
from billit_sync.tenant_settings import ImportSettings

IMPORT_LEASE = "import"
IMPORT_LEASE_SECONDS = 16 * 60  # longer than the import function's 15-minute timeout
MAX_NAMED_SKIPS = 50

ImporterFactory = Callable[[str, str, ImportSettings, BillitCredentials], Importer]
"""(tenant id, Billit party id, import settings, credentials) → an importer for that tenant."""
CredentialsFactory = Callable[[str, int], TenantTokenProvider]
JobSender = Callable[[ImportJob], None]


class ImportOutcome(StrEnum):
    FINISHED = "finished"
    PAUSED = "paused"  # checkpointed; a continuation job was queued
    NOTHING_ENABLED = "nothing_enabled"
    NOT_CONNECTED = "not_connected"
    ALREADY_RUNNING = "already_running"
    FAILED = "failed"  # a user-fixable problem, logged for the tenant


@dataclass
class ImportService:
    tenants: TenantStore
    settings: SettingsStore
    leases: LeaseStore
    sync_log: SyncLogStore
    credentials: CredentialsFactory
    importer: ImporterFactory
    send_job: JobSender
    clock: Clock

    def run(self, job: ImportJob) -> ImportOutcome:
        tenant_id = job.tenant_id
        try:
            connection = ensure_connected(self.tenants, tenant_id)
        except NotConnectedError:
            logger.info("import skipped: not connected", extra={"tenant_id": tenant_id})
            return ImportOutcome.NOT_CONNECTED
        settings = self.settings.get(tenant_id).imports
        if not (settings.customers or settings.products or settings.hour_types):
            return ImportOutcome.NOTHING_ENABLED
        owner = f"import-{uuid.uuid4().hex}"
        if not self.leases.acquire(tenant_id, IMPORT_LEASE, owner, IMPORT_LEASE_SECONDS):
            logger.info("import skipped: one is already running", extra={"tenant_id": tenant_id})
            return ImportOutcome.ALREADY_RUNNING
        try:
            return self._run(job, str(connection.party_id), settings)
        finally:
            self.leases.release(tenant_id, IMPORT_LEASE, owner)

    def _run(self, job: ImportJob, party_id: str, settings: ImportSettings) -> ImportOutcome:
        tenant_id = job.tenant_id
        credentials = self.credentials(tenant_id, int(party_id))
        importer = self.importer(tenant_id, party_id, settings, credentials)
        try:
            with credentials.expiring_on_revocation():
                report = importer.run(full=job.full, resume=job.trigger == "continuation")
        except AuthExpiredError:
            # The provider moved the connection to auth expired and logged it once.
            return ImportOutcome.NOT_CONNECTED
        except UserFixableError as problem:
            self.sync_log.record(
                tenant_id,
                category=SyncLogCategory.IMPORT,
                level=SyncLogLevel.ERROR,
                message_key=messages.IMPORT_FAILED,
                params={"reason": str(problem)},
                retryable=True,
            )
            metrics.add_metric(name="ImportFailures", unit=MetricUnit.Count, value=1)
            return ImportOutcome.FAILED
        self._log(tenant_id, report)
        if not report.finished:
            self.send_job(ImportJob(tenant_id=tenant_id, full=job.full, trigger="continuation"))
            return ImportOutcome.PAUSED
        self.tenants.record_import_finished(tenant_id, self.clock())
        return ImportOutcome.FINISHED

    def _log(self, tenant_id: str, report: ImportReport) -> None:
        if report.skipped:
            named = [
                f"{entity.value.rstrip('s').replace('_', ' ')} '{skip.label}': {skip.reason}"
                for entity, skip in report.skipped[:MAX_NAMED_SKIPS]
            ]
            more = len(report.skipped) - len(named)
            if more > 0:
                named.append(f"and {more} more")
            self.sync_log.record(
                tenant_id,
                category=SyncLogCategory.IMPORT,
                level=SyncLogLevel.WARNING,
                message_key=messages.IMPORT_RECORDS_SKIPPED,
                params={"count": str(len(report.skipped)), "records": "; ".join(named)},
            )
        if report.gone:
            self._log_gone(tenant_id, report)
        params = {"duration": f"{report.total_seconds:.1f}"}
        for entity, counts in report.counts.items():
            params[f"{messages.COUNTS_PREFIX}{entity.value}"] = (
                f"{counts.created}/{counts.updated}/{counts.skipped}"
                f"/{counts.deactivated}/{counts.moved}/{counts.reported}"
            )
        if report.compared:
            params[messages.COMPARED_PARAM] = "1"
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.IMPORT,
            level=SyncLogLevel.INFO,
            message_key=messages.IMPORT_FINISHED if report.finished else messages.IMPORT_PAUSED,
            params=params,
        )
        written = sum(counts.written for counts in report.counts.values())
        metrics.add_metric(name="ImportedRecords", unit=MetricUnit.Count, value=written)
        metrics.add_metric(
            name="ImportSkippedRecords", unit=MetricUnit.Count, value=len(report.skipped)
        )
        logger.info(
            "import run done",
            extra={
                "tenant_id": tenant_id,
                "finished": report.finished,
                "written": written,
                "skipped": len(report.skipped),
                "seconds": round(report.total_seconds, 3),
            },
        )

    def _log_gone(self, tenant_id: str, report: ImportReport) -> None:
        """One entry naming each record gone from Billit and what happened to it in OutSmart;
        a warning when any of them needs the office (a material, or a refusal)."""
        named = []
        for entity, gone in report.gone[:MAX_NAMED_SKIPS]:
            what = entity.value.rstrip("s").replace("_", " ")
            if gone.deactivated:
                named.append(f"{what} '{gone.label}': set inactive")
            else:
                named.append(f"{what} '{gone.label}': {gone.reason or 'still in OutSmart'}")
        more = len(report.gone) - len(named)
        if more > 0:
            named.append(f"and {more} more")
        needs_office = any(not gone.deactivated for _, gone in report.gone)
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.IMPORT,
            level=SyncLogLevel.WARNING if needs_office else SyncLogLevel.INFO,
            message_key=messages.IMPORT_NO_LONGER_IN_BILLIT,
            params={"count": str(len(report.gone)), "records": "; ".join(named)},
        )
