"""The import worker handler on an SQS event: one tenant's import, end to end."""

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import ConnectionStatus
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.sync.imports.service import IMPORT_LEASE
from functions.import_worker import app as import_worker
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import Stack, running_stack, sqs_event

TENANT = "acme"
USER = "an@claes.example"
COMPANY = 512340
OUTSMART_TOKEN = "os-token-acme"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, import_worker) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=COMPANY)
        running.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
        for n in range(3):
            running.billit.add_party(
                COMPANY,
                Name=f"Klant {n}",
                Nr=f"C-{n}",
                PartyType="Customer",
                Street="Markt",
                StreetNumber="1",
                Zipcode="1000",
                City="Brussel",
            )
        running.billit.add_party(COMPANY, Name="Geen Adres BV", PartyType="Customer")
        running.billit.add_product(
            COMPANY,
            Reference="MAT-1",
            Description="Koppelstuk",
            AmountExcl=Decimal("4.55"),
            VAT=21,
            Unit="C62",
        )
        yield running


def run(stack: Stack, job: ImportJob, remaining_millis: int = 900_000) -> dict[str, Any]:
    result: dict[str, Any] = import_worker.lambda_handler(
        sqs_event(job.model_dump_json()), FakeLambdaContext(remaining_millis=remaining_millis)
    )
    return result


def panel(stack: Stack) -> list[tuple[str, dict[str, str]]]:
    entries = stack.services.sync_log.page(TENANT, limit=50).entries
    return [(e.message_key, e.params) for e in entries]


def test_an_import_job_imports_logs_and_records_the_time(stack: Stack) -> None:
    assert run(stack, ImportJob(tenant_id=TENANT)) == {"batchItemFailures": []}
    office = stack.outsmart.tenant(OUTSMART_TOKEN)
    assert set(office.relations) == {"C-0", "C-1", "C-2"}
    assert set(office.materials) == {"MAT-1"}

    (finished, params), (skipped, skipped_params) = panel(stack)[:2]
    assert finished == messages.IMPORT_FINISHED
    assert params["counts.customers"] == "3/0/1/0/0/0"  # + deactivated/moved/reported
    assert skipped == messages.IMPORT_RECORDS_SKIPPED
    assert "Geen Adres BV" in skipped_params["records"]
    text = messages.render(finished, params, "en")
    assert "customers 3 created, 0 updated, 1 skipped" in text
    assert stack.services.tenants.get_connection(TENANT).last_import_at is not None


def test_a_second_job_writes_nothing(stack: Stack) -> None:
    run(stack, ImportJob(tenant_id=TENANT))
    posts = sum(1 for c in stack.outsmart.calls if c.method == "POST")
    run(stack, ImportJob(tenant_id=TENANT))
    assert sum(1 for c in stack.outsmart.calls if c.method == "POST") == posts


def test_an_auth_expired_tenant_is_not_imported_and_billit_is_not_called(stack: Stack) -> None:
    stack.services.auth_expiry.expire(TENANT)
    calls = len(stack.billit.calls)
    assert run(stack, ImportJob(tenant_id=TENANT)) == {"batchItemFailures": []}
    assert len(stack.billit.calls) == calls
    assert stack.outsmart.tenant(OUTSMART_TOKEN).relations == {}
    assert stack.services.tenants.get_connection(TENANT).status is ConnectionStatus.AUTH_EXPIRED


def test_a_second_worker_leaves_a_running_import_alone(stack: Stack) -> None:
    assert stack.services.leases.acquire(TENANT, IMPORT_LEASE, "other-worker", 600)
    run(stack, ImportJob(tenant_id=TENANT))
    assert stack.outsmart.tenant(OUTSMART_TOKEN).relations == {}


def test_a_run_out_of_time_queues_its_continuation(stack: Stack) -> None:
    run(stack, ImportJob(tenant_id=TENANT, full=True), remaining_millis=10_000)
    (continuation,) = [ImportJob.model_validate_json(b) for b in stack.drain("ImportJobsQueue")]
    assert continuation == ImportJob(tenant_id=TENANT, full=True, trigger="continuation")
    assert panel(stack)[0][0] == messages.IMPORT_PAUSED
    run(stack, continuation)
    assert set(stack.outsmart.tenant(OUTSMART_TOKEN).materials) == {"MAT-1"}
    assert panel(stack)[0][0] == messages.IMPORT_FINISHED


def test_a_wrong_outsmart_token_is_a_clear_error_for_the_tenant(stack: Stack) -> None:
    stack.outsmart.tenants.pop(OUTSMART_TOKEN)  # OutSmart no longer knows the token
    assert run(stack, ImportJob(tenant_id=TENANT)) == {"batchItemFailures": []}
    key, params = panel(stack)[0]
    assert key == messages.IMPORT_FAILED
    assert OUTSMART_TOKEN not in json.dumps(params)


def test_malformed_messages_are_dropped_not_retried_forever(stack: Stack) -> None:
    result = import_worker.lambda_handler(
        sqs_event("{not json", json.dumps({"tenant_id": "Bad Id"})), FakeLambdaContext()
    )
    assert result == {"batchItemFailures": []}
