"""The browser routes with any query: ``/oauth/callback`` answers 302 or 400, ``/connect``
302, 400, 401 or 404; never a 5xx."""

import string
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from billit_sync.connection.browser_binding import BROWSER_COOKIE
from billit_sync.tenancy import TENANT_ID_PATTERN
from billit_sync.tickets import TicketScope, mint_ticket
from functions.oauth import app as oauth
from tests.fuzz.conftest import module_stack
from tests.support.stack import (
    OUTSMART_UI,
    PUBLIC_BASE_URL,
    RETURN_URL,
    TICKET_KEY,
    Stack,
    http_event,
    query_of,
)

TENANT = "acme"
UNREGISTERED = "nobody-here"
USER = "an@claes.example"
FIXTURE_ONLY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with module_stack(oauth) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)
        running.services.connection_lifecycle(PUBLIC_BASE_URL).register_tenant(
            TENANT, SecretStr("os-token-acme"), "nl"
        )
        yield running


def browser_get(
    stack: Stack, path: str, query: dict[str, str], cookie: str | None = None
) -> dict[str, Any]:
    request = http_event("GET", path, query=query or None)
    if cookie is not None:
        request["cookies"] = [f"{BROWSER_COOKIE}={cookie}"]
    return stack.invoke(oauth, request)


def assert_page_or_redirect(response: dict[str, Any], allowed: set[int]) -> None:
    status = response["statusCode"]
    assert status in allowed, (status, response.get("body", "")[:300])
    if status == 302:
        location = response["headers"]["Location"]
        assert location.startswith(("https://my.billit.test/", OUTSMART_UI)), location
    else:
        assert response["body"].startswith("<!doctype html>")


values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~%&=?#/", max_size=60),
    st.text(min_size=2000, max_size=2100),
    st.text(alphabet="\ud800\udfff\x00\n", max_size=5),
)
extra_params = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda k: k not in {"state", "code", "error"}),
    values,
    max_size=3,
)


def _started_state(stack: Stack) -> tuple[str, str]:
    """A genuine, unused state and its browser's cookie: a login started for the tenant."""
    started = stack.services.login_start(PUBLIC_BASE_URL).start(TENANT, RETURN_URL)
    return query_of(started.location)["state"], started.browser_nonce


@FIXTURE_ONLY
@given(data=st.data())
def test_oauth_callback_answers_200_302_or_400(stack: Stack, data: st.DataObject) -> None:
    """200 is the confirmation page (a genuine state from its own browser, a code Billit
    accepts); nothing else gets past the state and cookie check."""
    query: dict[str, str] = {}
    cookie: str | None = None
    genuine = data.draw(st.booleans(), label="genuine state")
    if genuine:
        query["state"], nonce = _started_state(stack)
        cookie = data.draw(st.sampled_from([nonce, None]) | values, label="cookie")
        genuine = cookie == nonce
    elif data.draw(st.booleans()):
        query["state"] = data.draw(values, label="state")
    if data.draw(st.booleans()):
        query["code"] = data.draw(values, label="code")
    if data.draw(st.booleans()):
        query["error"] = data.draw(
            st.sampled_from(["access_denied", "server_error", ""]) | values, label="error"
        )
    query.update(data.draw(extra_params, label="extra"))
    response = browser_get(stack, "/oauth/callback", query, cookie)
    event(f"{'genuine' if genuine else 'other'} state: {response['statusCode']}")
    assert_page_or_redirect(response, {200, 302, 400})
    if not genuine:
        assert response["statusCode"] == 400


tickets = st.one_of(
    values,
    st.sampled_from([TENANT, UNREGISTERED]).map(
        lambda tenant: mint_ticket(
            TICKET_KEY.encode(), tenant, TicketScope.TENANT, now=time.time(), ttl_seconds=600
        )
    ),
    st.from_regex(TENANT_ID_PATTERN, fullmatch=True).map(
        lambda tenant: mint_ticket(
            TICKET_KEY.encode(), tenant, TicketScope.TENANT, now=time.time(), ttl_seconds=600
        )
    ),
    st.just(
        mint_ticket(TICKET_KEY.encode(), "*", TicketScope.ADMIN, now=time.time(), ttl_seconds=600)
    ),
    # The only kind /connect accepts (once each): a connect ticket.
    st.sampled_from([TENANT, UNREGISTERED]).map(
        lambda tenant: mint_ticket(
            TICKET_KEY.encode(), tenant, TicketScope.CONNECT, now=time.time(), ttl_seconds=600
        )
    ),
)
return_urls = st.one_of(
    st.sampled_from(
        [
            RETURN_URL,
            OUTSMART_UI,
            OUTSMART_UI + "/",
            OUTSMART_UI + ":443/x",
            OUTSMART_UI.replace("https", "http"),
            OUTSMART_UI + ".evil.example/",
            "//app.outsmart.test/x",
            "https://evil.example/",
            "javascript:alert(1)",
            "",
        ]
    ),
    st.builds(lambda path: RETURN_URL + path, values),
    values,
)


@FIXTURE_ONLY
@given(data=st.data())
def test_connect_answers_302_400_401_404(stack: Stack, data: st.DataObject) -> None:
    query: dict[str, str] = {}
    if data.draw(st.integers(0, 9), label="with ticket") > 0:
        query["ticket"] = data.draw(tickets, label="ticket")
    if data.draw(st.integers(0, 9), label="with return url") > 0:
        query["return_url"] = data.draw(return_urls, label="return_url")
    query.update(data.draw(extra_params, label="extra"))
    response = browser_get(stack, "/connect", query)
    event(f"status {response['statusCode']}")
    assert_page_or_redirect(response, {302, 400, 401, 404})
