"""Pending OAuth logins: the ``state`` sent to Billit's login page, with the tenant and the
URL to send the browser back to.

Only a SHA-256 hash of the state is stored (the key), so the table never holds a value that
could complete someone's login. The state is bound to the browser that started the login: the
hash of the nonce ``/connect`` put in that browser's cookie is stored with it (RFC 9700 §4.7).
``consume`` is a conditional delete: it succeeds once, only before the state expires and only
with the same browser nonce; unknown, expired, replayed or other-browser states all give None.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from billit_sync.errors import IntegrationError
from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, from_epoch, from_iso, to_epoch, to_iso
from billit_sync.tenancy import TenantId, validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

MAX_STATE_LENGTH = 512
DEFAULT_TTL_SECONDS = 600


class PendingOAuth(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    return_url: str
    created_at: datetime
    expires_at: datetime


class OAuthStateExistsError(IntegrationError):
    """A state value was stored twice: the generator is broken, never reuse a state."""

    def __init__(self) -> None:
        super().__init__("OAuth state already exists")


class OAuthStateStore:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def put(
        self,
        state: str,
        tenant_id: str,
        return_url: str,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        *,
        browser_nonce: str,
    ) -> PendingOAuth:
        if not state or len(state) > MAX_STATE_LENGTH:
            raise ValueError(f"state must be 1-{MAX_STATE_LENGTH} characters")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if not browser_nonce:
            raise ValueError("a browser nonce is required")
        now = self._clock()
        pending = PendingOAuth(
            tenant_id=validate_tenant_id(tenant_id),
            return_url=return_url,
            created_at=now,
            expires_at=from_epoch(to_epoch(now + timedelta(seconds=ttl_seconds))),
        )
        try:
            with translate_aws_errors("OAuthStateStore.put"):
                self._table.put_item(
                    Item={
                        "pk": keys.oauth_state_pk(state),
                        "sk": keys.OAUTH_STATE_SK,
                        "tenant_id": pending.tenant_id,
                        "return_url": return_url,
                        "browser": keys.sha256_hex(browser_nonce),
                        "created_at": to_iso(now),
                        "expires_at": to_epoch(pending.expires_at),
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                raise OAuthStateExistsError() from None
            raise
        return pending

    def consume(self, state: str, browser_nonce: str) -> PendingOAuth | None:
        """The pending login for ``state``, deleted so it can never be used again; None when
        unknown, expired, already consumed or started in another browser (then the state
        stays for its own browser)."""
        if not state or len(state) > MAX_STATE_LENGTH or not browser_nonce:
            return None
        if len(browser_nonce) > MAX_STATE_LENGTH:
            return None
        item = consume_browser_bound(
            self._table,
            {"pk": keys.oauth_state_pk(state), "sk": keys.OAUTH_STATE_SK},
            browser_nonce,
            now=self._clock(),
            operation="OAuthStateStore.consume",
        )
        if not item:
            return None
        return PendingOAuth(
            tenant_id=str(item["tenant_id"]),
            return_url=str(item["return_url"]),
            created_at=from_iso(str(item["created_at"])),
            expires_at=from_epoch(item["expires_at"]),
        )


def consume_browser_bound(
    table: Table, key: dict[str, str], browser_nonce: str, *, now: datetime, operation: str
) -> dict[str, Any] | None:
    """Delete a single-use item bound to a browser and return it: only while it exists, has
    not expired and was stored with this browser nonce's hash (``browser``); None otherwise.
    The one conditional delete behind OAuth states and connect confirmations (issue 14)."""
    try:
        with translate_aws_errors(operation):
            response = table.delete_item(
                Key=key,
                ConditionExpression=(
                    "attribute_exists(pk) AND expires_at > :now AND browser = :browser"
                ),
                ExpressionAttributeValues={
                    ":now": to_epoch(now),
                    ":browser": keys.sha256_hex(browser_nonce),
                },
                ReturnValues="ALL_OLD",
            )
    except ClientError as error:
        if is_conditional_check_failed(error):
            return None
        raise
    return response.get("Attributes") or None
