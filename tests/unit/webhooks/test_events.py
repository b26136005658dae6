"""Billit's two Message payload shapes, the envelope ingestion checks, and the queued event."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from billit_sync.webhooks.events import (
    BillitWebhookEnvelope,
    BillitWebhookPayload,
    FlowState,
    WebhookEntity,
    WebhookEvent,
)

ROOT = Path(__file__).resolve().parents[3]

CURRENT = {
    "UpdatedEntityID": 690998,
    "UpdatedEntityType": "Message",
    "WebhookUpdateTypeTC": "U",
    "EntityDetail": {
        "OrderMessage": {
            "OrderID": 2731904,
            "FileID": "7d1c…",
            "TransportType": "Peppol",
            "Success": False,
            "Trials": 1,
            "Destination": "9925:BE0411905847",
            "MessageDirection": "Outgoing",
            "Description": "Rejected by the receiving access point",
        },
        "AdditionalMessageInformation": {
            "EInvoiceFlowState": "Refused",
            "AdditionalFlowStateInformation": "Purchase order number missing",
        },
    },
}
OLDER = {
    "UpdatedEntityID": "690999",
    "UpdatedEntityType": "Message",
    "WebhookUpdateTypeTC": "U",
    "EntityDetail": {
        "OrderID": "2731905",
        "MessageAdditionalInformation": {"EInvoiceFlowState": "refused"},
        "Description": "Wrong VAT number",
    },
}


def test_the_current_message_shape() -> None:
    payload = BillitWebhookPayload.model_validate(CURRENT)
    detail = payload.entity_detail
    assert payload.known_entity is WebhookEntity.MESSAGE
    assert detail.message_order_id == 2731904
    assert detail.flow_state is FlowState.REFUSED
    assert detail.transport == "Peppol"
    assert detail.succeeded is False
    assert detail.reason == "Purchase order number missing"
    assert not detail.is_incoming


def test_the_older_message_shape() -> None:
    payload = BillitWebhookPayload.model_validate(OLDER)
    detail = payload.entity_detail
    assert payload.entity_id == 690999
    assert detail.message_order_id == 2731905
    assert detail.flow_state is FlowState.REFUSED  # case-insensitive
    assert detail.reason == "Wrong VAT number"  # the description when no flow information
    assert detail.transport is None


def test_the_reason_falls_back_to_the_message_description() -> None:
    data: dict[str, Any] = json.loads(json.dumps(CURRENT))
    data["EntityDetail"]["AdditionalMessageInformation"]["AdditionalFlowStateInformation"] = None
    detail = BillitWebhookPayload.model_validate(data).entity_detail
    assert detail.reason == "Rejected by the receiving access point"


@pytest.mark.parametrize("detail", [None, [], "text", 5])
def test_a_detail_that_is_no_object_reads_as_empty(detail: object) -> None:
    payload = BillitWebhookPayload.model_validate(
        {"UpdatedEntityID": 1, "UpdatedEntityType": "Order", "EntityDetail": detail}
    )
    assert payload.entity_detail.message_order_id is None
    assert payload.entity_detail.flow_state is None


def test_unknown_flow_states_and_entity_types_are_none() -> None:
    data: dict[str, Any] = json.loads(json.dumps(CURRENT))
    data["EntityDetail"]["AdditionalMessageInformation"]["EInvoiceFlowState"] = "Pondering"
    data["UpdatedEntityType"] = "order"
    payload = BillitWebhookPayload.model_validate(data)
    assert payload.entity_detail.flow_state is None
    assert payload.known_entity is WebhookEntity.ORDER
    party = BillitWebhookEnvelope.model_validate(
        {"UpdatedEntityID": 1, "UpdatedEntityType": "Party"}
    )
    assert party.known_entity is None


@pytest.mark.parametrize("entity_id", [True, 1.5, "12a", "", 0, -3, None, "1" * 20, {"id": 1}])
def test_entity_ids_must_be_positive_numbers(entity_id: object) -> None:
    with pytest.raises(ValidationError):
        BillitWebhookEnvelope.model_validate(
            {"UpdatedEntityID": entity_id, "UpdatedEntityType": "Order"}
        )


def test_the_sample_events_are_billit_events() -> None:
    sample = json.loads(
        (ROOT / "events/webhook_ingestion/billit_message.json").read_text(encoding="utf-8")
    )
    raw = base64.b64decode(sample["body"]) if sample["isBase64Encoded"] else sample["body"]
    payload = BillitWebhookPayload.model_validate_json(raw)
    assert payload.entity_detail.flow_state is FlowState.DELIVERED
    queued = json.loads(
        (ROOT / "events/webhook_processor/sqs_webhook_event.json").read_text(encoding="utf-8")
    )
    for record in queued["Records"]:
        event = WebhookEvent.model_validate_json(record["body"])
        assert BillitWebhookPayload.model_validate(event.payload).entity_id == event.entity_id


def test_a_queued_event_refuses_unknown_fields_and_naive_times() -> None:
    good = {
        "tenant_id": "acme",
        "delivery_id": "abc123",
        "entity_type": "Message",
        "entity_id": 1,
        "received_at": "2026-01-15T09:00:00Z",
        "payload": {},
    }
    WebhookEvent.model_validate(good)
    with pytest.raises(ValidationError):
        WebhookEvent.model_validate(good | {"signature": "t=1,s=00"})
    with pytest.raises(ValidationError):
        WebhookEvent.model_validate(good | {"received_at": "2026-01-15T09:00:00"})
    with pytest.raises(ValidationError):
        WebhookEvent.model_validate(good | {"tenant_id": "../other"})
