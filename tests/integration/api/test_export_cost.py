"""What one exported work order costs in AWS operations, in steady state (issue 16): a warm
export worker, the tenant connected and imported, its token fresh. The counts are
deterministic, so they are asserted here; ``make bench`` reports the same figures with time.

Per work order: DynamoDB, one read of the connection, the settings and the work order's sighting
together (the sighting recorded by discovery when it first saw the work order, issue 11), the
ledger's claim, one read of every id mapping the invoice needs, the ledger's "created" (and
"sent" when the invoice is sent), and "handled" written in one transaction with its log-panel
entry; Secrets Manager, nothing (the worker's copy of the tenant secret serves the token and
the OutSmart client)."""

from collections import Counter
from collections.abc import Iterator

import pytest

from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from functions.export_worker import app as export_worker
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import (
    BILLIT_USER,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
TOKEN = "os-token-cost"
WORK_ORDERS = 10


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, export_worker) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=BILLIT_USER, outsmart_token=TOKEN)
        running.import_master_data(TENANT)
        yield running


def _deliver(stack: Stack, delivery: str) -> None:
    current = stack.services.settings.get(TENANT)
    exports = ExportSettings.model_validate(current.exports.model_dump() | {"delivery": delivery})
    stack.services.settings.put(TENANT, TenantSettings(imports=current.imports, exports=exports))


def _work_orders(stack: Stack, count: int) -> list[str]:
    """Completed work orders, seen by discovery first (as in steady state)."""
    office = stack.outsmart.tenant(TOKEN)
    rows = [
        office.add_workorder(
            CustomerDebtorNr="C-1001",
            Workperiods=[{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}],
            Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": "3", "MaterialPrice": "4,55"}],
        )["id"]
        for _ in range(count)
    ]
    for row in rows:
        stack.services.workorder_sightings.record(TENANT, row, at_connection=False)
    return rows


def _export(stack: Stack, rows: list[str]) -> None:
    event = sqs_event(*(ExportJob(tenant_id=TENANT, row_id=row).model_dump_json() for row in rows))
    assert export_worker.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}


def _count_operations(stack: Stack) -> Counter[tuple[str, str]]:
    calls: Counter[tuple[str, str]] = Counter()
    for service, client in (
        ("dynamodb", stack.services.dynamodb.meta.client),
        ("secretsmanager", stack.services.secretsmanager),
    ):

        def count(service: str = service, **kwargs: object) -> None:
            calls[(service, str(kwargs["event_name"]).rpartition(".")[2])] += 1

        client.meta.events.register(f"before-call.{service}", count)
    return calls


@pytest.mark.parametrize(
    ("delivery", "ledger_writes"),
    [("draft", 2), ("peppol", 3)],  # claim, created, (sent)
)
def test_steady_state_operations_per_work_order(
    stack: Stack, delivery: str, ledger_writes: int
) -> None:
    _deliver(stack, delivery)
    _export(stack, _work_orders(stack, 1))  # the worker is warm, its secret copy read
    rows = _work_orders(stack, WORK_ORDERS)
    calls = _count_operations(stack)

    _export(stack, rows)

    assert all(stack.outsmart.tenant(TOKEN).workorders[r]["status"] == "Afgehandeld" for r in rows)
    per_order = {key: count / WORK_ORDERS for key, count in calls.items()}
    assert per_order == {
        ("dynamodb", "BatchGetItem"): 2,  # connection + settings + sighting; every id mapping
        ("dynamodb", "UpdateItem"): ledger_writes,
        ("dynamodb", "TransactWriteItems"): 1,  # handled + its log-panel entry
    }
    assert sum(per_order.values()) == 3 + ledger_writes <= 6  # 5 for a draft, 6 sent


def test_a_token_refresh_updates_the_workers_copy_of_the_secret(stack: Stack) -> None:
    """The refreshed pair is written through the worker's store, so the next work order uses
    it without reading the secret again (and never an outdated copy)."""
    stack.clock.advance(seconds=50 * 60)  # the access token (1 hour) has 10 minutes left
    _export(stack, _work_orders(stack, 1))  # the worker's copy is read now
    stack.clock.advance(seconds=6 * 60)  # 4 minutes left: inside the 5-minute refresh margin
    calls = _count_operations(stack)

    _export(stack, _work_orders(stack, 2))

    # The refresh re-reads the secret once, under the lease, before spending the refresh
    # token (its two parts: the tokens and the webhook secrets, issue 14, so the write leaves
    # the webhook secrets as they are); everything after uses the copy the write left behind.
    assert calls[("secretsmanager", "GetSecretValue")] == 2
    assert calls[("secretsmanager", "PutSecretValue")] == 1
    stored = stack.services.tenant_secrets.read(TENANT).billit
    cached = stack.services.cached_tenant_secrets.read(TENANT).billit
    assert stored is not None and cached == stored


def _export_triggered_by(stack: Stack, trigger: str) -> None:
    (row,) = _work_orders(stack, 1)
    job = ExportJob(tenant_id=TENANT, row_id=row, trigger=trigger)  # type: ignore[arg-type]
    event = sqs_event(job.model_dump_json())
    assert export_worker.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}


def test_an_export_by_outsmart_s_webhook_is_noted_on_the_connection_hourly(stack: Stack) -> None:
    """The scheduler's safety net needs to know OutSmart's webhook works: the export notes it
    in its last transaction, at most once an hour (no operation of its own)."""
    _export_triggered_by(stack, "discovery")
    assert stack.services.tenants.get_connection(TENANT).outsmart_webhook_at is None

    _export_triggered_by(stack, "webhook")
    first = stack.services.tenants.get_connection(TENANT).outsmart_webhook_at
    assert first == stack.clock.now

    stack.clock.advance(seconds=30 * 60)
    _export_triggered_by(stack, "webhook")
    assert stack.services.tenants.get_connection(TENANT).outsmart_webhook_at == first

    stack.clock.advance(seconds=31 * 60)
    _export_triggered_by(stack, "webhook")
    assert stack.services.tenants.get_connection(TENANT).outsmart_webhook_at == stack.clock.now
