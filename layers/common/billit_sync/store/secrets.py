"""Secrets Manager: the service's app secret and each tenant's own secret.

- The **app secret** (Billit OAuth client, OutSmart software token, ticket-signing key) is
  filled in by the operator after the first deploy; it is cached for a few minutes through
  Powertools' ``SecretsProvider``. A field left empty is reported by *name* only.
- A **tenant secret** (``{prefix}{tenant id}``) holds that tenant's OutSmart token, its Billit
  token pair and webhook secrets. It is read fresh every time: Billit refresh tokens are
  single-use and rotate, so a cached copy would spend a dead token.

Secret values are ``SecretStr`` everywhere so they never show up in logs, reprs or
``model_dump_json``; they are revealed deliberately, in one place, only to be written.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)
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


class AppSecretReader:
    """Reads and validates the app secret, cached for ``max_age_seconds``."""

    def __init__(
        self,
        client: SecretsManagerClient,
        secret_name: str,
        max_age_seconds: int = DEFAULT_APP_SECRET_MAX_AGE_SECONDS,
    ) -> None:
        self._provider = SecretsProvider(boto3_client=client)
        self._secret_name = secret_name
        self._max_age = max_age_seconds
        self._refetch = False

    def get(self) -> AppSecrets:
        """The app secrets; ``ConfigurationError`` naming the fields still to fill in."""
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


def _provider_failure(secret_name: str, error: GetParameterError) -> Exception:
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


class TenantSecret(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    outsmart_token: SecretStr | None = None
    billit: BillitTokenRecord | None = None
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
            document["billit"] = {
                "access_token": self.billit.access_token.get_secret_value(),
                "refresh_token": self.billit.refresh_token.get_secret_value(),
                "expires_at": as_utc(self.billit.expires_at).isoformat(),
            }
        return json.dumps(document, sort_keys=True)


def _reveal(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


class TenantSecretStore:
    """One Secrets Manager secret per tenant under ``prefix`` (the IAM policy's scope).

    With ``cache_for`` (the workers', issue 16), ``read`` answers from this container's copy
    while it is younger than that, so a warm worker exporting work order after work order, or
    polling OutSmart with nothing to do, reads no secret at all; every ``write`` through this
    store (a token refresh) and every ``read_fresh`` replace the copy. Whoever reads to decide
    and then write (a token refresh, a webhook registration: under the tenant's lease) calls
    ``read_fresh``. What a cached copy can miss is a change another container wrote: a Billit
    pair refreshed elsewhere (the token provider re-reads fresh before it refreshes, and a
    refused token is re-checked fresh) or a new OutSmart token (seen within ``cache_for``).
    """

    def __init__(
        self,
        client: SecretsManagerClient,
        prefix: str,
        *,
        cache_for: timedelta = timedelta(0),
        clock: Clock = system_clock,
    ) -> None:
        if not prefix.endswith("/"):
            raise ValueError("tenant secret prefix must end with '/'")
        self._client = client
        self._prefix = prefix
        self._cache_for = cache_for
        self._clock = clock
        self._cached: dict[str, tuple[datetime, TenantSecret]] = {}

    def secret_name(self, tenant_id: str) -> str:
        return self._prefix + validate_tenant_id(tenant_id)

    def read(self, tenant_id: str) -> TenantSecret:
        """The tenant's secret (this container's copy while younger than ``cache_for``)."""
        cached = self._cached.get(tenant_id)
        if cached is not None and self._clock() - cached[0] < self._cache_for:
            return cached[1]
        return self.read_fresh(tenant_id)

    def read_fresh(self, tenant_id: str) -> TenantSecret:
        """The tenant's secret, read from Secrets Manager; empty when the tenant has none yet."""
        secret = self._read(tenant_id)
        self._remember(tenant_id, secret)
        return secret

    def _remember(self, tenant_id: str, secret: TenantSecret) -> None:
        if self._cache_for > timedelta(0):
            self._cached[tenant_id] = (self._clock(), secret)

    def _read(self, tenant_id: str) -> TenantSecret:
        name = self.secret_name(tenant_id)
        try:
            with translate_aws_errors("TenantSecretStore.read"):
                response = self._client.get_secret_value(SecretId=name)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return TenantSecret()
            raise
        try:
            return TenantSecret.model_validate_json(response.get("SecretString") or "{}")
        except ValidationError:
            # The pydantic message could quote the value: report the secret's name only.
            raise ConfigurationError(f"tenant secret {name} is not valid") from None

    def write(self, tenant_id: str, secret: TenantSecret) -> None:
        """Store ``secret`` as the tenant's current value (creates the secret the first time).

        Secrets Manager has no compare-and-set: callers that read, change and write (token
        refresh, webhook registration) do so under the tenant's lease.
        """
        name = self.secret_name(tenant_id)
        payload = secret.to_secret_string()
        self._cached.pop(tenant_id, None)  # whatever happens next, the old copy is not it
        with translate_aws_errors("TenantSecretStore.write"):
            try:
                self._client.put_secret_value(SecretId=name, SecretString=payload)
                self._remember(tenant_id, secret)
                return
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
            try:
                self._client.create_secret(
                    Name=name,
                    SecretString=payload,
                    Description="OutSmart-Billit integration: one tenant's credentials",
                )
            except ClientError as error:
                if error_code(error) != "ResourceExistsException":
                    raise
                # Created concurrently since our first attempt: store our value as current.
                self._client.put_secret_value(SecretId=name, SecretString=payload)
