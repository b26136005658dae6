"""OAuth: authorize URL, code exchange, rotating single-use refresh tokens, revoke, faults."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from billit_sync.billit import (
    BillitAuthRevokedError,
    BillitGrantRefusedError,
    BillitOAuth,
    BillitOutcomeUnknownError,
    BillitUnreadableResultError,
    TokenSet,
)
from billit_sync.errors import AuthExpiredError, OutcomeUnknownError
from tests.fakes.faults import FaultKind
from tests.unit.billit.conftest import (
    CLIENT_ID,
    LOGIN_URL,
    REDIRECT_URI,
    Harness,
)

TOKEN = "/OAuth2/token"


def scripted_oauth(harness: Harness, response: httpx.Response) -> BillitOAuth:
    """An OAuth client whose token endpoint always gives ``response`` (bypasses the fake)."""
    client = httpx.Client(transport=httpx.MockTransport(lambda _request: response))
    return BillitOAuth(
        client,
        harness.endpoints,
        CLIENT_ID,
        SecretStr("secret"),
        REDIRECT_URI,
        sleep=harness.waits.append,
        clock=harness.clock.utc,
    )


def test_authorize_url_carries_client_redirect_and_state(harness: Harness) -> None:
    url = harness.oauth.authorize_url("tenant7.n0nce-x_y~z")
    assert url.startswith(LOGIN_URL + "?")
    query = parse_qs(urlsplit(url).query)
    assert query == {
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT_URI],
        "state": ["tenant7.n0nce-x_y~z"],
    }
    page = harness.http_client.get(url)  # the fake's login page accepts it
    assert page.status_code == 200
    assert "Log in" in page.text


@pytest.mark.parametrize("state", ["", "a&b", "a b", "x" * 513, "é"])
def test_unsafe_states_are_refused(harness: Harness, state: str) -> None:
    with pytest.raises(ValueError, match="state"):
        harness.oauth.authorize_url(state)


def test_redirect_uri_without_own_query(harness: Harness) -> None:
    with pytest.raises(ValueError, match="query"):
        BillitOAuth(
            harness.http_client,
            harness.endpoints,
            CLIENT_ID,
            SecretStr("x"),
            REDIRECT_URI + "?tenant=7",
        )


def test_exchange_code_gives_a_token_set(harness: Harness) -> None:
    tokens = harness.connect()
    assert tokens.token_type == "Bearer"
    assert tokens.expires_at == harness.clock.utc() + timedelta(seconds=3600)
    assert tokens.expires_at.tzinfo is not None
    assert not tokens.expires_within(300, now=harness.clock.utc())
    assert tokens.expires_within(300, now=harness.clock.utc() + timedelta(seconds=3400))
    request: httpx.Request = harness.router.calls.last.request
    assert request.url.path == TOKEN
    assert "Authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    assert b'"grant_type":"authorization_code"' in request.content.replace(b" ", b"")


def test_token_set_never_shows_its_tokens(harness: Harness) -> None:
    tokens = harness.connect()
    for text in (repr(tokens), str(tokens), tokens.model_dump_json()):
        assert tokens.access_token.get_secret_value() not in text
        assert tokens.refresh_token.get_secret_value() not in text


def test_a_code_works_once(harness: Harness) -> None:
    location = harness.fake.authorize("an@claes.example", REDIRECT_URI, "s")
    code = parse_qs(urlsplit(location).query)["code"][0]
    harness.oauth.exchange_code(code)
    with pytest.raises(BillitGrantRefusedError) as caught:
        harness.oauth.exchange_code(code)
    assert isinstance(caught.value, AuthExpiredError)
    assert caught.value.has_code("INVALID_GRANT")
    assert caught.value.status_code == 400


def test_refresh_rotates_and_the_old_refresh_token_is_refused(harness: Harness) -> None:
    first = harness.connect()
    second = harness.oauth.refresh(first.refresh_token)
    assert second.access_token != first.access_token
    assert second.refresh_token.get_secret_value() != first.refresh_token.get_secret_value()
    with pytest.raises(BillitGrantRefusedError):
        harness.oauth.refresh(first.refresh_token)
    third = harness.oauth.refresh(second.refresh_token.get_secret_value())
    assert isinstance(third, TokenSet)
    assert harness.fake.refresh_count() == 2


def test_wrong_client_secret_is_a_refused_grant(harness: Harness) -> None:
    tokens = harness.connect()
    oauth = BillitOAuth(
        harness.http_client,
        harness.endpoints,
        CLIENT_ID,
        SecretStr("wrong"),
        REDIRECT_URI,
        sleep=harness.waits.append,
    )
    with pytest.raises(BillitGrantRefusedError) as caught:
        oauth.refresh(tokens.refresh_token)
    assert caught.value.status_code == 401
    assert caught.value.has_code("invalid_client")


def test_billit_envelope_refusal_is_recognised(harness: Harness) -> None:
    oauth = scripted_oauth(
        harness, httpx.Response(400, json={"errors": [{"Code": "Invalid_Grant"}]})
    )
    with pytest.raises(BillitGrantRefusedError):
        oauth.refresh(SecretStr("rt"))


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, json={"error": "unsupported_grant_type"}),
        httpx.Response(400, json={"errors": [{"Code": "RefreshTokenNotValid"}]}),
        httpx.Response(401, json={"errors": [{"Code": "Unauthorized", "Description": "x"}]}),
        httpx.Response(400, content=b""),
        httpx.Response(400, content=b"<html>Bad Request</html>"),
    ],
    ids=["oauth-other-code", "billit-envelope", "billit-401", "empty", "not-json"],
)
def test_any_400_or_401_from_the_token_endpoint_is_a_refused_grant(
    harness: Harness, answer: httpx.Response
) -> None:
    # billit-api.md §2: token-endpoint errors are undocumented; 400/401 any body = refused.
    oauth = scripted_oauth(harness, answer)
    with pytest.raises(BillitGrantRefusedError) as caught:
        oauth.refresh(SecretStr("rt"))
    assert isinstance(caught.value, AuthExpiredError)


@pytest.mark.parametrize("shape", ["oauth", "billit"])
def test_a_spent_refresh_token_is_refused_in_either_error_shape(
    harness: Harness, shape: str
) -> None:
    harness.fake.token_error_shape = shape  # type: ignore[assignment]
    first = harness.connect()
    harness.oauth.refresh(first.refresh_token)
    with pytest.raises(BillitGrantRefusedError) as caught:
        harness.oauth.refresh(first.refresh_token)  # works only once (reference §2)
    assert caught.value.has_code("invalid_grant")
    assert caught.value.status_code == 400


def test_refresh_timeout_after_send_is_outcome_unknown(harness: Harness) -> None:
    tokens = harness.connect()
    before = len(harness.calls("POST", TOKEN))
    harness.faults.add(FaultKind.TIMEOUT_AFTER_SEND, method="POST", path=TOKEN)
    with pytest.raises(OutcomeUnknownError):
        harness.oauth.refresh(tokens.refresh_token)
    assert len(harness.calls("POST", TOKEN)) == before + 1  # not retried
    assert harness.fake.refresh_count() == 1  # it did take effect ...
    with pytest.raises(BillitGrantRefusedError):  # ... so the old refresh token is spent
        harness.oauth.refresh(tokens.refresh_token)


def test_refresh_server_error_is_outcome_unknown_and_not_retried(harness: Harness) -> None:
    tokens = harness.connect()
    before = len(harness.calls("POST", TOKEN))
    harness.faults.add(FaultKind.SERVER_ERROR, method="POST", path=TOKEN, times=-1)
    with pytest.raises(BillitOutcomeUnknownError):
        harness.oauth.refresh(tokens.refresh_token)
    assert len(harness.calls("POST", TOKEN)) == before + 1
    assert harness.waits == []


def test_refresh_rate_limited_is_retried(harness: Harness) -> None:
    tokens = harness.connect()
    harness.faults.add(FaultKind.RATE_LIMIT, method="POST", path=TOKEN, times=1, retry_after="2")
    assert harness.oauth.refresh(tokens.refresh_token)
    assert harness.waits == [2.0]


def test_refresh_connect_error_is_retried(harness: Harness) -> None:
    tokens = harness.connect()
    harness.faults.add(FaultKind.CONNECT_ERROR, method="POST", path=TOKEN, times=1)
    assert harness.oauth.refresh(tokens.refresh_token)
    assert harness.fake.refresh_count() == 1


def test_unreadable_token_answer(harness: Harness) -> None:
    tokens = harness.connect()
    harness.faults.add(FaultKind.MALFORMED_BODY, method="POST", path=TOKEN)
    with pytest.raises(BillitUnreadableResultError) as caught:
        harness.oauth.refresh(tokens.refresh_token)
    assert isinstance(caught.value, OutcomeUnknownError)


def test_answer_without_refresh_token_keeps_the_old_one(harness: Harness) -> None:
    oauth = scripted_oauth(
        harness, httpx.Response(200, json={"access_token": "at2", "expires_in": 3600})
    )
    tokens = oauth.refresh(SecretStr("rt1"))
    assert tokens.refresh_token.get_secret_value() == "rt1"
    assert tokens.token_type == "Bearer"


def test_answer_without_access_token_is_unreadable(harness: Harness) -> None:
    oauth = scripted_oauth(harness, httpx.Response(200, json={"refresh_token": "rt2"}))
    with pytest.raises(BillitUnreadableResultError):
        oauth.refresh(SecretStr("rt1"))


def test_revoke_ends_api_access(harness: Harness) -> None:
    client = harness.make_client()
    harness.oauth.revoke(harness.creds.tokens.access_token)
    request: httpx.Request = harness.router.calls.last.request
    assert request.url.path == "/OAuth2/revoke"
    assert request.headers["Authorization"].startswith("Bearer ")
    with pytest.raises(BillitAuthRevokedError):
        client.parties.get_party(1)
    with pytest.raises(BillitGrantRefusedError):  # the refresh token went with it
        harness.oauth.refresh(harness.creds.tokens.refresh_token)
    harness.oauth.revoke(harness.creds.tokens.access_token)  # already revoked: no error
