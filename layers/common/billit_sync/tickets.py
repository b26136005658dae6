"""Tenant tickets: how OutSmart proves, per request, which tenant it acts for.

A ticket is a JWT (RFC 7519) that OutSmart's back end mints with any standard library
(README: PHP with ``firebase/php-jwt``, Python with PyJWT):

- header ``{"alg": "HS256", "typ": "JWT", "kid": "<key id>"}``: HMAC-SHA256 with a key of the
  app secret; ``kid`` names the key so keys can be rotated with an overlap (the current key
  ``ticket_signing_key``/``ticket_signing_kid`` and, during a rotation,
  ``ticket_previous_signing_key``/``ticket_previous_signing_kid`` are both accepted). Any other
  ``alg`` (``none``, RS256, HS512...) is refused before a key is touched.
- claims ``iss = "outsmart"``, ``aud = "outsmart-billit"``, ``sub`` = the tenant id (``"*"``
  for ``admin``), ``scope`` (``tenant``, ``admin`` or ``connect``), ``iat`` and ``exp`` as JSON
  integers (a string, float or boolean is refused, not coerced), ``exp - iat`` at most the
  scope's maximum lifetime, ``iat`` not in the future; 30 s of leeway for clock skew.
- ``connect`` and ``settings`` tickets are the only credentials a browser URL ever carries
  (``/connect``, ``/ui/open``): they live at most 10 minutes, carry a ``jti`` and are accepted
  once (``UsedTickets``); a ``tenant`` ticket in a URL is refused. ``/ui/open`` trades its
  ticket for a session cookie and redirects, so the URL the user keeps carries none.

Mint one (operators, the demo)::

    python -m billit_sync.tickets --tenant acme [--scope tenant|admin|connect|settings] [--ttl N]

The key comes from ``--key-env`` (default ``TICKET_SIGNING_KEY``; its id from
``--kid``) or, with ``--secret-name``, from the app secret in Secrets Manager.
"""

import os
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from billit_sync.errors import BadInputError
from billit_sync.tenancy import TENANT_ID_PATTERN

ISSUER: Final = "outsmart"
AUDIENCE: Final = "outsmart-billit"
ALGORITHM: Final = "HS256"
DEFAULT_KID: Final = "1"
ADMIN_TENANT: Final = "*"
LEEWAY_SECONDS: Final = 30
MAX_TICKET_LENGTH: Final = 2048


class TicketScope(StrEnum):
    TENANT = "tenant"  # the tenant's own management routes
    ADMIN = "admin"  # tenant registration only
    CONNECT = "connect"  # one visit of GET /connect in a browser, once
    SETTINGS = "settings"  # opens the settings page (GET /ui/open) in a browser, once


MAX_LIFETIME_SECONDS: Final[Mapping[TicketScope, int]] = {
    TicketScope.TENANT: 3600,
    TicketScope.ADMIN: 3600,
    TicketScope.CONNECT: 600,
    TicketScope.SETTINGS: 600,
}
MAX_TTL_SECONDS: Final = max(MAX_LIFETIME_SECONDS.values())
SINGLE_USE_SCOPES: Final = frozenset({TicketScope.CONNECT, TicketScope.SETTINGS})


class InvalidTicketError(BadInputError):
    """Missing, malformed, forged, expired or already used: answered with 401."""


class ForbiddenTicketError(BadInputError):
    """Genuine but for another tenant or scope: answered with 403."""


_INVALID: Final = "a valid ticket is required"
_EXPIRED: Final = "the ticket has expired"


class TicketClaims(BaseModel):
    """The registered claims the service relies on, all strictly typed (no coercion)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    iss: StrictStr
    aud: StrictStr | list[StrictStr]
    sub: StrictStr = Field(min_length=1, max_length=63)
    scope: TicketScope
    iat: StrictInt
    exp: StrictInt
    nbf: StrictInt | None = None
    jti: StrictStr | None = Field(None, min_length=16, max_length=128)

    @property
    def tenant(self) -> str:
        return self.sub


@dataclass(frozen=True)
class TicketKeyring:
    """The key that signs (``current_kid``) and every key that verifies, by ``kid``."""

    current_kid: str
    keys: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.current_kid not in self.keys:
            raise ValueError("the current kid must name one of the keys")

    @classmethod
    def single(cls, key: bytes, kid: str = DEFAULT_KID) -> "TicketKeyring":
        return cls(kid, {kid: key})

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current_kid]


def _keyring(keys: "TicketKeyring | bytes") -> TicketKeyring:
    return TicketKeyring.single(keys) if isinstance(keys, bytes) else keys


def mint_ticket(
    keys: TicketKeyring | bytes,
    tenant_id: str,
    scope: TicketScope,
    *,
    now: float,
    ttl_seconds: int,
) -> str:
    """A ticket as OutSmart mints it (the demo, tests and operators use this)."""
    if not 0 < ttl_seconds <= MAX_LIFETIME_SECONDS[scope]:
        raise ValueError(f"ttl must be between 1 and {MAX_LIFETIME_SECONDS[scope]} seconds")
    if scope is TicketScope.ADMIN:
        tenant_id = ADMIN_TENANT
    elif not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise ValueError("tenant id must be 2-63 characters of a-z, 0-9 and '-'")
    keyring = _keyring(keys)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": tenant_id,
        "scope": scope.value,
        "iat": int(now),
        "exp": int(now) + ttl_seconds,
    }
    if scope in SINGLE_USE_SCOPES:
        claims["jti"] = secrets.token_urlsafe(24)
    import jwt  # noqa: PLC0415  (PyJWT loads where a ticket is made or checked: cold start, issue 16)

    return jwt.encode(
        claims, keyring.current_key, algorithm=ALGORITHM, headers={"kid": keyring.current_kid}
    )


def verify_ticket(ticket: str | None, keys: TicketKeyring | bytes, *, now: float) -> TicketClaims:
    """The claims of a genuine, current ticket; ``InvalidTicketError`` otherwise.

    Single use (``jti``) is the caller's part: it needs the table (``SingleUseStore``).
    """
    if not isinstance(ticket, str) or not ticket or len(ticket) > MAX_TICKET_LENGTH:
        raise InvalidTicketError(_INVALID)
    if not ticket.isascii() or ticket.count(".") != 2:
        raise InvalidTicketError(_INVALID)
    keyring = _keyring(keys)
    import jwt  # noqa: PLC0415  (every handler imports this module; few check tickets)

    try:
        header = jwt.get_unverified_header(ticket)
    except jwt.PyJWTError:
        raise InvalidTicketError(_INVALID) from None
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or kid not in keyring.keys:
        raise InvalidTicketError(_INVALID)
    try:
        payload = jwt.decode(
            ticket,
            keyring.keys[kid],
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Times are checked below against ``now`` with strict integers (PyJWT would
            # accept ``"exp": "1800000000"`` and reads the wall clock).
            options={
                "require": ["iss", "aud", "sub", "iat", "exp"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        claims = TicketClaims.model_validate(payload)
    except (jwt.PyJWTError, ValidationError, ValueError, TypeError, RecursionError):
        raise InvalidTicketError(_INVALID) from None
    _check_claims(claims, now)
    return claims


def _check_claims(claims: TicketClaims, now: float) -> None:
    """Lifetime, time and subject rules a signature alone does not give."""
    if not claims.iat < claims.exp <= claims.iat + MAX_LIFETIME_SECONDS[claims.scope]:
        raise InvalidTicketError(_INVALID)
    if claims.iat > now + LEEWAY_SECONDS:
        raise InvalidTicketError(_INVALID)
    if claims.nbf is not None and claims.nbf > now + LEEWAY_SECONDS:
        raise InvalidTicketError(_INVALID)
    if claims.scope in SINGLE_USE_SCOPES and claims.jti is None:
        raise InvalidTicketError(_INVALID)
    if claims.scope is TicketScope.ADMIN:
        if claims.sub != ADMIN_TENANT:
            raise InvalidTicketError(_INVALID)
    elif not TENANT_ID_PATTERN.fullmatch(claims.sub):
        raise InvalidTicketError(_INVALID)
    if not claims.exp + LEEWAY_SECONDS > now:  # also False for a NaN clock
        raise InvalidTicketError(_EXPIRED)


def authorize(claims: TicketClaims, *, tenant_id: str | None, scope: TicketScope) -> None:
    """Tenant routes need a tenant ticket for that very tenant; admin routes an admin one;
    ``/connect`` a connect ticket (never a tenant ticket: URLs end up in browser history)."""
    if claims.scope is not scope:
        raise ForbiddenTicketError("this ticket may not be used for this route")
    if scope is not TicketScope.ADMIN and claims.tenant != tenant_id:
        raise ForbiddenTicketError("this ticket is for another tenant")


def _keyring_from_secret(secret_name: str) -> TicketKeyring:
    import boto3  # noqa: PLC0415 - only the CLI reads AWS

    from billit_sync.store.secrets import AppSecretReader  # noqa: PLC0415

    return AppSecretReader(boto3.client("secretsmanager"), secret_name).get().ticket_keyring()


def main(argv: list[str] | None = None) -> int:
    import argparse  # noqa: PLC0415  (the operators' command only; argparse costs a cold start)

    parser = argparse.ArgumentParser(
        prog="python -m billit_sync.tickets", description="Mint a signed tenant ticket (JWT)."
    )
    parser.add_argument("--tenant", help="tenant id (not needed for --scope admin)")
    parser.add_argument("--scope", choices=[s.value for s in TicketScope], default="tenant")
    parser.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--key-env", default="TICKET_SIGNING_KEY", help="env var with the key")
    source.add_argument("--secret-name", help="read the key from this app secret instead")
    parser.add_argument("--kid", default=DEFAULT_KID, help="key id of --key-env's key")
    args = parser.parse_args(argv)
    scope = TicketScope(args.scope)
    if scope is not TicketScope.ADMIN and not args.tenant:
        parser.error(f"--tenant is required for a {scope.value} ticket")
    if args.secret_name:
        keyring = _keyring_from_secret(args.secret_name)
    else:
        raw_key = os.environ.get(args.key_env, "")
        if not raw_key:
            parser.error(f"set {args.key_env} or pass --secret-name")
        keyring = TicketKeyring.single(raw_key.encode(), args.kid)
    ttl = args.ttl if args.ttl is not None else MAX_LIFETIME_SECONDS[scope]
    try:
        ticket = mint_ticket(keyring, args.tenant or "", scope, now=time.time(), ttl_seconds=ttl)
    except ValueError as error:
        parser.error(str(error))
    sys.stdout.write(ticket + "\n")
    return 0


if __name__ == "__main__":
    # Run as the package's module, not as a second copy named __main__ (one TicketKeyring).
    from billit_sync.tickets import main as package_main

    raise SystemExit(package_main())
