"""The function's configuration, read once from its environment by the handler, never by the domain.

The SAM template sets these variables; the local stack and tests build ``RuntimeConfig`` directly.
"""

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from billit_sync.errors import IntegrationError
from billit_sync.outsmart.assumptions import DOCUMENT_HOSTS


class MisconfiguredFunctionError(IntegrationError):
    """The deployment set the function's environment wrong: an operator has to act."""


class RuntimeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field(alias="STAGE")
    integration_table: str = Field(alias="INTEGRATION_TABLE")
    sync_log_table: str = Field(alias="SYNC_LOG_TABLE")
    sync_log_retention_days: int = Field(90, alias="SYNC_LOG_RETENTION_DAYS", ge=1)
    app_secret_name: str = Field(alias="APP_SECRET_NAME")
    tenant_secret_prefix: str = Field(alias="TENANT_SECRET_PREFIX")
    # Webhook secrets in their own secret per tenant (issue 14); unset = one secret (older).
    webhook_secret_prefix: str | None = Field(None, alias="WEBHOOK_SECRET_PREFIX")
    billit_environment: Literal["sandbox", "production"] = Field(alias="BILLIT_ENVIRONMENT")
    billit_api_url: HttpUrl = Field(alias="BILLIT_API_URL")
    billit_login_url: HttpUrl = Field(alias="BILLIT_LOGIN_URL")
    outsmart_base_url: HttpUrl = Field(alias="OUTSMART_BASE_URL")
    public_base_url: str = Field("", alias="PUBLIC_BASE_URL")
    return_url_allow_list: tuple[str, ...] = Field((), alias="RETURN_URL_ALLOW_LIST")
    outsmart_document_hosts: tuple[str, ...] = Field(
        DOCUMENT_HOSTS, alias="OUTSMART_DOCUMENT_HOSTS", min_length=1
    )
    """Hosts (and their subdomains) work-order PDFs are fetched from, comma separated."""
    export_queue_url: str | None = Field(None, alias="EXPORT_QUEUE_URL")
    import_jobs_queue_url: str | None = Field(None, alias="IMPORT_JOBS_QUEUE_URL")
    discovery_jobs_queue_url: str | None = Field(None, alias="DISCOVERY_JOBS_QUEUE_URL")
    webhook_events_queue_url: str | None = Field(None, alias="WEBHOOK_EVENTS_QUEUE_URL")

    @field_validator("outsmart_document_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(host.strip().lower() for host in value.split(",") if host.strip())
        return value

    @field_validator("return_url_allow_list", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(
                origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()
            )
        return value

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "RuntimeConfig":
        """Only our own variables are read: the Lambda environment also holds AWS session
        credentials, which must never end up in a validation message."""
        names = {field.alias or name for name, field in cls.model_fields.items()}
        ours = {name: value for name, value in environ.items() if name in names}
        try:
            return cls.model_validate(ours)
        except ValidationError as error:
            problems = sorted(
                f"{'.'.join(str(part) for part in detail['loc'])} ({detail['type']})"
                for detail in error.errors(include_input=False, include_url=False)
            )
            raise MisconfiguredFunctionError(
                "function environment is incomplete or invalid: " + ", ".join(problems)
            ) from None
