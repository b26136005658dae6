"""``POST /webhooks/billit/{tenant_id}``: verify, de-duplicate and queue one Billit delivery.

Billit does not document retries, ordering or timeouts of its deliveries (reference §9), so
the answer must come fast and nothing slow happens here: no Billit or OutSmart call, only the
tenant's secret (Secrets Manager), one conditional put (de-duplication) and one SQS message.
The webhook processor applies the event later.

Authentication (reference §5): ``Billit-Signature: t=<unix>,s=<hex>`` is HMAC-SHA256 with the
secret of the webhook that fired, over ``"<t>." + body`` exactly as received (an API Gateway
body with ``isBase64Encoded`` is decoded first; JSON is never re-serialised for the check).
The tenant's secret holds the secrets of every webhook registered for it;
each is tried, all of them every time. Answers:

- ``401`` with one and the same body for an unknown tenant, a missing or garbled header, a
  signature no webhook secret matches and a timestamp more than 5 minutes off, so nothing can
  be probed;
- ``400`` for a body that is not a JSON object with ``UpdatedEntityID`` and
  ``UpdatedEntityType`` (checked only after the signature);
- ``200`` for a delivery already accepted (same tenant, entity type, entity id, update type
  and body) and for an entity type the service has no use for;
- ``202`` once the event is queued;
- ``503`` when the secret or the queue cannot be reached (Billit may deliver again).

Nothing here logs the signature, a secret or the body.
"""

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import SecretStr, ValidationError

from billit_sync.api.requests import MalformedBodyError, load_json, webhook_body_bytes
from billit_sync.billit.signature import SIGNATURE_HEADER, verify_billit_signature
from billit_sync.billit.webhook_secrets import find_secret
from billit_sync.errors import WebhookBadRequestError, WebhookUnauthorizedError
from billit_sync.jobs_queue import JobQueue
from billit_sync.observability import logger, metrics
from billit_sync.store import DeliveryLog, TenantSecretStore
from billit_sync.store.clock import Clock
from billit_sync.store.secrets import WebhookSecretReader
from billit_sync.tenancy import InvalidTenantIdError, validate_tenant_id
from billit_sync.webhooks.events import BillitWebhookEnvelope, WebhookEvent
from billit_sync.webhooks.secret_capture import WebhookConfirmationIntake

SIGNATURE_TOLERANCE_SECONDS: Final = 300
MAX_BODY_BYTES: Final = 64 * 1024
"""Billit's deliveries are a few hundred bytes; the cap keeps one SQS message well below 256 KiB."""
DELIVERY_TTL_SECONDS: Final = 7 * 24 * 3600
"""How long a delivery is remembered: far longer than any plausible redelivery."""

# Verified against when the tenant has no webhook secret, so that case costs the same work.
_NO_SECRET: Final = SecretStr(secrets.token_hex(32))


class BillitWebhookUnauthorizedError(WebhookUnauthorizedError):
    """401: one message for every reason (unknown tenant, no header, bad or stale signature)."""

    def __init__(self) -> None:
        super().__init__("missing or invalid Billit-Signature")


class BillitWebhookBadRequestError(WebhookBadRequestError):
    """400: the signed body is not a Billit event. The message names fields, never values."""


class IngestionOutcome(StrEnum):
    QUEUED = "queued"
    CONFIRMATION = "confirmation"  # a webhook's confirmation delivery (carries its secret)
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # an entity type the service does not use


@dataclass(frozen=True)
class IngestionResult:
    outcome: IngestionOutcome
    delivery_id: str

    @property
    def queued(self) -> bool:
        return self.outcome is IngestionOutcome.QUEUED


def delivery_key(entity_type: str, entity_id: int, update_type: str | None, raw: bytes) -> str:
    """The de-duplication key (reference §9): entity type, id, update type and body hash."""
    digest = hashlib.sha256(raw).hexdigest()
    return f"billit\n{entity_type}\n{entity_id}\n{update_type or ''}\n{digest}"


def delivery_id_for(tenant_id: str, key: str) -> str:
    """A short id for logs, the same for every delivery of the same event."""
    return hashlib.sha256(f"{tenant_id}\n{key}".encode()).hexdigest()[:32]


def signature_header(headers: Mapping[str, str] | None) -> str | None:
    """``Billit-Signature`` whatever its case (API Gateway lower-cases header names)."""
    wanted = SIGNATURE_HEADER.lower()
    return next((v for k, v in (headers or {}).items() if k.lower() == wanted), None)


def raw_body(body: str | None, *, base64_encoded: bool) -> bytes:
    """The body's bytes exactly as Billit sent (and signed) them."""
    return webhook_body_bytes(
        body,
        base64_encoded=base64_encoded,
        max_bytes=MAX_BODY_BYTES,
        refused=BillitWebhookBadRequestError,
    )


def parse_envelope(raw: bytes) -> tuple[BillitWebhookEnvelope, dict[str, Any]]:
    """The validated envelope and the payload as a JSON object, or a 400."""
    try:
        data: Any = load_json(raw)
    except MalformedBodyError as malformed:
        raise BillitWebhookBadRequestError(str(malformed).replace("request ", "")) from None
    if not isinstance(data, dict):
        raise BillitWebhookBadRequestError("the body must be a JSON object")
    try:
        envelope = BillitWebhookEnvelope.model_validate(data)
    except ValidationError as error:
        fields = sorted(
            {
                ".".join(str(part) for part in detail["loc"]) or "body"
                for detail in error.errors(include_input=False, include_url=False)
            }
        )
        raise BillitWebhookBadRequestError(f"invalid or missing: {', '.join(fields)}") from None
    return envelope, data


@dataclass
class BillitWebhookIngestion:
    """Turns one authenticated Billit delivery into one ``WebhookEvent`` on the queue."""

    secrets: TenantSecretStore | WebhookSecretReader
    deliveries: DeliveryLog
    events: JobQueue[WebhookEvent]
    clock: Clock
    tolerance_seconds: int = SIGNATURE_TOLERANCE_SECONDS
    # Hands Billit's signed confirmation delivery (an awaited secret) to the processor.
    confirmations: WebhookConfirmationIntake | None = None

    def receive(
        self,
        tenant_id: str,
        headers: Mapping[str, str] | None,
        body: str | None,
        *,
        base64_encoded: bool = False,
    ) -> IngestionResult:
        """Queue the delivery (or recognise it as a duplicate).

        Raises ``BillitWebhookUnauthorizedError`` (401), ``BillitWebhookBadRequestError``
        (400), or a transient error (the secret, the de-duplication table or the queue could
        not be reached: 503).
        """
        raw = raw_body(body, base64_encoded=base64_encoded)
        try:
            self._authenticate(tenant_id, signature_header(headers), raw)
        except BillitWebhookUnauthorizedError:
            if self._secret_captured(tenant_id, signature_header(headers), raw):
                key = delivery_key("secret", 1, None, raw)
                return IngestionResult(
                    IngestionOutcome.CONFIRMATION, delivery_id_for(tenant_id, key)
                )
            metrics.add_metric(name="BillitWebhookRefused", unit=MetricUnit.Count, value=1)
            raise
        envelope, payload = parse_envelope(raw)
        key = delivery_key(envelope.entity_type, envelope.entity_id, envelope.update_type, raw)
        delivery_id = delivery_id_for(tenant_id, key)
        facts = {
            "tenant_id": tenant_id,
            "delivery_id": delivery_id,
            "entity_type": envelope.entity_type,
            "entity_id": envelope.entity_id,
            "update_type": envelope.update_type,
        }
        if find_secret(payload) is not None:
            # A confirmation delivery whose secret is known already: never queue a secret.
            logger.info("Billit webhook confirmation; nothing to queue", extra=facts)
            return IngestionResult(IngestionOutcome.CONFIRMATION, delivery_id)
        entity = envelope.known_entity
        if entity is None:
            logger.info("Billit webhook for an entity type the service does not use", extra=facts)
            return IngestionResult(IngestionOutcome.IGNORED, delivery_id)
        if not self.deliveries.first_time(tenant_id, key, DELIVERY_TTL_SECONDS):
            metrics.add_metric(name="BillitWebhookDuplicates", unit=MetricUnit.Count, value=1)
            logger.info("Billit webhook delivered again; already queued", extra=facts)
            return IngestionResult(IngestionOutcome.DUPLICATE, delivery_id)
        try:
            self.events.send(
                WebhookEvent(
                    tenant_id=tenant_id,
                    delivery_id=delivery_id,
                    entity_type=entity.value,
                    update_type=envelope.update_type,
                    entity_id=envelope.entity_id,
                    received_at=self.clock(),
                    payload=payload,
                    delivery_key=key,
                )
            )
        except BaseException:
            # Whatever failed after the de-dup record was written (the queue, a bug, a
            # timeout): drop the record, so Billit's next delivery is processed, not "duplicate".
            self._forget(tenant_id, key, facts)
            raise
        metrics.add_metric(name="BillitWebhookQueued", unit=MetricUnit.Count, value=1)
        logger.info("Billit webhook queued", extra=facts)
        return IngestionResult(IngestionOutcome.QUEUED, delivery_id)

    def _authenticate(self, tenant_id: str, header: str | None, raw: bytes) -> None:
        try:
            validate_tenant_id(tenant_id)
        except InvalidTenantIdError:
            logger.info("Billit webhook refused: not a tenant id")
            raise BillitWebhookUnauthorizedError() from None
        if not header:
            logger.info("Billit webhook refused: no signature", extra={"tenant_id": tenant_id})
            raise BillitWebhookUnauthorizedError()
        candidates = list(self.secrets.read(tenant_id).webhook_secrets.values()) or [_NO_SECRET]
        now = self.clock().timestamp()
        matched = False
        for secret in candidates:  # every secret, every time: no early exit
            ok = verify_billit_signature(
                header, raw, secret, now=now, tolerance_seconds=self.tolerance_seconds
            )
            matched = ok or matched
        if not matched or candidates[0] is _NO_SECRET:
            logger.info(
                "Billit webhook refused",
                extra={
                    "tenant_id": tenant_id,
                    "reason": "no webhook registered"
                    if candidates[0] is _NO_SECRET
                    else "signature not valid, or its timestamp is too old",
                },
            )
            raise BillitWebhookUnauthorizedError()

    def _secret_captured(self, tenant_id: str, header: str | None, raw: bytes) -> bool:
        """A delivery no stored secret verifies may be the confirmation carrying one."""
        if self.confirmations is None or not header:
            return False
        try:
            validate_tenant_id(tenant_id)
        except InvalidTenantIdError:
            return False
        offered = self.confirmations.offer(tenant_id, header, raw)
        if offered and isinstance(self.secrets, WebhookSecretReader):
            self.secrets.forget(tenant_id)
        return offered

    def _forget(self, tenant_id: str, key: str, facts: dict[str, Any]) -> None:
        """The event was not queued: let Billit's next delivery of it through."""
        try:
            self.deliveries.forget(tenant_id, key)
        except Exception:  # the 503 matters more than this clean-up
            logger.exception("Billit webhook not queued and not forgotten", extra=facts)
        else:
            logger.warning("Billit webhook not queued", extra=facts)
