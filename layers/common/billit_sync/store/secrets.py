"""Secrets Manager: the service's app secret and each tenant's own secret.

- The **app secret** (Billit OAuth client, OutSmart software token, ticket-signing key) is
  filled in by the operator after the first deploy; it is cached for a few minutes through
  Powertools' ``SecretsProvider``. A field left empty is reported by *name* only.
- A **tenant secret** (``{prefix}{tenant id}``) holds that tenant's OutSmart token, its Billit
  token pair and webhook secrets. Billit refresh tokens are single-use and rotate, so whatever
  decides to refresh, or writes, reads it fresh; the workers keep a short-lived copy for reads
  that only use a token (issue 16: no Secrets Manager read per work order in steady state).

Secret values are ``SecretStr`` everywhere so they never show up in logs, reprs or
``model_dump_json``; they are revealed deliberately, in one place, only to be written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from billit_sync.errors import IntegrationError
from billit_sync.store.aws_errors import (
    TRANSIENT_ERROR_CODES,
    AwsTransientError,
    error_code,
    translate_aws_errors,
)
from billit_sync.store.clock import Clock, as_utc, system_clock
from billit_sync.tenancy import validate_tenant_id
from billit_sync.tickets import TicketKeyring

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

DEFAULT_APP_SECRET_MAX_AGE_SECONDS = 300


class ConfigurationError(IntegrationError):
    """The deployment is not configured completely (an operator has to act, not the user).

    Messages name what is missing, never a value.
    """


# ---------------------------------------------------------------------------- app secret
class AppSecrets(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    billit_client_id: str = Field(min_length=1)
    billit_client_secret: SecretStr = Field(min_length=1)
    outsmart_software_token: SecretStr = Field(min_length=1)
    ticket_signing_key: SecretStr = Field(min_length=1)
    # Ticket key rotation (tickets.py): the current key's id, and the previous key (with its
    # id) still accepted until every ticket signed with it has expired.
    ticket_signing_kid: str = Field("1", min_length=1, max_length=64)
    ticket_previous_signing_key: SecretStr | None = None
    ticket_previous_signing_kid: str | None = Field(None, min_length=1, max_length=64)
    # Signs log-panel cursors; its own key, unrelated to the ticket keys (optional: without
    # it a cursor is unsigned and can still only move within the tenant's own log).
    sync_log_cursor_key: SecretStr | None = None

    def ticket_keyring(self) -> TicketKeyring:
        keys = {self.ticket_signing_kid: self.ticket_signing_key.get_secret_value().encode()}
        previous = self.ticket_previous_signing_key
        if previous and previous.get_secret_value() and self.ticket_previous_signing_kid:
            keys.setdefault(self.ticket_previous_signing_kid, previous.get_secret_value().encode())
        return TicketKeyring(self.ticket_signing_kid, keys)


class AppSecretReader:
    """Reads and validates the app secret, cached for ``max_age_seconds``."""

    def __init__(
        self,
        client: SecretsManagerClient,
        secret_name: str,
        max_age_seconds: int = DEFAULT_APP_SECRET_MAX_AGE_SECONDS,
    ) -> None:
        # Powertools' parameters utility loads when a function reads the app secret, not on
        # every cold start (issue 16).
        from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415

        self._provider = SecretsProvider(boto3_client=client)
        self._secret_name = secret_name
        self._max_age = max_age_seconds
        self._refetch = False

    def get(self) -> AppSecrets:
        """The app secrets; ``ConfigurationError`` naming the fields still to fill in."""
        from aws_lambda_powertools.utilities.parameters.exceptions import (  # noqa: PLC0415
            GetParameterError,
            TransformParameterError,
        )

        try:
            value = self._provider.get(
                self._secret_name,
                max_age=self._max_age,
                transform="json",
                force_fetch=self._refetch,
            )
        except TransformParameterError:
            raise ConfigurationError(
                f"app secret {self._secret_name} is not a JSON object"
            ) from None
        except GetParameterError as error:
            raise _provider_failure(self._secret_name, error) from None
        if not isinstance(value, dict):
            raise ConfigurationError(f"app secret {self._secret_name} is not a JSON object")
        try:
            secrets = AppSecrets.model_validate(value)
        except ValidationError as error:
            # Do not trust the cached, incomplete value: the operator may fill it in any moment.
            self._refetch = True
            missing = sorted({str(detail["loc"][0]) for detail in error.errors() if detail["loc"]})
            raise ConfigurationError(
                f"app secret {self._secret_name} is missing or has empty fields: "
                f"{', '.join(missing)}"
            ) from None
        self._refetch = False
        return secrets


def _provider_failure(secret_name: str, error: Exception) -> Exception:
    """Classify Powertools' catch-all error by the AWS error behind it."""
    cause = error.__context__
    if isinstance(cause, ClientError):
        code = error_code(cause)
        if code in TRANSIENT_ERROR_CODES:
            return AwsTransientError("AppSecretReader.get", code)
        if code == "ResourceNotFoundException":
            return ConfigurationError(f"app secret {secret_name} does not exist")
        return ConfigurationError(f"app secret {secret_name} cannot be read ({code})")
    return AwsTransientError("AppSecretReader.get", type(cause).__name__)


# ------------------------------------------------------------------------ tenant secrets
class BillitTokenRecord(BaseModel):
    """The Billit token pair; ``expires_at`` is when the access token stops working."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr
    expires_at: datetime


class PendingBillitGrant(BaseModel):
    """A Billit login that came back but is not confirmed yet (issue 14): held here, never in
    the confirmation page, until the user confirms; the confirmation id's hash ties it to the
    one page that may use it."""

    model_config = ConfigDict(frozen=True)

    tokens: BillitTokenRecord
    confirmation_hash: str
    expires_at: datetime


class TenantSecret(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    outsmart_token: SecretStr | None = None
    billit: BillitTokenRecord | None = None
    pending_billit: PendingBillitGrant | None = None
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    outsmart_webhook_secret: SecretStr | None = None

    def to_secret_string(self) -> str:
        """The JSON written to Secrets Manager, with every secret revealed (on purpose)."""
        document: dict[str, Any] = {
            "outsmart_token": _reveal(self.outsmart_token),
            "billit": None,
            "webhook_secrets": {
                webhook_id: secret.get_secret_value()
                for webhook_id, secret in self.webhook_secrets.items()
            },
            "outsmart_webhook_secret": _reveal(self.outsmart_webhook_secret),
        }
        if self.billit is not None:
            document["billit"] = _token_document(self.billit)
        if self.pending_billit is not None:
            document["pending_billit"] = {
                "tokens": _token_document(self.pending_billit.tokens),
                "confirmation_hash": self.pending_billit.confirmation_hash,
                "expires_at": as_utc(self.pending_billit.expires_at).isoformat(),
            }
        return json.dumps(document, sort_keys=True)


def _token_document(record: BillitTokenRecord) -> dict[str, str]:
    return {
        "access_token": record.access_token.get_secret_value(),
        "refresh_token": record.refresh_token.get_secret_value(),
        "expires_at": as_utc(record.expires_at).isoformat(),
    }


def _reveal(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


WEBHOOK_FIELDS: Final = frozenset({"webhook_secrets", "outsmart_webhook_secret"})
"""What lives in the tenant's *webhook* secret, apart from its tokens (issue 14): the
internet-facing ingestion function may read these and nothing else."""


def _webhook_part(secret: TenantSecret) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(secret.to_secret_string())
    return {name: document[name] for name in sorted(WEBHOOK_FIELDS)}


def _without_webhooks(payload: str) -> str:
    document: dict[str, Any] = json.loads(payload)
    return json.dumps(
        {k: v for k, v in document.items() if k not in WEBHOOK_FIELDS}, sort_keys=True
    )


class TenantSecretStore:
    """Each tenant's credentials in Secrets Manager (the IAM policies' scopes):

    - ``{prefix}{tenant}``: the OutSmart token and the Billit token pair;
    - ``{webhook_prefix}{tenant}``: the webhook secrets (Billit's per webhook, OutSmart's), in
      their own secret so the webhook ingestion function can verify deliveries without being
      able to read a token (issue 14).

    Callers see one ``TenantSecret``. Migration from the single secret of earlier versions:
    ``read`` takes the webhook fields from the old place while the webhook secret does not
    exist; the first ``write`` that changes them creates the webhook secret and drops them
    from the token secret (``python -m billit_sync.store.migrate`` does it
    for every tenant at once: run it after deploying). A write that leaves them unchanged
    never touches the webhook secret, so workers need no right on it beyond reading.
    Without ``webhook_prefix`` everything stays in one secret (tests of other parts).

    With ``cache_for`` (the workers', issue 16), ``read`` and ``read_credentials`` answer from
    this container's copy while it is younger than that, so a warm worker exporting work order
    after work order, or polling OutSmart with nothing to do, reads no secret at all; every
    ``write`` through this store (a token refresh) and every ``read_fresh`` replace the copy.
    Whoever reads to decide and then write (a token refresh, a webhook registration: under the
    tenant's lease) calls ``read_fresh``. What a cached copy can miss is a change another
    container wrote: a Billit pair refreshed elsewhere (the token provider re-reads fresh
    before it refreshes, and a refused token is re-checked fresh) or a new OutSmart token
    (seen within ``cache_for``).
    """

    def __init__(
        self,
        client: SecretsManagerClient,
        prefix: str,
        webhook_prefix: str | None = None,
        *,
        cache_for: timedelta = timedelta(0),
        clock: Clock = system_clock,
    ) -> None:
        if not prefix.endswith("/") or (
            webhook_prefix is not None and not webhook_prefix.endswith("/")
        ):
            raise ValueError("tenant secret prefix must end with '/'")
        if webhook_prefix == prefix:
            raise ValueError("webhook secrets need their own prefix")
        self._client = client
        self._prefix = prefix
        self._webhook_prefix = webhook_prefix
        # tenant → (webhook part as last read, read from the webhook secret itself?)
        self._webhooks_read: dict[str, tuple[dict[str, Any], bool]] = {}
        self._cache_for = cache_for
        self._clock = clock
        # tenant → (read at, the whole secret) and (read at, the token secret alone)
        self._cached: dict[str, tuple[datetime, TenantSecret]] = {}
        self._cached_credentials: dict[str, tuple[datetime, TenantSecret]] = {}

    def secret_name(self, tenant_id: str) -> str:
        return self._prefix + validate_tenant_id(tenant_id)

    def webhook_secret_name(self, tenant_id: str) -> str | None:
        if self._webhook_prefix is None:
            return None
        return self._webhook_prefix + validate_tenant_id(tenant_id)

    def read(self, tenant_id: str) -> TenantSecret:
        """The tenant's secret (this container's copy while younger than ``cache_for``)."""
        cached = self._young(self._cached, tenant_id)
        return cached if cached is not None else self.read_fresh(tenant_id)

    def read_fresh(self, tenant_id: str) -> TenantSecret:
        """The tenant's secret, read from Secrets Manager; empty when the tenant has none yet."""
        secret = self._read_fresh(tenant_id)
        self._remember(self._cached, tenant_id, secret)
        return secret

    def _young(
        self, cache: dict[str, tuple[datetime, TenantSecret]], tenant_id: str
    ) -> TenantSecret | None:
        cached = cache.get(tenant_id)
        if cached is not None and self._clock() - cached[0] < self._cache_for:
            return cached[1]
        return None

    def _remember(
        self, cache: dict[str, tuple[datetime, TenantSecret]], tenant_id: str, secret: TenantSecret
    ) -> None:
        if self._cache_for > timedelta(0):
            cache[tenant_id] = (self._clock(), secret)

    def _read_fresh(self, tenant_id: str) -> TenantSecret:
        secret = self._read_one(self.secret_name(tenant_id))
        webhook_name = self.webhook_secret_name(tenant_id)
        if webhook_name is None:
            return secret
        webhooks = self._read_document(webhook_name)
        if webhooks is not None:
            update = TenantSecret.model_validate(webhooks)
            secret = secret.model_copy(
                update={name: getattr(update, name) for name in WEBHOOK_FIELDS}
            )
        self._webhooks_read[tenant_id] = (_webhook_part(secret), webhooks is not None)
        return secret

    def migrate(self, tenant_id: str) -> bool:
        """Move the webhook fields of an older single secret into the tenant's webhook
        secret (creating it); False when already there. Call under the tenant's lease, and
        only for a tenant whose token secret exists."""
        secret = self.read_fresh(tenant_id)
        last_read = self._webhooks_read.get(tenant_id)
        if last_read is None or last_read[1]:
            return False
        del self._webhooks_read[tenant_id]  # unknown → write() writes both secrets
        self.write(tenant_id, secret)
        return True

    def tenant_ids(self) -> Iterator[str]:
        """Every tenant with a token secret (operators' tools; the functions never list)."""
        paginator = self._client.get_paginator("list_secrets")
        for page in paginator.paginate(Filters=[{"Key": "name", "Values": [self._prefix]}]):
            for entry in page.get("SecretList", []):
                name = entry.get("Name", "")
                if name.startswith(self._prefix):
                    yield name.removeprefix(self._prefix)

    def read_credentials(self, tenant_id: str) -> TenantSecret:
        """The token secret alone (the OutSmart token, Billit's pair): for readers that need
        no webhook secret, so their roles need no right on one. Never write what this read.
        Answered from this container's copy (either one) while younger than ``cache_for``."""
        cached = self._young(self._cached, tenant_id) or self._young(
            self._cached_credentials, tenant_id
        )
        if cached is not None:
            return cached
        secret = self._read_one(self.secret_name(tenant_id))
        self._remember(self._cached_credentials, tenant_id, secret)
        return secret

    def read_webhooks_only(self, tenant_id: str) -> TenantSecret:
        """Only the webhook fields, from the webhook secret alone (what ingestion may read)."""
        name = self.webhook_secret_name(tenant_id)
        if name is None:
            raise ValueError("the store has no webhook prefix")
        document = self._read_document(name) or {}
        try:
            return TenantSecret.model_validate(
                {k: v for k, v in document.items() if k in WEBHOOK_FIELDS}
            )
        except ValidationError:
            raise ConfigurationError(f"tenant secret {name} is not valid") from None

    def _read_document(self, name: str) -> dict[str, Any] | None:
        try:
            with translate_aws_errors("TenantSecretStore.read"):
                response = self._client.get_secret_value(SecretId=name)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return None
            raise
        try:
            document = json.loads(response.get("SecretString") or "{}")
        except ValueError:
            raise ConfigurationError(f"tenant secret {name} is not valid") from None
        if not isinstance(document, dict):
            raise ConfigurationError(f"tenant secret {name} is not valid")
        return document

    def _read_one(self, name: str) -> TenantSecret:
        document = self._read_document(name)
        try:
            return TenantSecret.model_validate(document or {})
        except ValidationError:
            # The pydantic message could quote the value: report the secret's name only.
            raise ConfigurationError(f"tenant secret {name} is not valid") from None

    def write(self, tenant_id: str, secret: TenantSecret) -> None:
        """Store ``secret`` as the tenant's current value (creates a secret the first time).

        Secrets Manager has no compare-and-set: callers that read, change and write (token
        refresh, webhook registration) do so under the tenant's lease.
        """
        payload = secret.to_secret_string()
        # Whatever happens next, the old copies are not it.
        self._cached.pop(tenant_id, None)
        self._cached_credentials.pop(tenant_id, None)
        webhook_name = self.webhook_secret_name(tenant_id)
        if webhook_name is not None:
            part = _webhook_part(secret)
            last_read = self._webhooks_read.get(tenant_id)
            unchanged = last_read is not None and last_read[0] == part
            if not unchanged:
                self._put(webhook_name, json.dumps(part, sort_keys=True), "webhook secrets")
                self._webhooks_read[tenant_id] = (part, True)
            if not unchanged or last_read is None or last_read[1] or not any(part.values()):
                payload = _without_webhooks(payload)
            # else: not migrated yet and unchanged, so the fields stay in the old place
        self._put(self.secret_name(tenant_id), payload, "credentials")
        self._remember(self._cached, tenant_id, secret)

    def _put(self, name: str, payload: str, what: str) -> None:
        with translate_aws_errors("TenantSecretStore.write"):
            try:
                self._client.put_secret_value(SecretId=name, SecretString=payload)
                return
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
            try:
                self._client.create_secret(
                    Name=name,
                    SecretString=payload,
                    Description=f"OutSmart-Billit integration: one tenant's {what}",
                )
            except ClientError as error:
                if error_code(error) != "ResourceExistsException":
                    raise
                # Created concurrently since our first attempt: store our value as current.
                self._client.put_secret_value(SecretId=name, SecretString=payload)


class WebhookSecretReader:
    """What the webhook ingestion function reads: only the tenant's webhook secret, never its
    tokens, cached briefly (answers *and* misses) so a flood of forged deliveries for any
    tenant id costs at most one Secrets Manager call per tenant per ``max_age_seconds``.

    A secret registered or rotated meanwhile is seen within ``max_age_seconds``.
    """

    def __init__(
        self, store: TenantSecretStore, clock: Callable[[], float], max_age_seconds: float = 15
    ) -> None:
        if store.webhook_secret_name("aa") is None:
            raise ValueError("the store has no webhook prefix")
        self._store = store
        self._clock = clock
        self._max_age = max_age_seconds
        self._cache: dict[str, tuple[float, TenantSecret]] = {}

    def read(self, tenant_id: str) -> TenantSecret:
        """A ``TenantSecret`` with only the webhook fields set (empty when there is none)."""
        now = self._clock()
        cached = self._cache.get(tenant_id)
        if cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        secret = self._store.read_webhooks_only(tenant_id)
        if len(self._cache) >= MAX_CACHED_TENANTS:
            self._cache.clear()  # bounded: tenant ids in URLs are the attacker's choice
        self._cache[tenant_id] = (now, secret)
        return secret

    def forget(self, tenant_id: str) -> None:
        """Read the tenant's secret afresh next time: a webhook secret is on its way (Billit's
        confirmation delivery was just queued for the processor to store), so the cached
        answer, often a miss, is about to be stale."""
        self._cache.pop(tenant_id, None)


MAX_CACHED_TENANTS: Final = 10_000
