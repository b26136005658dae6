"""The schedules' fan-out, and "sync now" for one tenant.

A scheduled invocation only decides *who* is due and queues one small job message per tenant;
the work (Billit and OutSmart calls) happens in the workers, one tenant per message. So a
slow or failing tenant never delays the others, and no invocation walks any tenant's data.

Scale (issue 16, ``make bench``): the connected tenants come from the sparse index a page at a
time; every 50 of them are read in one BatchGetItem (connection and settings) and queued with
SendMessageBatch (10 per call), and :data:`FAN_OUT_CONCURRENCY` such chunks run at once, so
50,000 tenants fit in one tick's timeout. A tenant whose items cannot be read or parsed, or
whose job cannot be queued, is logged with its id and counted, and the rest go on.

- ``import``: connected tenants with at least one import switched on whose last finished
  import is older than their interval (or who never imported) get an ``ImportJob``;
- ``discovery``: connected tenants with exports on get a ``DiscoveryJob`` every tick, except
  while OutSmart's webhook brings their work orders (an export it triggered in the last
  :data:`WEBHOOK_ALIVE`): then the poll is a safety net, once per the tenant's
  ``discovery_safety_net_minutes``, in a slot of its own (:func:`safety_net_due`) so the
  tenants' polls spread over the ticks and no state is kept;
- ``reconcile``: every connected tenant gets a ``ReconcileJob`` (invoice statuses read back
  from Billit, the webhooks' backstop; the webhook processor runs it).
"""

import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from billit_sync import messages
from billit_sync.errors import ConnectionRequiredError, UnknownTenantError
from billit_sync.jobs_queue import JobQueue
from billit_sync.observability import logger, metrics
from billit_sync.store import ConnectionStatus, SettingsStore, TenantStore
from billit_sync.store.clock import Clock
from billit_sync.store.tenants import TenantItems
from billit_sync.sync.exports.jobs import DiscoveryJob
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.webhooks.jobs import ReconcileJob

# Tenants read per BatchGetItem (two items each: BatchGetItem's limit is 100 keys).
READ_CHUNK = 50
# Chunks in flight at once: DynamoDB and SQS calls of one tick overlap this much. Well below
# the AWS SDK's default connection pool of 10 per client.
FAN_OUT_CONCURRENCY = 8
DEFAULT_DUE_TOLERANCE = timedelta(minutes=5)
"""An import counts as due this much before its interval has fully passed. ``last_import_at``
is when the previous run *finished*, and schedules tick at a fixed rate; without the slack
a 60-minute interval with a 15-minute schedule would run every 75 minutes."""


DISCOVERY_TICK = timedelta(minutes=5)
"""The discovery schedule's rate (template.yaml, ``DiscoverySchedule``'s default)."""
WEBHOOK_ALIVE = timedelta(days=7)
"""OutSmart's webhook counts as configured while it triggered an export this recently (a week:
a quiet weekend must not bring back the 5-minute poll)."""


def safety_net_due(
    tenant_id: str, now: datetime, every: timedelta, tick: timedelta = DISCOVERY_TICK
) -> bool:
    """True on the one tick of each ``every`` window that falls in the tenant's slot. The
    slot's offset comes from the tenant id (stable, spread evenly), so the safety-net polls
    of many tenants do not all land on the same tick."""
    window = int(every.total_seconds())
    offset = zlib.crc32(tenant_id.encode()) % window
    return (int(now.timestamp()) - offset) % window < int(tick.total_seconds())


class ScheduledJobKind(StrEnum):
    IMPORT = "import"
    DISCOVERY = "discovery"
    RECONCILE = "reconcile"


class SkipReason(StrEnum):
    NOT_CONNECTED = "not_connected"  # the index lags behind a disconnect / auth expiry
    IMPORTS_OFF = "imports_off"
    NOT_DUE = "not_due"
    EXPORTS_OFF = "exports_off"
    SAFETY_NET_NOT_DUE = "safety_net_not_due"  # OutSmart's webhook works; polled less often


@dataclass(frozen=True)
class FanOutReport:
    job: ScheduledJobKind
    tenants_queued: int = 0
    tenants_skipped: int = 0
    failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job.value,
            "tenants_queued": self.tenants_queued,
            "tenants_skipped": self.tenants_skipped,
            "failures": self.failures,
        }


def import_due(
    last_import_at: datetime | None,
    interval_minutes: int,
    now: datetime,
    tolerance: timedelta = DEFAULT_DUE_TOLERANCE,
) -> bool:
    """Never imported, or the interval (less the tolerance) has passed since the last run."""
    if last_import_at is None:
        return True
    return now - last_import_at >= timedelta(minutes=interval_minutes) - tolerance


@dataclass
class _ChunkResult:
    queued: int = 0
    failures: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class Scheduler:
    """Fans a schedule out into one job message per due tenant."""

    def __init__(
        self,
        *,
        tenants: TenantStore,
        settings: SettingsStore,
        import_jobs: JobQueue[ImportJob],
        discovery_jobs: JobQueue[DiscoveryJob],
        clock: Clock,
        due_tolerance: timedelta = DEFAULT_DUE_TOLERANCE,
        reconcile_jobs: Callable[[], JobQueue[ReconcileJob]] | None = None,
    ) -> None:
        self._tenants = tenants
        self._settings = settings
        self._import_jobs = import_jobs
        self._discovery_jobs = discovery_jobs
        self._clock = clock
        self._due_tolerance = due_tolerance
        # A factory: only the reconcile schedule needs the queue (and its environment).
        self._reconcile_jobs = reconcile_jobs

    def fan_out(self, kind: ScheduledJobKind) -> FanOutReport:
        """Queue a job for every due tenant; raises when listing the tenants fails (the
        tenants listed before that are queued all the same; EventBridge retries the tick)."""
        if kind is ScheduledJobKind.IMPORT:
            now = self._clock()
            return self._fan_out(kind, self._import_jobs, lambda t: self._import_job(t, now))
        if kind is ScheduledJobKind.RECONCILE:
            if self._reconcile_jobs is None:
                raise ValueError("this scheduler has no reconcile queue")
            return self._fan_out(kind, self._reconcile_jobs(), self._reconcile_job)
        now = self._clock()
        return self._fan_out(kind, self._discovery_jobs, lambda t: self._discovery_job(t, now))

    # ---------------------------------------------------------------- decisions
    def _import_job(self, items: TenantItems, now: datetime) -> ImportJob | SkipReason:
        imports = items.settings().imports
        if not imports.anything_enabled:
            return SkipReason.IMPORTS_OFF
        connection = items.connection()
        if not connection.is_connected:
            return SkipReason.NOT_CONNECTED
        if not import_due(
            connection.last_import_at, imports.interval_minutes, now, self._due_tolerance
        ):
            return SkipReason.NOT_DUE
        return ImportJob(tenant_id=items.tenant_id, full=False, trigger="schedule")

    def _discovery_job(self, items: TenantItems, now: datetime) -> DiscoveryJob | SkipReason:
        exports = items.settings().exports
        if not exports.enabled:
            return SkipReason.EXPORTS_OFF
        connection = items.connection()
        if not connection.is_connected:
            return SkipReason.NOT_CONNECTED
        webhook_at = connection.outsmart_webhook_at
        if (
            webhook_at is not None
            and now - webhook_at < WEBHOOK_ALIVE
            and not safety_net_due(
                items.tenant_id, now, timedelta(minutes=exports.discovery_safety_net_minutes)
            )
        ):
            return SkipReason.SAFETY_NET_NOT_DUE
        return DiscoveryJob(tenant_id=items.tenant_id, trigger="schedule")

    def _reconcile_job(self, items: TenantItems) -> ReconcileJob | SkipReason:
        if not items.connection().is_connected:
            return SkipReason.NOT_CONNECTED
        return ReconcileJob(tenant_id=items.tenant_id, trigger="schedule")

    # ------------------------------------------------------------------ fan-out
    def _fan_out[JobT: BaseModel](
        self,
        kind: ScheduledJobKind,
        queue: JobQueue[JobT],
        decide: Callable[[TenantItems], JobT | SkipReason],
    ) -> FanOutReport:
        def chunk_of_tenants(tenant_ids: list[str]) -> _ChunkResult:
            return self._fan_out_chunk(kind, queue, decide, tenant_ids)

        results: list[_ChunkResult] = []
        with ThreadPoolExecutor(max_workers=FAN_OUT_CONCURRENCY) as pool:
            pending: set[Future[_ChunkResult]] = set()

            def submit(tenant_ids: list[str]) -> None:
                nonlocal pending
                pending.add(pool.submit(chunk_of_tenants, tenant_ids))
                if len(pending) >= 2 * FAN_OUT_CONCURRENCY:  # bounded: no backlog in memory
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    results.extend(future.result() for future in done)

            chunk: list[str] = []
            try:  # whatever was listed goes out, even if listing tenants fails half-way
                for tenant_id in self._tenants.list_connected_tenant_ids():
                    chunk.append(tenant_id)
                    if len(chunk) == READ_CHUNK:
                        submit(chunk)
                        chunk = []
            finally:
                if chunk:
                    submit(chunk)
                results.extend(future.result() for future in pending)

        skipped: Counter[str] = Counter()
        for result in results:
            skipped.update(result.skipped)
        queued = sum(result.queued for result in results)
        failures = sum(result.failures for result in results)
        report = FanOutReport(
            job=kind,
            tenants_queued=queued,
            tenants_skipped=sum(skipped.values()),
            failures=failures,
        )
        metric = kind.value.capitalize()
        metrics.add_metric(name=f"{metric}JobsQueued", unit=MetricUnit.Count, value=queued)
        metrics.add_metric(name=f"{metric}FanOutFailures", unit=MetricUnit.Count, value=failures)
        logger.info("scheduled fan-out done", extra={**report.as_dict(), "skipped": skipped})
        return report

    def _fan_out_chunk[JobT: BaseModel](
        self,
        kind: ScheduledJobKind,
        queue: JobQueue[JobT],
        decide: Callable[[TenantItems], JobT | SkipReason],
        tenant_ids: list[str],
    ) -> _ChunkResult:
        """Read, decide and queue up to :data:`READ_CHUNK` tenants (one of the pool's tasks)."""
        result = _ChunkResult()
        try:
            read = self._tenants.read_many(tenant_ids)
        except Exception as error:  # the chunk's tenants are retried by the next tick
            result.failures += len(tenant_ids)
            logger.exception(
                "could not read the tenants' items; skipped this time",
                extra={"tenant_ids": tenant_ids, "job": kind.value, "error": type(error).__name__},
            )
            return result
        batch: list[tuple[str, JobT]] = []
        for tenant_id in tenant_ids:
            try:
                decision = decide(read[tenant_id])
            except Exception as error:  # one tenant's bad item never stops the others
                result.failures += 1
                logger.exception(
                    "could not decide whether the tenant is due; skipped this time",
                    extra={
                        "tenant_id": tenant_id,
                        "job": kind.value,
                        "error": type(error).__name__,
                    },
                )
                continue
            if isinstance(decision, SkipReason):
                result.skipped[decision.value] += 1
            else:
                batch.append((tenant_id, decision))
        if batch:
            # The result holds the very job objects sent, so identity finds their tenant.
            tenant_of = {id(job): tenant_id for tenant_id, job in batch}
            sent = queue.send_all(job for _, job in batch)  # SendMessageBatch, 10 per call
            result.queued += len(sent.sent)
            result.failures += len(sent.failed)
            for failure in sent.failed:
                logger.error(
                    "could not queue the tenant's job",
                    extra={
                        "tenant_id": tenant_of[id(failure.job)],
                        "job": kind.value,
                        "reason": failure.reason,
                    },
                )
        return result


@dataclass
class ManualSync:
    """The "sync now" button: one import job for one tenant, now (the interval is ignored)."""

    tenants: TenantStore
    settings: SettingsStore
    import_jobs: JobQueue[ImportJob]

    def request_import(self, tenant_id: str, *, full: bool = False) -> ImportJob | None:
        """Queue the tenant's import; ``None`` when no import is switched on (nothing queued).

        Raises ``UnknownTenantError`` (not registered), ``ConnectionRequiredError`` (not
        connected or authentication expired) and ``JobQueueError`` (SQS refused it).
        """
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
        connection = self.tenants.get_connection(tenant_id)
        if connection.status is ConnectionStatus.AUTH_EXPIRED:
            text = messages.render(messages.AUTH_EXPIRED, {}, tenant.language)
            raise ConnectionRequiredError(text)
        if not connection.is_connected:
            raise ConnectionRequiredError("connect to Billit first")
        if not self.settings.get(tenant_id).imports.anything_enabled:
            return None
        job = ImportJob(tenant_id=tenant_id, full=full, trigger="manual")
        self.import_jobs.send(job)
        logger.info("import requested", extra={"tenant_id": tenant_id, "full": full})
        return job
