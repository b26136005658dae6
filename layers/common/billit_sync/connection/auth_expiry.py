"""What happens, exactly once, when Billit refuses a tenant's tokens."""

from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit

from billit_sync import messages
from billit_sync.observability import logger, metrics
from billit_sync.store import SyncLogCategory, SyncLogLevel, SyncLogStore, TenantStore


@dataclass
class AuthExpiry:
    tenants: TenantStore
    sync_log: SyncLogStore

    def expire(self, tenant_id: str) -> bool:
        """Connection → auth expired. Only the call that flips it logs and counts it, so the
        log panel shows one entry however many workers saw the refusal."""
        if not self.tenants.mark_auth_expired(tenant_id):
            return False
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.ERROR,
            message_key=messages.AUTH_EXPIRED,
        )
        metrics.add_metric(name="AuthExpired", unit=MetricUnit.Count, value=1)
        logger.warning("Billit connection expired", extra={"tenant_id": tenant_id})
        return True
