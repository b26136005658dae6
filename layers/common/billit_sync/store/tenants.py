"""Tenant profiles and the state of each tenant's Billit connection.

The connection item carries a sparse index key (``gsi1pk = CONNECTION#connected``) only while
the tenant is connected, so schedulers list the tenants to sync with a query, never a scan.
State changes that must happen once (e.g. connected → auth expired, which is followed by one
log entry and one metric) are conditional writes that tell the caller whether it won.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, computed_field

from billit_sync.errors import BadInputError, UnknownTenantError
from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, from_iso, to_iso
from billit_sync.store.dynamo import Item, Key, batch_get, query_all
from billit_sync.store.settings import settings_from_item, settings_key
from billit_sync.tenancy import TenantId, validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from billit_sync.tenant_settings import TenantSettings

Language = Literal["en", "nl"]
LANGUAGES: tuple[Language, ...] = ("en", "nl")


class ConnectionStatus(StrEnum):
    NEVER_CONNECTED = "never_connected"
    CONNECTED = "connected"
    AUTH_EXPIRED = "auth_expired"
    DISCONNECTED = "disconnected"


INDEXED_STATUSES = (ConnectionStatus.CONNECTED, ConnectionStatus.AUTH_EXPIRED)
"""Statuses that get a ``gsi1`` entry: the tenants to sync, and those an operator may chase."""


class WebhooksState(StrEnum):
    """Whether Billit's status notifications (webhooks) can arrive for the connection."""

    ACTIVE = "active"  # registered, and every one has its signing secret
    AWAITING_SECRET = "awaiting_secret"  # noqa: S105 - registered, a secret has not come yet
    QUOTA_FULL = "quota_full"  # Billit's 4 per company are taken by other integrations
    NOT_REGISTERED = "not_registered"  # Billit refused or did not answer


class Tenant(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    language: Language
    created_at: datetime
    updated_at: datetime


class BillitCompany(BaseModel):
    """One company the Billit user may act for (account information)."""

    model_config = ConfigDict(frozen=True)

    party_id: str = Field(min_length=1)
    name: str
    vat_number: str | None = None


class Connection(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    status: ConnectionStatus = ConnectionStatus.NEVER_CONNECTED
    company_name: str | None = None
    party_id: str | None = None
    companies: list[BillitCompany] = Field(default_factory=list)
    environment: str | None = None
    connected_at: datetime | None = None
    # The first connection ever: the cut-off for "only work orders completed after the
    # connection". A reconnect after an expiry must not turn the work done meanwhile into
    # "before the connection".
    first_connected_at: datetime | None = None
    disconnected_at: datetime | None = None
    auth_expired_at: datetime | None = None
    last_import_at: datetime | None = None
    webhooks_state: WebhooksState | None = None
    # Ids of registered webhooks whose signing secret has not arrived yet (reference §5).
    webhooks_awaiting: list[str] = Field(default_factory=list)
    webhooks_registered_at: datetime | None = None
    outsmart_webhook_at: datetime | None = None
    """The last export OutSmart's webhook triggered (noted at most hourly, issue 16): while
    recent, the discovery poll is only a safety net (``discovery_safety_net_minutes``)."""

    @property
    def is_connected(self) -> bool:
        return self.status is ConnectionStatus.CONNECTED

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_updates(self) -> Literal["notifications", "polling", "none"]:
        """How invoice statuses reach the service: Billit's signed notifications, or only the
        scheduled reconcile (webhooks missing, quota full or no secret yet), or not at all
        (not connected)."""
        if not self.is_connected:
            return "none"
        return "notifications" if self.webhooks_state is WebhooksState.ACTIVE else "polling"


@dataclass(frozen=True)
class TenantItems:
    """A tenant's connection and settings items as read together, parsed on demand."""

    tenant_id: str
    connection_item: Item | None
    settings_item: Item | None

    def connection(self) -> Connection:
        """The connection; ``never_connected`` when the tenant never connected."""
        if self.connection_item is None:
            return Connection(tenant_id=self.tenant_id)
        return _connection(self.connection_item)

    def settings(self) -> TenantSettings:
        return settings_from_item(self.settings_item)


class UnknownCompanyError(ValueError):
    """The chosen PartyID is not one of the companies of the connected Billit account."""


_CONNECTION_TIMES = (
    "webhooks_registered_at",
    "connected_at",
    "first_connected_at",
    "disconnected_at",
    "auth_expired_at",
    "last_import_at",
    "outsmart_webhook_at",
)


class TenantStore:
    """Tenant profiles and Billit connection state in the integration table."""

    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    # ------------------------------------------------------------------ profile
    def register(self, tenant_id: str, language: Language) -> Tenant:
        """Create or update the profile; repeating it is harmless (keeps ``created_at``)."""
        if language not in LANGUAGES:
            raise BadInputError("language must be 'en' or 'nl'")
        now = to_iso(self._clock())
        with translate_aws_errors("TenantStore.register"):
            response = self._table.update_item(
                Key={"pk": keys.tenant_pk(tenant_id), "sk": keys.PROFILE_SK},
                UpdateExpression=(
                    "SET tenant_id = :t, #language = :language, updated_at = :now, "
                    "created_at = if_not_exists(created_at, :now)"
                ),
                ExpressionAttributeNames={"#language": "language"},
                ExpressionAttributeValues={":t": tenant_id, ":language": language, ":now": now},
                ReturnValues="ALL_NEW",
            )
        return _tenant(response["Attributes"])

    def get(self, tenant_id: str) -> Tenant | None:
        with translate_aws_errors("TenantStore.get"):
            response = self._table.get_item(
                Key={"pk": keys.tenant_pk(tenant_id), "sk": keys.PROFILE_SK}, ConsistentRead=True
            )
        item = response.get("Item")
        return _tenant(item) if item else None

    # --------------------------------------------------------------- connection
    def get_connection(self, tenant_id: str) -> Connection:
        """The connection; ``never_connected`` when the tenant never connected."""
        with translate_aws_errors("TenantStore.get_connection"):
            response = self._table.get_item(
                Key=self._connection_key(tenant_id), ConsistentRead=True
            )
        item = response.get("Item")
        return _connection(item) if item else Connection(tenant_id=tenant_id)

    def registered_connection(self, tenant_id: str) -> Connection:
        """The connection of a registered tenant; ``UnknownTenantError`` for any other id."""
        if self.get(tenant_id) is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
        return self.get_connection(tenant_id)

    def get_connection_and_settings(self, tenant_id: str) -> tuple[Connection, TenantSettings]:
        """The connection and the settings in one request (BatchGetItem, strongly consistent):
        what every export and discovery of a tenant starts with (issue 16: one DynamoDB
        operation instead of two per work order)."""
        items = self.read_many([tenant_id])[tenant_id]
        return items.connection(), items.settings()

    def read_with(
        self, tenant_id: str, others: Sequence[Key]
    ) -> tuple[TenantItems, dict[tuple[str, str], Item]]:
        """The tenant's connection and settings and ``others`` (items of the same table) in
        one BatchGetItem: the export worker reads its work order's sighting with them (issue
        16: DynamoDB operations per work order). ``others`` found, by ``(pk, sk)``."""
        connection, settings = self._connection_key(tenant_id), settings_key(tenant_id)
        found = {
            (str(item["pk"]), str(item["sk"])): item
            for item in batch_get(
                self._table, "TenantStore.read_with", [connection, settings, *others]
            )
        }
        items = TenantItems(
            tenant_id,
            found.pop((connection["pk"], connection["sk"]), None),
            found.pop((settings["pk"], settings["sk"]), None),
        )
        return items, found

    def outsmart_webhook_seen(self, tenant_id: str, at: datetime) -> dict[str, Any]:
        """A transaction item (``TransactWriteItems`` ``Update``) noting that OutSmart's
        webhook triggered an export at ``at``: written with the export's ``handled``, so it
        costs no operation of its own."""
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": self._connection_key(tenant_id),
                "UpdateExpression": "SET outsmart_webhook_at = :at",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":at": to_iso(at)},
            }
        }

    def read_many(self, tenant_ids: Sequence[str]) -> dict[str, TenantItems]:
        """Connection and settings items of many tenants: BatchGetItem, 50 tenants (100
        keys) per request. Parsed per tenant by the caller (``TenantItems``), so one corrupt
        item fails only its own tenant (the scheduler's fan-out)."""
        wanted = [
            key
            for tenant_id in tenant_ids
            for key in (self._connection_key(tenant_id), settings_key(tenant_id))
        ]
        by_pk = {keys.tenant_pk(tenant_id): tenant_id for tenant_id in tenant_ids}
        found: dict[str, dict[str, Item]] = {tenant_id: {} for tenant_id in tenant_ids}
        for item in batch_get(self._table, "TenantStore.read_many", wanted):
            found[by_pk[str(item["pk"])]][str(item["sk"])] = item
        return {
            tenant_id: TenantItems(
                tenant_id, items.get(keys.CONNECTION_SK), items.get(keys.SETTINGS_SK)
            )
            for tenant_id, items in found.items()
        }

    def save_connected(
        self,
        tenant_id: str,
        *,
        party_id: str,
        company_name: str,
        companies: list[BillitCompany],
        environment: str,
    ) -> Connection:
        """Record a (re)connection. Import/export times are kept; the company may be new."""
        now = to_iso(self._clock())
        with translate_aws_errors("TenantStore.save_connected"):
            response = self._table.update_item(
                Key=self._connection_key(tenant_id),
                UpdateExpression=(
                    "SET tenant_id = :t, #status = :status, party_id = :party, "
                    "company_name = :company, companies = :companies, environment = :env, "
                    "connected_at = :now, updated_at = :now, gsi1pk = :gpk, gsi1sk = :gsk, "
                    "first_connected_at = if_not_exists(first_connected_at, :now) "
                    "REMOVE disconnected_at, auth_expired_at"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":t": tenant_id,
                    ":status": ConnectionStatus.CONNECTED.value,
                    ":party": party_id,
                    ":company": company_name,
                    ":companies": [company.model_dump() for company in companies],
                    ":env": environment,
                    ":now": now,
                    ":gpk": keys.connection_gsi1pk(ConnectionStatus.CONNECTED),
                    ":gsk": keys.connection_gsi1sk(tenant_id),
                },
                ReturnValues="ALL_NEW",
            )
        return _connection(response["Attributes"])

    def select_company(self, tenant_id: str, party_id: str) -> Connection:
        """Switch to another company of the same Billit account (the tenant picked it).

        Conditional on the connection read being the current one, so a reconnect in between
        is never overwritten with a company of the previous account.
        """
        connection = self.get_connection(tenant_id)
        chosen = next((c for c in connection.companies if c.party_id == party_id), None)
        connected = connection.status is ConnectionStatus.CONNECTED
        if chosen is None or not connected or connection.connected_at is None:
            raise UnknownCompanyError("party id is not a company of the connected account")
        try:
            with translate_aws_errors("TenantStore.select_company"):
                response = self._table.update_item(
                    Key=self._connection_key(tenant_id),
                    UpdateExpression=(
                        "SET party_id = :party, company_name = :name, updated_at = :now"
                    ),
                    ConditionExpression="#status = :connected AND connected_at = :connected_at",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":party": chosen.party_id,
                        ":name": chosen.name,
                        ":now": to_iso(self._clock()),
                        ":connected": ConnectionStatus.CONNECTED.value,
                        ":connected_at": to_iso(connection.connected_at),
                    },
                    ReturnValues="ALL_NEW",
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                raise UnknownCompanyError("the connection changed meanwhile; reload") from error
            raise
        return _connection(response["Attributes"])

    def mark_disconnected(self, tenant_id: str) -> bool:
        """Connected or auth expired → disconnected. True only for the call that changed it."""
        return self._transition(
            tenant_id,
            to=ConnectionStatus.DISCONNECTED,
            allowed_from=(ConnectionStatus.CONNECTED, ConnectionStatus.AUTH_EXPIRED),
            time_attribute="disconnected_at",
        )

    def mark_auth_expired(self, tenant_id: str) -> bool:
        """Connected → auth expired. True only for the one call that flipped it, so exactly
        one sync-log entry and one metric follow however many workers notice the refusal."""
        return self._transition(
            tenant_id,
            to=ConnectionStatus.AUTH_EXPIRED,
            allowed_from=(ConnectionStatus.CONNECTED,),
            time_attribute="auth_expired_at",
        )

    def record_import_finished(self, tenant_id: str, at: datetime) -> bool:
        """Set ``last_import_at`` unless a later import already finished (False then)."""
        return self._advance_time(tenant_id, "last_import_at", at)

    def record_webhooks(
        self, tenant_id: str, state: WebhooksState, awaiting: list[str], at: datetime
    ) -> None:
        """What the (re-)registration of Billit's webhooks achieved."""
        values: dict[str, Any] = {":state": state.value, ":at": to_iso(at)}
        update = "SET webhooks_state = :state, webhooks_registered_at = :at"
        if awaiting:
            values[":awaiting"] = set(awaiting)
            update += ", webhooks_awaiting = :awaiting"
        else:
            update += " REMOVE webhooks_awaiting"
        with translate_aws_errors("TenantStore.record_webhooks"):
            self._table.update_item(
                Key=self._connection_key(tenant_id),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
            )

    def webhook_secret_received(self, tenant_id: str, webhook_id: str) -> bool:
        """The awaited secret of ``webhook_id`` is stored. True only for the one call that
        made the last awaited secret arrive (the webhooks are then active: one log entry)."""
        try:
            with translate_aws_errors("TenantStore.webhook_secret_received"):
                self._table.update_item(
                    Key=self._connection_key(tenant_id),
                    UpdateExpression="DELETE webhooks_awaiting :id",
                    ConditionExpression="contains(webhooks_awaiting, :one)",
                    ExpressionAttributeValues={":id": {webhook_id}, ":one": webhook_id},
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        try:
            with translate_aws_errors("TenantStore.webhook_secret_received"):
                self._table.update_item(
                    Key=self._connection_key(tenant_id),
                    UpdateExpression="SET webhooks_state = :active",
                    ConditionExpression=(
                        "attribute_not_exists(webhooks_awaiting) AND webhooks_state = :awaiting"
                    ),
                    ExpressionAttributeValues={
                        ":active": WebhooksState.ACTIVE.value,
                        ":awaiting": WebhooksState.AWAITING_SECRET.value,
                    },
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True

    def list_connected_tenant_ids(self) -> Iterator[str]:
        """Tenants currently connected (sparse index, paginated)."""
        return self.list_tenant_ids(ConnectionStatus.CONNECTED)

    def list_tenant_ids(self, status: ConnectionStatus) -> Iterator[str]:
        """Tenants with a connection in ``status`` (connected or auth expired only).

        The index is eventually consistent: a tenant that just connected may appear a moment
        later; callers re-check ``get_connection`` before acting on one tenant.
        """
        if status not in INDEXED_STATUSES:
            raise ValueError(f"only {[s.value for s in INDEXED_STATUSES]} are indexed")
        items = query_all(
            self._table,
            "TenantStore.list_tenant_ids",
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :gpk",
            ExpressionAttributeValues={":gpk": keys.connection_gsi1pk(status)},
            ProjectionExpression="gsi1sk",
        )
        for item in items:
            yield keys.tenant_id_from_connection_gsi1sk(str(item["gsi1sk"]))

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _connection_key(tenant_id: str) -> dict[str, str]:
        return {"pk": keys.tenant_pk(tenant_id), "sk": keys.CONNECTION_SK}

    def _transition(
        self,
        tenant_id: str,
        *,
        to: ConnectionStatus,
        allowed_from: tuple[ConnectionStatus, ...],
        time_attribute: str,
    ) -> bool:
        allowed = {f":from{i}": status.value for i, status in enumerate(allowed_from)}
        values: dict[str, Any] = {":to": to.value, ":now": to_iso(self._clock()), **allowed}
        update = f"SET #status = :to, {time_attribute} = :now, updated_at = :now"
        if to in INDEXED_STATUSES:
            values[":gpk"] = keys.connection_gsi1pk(to)
            update += ", gsi1pk = :gpk"
        else:
            update += " REMOVE gsi1pk, gsi1sk"
        try:
            with translate_aws_errors("TenantStore.transition"):
                self._table.update_item(
                    Key=self._connection_key(tenant_id),
                    UpdateExpression=update,
                    ConditionExpression=f"#status IN ({', '.join(allowed)})",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True

    def _advance_time(self, tenant_id: str, attribute: str, at: datetime) -> bool:
        try:
            with translate_aws_errors("TenantStore.record_finished"):
                self._table.update_item(
                    Key=self._connection_key(tenant_id),
                    UpdateExpression=f"SET {attribute} = :at",
                    ConditionExpression=(
                        f"attribute_exists(pk) AND "
                        f"(attribute_not_exists({attribute}) OR {attribute} < :at)"
                    ),
                    ExpressionAttributeValues={":at": to_iso(at)},
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True


def _tenant(item: Item) -> Tenant:
    return Tenant(
        tenant_id=validate_tenant_id(str(item["tenant_id"])),
        language=item["language"],
        created_at=from_iso(str(item["created_at"])),
        updated_at=from_iso(str(item["updated_at"])),
    )


def _connection(item: Item) -> Connection:
    times = {name: from_iso(str(item[name])) for name in _CONNECTION_TIMES if name in item}
    return Connection.model_validate(
        {
            "tenant_id": item["tenant_id"],
            "status": item.get("status", ConnectionStatus.NEVER_CONNECTED.value),
            "company_name": item.get("company_name"),
            "party_id": item.get("party_id"),
            "companies": item.get("companies", []),
            "environment": item.get("environment"),
            "webhooks_state": item.get("webhooks_state"),
            "webhooks_awaiting": sorted(str(i) for i in item.get("webhooks_awaiting", ())),
            **times,
        }
    )
