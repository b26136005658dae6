"""One work order's export as OutSmart's work-order screen shows it (issue 12).

``GET /tenants/{tenant_id}/exports/{workorder}`` answers from the export ledger, by the row id
or by the work order number the log panel shows (``WB-1936``): the ledger state, Billit's
order id and invoice number, what Billit reported (sent, delivered, refused, paid), a
re-completion's credit note and its fate, and the last problem, so the screen never has to
parse log lines.
"""

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from billit_sync.errors import ExportNotFoundError
from billit_sync.store import ExportLedger, LedgerEntry, LedgerState

# Read by one route of the management API: the models build their validators when it first
# answers (``defer_build``), not on every cold start (issue 16).


class InvoiceRef(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    order_id: str
    number: str | None
    """Billit's invoice number (None until Billit numbered it)."""


class CreditNoteRef(BaseModel):
    """A re-completion's credit note for the earlier invoice (``credit_and_reinvoice``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    order_id: str
    number: str | None
    """Billit's credit note number (None until Billit numbered it)."""
    status: str | None
    """What Billit reported about the credit note (``sent``, ``delivered``, ``refused``…)."""
    status_at: datetime | None


class LastProblem(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: str
    """``user_fixable`` (waits for a fix and a retry), ``outage`` (retried by itself),
    ``refused`` / ``not_delivered`` (what Billit reported about the invoice) or
    ``credit_note_refused`` / ``credit_note_not_delivered`` (the same about the credit note)."""
    detail: str | None = None
    since: datetime | None = None


class ExportStatus(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    row_id: str
    workorder_no: str | None
    completion: int
    """1, or the 2nd, 3rd… time the work order was completed (each has its own export)."""
    state: LedgerState
    invoice: InvoiceRef | None
    credit_note: CreditNoteRef | None = None
    """Only when this completion credited the earlier invoice."""
    sent: bool
    delivered: bool
    refused: bool
    paid: bool
    invoice_status: str | None
    invoice_status_at: datetime | None
    last_problem: LastProblem | None
    updated_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> "ExportStatus":
        status = entry.invoice_status
        invoice = (
            InvoiceRef(order_id=entry.order_id, number=entry.order_number)
            if entry.order_id
            else None
        )
        credit_note = (
            CreditNoteRef(
                order_id=entry.credit_note_id,
                number=entry.credit_note_number,
                status=entry.credit_note_status,
                status_at=entry.credit_note_status_at,
            )
            if entry.credit_note_id
            else None
        )
        return cls(
            row_id=entry.outsmart_row_id,
            workorder_no=entry.workorder_no,
            completion=entry.completion_number,
            state=entry.state,
            invoice=invoice,
            credit_note=credit_note,
            sent=entry.sent_at is not None or status is not None,
            delivered=status in {"delivered", "accepted"},
            refused=status == "refused",
            paid=status == "paid",
            invoice_status=status,
            invoice_status_at=entry.invoice_status_at,
            last_problem=_last_problem(entry),
            updated_at=entry.updated_at,
        )

    def as_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")


def _last_problem(entry: LedgerEntry) -> LastProblem | None:
    if entry.state is LedgerState.FAILED:
        return LastProblem(kind=entry.failure_kind or "user_fixable", detail=entry.failure_reason)
    if entry.outage_at is not None:
        return LastProblem(kind="outage", since=entry.outage_at)
    if entry.invoice_status in {"refused", "not_delivered"}:
        return LastProblem(
            kind=entry.invoice_status,
            detail=entry.invoice_status_detail,
            since=entry.invoice_status_at,
        )
    if entry.credit_note_status in {"refused", "not_delivered"}:
        return LastProblem(
            kind=f"credit_note_{entry.credit_note_status}",
            detail=entry.credit_note_status_detail,
            since=entry.credit_note_status_at,
        )
    return None


@dataclass
class ExportStatusReader:
    ledger: ExportLedger

    def read(self, tenant_id: str, workorder: str) -> ExportStatus:
        """By row id or work order number; ``ExportNotFoundError`` when there is none."""
        entry = self.ledger.find_by_workorder(tenant_id, workorder.strip())
        if entry is None:
            raise ExportNotFoundError(f"work order {workorder.strip()[:64]} has no export")
        return ExportStatus.of(entry)
