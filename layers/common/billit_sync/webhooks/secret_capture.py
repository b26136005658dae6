"""A webhook's signing secret taken from Billit's confirmation delivery (reference §5).

Billit's docs say both that the registration answer provides the secret and that "a Message
confirmation will be sent as a webhook. This message does contain the secret." Registration
keeps what the answer holds and records the webhook ids still without a secret on the
connection; this module takes the secret from the first delivery to the tenant's URL while
one is awaited ("Safe procedure" step 2):

- only within ``CAPTURE_WINDOW`` after registering, and only while an id is awaited;
- the candidate is any text under a key containing "secret" (``find_secret``);
- the delivery must carry a ``Billit-Signature`` that verifies with that candidate: the
  tenant's URL is not secret, so an unsigned "confirmation" could come from anyone. Such a
  delivery is refused like any unsigned one, and statuses keep arriving by the reconcile;
- the secret is stored under the webhook id the delivery names when it is an awaited one,
  else under the first awaited id (⚠ the confirmation's shape is undocumented).

Nothing here logs the secret, the signature or the body; key paths only.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import SecretStr

from billit_sync import messages
from billit_sync.billit.signature import verify_billit_signature
from billit_sync.billit.webhooks import WEBHOOK_ID_FIELDS, find_secret
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.observability import logger, metrics
from billit_sync.store import (
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantSecret,
    TenantStore,
    WebhooksState,
)
from billit_sync.store.clock import Clock

CAPTURE_WINDOW: Final = timedelta(minutes=10)


@dataclass
class WebhookSecretCapture:
    tenants: TenantStore
    secret_lock: TenantSecretLock
    sync_log: SyncLogStore
    clock: Clock
    tolerance_seconds: int = 300

    def capture(self, tenant_id: str, header: str, raw: bytes) -> bool:
        """True when ``raw`` is the signed confirmation of an awaited webhook and its secret
        is now stored; False for anything else (the caller then answers 401)."""
        connection = self.tenants.get_connection(tenant_id)
        awaiting = connection.webhooks_awaiting
        registered_at = connection.webhooks_registered_at
        now = self.clock()
        if (
            not connection.is_connected
            or connection.webhooks_state is not WebhooksState.AWAITING_SECRET
            or not awaiting
            or registered_at is None
            or now - registered_at > CAPTURE_WINDOW
        ):
            return False
        data = _json(raw)
        found = find_secret(data)
        if found is None:
            return False
        path, candidate = found
        secret = SecretStr(candidate)
        if not verify_billit_signature(
            header, raw, secret, now=now.timestamp(), tolerance_seconds=self.tolerance_seconds
        ):
            logger.info(
                "Billit delivery holds a secret but is not signed with it; ignored",
                extra={"tenant_id": tenant_id, "secret_key": path},
            )
            return False
        webhook_id = _named_webhook(data, awaiting) or awaiting[0]

        def keep(current: TenantSecret) -> TenantSecret:
            return current.model_copy(
                update={"webhook_secrets": {**current.webhook_secrets, webhook_id: secret}}
            )

        self.secret_lock.update(tenant_id, keep)
        now_active = self.tenants.webhook_secret_received(tenant_id, webhook_id)
        metrics.add_metric(name="BillitWebhookSecretCaptured", unit=MetricUnit.Count, value=1)
        logger.info(
            "Billit webhook secret taken from the confirmation delivery",
            extra={"tenant_id": tenant_id, "webhook_id": webhook_id, "secret_key": path},
        )
        if now_active:
            self.sync_log.record(
                tenant_id,
                category=SyncLogCategory.CONNECTION,
                level=SyncLogLevel.INFO,
                message_key=messages.WEBHOOKS_ACTIVE,
                params={},
            )
        return True


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _named_webhook(data: Any, awaiting: list[str]) -> str | None:
    """The awaited webhook id the delivery names (its detail's id, or the entity id)."""
    if not isinstance(data, dict):
        return None
    candidates: list[Any] = [data.get("UpdatedEntityID")]
    detail = data.get("EntityDetail")
    if isinstance(detail, dict):
        lowered = {str(k).lower(): v for k, v in detail.items()}
        candidates = [lowered.get(name.lower()) for name in WEBHOOK_ID_FIELDS] + candidates
    for value in candidates:
        if value is not None and str(value) in awaiting:
            return str(value)
    return None
