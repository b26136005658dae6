"""The settings page's sessions: server-side, in the integration table, with a CSRF token each.

Why server-side and not a signed cookie: a session must end when it should (the user logs out
of OutSmart, an operator revokes it, the tenant is deleted) and a signed value cannot be taken
back before it expires; the cookie carries only a random id (256 bits), the table only its
SHA-256 (``keys.ui_session_pk``), so neither a leaked table nor a leaked log is a login. The
item lives ``SESSION_TTL`` from its creation (no sliding renewal: OutSmart opens the page with
a fresh ticket every time) and DynamoDB's TTL (``expires_at``) removes it afterwards; reads
check the expiry themselves, since TTL deletion is late by up to days.

The CSRF token is the synchroniser-token pattern (OWASP): random per session, kept with it,
sent in a hidden field of every form that changes something and compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict

from billit_sync.store import keys
from billit_sync.store.aws_errors import translate_aws_errors
from billit_sync.store.clock import Clock, from_epoch, to_epoch, to_iso
from billit_sync.tenancy import TenantId, validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

SESSION_COOKIE: Final = "__Host-billit-settings"
SESSION_TTL: Final = timedelta(hours=8)
"""One working day of the office: OutSmart mints a new ticket whenever the page is opened."""
TOKEN_BYTES: Final = 32
MAX_SESSION_ID_LENGTH: Final = 128


class UiSession(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    csrf_token: str
    expires_at: datetime

    def csrf_matches(self, sent: str | None) -> bool:
        """Constant time; a missing or empty token never matches."""
        if not sent:
            return False
        return hmac.compare_digest(sent.encode(), self.csrf_token.encode())


@dataclass(frozen=True)
class NewSession:
    session_id: str
    """The cookie's value: returned once, stored nowhere (only its hash)."""
    session: UiSession


class UiSessionStore:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def create(self, tenant_id: str) -> NewSession:
        validate_tenant_id(tenant_id)
        session_id = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        expires_at = from_epoch(to_epoch(now + SESSION_TTL))
        session = UiSession(
            tenant_id=tenant_id,
            csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
            expires_at=expires_at,
        )
        with translate_aws_errors("UiSessionStore.create"):
            self._table.put_item(
                Item={
                    "pk": keys.ui_session_pk(session_id),
                    "sk": keys.UI_SESSION_SK,
                    "tenant_id": tenant_id,
                    "csrf_token": session.csrf_token,
                    "created_at": to_iso(now),
                    "expires_at": to_epoch(expires_at),
                }
            )
        return NewSession(session_id, session)

    def get(self, session_id: str | None) -> UiSession | None:
        """The live session of this cookie value; None when unknown, expired or malformed."""
        if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH or "#" in session_id:
            return None
        with translate_aws_errors("UiSessionStore.get"):
            item = self._table.get_item(
                Key={"pk": keys.ui_session_pk(session_id), "sk": keys.UI_SESSION_SK},
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            return None
        expires_at = from_epoch(int(str(item["expires_at"])))
        if expires_at <= self._clock():
            return None
        return UiSession(
            tenant_id=str(item["tenant_id"]),
            csrf_token=str(item["csrf_token"]),
            expires_at=expires_at,
        )


def seconds_left(session: UiSession, now: datetime) -> int:
    return max(0, int((session.expires_at - now).total_seconds()))
