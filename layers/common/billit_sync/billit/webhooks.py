"""Billit webhooks: register (one secret per webhook), list, delete.

Only ``Order`` and ``Message`` entities have webhooks; parties and products are polled.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from billit_sync.billit.errors import BillitNotFoundError, BillitUnreadableResultError
from billit_sync.billit.http import BillitHttp, read_json
from billit_sync.billit.pagination import iter_rows
from billit_sync.billit.webhook_secrets import (
    WEBHOOK_ID_FIELDS,
    WEBHOOK_SECRET_FIELDS,
    find_secret,
    get_field,
)

WEBHOOKS_PATH = "/v1/webhooks"
_LIST_MAX_PAGES = 5
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhookEntityType(StrEnum):
    ORDER = "Order"
    MESSAGE = "Message"


class WebhookUpdateType(StrEnum):
    """⚠ Documented as I/U/D; a delete fires no webhook in practice (confac)."""

    INSERT = "I"
    UPDATE = "U"
    DELETE = "D"


class RegisteredWebhook(BaseModel):
    """A webhook as Billit knows it; ``secret`` only right after registering (lists omit it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    webhook_id: int
    entity_type: str | None = None
    update_type: str | None = None
    url: str | None = None
    secret: SecretStr | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _webhook_of(data: Any, *, fallback_id: int | None = None) -> RegisteredWebhook | None:
    if isinstance(data, int) and not isinstance(data, bool):
        return RegisteredWebhook(webhook_id=data)
    if not isinstance(data, Mapping):
        return None
    raw_id = get_field(data, WEBHOOK_ID_FIELDS)
    try:
        webhook_id = int(raw_id) if raw_id is not None else fallback_id
    except (TypeError, ValueError):
        webhook_id = fallback_id
    if webhook_id is None:
        return None
    found = find_secret(data)
    secret = found[1] if found else None
    return RegisteredWebhook(
        webhook_id=webhook_id,
        entity_type=_text(get_field(data, ("EntityType",))),
        update_type=_text(get_field(data, ("EntityUpdateType", "UpdateType"))),
        url=_text(get_field(data, ("WebhookURL", "Url"))),
        secret=SecretStr(secret) if secret else None,
    )


def _check_webhook_url(url: str) -> str:
    parsed = httpx.URL(url)
    if parsed.scheme == "https" and parsed.host:
        return url
    if parsed.scheme == "http" and parsed.host in _LOOPBACK_HOSTS:
        return url  # only for the local fake
    raise ValueError("Billit webhooks must use an https URL")


class WebhooksApi:
    def __init__(self, http: BillitHttp) -> None:
        self._http = http

    def register_webhook(
        self, entity_type: WebhookEntityType, update_type: WebhookUpdateType, url: str
    ) -> RegisteredWebhook:
        """Register one webhook for the current company; keep its secret (shown only now).

        Unsafe: a lost answer raises ``OutcomeUnknownError``; list the webhooks, delete any
        with this URL (its secret is lost) and register again.
        """
        body = {
            "EntityType": WebhookEntityType(entity_type).value,
            "EntityUpdateType": WebhookUpdateType(update_type).value,
            "WebhookURL": _check_webhook_url(url),
        }
        response = self._http.request("POST", WEBHOOKS_PATH, json=body, unsafe=True)
        webhook = _webhook_of(read_json(response, unsafe=True))
        if webhook is None:
            raise BillitUnreadableResultError(
                f"Billit POST {WEBHOOKS_PATH}: answer has no webhook id",
                status_code=response.status_code,
                method="POST",
                path=WEBHOOKS_PATH,
            )
        return webhook.model_copy(
            update={
                "entity_type": webhook.entity_type or body["EntityType"],
                "update_type": webhook.update_type or body["EntityUpdateType"],
                "url": webhook.url or url,
            }
        )

    def list_webhooks(self) -> list[RegisteredWebhook]:
        """The company's webhooks (Billit omits their secrets)."""
        webhooks = []
        for row in iter_rows(self._http, WEBHOOKS_PATH, max_pages=_LIST_MAX_PAGES):
            webhook = _webhook_of(row)
            if webhook is not None:
                webhooks.append(webhook)
        return webhooks

    def delete_webhook(self, webhook_id: int) -> None:
        """Delete a webhook; one that is already gone counts as deleted (retries are safe)."""
        path = f"{WEBHOOKS_PATH}/{int(webhook_id)}"
        try:
            self._http.request("DELETE", path)
        except BillitNotFoundError:
            return


__all__ = [  # the secret's and id's whereabouts re-exported from ``webhook_secrets``
    "WEBHOOK_ID_FIELDS",
    "WEBHOOK_SECRET_FIELDS",
    "RegisteredWebhook",
    "WebhookEntityType",
    "WebhookUpdateType",
    "WebhooksApi",
    "find_secret",
]
