"""What changed between two completions of one work order, the extra invoice for what was
added, and one reference and key per document (hand-worked quantities, no builder output)."""

from datetime import date
from decimal import Decimal

from billit_sync.billit.orders import NewOrder, NewOrderLine, OrderCustomer
from billit_sync.store.ledger import Document
from billit_sync.sync.exports.recompletion import (
    changes_text,
    completion_row,
    differences,
    document_key,
    document_reference,
    extra_invoice,
    fingerprint,
    snapshot_of,
)


def line(description: str, quantity: str, price: str | None, reference: str = "") -> NewOrderLine:
    return NewOrderLine(
        quantity=Decimal(quantity),
        unit_price_excl=Decimal(price) if price is not None else None,
        description=description,
        reference=reference or None,
        vat_percentage=Decimal(21),
    )


def order(*lines: NewOrderLine) -> NewOrder:
    return NewOrder(
        order_date=date(2026, 1, 20),
        external_provider_id="os-acme-1919",
        customer=OrderCustomer(party_id=7, name="Peeters BV"),
        order_lines=list(lines),
    )


FIRST = order(
    line("Arbeid monteur", "2.5", "55.00", "HT-001"),
    line("Koppelstuk 15 mm", "3", "4.55", "MAT-00001"),
    line("Onderhoud cv-ketel", "0", None),  # the work description: a text line
)
SECOND = order(
    line("Arbeid monteur", "3", "55.00", "HT-001"),
    line("Koppelstuk 15 mm", "2", "4.55", "MAT-00001"),  # one taken back
    line("Kraan", "1", "9.99", "K-100"),  # new
    line("Onderhoud cv-ketel", "0", None),
)


def test_the_changes_between_two_completions() -> None:
    before, after = snapshot_of(FIRST), snapshot_of(SECOND)
    assert {key.split("|")[1]: delta for key, delta in differences(before, after).items()} == {
        "Arbeid monteur": Decimal("0.5"),
        "Koppelstuk 15 mm": Decimal("-1"),
        "Kraan": Decimal("1"),
    }
    assert changes_text(before, after) == "+0.5 Arbeid monteur, +1 Kraan, -1 Koppelstuk 15 mm"
    assert changes_text(before, before) == "="
    assert changes_text(None, after) == "?"
    assert fingerprint(before) != fingerprint(after)
    assert fingerprint(before) == fingerprint(snapshot_of(FIRST))


def test_the_extra_invoice_holds_only_what_was_added() -> None:
    extra = extra_invoice(SECOND, snapshot_of(FIRST), "os-acme-1919-c2")
    assert extra is not None
    assert extra.external_provider_id == "os-acme-1919-c2"
    assert [(li.description, li.quantity) for li in extra.order_lines] == [
        ("Arbeid monteur", Decimal("0.5")),  # 3 - 2.5 h
        ("Kraan", Decimal("1")),  # the koppelstuk taken back is not invoiced negative
    ]
    assert extra_invoice(FIRST, snapshot_of(SECOND), "x") is not None  # 3 - 2 koppelstukken
    assert extra_invoice(FIRST, snapshot_of(FIRST), "x") is None  # nothing added


def test_each_document_of_each_completion_has_its_own_reference_and_key() -> None:
    assert completion_row("1919", 1) == "1919"
    assert completion_row("1919", 2) == "1919-c2"
    references = {
        document_reference("acme", "1919", completion, document)
        for completion in (1, 2, 3)
        for document in Document
    }
    assert len(references) == 6
    assert document_reference("acme", "1919", 1, Document.INVOICE) == "os-acme-1919"
    assert document_reference("acme", "1919", 2, Document.CREDIT_NOTE) == "os-acme-1919-c2-cn"
    key = "0123456789abcdef0123456789abcdef"
    assert document_key(key, Document.INVOICE) == key
    credit = document_key(key, Document.CREDIT_NOTE)
    assert credit != key and credit.isalnum() and credit == document_key(key, Document.CREDIT_NOTE)
