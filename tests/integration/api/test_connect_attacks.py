"""The connect attacks of issue 14, replayed against the real handlers (each passed on the
code before the fix: the state alone decided the tenant, nothing asked the user, a tenant
ticket opened /connect, and one Billit company could serve any number of tenants)."""

import json
from collections.abc import Iterator

import pytest

from billit_sync.store.keys import sha256_hex
from billit_sync.tickets import TicketScope
from functions.management_api import app as management_api
from functions.oauth import app as oauth
from tests.integration.api.test_connection_flow import (
    BROWSER,
    COOKIE,
    OTHER_TENANT,
    TENANT,
    USER,
    callback,
    confirm,
    connect,
    connection,
    register,
    start_connect,
    token_calls,
)
from tests.support.stack import (
    REDIRECT_URI,
    RETURN_URL,
    Stack,
    http_event,
    query_of,
    running_stack,
)

ATTACKER = "mallory@attacker.example"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    BROWSER.clear()
    with running_stack(monkeypatch, oauth, management_api) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)
        yield running


def _login(stack: Stack, tenant_id: str = TENANT) -> str:
    """The state of a fresh /connect in the user's browser (BROWSER holds its cookie)."""
    login = start_connect(stack, tenant_id)
    assert login["statusCode"] == 302
    return query_of(login["headers"]["Location"])["state"]


def test_connect_sets_a_host_cookie_bound_to_the_state(stack: Stack) -> None:
    register(stack)
    login = start_connect(stack)
    (cookie,) = login["cookies"]
    assert cookie.startswith(f"{COOKIE}=")
    assert {"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} <= set(cookie.split("; "))
    assert "Domain" not in cookie
    nonce = BROWSER[COOKIE]
    assert len(nonce) >= 43  # 256 bits
    items = stack.services.integration_table.scan()["Items"]
    (state_item,) = [i for i in items if str(i["pk"]).startswith("OAUTH_STATE#")]
    assert state_item["browser"] == sha256_hex(nonce)


def test_phished_link_opened_in_another_browser_is_refused_before_any_exchange(
    stack: Stack,
) -> None:
    """The attacker starts /connect for its own tenant and sends Billit's login link to a
    victim, who logs in from another browser: the callback there has no cookie."""
    register(stack)
    stack.billit.add_user(ATTACKER)
    state = _login(stack)  # the attacker's browser
    victim_redirect = query_of(stack.billit.authorize(USER, REDIRECT_URI, state))
    refused = callback(stack, victim_redirect, cookie=None)
    assert refused["statusCode"] == 400
    assert "not started in this browser" in refused["body"]
    other = callback(stack, victim_redirect, cookie="the-victims-own-other-nonce")
    assert other["statusCode"] == 400
    assert token_calls(stack) == 0
    assert connection(stack)["status"] == "never_connected"
    assert stack.services.tenant_secrets.read(TENANT).pending_billit is None


def test_injected_code_in_the_victims_browser_is_shown_and_not_connected(stack: Stack) -> None:
    """A leaked state plus the attacker's own code, played in the victim's browser: the
    victim sees the attacker's company named and nothing is stored unless they confirm."""
    stack.billit.add_user(ATTACKER)
    stack.billit.add_company(ATTACKER, "Mallory Shell BV", "BE0999999999", party_id=666)
    register(stack)
    state = _login(stack)  # the victim's browser, the victim's tenant
    injected = query_of(stack.billit.authorize(ATTACKER, REDIRECT_URI, state))
    page = callback(stack, injected)
    assert page["statusCode"] == 200
    assert "Mallory Shell BV" in page["body"] and "BE0999999999" in page["body"]
    assert TENANT in page["body"]
    assert connection(stack)["status"] == "never_connected"
    assert stack.services.tenant_secrets.read(TENANT).billit is None
    assert stack.billit.webhooks(666) == []
    declined = confirm(stack, page, decision="cancel")
    assert query_of(declined["headers"]["Location"])["billit_connection"] == "not_connected"
    secret = stack.services.tenant_secrets.read(TENANT)
    assert secret.billit is None and secret.pending_billit is None
    assert connection(stack)["status"] == "never_connected"


def test_injected_code_in_the_attackers_browser_is_refused(stack: Stack) -> None:
    """The other direction: a leaked state with the attacker's code, from the attacker's
    browser (no cookie for that state) never reaches the code exchange."""
    stack.billit.add_user(ATTACKER)
    register(stack)
    state = _login(stack)
    injected = query_of(stack.billit.authorize(ATTACKER, REDIRECT_URI, state))
    assert callback(stack, injected, cookie="attackers-nonce")["statusCode"] == 400
    assert token_calls(stack) == 0


def test_the_page_holds_no_token_and_a_forged_or_cross_site_confirmation_fails(
    stack: Stack,
) -> None:
    register(stack)
    state = _login(stack)
    page = callback(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, state)))
    for secret in stack.billit.issued_secrets():
        assert secret not in page["body"]
    assert page["headers"]["X-Frame-Options"] == "DENY"
    # A cross-site POST carries no SameSite=Lax cookie; a guessed id matches nothing.
    assert confirm(stack, page, cookie=None)["statusCode"] == 400
    assert confirm(stack, page, confirmation="guessed")["statusCode"] == 400
    assert connection(stack)["status"] == "never_connected"
    # Neither attempt spent the user's confirmation (the browser check is part of the
    # conditional delete), so the user can still say yes, once.
    done = confirm(stack, page)
    assert done["statusCode"] == 302
    assert connection(stack)["status"] == "connected"
    assert confirm(stack, page)["statusCode"] == 400  # replayed confirmation


def test_replayed_state_is_refused(stack: Stack) -> None:
    register(stack)
    state = _login(stack)
    redirect = query_of(stack.billit.authorize(USER, REDIRECT_URI, state))
    assert callback(stack, redirect)["statusCode"] == 200
    exchanges = token_calls(stack)
    replay = callback(stack, redirect)
    assert replay["statusCode"] == 400
    assert token_calls(stack) == exchanges


def test_a_second_tenant_on_the_same_company_is_refused(stack: Stack) -> None:
    register(stack)
    assert connect(stack)["statusCode"] == 302
    register(stack, OTHER_TENANT, language="nl")
    state = _login(stack, OTHER_TENANT)
    page = callback(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, state)))
    assert page["statusCode"] == 200
    assert "al verbonden met een ander OutSmart-account" in page["body"]  # nl: the tenant's
    assert 'name="decision" value="connect"' not in page["body"]
    refused = confirm(stack, page, party_id="512340")
    assert refused["statusCode"] == 409
    assert "Claes BV" in refused["body"]
    assert connection(stack, OTHER_TENANT)["status"] == "never_connected"
    assert stack.services.tenant_secrets.read(OTHER_TENANT).billit is None
    assert connection(stack)["status"] == "connected"
    # Once the first tenant disconnects, the company is free for the second.
    stack.call(management_api, "DELETE", f"/tenants/{TENANT}/connection", tenant_id=TENANT)
    state = _login(stack, OTHER_TENANT)
    page = callback(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, state)))
    assert confirm(stack, page)["statusCode"] == 302
    assert connection(stack, OTHER_TENANT)["party_id"] == "512340"


def test_the_confirmation_speaks_the_tenants_language(stack: Stack) -> None:
    register(stack, language="nl")
    state = _login(stack)
    page = callback(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, state)))
    assert '<html lang="nl">' in page["body"]
    assert f"OutSmart-account {TENANT} verbinden met Billit-bedrijf Claes BV" in page["body"]
    assert "(btw-nummer BE0765432198)" in page["body"]
    register(stack, language="en")
    state = _login(stack)
    page = callback(stack, query_of(stack.billit.authorize(USER, REDIRECT_URI, state)))
    assert f"Connect OutSmart account {TENANT} to Billit company Claes BV" in page["body"]


def test_a_tenant_ticket_never_opens_connect_and_a_connect_ticket_works_once(
    stack: Stack,
) -> None:
    register(stack)
    tenant_ticket = stack.ticket(TENANT, TicketScope.TENANT)
    query = {"ticket": tenant_ticket, "return_url": RETURN_URL}
    refused = stack.invoke(oauth, http_event("GET", "/connect", query=query))
    assert refused["statusCode"] == 401
    connect_ticket = stack.ticket(TENANT, TicketScope.CONNECT)
    query = {"ticket": connect_ticket, "return_url": RETURN_URL}
    assert stack.invoke(oauth, http_event("GET", "/connect", query=query))["statusCode"] == 302
    again = stack.invoke(oauth, http_event("GET", "/connect", query=query))
    assert again["statusCode"] == 401
    # and a connect ticket opens no management route
    answer = stack.call(
        management_api,
        "GET",
        f"/tenants/{TENANT}/connection",
        ticket=connect_ticket,
    )
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"])
