"""The connection story through the real handlers: register → connect → callback → tokens
stored → an hour later a refresh with rotation → refusal → auth expired → reconnect →
disconnect; plus the ways it must refuse (forged/expired/replayed state, access_denied,
open redirect, cross-tenant tickets), and that no secret reaches a log line or a body."""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from billit_sync.errors import AuthExpiredError
from billit_sync.store import IdMapping, MappedEntity, MappingStore
from billit_sync.tickets import TicketScope, mint_ticket
from functions.management_api import app as management_api
from functions.oauth import app as oauth
from tests.support.log_capture import captured_service_logs
from tests.support.stack import (
    BILLIT_LOGIN,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    RETURN_URL,
    TICKET_KEY,
    Stack,
    http_event,
    query_of,
    running_stack,
)

TENANT = "acme"
OTHER_TENANT = "globex"
USER = "an@claes.example"
OUTSMART_TOKEN = "outsmart-tenant-token-3c4d"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    BROWSER.clear()
    with running_stack(monkeypatch, oauth, management_api) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)
        yield running


def register(stack: Stack, tenant_id: str = TENANT, language: str = "nl") -> dict[str, Any]:
    return stack.call(
        management_api,
        "PUT",
        f"/tenants/{tenant_id}",
        scope=TicketScope.ADMIN,
        body={"outsmart_token": OUTSMART_TOKEN, "language": language},
    )


# The user's browser: the cookie /connect set (one browser per test; reset by the fixture).
BROWSER: dict[str, str] = {}
COOKIE = "__Host-billit-connect"


def start_connect(
    stack: Stack, tenant_id: str = TENANT, return_url: str = RETURN_URL
) -> dict[str, Any]:
    query = {"ticket": stack.ticket(tenant_id, TicketScope.CONNECT), "return_url": return_url}
    response = stack.invoke(oauth, http_event("GET", "/connect", query=query))
    for cookie in response.get("cookies") or []:
        name, _, rest = cookie.partition("=")
        if name == COOKIE:
            BROWSER[COOKIE] = rest.split(";")[0]
    return response


def _cookie_header(cookie: str | None) -> dict[str, str]:
    return {"cookie": f"{COOKIE}={cookie}"} if cookie else {}


def callback(stack: Stack, query: dict[str, str], cookie: str | None = "") -> dict[str, Any]:
    """Billit's redirect back, in the user's browser (``cookie=""``) or another (a value,
    or None for a browser without the cookie)."""
    cookie = BROWSER.get(COOKIE) if cookie == "" else cookie
    event = http_event("GET", "/oauth/callback", query=query, headers=_cookie_header(cookie))
    if cookie:
        event["cookies"] = [f"{COOKIE}={cookie}"]
    return stack.invoke(oauth, event)


def form_of(page: dict[str, Any]) -> dict[str, str]:
    """The hidden fields of the confirmation page's form."""
    fields = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page["body"])
    return dict(fields)


def confirm(
    stack: Stack,
    page: dict[str, Any],
    decision: str = "connect",
    cookie: str | None = "",
    **fields: str,
) -> dict[str, Any]:
    """The user's click on the confirmation page: a form POST to /oauth/confirm."""
    cookie = BROWSER.get(COOKIE) if cookie == "" else cookie
    body = urlencode(form_of(page) | {"decision": decision} | fields)
    headers = {"content-type": "application/x-www-form-urlencoded", **_cookie_header(cookie)}
    event = http_event("POST", "/oauth/confirm", body=body, headers=headers)
    if cookie:
        event["cookies"] = [f"{COOKIE}={cookie}"]
    return stack.invoke(oauth, event)


def finish(stack: Stack, query: dict[str, str], **choice: str) -> dict[str, Any]:
    """Callback, then "Connect" on the confirmation page; returns the confirm's answer."""
    page = callback(stack, query)
    assert page["statusCode"] == 200, page
    return confirm(stack, page, **choice)


def connect(
    stack: Stack, tenant_id: str = TENANT, user: str = USER, **choice: str
) -> dict[str, Any]:
    """The whole browser round trip; returns the confirmation's response."""
    login = start_connect(stack, tenant_id)
    assert login["statusCode"] == 302
    state = query_of(login["headers"]["Location"])["state"]
    billit_redirect = stack.billit.authorize(user, REDIRECT_URI, state)
    return finish(stack, query_of(billit_redirect), **choice)


def connection(stack: Stack, tenant_id: str = TENANT) -> dict[str, Any]:
    response = stack.call(
        management_api, "GET", f"/tenants/{tenant_id}/connection", tenant_id=tenant_id
    )
    assert response["statusCode"] == 200
    body: dict[str, Any] = json.loads(response["body"])
    return body


def log_keys(stack: Stack, tenant_id: str = TENANT) -> list[str]:
    page = stack.services.sync_log.page(tenant_id, limit=100)
    return [entry.message_key for entry in page.entries]


def token_calls(stack: Stack) -> int:
    return sum(1 for call in stack.billit.calls if call.path == "/OAuth2/token")


def test_register_then_connect_stores_tokens_connection_webhooks_and_log(stack: Stack) -> None:
    assert register(stack)["statusCode"] == 200
    assert connection(stack)["status"] == "never_connected"
    assert stack.services.tenant_secrets.read(TENANT).outsmart_token is not None

    login = start_connect(stack)
    location = login["headers"]["Location"]
    assert location.startswith(BILLIT_LOGIN + "?")
    params = query_of(location)
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert len(params["state"]) >= 22  # ≥ 128 bits of urlsafe base64

    done = finish(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, params["state"])))
    assert done["statusCode"] == 302
    assert done["headers"]["Location"] == RETURN_URL + "?billit_connection=connected"

    secret = stack.services.tenant_secrets.read(TENANT)
    assert secret.billit is not None
    assert secret.outsmart_token is not None  # registration survives the connect
    hooks = stack.billit.webhooks(512340)
    # billit-api.md §5 "Rules": Message/I (receiver feedback) + Message/U (+ Order/U)
    assert {(h["EntityType"], h["EntityUpdateType"]) for h in hooks} == {
        ("Order", "U"),
        ("Message", "I"),
        ("Message", "U"),
    }
    assert {h["WebhookURL"] for h in hooks} == {"https://connector.test/webhooks/billit/acme"}
    assert set(secret.webhook_secrets) == {str(h["WebhookID"]) for h in hooks}

    status = connection(stack)
    assert status["status"] == "connected"
    assert status["company_name"] == "Claes BV"
    assert status["party_id"] == "512340"
    assert status["environment"] == "sandbox"
    assert status["connected_at"]
    assert log_keys(stack) == ["connection.connected"]
    entry = stack.services.sync_log.page(TENANT, limit=1).entries[0]
    assert entry.params == {"company": "Claes BV"}


def test_several_companies_keep_the_list_and_use_the_chosen_one(stack: Stack) -> None:
    """billit-api.md §2: never silently Companies[0]; the confirmation page offers each."""
    stack.billit.add_company(USER, "Claes Services BV", "BE0765432101", party_id=512341)
    register(stack)
    login = start_connect(stack)
    state = query_of(login["headers"]["Location"])["state"]
    page = callback(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, state)))
    assert 'value="512340"' in page["body"] and 'value="512341"' in page["body"]
    assert "Claes Services BV, BE0765432101" in page["body"]
    assert confirm(stack, page, party_id="512340")["statusCode"] == 302
    status = connection(stack)
    assert status["party_id"] == "512340"
    assert [c["party_id"] for c in status["companies"]] == ["512340", "512341"]

    picked = stack.call(
        management_api,
        "PUT",
        f"/tenants/{TENANT}/connection/company",
        tenant_id=TENANT,
        body={"party_id": 512341},
    )
    assert picked["statusCode"] == 200
    assert json.loads(picked["body"])["company_name"] == "Claes Services BV"
    assert len(stack.billit.webhooks(512341)) == 3
    assert stack.billit.webhooks(512340) == []


def test_replayed_forged_and_expired_states_are_refused_without_token_exchange(
    stack: Stack,
) -> None:
    register(stack)
    login = start_connect(stack)
    state = query_of(login["headers"]["Location"])["state"]
    billit_redirect = query_of(stack.billit.authorize(USER, REDIRECT_URI, state))
    assert callback(stack, billit_redirect)["statusCode"] == 200  # the confirmation page
    exchanges = token_calls(stack)

    replay = callback(stack, billit_redirect)
    assert replay["statusCode"] == 400
    assert "already used" in replay["body"]
    forged = callback(stack, {"code": "abc", "state": "forged-state-value"})
    assert forged["statusCode"] == 400
    missing = callback(stack, {"code": "abc"})
    assert missing["statusCode"] == 400

    late = start_connect(stack)
    late_state = query_of(late["headers"]["Location"])["state"]
    late_redirect = query_of(stack.billit.authorize(USER, REDIRECT_URI, late_state))
    stack.clock.advance(11 * 60)
    assert callback(stack, late_redirect)["statusCode"] == 400
    assert token_calls(stack) == exchanges


def test_access_denied_goes_back_not_connected_and_stores_nothing(stack: Stack) -> None:
    register(stack)
    login = start_connect(stack)
    state = query_of(login["headers"]["Location"])["state"]
    denied = query_of(stack.billit.authorize(USER, REDIRECT_URI, state, allow=False))
    assert denied["error"] == "access_denied"
    response = callback(stack, denied)
    assert response["statusCode"] == 302
    assert query_of(response["headers"]["Location"]) == {
        "billit_connection": "not_connected",
        "billit_reason": "access_denied",
    }
    assert stack.services.tenant_secrets.read(TENANT).billit is None
    assert connection(stack)["status"] == "never_connected"
    assert log_keys(stack) == []
    assert token_calls(stack) == 0


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/steal",
        "https://app.outsmart.test.evil.example/x",
        "http://app.outsmart.test/settings",
        "//evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_open_redirect_attempts_are_refused(stack: Stack, return_url: str) -> None:
    register(stack)
    response = start_connect(stack, return_url=return_url)
    assert response["statusCode"] == 400
    assert "Location" not in response.get("headers", {})


def test_connect_needs_a_valid_ticket_and_a_registered_tenant(stack: Stack) -> None:
    forged = stack.invoke(
        oauth, http_event("GET", "/connect", query={"ticket": "x.y", "return_url": RETURN_URL})
    )
    assert forged["statusCode"] == 401
    unregistered = start_connect(stack, tenant_id="nobody")
    assert unregistered["statusCode"] == 404


def test_an_hour_later_the_token_is_refreshed_with_rotation(stack: Stack) -> None:
    register(stack)
    connect(stack)
    first = stack.services.tenant_secrets.read(TENANT).billit
    assert first is not None

    stack.clock.advance(3600 - 60)
    provider = stack.services.token_provider(TENANT, 512340)
    fresh = provider.access_token()
    second = stack.services.tenant_secrets.read(TENANT).billit
    assert second is not None
    assert fresh == second.access_token.get_secret_value() != first.access_token.get_secret_value()
    assert second.refresh_token != first.refresh_token
    assert stack.billit.refresh_count() == 1
    # the rotated-out refresh token is dead at Billit
    with pytest.raises(AuthExpiredError):
        stack.services.billit_oauth().refresh(first.refresh_token)


def test_refusal_expires_the_connection_once_and_reconnect_restores_it(stack: Stack) -> None:
    register(stack)
    connect(stack)
    stack.billit.revoke_user_tokens(USER)
    stack.clock.advance(3600)
    for _ in range(3):  # three workers notice; one log entry
        provider = stack.services.token_provider(TENANT, 512340)
        with pytest.raises(AuthExpiredError):
            provider.access_token()
    assert connection(stack)["status"] == "auth_expired"
    assert log_keys(stack).count("connection.auth_expired") == 1
    calls_before = len(stack.billit.calls)
    with pytest.raises(AuthExpiredError):
        stack.services.token_provider(TENANT, 512340).access_token()
    assert len(stack.billit.calls) == calls_before  # no Billit call while auth expired

    assert connect(stack)["headers"]["Location"].endswith("billit_connection=connected")
    assert connection(stack)["status"] == "connected"
    assert len(stack.billit.webhooks(512340)) == 3  # replaced, not piled up


def test_disconnect_then_reconnect_to_another_billit_account(stack: Stack) -> None:
    register(stack)
    connect(stack)
    old_tokens = stack.services.tenant_secrets.read(TENANT).billit
    assert old_tokens is not None
    mappings = MappingStore(stack.services.integration_table, stack.clock)
    mappings.put_many(
        TENANT,
        "512340",
        [
            IdMapping(
                entity=MappedEntity.CUSTOMER,
                billit_id="77",
                outsmart_key="C-1001",
                content_hash=None,
                attributes={},
            ),
        ],
    )

    response = stack.call(
        management_api, "DELETE", f"/tenants/{TENANT}/connection", tenant_id=TENANT
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["status"] == "disconnected"
    assert stack.billit.webhooks(512340) == []
    secret = stack.services.tenant_secrets.read(TENANT)
    assert secret.billit is None
    assert secret.webhook_secrets == {}
    assert secret.outsmart_token is not None
    assert log_keys(stack)[0] == "connection.disconnected"
    # the revoked token no longer works at Billit
    refused = stack.billit.handle(
        __import__("httpx").Request(
            "GET",
            "https://api.billit.test/v1/account/accountInformation",
            headers={"Authorization": f"Bearer {old_tokens.access_token.get_secret_value()}"},
        )
    )
    assert refused.status_code == 401
    again = stack.call(management_api, "DELETE", f"/tenants/{TENANT}/connection", tenant_id=TENANT)
    assert again["statusCode"] == 200  # harmless to repeat

    other_user = "bo@dewit.example"
    stack.billit.add_user(other_user)
    stack.billit.add_company(other_user, "De Wit NV", "BE0411222333", party_id=600100)
    connect(stack, user=other_user)
    status = connection(stack)
    assert (status["status"], status["party_id"], status["company_name"]) == (
        "connected",
        "600100",
        "De Wit NV",
    )
    assert mappings.get_by_outsmart_key(TENANT, "600100", MappedEntity.CUSTOMER, "C-1001") is None
    assert (
        mappings.get_by_outsmart_key(TENANT, "512340", MappedEntity.CUSTOMER, "C-1001") is not None
    )


def test_tickets_guard_every_management_route(stack: Stack) -> None:
    register(stack)
    register(stack, OTHER_TENANT)
    routes = [
        ("GET", f"/tenants/{TENANT}/connection", None),
        ("DELETE", f"/tenants/{TENANT}/connection", None),
        ("PUT", f"/tenants/{TENANT}/connection/company", {"party_id": 1}),
        ("GET", f"/tenants/{TENANT}/settings", None),
        ("PUT", f"/tenants/{TENANT}/settings", {}),
        ("GET", f"/tenants/{TENANT}/sync-log", None),
        ("POST", f"/tenants/{TENANT}/sync", {}),
        ("POST", f"/tenants/{TENANT}/exports/retry", {}),
        ("GET", f"/tenants/{TENANT}/exports/WB-1936", None),
    ]
    expired = mint_ticket(
        TICKET_KEY.encode(), TENANT, TicketScope.TENANT, now=1_000_000, ttl_seconds=60
    )
    forged = mint_ticket(
        b"not-the-key-but-just-as-long-0123456789",
        TENANT,
        TicketScope.TENANT,
        now=1.9e9,
        ttl_seconds=60,
    )
    for method, path, body in routes:
        other = stack.call(management_api, method, path, tenant_id=OTHER_TENANT, body=body)
        assert other["statusCode"] == 403, (method, path)
        assert TENANT not in json.loads(other["body"])["detail"]
        admin = stack.call(management_api, method, path, scope=TicketScope.ADMIN, body=body)
        assert admin["statusCode"] == 403, (method, path)
        for bad in (expired, forged, ""):
            response = stack.call(management_api, method, path, ticket=bad, body=body)
            assert response["statusCode"] == 401, (method, path)
    tenant_on_admin_route = stack.call(
        management_api,
        "PUT",
        f"/tenants/{TENANT}",
        tenant_id=TENANT,
        body={"outsmart_token": "x", "language": "en"},
    )
    assert tenant_on_admin_route["statusCode"] == 403


def test_registration_validates_its_body_without_echoing_it(stack: Stack) -> None:
    response = stack.call(
        management_api,
        "PUT",
        f"/tenants/{TENANT}",
        scope=TicketScope.ADMIN,
        body={"outsmart_token": OUTSMART_TOKEN, "language": "fr"},
    )
    assert response["statusCode"] == 422
    body = json.loads(response["body"])
    assert [f["field"] for f in body["errors"]] == ["language"]
    assert OUTSMART_TOKEN not in response["body"]
    malformed = stack.call(
        management_api, "PUT", f"/tenants/{TENANT}", scope=TicketScope.ADMIN, body="{not json"
    )
    assert malformed["statusCode"] == 400
    bad_id = stack.call(
        management_api,
        "PUT",
        "/tenants/Bad_Id!",
        scope=TicketScope.ADMIN,
        body={"outsmart_token": "x"},
    )
    assert bad_id["statusCode"] == 400


def test_no_secret_reaches_a_log_line_or_a_response(stack: Stack) -> None:
    """The service's own log lines at DEBUG (JSON with every extra key), every response body
    and header of the story: no code, token, client secret, webhook secret or ticket key."""
    responses: list[dict[str, Any]] = []
    with captured_service_logs() as logs:
        responses.append(register(stack))
        login = start_connect(stack)
        state = query_of(login["headers"]["Location"])["state"]
        billit_redirect = query_of(stack.billit.authorize(USER, REDIRECT_URI, state))
        page = callback(stack, billit_redirect)
        responses.append(page)
        responses.append(callback(stack, billit_redirect))  # replay
        responses.append(confirm(stack, page))
        responses.append(confirm(stack, page))  # a second click
        stack.clock.advance(3600)
        stack.services.token_provider(TENANT, 512340).access_token()
        responses.append(
            stack.call(management_api, "GET", f"/tenants/{TENANT}/connection", tenant_id=TENANT)
        )
        stack.billit.revoke_user_tokens(USER)
        stack.clock.advance(3600)
        with pytest.raises(AuthExpiredError) as expired:
            stack.services.token_provider(TENANT, 512340).access_token()
        responses.append(
            stack.call(management_api, "DELETE", f"/tenants/{TENANT}/connection", tenant_id=TENANT)
        )

    secret_values = stack.billit.issued_secrets() | {CLIENT_SECRET, OUTSMART_TOKEN, TICKET_KEY}
    secret_values |= {hook["Secret"] for hook in stack.billit.webhooks(512340)}
    assert billit_redirect["code"] in secret_values
    assert len(secret_values) >= 8
    text = logs.getvalue()
    assert "connected to Billit" in text  # the log lines really were captured
    haystacks = [text, json.dumps(responses, default=str), str(expired.value)]
    for secret in secret_values:
        for haystack in haystacks:
            assert secret not in haystack
