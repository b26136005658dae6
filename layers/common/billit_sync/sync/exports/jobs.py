"""The message that asks for one tenant's discovery of completed work orders (the schedule;
later perhaps a manual trigger). The discovery worker turns it into one export message per
work order."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from billit_sync.tenancy import TenantId

DiscoveryTrigger = Literal["schedule", "manual"]


class DiscoveryJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: TenantId
    trigger: DiscoveryTrigger = "schedule"
