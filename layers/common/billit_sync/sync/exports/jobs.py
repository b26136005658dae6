"""The message that asks for one tenant's discovery of completed work orders (the schedule;
later perhaps a manual trigger). The discovery worker turns it into one export message per
work order. Also what names a work order from outside: its canonical OutSmart row id, and the
URL OutSmart's automation posts completed work orders to."""

from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from billit_sync.tenancy import TenantId, validate_tenant_id

OUTSMART_WEBHOOK_PATH: Final = "/webhooks/outsmart/{tenant_id}"
ROW_ID_PATTERN: Final = r"^[1-9][0-9]{0,9}$"
"""Canonical OutSmart row ids only: ``row_id`` is an int32 (outsmart-openapi-8.json,
GetWorkorder ``row_id``: ``{"type": "integer", "format": "int32"}``), so decimal digits without
a leading zero; ``"0001919"``, ``"nan"`` or ``"1e3"`` would name no work order, or a second
ledger entry for the same one (issue 14)."""
MAX_ROW_ID: Final = 2**31 - 1


def _int32(row_id: str) -> str:
    if int(row_id) > MAX_ROW_ID:
        raise ValueError("row_id is larger than an OutSmart row id can be")
    return row_id


CanonicalRowId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=10, pattern=ROW_ID_PATTERN),
    AfterValidator(_int32),
]


def outsmart_webhook_url(public_base_url: str, tenant_id: str) -> str:
    """The URL a tenant's OutSmart automation posts to."""
    return public_base_url.rstrip("/") + OUTSMART_WEBHOOK_PATH.format(
        tenant_id=validate_tenant_id(tenant_id)
    )


DiscoveryTrigger = Literal["schedule", "manual"]


class DiscoveryJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: TenantId
    trigger: DiscoveryTrigger = "schedule"


ExportTrigger = Literal["discovery", "webhook", "retry"]


class ExportJob(BaseModel):
    """One completed work order to turn into one Billit invoice (the export queue's message).

    The schedule's discovery, OutSmart's webhook and the log panel's retry all send this; the
    export ledger, not the message, decides whether anything is still to be done.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: TenantId
    row_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    workorder_no: str | None = Field(None, max_length=64)
    trigger: ExportTrigger = "discovery"
    completion: int | None = Field(None, ge=2, le=999)
    """Set when the work order was completed again after its invoice (the 2nd, 3rd…
    completion); the export then follows the tenant's re-completion setting."""


def external_reference(tenant_id: str, row_id: str) -> str:
    """The Billit ``ExternalProviderID`` of the invoice for one work order: deterministic, so
    the service can always find the invoice again (reference: tenant + OutSmart row id)."""
    return f"os-{tenant_id}-{row_id}"
