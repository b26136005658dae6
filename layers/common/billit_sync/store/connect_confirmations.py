"""What the connect flow keeps between Billit's callback and the user's "yes" (issue 14).

- ``ConnectConfirmationStore``: a Billit login that came back, waiting for the user to confirm
  "Connect <tenant> to <company>?". Keyed by a hash of the confirmation id (the page's hidden
  field), bound to the browser nonce (the ``__Host-`` cookie) like the OAuth state, consumed
  once. The token pair itself is parked in the tenant's secret (``TenantSecret.pending_billit``),
  never in the table or the page.
- ``BillitCompanyOwners``: the party → tenant index; one Billit company is connected to at most
  one tenant, so a phished login cannot quietly give a second tenant the same company.
- ``UsedTickets``: single-use tickets (``/connect``'s ``scope=connect``) by ``jti``, until
  they expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, from_epoch, to_epoch, to_iso
from billit_sync.store.oauth_states import consume_browser_bound
from billit_sync.store.tenants import BillitCompany
from billit_sync.tenancy import TenantId, validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

MAX_ID_LENGTH = 512


class PendingConfirmation(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    return_url: str
    companies: list[BillitCompany]
    expires_at: datetime


class ConnectConfirmationStore:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def put(
        self,
        confirmation_id: str,
        pending: PendingConfirmation,
        *,
        browser_nonce: str,
    ) -> None:
        if not confirmation_id or not browser_nonce:
            raise ValueError("a confirmation id and a browser nonce are required")
        with translate_aws_errors("ConnectConfirmationStore.put"):
            self._table.put_item(
                Item={
                    "pk": keys.oauth_confirmation_pk(confirmation_id),
                    "sk": keys.OAUTH_CONFIRMATION_SK,
                    "browser": keys.sha256_hex(browser_nonce),
                    "document": pending.model_dump_json(),
                    "expires_at": to_epoch(pending.expires_at),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )

    def consume(self, confirmation_id: str, browser_nonce: str) -> PendingConfirmation | None:
        """The pending confirmation, deleted; None when unknown, expired, used, or asked for
        from another browser."""
        if not confirmation_id or not browser_nonce:
            return None
        if max(len(confirmation_id), len(browser_nonce)) > MAX_ID_LENGTH:
            return None
        item = consume_browser_bound(
            self._table,
            {"pk": keys.oauth_confirmation_pk(confirmation_id), "sk": keys.OAUTH_CONFIRMATION_SK},
            browser_nonce,
            now=self._clock(),
            operation="ConnectConfirmationStore.consume",
        )
        if item is None:
            return None
        return PendingConfirmation.model_validate_json(str(item["document"]))


class BillitCompanyOwners:
    """One Billit company (PartyID, per environment) → the one tenant connected to it."""

    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def owner(self, environment: str, party_id: str) -> str | None:
        with translate_aws_errors("BillitCompanyOwners.owner"):
            item = self._table.get_item(
                Key=self._key(environment, party_id), ConsistentRead=True
            ).get("Item")
        return str(item["tenant_id"]) if item else None

    def claim(
        self, environment: str, party_id: str, tenant_id: str, *, replacing: str | None
    ) -> bool:
        """Record ``tenant_id`` as the owner; only when there is none, it is already
        ``tenant_id``, or it is still ``replacing`` (an owner the caller found stale)."""
        tenant_id = validate_tenant_id(tenant_id)
        condition = "attribute_not_exists(pk) OR tenant_id = :me"
        values = {":me": tenant_id}
        if replacing is not None:
            condition += " OR tenant_id = :stale"
            values[":stale"] = replacing
        try:
            with translate_aws_errors("BillitCompanyOwners.claim"):
                self._table.put_item(
                    Item={
                        **self._key(environment, party_id),
                        "tenant_id": tenant_id,
                        "claimed_at": to_iso(self._clock()),
                    },
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True

    def release(self, environment: str, party_id: str, tenant_id: str) -> None:
        """Forget the owner, if it still is ``tenant_id`` (disconnect, company switch)."""
        try:
            with translate_aws_errors("BillitCompanyOwners.release"):
                self._table.delete_item(
                    Key=self._key(environment, party_id),
                    ConditionExpression="tenant_id = :me",
                    ExpressionAttributeValues={":me": validate_tenant_id(tenant_id)},
                )
        except ClientError as error:
            if not is_conditional_check_failed(error):
                raise

    @staticmethod
    def _key(environment: str, party_id: str) -> dict[str, str]:
        return {
            "pk": keys.billit_party_owner_pk(environment, party_id),
            "sk": keys.BILLIT_PARTY_OWNER_SK,
        }


class UsedTickets:
    """Single-use tickets: ``first_use`` is True once per ``jti`` until the ticket expires."""

    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def first_use(self, jti: str, expires_at_epoch: int) -> bool:
        now = self._clock()
        # Kept a little past the ticket's expiry (its leeway), then DynamoDB's TTL drops it.
        keep_until = max(expires_at_epoch, to_epoch(now)) + 300
        try:
            with translate_aws_errors("UsedTickets.first_use"):
                self._table.put_item(
                    Item={
                        "pk": keys.used_ticket_pk(jti),
                        "sk": keys.USED_TICKET_SK,
                        "used_at": to_iso(now),
                        "expires_at": keep_until,
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True


def expiry(clock: Clock, seconds: int) -> datetime:
    return from_epoch(to_epoch(clock() + timedelta(seconds=seconds)))
