"""The schedules' fan-out through the real scheduler handler, moto's table and queues: the
right tenants get exactly one job, one tenant's bad item or refused message never stops the
others, messages go out ten per call, and no tenant data is read from Billit or OutSmart."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from billit_sync.store import AwsTransientError, keys
from billit_sync.sync.exports.jobs import DiscoveryJob
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.sync.scheduler import import_due
from billit_sync.tenant_settings import ExportSettings, ImportSettings, TenantSettings
from functions.scheduler import app as scheduler
from tests.support.stack import Stack, running_stack

IMPORTS_OFF = ImportSettings(customers=False, products=False, hour_types=False)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, scheduler) as running:
        yield running


def add_tenant(
    stack: Stack,
    tenant_id: str,
    *,
    status: str = "connected",
    settings: TenantSettings | None = None,
    last_import_minutes_ago: float | None = None,
) -> None:
    tenants = stack.services.tenants
    tenants.register(tenant_id, "nl")
    if status != "never_connected":
        tenants.save_connected(
            tenant_id,
            party_id="512340",
            company_name=f"{tenant_id} BV",
            companies=[],
            environment="sandbox",
        )
    if status == "auth_expired":
        assert tenants.mark_auth_expired(tenant_id)
    elif status == "disconnected":
        assert tenants.mark_disconnected(tenant_id)
    if last_import_minutes_ago is not None:
        finished = stack.clock.now - timedelta(minutes=last_import_minutes_ago)
        assert tenants.record_import_finished(tenant_id, finished)
    if settings is not None:
        stack.services.settings.put(tenant_id, settings)


def run(stack: Stack, job: str) -> dict[str, Any]:
    return stack.invoke(scheduler, {"job": job})


def import_jobs(stack: Stack) -> list[ImportJob]:
    return [ImportJob.model_validate_json(body) for body in stack.drain("ImportJobsQueue")]


def discovery_jobs(stack: Stack) -> list[DiscoveryJob]:
    return [DiscoveryJob.model_validate_json(body) for body in stack.drain("DiscoveryJobsQueue")]


def spy_on_batches(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the number of entries of every ``send_message_batch`` call."""
    sqs = stack.services.sqs
    original = sqs.send_message_batch
    sizes: list[int] = []

    def spy(**kwargs: Any) -> Any:
        sizes.append(len(kwargs["Entries"]))
        return original(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", spy)
    return sizes


def test_only_connected_due_tenants_with_imports_on_get_one_import_job(stack: Stack) -> None:
    hourly = TenantSettings(imports=ImportSettings(interval_minutes=60))
    add_tenant(stack, "never-imported")  # defaults: imports on
    add_tenant(stack, "interval-elapsed", settings=hourly, last_import_minutes_ago=90)
    add_tenant(stack, "imported-lately", settings=hourly, last_import_minutes_ago=20)
    add_tenant(stack, "imports-off", settings=TenantSettings(imports=IMPORTS_OFF))
    add_tenant(stack, "auth-expired", status="auth_expired")
    add_tenant(stack, "disconnected", status="disconnected")
    add_tenant(stack, "never-connected", status="never_connected")

    report = run(stack, "import")

    assert report == {"job": "import", "tenants_queued": 2, "tenants_skipped": 2, "failures": 0}
    queued = import_jobs(stack)
    assert sorted(job.tenant_id for job in queued) == ["interval-elapsed", "never-imported"]
    assert all(job.trigger == "schedule" and not job.full for job in queued)
    assert discovery_jobs(stack) == []
    assert stack.router.calls.call_count == 0  # neither Billit nor OutSmart was asked anything


def test_the_interval_is_per_tenant(stack: Stack) -> None:
    daily = TenantSettings(imports=ImportSettings(interval_minutes=1440))
    quarter = TenantSettings(imports=ImportSettings(interval_minutes=15))
    add_tenant(stack, "daily", settings=daily, last_import_minutes_ago=120)
    add_tenant(stack, "quarter", settings=quarter, last_import_minutes_ago=16)

    assert run(stack, "import")["tenants_queued"] == 1
    assert [job.tenant_id for job in import_jobs(stack)] == ["quarter"]

    stack.clock.advance(23 * 3600)
    assert run(stack, "import")["tenants_queued"] == 2
    assert sorted(job.tenant_id for job in import_jobs(stack)) == ["daily", "quarter"]


def test_a_lagging_index_entry_is_rechecked_against_the_connection(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_tenant(stack, "connected")
    add_tenant(stack, "just-expired", status="auth_expired")
    monkeypatch.setattr(
        stack.services.tenants,
        "list_connected_tenant_ids",
        lambda: iter(["connected", "just-expired"]),
    )

    report = run(stack, "import")

    assert (report["tenants_queued"], report["tenants_skipped"]) == (1, 1)
    assert [job.tenant_id for job in import_jobs(stack)] == ["connected"]


def test_tenants_decided_before_the_listing_failed_are_still_queued(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tenant_id in ("alpha", "beta", "gamma"):
        add_tenant(stack, tenant_id)

    def listing_that_breaks() -> Iterator[str]:
        yield from ("alpha", "beta", "gamma")
        raise AwsTransientError("TenantStore.list_tenant_ids", "ThrottlingException")

    monkeypatch.setattr(stack.services.tenants, "list_connected_tenant_ids", listing_that_breaks)

    with pytest.raises(AwsTransientError):  # the invocation fails; EventBridge retries it
        run(stack, "import")
    assert sorted(job.tenant_id for job in import_jobs(stack)) == ["alpha", "beta", "gamma"]


def test_a_corrupt_settings_item_is_reported_and_the_rest_are_queued(stack: Stack) -> None:
    for tenant_id in ("alpha", "broken", "gamma"):
        add_tenant(stack, tenant_id)
    stack.services.integration_table.put_item(
        Item={
            "pk": keys.tenant_pk("broken"),
            "sk": keys.SETTINGS_SK,
            "tenant_id": "broken",
            "settings": {"imports": {"interval_minutes": 1, "employees": True}},
        }
    )

    report = run(stack, "import")

    assert report == {"job": "import", "tenants_queued": 2, "tenants_skipped": 0, "failures": 1}
    assert sorted(job.tenant_id for job in import_jobs(stack)) == ["alpha", "gamma"]


def test_a_refused_message_is_reported_and_the_rest_are_queued(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tenant_id in ("alpha", "refused", "gamma"):
        add_tenant(stack, tenant_id)
    sqs = stack.services.sqs
    original = sqs.send_message_batch

    def refuse_one(**kwargs: Any) -> Any:
        entries = kwargs["Entries"]
        refused = [e for e in entries if '"refused"' in e["MessageBody"]]
        response = original(**{**kwargs, "Entries": [e for e in entries if e not in refused]})
        failed = [
            {"Id": e["Id"], "SenderFault": True, "Code": "InvalidMessageContents"} for e in refused
        ]
        return {**response, "Failed": failed}

    monkeypatch.setattr(sqs, "send_message_batch", refuse_one)

    report = run(stack, "import")

    assert report == {"job": "import", "tenants_queued": 2, "tenants_skipped": 0, "failures": 1}
    assert sorted(job.tenant_id for job in import_jobs(stack)) == ["alpha", "gamma"]


def test_many_tenants_go_out_in_batches_of_ten(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_ids = [f"tenant-{i:02d}" for i in range(27)]
    for tenant_id in tenant_ids:
        add_tenant(stack, tenant_id)
    add_tenant(stack, "off", settings=TenantSettings(imports=IMPORTS_OFF))
    sizes = spy_on_batches(stack, monkeypatch)

    report = run(stack, "import")

    assert report == {"job": "import", "tenants_queued": 27, "tenants_skipped": 1, "failures": 0}
    assert sorted(sizes, reverse=True) == [10, 10, 7]
    queued = import_jobs(stack)
    assert sorted(job.tenant_id for job in queued) == tenant_ids  # each exactly once


def test_discovery_goes_to_connected_tenants_with_exports_on(stack: Stack) -> None:
    exports_off = TenantSettings(exports=ExportSettings(enabled=False))
    add_tenant(stack, "exporting")
    add_tenant(stack, "imports-only", settings=TenantSettings(imports=IMPORTS_OFF))
    add_tenant(stack, "exports-off", settings=exports_off)
    add_tenant(stack, "auth-expired", status="auth_expired")
    add_tenant(stack, "disconnected", status="disconnected")

    report = run(stack, "discovery")

    assert report == {"job": "discovery", "tenants_queued": 2, "tenants_skipped": 1, "failures": 0}
    queued = discovery_jobs(stack)
    assert sorted(job.tenant_id for job in queued) == ["exporting", "imports-only"]
    assert all(job.trigger == "schedule" for job in queued)
    assert import_jobs(stack) == []
    assert stack.router.calls.call_count == 0


def test_discovery_ignores_the_import_interval(stack: Stack) -> None:
    add_tenant(stack, "imported-lately", last_import_minutes_ago=1)
    assert run(stack, "discovery")["tenants_queued"] == 1
    assert run(stack, "discovery")["tenants_queued"] == 1  # every tick, not every interval
    assert len(discovery_jobs(stack)) == 2


def test_no_connected_tenants_queues_nothing(stack: Stack) -> None:
    assert run(stack, "import") == {
        "job": "import",
        "tenants_queued": 0,
        "tenants_skipped": 0,
        "failures": 0,
    }


def test_an_unknown_job_is_refused(stack: Stack) -> None:
    with pytest.raises(ValidationError):
        run(stack, "export")


NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes_ago", "interval", "due"),
    [
        (None, 60, True),
        (61, 60, True),
        (56, 60, True),  # within the tolerance: the schedule ticks every 15 minutes
        (54, 60, False),
        (14, 15, True),
        (9, 15, False),
        (1439, 1440, True),
        (600, 1440, False),
    ],
)
def test_import_due(minutes_ago: float | None, interval: int, due: bool) -> None:
    last = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    assert import_due(last, interval, NOW) is due


def webhook_seen(stack: Stack, tenant_id: str, ago: timedelta) -> None:
    """OutSmart's webhook triggered an export of the tenant ``ago`` (as the export notes it)."""
    note = stack.services.tenants.outsmart_webhook_seen(tenant_id, stack.clock.now - ago)
    stack.services.dynamodb.meta.client.transact_write_items(TransactItems=[note])  # type: ignore[list-item]


def discovery_ticks(stack: Stack, ticks: int) -> dict[str, int]:
    """Run the discovery schedule ``ticks`` times, 5 minutes apart: jobs queued per tenant."""
    queued: dict[str, int] = {}
    for _ in range(ticks):
        run(stack, "discovery")
        for job in discovery_jobs(stack):
            queued[job.tenant_id] = queued.get(job.tenant_id, 0) + 1
        stack.clock.advance(seconds=5 * 60)
    return queued


@pytest.mark.parametrize(("safety_net_minutes", "polls_in_two_hours"), [(60, 2), (30, 4), (120, 1)])
def test_with_outsmart_s_webhook_working_discovery_is_a_safety_net(
    stack: Stack, safety_net_minutes: int, polls_in_two_hours: int
) -> None:
    """Issue 16: a tenant whose work orders arrive by OutSmart's webhook is polled once per
    its ``discovery_safety_net_minutes``; the others every tick."""
    net = TenantSettings(exports=ExportSettings(discovery_safety_net_minutes=safety_net_minutes))
    add_tenant(stack, "webhooked", settings=net)
    webhook_seen(stack, "webhooked", timedelta(hours=3))
    add_tenant(stack, "polled", settings=net)
    add_tenant(stack, "webhook-gone", settings=net)
    webhook_seen(stack, "webhook-gone", timedelta(days=8))  # a week without: polled again

    queued = discovery_ticks(stack, 24)  # two hours

    assert queued == {"polled": 24, "webhook-gone": 24, "webhooked": polls_in_two_hours}


def test_safety_net_slots_spread_tenants_over_the_ticks(stack: Stack) -> None:
    for number in range(24):
        add_tenant(stack, f"tenant-{number:02d}")
        webhook_seen(stack, f"tenant-{number:02d}", timedelta(minutes=10))

    per_tick = []
    for _ in range(12):  # one hour: the default safety net
        per_tick.append(run(stack, "discovery")["tenants_queued"])
        discovery_jobs(stack)
        stack.clock.advance(seconds=5 * 60)

    assert sum(per_tick) == 24  # each tenant once
    assert max(per_tick) < 24  # not all on the same tick
