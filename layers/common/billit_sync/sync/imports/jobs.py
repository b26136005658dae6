"""The message that asks for one tenant's import (scheduler, "sync now", continuation)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from billit_sync.tenancy import TenantId

ImportTrigger = Literal["schedule", "manual", "continuation"]


class ImportJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: TenantId
    full: bool = False
    trigger: ImportTrigger = "schedule"
