"""Applies one queued Billit event to the invoice the service created for a work order.

- ``Order`` events carry no trustworthy state, so the order is read again from Billit
  (reference §5) and ``order_status`` decides: paid, refused or delivered (its
  ``CurrentDocumentDeliveryDetails`` and the receiver's feedback among its ``Messages``), sent.
- ``Message`` events come as inserts and updates, ``Outgoing`` (our send: ``EInvoiceFlowState``
  Sent / Accepted / Delivered / Refused, a failed message without one is "not delivered") and
  ``Incoming`` (the receiver's feedback, an IMR: ``AB`` received, ``AP`` accepted, ``RE``
  rejected…), in both payload generations (``EntityDetail.OrderMessage`` +
  ``AdditionalMessageInformation``, and flat ``EntityDetail`` + ``MessageAdditionalInformation``).
  The flow state decides first, the IMR code second (reference §5 "Rules").
- A ``Message`` event with an empty ``EntityDetail`` names no invoice; no single message can be
  read back, so it starts the tenant's reconcile (``webhooks.reconcile``), which reads the
  open invoices and lets each order's delivery details decide.

The invoice is found in the export ledger by its Billit order id; a re-completion's credit
note is found the same way (its pointer item) and its fate recorded beside the invoice's, with
its own log-panel texts; an order the service did not create is ignored (debug log). A status
never goes back to an earlier one (sent < accepted < delivered / not delivered < refused <
paid). ``InvoiceStatusUpdater`` is the one code path the reconcile shares: the ledger's status
and the log-panel entry are written in ONE DynamoDB transaction, conditional on the status the
processor read, so two processors (or a webhook and the reconcile) never log the same change
twice. When the invoice is paid and the tenant chose
``workstatus_when_paid``, that work status is set on the OutSmart work order first (repeating
it is harmless), so a failure there is retried before anything is recorded.

A tenant that is not connected (or whose authorisation expired) cannot be read from Billit:
its event is not applied, its de-duplication record is forgotten (Billit's redelivery is then
taken, not answered "duplicate"), and the reconcile after the reconnect catches up whatever
happened meanwhile. Transient errors propagate, so SQS retries the one record.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal

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
    DeliveryLog,
    ExportLedger,
    LedgerConflictError,
    LedgerEntry,
    SettingsStore,
    SyncLogCategory,
    SyncLogEntry,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
)
from billit_sync.store.clock import Clock, system_clock
from billit_sync.store.ledger import Document
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
    # "Sent, Accepted (network acknowledged; some networks only), then optional finals
    # Delivered or Refused" (reference §5).
    InvoiceStatus.ACCEPTED: 2,
    InvoiceStatus.DELIVERED: 3,
    InvoiceStatus.NOT_DELIVERED: 3,
    InvoiceStatus.REFUSED: 4,
    InvoiceStatus.PAID: 5,
}
FINAL_STATUSES: Final = frozenset({InvoiceStatus.PAID.value})
"""Nothing later can follow: the reconcile stops reading these invoices."""
_FLOW_STATUS: Final = {
    FlowState.SENT: InvoiceStatus.SENT,
    FlowState.ACCEPTED: InvoiceStatus.ACCEPTED,
    FlowState.DELIVERED: InvoiceStatus.DELIVERED,
    FlowState.REFUSED: InvoiceStatus.REFUSED,
}
# The receiver's Invoice Response codes (reference §5 [doc: imr]) that say something about the
# invoice; IP (in process), UQ (under query) and PD (paid, the buyer's word: Billit's own Paid
# decides) change nothing. ⚠ Which flow state each code yields is undocumented.
IMR_STATUS: Final = {
    "AB": InvoiceStatus.DELIVERED,
    "AP": InvoiceStatus.DELIVERED,
    "CA": InvoiceStatus.DELIVERED,
    "RE": InvoiceStatus.REFUSED,
}
_IMR = re.compile(r"^\s*([A-Za-z]{2})\s*(?:[:\-\u2013]\s*(.*))?$", re.DOTALL)
_SHOWN_TRANSPORT: Final = {"peppol": "Peppol", "smtp": "e-mail", "email": "e-mail"}
MAX_REASON_LENGTH: Final = 500


class ProcessOutcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # same status, or an earlier one arriving late
    NOTHING_TO_DO = "nothing_to_do"  # no status in the event (a draft changed, an insert…)
    UNKNOWN_ORDER = "unknown_order"  # not an invoice this service created
    NOT_CONNECTED = "not_connected"
    RECONCILED = "reconciled"  # an event naming no invoice: the tenant's open ones were read
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


def imr_of(text: str | None) -> tuple[str, str | None] | None:
    """(code, text) of an IMR description such as ``"RE: Wrong VAT number"``, else None."""
    if not text:
        return None
    match = _IMR.match(text)
    if match is None:
        return None
    code = match.group(1).upper()
    if code not in IMR_STATUS and code not in {"IP", "UQ", "PD"}:
        return None
    rest = (match.group(2) or "").strip()
    return code, rest or None


def message_status(detail: EntityDetail) -> Reported | None:
    """The status a Message event reports, or None (no flow state nor IMR, an insert…)."""
    state = detail.flow_state
    transport = shown_transport(detail.transport)
    imr = imr_of(detail.text)
    if state is not None:
        status = _FLOW_STATUS[state]
    elif imr is not None and imr[0] in IMR_STATUS:
        status = IMR_STATUS[imr[0]]
    elif detail.succeeded is False and transport is not None and not detail.is_incoming:
        return Reported(
            InvoiceStatus.NOT_DELIVERED, transport=transport, reason=_clip(detail.reason)
        )
    else:
        return None
    if status is InvoiceStatus.REFUSED:
        info = detail.information
        reason = (info.flow_state_information if info else None) or (
            imr[1] if imr is not None else detail.text
        )
        return Reported(status, transport=transport or "Peppol", reason=_clip(reason))
    # A flow state or an IMR is e-invoicing: Peppol unless Billit says otherwise.
    return Reported(status, transport=transport or "Peppol")


def order_status(order: Order) -> Reported | None:
    """The status a re-read order shows (reference §5 "Polling"): paid wins; then a refusal
    in ``CurrentDocumentDeliveryDetails``; then the receiver's latest feedback among the
    ``Messages``; then failed or delivered; then sent. A draft shows none."""
    if order.paid:
        paid_date = order.paid_date.isoformat() if order.paid_date else None
        return Reported(InvoiceStatus.PAID, paid_date=paid_date)
    transport = shown_transport(_last_transport(order))
    details = {
        str(k).lower(): v for k, v in (order.current_document_delivery_details or {}).items()
    }
    refusal = _refusal(details, transport)
    if refusal is not None:
        return refusal
    feedback = _latest_feedback(order)
    if feedback is not None:
        return feedback
    delivery = _delivery(details, transport)
    if delivery is not None:
        return delivery
    if order.is_sent:
        return Reported(InvoiceStatus.SENT, transport=transport)
    return None


def _refusal(details: dict[str, Any], transport: str | None) -> Reported | None:
    """``DocumentRefusedDate`` / ``…ReasonTC`` / ``…Info`` (reference §5): refused."""
    reason = next(
        (
            str(details[name])
            for name in ("documentrefusedinfo", "documentrefusedreasontc")
            if details.get(name)
        ),
        None,
    )
    if reason is None and not details.get("documentrefuseddate"):
        return None
    reason = reason or str(details.get("documentdeliveryinfo") or "") or None
    return Reported(InvoiceStatus.REFUSED, transport=transport or "Peppol", reason=_clip(reason))


def _delivery(details: dict[str, Any], transport: str | None) -> Reported | None:
    """``DocumentDeliveryStatus`` Delivered | Pending | Error (``Pending`` says nothing)."""
    status = str(details.get("documentdeliverystatus") or "").lower()
    if status == "error":
        reason = str(details.get("documentdeliveryinfo") or "") or None
        return Reported(
            InvoiceStatus.NOT_DELIVERED, transport=transport or "Peppol", reason=_clip(reason)
        )
    if details.get("isdocumentdelivered") is True or status == "delivered":
        return Reported(InvoiceStatus.DELIVERED, transport=transport or "Peppol")
    return None


def _latest_feedback(order: Order) -> Reported | None:
    """What the receiver's newest Incoming message (an IMR) says, if anything."""
    for message in reversed(order.messages or []):
        if not isinstance(message, dict):
            continue
        direction = str(message.get("MessageDirection") or "").lower()
        if direction != "incoming":
            continue
        imr = imr_of(
            message.get("Description") if isinstance(message.get("Description"), str) else None
        )
        if imr is None or imr[0] not in IMR_STATUS:
            continue
        status = IMR_STATUS[imr[0]]
        transport = shown_transport(str(message.get("TransportType") or "") or None) or "Peppol"
        if status is InvoiceStatus.REFUSED:
            return Reported(status, transport=transport, reason=_clip(imr[1]))
        return Reported(status, transport=transport)
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
_CREDIT_NOTE_KEYS: Final[dict[InvoiceStatus, tuple[str, str]]] = {
    InvoiceStatus.SENT: (messages.WEBHOOK_CREDIT_NOTE_SENT_VIA, messages.WEBHOOK_CREDIT_NOTE_SENT),
    InvoiceStatus.ACCEPTED: (
        messages.WEBHOOK_CREDIT_NOTE_ACCEPTED,
        messages.WEBHOOK_CREDIT_NOTE_ACCEPTED,
    ),
    InvoiceStatus.DELIVERED: (
        messages.WEBHOOK_CREDIT_NOTE_DELIVERED,
        messages.WEBHOOK_CREDIT_NOTE_DELIVERED,
    ),
    InvoiceStatus.REFUSED: (
        messages.WEBHOOK_CREDIT_NOTE_REFUSED,
        messages.WEBHOOK_CREDIT_NOTE_REFUSED_NO_REASON,
    ),
    InvoiceStatus.NOT_DELIVERED: (
        messages.WEBHOOK_CREDIT_NOTE_NOT_DELIVERED,
        messages.WEBHOOK_CREDIT_NOTE_NOT_DELIVERED_NO_REASON,
    ),
    InvoiceStatus.PAID: (messages.WEBHOOK_CREDIT_NOTE_PAID, messages.WEBHOOK_CREDIT_NOTE_PAID),
}
_KEYS_OF: Final = {Document.INVOICE: _KEYS, Document.CREDIT_NOTE: _CREDIT_NOTE_KEYS}
_PROBLEMS: Final = frozenset({InvoiceStatus.REFUSED, InvoiceStatus.NOT_DELIVERED})
_REFUSED_METRIC: Final = {
    Document.INVOICE: "InvoicesRefused",
    Document.CREDIT_NOTE: "CreditNotesRefused",
}


def log_message(
    reported: Reported, params: dict[str, str], document: Document = Document.INVOICE
) -> tuple[str, SyncLogLevel]:
    """The log-panel key and level for a status of the invoice or the credit note
    (``params`` gets what the text needs).

    A refusal or failed delivery is an error the user has to act on; the rest is info."""
    if reported.transport:
        params["transport"] = reported.transport
    if reported.reason:
        params["reason"] = reported.reason
    if reported.paid_date:
        params["paid_date"] = reported.paid_date
    problem = reported.status in _PROBLEMS
    with_detail, without = _KEYS_OF[document][reported.status]
    known = reported.reason if problem else reported.transport
    key = with_detail if known else without
    return key, SyncLogLevel.ERROR if problem else SyncLogLevel.INFO


_Level = Literal["debug", "info", "warning"]
_TRANSITION_ATTEMPTS: Final = 3


@dataclass
class InvoiceStatusUpdater:
    """The one code path that applies a status Billit reported to a ledger entry (webhook
    processor and reconcile alike)."""

    settings: SettingsStore
    ledger: ExportLedger
    sync_log: SyncLogStore
    outsmart: OutSmartFactory
    clock: Clock = system_clock

    def apply(
        self,
        entry: LedgerEntry,
        reported: Reported,
        number: str,
        document: Document = Document.INVOICE,
    ) -> bool:
        """Work status (the invoice paid), then the status of ``document`` and its log
        entries in one conditional transaction. True only for the call that recorded the
        change; False when it is no news (any more): the same or a later status is already
        there."""
        if not status_changes(entry.status_of(document), reported.status):
            return False
        tenant_id = entry.tenant_id
        workorder_no = entry.workorder_no or entry.row_id
        params = {"workorder_no": workorder_no}
        params["invoice_number" if document is Document.INVOICE else "credit_note"] = number
        key, level = log_message(reported, params, document)
        problem: tuple[str, dict[str, str]] | None = None
        if reported.status is InvoiceStatus.PAID and document is Document.INVOICE:
            workstatus = self.settings.get(tenant_id).exports.workstatus_when_paid
            if workstatus:
                problem = self._set_workstatus(entry, workstatus, params)
                if problem is None:
                    key = messages.WEBHOOK_INVOICE_PAID_WORKSTATUS
                    params["workstatus"] = workstatus
        logged = [(key, params, level)]
        if problem is not None:
            logged.append((problem[0], problem[1], SyncLogLevel.WARNING))
        for _ in range(_TRANSITION_ATTEMPTS):
            items = [
                self.sync_log.prepare(
                    SyncLogEntry(
                        tenant_id=tenant_id,
                        at=self.clock(),
                        category=SyncLogCategory.WEBHOOK,
                        level=entry_level,
                        message_key=entry_key,
                        params=entry_params,
                        workorder_no=workorder_no,
                        invoice_number=number,
                    )
                )[1]
                for entry_key, entry_params, entry_level in logged
            ]
            try:
                self.ledger.transition_invoice_status(
                    entry,
                    reported.status.value,
                    reported.detail,
                    [(self.sync_log.table_name, item) for item in items],
                    document,
                )
            except LedgerConflictError as lost:
                # Another processor (or the reconcile) changed the status meanwhile.
                if lost.actual is None or lost.actual.order_id_of(document) is None:
                    return False
                entry = lost.actual
                if not status_changes(entry.status_of(document), reported.status):
                    return False
                continue
            metrics.add_metric(name="InvoiceStatusUpdates", unit=MetricUnit.Count, value=1)
            if reported.status is InvoiceStatus.REFUSED:
                metrics.add_metric(name=_REFUSED_METRIC[document], unit=MetricUnit.Count, value=1)
            return True
        return False

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


class _Skip(Exception):
    """Ends ``process`` early: nothing to apply (the outcome says why)."""

    def __init__(self, outcome: "ProcessOutcome", note: str, *, level: _Level = "debug"):
        super().__init__(note)
        self.outcome = outcome
        self.note = note
        self.level = level


class _Reconcile(Exception):
    """The event names no invoice: the tenant's open invoices must be read instead."""


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
    detail = payload.entity_detail
    if detail.is_empty:
        raise _Reconcile()
    reported = message_status(detail)
    order_id = detail.message_order_id
    if reported is None or order_id is None:
        raise _Skip(ProcessOutcome.NOTHING_TO_DO, "Billit message event without an invoice status")
    return order_id, reported


def _require_change(entry: LedgerEntry, reported: Reported, document: Document) -> None:
    if not status_changes(entry.status_of(document), reported.status):
        raise _Skip(ProcessOutcome.UNCHANGED, f"{document.value} status unchanged (or older)")


@dataclass
class WebhookProcessor:
    tenants: TenantStore
    settings: SettingsStore
    ledger: ExportLedger
    sync_log: SyncLogStore
    credentials: CredentialsFactory
    billit: BillitFactory
    outsmart: OutSmartFactory
    deliveries: DeliveryLog | None = None
    # Reads a tenant's open invoices back from Billit (``Reconciler.reconcile``).
    reconcile: Callable[[str], object] | None = None
    clock: Clock = system_clock

    @property
    def updater(self) -> InvoiceStatusUpdater:
        return InvoiceStatusUpdater(
            self.settings, self.ledger, self.sync_log, self.outsmart, self.clock
        )

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
            entry, reported, number, document = self._resolve(event, facts)
        except _Reconcile:
            return self._reconcile_instead(event, facts)
        except _Skip as skip:
            log = {"info": logger.info, "warning": logger.warning}.get(skip.level, logger.debug)
            log(skip.note, extra={**facts, "outcome": skip.outcome.value})
            if skip.outcome is ProcessOutcome.NOT_CONNECTED:
                self._forget_delivery(event, facts)
            return skip.outcome
        if not self.updater.apply(entry, reported, number, document):
            logger.debug(
                "invoice status already recorded by another processor",
                extra={**facts, "outcome": ProcessOutcome.UNCHANGED.value},
            )
            return ProcessOutcome.UNCHANGED
        logger.info(
            "invoice status updated from Billit",
            extra={**facts, "status": reported.status.value, "workorder_no": entry.workorder_no},
        )
        return ProcessOutcome.APPLIED

    def _reconcile_instead(self, event: WebhookEvent, facts: dict[str, object]) -> ProcessOutcome:
        """An empty Message detail (reference §5 ⚠): read the tenant's open invoices."""
        if self.reconcile is None:
            logger.info("Billit message event without detail; left to the reconcile", extra=facts)
            return ProcessOutcome.NOTHING_TO_DO
        logger.info("Billit message event without detail; reconciling the tenant", extra=facts)
        self.reconcile(event.tenant_id)
        return ProcessOutcome.RECONCILED

    def _forget_delivery(self, event: WebhookEvent, facts: dict[str, object]) -> None:
        """Not applied: let Billit's redelivery of it through (never "duplicate")."""
        if self.deliveries is None or event.delivery_key is None:
            return
        try:
            self.deliveries.forget(event.tenant_id, event.delivery_key)
        except Exception:  # the reconcile after the reconnect still catches it up
            logger.exception("de-duplication record not forgotten", extra=facts)

    def _resolve(
        self, event: WebhookEvent, facts: dict[str, object]
    ) -> tuple[LedgerEntry, Reported, str, Document]:
        """The ledger entry, the new status, the document's number and which document
        (the invoice, or a re-completion's credit note) the order is, or ``_Skip``."""
        order_id, reported = _read_event(event)
        facts["order_id"] = order_id
        entry = self.ledger.find_by_order_id(event.tenant_id, str(order_id))
        document = entry.document_of(str(order_id)) if entry is not None else None
        if entry is None or document is None:
            raise _Skip(
                ProcessOutcome.UNKNOWN_ORDER,
                "Billit event for an invoice this service did not create",
            )
        facts["row_id"] = entry.row_id
        facts["document"] = document.value
        if reported is not None:
            _require_change(entry, reported, document)
        order = self._read_order(
            event.tenant_id,
            order_id,
            required=reported is None,
            wanted=reported is None or entry.number_of(document) is None,
        )
        if reported is None:
            reported = order_status(order) if order is not None else None
            if reported is None:
                raise _Skip(ProcessOutcome.NOTHING_TO_DO, "Billit order event without a status")
            _require_change(entry, reported, document)
        number = (
            (order.order_number if order else None) or entry.number_of(document) or str(order_id)
        )
        return entry, reported, number, document

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
                ProcessOutcome.NOT_CONNECTED,
                f"Billit event not applied: {not_connected}; the reconcile catches it up",
                level="info",
            ) from None
        if connection.party_id is None or not connection.party_id.isdigit():
            raise _Skip(
                ProcessOutcome.NOT_CONNECTED, "Billit event not applied: no company", level="info"
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
                "Billit event not applied: Billit authentication expired; the reconcile "
                "catches it up after the reconnect",
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
