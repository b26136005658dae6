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
  so open invoices are read by id as well for 14 days after the last news the ledger has of
  them (made, sent, or a status from Billit: an invoice retried and sent weeks after its
  entry was made is still watched).

A reconnect is followed by a reconcile (the connect flow queues one; the schedule also runs
it), which catches up everything missed while disconnected or expired: the ledger still holds
those invoices as open, whatever happened to the events. Reads per run are bounded, and
nothing starves: changed orders a run had no room for are carried in the watermark's
checkpoint and read first next time (the watermark still moves on), and the 14-day reads
rotate, each run going on after the last one read.
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
BACKLOG: Final = "backlog"
"""Checkpoint key: changed orders a run had no room for (comma-separated ids)."""
SETTLING_AFTER: Final = "settling_after"
"""Checkpoint key: the last settling order read; the next run goes on after it."""
MAX_BACKLOG: Final = 5_000
"""Ids carried in the checkpoint at most (about 40 KB of the 400 KB an item may hold)."""


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
        mark = self.watermarks.get(tenant_id, connection.party_id, WATERMARK_ENTITY)
        checkpoint = mark.checkpoint or {}
        try:
            with provider.expiring_on_revocation():
                changed, newest = self._changed_since(billit, mark.last_modified, open_entries)
                report.changed = len(changed)
                # Known or possibly changed: the backlog an earlier run had no room for, then
                # what changed since the watermark. All of it is read, in that order.
                must = [
                    order_id
                    for order_id in dict.fromkeys([*_ids(checkpoint.get(BACKLOG)), *changed])
                    if order_id in open_entries
                ]
                settling = _rotated(
                    [
                        order_id
                        for order_id, (entry, document) in open_entries.items()
                        if order_id not in must
                        and now - entry.last_news_of(document) <= OPEN_AFTER_SENDING
                    ],
                    after=checkpoint.get(SETTLING_AFTER),
                )
                to_read = [*must, *settling][: self.max_reads]
                carried = must[self.max_reads :]
                settling_read = to_read[len(must) :]
                report.left_for_next_run = len(carried) + len(settling) - len(settling_read)
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
        self._remember(
            tenant_id,
            connection.party_id,
            newest=newest,
            carried=carried,
            settling_after=settling_read[-1] if len(settling_read) < len(settling) else None,
            had_checkpoint=bool(checkpoint),
        )
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
    def _changed_since(
        self,
        billit: BillitClient,
        mark: str | None,
        open_entries: dict[str, tuple[LedgerEntry, Document]],
    ) -> tuple[list[str], str | None]:
        """Open orders Billit changed since the watermark ``mark``, and the newest
        ``LastModified`` of the listing."""
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

    def _remember(
        self,
        tenant_id: str,
        party_id: str,
        *,
        newest: str | None,
        carried: list[str],
        settling_after: str | None,
        had_checkpoint: bool,
    ) -> None:
        """The watermark moves on to what the listing showed; changed orders this run had no
        room for are carried in the checkpoint (read first next time), and the settling
        orders' rotation goes on after the last one read, so every open order is read in
        turn however many there are. A backlog too large to carry keeps the watermark where
        it is instead: the listing then finds those orders again."""
        state: dict[str, str] = {}
        if len(carried) > MAX_BACKLOG:
            newest = None
            carried = carried[:MAX_BACKLOG]
        if carried:
            state[BACKLOG] = ",".join(carried)
        if settling_after is not None:
            state[SETTLING_AFTER] = settling_after
        if newest is not None:
            self.watermarks.advance(tenant_id, party_id, WATERMARK_ENTITY, newest)
        if state:
            self.watermarks.save_checkpoint(tenant_id, party_id, WATERMARK_ENTITY, state)
        elif had_checkpoint:
            self.watermarks.clear_checkpoint(tenant_id, party_id, WATERMARK_ENTITY)

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


def _ids(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def _order_key(order_id: str) -> tuple[int, str]:
    """Billit's order ids are numbers: sort them as numbers."""
    return len(order_id), order_id


def _rotated(order_ids: list[str], *, after: str | None) -> list[str]:
    """``order_ids`` in id order, starting after ``after`` and wrapping round: a run that
    cannot read them all starts the next run where it stopped."""
    ordered = sorted(order_ids, key=_order_key)
    if after is None:
        return ordered
    cut = next(
        (i for i, order_id in enumerate(ordered) if _order_key(order_id) > _order_key(after)),
        len(ordered),
    )
    return ordered[cut:] + ordered[:cut]


def _parse(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    return as_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
