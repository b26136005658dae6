"""One writer at a time per tenant secret.

Secrets Manager has no compare-and-set, and a Billit refresh token works only once, so every
read-change-write of a tenant's secret (token refresh, connect, disconnect, registration)
happens under the tenant's lease in DynamoDB.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from billit_sync.errors import TransientError
from billit_sync.store import LeaseStore, TenantSecret, TenantSecretStore
from billit_sync.store.clock import Clock

SECRET_LEASE_NAME = "tenant-secret"  # noqa: S105 - a lease name, not a secret


class SecretBusyError(TransientError):
    """Another worker held the tenant's secret for longer than we were willing to wait."""


@dataclass
class TenantSecretLock:
    leases: LeaseStore
    secrets: TenantSecretStore
    clock: Clock
    sleep: Callable[[float], None] = time.sleep
    # Longer than the slowest token refresh (30 s read timeout plus up to 30 s of 429 waits),
    # so a lease never runs out while its holder still spends the single-use refresh token.
    lease_seconds: int = 90
    wait_seconds: float = 25.0
    poll_seconds: float = 0.2
    owner: str = field(default_factory=lambda: f"worker-{uuid.uuid4().hex}")

    @contextmanager
    def held(self, tenant_id: str) -> Iterator[None]:
        """Hold the tenant's secret lease for the block; waits (bounded) while another has it."""
        waited = 0.0
        while not self.leases.acquire(tenant_id, SECRET_LEASE_NAME, self.owner, self.lease_seconds):
            if waited >= self.wait_seconds:
                raise SecretBusyError(f"tenant {tenant_id}: secret is busy, try again later")
            self.sleep(self.poll_seconds)
            waited += self.poll_seconds
        try:
            yield
        finally:
            self.leases.release(tenant_id, SECRET_LEASE_NAME, self.owner)

    def update(
        self, tenant_id: str, change: Callable[[TenantSecret], TenantSecret]
    ) -> TenantSecret:
        """Read, change and write the tenant's secret under the lease; returns the new value."""
        with self.held(tenant_id):
            updated = change(self.secrets.read_fresh(tenant_id))
            self.secrets.write(tenant_id, updated)
            return updated
