"""The job messages on the webhook events queue that are not Billit's events, kept apart from
the code that runs them: the scheduler and the connect flow only send them, and must not load
the reconcile (the Billit client, the processor) to do so (cold start, issue 16)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from billit_sync.tenancy import TenantId


class ReconcileJob(BaseModel):
    """One tenant's reconcile, on the webhook events queue (the processor runs it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job: Literal["reconcile"] = "reconcile"
    tenant_id: TenantId
    trigger: Literal["schedule", "reconnect", "webhook"] = "schedule"
