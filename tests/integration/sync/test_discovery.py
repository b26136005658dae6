"""Discovery against the OutSmart fake, moto's table and the export queue: exactly the work
orders that still need an invoice are queued, nothing is marked handled in OutSmart, and a
tenant that is not connected or has exports off is not even read."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billit_sync import messages
from billit_sync.outsmart.models import WorkOrder
from billit_sync.store import LedgerState, SyncLogLevel
from billit_sync.sync.exports.discovery import (
    DiscoveryIncompleteError,
    DiscoveryOutcome,
    DiscoverySkip,
    completed_after,
)
from billit_sync.sync.exports.invoice_builder import completion_date
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from tests.fakes.outsmart import OutSmartTenant
from tests.support.stack import Stack, running_stack

TENANT = "acme"
USER = "an@claes.example"
COMPANY = 512340
OUTSMART_TOKEN = "os-token-acme"
OWNER = "export-worker-1"
# The stack's clock starts 2026-01-15 09:00 UTC, so the tenant connects on 15-01-2026.
CONNECTED_DAY = "15-01-2026"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=COMPANY)
        running.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
        yield running


def office(stack: Stack) -> OutSmartTenant:
    return stack.outsmart.tenant(OUTSMART_TOKEN)


def queued(stack: Stack) -> list[ExportJob]:
    return [ExportJob.model_validate_json(body) for body in stack.drain("ExportQueue")]


def add(stack: Stack, row_id: str, work_date: str = "20-01-2026", **fields: Any) -> None:
    office(stack).add_workorder(id=row_id, WorkDate=work_date, **fields)


def set_exports(stack: Stack, **changes: Any) -> None:
    stack.services.settings.put(TENANT, TenantSettings(exports=ExportSettings(**changes)))


def ledger_mix(stack: Stack) -> None:
    """Ledger entries for rows 2001-2005 (work orders still Compleet in OutSmart)."""
    ledger = stack.services.export_ledger
    ledger.claim(TENANT, "2001", "WB-2001", OWNER, 300)  # → handled, yet Compleet: again
    ledger.record_created(TENANT, "2001", owner=OWNER, order_id="9001", order_number="F-1")
    ledger.record_handled(TENANT, "2001", owner=OWNER)
    ledger.claim(TENANT, "2002", "WB-2002", OWNER, 300)  # → failed
    ledger.record_failed(TENANT, "2002", owner=OWNER, kind="user_fixable", reason="material")
    ledger.claim(TENANT, "2003", "WB-2003", "crashed-worker", 60)  # pending, lease runs out
    ledger.claim(TENANT, "2005", "WB-2005", OWNER, 60)  # created, lease released
    ledger.record_created(TENANT, "2005", owner=OWNER, order_id="9005", order_number=None)
    ledger.release(TENANT, "2005", OWNER)
    stack.clock.advance(120)
    ledger.claim(TENANT, "2004", "WB-2004", "busy-worker", 600)  # pending, live lease


def test_exactly_the_work_orders_that_need_an_invoice_are_queued(stack: Stack) -> None:
    add(stack, "1001")  # new
    add(stack, "1002", CONNECTED_DAY)  # completed the day of the connection: counts as after
    # Scheduled before the connection, worked after it (desc:1965-1968 vs desc:2024-2034).
    add(stack, "1003", "10-01-2026", Workperiods=[{"WorkDate": "16-01-2026"}])
    add(stack, "1004", "10-01-2026")  # completed before the connection
    # Scheduled after the connection, but the work was done before it.
    add(
        stack,
        "1006",
        "20-01-2026",
        WorkEndDate="20-01-2026",
        Workperiods=[{"WorkDate": "12-01-2026"}],
    )
    add(stack, "1005", "31-02-2026")  # unreadable date
    for row in ("2001", "2002", "2003", "2004", "2005"):
        add(stack, row)
    ledger_mix(stack)

    report = stack.services.discovery_service.discover(TENANT)

    jobs = queued(stack)
    assert sorted(job.row_id for job in jobs) == ["1001", "1002", "1003", "2001", "2003", "2005"]
    # Handled by the service yet Compleet again: completed again after its invoice (issue 12).
    assert next(j for j in jobs if j.row_id == "2001").completion == 2
    assert {j.completion for j in jobs if j.row_id != "2001"} == {None}
    assert {job.trigger for job in jobs} == {"discovery"}
    assert {job.tenant_id for job in jobs} == {TENANT}
    assert next(j for j in jobs if j.row_id == "1001").workorder_no == "WB-1001"
    assert report.outcome is DiscoveryOutcome.DISCOVERED
    assert report.found == 10
    assert report.queued == 6
    assert report.unreadable == ["1005"]
    assert report.skipped == {
        DiscoverySkip.FAILED.value: 1,
        DiscoverySkip.IN_FLIGHT.value: 1,
        DiscoverySkip.BEFORE_CONNECTION.value: 2,
    }
    # Read only: update_status=false on the one list call, every work order still Compleet.
    (call,) = stack.outsmart.calls_to("GetWorkorders")
    assert call.query["status"] == "Compleet"
    assert call.query["update_status"] == "false"
    assert {order["status"] for order in office(stack).workorders.values()} == {"Compleet"}
    assert office(stack).handled_log == []
    # The ledger is left as it was: discovery never claims.
    assert stack.services.export_ledger.get(TENANT, "1001") is None
    crashed = stack.services.export_ledger.get(TENANT, "2003")
    assert crashed is not None
    assert crashed.state is LedgerState.PENDING


def test_unreadable_work_orders_get_one_warning_that_names_them(stack: Stack) -> None:
    add(stack, "1001")
    add(stack, "1005", "31-02-2026")
    add(stack, "1006", "99-99-2026")

    stack.services.discovery_service.discover(TENANT)
    stack.services.discovery_service.discover(TENANT)  # the next run, minutes later

    entries = [
        e
        for e in stack.services.sync_log.page(TENANT, limit=50).entries
        if e.message_key == messages.DISCOVERY_UNREADABLE_WORKORDERS
    ]
    (warning,) = entries  # not repeated on every run
    assert warning.level is SyncLogLevel.WARNING
    assert warning.params == {"count": "2", "workorders": "1005, 1006"}
    text = messages.render(warning.message_key, warning.params, "en")
    assert "1005, 1006" in text
    assert sorted(job.row_id for job in queued(stack)) == ["1001", "1001"]

    stack.clock.advance(7 * 3600)  # after the notice interval the warning is given again
    stack.services.discovery_service.discover(TENANT)
    again = [
        e
        for e in stack.services.sync_log.page(TENANT, limit=50).entries
        if e.message_key == messages.DISCOVERY_UNREADABLE_WORKORDERS
    ]
    assert len(again) == 2


def test_with_the_setting_off_old_work_orders_are_queued_too(stack: Stack) -> None:
    set_exports(stack, only_completed_after_connection=False)
    add(stack, "1001")
    add(stack, "1004", "10-01-2026")
    add(stack, "1007", "01-03-2020")

    report = stack.services.discovery_service.discover(TENANT)

    assert sorted(job.row_id for job in queued(stack)) == ["1001", "1004", "1007"]
    assert report.skipped == {}


def test_exports_switched_off_queue_nothing_and_do_not_read_outsmart(stack: Stack) -> None:
    set_exports(stack, enabled=False)
    add(stack, "1001")

    report = stack.services.discovery_service.discover(TENANT)

    assert report.outcome is DiscoveryOutcome.EXPORTS_OFF
    assert queued(stack) == []
    assert stack.outsmart.calls_to("GetWorkorders") == []


def test_an_auth_expired_tenant_is_not_read_and_loses_nothing(stack: Stack) -> None:
    add(stack, "1001")
    stack.services.auth_expiry.expire(TENANT)

    report = stack.services.discovery_service.discover(TENANT)

    assert report.outcome is DiscoveryOutcome.NOT_CONNECTED
    assert queued(stack) == []
    assert stack.outsmart.calls == []
    assert office(stack).workorder("1001")["status"] == "Compleet"  # found after reconnecting


def test_a_refused_outsmart_token_is_one_error_for_the_tenant_not_a_retry(stack: Stack) -> None:
    add(stack, "1001")
    stack.outsmart.tenants.pop(OUTSMART_TOKEN)

    first = stack.services.discovery_service.discover(TENANT)
    second = stack.services.discovery_service.discover(TENANT)

    assert first.outcome is second.outcome is DiscoveryOutcome.FAILED
    assert queued(stack) == []
    errors = [
        e
        for e in stack.services.sync_log.page(TENANT, limit=50).entries
        if e.message_key == messages.DISCOVERY_FAILED
    ]
    (error,) = errors
    assert error.level is SyncLogLevel.ERROR
    assert OUTSMART_TOKEN not in str(error.params)


def test_more_than_ten_work_orders_go_out_in_batches_of_ten(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(23):
        add(stack, str(3000 + n))
    sqs = stack.services.sqs
    original = sqs.send_message_batch
    sizes: list[int] = []

    def spy(**kwargs: Any) -> Any:
        sizes.append(len(kwargs["Entries"]))
        return original(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", spy)

    report = stack.services.discovery_service.discover(TENANT)

    assert sizes == [10, 10, 3]
    assert report.queued == 23
    assert len({job.row_id for job in queued(stack)}) == 23


def test_jobs_that_cannot_be_queued_fail_the_run_so_it_is_retried(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(stack, "1001")

    def refuse(**kwargs: Any) -> Any:
        return {
            "Successful": [],
            "Failed": [
                {"Id": e["Id"], "SenderFault": True, "Code": "InvalidMessageContents"}
                for e in kwargs["Entries"]
            ],
        }

    monkeypatch.setattr(stack.services.sqs, "send_message_batch", refuse)
    with pytest.raises(DiscoveryIncompleteError):
        stack.services.discovery_service.discover(TENANT)


# ------------------------------------------------------------------ completion dates
def _order(stack: Stack, **fields: Any) -> WorkOrder:
    return WorkOrder.model_validate(office(stack).add_workorder(**fields))


def _completed(order: WorkOrder) -> str:
    day = completion_date(order)
    assert day is not None
    return day.isoformat()


def test_the_completion_date_is_the_latest_work_period_never_a_scheduled_date(
    stack: Stack,
) -> None:
    ended = _order(
        stack, WorkDate="10-01-2026", WorkEndDate="12-01-2026", Workperiods=[{"WorkDate": ""}]
    )
    assert completion_date(ended) is None  # WorkEndDate is the scheduled end (desc:1967)
    periods = _order(
        stack,
        WorkDate="10-01-2026",
        Workperiods=[{"WorkDate": "14-01-2026"}, {"WorkDate": "11-01-2026"}],
    )
    assert _completed(periods) == "2026-01-14"
    created = _order(stack, WorkDate="09-01-2026", Workperiods=[], CreationDate="2026-01-08 16:00")
    assert completion_date(created) is None
    first_seen = date(2026, 1, 20)
    assert completion_date(created, first_seen) == first_seen


def test_the_connection_day_is_taken_in_outsmarts_time_zone(stack: Stack) -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    order = _order(stack, WorkDate="10-01-2026", Workperiods=[{"WorkDate": "16-01-2026"}])
    # 23:30 UTC on the 15th is already the 16th in Amsterdam: the same day counts as after.
    assert completed_after(order, datetime(2026, 1, 15, 23, 30, tzinfo=UTC), None, zone) is True
    assert completed_after(order, datetime(2026, 1, 16, 23, 30, tzinfo=UTC), None, zone) is False


# ------------------------------------------------- policy skips said once (issue 12)
def skip_entries(stack: Stack) -> list[Any]:
    return [
        e
        for e in stack.services.sync_log.page(TENANT, limit=50).entries
        if e.message_key
        in (messages.EXPORT_SKIPPED_BEFORE_CONNECTION, messages.EXPORT_SKIPPED_UNDATED)
    ]


def test_a_work_order_skipped_by_the_connection_setting_is_said_once_naming_the_setting(
    stack: Stack,
) -> None:
    add(stack, "3001", "10-01-2026", WorkorderNo="WB-3001")  # completed before the connection
    # In the baseline (Compleet at connection) without a work period: before as well.
    add(stack, "3002", "", WorkorderNo="WB-3002", Workperiods=[], CreationDate="")
    add(stack, "3003", WorkorderNo="WB-3003")  # exported

    for _ in range(3):  # every five minutes, while they stay Compleet
        stack.services.discovery_service.discover(TENANT)
        stack.clock.advance(300)

    entries = skip_entries(stack)
    assert sorted((e.workorder_no, e.message_key) for e in entries) == [
        ("WB-3001", messages.EXPORT_SKIPPED_BEFORE_CONNECTION),
        ("WB-3002", messages.EXPORT_SKIPPED_BEFORE_CONNECTION),
    ]
    before = next(e for e in entries if e.workorder_no == "WB-3001")
    assert before.params["completed"] == "10-01-2026"
    assert before.params["connected"] == CONNECTED_DAY
    assert "completed after the connection" in messages.render(
        before.message_key, before.params, "en"
    )
    assert "na de koppeling afgerond" in messages.render(before.message_key, before.params, "nl")


def test_a_skipped_work_order_is_said_again_once_the_log_panel_forgot_it(stack: Stack) -> None:
    # Said once, but a marker never outlives the entry it stands for (the log panel's
    # retention, 90 days): a work order still lying there is never left without one.
    add(stack, "3001", "10-01-2026", WorkorderNo="WB-3001")
    stack.services.discovery_service.discover(TENANT)
    stack.clock.advance(89 * 86_400)
    stack.services.discovery_service.discover(TENANT)
    assert len(skip_entries(stack)) == 1  # not repeated yet

    stack.clock.advance(2 * 86_400)  # the entry has expired
    assert skip_entries(stack) == []
    stack.services.discovery_service.discover(TENANT)

    assert [e.workorder_no for e in skip_entries(stack)] == ["WB-3001"]


def test_no_skip_is_said_with_the_setting_off(stack: Stack) -> None:
    set_exports(stack, only_completed_after_connection=False)
    add(stack, "3101", "10-01-2026")
    stack.services.discovery_service.discover(TENANT)
    assert skip_entries(stack) == []
