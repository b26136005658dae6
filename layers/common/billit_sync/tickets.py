"""Tenant tickets: how OutSmart proves, per request, which tenant it acts for.

A ticket is ``<payload>.<signature>``, both base64url without padding; the payload is JSON
``{"v": 1, "tenant": ..., "scope": "tenant"|"admin", "iat": ..., "exp": ...}`` and the
signature is HMAC-SHA256 over the payload part with the app secret's ``ticket_signing_key``.

Mint one for a tenant (operators, the demo)::

    python -m billit_sync.tickets --tenant acme [--scope tenant|admin] [--ttl 3600]

The key comes from ``--key-env`` (an environment variable, default ``TICKET_SIGNING_KEY``) or,
with ``--secret-name``, from the app secret in Secrets Manager.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
import time
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from billit_sync.errors import BadInputError
from billit_sync.tenancy import TENANT_ID_PATTERN

TICKET_VERSION: Final = 1
ADMIN_TENANT: Final = "*"
MAX_TTL_SECONDS: Final = 7 * 24 * 3600
MAX_TICKET_LENGTH: Final = 1024


class TicketScope(StrEnum):
    TENANT = "tenant"  # the tenant's own management routes and /connect
    ADMIN = "admin"  # tenant registration only


class InvalidTicketError(BadInputError):
    """Missing, malformed, forged or expired: answered with 401."""


class ForbiddenTicketError(BadInputError):
    """Genuine but for another tenant or scope: answered with 403."""


class TicketClaims(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = Field(TICKET_VERSION, ge=TICKET_VERSION, le=TICKET_VERSION)
    tenant: str = Field(min_length=1, max_length=63)
    scope: TicketScope
    iat: int
    exp: int


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload_part: str, key: bytes) -> str:
    return _b64encode(hmac.new(key, payload_part.encode("ascii"), hashlib.sha256).digest())


def mint_ticket(
    key: bytes, tenant_id: str, scope: TicketScope, *, now: float, ttl_seconds: int
) -> str:
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl must be between 1 and {MAX_TTL_SECONDS} seconds")
    if scope is TicketScope.ADMIN:
        tenant_id = ADMIN_TENANT
    elif not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise ValueError("tenant id must be 2-63 characters of a-z, 0-9 and '-'")
    claims = TicketClaims(tenant=tenant_id, scope=scope, iat=int(now), exp=int(now) + ttl_seconds)
    payload_part = _b64encode(
        json.dumps(claims.model_dump(mode="json"), separators=(",", ":")).encode()
    )
    return f"{payload_part}.{_signature(payload_part, key)}"


def verify_ticket(ticket: str | None, key: bytes, *, now: float) -> TicketClaims:
    """The claims of a genuine, unexpired ticket; ``InvalidTicketError`` otherwise."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > MAX_TICKET_LENGTH:
        raise InvalidTicketError("a valid ticket is required")
    # Only ASCII can be a ticket (base64url and one dot); other text would break the MAC.
    if not ticket.isascii() or ticket.count(".") != 1:
        raise InvalidTicketError("a valid ticket is required")
    payload_part, signature_part = ticket.split(".")
    if not hmac.compare_digest(_signature(payload_part, key), signature_part):
        raise InvalidTicketError("a valid ticket is required")
    try:
        claims = TicketClaims.model_validate_json(_b64decode(payload_part))
    except (ValidationError, binascii.Error, ValueError):
        raise InvalidTicketError("a valid ticket is required") from None
    if claims.exp <= now:
        raise InvalidTicketError("the ticket has expired")
    return claims


def authorize(claims: TicketClaims, *, tenant_id: str | None, scope: TicketScope) -> None:
    """Tenant routes need a tenant ticket for that very tenant; admin routes an admin one."""
    if claims.scope is not scope:
        raise ForbiddenTicketError("this ticket may not be used for this route")
    if scope is TicketScope.TENANT and claims.tenant != tenant_id:
        raise ForbiddenTicketError("this ticket is for another tenant")


def _signing_key_from_secret(secret_name: str) -> bytes:
    import boto3  # noqa: PLC0415 - only the CLI reads AWS

    from billit_sync.store.secrets import AppSecretReader  # noqa: PLC0415

    secrets = AppSecretReader(boto3.client("secretsmanager"), secret_name).get()
    return secrets.ticket_signing_key.get_secret_value().encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m billit_sync.tickets", description="Mint a signed tenant ticket."
    )
    parser.add_argument("--tenant", help="tenant id (not needed for --scope admin)")
    parser.add_argument("--scope", choices=[s.value for s in TicketScope], default="tenant")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--key-env", default="TICKET_SIGNING_KEY", help="env var with the key")
    source.add_argument("--secret-name", help="read the key from this app secret instead")
    args = parser.parse_args(argv)
    scope = TicketScope(args.scope)
    if scope is TicketScope.TENANT and not args.tenant:
        parser.error("--tenant is required for a tenant ticket")
    if args.secret_name:
        key = _signing_key_from_secret(args.secret_name)
    else:
        raw_key = os.environ.get(args.key_env, "")
        if not raw_key:
            parser.error(f"set {args.key_env} or pass --secret-name")
        key = raw_key.encode()
    try:
        ticket = mint_ticket(key, args.tenant or "", scope, now=time.time(), ttl_seconds=args.ttl)
    except ValueError as error:
        parser.error(str(error))
    sys.stdout.write(ticket + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
