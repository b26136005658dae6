"""A work order completed again after its invoice (issue 12): found by discovery, said in the
log panel naming the earlier invoice and what changed, handled per the tenant's setting (notify
only; an extra invoice for what was added; a credit note plus a new invoice), marked Handled
again, and exactly once per completion whatever redeliveries, duplicate triggers or crashes.

Money worked out by hand (hour type HT-001 at 55.00, material MAT-00001 at 4.55, 21 % VAT):

| completion | hours | MAT-00001 | excl. VAT                         |
|------------|-------|-----------|-----------------------------------|
| 1st        | 2.5   | 3         | 137.50 + 13.65 = 151.15           |
| 2nd        | 3.0   | 4         | 165.00 + 18.20 = 183.20           |
| added      | 0.5   | 1         |  27.50 +  4.55 =  32.05           |
"""

from decimal import Decimal
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import LedgerState
from billit_sync.sync.exports.jobs import ExportJob, external_reference
from functions.export_worker import app as export_worker
from tests.integration.api.test_export_worker import (
    COMPANY,
    TENANT,
    export,
    office,
    settings,
    work_order,
)
from tests.integration.api.test_export_worker import stack as export_stack
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import Stack, sqs_event
from tests.support.throttling import throttle_one_write_to

stack = export_stack  # the export worker's stack: a tenant with customers and products

REDELIVERY = 400  # past the ledger lease and the visibility timeout


def exported_once(stack: Stack) -> dict[str, Any]:
    """A work order exported (completion 1), then re-opened in OutSmart: half an hour and one
    koppelstuk more, completed again."""
    order = work_order(stack)
    assert export(stack, order["id"]) == []
    stored = office(stack).workorders[order["id"]]
    assert stored["status"] == "Afgehandeld"
    stored["Workperiods"].append(
        {
            "WorkDate": stored["Workperiods"][0]["WorkDate"],
            "BeginTime": "11:00",
            "EndTime": "11:30",
            "TotalTime": "00:30",
            "HourType": "HT-001",
            "EmployeeNr": "",
        }
    )
    stored["Materials"][0]["MaterialNr"] = "4"
    stored["Materials"][0]["MaterialTotalPrice"] = "18,20"
    stored["status"] = "Compleet"
    return order


def discovered(stack: Stack) -> list[ExportJob]:
    stack.services.discovery_service.discover(TENANT)
    return [ExportJob.model_validate_json(body) for body in stack.drain("ExportQueue")]


def deliver(stack: Stack, job: ExportJob, receive_count: int = 1) -> list[str]:
    event = sqs_event(job.model_dump_json(), receive_count=receive_count)
    result = export_worker.lambda_handler(event, FakeLambdaContext())
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def documents(stack: Stack, row_id: str) -> list[dict[str, Any]]:
    prefix = external_reference(TENANT, row_id)
    return [
        stack.billit.order(COMPANY, o["OrderID"])
        for o in stack.billit.orders(COMPANY)
        if str(o.get("ExternalProviderID", "")).startswith(prefix)
    ]


def entries_for(stack: Stack, workorder_no: str) -> list[Any]:
    return [
        e
        for e in stack.services.sync_log.page(TENANT, limit=50).entries
        if e.workorder_no == workorder_no
    ]


def amounts(order: dict[str, Any]) -> list[tuple[Decimal, Decimal]]:
    return sorted(
        (Decimal(str(line["Quantity"])), Decimal(str(line["UnitPriceExcl"])))
        for line in order["OrderLines"]
        if line.get("UnitPriceExcl") and line.get("Quantity")  # not the description line
    )


def first_invoice_number(stack: Stack, row_id: str) -> str:
    entry = stack.services.export_ledger.get(TENANT, row_id)
    assert entry is not None and entry.order_number
    return entry.order_number


def test_discovery_finds_the_recompletion_and_queues_completion_two(stack: Stack) -> None:
    order = exported_once(stack)
    (job,) = discovered(stack)
    assert (job.row_id, job.completion) == (order["id"], 2)


@pytest.mark.parametrize("redelivered", [False, True], ids=["once", "redelivered"])
def test_notify_only_says_it_names_the_earlier_invoice_and_marks_handled_again(
    stack: Stack, redelivered: bool
) -> None:
    order = exported_once(stack)
    (job,) = discovered(stack)

    assert deliver(stack, job) == []
    if redelivered:
        stack.clock.advance(REDELIVERY)
        assert deliver(stack, job, receive_count=2) == []
        assert deliver(stack, job) == []  # and a duplicate trigger

    assert len(documents(stack, order["id"])) == 1  # nothing invoiced
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"
    said = [
        e
        for e in entries_for(stack, order["WorkorderNo"])
        if e.message_key == messages.EXPORT_RECOMPLETED_NOTIFY
    ]
    assert len(said) == 1
    number = first_invoice_number(stack, order["id"])
    text = messages.render(said[0].message_key, said[0].params, "en")
    assert number in text
    assert "+0.5 Arbeid monteur" in text and "+1 Koppelstuk 15 mm" in text
    assert "notify only" in text
    assert "enkel melden" in messages.render(said[0].message_key, said[0].params, "nl")
    entry = stack.services.export_ledger.get(TENANT, f"{order['id']}-c2")
    assert entry is not None and entry.state is LedgerState.HANDLED and entry.order_id is None
    assert discovered(stack) == []  # handled again: nothing more to do


@pytest.mark.parametrize("policy", ["notify", "extra_invoice", "credit_and_reinvoice"])
def test_a_recompletion_is_never_handled_without_its_entry(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    """Handled and the entry that says what was made of the re-completion are one write: a
    throttled log panel leaves the completion in flight, and the redelivery says it once."""
    settings(stack, recompleted=policy)
    order = exported_once(stack)
    (job,) = discovered(stack)
    throttled = throttle_one_write_to(monkeypatch, stack.services.sync_log.table_name)

    assert len(deliver(stack, job)) == 1  # failed: SQS delivers it again
    assert throttled
    entry = stack.services.export_ledger.get(TENANT, f"{order['id']}-c2")
    assert entry is not None and entry.state is not LedgerState.HANDLED
    stack.clock.advance(REDELIVERY)
    assert deliver(stack, job, receive_count=2) == []

    entry = stack.services.export_ledger.get(TENANT, f"{order['id']}-c2")
    assert entry is not None and entry.state is LedgerState.HANDLED
    keys = [e.message_key for e in entries_for(stack, order["WorkorderNo"])]
    recompleted = {
        "notify": messages.EXPORT_RECOMPLETED_NOTIFY,
        "extra_invoice": messages.EXPORT_RECOMPLETED_EXTRA_INVOICE,
        "credit_and_reinvoice": messages.EXPORT_RECOMPLETED_CREDITED,
    }[policy]
    assert keys.count(recompleted) == 1
    assert len(documents(stack, order["id"])) == {"notify": 1, "extra_invoice": 2}.get(policy, 3)


@pytest.mark.parametrize(
    ("policy", "said"),
    [("notify", True), ("extra_invoice", False)],
    ids=["notify-says-it", "extra-invoice-makes-none"],
)
def test_a_recompletion_found_handled_already_invoices_nothing(
    stack: Stack, policy: str, said: bool
) -> None:
    """Handled in OutSmart before the export ran (by the office, or by an earlier delivery
    whose last write failed): no invoice is made for it any more; a completion that makes
    none anyway (notify) is still said and finished."""
    settings(stack, recompleted=policy)
    order = exported_once(stack)
    (job,) = discovered(stack)
    office(stack).workorders[order["id"]]["status"] = "Afgehandeld"

    assert deliver(stack, job) == []

    assert len(documents(stack, order["id"])) == 1
    entry = stack.services.export_ledger.get(TENANT, f"{order['id']}-c2")
    assert entry is not None
    assert (entry.state is LedgerState.HANDLED) is said
    keys = [e.message_key for e in entries_for(stack, order["WorkorderNo"])]
    assert (messages.EXPORT_RECOMPLETED_NOTIFY in keys) is said


@pytest.mark.parametrize("redelivered", [False, True], ids=["once", "redelivered"])
def test_an_extra_invoice_for_what_was_added_exactly_once(stack: Stack, redelivered: bool) -> None:
    settings(stack, recompleted="extra_invoice")
    order = exported_once(stack)
    (job,) = discovered(stack)

    assert deliver(stack, job) == []
    if redelivered:
        stack.clock.advance(REDELIVERY)
        assert deliver(stack, job, receive_count=2) == []
        assert deliver(stack, job) == []

    first, extra = sorted(documents(stack, order["id"]), key=lambda o: o["OrderID"])
    assert extra["ExternalProviderID"] == external_reference(TENANT, order["id"]) + "-c2"
    assert amounts(extra) == [(Decimal("0.5"), Decimal("55")), (Decimal("1"), Decimal("4.55"))]
    assert Decimal(str(extra["TotalExcl"])) == Decimal("32.05")
    assert Decimal(str(first["TotalExcl"])) == Decimal("151.15")  # untouched
    (said,) = [
        e
        for e in entries_for(stack, order["WorkorderNo"])
        if e.message_key == messages.EXPORT_RECOMPLETED_EXTRA_INVOICE
    ]
    text = messages.render(said.message_key, said.params, "en")
    assert first["OrderNumber"] in text and extra["OrderNumber"] in text
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"


@pytest.mark.parametrize("redelivered", [False, True], ids=["once", "redelivered"])
def test_a_credit_note_for_the_earlier_invoice_and_a_new_invoice_exactly_once(
    stack: Stack, redelivered: bool
) -> None:
    settings(stack, recompleted="credit_and_reinvoice", delivery="peppol")
    order = exported_once(stack)
    (job,) = discovered(stack)

    assert deliver(stack, job) == []
    if redelivered:
        stack.clock.advance(REDELIVERY)
        assert deliver(stack, job, receive_count=2) == []
        assert deliver(stack, job) == []

    assert_credited_and_reinvoiced(stack, order)


def assert_credited_and_reinvoiced(stack: Stack, order: dict[str, Any]) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for document in documents(stack, order["id"]):
        by_type.setdefault(document["OrderType"], []).append(document)
    (credit,) = by_type["CreditNote"]
    first, new = sorted(by_type["Invoice"], key=lambda o: o["OrderID"])
    assert credit["AboutInvoiceNumber"] == first["OrderNumber"]
    assert amounts(credit) == amounts(first)
    assert Decimal(str(credit["TotalExcl"])) == Decimal("151.15")
    assert amounts(new) == [(Decimal("3"), Decimal("55")), (Decimal("4"), Decimal("4.55"))]
    assert Decimal(str(new["TotalExcl"])) == Decimal("183.20")
    (said,) = [
        e
        for e in entries_for(stack, order["WorkorderNo"])
        if e.message_key == messages.EXPORT_RECOMPLETED_CREDITED
    ]
    text = messages.render(said.message_key, said.params, "nl")
    for number in (first["OrderNumber"], credit["OrderNumber"], new["OrderNumber"]):
        assert number in text
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"
    entry = stack.services.export_ledger.get(TENANT, f"{order['id']}-c2")
    assert entry is not None and entry.state is LedgerState.HANDLED
    assert entry.credit_note_id == str(credit["OrderID"])


@pytest.mark.parametrize(
    "crash_before_recording", [False, True], ids=["after-recorded", "before-recorded"]
)
def test_a_crash_between_the_credit_note_and_the_new_invoice_credits_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, crash_before_recording: bool
) -> None:
    settings(stack, recompleted="credit_and_reinvoice", delivery="peppol")
    order = exported_once(stack)
    (job,) = discovered(stack)
    ledger = stack.services.export_ledger
    real = ledger.record_credit_note

    def crash(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(ledger, "record_credit_note", real)
        if not crash_before_recording:
            real(*args, **kwargs)
        raise RuntimeError("worker killed between the credit note and the new invoice")

    monkeypatch.setattr(ledger, "record_credit_note", crash)
    assert deliver(stack, job) != []  # the record failed: SQS redelivers it
    kinds = sorted(d["OrderType"] for d in documents(stack, order["id"]))
    assert kinds == ["CreditNote", "Invoice"]  # credited, no new invoice yet

    stack.clock.advance(REDELIVERY)
    assert deliver(stack, job, receive_count=2) == []

    assert_credited_and_reinvoiced(stack, order)


def test_a_second_recompletion_is_completion_three(stack: Stack) -> None:
    settings(stack, recompleted="extra_invoice")
    order = exported_once(stack)
    (job,) = discovered(stack)
    assert deliver(stack, job) == []
    stored = office(stack).workorders[order["id"]]
    stored["Materials"][0]["MaterialNr"] = "6"
    stored["Materials"][0]["MaterialTotalPrice"] = "27,30"  # 6 x 4,55
    stored["status"] = "Compleet"

    (again,) = discovered(stack)
    assert again.completion == 3
    assert deliver(stack, again) == []

    extras = sorted(documents(stack, order["id"]), key=lambda o: o["OrderID"])[1:]
    assert [amounts(extra) for extra in extras] == [
        [(Decimal("0.5"), Decimal("55")), (Decimal("1"), Decimal("4.55"))],
        [(Decimal("2"), Decimal("4.55"))],  # 6 - 4 koppelstukken
    ]


def test_the_export_state_route_shows_the_latest_completion(stack: Stack) -> None:
    settings(stack, recompleted="extra_invoice")
    order = exported_once(stack)
    (job,) = discovered(stack)
    assert deliver(stack, job) == []

    status = stack.services.export_status.read(TENANT, order["WorkorderNo"])
    by_row = stack.services.export_status.read(TENANT, order["id"])

    assert status == by_row
    assert (status.row_id, status.completion, status.state) == (order["id"], 2, "handled")
    extra = sorted(documents(stack, order["id"]), key=lambda o: o["OrderID"])[-1]
    assert status.invoice is not None and status.invoice.number == extra["OrderNumber"]


def test_a_new_invoice_over_a_plausibility_limit_stays_a_draft_with_its_credit_note(
    stack: Stack,
) -> None:
    # Issue 11's hold-back applies to a re-completion's invoice too. By hand: the 1st invoice
    # 151.15 + 31.74 VAT = 182.89 (under 200, sent); the new one 183.20 + 38.47 = 221.67.
    settings(
        stack,
        recompleted="credit_and_reinvoice",
        delivery="peppol",
        limits={"max_invoice_total": "200"},
    )
    order = exported_once(stack)
    (job,) = discovered(stack)

    assert deliver(stack, job) == []

    by_type: dict[str, list[dict[str, Any]]] = {}
    for document in documents(stack, order["id"]):
        by_type.setdefault(document["OrderType"], []).append(document)
    (credit,) = by_type["CreditNote"]
    first, new = sorted(by_type["Invoice"], key=lambda o: o["OrderID"])
    assert first["IsSent"] is True
    assert (credit["IsSent"], new["IsSent"]) == (False, False)  # neither sent
    (held,) = [
        e
        for e in entries_for(stack, order["WorkorderNo"])
        if e.message_key == messages.EXPORT_INVOICE_HELD
    ]
    text = messages.render(held.message_key, held.params, "en")
    assert "EUR 221.67, above the limit of EUR 200" in text and new["OrderNumber"] in text
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"
    entry = stack.services.export_ledger.get(TENANT, f"{order['id']}-c2")
    assert entry is not None and entry.state is LedgerState.HANDLED
