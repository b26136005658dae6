"""The composition root: builds AWS clients, the HTTP client, stores and services once per
Lambda container from ``RuntimeConfig``. Handlers use it; domain code only receives what it
builds, so tests can swap any piece.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import boto3

from billit_sync.config import MisconfiguredFunctionError, RuntimeConfig
from billit_sync.errors import UserFixableError
from billit_sync.jobs_queue import JobQueue
from billit_sync.store import (
    AppSecretReader,
    AppSecrets,
    LeaseStore,
    SettingsStore,
    SyncLogStore,
    TenantSecretStore,
    TenantStore,
)
from billit_sync.store.clock import Clock, system_clock

# Cold start (issue 16): every handler imports this module, but each needs only its own
# services. What one handler alone needs is imported where it is built (the methods below), so
# the scheduler never loads the Billit client, the export worker never loads the importer, and
# so on; the names are here for the type checker.
if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb import DynamoDBServiceResource
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from pydantic import SecretStr

    from billit_sync.billit import (
        BillitClient,
        BillitCredentials,
        BillitEndpoints,
        BillitOAuth,
    )
    from billit_sync.connection.auth_expiry import AuthExpiry
    from billit_sync.connection.connect_flow import ConnectFlow
    from billit_sync.connection.lifecycle import ConnectionLifecycle
    from billit_sync.connection.login_start import LoginStart
    from billit_sync.connection.secret_lock import TenantSecretLock
    from billit_sync.connection.token_provider import TenantTokenProvider
    from billit_sync.connection.webhook_subscriptions import WebhookSubscriptions
    from billit_sync.log_panel import LogPanel
    from billit_sync.outsmart import OutSmartClient
    from billit_sync.settings_page import SettingsPage
    from billit_sync.settings_ui.service import SettingsUi
    from billit_sync.settings_ui.sessions import UiSessionStore
    from billit_sync.store import (
        DeliveryLog,
        ExportLedger,
        OAuthStateStore,
        WorkOrderSightings,
    )
    from billit_sync.store.connect_confirmations import BillitCompanyOwners, UsedTickets
    from billit_sync.store.secrets import WebhookSecretReader
    from billit_sync.sync.exports.discovery import DiscoveryService
    from billit_sync.sync.exports.exporter import ExportService
    from billit_sync.sync.exports.jobs import DiscoveryJob, ExportJob
    from billit_sync.sync.exports.notices import SkipNotices
    from billit_sync.sync.exports.status import ExportStatusReader
    from billit_sync.sync.exports.triggers import ExportRetry, OutSmartWebhook
    from billit_sync.sync.imports.importer import Importer
    from billit_sync.sync.imports.jobs import ImportJob
    from billit_sync.sync.imports.service import ImportService
    from billit_sync.sync.scheduler import ManualSync, Scheduler
    from billit_sync.tenant_settings import ImportSettings
    from billit_sync.tickets import TicketKeyring
    from billit_sync.webhooks import BillitWebhookIngestion, WebhookEvent, WebhookProcessor
    from billit_sync.webhooks.jobs import ReconcileJob
    from billit_sync.webhooks.reconcile import Reconciler
    from billit_sync.webhooks.secret_capture import WebhookSecretCapture

OAUTH_CALLBACK_PATH = "/oauth/callback"
# How long a warm worker trusts its copy of a tenant secret (README, Operate: a new OutSmart
# token reaches warm workers within this). Longer than the discovery schedule (5 minutes), so
# a poll with nothing to do reads no secret; short enough for a re-registered token.
TENANT_SECRET_CACHE = timedelta(minutes=15)


class Services:
    """Everything a handler needs, built lazily and reused across invocations."""

    def __init__(
        self,
        config: RuntimeConfig,
        *,
        session: boto3.session.Session | None = None,
        http: httpx.Client | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.config = config
        self._session = session or boto3.session.Session()
        self._http = http
        self.clock = clock

    # ------------------------------------------------------------------ clients
    @cached_property
    def http(self) -> httpx.Client:
        import httpx

        return self._http or httpx.Client(follow_redirects=False)

    @cached_property
    def dynamodb(self) -> DynamoDBServiceResource:
        from billit_sync.store.dynamo import CLIENT_CONFIG

        return self._session.resource("dynamodb", config=CLIENT_CONFIG)

    @cached_property
    def secretsmanager(self) -> SecretsManagerClient:
        return self._session.client("secretsmanager")

    @cached_property
    def sqs(self) -> SQSClient:
        return self._session.client("sqs")

    @cached_property
    def integration_table(self) -> Table:
        return self.dynamodb.Table(self.config.integration_table)

    @cached_property
    def sync_log_table(self) -> Table:
        return self.dynamodb.Table(self.config.sync_log_table)

    # ------------------------------------------------------------------- stores
    @cached_property
    def tenants(self) -> TenantStore:
        return TenantStore(self.integration_table, self.clock)

    @cached_property
    def settings(self) -> SettingsStore:
        return SettingsStore(self.integration_table, self.clock)

    @cached_property
    def oauth_states(self) -> OAuthStateStore:
        from billit_sync.store import OAuthStateStore

        return OAuthStateStore(self.integration_table, self.clock)

    @cached_property
    def leases(self) -> LeaseStore:
        return LeaseStore(self.integration_table, self.clock)

    @cached_property
    def sync_log(self) -> SyncLogStore:
        return SyncLogStore(
            self.sync_log_table,
            self.clock,
            retention_days=self.config.sync_log_retention_days,
            # Its own key (not derived from a ticket key): rotating ticket keys leaves cursors
            # alone, and a cursor's MAC can never be a ticket's.
            cursor_key=_revealed(self.app_secrets.sync_log_cursor_key),
        )

    @cached_property
    def tenant_secrets(self) -> TenantSecretStore:
        return TenantSecretStore(
            self.secretsmanager,
            self.config.tenant_secret_prefix,
            webhook_prefix=self.config.webhook_secret_prefix,
        )

    @cached_property
    def webhook_secrets(self) -> WebhookSecretReader | TenantSecretStore:
        """What the webhook ingestion function reads: the webhook secret only (cached)."""
        from billit_sync.store.secrets import WebhookSecretReader

        if self.config.webhook_secret_prefix is None:
            return self.tenant_secrets
        return WebhookSecretReader(self.tenant_secrets, lambda: self.clock().timestamp())

    @cached_property
    def cached_tenant_secrets(self) -> TenantSecretStore:
        """What the token provider and the OutSmart client read (issue 16): one read per
        tenant and container every ``TENANT_SECRET_CACHE``, a token refresh updates it.
        Webhook verification and the connection's own changes read ``tenant_secrets``."""
        return TenantSecretStore(
            self.secretsmanager,
            self.config.tenant_secret_prefix,
            webhook_prefix=self.config.webhook_secret_prefix,
            cache_for=TENANT_SECRET_CACHE,
            clock=self.clock,
        )

    @cached_property
    def app_secret_reader(self) -> AppSecretReader:
        return AppSecretReader(self.secretsmanager, self.config.app_secret_name)

    @property
    def app_secrets(self) -> AppSecrets:
        """Read through the reader's cache (five minutes), so a rotation is picked up."""
        return self.app_secret_reader.get()

    @property
    def ticket_keyring(self) -> TicketKeyring:
        """The keys tickets are verified with (current and, while rotating, previous)."""
        return self.app_secrets.ticket_keyring()

    @cached_property
    def secret_lock(self) -> TenantSecretLock:
        from billit_sync.connection.secret_lock import TenantSecretLock

        return TenantSecretLock(self.leases, self.tenant_secrets, self.clock)

    @cached_property
    def auth_expiry(self) -> AuthExpiry:
        from billit_sync.connection.auth_expiry import AuthExpiry

        return AuthExpiry(self.tenants, self.sync_log)

    # -------------------------------------------------------------------- Billit
    @cached_property
    def billit_endpoints(self) -> BillitEndpoints:
        from billit_sync.billit import BillitEndpoints

        return BillitEndpoints(
            api_url=str(self.config.billit_api_url), login_url=str(self.config.billit_login_url)
        )

    def public_base_url(self, request_domain: str | None = None) -> str:
        """The configured public URL, else the API's own domain from the request."""
        if self.config.public_base_url:
            return self.config.public_base_url
        if not request_domain:
            raise ValueError("PUBLIC_BASE_URL is not set and the request has no domain")
        return f"https://{request_domain}"

    def billit_oauth(self, public_base_url: str | None = None) -> BillitOAuth:
        """Login and code exchange need the public URL (the redirect URI); refreshing a token
        does not, so workers call this without one."""
        from billit_sync.billit import BillitOAuth

        secrets = self.app_secrets
        return BillitOAuth(
            self.http,
            self.billit_endpoints,
            secrets.billit_client_id,
            secrets.billit_client_secret,
            redirect_uri=public_base_url + OAUTH_CALLBACK_PATH if public_base_url else None,
            clock=self.clock,
        )

    def billit_client(self, credentials: BillitCredentials) -> BillitClient:
        from billit_sync.billit import BillitClient, BillitHttp

        return BillitClient(BillitHttp(self.http, self.billit_endpoints, credentials))

    def token_provider(self, tenant_id: str, party_id: int | None) -> TenantTokenProvider:
        from billit_sync.connection.secret_lock import TenantSecretLock
        from billit_sync.connection.token_provider import TenantTokenProvider

        return TenantTokenProvider(
            tenant_id=tenant_id,
            party_id=party_id,
            # Its own lease owner: providers used from several threads still exclude each other.
            lock=TenantSecretLock(self.leases, self.cached_tenant_secrets, self.clock),
            oauth=self.billit_oauth(),
            auth_expiry=self.auth_expiry,
            clock=self.clock,
        )

    def webhook_subscriptions(self, public_base_url: str) -> WebhookSubscriptions:
        from billit_sync.connection.webhook_subscriptions import WebhookSubscriptions

        return WebhookSubscriptions(
            public_base_url, self.secret_lock, self.sync_log, self.tenants, self.clock
        )

    # ------------------------------------------------------------------ services
    def login_start(self, public_base_url: str) -> LoginStart:
        """``/connect`` (and the settings page's Connect): no HTTP client is built for it."""
        from billit_sync.billit.login import BillitLogin
        from billit_sync.connection.login_start import LoginStart

        return LoginStart(
            tenants=self.tenants,
            states=self.oauth_states,
            login=BillitLogin(
                login_url=str(self.config.billit_login_url),
                client_id=self.app_secrets.billit_client_id,
                redirect_uri=public_base_url + OAUTH_CALLBACK_PATH,
            ),
            return_url_allow_list=self._return_url_allow_list(public_base_url),
        )

    def _return_url_allow_list(self, public_base_url: str) -> tuple[str, ...]:
        # The service's own settings page (/ui/settings) is a return target too.
        return (*self.config.return_url_allow_list, public_base_url)

    def connect_flow(self, public_base_url: str) -> ConnectFlow:
        from billit_sync.connection.connect_flow import ConnectFlow
        from billit_sync.store.connect_confirmations import ConnectConfirmationStore

        return ConnectFlow(
            tenants=self.tenants,
            states=self.oauth_states,
            oauth=self.billit_oauth(public_base_url),
            billit=self.billit_client,
            secret_lock=self.secret_lock,
            sync_log=self.sync_log,
            webhooks=self.webhook_subscriptions(public_base_url),
            environment=self.config.billit_environment,
            return_url_allow_list=self._return_url_allow_list(public_base_url),
            clock=self.clock,
            confirmations=ConnectConfirmationStore(self.integration_table, self.clock),
            owners=self.billit_company_owners,
            reconcile_jobs=lambda: self.reconcile_jobs,
        )

    @cached_property
    def billit_company_owners(self) -> BillitCompanyOwners:
        from billit_sync.store.connect_confirmations import BillitCompanyOwners

        return BillitCompanyOwners(self.integration_table, self.clock)

    @cached_property
    def used_tickets(self) -> UsedTickets:
        from billit_sync.store.connect_confirmations import UsedTickets

        return UsedTickets(self.integration_table, self.clock)

    def connection_lifecycle(self, public_base_url: str) -> ConnectionLifecycle:
        from billit_sync.connection.lifecycle import ConnectionLifecycle

        return ConnectionLifecycle(
            tenants=self.tenants,
            secret_lock=self.secret_lock,
            sync_log=self.sync_log,
            oauth=self.billit_oauth(public_base_url),
            billit=self.billit_client,
            credentials=self.token_provider,
            webhooks=self.webhook_subscriptions(public_base_url),
            owners=self.billit_company_owners,
        )

    # ------------------------------------------------------------ job queues
    @cached_property
    def import_jobs(self) -> JobQueue[ImportJob]:
        """``import_jobs.send`` queues one import (a ``Callable[[ImportJob], None]``)."""
        url = _required(self.config.import_jobs_queue_url, "IMPORT_JOBS_QUEUE_URL")
        return JobQueue(self.sqs, url)

    @cached_property
    def discovery_jobs(self) -> JobQueue[DiscoveryJob]:
        url = _required(self.config.discovery_jobs_queue_url, "DISCOVERY_JOBS_QUEUE_URL")
        return JobQueue(self.sqs, url)

    # -------------------------------------------------------- settings, schedule
    @cached_property
    def settings_page(self) -> SettingsPage:
        from billit_sync.settings_page import SettingsPage

        return SettingsPage(
            tenants=self.tenants, settings=self.settings, outsmart=self.outsmart_client
        )

    @cached_property
    def ui_sessions(self) -> UiSessionStore:
        from billit_sync.settings_ui.sessions import UiSessionStore

        return UiSessionStore(self.integration_table, self.clock)

    def settings_ui(self, public_base_url: str) -> SettingsUi:
        from billit_sync.settings_ui.service import PAGE_PATH as SETTINGS_PAGE_PATH
        from billit_sync.settings_ui.service import SettingsUi

        return SettingsUi(
            tenants=self.tenants,
            settings=self.settings,
            settings_page=self.settings_page,
            log_panel=self.log_panel,
            export_retry=lambda: self.export_retry,
            manual_sync=lambda: self.manual_sync,
            lifecycle=lambda: self.connection_lifecycle(public_base_url),
            login_start=lambda: self.login_start(public_base_url),
            page_url=public_base_url + SETTINGS_PAGE_PATH,
        )

    @cached_property
    def scheduler(self) -> Scheduler:
        from billit_sync.sync.scheduler import Scheduler

        return Scheduler(
            tenants=self.tenants,
            settings=self.settings,
            import_jobs=self.import_jobs,
            discovery_jobs=self.discovery_jobs,
            clock=self.clock,
            reconcile_jobs=lambda: self.reconcile_jobs,
        )

    def outsmart_client(self, tenant_id: str) -> OutSmartClient:
        return _outsmart_client(self, tenant_id)

    def import_service(self, time_left: Callable[[], float]) -> ImportService:
        from billit_sync.store import MappingStore, WatermarkStore
        from billit_sync.sync.imports.importer import Importer
        from billit_sync.sync.imports.service import ImportService

        def importer(
            tenant_id: str, party_id: str, settings: ImportSettings, credentials: BillitCredentials
        ) -> Importer:
            return Importer(
                tenant_id=tenant_id,
                party_id=party_id,
                settings=settings,
                billit=self.billit_client(credentials),
                outsmart=self.outsmart_client(tenant_id),
                mappings=MappingStore(self.integration_table, self.clock),
                watermarks=WatermarkStore(self.integration_table, self.clock),
                time_left=time_left,
                clock=self.clock,
            )

        return ImportService(
            tenants=self.tenants,
            settings=self.settings,
            leases=self.leases,
            sync_log=self.sync_log,
            credentials=self.token_provider,
            importer=importer,
            send_job=self.import_jobs.send,
            clock=self.clock,
        )

    @cached_property
    def manual_sync(self) -> ManualSync:
        from billit_sync.sync.scheduler import ManualSync

        return ManualSync(
            tenants=self.tenants, settings=self.settings, import_jobs=self.import_jobs
        )

    # ------------------------------------------- exports: discovery, webhook, retry
    @cached_property
    def export_jobs(self) -> JobQueue[ExportJob]:
        """The export queue: discovery, OutSmart's webhook and the retry route send here."""
        url = _required(self.config.export_queue_url, "EXPORT_QUEUE_URL")
        return JobQueue(self.sqs, url)

    @cached_property
    def export_ledger(self) -> ExportLedger:
        from billit_sync.store import ExportLedger

        return ExportLedger(self.integration_table, self.clock)

    @cached_property
    def discovery_service(self) -> DiscoveryService:
        from billit_sync.sync.exports.discovery import DiscoveryService

        return DiscoveryService(
            tenants=self.tenants,
            settings=self.settings,
            ledger=self.export_ledger,
            leases=self.leases,
            sync_log=self.sync_log,
            outsmart=self.outsmart_client,
            export_jobs=self.export_jobs,
            clock=self.clock,
            sightings=self.workorder_sightings,
            said_again_after=timedelta(days=self.config.sync_log_retention_days),
            skip_notices=self.skip_notices,
        )

    @cached_property
    def skip_notices(self) -> SkipNotices:
        from billit_sync.store.notices import NoticeMarkers
        from billit_sync.sync.exports.notices import SkipNotices

        return SkipNotices(
            markers=NoticeMarkers(
                self.integration_table,
                self.clock,
                remember_days=self.config.sync_log_retention_days,
            ),
            sync_log=self.sync_log,
        )

    @cached_property
    def workorder_sightings(self) -> WorkOrderSightings:
        from billit_sync.store import WorkOrderSightings

        return WorkOrderSightings(self.integration_table, self.clock)

    @cached_property
    def outsmart_webhook(self) -> OutSmartWebhook:
        from billit_sync.sync.exports.triggers import OutSmartWebhook

        return OutSmartWebhook(secrets=self.webhook_secrets, export_jobs=self.export_jobs)

    @cached_property
    def export_retry(self) -> ExportRetry:
        from billit_sync.sync.exports.triggers import ExportRetry

        return ExportRetry(
            tenants=self.tenants, ledger=self.export_ledger, export_jobs=self.export_jobs
        )

    # ------------------------------------------------------- exports: the worker
    @cached_property
    def export_service(self) -> ExportService:
        from billit_sync.store import MappingStore
        from billit_sync.sync.exports.exporter import ExportService

        return ExportService(
            tenants=self.tenants,
            settings=self.settings,
            ledger=self.export_ledger,
            mappings=MappingStore(self.integration_table, self.clock),
            sync_log=self.sync_log,
            credentials=self.token_provider,
            billit=self.billit_client,
            outsmart=self.outsmart_client,
            clock=self.clock,
            sightings=self.workorder_sightings,
            skip_notices=self.skip_notices,
        )

    @cached_property
    def export_status(self) -> ExportStatusReader:
        from billit_sync.sync.exports.status import ExportStatusReader

        return ExportStatusReader(ledger=self.export_ledger)

    # ------------------------------------------------------------------ log panel
    @cached_property
    def log_panel(self) -> LogPanel:
        from billit_sync.log_panel import LogPanel

        return LogPanel(tenants=self.tenants, sync_log=self.sync_log)

    # ------------------------------------------------ Billit webhooks (issue 6)
    @cached_property
    def webhook_events(self) -> JobQueue[WebhookEvent]:
        """The queue between ingestion (answers Billit fast) and the processor."""
        url = _required(self.config.webhook_events_queue_url, "WEBHOOK_EVENTS_QUEUE_URL")
        return JobQueue(self.sqs, url)

    @cached_property
    def delivery_log(self) -> DeliveryLog:
        from billit_sync.store import DeliveryLog

        return DeliveryLog(self.integration_table, self.clock)

    @cached_property
    def billit_webhooks(self) -> BillitWebhookIngestion:
        from billit_sync.webhooks import BillitWebhookIngestion
        from billit_sync.webhooks.secret_capture import WebhookConfirmationIntake

        return BillitWebhookIngestion(
            secrets=self.webhook_secrets,
            deliveries=self.delivery_log,
            events=self.webhook_events,
            clock=self.clock,
            confirmations=WebhookConfirmationIntake(
                self.tenants, JobQueue(self.sqs, self.webhook_events.queue_url), self.clock
            ),
        )

    @cached_property
    def webhook_processor(self) -> WebhookProcessor:
        from billit_sync.webhooks import WebhookProcessor

        return WebhookProcessor(
            tenants=self.tenants,
            settings=self.settings,
            ledger=self.export_ledger,
            sync_log=self.sync_log,
            credentials=self.token_provider,
            billit=self.billit_client,
            outsmart=self.outsmart_client,
            deliveries=self.delivery_log,
            reconcile=self.reconciler.reconcile,
            clock=self.clock,
        )

    @cached_property
    def reconciler(self) -> Reconciler:
        """Reads open invoices back from Billit (issue 13): the webhooks' backstop."""
        from billit_sync.store import WatermarkStore
        from billit_sync.webhooks.processor import InvoiceStatusUpdater
        from billit_sync.webhooks.reconcile import Reconciler

        return Reconciler(
            tenants=self.tenants,
            ledger=self.export_ledger,
            watermarks=WatermarkStore(self.integration_table, self.clock),
            updater=InvoiceStatusUpdater(
                self.settings, self.export_ledger, self.sync_log, self.outsmart_client, self.clock
            ),
            credentials=self.token_provider,
            billit=self.billit_client,
            clock=self.clock,
        )

    @cached_property
    def webhook_secret_capture(self) -> WebhookSecretCapture:
        from billit_sync.webhooks.secret_capture import WebhookSecretCapture

        return WebhookSecretCapture(self.tenants, self.secret_lock, self.sync_log)

    @cached_property
    def reconcile_jobs(self) -> JobQueue[ReconcileJob]:
        """Reconcile jobs ride the webhook events queue: the processor runs them."""
        url = _required(self.config.webhook_events_queue_url, "WEBHOOK_EVENTS_QUEUE_URL")
        return JobQueue(self.sqs, url)


# The import: one tenant per job.
def _outsmart_client(services: Services, tenant_id: str) -> OutSmartClient:
    from billit_sync.outsmart import OutSmartClient

    token = services.cached_tenant_secrets.read_credentials(tenant_id).outsmart_token
    if token is None:
        raise UserFixableError(
            "the OutSmart API token of this tenant is missing; register the tenant again"
        )
    return OutSmartClient(
        services.http,
        str(services.config.outsmart_base_url),
        token,
        services.app_secrets.outsmart_software_token,
        document_hosts=services.config.outsmart_document_hosts,
    )


def _revealed(value: SecretStr | None) -> bytes | None:
    return value.get_secret_value().encode() if value and value.get_secret_value() else None


def _required(value: str | None, variable: str) -> str:
    if not value:
        raise MisconfiguredFunctionError(f"function environment lacks {variable}")
    return value
