"""Nothing silent (issue 12): every user-fixable problem met while exporting is a log-panel
entry with the ledger ``failed`` (never a retry into the dead-letter queue), a refused "work
status after export" finishes the export (Handled) with a warning, and every failed SQS record
is logged at ERROR with its tenant and correlation id."""

import json
import logging
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.errors import UserFixableError
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartValidationError
from billit_sync.sqs_batch import MAX_RECEIVE_COUNT
from billit_sync.store import LedgerState
from billit_sync.store.aws_errors import AwsTransientError
from billit_sync.sync.exports.exporter import OUTAGE_REMINDER
from billit_sync.sync.exports.jobs import ExportJob
from functions.export_worker import app as export_worker
from tests.fakes.faults import FaultKind
from tests.integration.api.test_export_worker import (
    COMPANY,
    TENANT,
    export,
    invoices,
    office,
    settings,
    work_order,
)
from tests.integration.api.test_export_worker import stack as export_stack
from tests.support.lambda_context import FakeLambdaContext
from tests.support.log_capture import captured_service_logs
from tests.support.stack import Stack, sqs_event
from tests.support.throttling import throttle_one_write_to

stack = export_stack  # the export worker's stack: a tenant with customers and products


def ledger_state(stack: Stack, row_id: str) -> LedgerState | None:
    entry = stack.services.export_ledger.get(TENANT, row_id)
    return entry.state if entry is not None else None


def log_lines(raw: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def assert_failed_with(stack: Stack, row_id: str, key: str, *words: str) -> None:
    """The ledger is ``failed`` (not retried), the newest entry is the problem in both
    languages, and nothing was invoiced or marked Handled."""
    assert ledger_state(stack, row_id) is LedgerState.FAILED
    entry = stack.services.sync_log.page(TENANT, limit=1).entries[0]
    assert (entry.message_key, entry.level.value, entry.retryable) == (key, "error", True)
    for language in ("en", "nl"):
        text = messages.render(entry.message_key, entry.params, language)
        assert "{" not in text
        for word in words:
            assert word in text
    assert invoices(stack, row_id) == []


# ------------------------------------------------------------ user-fixable: never the DLQ
def test_a_work_order_deleted_after_it_was_queued_is_said_not_retried(stack: Stack) -> None:
    order = work_order(stack)
    del office(stack).workorders[order["id"]]  # OutSmart answers 1500 (desc:180)

    assert export(stack, order["id"]) == []  # the record succeeds: no redelivery, no DLQ

    assert_failed_with(stack, order["id"], messages.EXPORT_WORKORDER_DELETED, order["id"])


def test_a_failure_is_never_recorded_without_the_entry_that_says_why(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``failed`` entry is never claimed or discovered again: if the log panel's write
    is throttled, the failure must not be recorded either, so the redelivery says it."""
    order = work_order(stack)
    del office(stack).workorders[order["id"]]
    throttled = throttle_one_write_to(monkeypatch, stack.services.sync_log.table_name)
    assert export(stack, order["id"]) == [order["id"]]  # SQS delivers it again
    assert throttled
    assert ledger_state(stack, order["id"]) is not LedgerState.FAILED

    stack.clock.advance(400)  # past the lease and the visibility timeout
    assert export(stack, order["id"], receive_count=2) == []

    assert_failed_with(stack, order["id"], messages.EXPORT_WORKORDER_DELETED, order["id"])


def test_an_unreadable_value_is_said_with_the_field_not_retried(stack: Stack) -> None:
    order = work_order(stack)
    office(stack).workorders[order["id"]]["Workperiods"][0]["WorkDate"] = "31-02-2026"

    assert export(stack, order["id"]) == []

    assert_failed_with(stack, order["id"], messages.EXPORT_INVALID_WORKORDER, "WorkDate")


def test_outsmart_refusing_the_mark_handled_call_is_said_not_retried(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = work_order(stack)

    def refuse(self: OutSmartClient, row_id: str) -> None:
        raise OutSmartValidationError(1504, ["problem parsing the data"], endpoint="GetWorkorder")

    monkeypatch.setattr(OutSmartClient, "mark_workorder_handled", refuse)

    assert export(stack, order["id"]) == []

    assert ledger_state(stack, order["id"]) is LedgerState.FAILED
    entry = stack.services.sync_log.page(TENANT, limit=1).entries[0]
    assert entry.message_key == messages.EXPORT_OUTSMART_REFUSED
    assert "1504" in messages.render(entry.message_key, entry.params, "nl")
    assert len(invoices(stack, order["id"])) == 1  # created before; a retry resumes after it


def test_any_other_user_fixable_error_is_said_not_retried(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = work_order(stack)

    def refuse(self: OutSmartClient, row_id: str) -> Any:
        raise UserFixableError("the work order is locked by another export tool")

    monkeypatch.setattr(OutSmartClient, "get_workorder", refuse)

    assert export(stack, order["id"]) == []

    assert_failed_with(stack, order["id"], messages.EXPORT_NOT_EXPORTED, "locked")


# ----------------------------------------------------- the work status after the export
@pytest.mark.parametrize("strict_update", [False, True], ids=["status-alone", "strict-required"])
def test_a_refused_work_status_finishes_the_export_and_says_so(
    stack: Stack, strict_update: bool
) -> None:
    """Unknown ``sta_code`` (the fake's 1504), or OutSmart insisting on the parameters the
    Blueprint marks required (1501): the invoice exists, so the work order is Handled, the
    ledger ``handled`` (never stuck at ``sent``) and the panel warns."""
    stack.outsmart.update_requires_schedule = strict_update
    if strict_update:
        office(stack).add_workstatus("050", "Gefactureerd")
    # Saved directly: the settings page would refuse an unknown one (tested there).
    settings(stack, delivery="peppol", workstatus_after_export="050" if strict_update else "099")
    order = work_order(stack)

    assert export(stack, order["id"]) == []

    (invoice,) = invoices(stack, order["id"])
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"
    assert ledger_state(stack, order["id"]) is LedgerState.HANDLED
    entries = stack.services.sync_log.page(TENANT, limit=5).entries
    warning = next(e for e in entries if e.message_key == messages.EXPORT_WORKSTATUS_NOT_SET)
    assert warning.level.value == "warning"
    text = messages.render(warning.message_key, warning.params, "en")
    assert "Handled" in text and ("099" in text or "050" in text)
    assert ("1501" if strict_update else "1504") in text
    assert any(e.message_key == messages.EXPORT_INVOICE_SENT for e in entries)
    assert invoice["ExternalProviderID"]


def test_the_work_status_is_set_with_row_id_and_workstatus_only(stack: Stack) -> None:
    """outsmart-api.md §4.1 "Safe": ``row_id`` + ``workstatus``, never a resent WorkDate,
    WorkTime or EmployeeNr (they may be empty and recompute the end date)."""
    office(stack).add_workstatus("050", "Gefactureerd")
    settings(stack, workstatus_after_export="050")
    order = work_order(stack)
    export(stack, order["id"])
    (update,) = [c for c in stack.outsmart.calls if c.endpoint == "UpdateWorkorder"]
    assert set(update.query) == {"row_id", "workstatus"}


# ---------------------------------------------------------- failed records at ERROR
@pytest.mark.parametrize("receive_count", [1, 5])
def test_every_failed_record_is_logged_at_error_with_tenant_and_correlation_id(
    stack: Stack, receive_count: int
) -> None:
    order = work_order(stack)
    stack.billit.faults.add(FaultKind.SERVER_ERROR, method="POST", path="^/v1/orders$", times=-1)
    event = sqs_event(
        ExportJob(tenant_id=TENANT, row_id=order["id"]).model_dump_json(),
        receive_count=receive_count,
    )
    message_id = event["Records"][0]["messageId"]

    with captured_service_logs(logging.INFO) as logs:
        result = export_worker.lambda_handler(event, FakeLambdaContext())

    assert result["batchItemFailures"] == [{"itemIdentifier": message_id}]
    errors = [line for line in log_lines(logs.getvalue()) if line["level"] == "ERROR"]
    (failed,) = [line for line in errors if line.get("worker") == "export"]
    assert failed["tenant_id"] == TENANT
    assert failed["correlation_id"] == message_id
    assert failed["row_id"] == order["id"]
    assert failed["receive_count"] == receive_count
    assert failed["last_delivery"] is (receive_count == 5)
    assert failed["error_kind"] == "transient"


# ------------------------------------------- outages that use up the retries are said
def keys_for(stack: Stack, workorder_no: str) -> list[str]:
    entries = stack.services.sync_log.page(TENANT, limit=50).entries
    return [e.message_key for e in entries if e.workorder_no == workorder_no]


def deliver_all(stack: Stack, row_id: str) -> None:
    """Every delivery SQS makes before it parks the message in the dead-letter queue."""
    for receive in range(1, MAX_RECEIVE_COUNT + 1):
        assert export(stack, row_id, receive_count=receive) == [row_id]
        stack.clock.advance(400)  # past the lease and the visibility timeout


def test_an_outage_that_uses_up_every_delivery_is_said_once_then_the_redrive_leaves_a_trail(
    stack: Stack,
) -> None:
    order = work_order(stack)
    number = order["WorkorderNo"]
    outage = stack.billit.faults.add(
        FaultKind.SERVER_ERROR, method="POST", path="^/v1/orders$", times=-1
    )

    for receive in range(1, MAX_RECEIVE_COUNT):
        assert export(stack, order["id"], receive_count=receive) == [order["id"]]
        stack.clock.advance(400)
    assert keys_for(stack, order["id"]) == []  # retries still to come: nothing to say yet
    assert export(stack, order["id"], receive_count=MAX_RECEIVE_COUNT) == [order["id"]]

    (said,) = [
        e
        for e in stack.services.sync_log.page(TENANT, limit=50).entries
        if e.message_key == messages.EXPORT_OUTAGE
    ]
    assert said.level.value == "warning"
    assert said.workorder_no == order["id"]  # the job carried no number: the row id
    english = messages.render(said.message_key, said.params, "en")
    dutch = messages.render(said.message_key, said.params, "nl")
    assert "retried automatically" in english and "automatisch opnieuw" in dutch
    for text in (english, dutch):
        assert "Billit" in text and str(MAX_RECEIVE_COUNT) in text

    stack.clock.advance(400)
    deliver_all(stack, order["id"])  # discovery queued it again; the outage goes on
    assert keys_for(stack, order["id"]).count(messages.EXPORT_OUTAGE) == 1  # said once

    stack.billit.faults.faults.remove(outage)  # the outage is over: the redrive works
    assert export(stack, order["id"]) == []
    assert len(invoices(stack, order["id"])) == 1
    assert messages.EXPORT_RECOVERED in keys_for(stack, number)
    entry = stack.services.export_ledger.get(TENANT, order["id"])
    assert entry is not None and entry.state is LedgerState.HANDLED and entry.outage_at is None


def test_an_outage_lasting_past_the_reminder_interval_is_said_again(stack: Stack) -> None:
    order = work_order(stack)
    stack.billit.faults.add(FaultKind.SERVER_ERROR, method="POST", path="^/v1/orders$", times=-1)
    deliver_all(stack, order["id"])
    stack.clock.advance(int(OUTAGE_REMINDER.total_seconds()) + 60)
    deliver_all(stack, order["id"])
    assert keys_for(stack, order["id"]).count(messages.EXPORT_OUTAGE) == 2


def test_the_outage_is_said_even_when_giving_the_lease_back_fails_too(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last delivery says the outage before anything else can fail: a ledger that is
    down as well (the lease cannot be given back) must not keep the office uninformed."""
    order = work_order(stack)
    stack.billit.faults.add(FaultKind.SERVER_ERROR, method="POST", path="^/v1/orders$", times=-1)
    for receive in range(1, MAX_RECEIVE_COUNT):
        assert export(stack, order["id"], receive_count=receive) == [order["id"]]
        stack.clock.advance(400)

    def ledger_down(*_: object, **__: object) -> None:
        raise AwsTransientError("ExportLedger.release", "InternalServerError")

    monkeypatch.setattr(stack.services.export_ledger, "release", ledger_down)
    assert export(stack, order["id"], receive_count=MAX_RECEIVE_COUNT) == [order["id"]]

    assert keys_for(stack, order["id"]) == [messages.EXPORT_OUTAGE]


def test_a_work_order_queued_for_export_after_being_skipped_is_said_once(stack: Stack) -> None:
    """A webhook or retry can queue a work order completed before the connection: the
    export worker says why it is not exported, once."""
    old = work_order(stack, WorkDate="01-12-2025", WorkorderNo="WB-OLD-1")
    old_periods = office(stack).workorders[old["id"]]["Workperiods"]
    for period in old_periods:
        period["WorkDate"] = "01-12-2025"
    for _ in range(3):
        assert export(stack, old["id"]) == []
    assert keys_for(stack, "WB-OLD-1") == [messages.EXPORT_SKIPPED_BEFORE_CONNECTION]
    assert invoices(stack, old["id"]) == []


# ----------------------------------------------------------- one name per invoice
def test_every_entry_about_the_invoice_names_billits_invoice_number(stack: Stack) -> None:
    """Billit numbers invoices itself (billit-api.md §3): the number is read back after the
    create, so the export entry does not name the invoice by Billit's internal order id."""
    settings(stack, delivery="peppol")
    order = work_order(stack)

    assert export(stack, order["id"]) == []

    (invoice,) = invoices(stack, order["id"])
    number = stack.billit.order(COMPANY, invoice["OrderID"])["OrderNumber"]
    assert number and number != str(invoice["OrderID"])
    entry = stack.services.sync_log.page(TENANT, limit=1).entries[0]
    assert entry.invoice_number == number
    text = messages.render(entry.message_key, entry.params, "en")
    assert number in text and str(invoice["OrderID"]) not in text
    ledger = stack.services.export_ledger.get(TENANT, order["id"])
    assert ledger is not None and ledger.order_number == number
