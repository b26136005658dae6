"""Webhook deliveries: Billit's payload shapes and the ``Billit-Signature`` header."""

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

ENTITY_TYPES = ("Order", "Message")
UPDATE_TYPES = ("I", "U", "D")
MAX_WEBHOOKS = 4


@dataclass(frozen=True)
class WebhookDelivery:
    """One queued POST: ``body`` is exactly the bytes that were signed."""

    url: str
    body: bytes
    headers: dict[str, str]
    webhook_id: int
    entity_type: str
    update_type: str
    payload: dict[str, Any] = field(repr=False)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix>,s=<hex HMAC-SHA256(secret, "<t>." + body)>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},s={mac.hexdigest()}"


def payload(
    entity_type: str, update_type: str, entity_id: int, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "UpdatedEntityID": entity_id,
        "UpdatedEntityType": entity_type,
        "WebhookUpdateTypeTC": update_type,
        "EntityDetail": detail,
    }
