"""Typed access to the service's state: DynamoDB (integration and sync-log tables) and
Secrets Manager. Stores receive their boto3 objects and a clock; they never read the
environment or build clients (the handlers' composition root does, once per container).

Key formats are documented in ``billit_sync.store.keys``.
"""

from typing import TYPE_CHECKING

from billit_sync.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from billit_sync.store.aws_errors import AwsTransientError
    from billit_sync.store.clock import Clock, system_clock
    from billit_sync.store.deliveries import DeliveryLog
    from billit_sync.store.leases import Lease, LeaseStore
    from billit_sync.store.ledger import (
        ExportLedger,
        LedgerConflictError,
        LedgerEntry,
        LedgerState,
        idempotency_key_for,
    )
    from billit_sync.store.mappings import IdMapping, MappedEntity, MappingStore
    from billit_sync.store.oauth_states import OAuthStateStore, PendingOAuth
    from billit_sync.store.secrets import (
        AppSecretReader,
        AppSecrets,
        BillitTokenRecord,
        ConfigurationError,
        TenantSecret,
        TenantSecretStore,
    )
    from billit_sync.store.settings import SettingsStore
    from billit_sync.store.sightings import Sighting, WorkOrderSightings
    from billit_sync.store.sync_log import (
        InvalidCursorError,
        SyncLogCategory,
        SyncLogEntry,
        SyncLogLevel,
        SyncLogPage,
        SyncLogStore,
    )
    from billit_sync.store.tenants import (
        BillitCompany,
        Connection,
        ConnectionStatus,
        Tenant,
        TenantStore,
        WebhooksState,
    )
    from billit_sync.store.watermarks import Watermark, WatermarkStore

# Every name loads its module on first use (PEP 562): a function loads the stores it uses, not
# all of them (the OAuth function never needs the ledger or the mappings; cold start, issue 16).
_MODULE_OF: dict[str, str] = {
    "AppSecretReader": "billit_sync.store.secrets",
    "AppSecrets": "billit_sync.store.secrets",
    "AwsTransientError": "billit_sync.store.aws_errors",
    "BillitCompany": "billit_sync.store.tenants",
    "BillitTokenRecord": "billit_sync.store.secrets",
    "Clock": "billit_sync.store.clock",
    "ConfigurationError": "billit_sync.store.secrets",
    "Connection": "billit_sync.store.tenants",
    "ConnectionStatus": "billit_sync.store.tenants",
    "DeliveryLog": "billit_sync.store.deliveries",
    "ExportLedger": "billit_sync.store.ledger",
    "IdMapping": "billit_sync.store.mappings",
    "InvalidCursorError": "billit_sync.store.sync_log",
    "Lease": "billit_sync.store.leases",
    "LeaseStore": "billit_sync.store.leases",
    "LedgerConflictError": "billit_sync.store.ledger",
    "LedgerEntry": "billit_sync.store.ledger",
    "LedgerState": "billit_sync.store.ledger",
    "MappedEntity": "billit_sync.store.mappings",
    "MappingStore": "billit_sync.store.mappings",
    "OAuthStateStore": "billit_sync.store.oauth_states",
    "PendingOAuth": "billit_sync.store.oauth_states",
    "SettingsStore": "billit_sync.store.settings",
    "Sighting": "billit_sync.store.sightings",
    "SyncLogCategory": "billit_sync.store.sync_log",
    "SyncLogEntry": "billit_sync.store.sync_log",
    "SyncLogLevel": "billit_sync.store.sync_log",
    "SyncLogPage": "billit_sync.store.sync_log",
    "SyncLogStore": "billit_sync.store.sync_log",
    "Tenant": "billit_sync.store.tenants",
    "TenantSecret": "billit_sync.store.secrets",
    "TenantSecretStore": "billit_sync.store.secrets",
    "TenantStore": "billit_sync.store.tenants",
    "Watermark": "billit_sync.store.watermarks",
    "WatermarkStore": "billit_sync.store.watermarks",
    "WebhooksState": "billit_sync.store.tenants",
    "WorkOrderSightings": "billit_sync.store.sightings",
    "idempotency_key_for": "billit_sync.store.ledger",
    "system_clock": "billit_sync.store.clock",
}


__getattr__ = lazy_exports(__name__, _MODULE_OF, globals())


__all__ = [
    "AppSecretReader",
    "AppSecrets",
    "AwsTransientError",
    "BillitCompany",
    "BillitTokenRecord",
    "Clock",
    "ConfigurationError",
    "Connection",
    "ConnectionStatus",
    "DeliveryLog",
    "ExportLedger",
    "IdMapping",
    "InvalidCursorError",
    "Lease",
    "LeaseStore",
    "LedgerConflictError",
    "LedgerEntry",
    "LedgerState",
    "MappedEntity",
    "MappingStore",
    "OAuthStateStore",
    "PendingOAuth",
    "SettingsStore",
    "Sighting",
    "SyncLogCategory",
    "SyncLogEntry",
    "SyncLogLevel",
    "SyncLogPage",
    "SyncLogStore",
    "Tenant",
    "TenantSecret",
    "TenantSecretStore",
    "TenantStore",
    "Watermark",
    "WatermarkStore",
    "WebhooksState",
    "WorkOrderSightings",
    "idempotency_key_for",
    "system_clock",
]
