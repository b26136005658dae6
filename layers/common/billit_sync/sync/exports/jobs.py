"""The message that asks for one tenant's discovery of completed work orders (the schedule;
later perhaps a manual trigger). The discovery worker turns it into one export message per
work order."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from billit_sync.tenancy import TenantId

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
