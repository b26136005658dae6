"""The connection under faults, asserted through the workers: Billit's token endpoint, Secrets
Manager during the token read and the refreshed tokens' write, the secret lease in DynamoDB,
and Billit webhooks (ingestion and processing). Transient faults are recovered and never turn
a working connection into "auth expired"; a refresh whose answer was lost is transient first
(the secret unchanged), and only Billit's refusal of the spent refresh token expires it.
"""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from billit_sync import messages
from billit_sync.store import ConnectionStatus
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.webhooks import InvoiceStatus
from billit_sync.wiring import TENANT_SECRET_CACHE
from functions.export_worker import app as export_worker
from functions.import_worker import app as import_worker
from functions.webhook_ingestion import app as webhook_ingestion
from functions.webhook_processor import app as webhook_processor
from tests.fakes.faults import FaultKind
from tests.faults.conftest import Faults, Site, fault_knobs
from tests.faults.test_export_faults import (
    COMPANY,
    MAX_RECEIVES,
    OUTSMART_TOKEN,
    REDELIVERY_DELAY,
    TENANT,
    USER,
    assert_exported_once,
    deliver,
    deliver_until_done,
    invoices,
    new_work_order,
    office,
    seed,
)
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import Stack, http_event, running_stack, sqs_event

TOKEN = Site("Billit POST /OAuth2/token", "billit", "POST", r"^/OAuth2/token$")
ORDER_READ = Site("Billit GET /v1/orders/{id}", "billit", "GET", r"^/v1/orders/\d+$")
SET_STATUS = Site("OutSmart UpdateWorkorder", "outsmart", "GET", r"/UpdateWorkorder/?$")
ACCESS_TOKEN_LIFETIME = 3600
PAID_STATUS = "060"


@pytest.fixture(scope="module")
def world() -> Iterator[Faults]:
    with (
        pytest.MonkeyPatch.context() as mp,
        running_stack(
            mp, export_worker, import_worker, webhook_ingestion, webhook_processor
        ) as stack,
        fault_knobs(stack, mp) as knobs,
    ):
        seed(stack)
        office(stack).add_workstatus(PAID_STATUS, "Betaald")
        # The provider's pause between two tries of the secret write: no real waiting.
        mp.setattr("billit_sync.connection.token_provider._WRITE_RETRY_SECONDS", 0.0)
        yield knobs


@pytest.fixture
def faults(world: Faults) -> Iterator[Faults]:
    world.reset()
    yield world
    world.reset()
    stack = world.stack
    if stack.services.tenants.get_connection(TENANT).status is not ConnectionStatus.CONNECTED:
        stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)


def stored_tokens(stack: Stack) -> tuple[str, str]:
    billit = stack.services.tenant_secrets.read(TENANT).billit
    assert billit is not None
    return billit.access_token.get_secret_value(), billit.refresh_token.get_secret_value()


def status(stack: Stack) -> ConnectionStatus:
    return stack.services.tenants.get_connection(TENANT).status


def auth_expired_entries(stack: Stack) -> int:
    entries = stack.services.sync_log.page(TENANT, limit=100).entries
    return sum(1 for e in entries if e.message_key == messages.AUTH_EXPIRED)


def expire_the_access_token(stack: Stack) -> None:
    stack.clock.advance(ACCESS_TOKEN_LIFETIME)


# ------------------------------------------------------------------- Billit token
@pytest.mark.parametrize(
    "kind",
    [
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER_ERROR,
        FaultKind.CONNECT_ERROR,
        FaultKind.TIMEOUT_BEFORE_SEND,
    ],
)
def test_a_token_refresh_that_never_reached_billit_is_recovered(
    faults: Faults, kind: FaultKind
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    expire_the_access_token(stack)
    before = stored_tokens(stack)
    expired_before = auth_expired_entries(stack)
    refreshes = stack.billit.refresh_count()
    fault = faults.inject(TOKEN, kind, times=2)

    deliver_until_done(stack, [row_id])

    assert fault.times == 0
    assert_exported_once(stack, row_id)
    assert stored_tokens(stack) != before
    assert stack.billit.refresh_count() == refreshes + 1  # one rotation, none wasted
    assert status(stack) is ConnectionStatus.CONNECTED
    assert auth_expired_entries(stack) == expired_before
    faults.retries.assert_bounded()


@pytest.mark.parametrize(
    "kind", [FaultKind.TIMEOUT_AFTER_SEND, FaultKind.SERVER_ERROR_AFTER, FaultKind.MALFORMED_BODY]
)
def test_a_refresh_whose_answer_was_lost_is_transient_and_leaves_the_secret_alone(
    faults: Faults, kind: FaultKind
) -> None:
    """Billit rotated the pair but the answer never arrived. The import worker (whose first
    Billit call is a read) fails its record transiently and the secret keeps the old pair;
    the connection is still connected. As ``TokenRefreshOutcomeUnknownError`` documents,
    Billit then refuses the spent refresh token: the connection becomes auth expired once,
    nothing is exported (or lost) meanwhile, and after the reconnect the work order is
    exported once."""
    stack = faults.stack
    row_id = new_work_order(stack)
    expire_the_access_token(stack)
    before = stored_tokens(stack)
    expired_before = auth_expired_entries(stack)
    faults.inject(TOKEN, kind, times=1)

    result = import_worker.lambda_handler(
        sqs_event(ImportJob(tenant_id=TENANT).model_dump_json()), FakeLambdaContext()
    )
    assert len(result["batchItemFailures"]) == 1  # transient: SQS redelivers it
    assert stored_tokens(stack) == before
    assert status(stack) is ConnectionStatus.CONNECTED
    assert auth_expired_entries(stack) == expired_before

    stack.clock.advance(REDELIVERY_DELAY)
    assert deliver([row_id], 1) == []  # Billit refuses the spent token: let go, not retried
    assert status(stack) is ConnectionStatus.AUTH_EXPIRED
    assert auth_expired_entries(stack) == expired_before + 1
    assert invoices(stack, row_id) == []
    assert office(stack).workorders[row_id]["status"] == "Compleet"  # rediscovered later

    stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
    assert deliver_until_done(stack, [row_id]) == 1
    assert_exported_once(stack, row_id)


# --------------------------------------------------------------- Secrets Manager
def _tenant_secret(request: dict[str, Any]) -> bool:
    return "/tenants/" in str(request.get("SecretId", ""))


WEBHOOK_SECRET_CACHE_SECONDS = 15  # WebhookSecretReader's default max age


def _webhook_secret(request: dict[str, Any]) -> bool:
    """What the ingestion function reads (issue 14: never the token secret)."""
    return "/webhooks/" in str(request.get("SecretId", ""))


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "InternalServiceError", "EndpointConnectionError"]
)
def test_the_tenant_secret_unreadable_during_the_token_read_is_transient(
    faults: Faults, code: str
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    expired_before = auth_expired_entries(stack)
    # The worker's copy of the secret has expired (issue 16), so the token is read from
    # Secrets Manager again.
    stack.clock.advance(seconds=TENANT_SECRET_CACHE.total_seconds())
    fault = faults.secrets.add("GetSecretValue", code, times=2, when=_tenant_secret)

    assert deliver_until_done(stack, [row_id]) >= 2

    assert fault.fired == 2
    assert_exported_once(stack, row_id)
    assert status(stack) is ConnectionStatus.CONNECTED
    assert auth_expired_entries(stack) == expired_before


@pytest.mark.parametrize("code", ["ThrottlingException", "EndpointConnectionError"])
@pytest.mark.parametrize("times", [1, 2])
def test_the_refreshed_tokens_write_is_retried_until_stored(
    faults: Faults, code: str, times: int
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    expire_the_access_token(stack)
    before = stored_tokens(stack)
    fault = faults.secrets.add("PutSecretValue", code, times=times, when=_tenant_secret)

    assert deliver_until_done(stack, [row_id]) == 1  # the provider's own write retries

    assert fault.fired == times
    assert stored_tokens(stack) != before
    assert_exported_once(stack, row_id)
    assert status(stack) is ConnectionStatus.CONNECTED


@pytest.mark.parametrize(("operation", "step"), [("PutItem", "take"), ("DeleteItem", "give up")])
def test_the_secret_lease_throttled_during_the_refresh_is_transient(
    faults: Faults, operation: str, step: str
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    expire_the_access_token(stack)
    refreshes = stack.billit.refresh_count()
    fault = faults.dynamodb.add(
        operation,
        "ProvisionedThroughputExceededException",
        when=lambda request: "tenant-secret" in json.dumps(request),
    )

    assert deliver_until_done(stack, [row_id]) == 2

    assert fault.fired == 1
    assert stack.billit.refresh_count() == refreshes + 1
    assert_exported_once(stack, row_id)
    assert status(stack) is ConnectionStatus.CONNECTED


# ----------------------------------------------------------------------- webhooks
def export_and_take_deliveries(stack: Stack) -> tuple[str, list[Any]]:
    stack.billit.outbox.clear()
    row_id = new_work_order(stack)
    assert deliver([row_id], 1) == []
    deliveries = list(stack.billit.outbox)
    stack.billit.outbox.clear()
    assert deliveries
    return row_id, deliveries


def ingest(stack: Stack, delivery: Any) -> int:
    path = urlsplit(delivery.url).path
    event = http_event(
        "POST",
        path,
        body=delivery.body.decode("utf-8"),
        headers={name.lower(): value for name, value in delivery.headers.items()},
    )
    response = stack.invoke(webhook_ingestion, event)
    return int(response["statusCode"])


def process_until_done(stack: Stack, bodies: list[str]) -> int:
    pending = list(bodies)
    for receive in range(1, MAX_RECEIVES + 1):
        event = sqs_event(*pending, receive_count=receive)
        by_message = {r["messageId"]: r["body"] for r in event["Records"]}
        result = webhook_processor.lambda_handler(event, FakeLambdaContext())
        pending = [by_message[f["itemIdentifier"]] for f in result["batchItemFailures"]]
        if not pending:
            return receive
        stack.clock.advance(REDELIVERY_DELAY)
    raise AssertionError(f"webhook events still failing after {MAX_RECEIVES} deliveries")


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "InternalServiceError", "EndpointConnectionError"]
)
def test_ingestion_without_the_secret_answers_503_and_billits_retry_is_queued_once(
    faults: Faults, code: str
) -> None:
    stack = faults.stack
    _, deliveries = export_and_take_deliveries(stack)
    stack.drain("WebhookEventsQueue")
    faults.secrets.add("GetSecretValue", code, times=1, when=_webhook_secret)
    stack.clock.advance(WEBHOOK_SECRET_CACHE_SECONDS)  # nothing cached: the read happens

    assert ingest(stack, deliveries[0]) == 503
    assert stack.drain("WebhookEventsQueue") == []
    assert ingest(stack, deliveries[0]) == 202  # Billit delivers again
    assert ingest(stack, deliveries[0]) in (200, 202)  # and once more: a duplicate
    assert len(stack.drain("WebhookEventsQueue")) == 1


def _processor_cases() -> list[Any]:
    cases = [pytest.param(ORDER_READ, kind, id=f"{ORDER_READ}-{kind}") for kind in FaultKind]
    cases += [pytest.param(SET_STATUS, kind, id=f"{SET_STATUS}-{kind}") for kind in FaultKind]
    cases.append(pytest.param(SET_STATUS, 1007, id=f"{SET_STATUS}-envelope_1007"))
    return cases


@pytest.mark.parametrize(("site", "kind"), _processor_cases())
def test_the_webhook_processor_recovers_from_faults_and_logs_once(
    faults: Faults, site: Site, kind: FaultKind | int
) -> None:
    """A "paid" Order event: the processor reads the order from Billit and sets the paid work
    status in OutSmart; each under a fault, within the queue's deliveries, one panel line."""
    stack = faults.stack
    current = stack.services.settings.get(TENANT)
    settings = current.model_copy(
        update={"exports": current.exports.model_copy(update={"workstatus_when_paid": PAID_STATUS})}
    )
    stack.services.settings.put(TENANT, settings)
    row_id, _ = export_and_take_deliveries(stack)
    (invoice,) = invoices(stack, row_id)
    stack.billit.mark_paid(COMPANY, invoice["OrderID"], "2026-01-20")
    paid = [d for d in stack.billit.outbox if d.entity_type == "Order"]
    stack.billit.outbox.clear()
    stack.drain("WebhookEventsQueue")
    assert [ingest(stack, d) for d in paid] == [202] * len(paid)
    bodies = stack.drain("WebhookEventsQueue")
    fault = faults.inject(site, kind, times=3)

    process_until_done(stack, bodies)

    assert fault.times < 3, f"the fault never fired at {site}"
    entry = stack.services.export_ledger.get(TENANT, row_id)
    assert entry is not None and entry.invoice_status == InvoiceStatus.PAID
    assert office(stack).workorders[row_id]["WorkStatus"] == PAID_STATUS
    workorder_no = office(stack).workorders[row_id]["WorkorderNo"]
    webhook_lines = [
        e
        for e in stack.services.sync_log.page(TENANT, limit=100).entries
        if e.workorder_no == workorder_no and e.message_key.startswith("webhook.")
    ]
    assert [e.message_key for e in webhook_lines] == [messages.WEBHOOK_INVOICE_PAID_WORKSTATUS]
    faults.retries.assert_bounded()
