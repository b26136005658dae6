"""Applies one queued Billit event to the invoice the service created for a work order.

- ``Order`` events carry no trustworthy state, so the order is read again from Billit
  (reference §5): paid (``Paid``/``PaidDate``) or sent (``IsSent``).
- ``Message`` events say how a delivery went: ``EInvoiceFlowState`` Sent / Accepted /
  Delivered / Refused (the reason in ``AdditionalFlowStateInformation``, else the message's
  ``Description``), with the transport (Peppol, e-mail…); a failed message without a flow
  state is "not delivered".

The invoice is found in the export ledger by its Billit order id; an order the service did not
create is ignored (debug log). The ledger's invoice status is updated and one log-panel entry
written **only when the status changes**: Billit may deliver an event several times with
different bodies (new timestamps, trial counts), and deliveries may arrive out of order, so a
status never goes back to an earlier one (sent < delivered/accepted/not delivered < refused <
paid). When the invoice is paid and the tenant chose ``workstatus_when_paid``, that work status
is set on the OutSmart work order first, so a failure there is retried before anything is
recorded.

Outcomes: a tenant that is not connected (or whose authorisation expired) has its events
dropped with a log line (nothing can be read from Billit; the next status event or the export
itself covers it); transient errors propagate, so SQS retries the one record.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from billit_sync import messages
from billit_sync.billit import BillitClient, BillitCredentials
from billit_sync.billit.orders import Order
from billit_sync.connection.token_provider import (
    NotConnectedError,
    TenantTokenProvider,
    ensure_connected,
)
from billit_sync.errors import AuthExpiredError, UserFixableError
from billit_sync.observability import logger, metrics
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartApiError, OutSmartAuthError
from billit_sync.store import (
    ExportLedger,
    LedgerConflictError,
    LedgerEntry,
    SettingsStore,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
)
from billit_sync.webhooks.events import (
    BillitWebhookPayload,
    EntityDetail,
    FlowState,
    WebhookEntity,
    WebhookEvent,
)

CredentialsFactory = Callable[[str, int], TenantTokenProvider]
BillitFactory = Callable[[BillitCredentials], BillitClient]
OutSmartFactory = Callable[[str], OutSmartClient]


class InvoiceStatus(StrEnum):
    """The ledger's ``invoice_status`` values this processor writes."""

    SENT = "sent"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"
    REFUSED = "refused"
    PAID = "paid"


_RANK: Final[dict[str, int]] = {
    InvoiceStatus.SENT: 1,
    # ⚠ Whether Billit's "Accepted" comes before or after "Delivered" is undocumented: equal
    # rank, so whichever arrives last is shown.
    InvoiceStatus.ACCEPTED: 2,
    InvoiceStatus.DELIVERED: 2,
    InvoiceStatus.NOT_DELIVERED: 2,
    InvoiceStatus.REFUSED: 3,
    InvoiceStatus.PAID: 4,
}
_FLOW_STATUS: Final = {
    FlowState.SENT: InvoiceStatus.SENT,
    FlowState.ACCEPTED: InvoiceStatus.ACCEPTED,
    FlowState.DELIVERED: InvoiceStatus.DELIVERED,
    FlowState.REFUSED: InvoiceStatus.REFUSED,
}
_SHOWN_TRANSPORT: Final = {"peppol": "Peppol", "smtp": "e-mail", "email": "e-mail"}
MAX_REASON_LENGTH: Final = 500


class ProcessOutcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # same status, or an earlier one arriving late
    NOTHING_TO_DO = "nothing_to_do"  # no status in the event (a draft changed, an insert…)
    UNKNOWN_ORDER = "unknown_order"  # not an invoice this service created
    NOT_CONNECTED = "not_connected"
    ORDER_UNREADABLE = "order_unreadable"  # Billit refused to show the order (deleted…)
    UNREADABLE = "unreadable"  # the payload is not a Billit event we can read
    IGNORED = "ignored"  # an entity type the service does not use


@dataclass(frozen=True)
class Reported:
    """What an event says about the invoice."""

    status: InvoiceStatus
    transport: str | None = None
    reason: str | None = None
    paid_date: str | None = None

    @property
    def detail(self) -> str | None:
        """Stored beside the status in the ledger."""
        if self.status is InvoiceStatus.PAID:
            return self.paid_date
        if self.status in (InvoiceStatus.REFUSED, InvoiceStatus.NOT_DELIVERED):
            return self.reason
        return self.transport


def shown_transport(transport: str | None) -> str | None:
    """``SMTP`` reads "e-mail" to the user; other transports keep Billit's name."""
    if transport is None:
        return None
    return _SHOWN_TRANSPORT.get(transport.strip().lower(), transport.strip())


def status_changes(current: str | None, new: InvoiceStatus) -> bool:
    """True when ``new`` is news: a different status that is not an earlier one."""
    if current == new.value:
        return False
    return _RANK[new] >= _RANK.get(current or "", 0)


def message_status(detail: EntityDetail) -> Reported | None:
    """The status a Message event reports, or None (no flow state, an incoming message…)."""
    if detail.is_incoming:
        return None
    state = detail.flow_state
    transport = shown_transport(detail.transport)
    reason = _clip(detail.reason)
    if state is not None:
        status = _FLOW_STATUS[state]
        if status is InvoiceStatus.REFUSED:
            return Reported(status, transport=transport or "Peppol", reason=reason)
        # A flow state is e-invoicing: Peppol unless Billit says otherwise.
        return Reported(status, transport=transport or "Peppol")
    if detail.succeeded is False and transport is not None:
        return Reported(InvoiceStatus.NOT_DELIVERED, transport=transport, reason=reason)
    return None


def order_status(order: Order) -> Reported | None:
    """The status a re-read order shows: paid wins over sent; a draft shows none."""
    if order.paid:
        paid_date = order.paid_date.isoformat() if order.paid_date else None
        return Reported(InvoiceStatus.PAID, paid_date=paid_date)
    if order.is_sent:
        return Reported(InvoiceStatus.SENT, transport=shown_transport(_last_transport(order)))
    return None


def _last_transport(order: Order) -> str | None:
    """The transport of the order's latest message, when the order lists its messages."""
    for message in reversed(order.messages or []):
        transport = message.get("TransportType") if isinstance(message, dict) else None
        if isinstance(transport, str) and transport.strip():
            return transport
    return None


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 1] + "…"


_KEYS: Final[dict[InvoiceStatus, tuple[str, str]]] = {
    # status: (key when the detail is known, key without it)
    InvoiceStatus.SENT: (messages.WEBHOOK_INVOICE_SENT_VIA, messages.WEBHOOK_INVOICE_SENT),
    InvoiceStatus.ACCEPTED: (messages.WEBHOOK_INVOICE_ACCEPTED, messages.WEBHOOK_INVOICE_ACCEPTED),
    InvoiceStatus.DELIVERED: (
        messages.WEBHOOK_INVOICE_DELIVERED,
        messages.WEBHOOK_INVOICE_DELIVERED,
    ),
    InvoiceStatus.REFUSED: (
        messages.WEBHOOK_INVOICE_REFUSED,
        messages.WEBHOOK_INVOICE_REFUSED_NO_REASON,
    ),
    InvoiceStatus.NOT_DELIVERED: (
        messages.WEBHOOK_INVOICE_NOT_DELIVERED,
        messages.WEBHOOK_INVOICE_NOT_DELIVERED_NO_REASON,
    ),
    InvoiceStatus.PAID: (messages.WEBHOOK_INVOICE_PAID, messages.WEBHOOK_INVOICE_PAID),
}
_PROBLEMS: Final = frozenset({InvoiceStatus.REFUSED, InvoiceStatus.NOT_DELIVERED})


def log_message(reported: Reported, params: dict[str, str]) -> tuple[str, SyncLogLevel]:
    """The log-panel key and level for a status (``params`` gets what the text needs).

    A refusal or failed delivery is an error the user has to act on; the rest is info."""
    if reported.transport:
        params["transport"] = reported.transport
    if reported.reason:
        params["reason"] = reported.reason
    if reported.paid_date:
        params["paid_date"] = reported.paid_date
    problem = reported.status in _PROBLEMS
    with_detail, without = _KEYS[reported.status]
    known = reported.reason if problem else reported.transport
    key = with_detail if known else without
    return key, SyncLogLevel.ERROR if problem else SyncLogLevel.INFO


_Level = Literal["debug", "info", "warning"]


class _Skip(Exception):
    """Ends ``process`` early: nothing to apply (the outcome says why)."""

    def __init__(self, outcome: "ProcessOutcome", note: str, *, level: _Level = "debug"):
        super().__init__(note)
        self.outcome = outcome
        self.note = note
        self.level = level


def _read_event(event: WebhookEvent) -> tuple[int, Reported | None]:
    """The order the event is about and, for a Message, the status it reports."""
    try:
        payload = BillitWebhookPayload.model_validate(event.payload)
    except ValidationError:
        raise _Skip(
            ProcessOutcome.UNREADABLE, "Billit webhook payload unreadable; dropped", level="warning"
        ) from None
    entity = payload.known_entity
    if entity is None:
        raise _Skip(ProcessOutcome.IGNORED, "Billit event of an entity type the service ignores")
    if entity is WebhookEntity.ORDER:
        return payload.entity_id, None
    reported = message_status(payload.entity_detail)
    order_id = payload.entity_detail.message_order_id
    if reported is None or order_id is None:
        raise _Skip(ProcessOutcome.NOTHING_TO_DO, "Billit message event without an invoice status")
    return order_id, reported


def _require_change(entry: LedgerEntry, reported: Reported) -> None:
    if not status_changes(entry.invoice_status, reported.status):
        raise _Skip(ProcessOutcome.UNCHANGED, "invoice status unchanged (or older)")


@dataclass
class WebhookProcessor:
    tenants: TenantStore
    settings: SettingsStore
    ledger: ExportLedger
    sync_log: SyncLogStore
    credentials: CredentialsFactory
    billit: BillitFactory
    outsmart: OutSmartFactory

    def process(self, event: WebhookEvent) -> ProcessOutcome:
        """Apply the event; see the module docstring for what each outcome means.

        Raises only transient (or unexpected) errors: the caller fails the SQS record.
        """
        facts: dict[str, object] = {
            "tenant_id": event.tenant_id,
            "delivery_id": event.delivery_id,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
        }
        try:
            entry, reported, number = self._resolve(event, facts)
        except _Skip as skip:
            log = {"info": logger.info, "warning": logger.warning}.get(skip.level, logger.debug)
            log(skip.note, extra={**facts, "outcome": skip.outcome.value})
            return skip.outcome
        self._apply(entry, reported, number)
        logger.info(
            "invoice status updated from Billit",
            extra={**facts, "status": reported.status.value, "workorder_no": entry.workorder_no},
        )
        return ProcessOutcome.APPLIED

    def _resolve(
        self, event: WebhookEvent, facts: dict[str, object]
    ) -> tuple[LedgerEntry, Reported, str]:
        """The ledger entry, the new status and the invoice number, or ``_Skip``."""
        order_id, reported = _read_event(event)
        facts["order_id"] = order_id
        entry = self.ledger.find_by_order_id(event.tenant_id, str(order_id))
        if entry is None:
            raise _Skip(
                ProcessOutcome.UNKNOWN_ORDER,
                "Billit event for an invoice this service did not create",
            )
        facts["row_id"] = entry.row_id
        if reported is not None:
            _require_change(entry, reported)
        order = self._read_order(
            event.tenant_id,
            order_id,
            required=reported is None,
            wanted=reported is None or entry.order_number is None,
        )
        if reported is None:
            reported = order_status(order) if order is not None else None
            if reported is None:
                raise _Skip(ProcessOutcome.NOTHING_TO_DO, "Billit order event without a status")
            _require_change(entry, reported)
        number = (order.order_number if order else None) or entry.order_number or str(order_id)
        return entry, reported, number

    # ------------------------------------------------------------------ steps
    def _read_order(
        self, tenant_id: str, order_id: int, *, required: bool, wanted: bool
    ) -> Order | None:
        """The order from Billit (when ``wanted``), through the tenant's token provider; the
        connection is checked either way.

        ``required`` (Order events): a refusal (the order was deleted…) drops the event; for
        a Message event the order only gives the invoice number, so the order id stands in.
        """
        try:
            connection = ensure_connected(self.tenants, tenant_id)
        except NotConnectedError as not_connected:
            raise _Skip(
                ProcessOutcome.NOT_CONNECTED, f"Billit event dropped: {not_connected}", level="info"
            ) from None
        if connection.party_id is None or not connection.party_id.isdigit():
            raise _Skip(
                ProcessOutcome.NOT_CONNECTED, "Billit event dropped: no company", level="info"
            )
        if not wanted:
            return None
        provider = self.credentials(tenant_id, int(connection.party_id))
        billit = self.billit(provider)
        try:
            with provider.expiring_on_revocation():
                return billit.orders.get_order(order_id)
        except AuthExpiredError:
            raise _Skip(
                ProcessOutcome.NOT_CONNECTED,
                "Billit event dropped: Billit authentication expired",
                level="info",
            ) from None
        except UserFixableError as refused:
            if not required:
                return None
            raise _Skip(
                ProcessOutcome.ORDER_UNREADABLE,
                f"Billit event dropped: the order cannot be read ({type(refused).__name__})",
                level="warning",
            ) from None

    def _apply(self, entry: LedgerEntry, reported: Reported, number: str) -> None:
        """Work status (paid), log entry, then the ledger: each step is safe to repeat, so a
        transient failure retries the whole event until the ledger shows the new status."""
        tenant_id = entry.tenant_id
        workorder_no = entry.workorder_no or entry.row_id
        params = {"invoice_number": number, "workorder_no": workorder_no}
        key, level = log_message(reported, params)
        problem: tuple[str, dict[str, str]] | None = None
        if reported.status is InvoiceStatus.PAID:
            workstatus = self.settings.get(tenant_id).exports.workstatus_when_paid
            if workstatus:
                problem = self._set_workstatus(entry, workstatus, params)
                if problem is None:
                    key = messages.WEBHOOK_INVOICE_PAID_WORKSTATUS
                    params["workstatus"] = workstatus
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.WEBHOOK,
            level=level,
            message_key=key,
            params=params,
            workorder_no=workorder_no,
            invoice_number=number,
        )
        if problem is not None:
            problem_key, problem_params = problem
            self.sync_log.record(
                tenant_id,
                category=SyncLogCategory.WEBHOOK,
                level=SyncLogLevel.WARNING,
                message_key=problem_key,
                params=problem_params,
                workorder_no=workorder_no,
                invoice_number=number,
            )
        try:
            self.ledger.update_invoice_status(
                tenant_id, entry.row_id, reported.status.value, reported.detail
            )
        except LedgerConflictError:  # the entry lost its order (cannot happen today)
            logger.warning(
                "invoice status not stored: the ledger entry has no Billit order",
                extra={"tenant_id": tenant_id, "row_id": entry.row_id},
            )
            return
        metrics.add_metric(name="InvoiceStatusUpdates", unit=MetricUnit.Count, value=1)
        if reported.status is InvoiceStatus.REFUSED:
            metrics.add_metric(name="InvoicesRefused", unit=MetricUnit.Count, value=1)

    def _set_workstatus(
        self, entry: LedgerEntry, workstatus: str, params: dict[str, str]
    ) -> tuple[str, dict[str, str]] | None:
        """Set the paid work status; a problem the user must fix comes back as a log entry
        (key, params), transient errors propagate."""
        try:
            self.outsmart(entry.tenant_id).set_workorder_status(entry.outsmart_row_id, workstatus)
        except OutSmartAuthError:
            return messages.EXPORT_OUTSMART_TOKEN_REFUSED, {}
        except UserFixableError as refused:
            reason = (
                "; ".join(refused.messages)
                if isinstance(refused, OutSmartApiError) and refused.messages
                else str(refused)
            )
            logger.warning(
                "paid work status not set",
                extra={
                    "tenant_id": entry.tenant_id,
                    "row_id": entry.row_id,
                    "error": type(refused).__name__,
                },
            )
            return messages.WEBHOOK_WORKSTATUS_NOT_SET, {
                **params,
                "workstatus": workstatus,
                "reason": _clip(reason) or "-",
            }
        return None
