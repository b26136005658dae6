"""Queuing one work order's export outside the schedule: OutSmart's webhook and the log
panel's retry. Both only queue an ``ExportJob``; neither calls OutSmart or Billit.

OutSmart webhook (for an automation the tenant sets up in OutSmart)
--------------------------------------------------------------------
``POST {public base URL}/webhooks/outsmart/{tenant_id}``

- Authentication: the tenant's own OutSmart webhook secret (256 random bits, generated when
  the tenant is registered and shown once in the registration answer), sent either as
  ``X-OutSmart-Secret: <secret>`` or as ``Authorization: Bearer <secret>`` (when both are
  sent, ``X-OutSmart-Secret`` is used). It is compared in constant time and never logged.
- Body: a JSON object ``{"row_id": "1919"}``, optionally with ``"workorder_no": "WB-1042"``;
  other keys are ignored (an automation may send the whole work order), numbers are accepted
  as text, at most 4 KiB; a base64-encoded body (API Gateway's ``isBase64Encoded``) works.
- Answers: ``202 {"queued": true, "row_id": …}`` once the export is queued; ``401`` with one
  and the same body for a missing or wrong secret and for a tenant that does not exist (so
  tenants cannot be probed), checked before the body is looked at; ``400`` for a body that is
  not such an object; ``503`` when the queue cannot be reached (send it again later).

Sending the same work order twice, or the webhook and the schedule's discovery both queuing
it, is harmless: the export worker claims the work order in the export ledger first, so
there is one invoice whatever the number of messages.

Retry (the log panel's Sync button)
-----------------------------------
``ExportRetry.retry(tenant, row_id)`` resets one failed ledger entry (or, without a row id,
every failed one) with ``ExportLedger.reset_for_retry`` and queues an
``ExportJob(trigger="retry")`` for each. A reset entry that could not be queued is not lost:
it is in flight without a lease, so the next discovery run queues it.
"""

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from billit_sync import messages
from billit_sync.api.auth import bearer_token
from billit_sync.api.requests import MalformedBodyError, load_json, webhook_body_bytes
from billit_sync.errors import (
    ConnectionRequiredError,
    ExportNotFailedError,
    ExportNotFoundError,
    UnknownTenantError,
    WebhookBadRequestError,
    WebhookUnauthorizedError,
)
from billit_sync.jobs_queue import JobQueue
from billit_sync.observability import logger, metrics
from billit_sync.store import (
    ConnectionStatus,
    ExportLedger,
    LedgerConflictError,
    LedgerEntry,
    LedgerState,
    TenantSecretStore,
    TenantStore,
)
from billit_sync.store.secrets import WebhookSecretReader
from billit_sync.sync.exports.jobs import CanonicalRowId, ExportJob
from billit_sync.tenancy import InvalidTenantIdError, validate_tenant_id

SECRET_HEADER: Final = "x-outsmart-secret"  # noqa: S105 - a header name, not a secret
MAX_WEBHOOK_BODY_BYTES: Final = 4096
MAX_SECRET_LENGTH: Final = 512
# Compared against when the tenant has no secret, so that case costs the same comparison.
_NO_SECRET: Final = secrets.token_bytes(32)


# ------------------------------------------------------------------------------- webhook
class OutSmartWebhookBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    row_id: CanonicalRowId
    workorder_no: str | None = Field(None, max_length=64)

    @field_validator("row_id", "workorder_no", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("workorder_no")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


def presented_secret(headers: Mapping[str, str]) -> str | None:
    """The secret the caller sent: ``X-OutSmart-Secret``, else ``Authorization: Bearer``."""
    value = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER), None)
    if value is not None and value.strip():
        return value.strip()
    return bearer_token(headers)


def parse_webhook_body(body: str | None, *, base64_encoded: bool = False) -> OutSmartWebhookBody:
    """The webhook's JSON body, or ``WebhookBadRequestError``."""
    if body is None or not body.strip():
        raise WebhookBadRequestError("the body must be a JSON object with row_id")
    raw = webhook_body_bytes(body, base64_encoded=base64_encoded, max_bytes=MAX_WEBHOOK_BODY_BYTES)
    try:
        data: Any = load_json(raw)
    except MalformedBodyError as malformed:
        raise WebhookBadRequestError(str(malformed).replace("request ", "")) from None
    if not isinstance(data, dict):
        raise WebhookBadRequestError("the body must be a JSON object with row_id")
    try:
        return OutSmartWebhookBody.model_validate(data)
    except ValidationError as error:
        fields = sorted(
            {
                ".".join(str(part) for part in detail["loc"]) or "body"
                for detail in error.errors(include_input=False, include_url=False)
            }
        )
        raise WebhookBadRequestError(f"invalid or missing: {', '.join(fields)}") from None


@dataclass
class OutSmartWebhook:
    """``POST /webhooks/outsmart/{tenant}``: authenticate, validate, queue one export."""

    secrets: TenantSecretStore | WebhookSecretReader
    export_jobs: JobQueue[ExportJob]

    def receive(
        self,
        tenant_id: str,
        headers: Mapping[str, str],
        body: str | None,
        *,
        base64_encoded: bool = False,
    ) -> ExportJob:
        """Queue the work order's export and return the job.

        Raises ``WebhookUnauthorizedError`` (401), ``WebhookBadRequestError`` (400), or a
        transient error (the secret or the queue could not be reached: 503).
        """
        try:
            self._authenticate(tenant_id, headers)
        except WebhookUnauthorizedError:
            metrics.add_metric(name="OutSmartWebhookRefused", unit=MetricUnit.Count, value=1)
            raise
        request = parse_webhook_body(body, base64_encoded=base64_encoded)
        job = ExportJob(
            tenant_id=tenant_id,
            row_id=request.row_id,
            workorder_no=request.workorder_no,
            trigger="webhook",
        )
        self.export_jobs.send(job)
        metrics.add_metric(name="OutSmartWebhookQueued", unit=MetricUnit.Count, value=1)
        logger.info(
            "work order export queued by the OutSmart webhook",
            extra={"tenant_id": tenant_id, "row_id": job.row_id},
        )
        return job

    def _authenticate(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        presented = presented_secret(headers)
        try:
            validate_tenant_id(tenant_id)
        except InvalidTenantIdError:
            logger.info("OutSmart webhook refused: not a tenant id")
            raise WebhookUnauthorizedError() from None
        if presented is None or len(presented) > MAX_SECRET_LENGTH:
            logger.info("OutSmart webhook refused: no secret", extra={"tenant_id": tenant_id})
            raise WebhookUnauthorizedError()
        expected = self.secrets.read(tenant_id).outsmart_webhook_secret
        expected_bytes = (
            expected.get_secret_value().encode("utf-8") if expected is not None else _NO_SECRET
        )
        matches = hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected_bytes)
        if expected is None or not matches:
            logger.info(
                "OutSmart webhook refused",
                extra={
                    "tenant_id": tenant_id,
                    "reason": "no secret configured" if expected is None else "wrong secret",
                },
            )
            raise WebhookUnauthorizedError()


# --------------------------------------------------------------------------------- retry
@dataclass(frozen=True)
class RetryResult:
    queued: list[str] = field(default_factory=list)
    """Row ids reset and queued."""
    deferred: list[str] = field(default_factory=list)
    """Row ids reset but not queued (SQS refused): the next discovery run queues them."""

    @property
    def reset(self) -> int:
        return len(self.queued) + len(self.deferred)


@dataclass
class ExportRetry:
    """Re-queue failed exports after the user fixed what the log panel said."""

    tenants: TenantStore
    ledger: ExportLedger
    export_jobs: JobQueue[ExportJob]

    def retry(
        self, tenant_id: str, row_id: str | None = None, *, workorder_no: str | None = None
    ) -> RetryResult:
        """One failed work order (``row_id``, or ``workorder_no`` as the log panel shows it,
        e.g. ``WB-1936``) or all of them (neither).

        Raises ``UnknownTenantError`` (404), ``ConnectionRequiredError`` (409: not connected
        or authentication expired; the failed entries stay as they are),
        ``ExportNotFoundError`` (404) and ``ExportNotFailedError`` (409).
        """
        self._require_connected(tenant_id)
        if row_id is None and workorder_no is not None:
            found = self.ledger.find_by_workorder(tenant_id, workorder_no)
            if found is None:
                raise ExportNotFoundError(f"work order {workorder_no} has no export to retry")
            row_id = found.row_id
        if row_id is not None:
            entries = [self._reset_one(tenant_id, row_id)]
        else:
            entries = self._reset_all(tenant_id)
        if not entries:
            return RetryResult()
        jobs = [_retry_job(entry) for entry in entries]
        sent = self.export_jobs.send_all(jobs)
        result = RetryResult(
            queued=[job.row_id for job in sent.sent],
            deferred=[failure.job.row_id for failure in sent.failed],
        )
        logger.info(
            "failed exports queued again",
            extra={
                "tenant_id": tenant_id,
                "queued": len(result.queued),
                "deferred": len(result.deferred),
                "one": row_id is not None,
            },
        )
        return result

    def _require_connected(self, tenant_id: str) -> None:
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
        connection = self.tenants.get_connection(tenant_id)
        if connection.status is ConnectionStatus.AUTH_EXPIRED:
            raise ConnectionRequiredError(
                messages.render(messages.AUTH_EXPIRED, {}, tenant.language)
            )
        if not connection.is_connected:
            raise ConnectionRequiredError("connect to Billit first")

    def _reset_one(self, tenant_id: str, row_id: str) -> LedgerEntry:
        entry = self.ledger.get(tenant_id, row_id)
        if entry is None:
            raise ExportNotFoundError(f"work order {row_id} has no export to retry")
        if entry.state is not LedgerState.FAILED:
            raise _not_failed(row_id, entry)
        try:
            return self.ledger.reset_for_retry(tenant_id, row_id)
        except LedgerConflictError as conflict:  # retried by someone else meanwhile
            raise _not_failed(row_id, conflict.actual) from None

    def _reset_all(self, tenant_id: str) -> list[LedgerEntry]:
        entries: list[LedgerEntry] = []
        for failed in self.ledger.list_failed(tenant_id):
            try:
                entries.append(self.ledger.reset_for_retry(tenant_id, failed.row_id))
            except LedgerConflictError:
                continue  # reset by a concurrent retry, which queues it
        return entries


def _not_failed(row_id: str, entry: LedgerEntry | None) -> ExportNotFailedError:
    state = entry.state.value if entry is not None else None
    return ExportNotFailedError(
        f"the export of work order {row_id} did not fail (it is {state or 'unknown'}); "
        "nothing to retry",
        state,
    )


def _retry_job(entry: LedgerEntry) -> ExportJob:
    number = (entry.workorder_no or "").strip() or None
    if number is not None and len(number) > 64:
        number = None
    completion = entry.completion_number
    return ExportJob(
        tenant_id=entry.tenant_id,
        row_id=entry.outsmart_row_id,
        workorder_no=number,
        trigger="retry",
        completion=completion if completion > 1 else None,
    )
