"""Typed access to the service's state: DynamoDB (integration and sync-log tables) and
Secrets Manager. Stores receive their boto3 objects and a clock; they never read the
environment or build clients (the handlers' composition root does, once per container).

Key formats are documented in ``billit_sync.store.keys``.
"""

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
