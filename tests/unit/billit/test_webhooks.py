"""Webhooks: register (secret kept as SecretStr), list, delete; deliveries verify."""

from datetime import date
from decimal import Decimal

import pytest

from billit_sync.billit import (
    BillitClient,
    BillitOutcomeUnknownError,
    BillitValidationError,
    NewOrder,
    NewOrderLine,
    OrderCustomer,
    WebhookEntityType,
    WebhookUpdateType,
    make_idempotency_key,
    verify_billit_signature,
)
from billit_sync.billit.webhooks import WEBHOOK_SECRET_FIELDS, _webhook_of, find_secret
from tests.fakes.faults import FaultKind
from tests.unit.billit.conftest import Harness

HOOKS = "/v1/webhooks"
URL = "https://conn.example/webhooks/billit/tenant-7/order-i"


def test_register_list_and_delete(harness: Harness, client: BillitClient) -> None:
    webhook = client.webhooks.register_webhook(
        WebhookEntityType.ORDER, WebhookUpdateType.INSERT, URL
    )
    stored = harness.fake.webhooks(harness.company_id)
    assert [hook["WebhookID"] for hook in stored] == [webhook.webhook_id]
    assert webhook.secret is not None
    assert webhook.secret.get_secret_value() == stored[0]["Secret"]
    assert stored[0]["Secret"] not in repr(webhook)
    assert (webhook.entity_type, webhook.update_type, webhook.url) == ("Order", "I", URL)
    request = harness.router.calls.last.request
    assert request.content == (
        b'{"EntityType":"Order","EntityUpdateType":"I","WebhookURL":"' + URL.encode() + b'"}'
    )
    assert request.headers["PartyID"] == str(harness.company_id)

    listed = client.webhooks.list_webhooks()
    assert [(h.webhook_id, h.url, h.secret) for h in listed] == [(webhook.webhook_id, URL, None)]

    client.webhooks.delete_webhook(webhook.webhook_id)
    assert harness.fake.webhooks(harness.company_id) == []
    client.webhooks.delete_webhook(webhook.webhook_id)  # already gone: fine
    assert client.webhooks.list_webhooks() == []


def test_deliveries_verify_with_the_registered_secret(
    harness: Harness, client: BillitClient
) -> None:
    webhook = client.webhooks.register_webhook("Order", "I", URL)  # type: ignore[arg-type]
    assert webhook.secret is not None
    party = harness.fake.add_party(harness.company_id, Name="Peeters BV")
    order = NewOrder(
        order_date=date(2024, 5, 14),
        customer=OrderCustomer(party_id=party["PartyID"]),
        order_lines=[
            NewOrderLine(
                quantity=Decimal(1),
                unit_price_excl=Decimal("10"),
                description="x",
                vat_percentage=Decimal(21),
            )
        ],
    )
    client.orders.create_order(order, make_idempotency_key("hook"))
    [delivery] = harness.fake.outbox
    header = delivery.headers["Billit-Signature"]
    now = harness.clock()
    assert verify_billit_signature(header, delivery.body, webhook.secret, now=now)
    assert not verify_billit_signature(header, delivery.body + b" ", "wrong", now=now)


def test_register_validation_and_unsafe_failures(harness: Harness, client: BillitClient) -> None:
    with pytest.raises(ValueError, match="https"):
        client.webhooks.register_webhook("Order", "U", "http://conn.example/hook")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Party"):
        client.webhooks.register_webhook("Party", "U", URL)  # type: ignore[arg-type]
    harness.faults.add(FaultKind.SERVER_ERROR_AFTER, method="POST", path=HOOKS)
    with pytest.raises(BillitOutcomeUnknownError):
        client.webhooks.register_webhook(WebhookEntityType.MESSAGE, WebhookUpdateType.UPDATE, URL)
    assert len(harness.calls("POST", HOOKS)) == 1
    for index in range(3):
        client.webhooks.register_webhook("Order", "U", f"{URL}/{index}")  # type: ignore[arg-type]
    with pytest.raises(BillitValidationError):  # the fake's limit of 4 per company
        client.webhooks.register_webhook("Order", "U", f"{URL}/x")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [*WEBHOOK_SECRET_FIELDS, "signingSECRET", "key"])
def test_secret_field_candidates(name: str) -> None:
    webhook = _webhook_of({"WebhookID": 5, name: "s3cr3t"})
    assert webhook is not None
    assert webhook.secret is not None
    assert webhook.secret.get_secret_value() == "s3cr3t"


def test_webhook_answer_shapes() -> None:
    assert _webhook_of({"WebhookID": 5, "Whatever": "x"}) is not None
    assert _webhook_of({"id": "6"}) is not None
    bare = _webhook_of(7)
    assert bare is not None
    assert bare.webhook_id == 7
    assert bare.secret is None
    assert _webhook_of({"Name": "no id"}) is None
    assert _webhook_of("text") is None
    assert _webhook_of(True) is None


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        ({"WebhookID": 5, "Secret": "s3cr3t"}, "Secret"),
        ({"WebhookID": 5, "signingSECRET": "s3cr3t"}, "signingSECRET"),
        ({"WebhookID": 5, "Data": {"WebhookSecretValue": "s3cr3t"}}, "Data.WebhookSecretValue"),
        ({"WebhookID": 5, "Key": "s3cr3t"}, "Key"),
    ],
)
def test_the_secret_is_any_key_containing_secret_at_any_level(
    answer: dict[str, object], path: str
) -> None:
    # billit-api.md §5 "Safe procedure" 2: search case-insensitively for a key containing
    # "secret" (names guessed); log key names, never values
    assert find_secret(answer) == (path, "s3cr3t")
    webhook = _webhook_of(answer)
    assert webhook is not None and webhook.secret is not None
    assert webhook.secret.get_secret_value() == "s3cr3t"


@pytest.mark.parametrize(
    "answer", [{"WebhookID": 5}, {"WebhookID": 5, "Secret": ""}, {"WebhookID": 5, "Secret": 7}]
)
def test_no_secret_in_the_answer_is_none(answer: dict[str, object]) -> None:
    assert find_secret(answer) is None
    webhook = _webhook_of(answer)
    assert webhook is not None and webhook.secret is None
