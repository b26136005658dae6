"""Invoice status back from Billit as Billit really sends it (issue 13), through the real
handlers under moto and the Billit fake, every documented variant chosen per test:

- the webhook secret from the registration answer, the confirmation delivery, or both
  (billit-api.md §5 "Secret"); no secret = not working, said in the connection and log panel;
- Message inserts and updates, Incoming and Outgoing, both payload generations, an empty
  ``EntityDetail``, the IMR code without a flow state (§5 "Message lifecycle", "Rules");
- Billit's 4 webhooks per company (§5 "Quota");
- the reconcile backstop: a lost webhook, a refusal and a payment while disconnected or
  expired, and 50 concurrent deliveries racing a reconcile (one log entry per change).
"""

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from billit_sync import messages
from billit_sync.billit.signature import sign_billit_payload
from billit_sync.store import SyncLogCategory, SyncLogLevel, WebhooksState
from billit_sync.sync.scheduler import ScheduledJobKind
from billit_sync.webhooks import InvoiceStatus, WebhookEvent
from functions.export_worker import app as export_worker
from functions.management_api import app as management_api
from functions.webhook_ingestion import app as webhook_ingestion
from functions.webhook_processor import app as webhook_processor
from tests.integration.api.test_billit_webhooks import (
    COMPANY,
    OUTSMART_TOKEN,
    PAID_STATUS,
    TENANT,
    USER,
    deliver,
    deliver_all,
    export_work_order,
    ledger,
    post,
    process_queue,
    settings,
    take_deliveries,
    texts,
    webhook_entries,
)
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import (
    PUBLIC_BASE_URL,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)

OUR_URL = f"{PUBLIC_BASE_URL}/webhooks/billit/{TENANT}"


def start(monkeypatch: pytest.MonkeyPatch, **fake: Any) -> Iterator[Stack]:
    """A stack whose Billit fake plays ``fake`` (attribute → variant) before connecting."""
    with running_stack(
        monkeypatch, export_worker, webhook_ingestion, webhook_processor, management_api
    ) as running:
        seed_billit_account(running.billit)
        for name, value in fake.items():
            assert hasattr(running.billit, name), name
            setattr(running.billit, name, value)
        running.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN, language="en")
        running.import_master_data(TENANT)
        running.outsmart.tenant(OUTSMART_TOKEN).add_workstatus(PAID_STATUS, "Betaald")
        yield running


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """Parametrise indirectly with the fake's variants: ``{"webhook_secret_delivery": …}``."""
    yield from start(monkeypatch, **getattr(request, "param", {}))


def connection(stack: Stack) -> dict[str, Any]:
    """``GET /tenants/{id}/connection`` as OutSmart reads it."""
    response = stack.call(management_api, "GET", f"/tenants/{TENANT}/connection", tenant_id=TENANT)
    assert response["statusCode"] == 200
    body: dict[str, Any] = json.loads(response["body"])
    return body


def connection_entries(stack: Stack) -> list[Any]:
    page = stack.services.sync_log.page(TENANT, limit=100, categories={SyncLogCategory.CONNECTION})
    return page.entries


def reconcile_by_schedule(stack: Stack) -> None:
    """The template's reconcile schedule: fan-out, then the processor runs the job."""
    report = stack.services.scheduler.fan_out(ScheduledJobKind.RECONCILE)
    assert report.tenants_queued == 1
    assert process_queue(stack) == []


# ------------------------------------------------------------ 1. webhook secrets (§5)
@pytest.mark.parametrize(
    "stack",
    [
        {"webhook_secret_delivery": "answer"},
        {"webhook_secret_delivery": "confirmation"},
        {"webhook_secret_delivery": "confirmation", "confirmation_secret_key": "WebhookSecret"},
        {"webhook_secret_delivery": "both"},
    ],
    ids=["answer", "confirmation", "confirmation-WebhookSecret", "both"],
    indirect=True,
)
def test_the_webhook_secret_is_taken_wherever_billit_delivers_it(stack: Stack) -> None:
    # billit-api.md §5: "This payload will provide you a Secret" / "a Message confirmation
    # ... does contain the secret"; the field name is unknown (any key containing "secret").
    delivery = stack.billit.webhook_secret_delivery
    confirmations = take_deliveries(stack)
    assert len(confirmations) == (0 if delivery == "answer" else 3)
    if delivery == "confirmation":
        assert connection(stack)["status_updates"] == "polling"  # not working yet
        assert connection_entries(stack)[0].message_key == messages.WEBHOOKS_AWAITING_SECRET
    for confirmation in confirmations:
        status, answer = deliver(stack, confirmation)
        assert (status, answer["outcome"]) == (200, "confirmation")
    assert process_queue(stack) == []  # the processor stores what ingestion may not

    ours = {str(h["WebhookID"]): h["Secret"] for h in stack.billit.webhooks(COMPANY)}
    stored = stack.services.tenant_secrets.read(TENANT).webhook_secrets
    assert {k: v.get_secret_value() for k, v in stored.items()} == ours
    assert connection(stack)["status_updates"] == "notifications"
    keys = [e.message_key for e in connection_entries(stack)]
    assert (messages.WEBHOOKS_ACTIVE in keys) == (delivery == "confirmation")
    # And the status updates do arrive now.
    row_id, _ = export_work_order(stack, delivery="peppol")
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.SENT


@pytest.mark.parametrize(
    "stack",
    [{"webhook_secret_delivery": "confirmation", "confirmation_signed": False}],
    indirect=True,
)
def test_without_a_secret_statuses_are_not_lost_and_the_office_is_told(stack: Stack) -> None:
    # An unsigned "confirmation" could come from anyone who knows the URL: refused (§5 step 2
    # "optionally check its Billit-Signature"), so the subscription stays "not working".
    assert {deliver(stack, c)[0] for c in take_deliveries(stack)} == {401}
    body = connection(stack)
    assert body["status_updates"] == "polling"
    assert body["webhooks_state"] == WebhooksState.AWAITING_SECRET.value
    (warning,) = [
        e for e in connection_entries(stack) if e.message_key == messages.WEBHOOKS_AWAITING_SECRET
    ]
    assert warning.level is SyncLogLevel.WARNING
    assert "not arriving by notification yet" in messages.render(
        warning.message_key, warning.params, "en"
    )
    row_id, order_id = export_work_order(stack, delivery="peppol")
    stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "Unknown buyer reference")
    assert set(deliver_all(stack)) == {401}  # nothing verifies

    reconcile_by_schedule(stack)

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.REFUSED
    assert entry.invoice_status_detail == "Unknown buyer reference"
    assert texts(stack)[0].endswith("refused by the receiver: Unknown buyer reference")


# --------------------------------------------------------- 2. every event shape (§5)
FEEDBACK = [
    pytest.param(
        "Delivered", None, InvoiceStatus.DELIVERED, "delivered via Peppol", id="delivered"
    ),
    pytest.param(
        "Refused",
        "Wrong VAT",
        InvoiceStatus.REFUSED,
        "refused by the receiver: Wrong VAT",
        id="refused",
    ),
]
SHAPES = [
    pytest.param(shape, update, flow, id=f"{shape}-{update}-{'state' if flow else 'imr'}")
    for shape in ("current", "flat")
    for update in ("I", "U")
    for flow in (True, False)
]


@pytest.mark.parametrize(("shape", "update_type", "flow_state"), SHAPES)
@pytest.mark.parametrize(("state", "reason", "status", "text"), FEEDBACK)
def test_receiver_feedback_reaches_the_ledger_and_the_log_panel_in_every_shape(  # noqa: PLR0917
    stack: Stack,
    shape: str,
    update_type: str,
    flow_state: bool,
    state: str,
    reason: str | None,
    status: InvoiceStatus,
    text: str,
) -> None:
    stack.billit.message_detail = shape  # type: ignore[assignment]
    stack.billit.feedback_update_type = update_type  # type: ignore[assignment]
    stack.billit.feedback_flow_state = flow_state
    row_id, order_id = export_work_order(stack, delivery="peppol")
    number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []
    stack.billit.set_delivery_state(COMPANY, order_id, state, reason)

    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []

    entry = ledger(stack, row_id)
    assert entry.invoice_status == status
    assert texts(stack)[0] == f"Invoice {number} {text}"
    assert len(webhook_entries(stack)) == 2  # sent, then the feedback: one line each


def test_an_empty_entity_detail_lets_the_order_decide(stack: Stack) -> None:
    # §5 ⚠ EntityDetail {}: no OrderID, so the order's CurrentDocumentDeliveryDetails decide
    stack.billit.message_detail = "empty"
    row_id, order_id = export_work_order(stack, delivery="peppol")
    stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "Invoice number used twice")
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.REFUSED
    assert entry.invoice_status_detail == "Invoice number used twice"


def test_paid_reaches_the_ledger_the_log_panel_and_outsmart(stack: Stack) -> None:
    settings(stack, workstatus_when_paid=PAID_STATUS)
    row_id, order_id = export_work_order(stack, delivery="peppol")
    stack.billit.mark_paid(COMPANY, order_id, "2026-02-01")
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.PAID
    assert stack.outsmart.tenant(OUTSMART_TOKEN).workorders[row_id]["WorkStatus"] == PAID_STATUS


# --------------------------------------------------------------- 2b. the quota (§5)
def test_registration_reuses_its_own_places_and_leaves_other_integrations_alone(
    stack: Stack,
) -> None:
    other = "https://accounting.example/hooks/billit"
    stack.billit.webhooks(COMPANY)  # ours: Message/I, Message/U, Order/U
    ids_before = {h["WebhookID"] for h in stack.billit.webhooks(COMPANY)}
    # Another integration takes the fourth place.
    stack.billit._company(COMPANY).webhooks[999] = {
        "WebhookID": 999,
        "EntityType": "Order",
        "EntityUpdateType": "I",
        "WebhookURL": other,
        "Secret": "theirs",
    }

    stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN, language="en")

    hooks = stack.billit.webhooks(COMPANY)
    assert len(hooks) == 4
    assert {h["WebhookURL"] for h in hooks} == {OUR_URL, other}
    ours = {(h["EntityType"], h["EntityUpdateType"]) for h in hooks if h["WebhookURL"] == OUR_URL}
    assert ours == {("Message", "I"), ("Message", "U"), ("Order", "U")}
    assert not ids_before & {h["WebhookID"] for h in hooks if h["WebhookURL"] == OUR_URL}
    assert connection(stack)["status_updates"] == "notifications"


def test_a_full_quota_is_a_log_panel_error_and_statuses_come_by_the_reconcile(
    stack: Stack,
) -> None:
    for webhook_id, (entity, update) in enumerate(
        [("Order", "I"), ("Order", "U")], start=900
    ):  # two places taken by another integration: only 2 free, 3 needed
        stack.billit._company(COMPANY).webhooks[webhook_id] = {
            "WebhookID": webhook_id,
            "EntityType": entity,
            "EntityUpdateType": update,
            "WebhookURL": f"https://erp.example/hooks/{webhook_id}",
            "Secret": "theirs",
        }
    stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN, language="en")

    hooks = stack.billit.webhooks(COMPANY)
    assert {h["WebhookID"] for h in hooks} == {900, 901}  # nothing half-registered
    body = connection(stack)
    assert (body["status_updates"], body["webhooks_state"]) == ("polling", "quota_full")
    error = connection_entries(stack)[0]
    assert error.level is SyncLogLevel.ERROR
    assert error.message_key == messages.WEBHOOKS_QUOTA_FULL
    assert messages.render(error.message_key, error.params, "en").startswith(
        "Billit allows 4 status notifications per company and 2 are taken"
    )
    row_id, order_id = export_work_order(stack, delivery="peppol")
    stack.billit.set_delivery_state(COMPANY, order_id, "Delivered")
    reconcile_by_schedule(stack)
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.DELIVERED


# ------------------------------------------------------------- 3. the backstop
def test_a_lost_webhook_is_found_by_the_reconcile(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack, delivery="peppol")
    number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
    deliver_all(stack)
    assert process_queue(stack) == []
    stack.clock.advance(3600)
    stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "PO number missing")
    take_deliveries(stack)  # lost on the way: never delivered

    reconcile_by_schedule(stack)

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.REFUSED
    assert entry.invoice_status_detail == "PO number missing"
    assert texts(stack)[0] == f"Invoice {number} refused by the receiver: PO number missing"
    reconcile_by_schedule(stack)  # nothing new: no second line
    assert len(webhook_entries(stack)) == 2


def five_sent_invoices(stack: Stack) -> list[tuple[str, int]]:
    """Five work orders exported by Peppol, every event processed and one reconcile done,
    so the watermark stands after them: (row id, Billit order id) each."""
    exported = [export_work_order(stack, delivery="peppol") for _ in range(5)]
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []
    reconcile_by_schedule(stack)
    return exported


def refused_rows(stack: Stack, exported: list[tuple[str, int]]) -> int:
    return sum(ledger(stack, row).invoice_status == InvoiceStatus.REFUSED for row, _ in exported)


@pytest.mark.parametrize(
    "touches", [True, False], ids=["last-modified-moves", "last-modified-stays"]
)
def test_more_lost_refusals_than_one_run_reads_are_all_found_in_turns(
    stack: Stack, touches: bool
) -> None:
    # Reads per run are bounded (2 here, 60 in production): the runs must take turns, never
    # read the same first ones again and again. Billit may or may not move LastModified when
    # the delivery details change (§5 "Polling"): the changed orders are carried over in the
    # watermark's checkpoint, the settling ones rotate.
    stack.services.reconciler.max_reads = 2
    exported = five_sent_invoices(stack)
    stack.billit.delivery_touches_last_modified = touches
    stack.clock.advance(3600)
    for _, order_id in exported:
        stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "PO number missing")
    take_deliveries(stack)  # all lost on the way

    found = []
    for _ in range(3):
        reconcile_by_schedule(stack)
        found.append(refused_rows(stack, exported))

    assert found == [2, 4, 5]
    assert len(webhook_entries(stack)) == 5 + 5  # sent, then refused: one line each


def test_the_two_weeks_count_from_the_last_news_not_from_the_entry(stack: Stack) -> None:
    # An invoice that reached Billit weeks after its ledger entry was made (a draft sent by
    # the office, a retry after a fix) still has its two weeks of settling delivery details.
    stack.billit.delivery_touches_last_modified = False
    row_id, order_id = export_work_order(stack, delivery="draft")
    reconcile_by_schedule(stack)
    stack.clock.advance(20 * 86_400)
    stack.billit.set_delivery_state(COMPANY, order_id, "Sent")  # the office sends it now
    assert set(deliver_all(stack)) == {202}
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.SENT
    stack.clock.advance(2 * 86_400)
    export_work_order(stack, delivery="draft")  # another invoice: Billit's newest change
    reconcile_by_schedule(stack)  # the watermark moves past the send (and its overlap)
    stack.clock.advance(2 * 86_400)
    stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "Unknown buyer")
    take_deliveries(stack)  # lost, and LastModified did not move

    reconcile_by_schedule(stack)

    assert ledger(stack, row_id).invoice_status == InvoiceStatus.REFUSED


@pytest.mark.parametrize("how", ["disconnected", "auth_expired"])
def test_refusal_and_payment_while_away_are_caught_up_after_the_reconnect(
    stack: Stack, how: str
) -> None:
    settings(stack, workstatus_when_paid=PAID_STATUS)
    refused_row, refused_order = export_work_order(stack, delivery="peppol")
    paid_row, paid_order = export_work_order(stack, delivery="peppol")
    deliver_all(stack)
    assert process_queue(stack) == []
    if how == "disconnected":
        stack.services.connection_lifecycle(PUBLIC_BASE_URL).disconnect(TENANT)
    else:
        assert stack.services.tenants.mark_auth_expired(TENANT)
    stack.clock.advance(3600)
    stack.billit.set_delivery_state(COMPANY, refused_order, "Refused", "Wrong VAT number")
    stack.billit.mark_paid(COMPANY, paid_order, "2026-02-02")
    away = take_deliveries(stack)
    assert (len(away) > 0) == (how == "auth_expired")  # disconnected: no webhooks left
    first = [deliver(stack, d)[0] for d in away]
    assert process_queue(stack) == []  # not applied: nothing can be read from Billit
    assert ledger(stack, refused_row).invoice_status == InvoiceStatus.SENT
    # Billit delivering again is taken, not answered "duplicate" (the record was forgotten).
    assert [deliver(stack, d)[0] for d in away] == first
    stack.drain("WebhookEventsQueue")

    stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN, language="en")
    take_deliveries(stack)
    # The reconnect itself queued the tenant's reconcile: run it (no schedule needed).
    (job,) = stack.connect_reconciles[-1:]
    result = webhook_processor.lambda_handler(sqs_event(job), FakeLambdaContext())
    assert result["batchItemFailures"] == []

    assert ledger(stack, refused_row).invoice_status == InvoiceStatus.REFUSED
    assert ledger(stack, paid_row).invoice_status == InvoiceStatus.PAID
    workorders = stack.outsmart.tenant(OUTSMART_TOKEN).workorders
    assert workorders[paid_row]["WorkStatus"] == PAID_STATUS
    shown = texts(stack)
    assert sum("refused by the receiver: Wrong VAT number" in t for t in shown) == 1
    assert sum(f"set to work status {PAID_STATUS}" in t for t in shown) == 1


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each request atomically; moto does not lock. Serialise moto's
    writes so threads see what DynamoDB guarantees (and no more)."""
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item"):
        real = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            with lock:
                return _real(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.mark.usefixtures("atomic_moto")
def test_fifty_concurrent_deliveries_and_a_reconcile_log_each_change_once(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack, delivery="peppol")
    deliver_all(stack)
    assert process_queue(stack) == []
    stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "Unknown buyer")
    (feedback,) = [d for d in take_deliveries(stack) if d.entity_type == "Message"]
    # 50 deliveries of the same news with different bodies (Billit's retries: new trial
    # counts), each signed with the webhook's secret.
    secret = stack.services.tenant_secrets.read(TENANT).webhook_secrets[str(feedback.webhook_id)]
    bodies = []
    for trial in range(50):
        payload = json.loads(feedback.body)
        payload["EntityDetail"]["OrderMessage"]["Trials"] = trial
        bodies.append(json.dumps(payload).encode())
    headers = [
        {"Billit-Signature": sign_billit_payload(body, secret, int(stack.clock.epoch()))}
        for body in bodies
    ]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda i: post(stack, bodies[i], headers[i])[0], range(50)))
    assert answers == [202] * 50
    events = [WebhookEvent.model_validate_json(b) for b in stack.drain("WebhookEventsQueue")]
    assert len(events) == 50
    processor = stack.services.webhook_processor

    def work(index: int) -> object:
        if index == 50:
            return stack.services.reconciler.reconcile(TENANT)
        return processor.process(events[index])

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(work, range(51)))

    assert ledger(stack, row_id).invoice_status == InvoiceStatus.REFUSED
    refused = [t for t in texts(stack) if "refused by the receiver" in t]
    assert len(refused) == 1
    assert len(webhook_entries(stack)) == 2  # sent + refused
