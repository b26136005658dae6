"""Billit webhooks through the real handlers, under moto and the fakes: the ingestion route
verifies Billit's signature over the raw body, de-duplicates and queues; the processor applies
each event to the export ledger, the log panel and (paid) the OutSmart work status.

The deliveries are the Billit fake's own: it signs every event of a registered webhook with
that webhook's secret and keeps it in ``outbox``; the tests post them as API Gateway would.
"""

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from billit_sync import messages
from billit_sync.billit.signature import sign_billit_payload
from billit_sync.jobs_queue import JobQueueError
from billit_sync.store import AwsTransientError, LedgerEntry, SyncLogCategory, SyncLogLevel
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from billit_sync.webhooks import InvoiceStatus, WebhookEvent
from functions.export_worker import app as export_worker
from functions.webhook_ingestion import app as webhook_ingestion
from functions.webhook_processor import app as webhook_processor
from tests.fakes.billit.webhooks import WebhookDelivery
from tests.support.lambda_context import FakeLambdaContext
from tests.support.log_capture import captured_service_logs
from tests.support.stack import (
    BILLIT_COMPANY,
    BILLIT_USER,
    PUBLIC_BASE_URL,
    Stack,
    http_event,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
USER = BILLIT_USER
COMPANY = BILLIT_COMPANY
OUTSMART_TOKEN = "os-token-acme"
PAID_STATUS = "060"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, export_worker, webhook_ingestion, webhook_processor) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN, language="en")
        running.import_master_data(TENANT)
        running.outsmart.tenant(OUTSMART_TOKEN).add_workstatus(PAID_STATUS, "Betaald")
        yield running


# --------------------------------------------------------------------------- helpers
def settings(stack: Stack, **exports: Any) -> None:
    current = stack.services.settings.get(TENANT)
    updated = ExportSettings.model_validate(current.exports.model_dump() | exports)
    stack.services.settings.put(TENANT, TenantSettings(imports=current.imports, exports=updated))


def export_work_order(stack: Stack, *, delivery: str = "draft") -> tuple[str, int]:
    """A completed work order exported as a Billit invoice: (row id, Billit order id)."""
    settings(stack, delivery=delivery)
    order = stack.outsmart.tenant(OUTSMART_TOKEN).add_workorder(
        CustomerDebtorNr="C-1001",
        Workperiods=[{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}],
        Materials=[],
    )
    job = ExportJob(tenant_id=TENANT, row_id=order["id"]).model_dump_json()
    result = export_worker.lambda_handler(sqs_event(job), FakeLambdaContext())
    assert result["batchItemFailures"] == []
    entry = ledger(stack, order["id"])
    assert entry.order_id is not None
    return order["id"], int(entry.order_id)


def ledger(stack: Stack, row_id: str) -> LedgerEntry:
    entry = stack.services.export_ledger.get(TENANT, row_id)
    assert entry is not None
    return entry


def take_deliveries(stack: Stack) -> list[WebhookDelivery]:
    """The signed deliveries the Billit fake has queued since the last call."""
    pending = list(stack.billit.outbox)
    stack.billit.outbox.clear()
    return pending


def post(
    stack: Stack,
    body: bytes,
    headers: dict[str, str],
    *,
    tenant_id: str = TENANT,
    base64_encoded: bool = False,
) -> tuple[int, dict[str, Any]]:
    """POST to the ingestion handler as API Gateway would (header names lower-cased)."""
    event = http_event(
        "POST",
        f"/webhooks/billit/{tenant_id}",
        body=base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8"),
        headers={name.lower(): value for name, value in headers.items()},
    )
    event["isBase64Encoded"] = base64_encoded
    response = stack.invoke(webhook_ingestion, event)
    return response["statusCode"], json.loads(response["body"])


def deliver(stack: Stack, delivery: WebhookDelivery) -> tuple[int, dict[str, Any]]:
    path = urlsplit(delivery.url).path
    assert delivery.url.startswith(PUBLIC_BASE_URL) and path == f"/webhooks/billit/{TENANT}"
    return post(stack, delivery.body, delivery.headers)


def deliver_all(stack: Stack) -> list[int]:
    return [deliver(stack, delivery)[0] for delivery in take_deliveries(stack)]


def process_queue(stack: Stack) -> list[str]:
    """Run the processor on everything queued; the ids of records SQS would retry."""
    bodies = stack.drain("WebhookEventsQueue")
    if not bodies:
        return []
    result = webhook_processor.lambda_handler(sqs_event(*bodies), FakeLambdaContext())
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def webhook_entries(stack: Stack) -> list[Any]:
    page = stack.services.sync_log.page(TENANT, limit=100, categories={SyncLogCategory.WEBHOOK})
    return page.entries


def texts(stack: Stack, language: messages.Language = "en") -> list[str]:
    return [messages.render(e.message_key, e.params, language) for e in webhook_entries(stack)]


def webhook_secrets(stack: Stack) -> list[str]:
    stored = stack.services.tenant_secrets.read(TENANT).webhook_secrets
    return [secret.get_secret_value() for secret in stored.values()]


def signed(stack: Stack, payload: dict[str, Any] | bytes) -> tuple[bytes, dict[str, str]]:
    """A body signed as Billit signs it, with the secret of one of the tenant's webhooks."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    header = sign_billit_payload(raw, webhook_secrets(stack)[0], int(stack.clock.epoch()))
    return raw, {"Billit-Signature": header, "Content-Type": "application/json"}


def message_payload(order_id: int, state: str, **detail: Any) -> dict[str, Any]:
    return {
        "UpdatedEntityID": 690998,
        "UpdatedEntityType": "Message",
        "WebhookUpdateTypeTC": "U",
        "EntityDetail": {
            "OrderMessage": {"OrderID": order_id, "TransportType": "Peppol", "Success": True}
            | detail,
            "AdditionalMessageInformation": {"EInvoiceFlowState": state},
        },
    }


def a_delivery(stack: Stack) -> WebhookDelivery:
    """One real signed delivery (an invoice sent by Peppol emits Order and Message events)."""
    export_work_order(stack, delivery="peppol")
    return take_deliveries(stack)[0]


# ------------------------------------------------------------------ signature checks
def test_a_validly_signed_delivery_is_queued(stack: Stack) -> None:
    delivery = a_delivery(stack)
    status, body = deliver(stack, delivery)
    assert status == 202 and body["queued"] is True
    (queued,) = stack.drain("WebhookEventsQueue")
    event = WebhookEvent.model_validate_json(queued)
    assert event.tenant_id == TENANT
    assert event.entity_type == delivery.entity_type
    assert event.update_type == "U"
    assert event.entity_id == delivery.payload["UpdatedEntityID"]
    assert event.payload == json.loads(delivery.body)
    assert event.delivery_id == body["delivery_id"]
    assert event.received_at == stack.clock()


def test_every_registered_webhook_secret_is_accepted(stack: Stack) -> None:
    export_work_order(stack, delivery="peppol")
    deliveries = take_deliveries(stack)
    assert {d.entity_type for d in deliveries} == {"Order", "Message"}  # two webhooks
    assert [deliver(stack, d)[0] for d in deliveries] == [202] * len(deliveries)


def test_a_wrong_secret_is_refused(stack: Stack) -> None:
    delivery = a_delivery(stack)
    header = sign_billit_payload(delivery.body, "not-the-webhook-secret", int(stack.clock.epoch()))
    status, body = post(stack, delivery.body, {"Billit-Signature": header})
    assert status == 401 and body["code"] == "unauthorized"
    assert stack.drain("WebhookEventsQueue") == []


def test_one_changed_byte_in_the_body_is_refused(stack: Stack) -> None:
    delivery = a_delivery(stack)
    changed = bytearray(delivery.body)
    position = changed.index(b"Peppol") if b"Peppol" in changed else len(changed) // 2
    changed[position] ^= 0x01
    status, _ = post(stack, bytes(changed), delivery.headers)
    assert status == 401
    assert stack.drain("WebhookEventsQueue") == []


def test_a_stale_timestamp_is_refused(stack: Stack) -> None:
    delivery = a_delivery(stack)
    stack.clock.advance(301)
    assert deliver(stack, delivery)[0] == 401
    stack.clock.advance(-2)  # 299 s after signing: still fresh
    assert deliver(stack, delivery)[0] == 202


def test_a_missing_signature_header_is_refused(stack: Stack) -> None:
    delivery = a_delivery(stack)
    status, _ = post(stack, delivery.body, {"Content-Type": "application/json"})
    assert status == 401


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "garbage",
        "t=,s=",
        "t=abc,s=00",
        "s=" + "0" * 64,
        "t=1768467600",
        "t=1768467600,s=not-hex",
        "t=1768467600,s=" + "g" * 64,
        "t=1768467600;s=" + "0" * 64,
        "x" * 5000,
    ],
)
def test_a_garbled_signature_header_is_refused(stack: Stack, garbage: str) -> None:
    delivery = a_delivery(stack)
    status, _ = post(stack, delivery.body, {"Billit-Signature": garbage})
    assert status == 401


def test_a_base64_encoded_body_is_verified_on_its_decoded_bytes(stack: Stack) -> None:
    delivery = a_delivery(stack)
    status, _ = post(stack, delivery.body, delivery.headers, base64_encoded=True)
    assert status == 202
    (queued,) = stack.drain("WebhookEventsQueue")
    assert WebhookEvent.model_validate_json(queued).payload == json.loads(delivery.body)


def test_a_replayed_delivery_is_answered_but_queued_once(stack: Stack) -> None:
    delivery = a_delivery(stack)
    first_status, first = deliver(stack, delivery)
    stack.clock.advance(30)  # Billit's retry: the same body, signed anew
    secret = stack.services.tenant_secrets.read(TENANT).webhook_secrets[str(delivery.webhook_id)]
    again = sign_billit_payload(delivery.body, secret, int(stack.clock.epoch()))
    assert again != delivery.headers["Billit-Signature"]
    replay_status, replay = post(stack, delivery.body, {"Billit-Signature": again})
    assert (first_status, replay_status) == (202, 200)
    assert replay == {"queued": False, "outcome": "duplicate", "delivery_id": first["delivery_id"]}
    assert len(stack.drain("WebhookEventsQueue")) == 1


def test_an_unknown_tenant_gets_the_same_401_as_a_bad_signature(stack: Stack) -> None:
    delivery = a_delivery(stack)
    wrong = sign_billit_payload(delivery.body, "wrong", int(stack.clock.epoch()))
    bad_signature = post(stack, delivery.body, {"Billit-Signature": wrong})
    unknown = post(stack, delivery.body, delivery.headers, tenant_id="globex")
    not_a_tenant_id = post(stack, delivery.body, delivery.headers, tenant_id="NOT_A_TENANT")
    missing = post(stack, delivery.body, {})
    same = [
        (status, {k: v for k, v in body.items() if k not in {"instance", "request_id"}})
        for status, body in (bad_signature, unknown, not_a_tenant_id, missing)
    ]
    assert same[0] == same[1] == same[2] == same[3]
    assert unknown[0] == 401
    assert stack.drain("WebhookEventsQueue") == []


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"\xff\xfe not utf-8",
        b'{"UpdatedEntityType": "Message"}',
        b'{"UpdatedEntityID": 690998}',
        b'{"UpdatedEntityID": true, "UpdatedEntityType": "Order"}',
        b'{"UpdatedEntityID": "abc", "UpdatedEntityType": "Order"}',
        b'{"UpdatedEntityID": 1, "UpdatedEntityType": ""}',
    ],
)
def test_a_signed_body_that_is_no_billit_event_is_a_400(stack: Stack, raw: bytes) -> None:
    body, headers = signed(stack, raw)
    event = http_event(
        "POST",
        f"/webhooks/billit/{TENANT}",
        body=base64.b64encode(body).decode(),
        headers={k.lower(): v for k, v in headers.items()},
    )
    event["isBase64Encoded"] = True
    response = stack.invoke(webhook_ingestion, event)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["code"] == "bad_request"
    assert stack.drain("WebhookEventsQueue") == []


def test_a_body_that_is_not_base64_or_too_large_is_a_400_never_a_5xx(stack: Stack) -> None:
    event = http_event("POST", f"/webhooks/billit/{TENANT}", body="%%% not base64 %%%")
    event["isBase64Encoded"] = True
    assert stack.invoke(webhook_ingestion, event)["statusCode"] == 400
    huge = http_event("POST", f"/webhooks/billit/{TENANT}", body="x" * 200_000)
    assert stack.invoke(webhook_ingestion, huge)["statusCode"] == 400


def test_an_entity_type_the_service_does_not_use_is_acknowledged_not_queued(
    stack: Stack,
) -> None:
    body, headers = signed(stack, {"UpdatedEntityID": 5, "UpdatedEntityType": "Party"})
    status, answer = post(stack, body, headers)
    assert status == 200 and answer["outcome"] == "ignored"
    assert stack.drain("WebhookEventsQueue") == []


def test_a_queue_outage_is_a_503_and_the_retry_is_not_taken_for_a_duplicate(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery = a_delivery(stack)

    def unavailable(event: WebhookEvent) -> None:
        raise JobQueueError("the job could not be queued (ServiceUnavailable)")

    with monkeypatch.context() as patched:
        patched.setattr(stack.services.webhook_events, "send", unavailable)
        assert deliver(stack, delivery)[0] == 503
    assert deliver(stack, delivery)[0] == 202
    assert len(stack.drain("WebhookEventsQueue")) == 1


# ------------------------------------------------------------------ what events do
def test_sent_by_peppol(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack, delivery="peppol")
    number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
    # Order/U, Message/I (the send starts) and Message/U (Sent): billit-api.md §5 lifecycle
    assert deliver_all(stack) == [202, 202, 202]
    assert process_queue(stack) == []

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.SENT
    (logged,) = webhook_entries(stack)  # two events, one status change, one line
    assert logged.level is SyncLogLevel.INFO
    assert logged.invoice_number == number
    assert logged.workorder_no == entry.workorder_no
    assert texts(stack) == [f"Invoice {number} sent via Peppol"]
    assert texts(stack, "nl") == [f"Factuur {number} verstuurd via Peppol"]


def test_delivered_via_peppol(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack)
    number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
    stack.billit.set_delivery_state(COMPANY, order_id, "Delivered")
    deliver_all(stack)
    assert process_queue(stack) == []

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.DELIVERED
    assert entry.invoice_status_detail == "Peppol"
    assert texts(stack)[0] == f"Invoice {number} delivered via Peppol"
    assert texts(stack, "nl")[0] == f"Factuur {number} afgeleverd via Peppol"


def test_refused_by_the_receiver_with_the_reason(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack, delivery="peppol")
    number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
    reason = "Purchase order number missing"
    stack.billit.set_delivery_state(COMPANY, order_id, "Refused", reason)
    deliver_all(stack)
    assert process_queue(stack) == []

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.REFUSED
    assert entry.invoice_status_detail == reason
    newest = webhook_entries(stack)[0]
    assert newest.level is SyncLogLevel.ERROR
    assert newest.invoice_number == number
    assert messages.render(newest.message_key, newest.params, "en") == (
        f"Invoice {number} refused by the receiver: {reason}"
    )
    assert messages.render(newest.message_key, newest.params, "nl") == (
        f"Factuur {number} geweigerd door de ontvanger: {reason}"
    )


def test_refused_in_the_older_payload_shape(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack)
    payload = {
        "UpdatedEntityID": 690999,
        "UpdatedEntityType": "Message",
        "WebhookUpdateTypeTC": "U",
        "EntityDetail": {
            "OrderID": order_id,
            "MessageAdditionalInformation": {
                "EInvoiceFlowState": "Refused",
                "AdditionalFlowStateInformation": "Wrong VAT number",
            },
        },
    }
    assert post(stack, *signed(stack, payload))[0] == 202
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.REFUSED
    assert texts(stack)[0].endswith("refused by the receiver: Wrong VAT number")


@pytest.mark.parametrize("with_setting", [True, False])
def test_paid_sets_the_chosen_work_status_only_when_the_setting_is_on(
    stack: Stack, with_setting: bool
) -> None:
    row_id, order_id = export_work_order(stack)
    number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
    if with_setting:
        settings(stack, workstatus_when_paid=PAID_STATUS)
    stack.billit.mark_paid(COMPANY, order_id, "2026-01-20")
    assert deliver_all(stack) == [202]
    assert process_queue(stack) == []

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.PAID
    assert entry.invoice_status_detail == "2026-01-20"
    work_order = stack.outsmart.tenant(OUTSMART_TOKEN).workorders[row_id]
    (logged,) = webhook_entries(stack)
    if with_setting:
        assert work_order["WorkStatus"] == PAID_STATUS
        assert messages.render(logged.message_key, logged.params, "en") == (
            f"Invoice {number} paid; work order {entry.workorder_no} set to work status "
            f"{PAID_STATUS}"
        )
    else:
        assert work_order["WorkStatus"] != PAID_STATUS
        assert messages.render(logged.message_key, logged.params, "en") == f"Invoice {number} paid"
        assert messages.render(logged.message_key, logged.params, "nl") == (
            f"Factuur {number} betaald"
        )


def test_an_unknown_paid_work_status_is_explained_and_the_payment_still_recorded(
    stack: Stack,
) -> None:
    row_id, order_id = export_work_order(stack)
    settings(stack, workstatus_when_paid="999")
    stack.billit.mark_paid(COMPANY, order_id)
    deliver_all(stack)
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.PAID
    warning, paid = webhook_entries(stack)
    assert paid.message_key == messages.WEBHOOK_INVOICE_PAID
    assert warning.level is SyncLogLevel.WARNING
    assert warning.message_key == messages.WEBHOOK_WORKSTATUS_NOT_SET
    assert "999" in messages.render(warning.message_key, warning.params, "en")


def test_an_event_for_an_invoice_the_service_did_not_create_is_ignored(
    stack: Stack,
) -> None:
    export_work_order(stack)
    body, headers = signed(stack, message_payload(4_242_424, "Delivered"))
    assert post(stack, body, headers)[0] == 202
    order_body, order_headers = signed(
        stack, {"UpdatedEntityID": 4_242_425, "UpdatedEntityType": "Order"}
    )
    assert post(stack, order_body, order_headers)[0] == 202
    with captured_service_logs() as logs:
        assert process_queue(stack) == []
    assert webhook_entries(stack) == []
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    ignored = [line for line in lines if "did not create" in line["message"]]
    assert len(ignored) == 2 and {line["level"] for line in ignored} == {"DEBUG"}
    assert {line["outcome"] for line in ignored} == {"unknown_order"}


def test_a_repeated_event_with_another_body_does_not_spam_the_panel(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack)
    for trials in (1, 2, 3):  # three bodies, one status
        payload = message_payload(order_id, "Delivered", Trials=trials)
        assert post(stack, *signed(stack, payload))[0] == 202
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.DELIVERED
    assert len(webhook_entries(stack)) == 1


def test_an_earlier_status_arriving_late_changes_nothing(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack)
    assert post(stack, *signed(stack, message_payload(order_id, "Delivered")))[0] == 202
    assert process_queue(stack) == []
    assert post(stack, *signed(stack, message_payload(order_id, "Sent")))[0] == 202
    assert process_queue(stack) == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.DELIVERED
    assert len(webhook_entries(stack)) == 1


def test_events_of_a_tenant_that_is_no_longer_connected_are_dropped(stack: Stack) -> None:
    row_id, order_id = export_work_order(stack)
    stack.billit.mark_paid(COMPANY, order_id)
    deliver_all(stack)
    stack.services.connection_lifecycle(PUBLIC_BASE_URL).disconnect(TENANT)
    assert process_queue(stack) == []  # dropped, not retried
    assert ledger(stack, row_id).invoice_status is None
    assert webhook_entries(stack) == []


def test_a_transient_failure_fails_only_its_record(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    row_id, order_id = export_work_order(stack)
    stack.billit.set_delivery_state(COMPANY, order_id, "Delivered")
    deliver_all(stack)
    bodies = stack.drain("WebhookEventsQueue")
    ledger_store = stack.services.export_ledger
    real_find = ledger_store.find_by_order_id

    def flaky(tenant_id: str, wanted: str) -> LedgerEntry | None:
        raise AwsTransientError("ExportLedger.find_by_order_id", "ProvisionedThroughputExceeded")

    monkeypatch.setattr(ledger_store, "find_by_order_id", flaky)
    event = sqs_event(*bodies, "not json at all")
    result = webhook_processor.lambda_handler(event, FakeLambdaContext())
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    events = [record["messageId"] for record in event["Records"][: len(bodies)]]
    # Every event that needs the ledger failed (SQS retries it); the malformed one did not.
    assert failed and set(failed) <= set(events)
    assert event["Records"][-1]["messageId"] not in failed

    monkeypatch.setattr(ledger_store, "find_by_order_id", real_find)
    retried = webhook_processor.lambda_handler(sqs_event(*bodies), FakeLambdaContext())
    assert retried["batchItemFailures"] == []
    assert ledger(stack, row_id).invoice_status == InvoiceStatus.DELIVERED


# ------------------------------------------------------------------------ end to end
def test_end_to_end_export_deliver_refuse_pay_without_leaking_secrets(stack: Stack) -> None:
    settings(stack, workstatus_when_paid=PAID_STATUS)
    deliveries: list[WebhookDelivery] = []

    def deliver_and_process() -> None:
        """What Billit emitted since the last step, each delivered twice, then processed."""
        for delivery in take_deliveries(stack):
            deliveries.append(delivery)
            assert deliver(stack, delivery)[0] == 202
            assert deliver(stack, delivery)[0] == 200  # Billit delivering it again
        assert process_queue(stack) == []

    with captured_service_logs() as logs:
        row_id, order_id = export_work_order(stack, delivery="peppol")
        number = stack.billit.order(COMPANY, order_id)["OrderNumber"]
        deliver_and_process()
        stack.clock.advance(3600)
        stack.billit.set_delivery_state(COMPANY, order_id, "Delivered")
        deliver_and_process()
        stack.clock.advance(3600)
        stack.billit.set_delivery_state(COMPANY, order_id, "Refused", "Unknown buyer reference")
        deliver_and_process()
        stack.clock.advance(86400)
        stack.billit.mark_paid(COMPANY, order_id)
        deliver_and_process()

    entry = ledger(stack, row_id)
    assert entry.invoice_status == InvoiceStatus.PAID
    assert stack.outsmart.tenant(OUTSMART_TOKEN).workorders[row_id]["WorkStatus"] == PAID_STATUS
    assert texts(stack) == [
        f"Invoice {number} paid; work order {entry.workorder_no} set to work status {PAID_STATUS}",
        f"Invoice {number} refused by the receiver: Unknown buyer reference",
        f"Invoice {number} delivered via Peppol",
        f"Invoice {number} sent via Peppol",
    ]

    output = logs.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    signatures = [d.headers["Billit-Signature"] for d in deliveries]
    forbidden = [
        *webhook_secrets(stack),
        *signatures,
        *(header.split("s=", 1)[1] for header in signatures),
        *(d.body.decode() for d in deliveries),
    ]
    assert lines and not [value for value in forbidden if value in output]
    queued = [line for line in lines if line["message"] == "Billit webhook queued"]
    assert len(queued) == len(deliveries)
    assert all(line["tenant_id"] == TENANT and line["delivery_id"] for line in queued)
    handled = [line for line in lines if line["message"] == "webhook event handled"]
    assert {line["delivery_id"] for line in handled} == {line["delivery_id"] for line in queued}
    assert all(line["correlation_id"] == line["delivery_id"] for line in handled)
