"""The backstop that makes Billit's webhooks an optimisation, not a dependency.

Per tenant, on a schedule (and whenever an event names no invoice), the invoices (and
re-completions' credit notes) the export ledger holds in a non-final state are read back from
Billit and the same transitions as the
webhook processor are applied (``InvoiceStatusUpdater``: one code path, conditional on the
old status, so a webhook racing the reconcile never logs a change twice). Two reads
(reference §4, §5):

- **changed since the last run**: ``GET /v1/orders?$filter=LastModified ge DateTime'…'``
  from a per-tenant watermark (less an overlap: ``LastModified`` has no time zone), each
  order of the ledger among them read in full (list rows are summaries);
- **open for ~14 days after sending**: the delivery details "could be updated more than one
  time during a few days (typically max. 2 weeks)", maybe without touching ``LastModified``,
  so recent open invoices are read by id as well.

A reconnect is followed by a reconcile (the connect flow queues one; the schedule also runs
it), which catches up everything missed while disconnected or expired: the ledger still holds
those invoices as open, whatever happened to the events. Reads per run are bounded; what is
left waits for the next run (logged).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from aws_lambda_powertools.metrics import MetricUnit

from billit_sync.billit import BillitClient, BillitNotFoundError, BillitUnauthorizedError
from billit_sync.billit.orders import Order
from billit_sync.connection.token_provider import NotConnectedError, ensure_connected
from billit_sync.errors import AuthExpiredError
from billit_sync.observability import logger, metrics
from billit_sync.store import (
    ExportLedger,
    LedgerEntry,
    TenantStore,
    WatermarkStore,
    WebhooksState,
)
from billit_sync.store.clock import Clock, as_utc
from billit_sync.store.ledger import Document
from billit_sync.webhooks.processor import (
    FINAL_STATUSES,
    BillitFactory,
    CredentialsFactory,
    InvoiceStatusUpdater,
    order_status,
)
from billit_sync.webhooks.secret_capture import CAPTURE_WINDOW

WATERMARK_ENTITY: Final = "order-status"
OPEN_AFTER_SENDING: Final = timedelta(days=14)
LAST_MODIFIED_OVERLAP: Final = timedelta(days=1)
MAX_READS_PER_RUN: Final = 60
"""Full order reads per run: far below the processor's 60 s timeout (one read ~0.2 s)."""


@dataclass
class ReconcileReport:
    tenant_id: str
    connected: bool = True
    open_invoices: int = 0
    changed: int = 0
    read: int = 0
    applied: int = 0
    left_for_next_run: int = 0
    order_ids: list[str] = field(default_factory=list)


@dataclass
class Reconciler:
    tenants: TenantStore
    ledger: ExportLedger
    watermarks: WatermarkStore
    updater: InvoiceStatusUpdater
    credentials: CredentialsFactory
    billit: BillitFactory
    clock: Clock
    max_reads: int = MAX_READS_PER_RUN

    def reconcile(self, tenant_id: str) -> ReconcileReport:
        """Read the tenant's open invoices back from Billit and apply what changed."""
        report = ReconcileReport(tenant_id)
        try:
            connection = ensure_connected(self.tenants, tenant_id)
        except NotConnectedError:
            report.connected = False  # caught up after the reconnect
            return report
        if connection.party_id is None or not connection.party_id.isdigit():
            report.connected = False
            return report
        self._watch_webhooks(
            tenant_id, connection.webhooks_state, connection.webhooks_registered_at
        )
        # Every open Billit order: an invoice, or a re-completion's credit note.
        open_entries: dict[str, tuple[LedgerEntry, Document]] = {}
        for entry in self.ledger.list_open_invoices(tenant_id, FINAL_STATUSES):
            for document in entry.open_documents(FINAL_STATUSES):
                order_id = entry.order_id_of(document)
                if order_id is not None:
                    open_entries[order_id] = (entry, document)
        report.open_invoices = len(open_entries)
        if not open_entries:
            return report
        provider = self.credentials(tenant_id, int(connection.party_id))
        billit = self.billit(provider)
        now = self.clock()
        try:
            with provider.expiring_on_revocation():
                changed, newest = self._changed_since_watermark(
                    billit, tenant_id, connection.party_id, open_entries
                )
                report.changed = len(changed)
                recent = [
                    order_id
                    for order_id, (entry, _) in sorted(open_entries.items())
                    if order_id not in changed and now - entry.created_at <= OPEN_AFTER_SENDING
                ]
                wanted = [*changed, *recent]
                to_read = wanted[: self.max_reads]
                report.left_for_next_run = len(wanted) - len(to_read)
                for order_id in to_read:
                    order = self._read(billit, order_id)
                    report.read += 1
                    if order is None:
                        continue
                    if self._apply(*open_entries[order_id], order):
                        report.applied += 1
                        report.order_ids.append(order_id)
        except AuthExpiredError:
            report.connected = False
            logger.info(
                "reconcile stopped: Billit authentication expired", extra={"tenant_id": tenant_id}
            )
            return report
        if newest is not None and report.left_for_next_run == 0:
            self.watermarks.advance(tenant_id, connection.party_id, WATERMARK_ENTITY, newest)
        metrics.add_metric(
            name="ReconcileStatusUpdates", unit=MetricUnit.Count, value=report.applied
        )
        logger.info(
            "invoice statuses reconciled with Billit",
            extra={
                "tenant_id": tenant_id,
                "open_invoices": report.open_invoices,
                "changed": report.changed,
                "read": report.read,
                "applied": report.applied,
                "left_for_next_run": report.left_for_next_run,
            },
        )
        return report

    # ------------------------------------------------------------------ steps
    def _changed_since_watermark(
        self,
        billit: BillitClient,
        tenant_id: str,
        party_id: str,
        open_entries: dict[str, tuple[LedgerEntry, Document]],
    ) -> tuple[list[str], str | None]:
        """Open orders Billit changed since the watermark, and the newest ``LastModified``."""
        mark = self.watermarks.get(tenant_id, party_id, WATERMARK_ENTITY).last_modified
        oldest = min(entry.created_at for entry, _ in open_entries.values())
        since = _parse(mark) - LAST_MODIFIED_OVERLAP if mark else oldest - LAST_MODIFIED_OVERLAP
        changed: list[str] = []
        newest: str | None = None
        for row in billit.orders.iter_orders_modified_since(since):
            if row.last_modified is not None:
                stamp = as_utc(row.last_modified).isoformat()
                newest = stamp if newest is None or stamp > newest else newest
            order_id = str(row.order_id)
            if order_id in open_entries and order_id not in changed:
                changed.append(order_id)
        return changed, newest

    @staticmethod
    def _read(billit: BillitClient, order_id: str) -> Order | None:
        try:
            return billit.orders.get_order(int(order_id))
        except (BillitNotFoundError, BillitUnauthorizedError):
            logger.warning(
                "reconcile: the invoice cannot be read from Billit", extra={"order_id": order_id}
            )
            return None

    def _apply(self, entry: LedgerEntry, document: Document, order: Order) -> bool:
        reported = order_status(order)
        if reported is None:
            return False
        number = order.order_number or entry.number_of(document) or str(order.order_id)
        return self.updater.apply(entry, reported, number, document)

    def _watch_webhooks(
        self, tenant_id: str, state: WebhooksState | None, registered_at: datetime | None
    ) -> None:
        """Operators see tenants whose webhook secret never came (statuses by polling)."""
        if state is not WebhooksState.AWAITING_SECRET or registered_at is None:
            return
        if self.clock() - registered_at > CAPTURE_WINDOW:
            metrics.add_metric(name="BillitWebhookSecretMissing", unit=MetricUnit.Count, value=1)
            logger.warning(
                "Billit webhook secret never arrived; invoice statuses by reconcile only",
                extra={"tenant_id": tenant_id},
            )


def _parse(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    return as_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
