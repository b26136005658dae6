"""A work order completed again after its invoice (issue 12): what changed, and the documents.

OutSmart has no "re-opened" event: a work order the service marked Handled that shows up as
*Compleet* again was re-opened and completed again (architecture.md: "A work order can be
completed more than once"). Each completion has its own export-ledger entry (completion 1 is
the work order's first entry, completion ``n`` the entry ``completion_row(row, n)``) with a
snapshot of the invoice lines the work order gave at that completion. Comparing the snapshots
says what changed; the tenant's setting decides what is made of it:

- ``notify`` (default): a log-panel entry naming the earlier invoice and the changes; nothing
  is invoiced;
- ``extra_invoice``: an invoice for what was added (quantities above the previous snapshot);
- ``credit_and_reinvoice``: a credit note for the earlier invoice (Billit ``OrderType:
  CreditNote`` with ``AboutInvoiceNumber``, billit-api.md §3) plus a new, complete invoice.

Every document of a completion has its own deterministic ``ExternalProviderID`` and
idempotency key (``document_reference``), so redeliveries, duplicate triggers and crashes
find it again instead of making a second one.
"""

import hashlib
import json
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from billit_sync.billit.orders import NewOrder, NewOrderLine, Order, OrderCustomer, OrderType
from billit_sync.store.ledger import IDEMPOTENCY_NAMESPACE, Document
from billit_sync.sync.exports.jobs import external_reference

COMPLETION_SEPARATOR = "-c"
MAX_CHANGES_SHOWN = 8


def completion_row(row_id: str, completion: int) -> str:
    """The ledger row of a completion: the work order's own row for the first, ``1919-c2``
    for the second, and so on."""
    if completion < 1:
        raise ValueError("completions count from 1")
    return row_id if completion == 1 else f"{row_id}{COMPLETION_SEPARATOR}{completion}"


def document_reference(tenant_id: str, row_id: str, completion: int, document: Document) -> str:
    """The ``ExternalProviderID`` of one document of one completion (the first completion's
    invoice keeps the reference it always had)."""
    base = external_reference(tenant_id, row_id)
    if completion == 1 and document is Document.INVOICE:
        return base
    return f"{base}-c{completion}" + ("-cn" if document is Document.CREDIT_NOTE else "")


def document_key(idempotency_key: str, document: Document) -> str:
    """The Billit idempotency key of one document, from the completion entry's own key
    (alphanumeric, billit-api.md §6): the invoice uses the entry's key as is."""
    if document is Document.INVOICE:
        return idempotency_key
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{idempotency_key}\n{document.value}").hex


# ------------------------------------------------------------------------ line snapshots
def _line_key(line: NewOrderLine) -> str:
    price = line.unit_price_excl if line.unit_price_excl is not None else line.unit_price_incl
    return "|".join(
        str(part or "")
        for part in (line.reference, line.description, price, line.vat_percentage, line.unit)
    )


def snapshot_of(order: NewOrder) -> dict[str, str]:
    """The billable lines of an invoice as ``{line key: quantity}`` (text lines left out):
    what a completion invoiced, or would have."""
    totals: dict[str, Decimal] = {}
    for line in order.order_lines:
        quantity = Decimal(str(line.quantity))
        if quantity == 0 and line.unit_price_excl is None and line.unit_price_incl is None:
            continue
        key = _line_key(line)
        totals[key] = totals.get(key, Decimal(0)) + quantity
    return {key: str(quantity) for key, quantity in sorted(totals.items())}


def dump_snapshot(snapshot: dict[str, str]) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"))


def load_snapshot(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def fingerprint(snapshot: dict[str, str]) -> str:
    return hashlib.sha256(dump_snapshot(snapshot).encode()).hexdigest()[:16]


def _quantity(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def differences(previous: dict[str, str], current: dict[str, str]) -> dict[str, Decimal]:
    """Per line key, the change in quantity (positive: added, negative: removed)."""
    changed: dict[str, Decimal] = {}
    for key in sorted(previous.keys() | current.keys()):
        delta = _quantity(current.get(key)) - _quantity(previous.get(key))
        if delta != 0:
            changed[key] = delta
    return changed


def _shown_quantity(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return ("+" if value > 0 else "-") + text.lstrip("-")


def changes_text(previous: dict[str, str] | None, current: dict[str, str]) -> str:
    """``+0.5 Arbeid monteur, -1 Koppelstuk 15 mm`` (language neutral: signs, quantities and
    the lines' own descriptions); ``=`` when nothing billable changed, ``?`` when the
    earlier lines are unknown (a completion exported before the lines were remembered)."""
    if previous is None:
        return "?"
    changed = differences(previous, current)
    if not changed:
        return "="
    parts = [
        f"{_shown_quantity(delta)} {key.split('|')[1] or key.split('|')[0]}"
        for key, delta in changed.items()
    ]
    if len(parts) > MAX_CHANGES_SHOWN:
        parts = [*parts[:MAX_CHANGES_SHOWN], f"+{len(parts) - MAX_CHANGES_SHOWN}…"]
    return ", ".join(parts)


def extra_invoice(order: NewOrder, previous: dict[str, str], reference: str) -> NewOrder | None:
    """The invoice for what was added since ``previous``: the new invoice's billable lines
    with only the quantity above the earlier one; None when nothing was added."""
    remaining = {key: _quantity(value) for key, value in previous.items()}
    lines: list[NewOrderLine] = []
    for line in order.order_lines:
        key = _line_key(line)
        quantity = Decimal(str(line.quantity))
        if line.unit_price_excl is None and line.unit_price_incl is None:
            continue  # a text line (the work description): already on the earlier invoice
        already = min(quantity, remaining.get(key, Decimal(0)))
        remaining[key] = remaining.get(key, Decimal(0)) - already
        if quantity - already > 0:
            lines.append(line.model_copy(update={"quantity": quantity - already}))
    if not lines:
        return None
    return order.model_copy(
        update={"order_lines": lines, "external_provider_id": reference, "attachments": None}
    )


def credit_note(earlier: Order, about_invoice_number: str, reference: str, today: date) -> NewOrder:
    """A credit note for the whole earlier invoice, line for line, to the same customer,
    dated ``today`` (the day it is issued)."""
    party = earlier.counter_party or earlier.customer
    if party is None or party.party_id is None or not earlier.order_lines:
        raise ValueError("the earlier invoice has no customer or no lines")
    lines = [
        NewOrderLine(
            quantity=line.quantity if line.quantity is not None else Decimal(1),
            unit_price_excl=line.unit_price_excl,
            description=(line.description or line.reference or "-")[:512],
            reference=line.reference,
            vat_percentage=line.vat_percentage,
            ventilation_code=line.ventilation_code,
            product_id=line.product_id,
        )
        for line in earlier.order_lines
        if line.unit_price_excl is not None
    ]
    return NewOrder(
        order_type=OrderType.CREDIT_NOTE,
        order_date=today,
        about_invoice_number=about_invoice_number,
        external_provider_id=reference,
        reference=earlier.reference,
        customer=OrderCustomer(party_id=party.party_id, name=party.name),
        order_lines=lines,
    )
