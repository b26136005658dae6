"""Tenant tickets: signed, expiring, bound to one tenant and one scope."""

import base64
import json

import pytest

from billit_sync.tickets import (
    ForbiddenTicketError,
    InvalidTicketError,
    TicketScope,
    authorize,
    main,
    mint_ticket,
    verify_ticket,
)

KEY = b"k" * 48
NOW = 1_800_000_000.0


def mint(tenant: str = "acme", scope: TicketScope = TicketScope.TENANT, ttl: int = 600) -> str:
    return mint_ticket(KEY, tenant, scope, now=NOW, ttl_seconds=ttl)


def test_a_genuine_ticket_carries_tenant_scope_and_expiry() -> None:
    claims = verify_ticket(mint(), KEY, now=NOW + 10)
    assert (claims.tenant, claims.scope, claims.exp) == ("acme", TicketScope.TENANT, NOW + 600)
    authorize(claims, tenant_id="acme", scope=TicketScope.TENANT)


def test_expired_tickets_are_refused() -> None:
    with pytest.raises(InvalidTicketError, match="expired"):
        verify_ticket(mint(ttl=60), KEY, now=NOW + 60)


@pytest.mark.parametrize("ticket", ["", None, "abc", "a.b.c", "x" * 2000, ".", "e30.e30"])
def test_malformed_tickets_are_refused(ticket: str | None) -> None:
    with pytest.raises(InvalidTicketError):
        verify_ticket(ticket, KEY, now=NOW)


def test_a_forged_or_altered_ticket_is_refused() -> None:
    with pytest.raises(InvalidTicketError):
        verify_ticket(
            mint_ticket(b"other-key", "acme", TicketScope.TENANT, now=NOW, ttl_seconds=60),
            KEY,
            now=NOW,
        )
    payload, signature = mint().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["tenant"] = "globex"
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidTicketError):
        verify_ticket(f"{altered}.{signature}", KEY, now=NOW)


def test_another_tenants_ticket_is_forbidden_not_unauthorized() -> None:
    claims = verify_ticket(mint("globex"), KEY, now=NOW)
    with pytest.raises(ForbiddenTicketError):
        authorize(claims, tenant_id="acme", scope=TicketScope.TENANT)


def test_scopes_do_not_mix() -> None:
    admin = verify_ticket(mint(scope=TicketScope.ADMIN), KEY, now=NOW)
    assert admin.tenant == "*"
    authorize(admin, tenant_id=None, scope=TicketScope.ADMIN)
    with pytest.raises(ForbiddenTicketError):
        authorize(admin, tenant_id="acme", scope=TicketScope.TENANT)
    tenant = verify_ticket(mint(), KEY, now=NOW)
    with pytest.raises(ForbiddenTicketError):
        authorize(tenant, tenant_id="acme", scope=TicketScope.ADMIN)


def test_minting_refuses_bad_tenants_and_lifetimes() -> None:
    with pytest.raises(ValueError, match="tenant"):
        mint("Not A Tenant")
    with pytest.raises(ValueError, match="ttl"):
        mint(ttl=0)


def test_the_command_mints_a_verifiable_ticket(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKET_SIGNING_KEY", KEY.decode())
    assert main(["--tenant", "acme", "--ttl", "120"]) == 0
    ticket = capsys.readouterr().out.strip()
    import time

    claims = verify_ticket(ticket, KEY, now=time.time())
    assert claims.tenant == "acme"


def test_the_command_needs_a_key_and_a_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKET_SIGNING_KEY", raising=False)
    with pytest.raises(SystemExit):
        main(["--tenant", "acme"])
    monkeypatch.setenv("TICKET_SIGNING_KEY", "k")
    with pytest.raises(SystemExit):
        main([])
