"""Tenant tickets are JWTs (RFC 7519): signed, expiring, bound to one tenant and one scope.

Each tampering the issue lists (14) is built here by hand, as an attacker holding a ticket (or
the key of another deployment) would, and must be refused; on the pre-JWT code a future
``iat``, a 100-year ``exp`` and a string ``exp`` were all accepted.
"""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest

from billit_sync.tickets import (
    AUDIENCE,
    ISSUER,
    MAX_LIFETIME_SECONDS,
    ForbiddenTicketError,
    InvalidTicketError,
    TicketKeyring,
    TicketScope,
    authorize,
    main,
    mint_ticket,
    verify_ticket,
)

KEY = b"k" * 48
OLD_KEY = b"o" * 48
NOW = 1_800_000_000


def mint(tenant: str = "acme", scope: TicketScope = TicketScope.TENANT, ttl: int = 600) -> str:
    return mint_ticket(KEY, tenant, scope, now=NOW, ttl_seconds=ttl)


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "acme",
        "scope": "tenant",
        "iat": NOW,
        "exp": NOW + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], *, key: bytes = KEY, **header: Any) -> str:
    """What PHP's firebase/php-jwt or PyJWT produce: HS256 with a ``kid``."""
    return jwt.encode(payload, key, algorithm="HS256", headers={"kid": "1", **header})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], key: bytes | None = KEY) -> str:
    """Any header, any payload (PyJWT refuses to encode some of them)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{_b64(mac)}"


def test_a_genuine_ticket_carries_tenant_scope_and_expiry() -> None:
    ticket = mint()
    header = jwt.get_unverified_header(ticket)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": "1"}
    verified = verify_ticket(ticket, KEY, now=NOW + 10)
    assert (verified.tenant, verified.scope, verified.exp) == (
        "acme",
        TicketScope.TENANT,
        NOW + 600,
    )
    assert (verified.iss, verified.aud, verified.sub, verified.iat) == (
        ISSUER,
        AUDIENCE,
        "acme",
        NOW,
    )
    authorize(verified, tenant_id="acme", scope=TicketScope.TENANT)


def test_a_ticket_minted_by_a_standard_library_is_accepted() -> None:
    """OutSmart's back end mints with its own JWT library, not with this code."""
    verified = verify_ticket(signed(claims()), KEY, now=NOW)
    assert verified.tenant == "acme"


def test_expiry_has_a_small_leeway_and_no_more() -> None:
    ticket = mint(ttl=600)
    assert verify_ticket(ticket, KEY, now=NOW + 600 + 29).tenant == "acme"
    with pytest.raises(InvalidTicketError, match="expired"):
        verify_ticket(ticket, KEY, now=NOW + 600 + 30)


@pytest.mark.parametrize(
    ("attack", "payload"),
    [
        ("iat in the future", claims(iat=NOW + 3600, exp=NOW + 3900)),
        ("100-year exp", claims(exp=NOW + 100 * 365 * 24 * 3600)),
        ("exp longer than the scope allows", claims(exp=NOW + 3601)),
        ("connect ticket living an hour", claims(scope="connect", exp=NOW + 3600, jti="j" * 20)),
        ("exp as a string", claims(exp=str(NOW + 600))),
        ("iat as a string", claims(iat=str(NOW))),
        ("exp as a float", claims(exp=NOW + 600.0)),
        ("exp as a boolean", claims(iat=0, exp=True)),
        ("exp before iat", claims(exp=NOW - 1)),
        ("nbf in the future", claims(nbf=NOW + 3600)),
        ("no exp", claims(exp=None)),
        ("no iat", claims(iat=None)),
        ("no sub", claims(sub=None)),
        ("another issuer", claims(iss="someone-else")),
        ("another audience", claims(aud="another-service")),
        ("no audience", claims(aud=None)),
        ("sub not a tenant id", claims(sub="../acme")),
        ("admin scope for a tenant", claims(scope="admin")),
        ("unknown scope", claims(scope="root")),
        ("connect ticket without jti", claims(scope="connect")),
    ],
)
def test_tampered_claims_are_refused(attack: str, payload: dict[str, Any]) -> None:
    with pytest.raises(InvalidTicketError):
        verify_ticket(hand_made({"alg": "HS256", "typ": "JWT", "kid": "1"}, payload), KEY, now=NOW)


@pytest.mark.parametrize(
    ("attack", "header", "key"),
    [
        ("alg none, no signature", {"alg": "none", "kid": "1"}, None),
        ("alg None", {"alg": "None", "kid": "1"}, None),
        ("alg HS512", {"alg": "HS512", "kid": "1"}, KEY),
        ("alg RS256 with the key as public key", {"alg": "RS256", "kid": "1"}, KEY),
        ("no kid", {"alg": "HS256"}, KEY),
        ("unknown kid", {"alg": "HS256", "kid": "2"}, KEY),
        ("kid not text", {"alg": "HS256", "kid": 1}, KEY),
        ("another deployment's key", {"alg": "HS256", "kid": "1"}, b"x" * 48),
    ],
)
def test_tampered_headers_and_signatures_are_refused(
    attack: str, header: dict[str, Any], key: bytes | None
) -> None:
    with pytest.raises(InvalidTicketError):
        verify_ticket(hand_made(header, claims(), key), KEY, now=NOW)


def test_an_altered_payload_is_refused() -> None:
    header, _, signature = mint().split(".")
    other = _b64(json.dumps(claims(sub="victim")).encode())
    with pytest.raises(InvalidTicketError):
        verify_ticket(f"{header}.{other}.{signature}", KEY, now=NOW)


@pytest.mark.parametrize("ticket", [None, "", "abc", "a.b", "a.b.c.d", "é.é.é", "x" * 5000])
def test_malformed_tickets_are_refused(ticket: str | None) -> None:
    with pytest.raises(InvalidTicketError, match="a valid ticket is required"):
        verify_ticket(ticket, KEY, now=NOW)


def test_rotation_accepts_both_keys_during_the_overlap_and_signs_with_the_new_one() -> None:
    during = TicketKeyring("2", {"2": KEY, "1": OLD_KEY})
    after = TicketKeyring.single(KEY, "2")
    old_ticket = mint_ticket(
        TicketKeyring.single(OLD_KEY, "1"), "acme", TicketScope.TENANT, now=NOW, ttl_seconds=60
    )
    new_ticket = mint_ticket(during, "acme", TicketScope.TENANT, now=NOW, ttl_seconds=60)
    assert jwt.get_unverified_header(new_ticket)["kid"] == "2"
    assert verify_ticket(old_ticket, during, now=NOW).tenant == "acme"
    assert verify_ticket(new_ticket, during, now=NOW).tenant == "acme"
    with pytest.raises(InvalidTicketError):
        verify_ticket(old_ticket, after, now=NOW)
    # The old key under the new kid (a mix-up) is refused too.
    with pytest.raises(InvalidTicketError):
        verify_ticket(signed(claims(), key=OLD_KEY, kid="2"), during, now=NOW)


def test_another_tenants_ticket_is_forbidden_not_unauthorized() -> None:
    verified = verify_ticket(mint("acme"), KEY, now=NOW)
    with pytest.raises(ForbiddenTicketError):
        authorize(verified, tenant_id="other", scope=TicketScope.TENANT)


def test_scopes_do_not_mix() -> None:
    admin = verify_ticket(mint(scope=TicketScope.ADMIN), KEY, now=NOW)
    assert admin.tenant == "*"
    with pytest.raises(ForbiddenTicketError):
        authorize(admin, tenant_id="acme", scope=TicketScope.TENANT)
    tenant = verify_ticket(mint(), KEY, now=NOW)
    with pytest.raises(ForbiddenTicketError):
        authorize(tenant, tenant_id=None, scope=TicketScope.ADMIN)
    with pytest.raises(ForbiddenTicketError):  # a tenant ticket never opens /connect
        authorize(tenant, tenant_id="acme", scope=TicketScope.CONNECT)
    connect = verify_ticket(mint(scope=TicketScope.CONNECT), KEY, now=NOW)
    assert connect.jti
    with pytest.raises(ForbiddenTicketError):  # nor a connect ticket a management route
        authorize(connect, tenant_id="acme", scope=TicketScope.TENANT)


def test_minting_refuses_bad_tenants_and_lifetimes() -> None:
    with pytest.raises(ValueError, match="tenant"):
        mint("Not A Tenant")
    with pytest.raises(ValueError, match="ttl"):
        mint(ttl=0)
    with pytest.raises(ValueError, match="ttl"):
        mint(scope=TicketScope.CONNECT, ttl=MAX_LIFETIME_SECONDS[TicketScope.CONNECT] + 1)


def test_the_command_mints_a_verifiable_ticket(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKET_SIGNING_KEY", KEY.decode())
    assert main(["--tenant", "acme", "--ttl", "120", "--kid", "7"]) == 0
    ticket = capsys.readouterr().out.strip()
    verified = verify_ticket(ticket, TicketKeyring.single(KEY, "7"), now=time.time())
    assert verified.tenant == "acme"
    assert verified.exp - verified.iat == 120


def test_the_command_needs_a_key_and_a_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKET_SIGNING_KEY", raising=False)
    with pytest.raises(SystemExit):
        main(["--tenant", "acme"])
    monkeypatch.setenv("TICKET_SIGNING_KEY", "k")
    with pytest.raises(SystemExit):
        main([])


def test_python_m_tickets_mints_from_the_app_secret(tmp_path: Any) -> None:
    """What the README tells operators to run: ``python -m billit_sync.tickets
    --secret-name …`` reads the keyring (current kid) from the app secret."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        environ = {
            **os.environ,
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "layers/common"),
        }
        client = boto3.client(
            "secretsmanager",
            endpoint_url=environ["AWS_ENDPOINT_URL"],
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        document = {
            "billit_client_id": "cid",
            "billit_client_secret": "cs",
            "outsmart_software_token": "st",
            "ticket_signing_key": KEY.decode(),
            "ticket_signing_kid": "2026-12",
            "ticket_previous_signing_key": OLD_KEY.decode(),
            "ticket_previous_signing_kid": "2026-06",
        }
        client.create_secret(Name="outsmart-billit/t/app", SecretString=json.dumps(document))
        command = [sys.executable, "-m", "billit_sync.tickets", "--secret-name"]
        out = subprocess.run(  # noqa: S603 - our own interpreter and module
            [*command, "outsmart-billit/t/app", "--tenant", "acme", "--scope", "connect"],
            env=environ,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    finally:
        server.stop()
    assert jwt.get_unverified_header(out)["kid"] == "2026-12"
    keyring = TicketKeyring("2026-12", {"2026-12": KEY, "2026-06": OLD_KEY})
    verified = verify_ticket(out, keyring, now=time.time())
    assert (verified.tenant, verified.scope) == ("acme", TicketScope.CONNECT)
    assert verified.exp - verified.iat == MAX_LIFETIME_SECONDS[TicketScope.CONNECT]
