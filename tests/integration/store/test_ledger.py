from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.dynamo import Item
from billit_sync.store.ledger import (
    Document,
    ExportLedger,
    LedgerConflictError,
    LedgerState,
    idempotency_key_for,
)
from billit_sync.store.sync_log import (
    SyncLogCategory,
    SyncLogEntry,
    SyncLogLevel,
    SyncLogStore,
)
from tests.integration.store.conftest import START, FakeClock, RecordingSleep

LEASE = 300


@pytest.fixture
def ledger(table: Table, clock: FakeClock, sleep: RecordingSleep) -> ExportLedger:
    return ExportLedger(table, clock, sleep=sleep)


def created(ledger: ExportLedger, row_id: str = "wo-1", owner: str = "worker-a") -> None:
    ledger.claim("acme", row_id, "2026-0042", owner, LEASE)
    ledger.record_created("acme", row_id, owner=owner, order_id="9001", order_number="INV-1")


def test_claim_creates_a_pending_entry(ledger: ExportLedger) -> None:
    entry = ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)

    assert entry.state is LedgerState.PENDING
    assert entry.attempt == 1
    assert entry.idempotency_key == idempotency_key_for("acme", "wo-1", 1)
    assert entry.workorder_no == "2026-0042"
    assert entry.lease_owner == "worker-a"
    assert entry.lease_expires_at == START + timedelta(seconds=LEASE)
    assert entry.created_at == START
    assert ledger.get("acme", "wo-1") == entry


def test_idempotency_key_is_deterministic_and_distinct() -> None:
    assert idempotency_key_for("acme", "wo-1", 1) == idempotency_key_for("acme", "wo-1", 1)
    assert idempotency_key_for("acme", "wo-1", 2) != idempotency_key_for("acme", "wo-1", 1)
    assert idempotency_key_for("acme", "wo-1", 1).isalnum()
    assert idempotency_key_for("other", "wo-1", 1) != idempotency_key_for("acme", "wo-1", 1)


def test_two_claims_one_wins(ledger: ExportLedger) -> None:
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)

    with pytest.raises(LedgerConflictError) as lost:
        ledger.claim("acme", "wo-1", "2026-0042", "worker-b", LEASE)

    assert lost.value.actual is not None
    assert lost.value.actual.lease_owner == "worker-a"
    assert "expected" in str(lost.value)
    assert "state pending" in str(lost.value)


def test_same_owner_may_claim_again(ledger: ExportLedger, clock: FakeClock) -> None:
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    clock.advance(10)
    again = ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    assert again.lease_expires_at == START + timedelta(seconds=10 + LEASE)


def test_expired_lease_can_be_taken_over_keeping_progress(
    ledger: ExportLedger, clock: FakeClock
) -> None:
    created(ledger)
    clock.advance(LEASE)  # worker-a crashed right after Billit accepted the invoice

    taken = ledger.claim("acme", "wo-1", "2026-0042", "worker-b", LEASE)
    assert taken.state is LedgerState.CREATED
    assert taken.order_id == "9001"
    assert taken.lease_owner == "worker-b"
    # The old worker is fenced off.
    with pytest.raises(LedgerConflictError):
        ledger.record_sent("acme", "wo-1", owner="worker-a")


def test_happy_path_to_handled(ledger: ExportLedger, clock: FakeClock) -> None:
    created(ledger)
    clock.advance(1)
    sent = ledger.record_sent("acme", "wo-1", owner="worker-a")
    handled = ledger.record_handled("acme", "wo-1", owner="worker-a")

    assert sent.state is LedgerState.SENT
    assert handled.state is LedgerState.HANDLED
    assert handled.order_id == "9001"
    assert handled.order_number == "INV-1"
    assert handled.lease_owner is None
    assert handled.updated_at == START + timedelta(seconds=1)
    with pytest.raises(LedgerConflictError) as refused:
        ledger.claim("acme", "wo-1", "2026-0042", "worker-b", LEASE)
    assert refused.value.actual is not None
    assert refused.value.actual.state is LedgerState.HANDLED


def test_record_created_is_repeatable_with_the_same_order_only(ledger: ExportLedger) -> None:
    created(ledger)
    again = ledger.record_created(
        "acme", "wo-1", owner="worker-a", order_id="9001", order_number=None
    )
    assert again.state is LedgerState.CREATED
    assert again.order_number == "INV-1"
    with pytest.raises(LedgerConflictError):
        ledger.record_created("acme", "wo-1", owner="worker-a", order_id="9002", order_number=None)


def test_steps_require_the_lease(ledger: ExportLedger) -> None:
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    with pytest.raises(LedgerConflictError):
        ledger.record_created("acme", "wo-1", owner="intruder", order_id="1", order_number=None)
    with pytest.raises(LedgerConflictError) as missing:
        ledger.record_created("acme", "wo-404", owner="worker-a", order_id="1", order_number=None)
    assert missing.value.actual is None
    assert "no entry" in str(missing.value)


def test_handled_requires_an_invoice(ledger: ExportLedger) -> None:
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    with pytest.raises(LedgerConflictError):
        ledger.record_handled("acme", "wo-1", owner="worker-a")


def test_failed_is_not_claimed_until_reset(ledger: ExportLedger) -> None:
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    failed = ledger.record_failed(
        "acme", "wo-1", owner="worker-a", kind="unknown_material", reason="K-100 has no product"
    )
    assert failed.state is LedgerState.FAILED
    assert failed.failed_from is LedgerState.PENDING
    assert failed.failure_kind == "unknown_material"
    assert failed.lease_owner is None
    with pytest.raises(LedgerConflictError):
        ledger.claim("acme", "wo-1", "2026-0042", "worker-b", LEASE)

    reset = ledger.reset_for_retry("acme", "wo-1")
    assert reset.state is LedgerState.PENDING
    assert reset.attempt == 2
    assert reset.idempotency_key == idempotency_key_for("acme", "wo-1", 2)
    assert reset.failure_kind is None
    assert reset.failure_reason is None
    assert ledger.claim("acme", "wo-1", "2026-0042", "worker-b", LEASE).attempt == 2
    with pytest.raises(LedgerConflictError):
        ledger.reset_for_retry("acme", "wo-1")  # not failed any more


def test_reset_after_an_invoice_exists_never_makes_a_second_one(ledger: ExportLedger) -> None:
    created(ledger)
    ledger.record_sent("acme", "wo-1", owner="worker-a")
    ledger.record_failed(
        "acme", "wo-1", owner="worker-a", kind="outsmart_refused", reason="work order locked"
    )

    reset = ledger.reset_for_retry("acme", "wo-1")
    assert reset.state is LedgerState.SENT
    assert reset.attempt == 1
    assert reset.order_id == "9001"
    assert reset.idempotency_key == idempotency_key_for("acme", "wo-1", 1)


def test_release_only_by_the_owner(ledger: ExportLedger) -> None:
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    with pytest.raises(LedgerConflictError):
        ledger.release("acme", "wo-1", "worker-b")
    released = ledger.release("acme", "wo-1", "worker-a")
    assert released.lease_owner is None
    assert released.lease_expires_at is None
    assert ledger.claim("acme", "wo-1", "2026-0042", "worker-b", LEASE).lease_owner == "worker-b"


def test_find_by_order_id_and_invoice_status(ledger: ExportLedger, clock: FakeClock) -> None:
    created(ledger)
    found = ledger.find_by_order_id("acme", "9001")
    assert found is not None
    assert found.row_id == "wo-1"
    assert ledger.find_by_order_id("acme", "9999") is None
    assert ledger.find_by_order_id("other-co", "9001") is None

    clock.advance(60)
    ledger.transition_invoice_status(found, "refused", "VAT number unknown")
    updated = ledger.get("acme", "wo-1")
    assert updated is not None
    assert updated.invoice_status == "refused"
    assert updated.invoice_status_detail == "VAT number unknown"
    assert updated.invoice_status_at == START + timedelta(seconds=60)
    ledger.transition_invoice_status(updated, "paid", None)
    paid = ledger.get("acme", "wo-1")
    assert paid is not None
    assert paid.invoice_status_detail is None
    assert paid.state is LedgerState.CREATED  # webhooks never move the export state


def test_invoice_status_needs_an_invoice(ledger: ExportLedger) -> None:
    pending = ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    with pytest.raises(LedgerConflictError):
        ledger.transition_invoice_status(pending, "paid", None)
    missing = pending.model_copy(update={"row_id": "wo-404"})
    with pytest.raises(LedgerConflictError):
        ledger.transition_invoice_status(missing, "paid", None)


def test_get_many_and_list_failed(ledger: ExportLedger) -> None:
    for n in range(150):
        ledger.claim("acme", f"wo-{n}", f"2026-{n:04d}", "worker-a", LEASE)
    for n in (3, 77, 149):
        ledger.record_failed("acme", f"wo-{n}", owner="worker-a", kind="k", reason="r")

    many = ledger.get_many("acme", [f"wo-{n}" for n in range(0, 200, 2)])
    assert len(many) == 75
    assert many["wo-148"].workorder_no == "2026-0148"
    assert sorted(e.row_id for e in ledger.list_failed("acme")) == ["wo-149", "wo-3", "wo-77"]


def test_tenant_isolation(ledger: ExportLedger) -> None:
    created(ledger)
    assert ledger.get("other-co", "wo-1") is None
    assert ledger.get_many("other-co", ["wo-1"]) == {}
    assert list(ledger.list_failed("other-co")) == []
    # The same row id in another tenant is a different work order.
    other = ledger.claim("other-co", "wo-1", "2026-0001", "worker-b", LEASE)
    assert other.state is LedgerState.PENDING
    assert other.idempotency_key != idempotency_key_for("acme", "wo-1", 1)


def test_a_status_transition_is_conditional_on_the_status_read(ledger: ExportLedger) -> None:
    created(ledger)
    entry = ledger.get("acme", "wo-1")
    assert entry is not None and entry.invoice_status is None

    ledger.transition_invoice_status(entry, "delivered", "Peppol")
    # A second processor that read the same (old) entry loses: nothing is overwritten.
    with pytest.raises(LedgerConflictError) as lost:
        ledger.transition_invoice_status(entry, "refused", "too late")
    assert lost.value.actual is not None
    assert lost.value.actual.invoice_status == "delivered"
    fresh = ledger.get("acme", "wo-1")
    assert fresh is not None
    assert (fresh.invoice_status, fresh.invoice_status_detail) == ("delivered", "Peppol")
    ledger.transition_invoice_status(fresh, "paid", None)
    paid = ledger.get("acme", "wo-1")
    assert paid is not None and paid.invoice_status == "paid"


def test_open_invoices_are_those_with_an_order_and_no_final_status(ledger: ExportLedger) -> None:
    for row in ("wo-1", "wo-2", "wo-3"):
        created(ledger, row)
    ledger.claim("acme", "wo-4", "2026-0004", "worker-a", LEASE)  # no invoice yet
    for row, status in (("wo-2", "refused"), ("wo-3", "paid")):
        entry = ledger.get("acme", row)
        assert entry is not None
        ledger.transition_invoice_status(entry, status, None)

    open_rows = {e.row_id for e in ledger.list_open_invoices("acme", frozenset({"paid"}))}

    assert open_rows == {"wo-1", "wo-2"}


def credited(ledger: ExportLedger, row_id: str = "wo-1-c2") -> None:
    """A re-completion's entry: its credit note first (while pending), then its invoice."""
    ledger.claim("acme", row_id, "2026-0042", "worker-a", LEASE)
    ledger.record_credit_note(
        "acme", row_id, owner="worker-a", order_id="7001", order_number="CN-1"
    )
    ledger.record_created("acme", row_id, owner="worker-a", order_id="9002", order_number="INV-2")


def test_a_credit_note_is_found_by_its_own_order_id(ledger: ExportLedger) -> None:
    credited(ledger)

    by_credit = ledger.find_by_order_id("acme", "7001")
    by_invoice = ledger.find_by_order_id("acme", "9002")

    assert by_credit is not None and by_invoice is not None
    assert by_credit.row_id == by_invoice.row_id == "wo-1-c2"
    assert by_credit.document_of("7001") is Document.CREDIT_NOTE
    assert by_invoice.document_of("9002") is Document.INVOICE
    assert (by_credit.number_of(Document.CREDIT_NOTE), by_credit.number_of(Document.INVOICE)) == (
        "CN-1",
        "INV-2",
    )
    assert ledger.find_by_order_id("other-co", "7001") is None


def test_a_credit_note_has_its_own_conditional_status(
    ledger: ExportLedger, clock: FakeClock
) -> None:
    credited(ledger)
    entry = ledger.get("acme", "wo-1-c2")
    assert entry is not None

    clock.advance(60)
    ledger.transition_invoice_status(
        entry, "refused", "Unknown reference", (), Document.CREDIT_NOTE
    )
    # A second processor that read the same (old) entry loses: nothing is overwritten.
    with pytest.raises(LedgerConflictError) as lost:
        ledger.transition_invoice_status(entry, "delivered", None, (), Document.CREDIT_NOTE)
    assert lost.value.actual is not None
    assert lost.value.actual.credit_note_status == "refused"

    stored = ledger.get("acme", "wo-1-c2")
    assert stored is not None
    assert (stored.credit_note_status, stored.credit_note_status_detail) == (
        "refused",
        "Unknown reference",
    )
    assert stored.credit_note_status_at == START + timedelta(seconds=60)
    assert (stored.invoice_status, stored.invoice_status_detail) == (None, None)
    # The invoice's own transition is conditional on the invoice's status only.
    ledger.transition_invoice_status(stored, "delivered", "Peppol")
    both = ledger.get("acme", "wo-1-c2")
    assert both is not None
    assert (both.invoice_status, both.credit_note_status) == ("delivered", "refused")


def test_a_credit_note_without_an_invoice_yet_has_a_status_of_its_own(
    ledger: ExportLedger,
) -> None:
    # A crash between the credit note and the new invoice: the credit note is still followed.
    ledger.claim("acme", "wo-1-c2", "2026-0042", "worker-a", LEASE)
    pending = ledger.record_credit_note(
        "acme", "wo-1-c2", owner="worker-a", order_id="7001", order_number=None
    )
    ledger.transition_invoice_status(pending, "sent", "Peppol", (), Document.CREDIT_NOTE)
    with pytest.raises(LedgerConflictError):  # no invoice: its status cannot be set
        ledger.transition_invoice_status(pending, "sent", "Peppol")
    finals = frozenset({"paid"})
    (open_entry,) = ledger.list_open_invoices("acme", finals)
    assert open_entry.open_documents(finals) == [Document.CREDIT_NOTE]


def test_a_pointer_whose_entry_names_another_credit_note_finds_nothing(
    ledger: ExportLedger,
) -> None:
    credited(ledger)
    # A second credit note for the same completion is refused; its pointer, written first,
    # stays behind and must not lead a webhook about it to this entry.
    ledger.claim("acme", "wo-1-c2", "2026-0042", "worker-a", LEASE)
    with pytest.raises(LedgerConflictError):
        ledger.record_credit_note(
            "acme", "wo-1-c2", owner="worker-a", order_id="7002", order_number="CN-2"
        )
    assert ledger.find_by_order_id("acme", "7002") is None
    found = ledger.find_by_order_id("acme", "7001")
    assert found is not None and found.credit_note_id == "7001"


def test_open_documents_are_each_document_not_yet_final(ledger: ExportLedger) -> None:
    credited(ledger)
    finals = frozenset({"paid"})
    entry = ledger.get("acme", "wo-1-c2")
    assert entry is not None
    assert entry.open_documents(finals) == [Document.INVOICE, Document.CREDIT_NOTE]

    entry = ledger.transition_invoice_status(entry, "paid", None)
    (still_open,) = ledger.list_open_invoices("acme", finals)
    assert still_open.open_documents(finals) == [Document.CREDIT_NOTE]
    ledger.transition_invoice_status(entry, "paid", None, (), Document.CREDIT_NOTE)
    assert list(ledger.list_open_invoices("acme", finals)) == []


def _log_item(sync_log: SyncLogStore, clock: FakeClock, key: str) -> tuple[str, Item]:
    entry = SyncLogEntry(
        tenant_id="acme",
        at=clock(),
        category=SyncLogCategory.EXPORT,
        level=SyncLogLevel.INFO,
        message_key=key,
        workorder_no="2026-0042",
    )
    return sync_log.table_name, sync_log.prepare(entry)[1]


def test_handled_and_its_log_entries_are_written_together(
    ledger: ExportLedger, sync_log_table: Table, clock: FakeClock
) -> None:
    """Issue 16: one transaction for the ledger's ``handled`` and the log panel's entries."""
    sync_log = SyncLogStore(sync_log_table, clock, retention_days=90)
    created(ledger)

    ledger.record_handled_with_log(
        "acme",
        "wo-1",
        owner="worker-a",
        log_items=[_log_item(sync_log, clock, "a"), _log_item(sync_log, clock, "b")],
    )

    entry = ledger.get("acme", "wo-1")
    assert entry is not None and entry.state is LedgerState.HANDLED
    assert entry.lease_owner is None
    assert sorted(e.message_key for e in sync_log.page("acme").entries) == ["a", "b"]


def test_handled_with_log_writes_neither_when_the_lease_is_lost(
    ledger: ExportLedger, sync_log_table: Table, clock: FakeClock
) -> None:
    sync_log = SyncLogStore(sync_log_table, clock, retention_days=90)
    created(ledger)

    with pytest.raises(LedgerConflictError) as lost:
        ledger.record_handled_with_log(
            "acme", "wo-1", owner="intruder", log_items=[_log_item(sync_log, clock, "a")]
        )

    assert lost.value.actual is not None
    assert lost.value.actual.state is LedgerState.CREATED
    assert sync_log.page("acme").entries == []  # no entry for a transition that did not happen


def test_a_failure_and_the_entry_that_says_why_are_written_together(
    ledger: ExportLedger, sync_log_table: Table, clock: FakeClock
) -> None:
    """Both or neither: a failed entry is never claimed again, so one without its log-panel
    entry would leave the work order uninvoiced with nothing said."""
    sync_log = SyncLogStore(sync_log_table, clock, retention_days=90)
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    taken = _log_item(sync_log, clock, "export.workorder_deleted")
    sync_log_table.put_item(Item=taken[1])  # its id is taken: the entry cannot be written

    def fail(log_item: tuple[str, Item]) -> None:
        ledger.record_failed_with_log(
            "acme", "wo-1", owner="worker-a", kind="user_fixable", reason="r", log_item=log_item
        )

    with pytest.raises(ClientError, match="TransactionCanceled"):
        fail(taken)
    entry = ledger.get("acme", "wo-1")
    assert entry is not None and entry.state is LedgerState.PENDING  # in flight: retried

    fail(_log_item(sync_log, clock, "export.workorder_deleted"))
    entry = ledger.get("acme", "wo-1")
    assert entry is not None
    assert (entry.state, entry.failed_from, entry.lease_owner) == (
        LedgerState.FAILED,
        LedgerState.PENDING,
        None,
    )
    assert len(sync_log.page("acme").entries) == 2
    with pytest.raises(LedgerConflictError):  # only under the lease, only once
        fail(_log_item(sync_log, clock, "export.workorder_deleted"))
    assert len(sync_log.page("acme").entries) == 2


def test_an_outage_and_the_entry_that_says_it_are_written_together(
    ledger: ExportLedger, sync_log_table: Table, clock: FakeClock
) -> None:
    """Both or neither: an outage remembered without its log-panel entry would keep the next
    report back for the whole reminder interval while the office knows nothing."""
    sync_log = SyncLogStore(sync_log_table, clock, retention_days=90)
    ledger.claim("acme", "wo-1", "2026-0042", "worker-a", LEASE)
    remind = timedelta(hours=6)
    written = _log_item(sync_log, clock, "export.outage")
    sync_log_table.put_item(Item=written[1])  # its id is taken: the entry cannot be written

    with pytest.raises(ClientError, match="TransactionCanceled"):
        ledger.record_outage("acme", "wo-1", remind_after=remind, log_item=written)

    entry = ledger.get("acme", "wo-1")
    assert entry is not None and entry.outage_at is None  # not remembered: said next time
    assert ledger.record_outage(
        "acme", "wo-1", remind_after=remind, log_item=_log_item(sync_log, clock, "export.outage")
    )
    entry = ledger.get("acme", "wo-1")
    assert entry is not None and entry.outage_at == START
    assert [e.message_key for e in sync_log.page("acme").entries] == ["export.outage"] * 2

    clock.advance(3600)  # told an hour ago: not again, and no entry
    assert not ledger.record_outage(
        "acme", "wo-1", remind_after=remind, log_item=_log_item(sync_log, clock, "export.outage")
    )
    assert len(sync_log.page("acme").entries) == 2
