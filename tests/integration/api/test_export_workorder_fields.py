"""OutSmart's work-order fields through discovery and the export worker (issue 11 item 3),
against the OutSmart fake's spec-shaped work orders, the Billit fake and moto.

The stack's clock starts 2026-01-15 09:00 UTC: the tenant connects on 15-01-2026.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import LedgerState, SyncLogLevel
from billit_sync.store.aws_errors import AwsTransientError
from billit_sync.sync.exports.jobs import ExportJob, external_reference
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from functions.export_worker import app as export_worker
from tests.fakes.faults import FaultKind
from tests.fakes.outsmart import OutSmartTenant
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import (
    BILLIT_COMPANY,
    BILLIT_USER,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)
from tests.support.throttling import throttle_one_write_to

TENANT = "acme"
COMPANY = BILLIT_COMPANY
OUTSMART_TOKEN = "os-token-acme"
DAY = 24 * 3600


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, export_worker) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=BILLIT_USER, outsmart_token=OUTSMART_TOKEN)
        running.import_master_data(TENANT)
        office(running).add_workstatus("001", "Wacht op klant")
        office(running).add_workstatus("002", "Slecht weer")
        yield running


def office(stack: Stack) -> OutSmartTenant:
    return stack.outsmart.tenant(OUTSMART_TOKEN)


def settings(stack: Stack, **exports: Any) -> None:
    current = stack.services.settings.get(TENANT)
    updated = ExportSettings.model_validate(current.exports.model_dump() | exports)
    stack.services.settings.put(TENANT, TenantSettings(imports=current.imports, exports=updated))


def work_order(stack: Stack, worked_on: str = "15-01-2026", **fields: Any) -> dict[str, Any]:
    """2:30 of HT-001 (55.00) worked on ``worked_on``, scheduled on another day."""
    defaults: dict[str, Any] = {
        "CustomerDebtorNr": "C-1001",
        "WorkDate": "08-01-2026",  # the scheduled day (desc:1965)
        "Workperiods": [
            {"WorkDate": worked_on, "BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}
        ],
    }
    order: dict[str, Any] = office(stack).add_workorder(**(defaults | fields))
    return order


def export(stack: Stack, *row_ids: str) -> None:
    jobs = [ExportJob(tenant_id=TENANT, row_id=row_id).model_dump_json() for row_id in row_ids]
    result = export_worker.lambda_handler(sqs_event(*jobs), FakeLambdaContext())
    assert result["batchItemFailures"] == []


def discover(stack: Stack) -> list[str]:
    stack.services.discovery_service.discover(TENANT)
    bodies = stack.drain("ExportQueue")
    return sorted(ExportJob.model_validate_json(body).row_id for body in bodies)


def invoices(stack: Stack, row_id: str) -> list[dict[str, Any]]:
    reference = external_reference(TENANT, row_id)
    return [o for o in stack.billit.orders(COMPANY) if o.get("ExternalProviderID") == reference]


def panel(stack: Stack, key: str) -> list[Any]:
    entries = stack.services.sync_log.page(TENANT, limit=100).entries
    return [e for e in entries if e.message_key == key]


# --- dates ---------------------------------------------------------------------------------


def test_invoice_date_is_the_issue_day_and_delivery_date_the_day_of_the_work(stack: Stack) -> None:
    order = work_order(stack, worked_on="15-01-2026", WorkEndDate="08-01-2026")
    stack.clock.advance(2 * DAY)  # invoiced on 17-01

    export(stack, order["id"])

    (invoice,) = invoices(stack, order["id"])
    assert invoice["OrderDate"].startswith("2026-01-17")
    assert invoice["DeliveryDate"].startswith("2026-01-15")  # not the scheduled 08-01
    assert invoice["ExpiryDate"].startswith("2026-02-16")  # 30 days after 17-01


def test_the_cut_off_follows_what_was_complete_at_connection_not_the_scheduled_dates(
    stack: Stack,
) -> None:
    # Already Compleet when the connector first looks: the work days decide.
    before = work_order(stack, worked_on="10-01-2026", WorkDate="20-01-2026")
    undated = work_order(stack, Workperiods=[], Materials=[{"MaterialCode": "MAT-00001"}])
    same_day = work_order(stack, worked_on="15-01-2026", WorkDate="02-01-2026")
    assert discover(stack) == [same_day["id"]]

    # Completed later (the technician synced late): after the connection, whatever the dates.
    stack.clock.advance(DAY)
    late = work_order(stack, worked_on="10-01-2026")
    new_undated = work_order(stack, Workperiods=[], Materials=[{"MaterialCode": "MAT-00001"}])
    assert discover(stack) == sorted([same_day["id"], late["id"], new_undated["id"]])
    assert before["id"] not in discover(stack)
    assert undated["id"] not in discover(stack)

    stack.clock.advance(2 * DAY)
    export(stack, new_undated["id"])
    (invoice,) = invoices(stack, new_undated["id"])
    assert invoice["OrderDate"].startswith("2026-01-18")
    assert invoice["DeliveryDate"].startswith("2026-01-16")  # the day first seen Compleet


# --- WorkFinished = "0" ------------------------------------------------------------------


def test_unfinished_work_is_not_invoiced_and_the_reason_is_shown_once(stack: Stack) -> None:
    order = work_order(stack)
    office(stack).set_unfinished(order["id"], "001")

    assert discover(stack) == []
    stack.clock.advance(7 * 3600)  # later polls, past the usual 6-hour notice interval
    assert discover(stack) == []
    export(stack, order["id"])  # e.g. OutSmart's webhook

    assert invoices(stack, order["id"]) == []
    assert office(stack).workorder(order["id"])["status"] == "Compleet"
    assert office(stack).handled_log == []
    (notice,) = panel(stack, messages.EXPORT_WORK_NOT_FINISHED)
    assert notice.level is SyncLogLevel.WARNING
    assert notice.workorder_no == order["WorkorderNo"]
    assert notice.params["reason"] == "001 Wacht op klant"
    assert "001 Wacht op klant" in messages.render(notice.message_key, notice.params, "nl")

    office(stack).set_unfinished(order["id"], "002")  # another reason: told again
    assert discover(stack) == []
    assert len(panel(stack, messages.EXPORT_WORK_NOT_FINISHED)) == 2

    office(stack).workorder(order["id"])["WorkFinished"] = "1"  # finished after all
    assert discover(stack) == [order["id"]]


def test_an_unfinished_work_order_is_said_again_once_the_log_panel_forgot_it(
    stack: Stack,
) -> None:
    # "Once per work order", but never less than what the log panel keeps (its retention,
    # 90 days): a work order still lying there is never left without its entry.
    order = work_order(stack)
    office(stack).set_unfinished(order["id"], "001")
    assert discover(stack) == []
    stack.clock.advance(89 * DAY)
    assert discover(stack) == []
    assert len(panel(stack, messages.EXPORT_WORK_NOT_FINISHED)) == 1  # not repeated yet

    stack.clock.advance(2 * DAY)  # the entry has expired
    assert panel(stack, messages.EXPORT_WORK_NOT_FINISHED) == []
    assert discover(stack) == []

    (again,) = panel(stack, messages.EXPORT_WORK_NOT_FINISHED)
    assert again.workorder_no == order["WorkorderNo"]


def test_a_notice_that_could_not_be_written_is_written_by_the_next_poll(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = work_order(stack)
    office(stack).set_unfinished(order["id"], "001")
    throttled = throttle_one_write_to(monkeypatch, stack.services.sync_log.table_name)

    with pytest.raises(AwsTransientError):  # the discovery job is retried by SQS
        discover(stack)
    assert throttled
    stack.clock.advance(300)  # the next poll, five minutes later
    assert discover(stack) == []

    assert len(panel(stack, messages.EXPORT_WORK_NOT_FINISHED)) == 1


# --- PaymentMethod -------------------------------------------------------------------------


def test_paid_on_site_is_invoiced_and_marked_paid_on_the_day_of_the_work(stack: Stack) -> None:
    order = work_order(stack, PaymentMethod=" Pin betaling ")
    stack.clock.advance(2 * DAY)

    export(stack, order["id"])

    (invoice,) = invoices(stack, order["id"])
    assert invoice["Paid"] is True
    assert invoice["PaidDate"].startswith("2026-01-15")
    assert Decimal(str(invoice["TotalExcl"])) == Decimal("137.50")  # 2.5 h x 55.00
    (note,) = panel(stack, messages.EXPORT_MARKED_PAID)
    assert note.params["payment_method"] == "Pin betaling"
    assert office(stack).workorder(order["id"])["status"] == "Afgehandeld"


def test_paid_on_site_as_unpaid_invoice_when_the_setting_says_so(stack: Stack) -> None:
    settings(stack, workorders={"paid_on_site": "invoice"})
    order = work_order(stack, PaymentMethod="contact voldaan")

    export(stack, order["id"])

    (invoice,) = invoices(stack, order["id"])
    assert invoice["Paid"] is False
    assert panel(stack, messages.EXPORT_MARKED_PAID) == []


def test_a_fixed_price_quote_is_skipped_with_a_warning_until_the_setting_changes(
    stack: Stack,
) -> None:
    order = work_order(stack, PaymentMethod="conform offerte")

    export(stack, order["id"])

    assert invoices(stack, order["id"]) == []
    assert office(stack).workorder(order["id"])["status"] == "Compleet"
    entry = stack.services.export_ledger.get(TENANT, order["id"])
    assert entry is not None
    assert entry.state is LedgerState.FAILED
    (warning,) = panel(stack, messages.EXPORT_FIXED_PRICE_QUOTE_SKIPPED)
    assert warning.level is SyncLogLevel.WARNING
    assert discover(stack) == []  # no retry loop

    settings(stack, workorders={"fixed_price_quote": "invoice_lines"})
    stack.services.export_ledger.reset_for_retry(TENANT, order["id"])
    export(stack, order["id"])
    assert len(invoices(stack, order["id"])) == 1


def test_an_unknown_payment_method_waits_for_review(stack: Stack) -> None:
    order = work_order(stack, PaymentMethod="Bitcoin")

    export(stack, order["id"])

    assert invoices(stack, order["id"]) == []
    (error,) = panel(stack, messages.EXPORT_UNKNOWN_PAYMENT_METHOD)
    assert error.level is SyncLogLevel.ERROR
    assert "'Bitcoin'" in messages.render(error.message_key, error.params, "en")


# --- the spec's own example --------------------------------------------------------------


def test_the_spec_example_work_order_needs_the_default_hour_type(stack: Stack) -> None:
    settings(stack, only_completed_after_connection=False)
    example = office(stack).spec_example_workorder(CustomerDebtorNr="C-1001", Materials=[])

    export(stack, example["id"])
    assert invoices(stack, example["id"]) == []
    (error,) = panel(stack, messages.EXPORT_MISSING_HOUR_TYPE)
    assert error.params["hours"] == "3:45"

    settings(stack, workorders={"default_hour_type": "HT-001"})
    stack.services.export_ledger.reset_for_retry(TENANT, example["id"])
    export(stack, example["id"])
    (invoice,) = invoices(stack, example["id"])
    assert Decimal(str(invoice["TotalExcl"])) == Decimal("206.25")  # 3.75 h x 55.00
    assert invoice["DeliveryDate"].startswith("2013-09-26")  # worked, not scheduled 11-06
    assert invoice["OrderDate"].startswith("2026-01-15")


def test_a_lost_mark_paid_is_repeated_on_the_resumed_run_without_a_second_invoice(
    stack: Stack,
) -> None:
    order = work_order(stack, PaymentMethod="pin betaling")
    stack.billit.faults.add(FaultKind.SERVER_ERROR, method="PATCH", path="^/v1/orders/", times=-1)

    job = ExportJob(tenant_id=TENANT, row_id=order["id"]).model_dump_json()
    first = export_worker.lambda_handler(sqs_event(job), FakeLambdaContext())
    assert len(first["batchItemFailures"]) == 1  # transient: SQS delivers it again
    (invoice,) = invoices(stack, order["id"])
    assert invoice["Paid"] is False
    entry = stack.services.export_ledger.get(TENANT, order["id"])
    assert entry is not None
    assert entry.state is LedgerState.CREATED

    stack.billit.faults.faults.clear()
    stack.clock.advance(400)
    again = export_worker.lambda_handler(sqs_event(job, receive_count=2), FakeLambdaContext())
    assert again["batchItemFailures"] == []
    (invoice,) = invoices(stack, order["id"])
    assert invoice["Paid"] is True
    assert office(stack).workorder(order["id"])["status"] == "Afgehandeld"
