"""A re-completion's credit note is followed like the invoice (nothing silent): Billit reports
a credit note's fate through the same webhooks as an invoice's (billit-api.md §5: Message
events and ``Order`` updates name the order, a credit note is an order with ``OrderType:
CreditNote``, §3), and a credit note sent by Peppol can be refused too. Each event about it
ends in the export ledger and the log panel, with texts that say it is the credit note; a
lost one is found by the reconcile.

Through the real handlers under moto and the Billit fake: the export worker makes the credit
note and the new invoice (``credit_and_reinvoice``, by Peppol), the fake signs the events, the
ingestion route queues them and the processor applies them.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import LedgerEntry, SyncLogLevel
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.webhooks import InvoiceStatus
from functions.export_worker import app as export_worker
from functions.management_api import app as management_api
from tests.integration.api.test_billit_status import reconcile_by_schedule, start
from tests.integration.api.test_billit_webhooks import (
    COMPANY,
    OUTSMART_TOKEN,
    PAID_STATUS,
    TENANT,
    deliver_all,
    export_work_order,
    ledger,
    process_queue,
    settings,
    take_deliveries,
    webhook_entries,
)
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import Stack, sqs_event


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield from start(monkeypatch)


def credited_and_reinvoiced(stack: Stack) -> tuple[LedgerEntry, dict[str, Any], dict[str, Any]]:
    """A work order exported by Peppol, re-opened (half an hour more) and completed again
    under ``credit_and_reinvoice``; every event of the exports processed. Gives the second
    completion's ledger entry, the credit note and the new invoice as Billit holds them."""
    row_id, _ = export_work_order(stack, delivery="peppol")
    settings(stack, recompleted="credit_and_reinvoice", delivery="peppol")
    stored = stack.outsmart.tenant(OUTSMART_TOKEN).workorders[row_id]
    stored["Workperiods"].append(
        {**stored["Workperiods"][0], "BeginTime": "11:00", "EndTime": "11:30", "TotalTime": "00:30"}
    )
    stored["status"] = "Compleet"
    stack.services.discovery_service.discover(TENANT)
    (body,) = stack.drain("ExportQueue")
    job = ExportJob.model_validate_json(body)
    assert job.completion == 2
    result = export_worker.lambda_handler(sqs_event(body), FakeLambdaContext())
    assert result["batchItemFailures"] == []
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []
    entry = ledger(stack, f"{row_id}-c2")
    assert entry.credit_note_id is not None and entry.order_id is not None
    credit = stack.billit.order(COMPANY, int(entry.credit_note_id))
    new = stack.billit.order(COMPANY, int(entry.order_id))
    assert (credit["OrderType"], new["OrderType"]) == ("CreditNote", "Invoice")
    return entry, credit, new


def export_status(stack: Stack, workorder_no: str) -> dict[str, Any]:
    """``GET /tenants/{id}/exports/{workorder}`` as OutSmart's work-order screen reads it."""
    response = stack.call(
        management_api, "GET", f"/tenants/{TENANT}/exports/{workorder_no}", tenant_id=TENANT
    )
    assert response["statusCode"] == 200
    body: dict[str, Any] = json.loads(response["body"])
    return body


def rendered(entry: Any, language: messages.Language = "en") -> str:
    return messages.render(entry.message_key, entry.params, language)


def test_both_documents_are_followed_from_the_moment_they_are_sent(stack: Stack) -> None:
    entry, credit, new = credited_and_reinvoiced(stack)

    # Both were sent by Peppol in one send: each its own status, each its own line.
    assert (entry.credit_note_status, entry.invoice_status) == ("sent", "sent")
    lines = [rendered(e) for e in webhook_entries(stack)]
    workorder_no = entry.workorder_no
    assert f"Credit note {credit['OrderNumber']} (work order {workorder_no}) sent via Peppol" in (
        lines
    )
    assert f"Invoice {new['OrderNumber']} sent via Peppol" in lines


@pytest.mark.parametrize("shape", ["current", "flat"])
def test_a_refused_credit_note_reaches_the_ledger_the_log_panel_and_the_export_status(
    stack: Stack, shape: str
) -> None:
    # §5: both Message payload generations name the order the same way for any order type.
    stack.billit.message_detail = shape  # type: ignore[assignment]
    entry, credit, new = credited_and_reinvoiced(stack)
    before = len(webhook_entries(stack))

    stack.billit.set_delivery_state(COMPANY, credit["OrderID"], "Refused", "Unknown reference")
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []

    after = ledger(stack, entry.row_id)
    assert after.credit_note_status == InvoiceStatus.REFUSED
    assert after.credit_note_status_detail == "Unknown reference"
    assert after.invoice_status == InvoiceStatus.SENT  # the new invoice is untouched
    (refusal, *_) = webhook_entries(stack)
    assert len(webhook_entries(stack)) == before + 1
    assert refusal.level is SyncLogLevel.ERROR
    assert refusal.message_key == messages.WEBHOOK_CREDIT_NOTE_REFUSED
    assert (refusal.workorder_no, refusal.invoice_number) == (
        entry.workorder_no,
        credit["OrderNumber"],
    )
    assert rendered(refusal) == (
        f"Credit note {credit['OrderNumber']} (work order {entry.workorder_no}) refused by the "
        "receiver: Unknown reference. The customer has not received the credit; correct it in "
        "Billit and send it again."
    )
    assert rendered(refusal, "nl").startswith(f"Creditnota {credit['OrderNumber']} (werkbon ")

    status = export_status(stack, str(entry.workorder_no))
    assert status["credit_note"] == {
        "order_id": str(credit["OrderID"]),
        "number": credit["OrderNumber"],
        "status": "refused",
        "status_at": status["credit_note"]["status_at"],
    }
    assert status["credit_note"]["status_at"] is not None
    assert status["invoice"]["number"] == new["OrderNumber"]
    assert (status["refused"], status["invoice_status"]) == (False, "sent")
    assert status["last_problem"]["kind"] == "credit_note_refused"
    assert status["last_problem"]["detail"] == "Unknown reference"


def test_a_settled_credit_note_sets_no_paid_work_status(stack: Stack) -> None:
    # The paid work status says the customer paid the work order's invoice; a credit note
    # marked paid (an Order update, §5) says the credit was settled, nothing about the work.
    settings(stack, workstatus_when_paid=PAID_STATUS)
    entry, credit, _ = credited_and_reinvoiced(stack)
    workorders = stack.outsmart.tenant(OUTSMART_TOKEN).workorders
    status_before = workorders[entry.outsmart_row_id]["WorkStatus"]

    stack.billit.mark_paid(COMPANY, credit["OrderID"], "2026-03-02")
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []

    after = ledger(stack, entry.row_id)
    assert (after.credit_note_status, after.invoice_status) == ("paid", "sent")
    assert workorders[entry.outsmart_row_id]["WorkStatus"] == status_before
    assert rendered(webhook_entries(stack)[0]) == (
        f"Credit note {credit['OrderNumber']} (work order {entry.workorder_no}) settled "
        "(marked paid in Billit)"
    )


def test_a_lost_credit_note_refusal_is_found_by_the_reconcile(stack: Stack) -> None:
    entry, credit, _ = credited_and_reinvoiced(stack)
    before = len(webhook_entries(stack))
    stack.clock.advance(3600)
    stack.billit.set_delivery_state(COMPANY, credit["OrderID"], "Refused", "Duplicate")
    take_deliveries(stack)  # lost on the way: never delivered

    reconcile_by_schedule(stack)

    after = ledger(stack, entry.row_id)
    assert after.credit_note_status == InvoiceStatus.REFUSED
    assert after.credit_note_status_detail == "Duplicate"
    assert webhook_entries(stack)[0].message_key == messages.WEBHOOK_CREDIT_NOTE_REFUSED
    reconcile_by_schedule(stack)  # nothing new: no second line
    assert len(webhook_entries(stack)) == before + 1
