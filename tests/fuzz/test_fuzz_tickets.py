"""Tickets: ``verify_ticket`` on any text raises only ``InvalidTicketError``; minted tickets
verify to their own claims until they expire."""

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billit_sync.tenancy import TENANT_ID_PATTERN
from billit_sync.tickets import (
    ADMIN_TENANT,
    LEEWAY_SECONDS,
    MAX_LIFETIME_SECONDS,
    InvalidTicketError,
    TicketClaims,
    TicketScope,
    mint_ticket,
    verify_ticket,
)

KEY = b"fuzz-ticket-key-0123456789abcdef"
NOW = 1_770_000_000.0

tenant_ids = st.from_regex(TENANT_ID_PATTERN, fullmatch=True)
scopes = st.sampled_from(TicketScope)
ttls = st.integers(min_value=1, max_value=min(MAX_LIFETIME_SECONDS.values()))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


HEADER_PART = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "1"}).encode())


def _signed(payload_part: str, key: bytes = KEY, header_part: str = HEADER_PART) -> str:
    signing_input = f"{header_part}.{payload_part}"
    mac = hmac.new(key, signing_input.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
claims_like = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.one_of(st.just("outsmart"), json_values),
        "aud": st.one_of(st.just("outsmart-billit"), json_values),
        "sub": st.one_of(tenant_ids, st.just(ADMIN_TENANT), json_values),
        "jti": st.one_of(st.text(min_size=16, max_size=20), json_values),
        "scope": st.one_of(scopes.map(str), json_values),
        "iat": st.one_of(st.integers(), json_values),
        "exp": st.one_of(st.integers(), st.floats(), json_values),
        "extra": json_values,
    },
)


@st.composite
def near_valid_tickets(draw: st.DrawFn) -> str:
    """A genuine ticket, then edited: truncated, a character swapped, parts re-joined."""
    ticket = mint_ticket(KEY, draw(tenant_ids), draw(scopes), now=NOW, ttl_seconds=draw(ttls))
    position = draw(st.integers(0, len(ticket)))
    edit = draw(st.sampled_from(["cut", "insert", "replace", "dots", "case"]))
    if edit == "cut":
        return ticket[:position]
    if edit == "insert":
        return ticket[:position] + draw(st.text(min_size=1, max_size=3)) + ticket[position:]
    if edit == "replace":
        return ticket[:position] + draw(st.text(max_size=3)) + ticket[position + 1 :]
    if edit == "dots":
        return ticket.replace(".", draw(st.sampled_from(["", "..", ". ", " .", ".x."])))
    return ticket.swapcase()


@st.composite
def signed_payloads(draw: st.DrawFn) -> str:
    """Correctly signed with the key, but over any payload (JSON-ish or raw bytes)."""
    if draw(st.booleans()):
        raw = json.dumps(draw(claims_like), allow_nan=True).encode()
    else:
        raw = draw(st.binary(max_size=200))
    payload_part = _b64(raw) if draw(st.booleans()) else draw(st.text(max_size=60))
    if draw(st.booleans()):
        header = draw(claims_like)  # a header that is JSON, but not the right one
        return _signed(payload_part, header_part=_b64(json.dumps(header).encode()))
    return _signed(payload_part)


any_tickets = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="abcXYZ019-_.=+/ ", max_size=120),
    st.text(min_size=1000, max_size=1100),
    near_valid_tickets(),
    signed_payloads(),
)


@given(ticket=any_tickets, now=st.floats(allow_nan=True, allow_infinity=True))
def test_verify_ticket_raises_only_invalid_ticket(ticket: str | None, now: float) -> None:
    try:
        claims = verify_ticket(ticket, KEY, now=now)
    except InvalidTicketError as refused:
        message = str(refused)
    else:
        assert isinstance(claims, TicketClaims)
        assert claims.exp + LEEWAY_SECONDS > now
        return
    assert message in {"a valid ticket is required", "the ticket has expired"}


@given(tenant=tenant_ids, scope=scopes, ttl=ttls, now=st.integers(0, 4_000_000_000))
def test_minted_tickets_verify_until_they_expire(
    tenant: str, scope: TicketScope, ttl: int, now: int
) -> None:
    ticket = mint_ticket(KEY, tenant, scope, now=now, ttl_seconds=ttl)
    claims = verify_ticket(ticket, KEY, now=now + ttl - 1)
    assert claims.scope is scope
    assert claims.tenant == (ADMIN_TENANT if scope is TicketScope.ADMIN else tenant)
    assert claims.exp == now + ttl
    for later in (now + ttl + LEEWAY_SECONDS, now + ttl + LEEWAY_SECONDS + 1):
        with pytest.raises(InvalidTicketError, match="the ticket has expired"):
            verify_ticket(ticket, KEY, now=later)
    with pytest.raises(InvalidTicketError, match="a valid ticket is required"):
        verify_ticket(ticket, KEY + b"x", now=now)
