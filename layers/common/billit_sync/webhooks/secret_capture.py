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

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from billit_sync import messages
from billit_sync.billit.signature import verify_billit_signature
from billit_sync.billit.webhook_secrets import WEBHOOK_ID_FIELDS, find_secret
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.jobs_queue import JobQueue
from billit_sync.observability import logger, metrics
from billit_sync.store import (
    Connection,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantSecret,
    TenantStore,
    WebhooksState,
)
from billit_sync.store.clock import Clock
from billit_sync.tenancy import TenantId

CAPTURE_WINDOW: Final = timedelta(minutes=10)


class WebhookConfirmationJob(BaseModel):
    """A signed delivery that carries an awaited webhook secret, on its way from ingestion
    (which may not write secrets) to the processor (which stores it). The queue is internal
    and encrypted; the job is never logged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job: Literal["webhook_confirmation"] = "webhook_confirmation"
    tenant_id: TenantId
    signature: str = Field(min_length=1, max_length=1000, repr=False)
    body: str = Field(min_length=1, repr=False)  # base64 of the bytes Billit signed
    received_at: AwareDatetime

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.body)


def confirmation_candidate(
    connection: Connection, header: str, raw: bytes, now: datetime, tolerance_seconds: int
) -> tuple[str, str, SecretStr] | None:
    """(key path, webhook id, secret) when ``raw`` is the signed confirmation of a webhook
    whose secret the connection awaits; None for anything else."""
    awaiting = connection.webhooks_awaiting
    registered_at = connection.webhooks_registered_at
    if (
        not connection.is_connected
        or connection.webhooks_state is not WebhooksState.AWAITING_SECRET
        or not awaiting
        or registered_at is None
        or now - registered_at > CAPTURE_WINDOW
    ):
        return None
    data = _json(raw)
    found = find_secret(data)
    if found is None:
        return None
    path, candidate = found
    secret = SecretStr(candidate)
    if not verify_billit_signature(
        header, raw, secret, now=now.timestamp(), tolerance_seconds=tolerance_seconds
    ):
        logger.info(
            "Billit delivery holds a secret but is not signed with it; ignored",
            extra={"tenant_id": connection.tenant_id, "secret_key": path},
        )
        return None
    return path, _named_webhook(data, awaiting) or awaiting[0], secret


@dataclass
class WebhookConfirmationIntake:
    """Ingestion's side: recognise the confirmation and hand it to the processor."""

    tenants: TenantStore
    jobs: JobQueue[WebhookConfirmationJob]
    clock: Clock
    tolerance_seconds: int = 300

    def offer(self, tenant_id: str, header: str, raw: bytes) -> bool:
        connection = self.tenants.get_connection(tenant_id)
        now = self.clock()
        if confirmation_candidate(connection, header, raw, now, self.tolerance_seconds) is None:
            return False
        self.jobs.send(
            WebhookConfirmationJob(
                tenant_id=tenant_id,
                signature=header,
                body=base64.b64encode(raw).decode("ascii"),
                received_at=now,
            )
        )
        logger.info("Billit webhook confirmation queued", extra={"tenant_id": tenant_id})
        return True


@dataclass
class WebhookSecretCapture:
    """The processor's side: check the confirmation again and store its secret."""

    tenants: TenantStore
    secret_lock: TenantSecretLock
    sync_log: SyncLogStore
    tolerance_seconds: int = 300

    def store(self, job: WebhookConfirmationJob) -> bool:
        """True when the secret is now stored (False: not (or no longer) awaited)."""
        tenant_id = job.tenant_id
        connection = self.tenants.get_connection(tenant_id)
        found = confirmation_candidate(
            connection, job.signature, job.raw, job.received_at, self.tolerance_seconds
        )
        if found is None:
            return False
        path, webhook_id, secret = found

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
