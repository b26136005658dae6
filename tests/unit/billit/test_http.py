"""The authenticated executor: headers, timeouts, token expiry, error mapping, retries on reads."""

import httpx
import pytest
import respx

from billit_sync.billit import (
    BillitAuthRevokedError,
    BillitClient,
    BillitEndpoints,
    BillitHttp,
    BillitNotFoundError,
    BillitProtocolError,
    BillitRateLimitedError,
    BillitServerError,
    BillitUnauthorizedError,
    StaticCredentials,
)
from billit_sync.errors import AuthExpiredError, TransientError
from billit_sync.http.retry import RequestFailedError
from tests.fakes.faults import FaultKind
from tests.unit.billit.conftest import API_URL, EMAIL, LOGIN_URL, POLICY, Harness

PARTIES = "/v1/parties"


def test_company_calls_send_bearer_accept_party_id_and_a_timeout(
    harness: Harness, client: BillitClient
) -> None:
    list(client.parties.iter_parties())
    request: httpx.Request = harness.router.calls.last.request
    assert request.headers["PartyID"] == str(harness.company_id)
    assert request.headers["Accept"] == "application/json"
    token = harness.creds.tokens.access_token.get_secret_value()
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }


def test_rate_limit_on_a_read_honours_retry_after(harness: Harness, client: BillitClient) -> None:
    harness.faults.add(FaultKind.RATE_LIMIT, method="GET", path=PARTIES, times=2, retry_after="1")
    harness.fake.add_party(harness.company_id, Name="Peeters BV")
    assert [p.name for p in client.parties.iter_parties()] == ["Peeters BV"]
    assert harness.waits == [1.0, 1.0]
    assert len(harness.calls("GET", PARTIES)) == 3


def test_server_error_on_a_read_is_retried_then_ok(harness: Harness, client: BillitClient) -> None:
    harness.faults.add(FaultKind.SERVER_ERROR, method="GET", path=PARTIES, times=2)
    assert list(client.parties.iter_parties()) == []
    assert len(harness.calls("GET", PARTIES)) == 3
    assert len(harness.waits) == 2
    assert all(0 <= wait <= POLICY.max_delay for wait in harness.waits)


def test_server_errors_exhaust_the_budget(harness: Harness, client: BillitClient) -> None:
    harness.faults.add(FaultKind.SERVER_ERROR, method="GET", path=PARTIES, times=-1)
    with pytest.raises(BillitServerError) as caught:
        list(client.parties.iter_parties())
    assert isinstance(caught.value, TransientError)
    assert caught.value.status_code == 500
    assert caught.value.has_code("internalservererror")
    assert len(harness.calls("GET", PARTIES)) == POLICY.max_attempts
    assert len(harness.waits) == POLICY.max_attempts - 1


def test_rate_limits_exhaust_the_budget(harness: Harness, client: BillitClient) -> None:
    harness.faults.add(FaultKind.RATE_LIMIT, method="GET", path=PARTIES, times=-1, retry_after="3")
    with pytest.raises(BillitRateLimitedError) as caught:
        list(client.parties.iter_parties())
    assert caught.value.retry_after == 3.0
    # 10 s budget, 3 s per wait: three waits, four attempts.
    assert harness.waits == [3.0, 3.0, 3.0]
    assert len(harness.calls("GET", PARTIES)) == 4


@pytest.mark.parametrize(
    "kind", [FaultKind.CONNECT_ERROR, FaultKind.TIMEOUT_BEFORE_SEND, FaultKind.TIMEOUT_AFTER_SEND]
)
def test_network_failures_on_a_read_are_retried(
    harness: Harness, client: BillitClient, kind: FaultKind
) -> None:
    harness.faults.add(kind, method="GET", path=PARTIES, times=1)
    harness.fake.add_party(harness.company_id, Name="Peeters BV")
    assert len(list(client.parties.iter_parties())) == 1
    assert len(harness.calls("GET", PARTIES)) == 2
    assert len(harness.waits) == 1


def test_connection_errors_exhaust_the_budget(harness: Harness, client: BillitClient) -> None:
    harness.faults.add(FaultKind.CONNECT_ERROR, method="GET", path=PARTIES, times=-1)
    with pytest.raises(RequestFailedError) as caught:
        list(client.parties.iter_parties())
    assert isinstance(caught.value, TransientError)
    assert len(harness.calls("GET", PARTIES)) == POLICY.max_attempts


def test_malformed_json_is_a_protocol_error(harness: Harness, client: BillitClient) -> None:
    harness.faults.add(FaultKind.MALFORMED_BODY, method="GET", path=PARTIES, times=1)
    with pytest.raises(BillitProtocolError) as caught:
        list(client.parties.iter_parties())
    assert isinstance(caught.value, TransientError)
    assert caught.value.path == PARTIES


def test_expired_access_token_is_refreshed_once(harness: Harness, client: BillitClient) -> None:
    harness.creds.proactive = False
    harness.clock.advance(3601)
    harness.fake.add_party(harness.company_id, Name="Peeters BV")
    assert len(list(client.parties.iter_parties())) == 1
    assert harness.creds.forced_refreshes == 1
    assert harness.fake.refresh_count() == 1
    statuses = [c.status for c in harness.calls("GET", PARTIES)]
    assert statuses == [401, 200]


def test_a_token_that_stays_expired_is_not_refreshed_in_a_loop(harness: Harness) -> None:
    expired = harness.creds.tokens.access_token
    harness.clock.advance(3601)
    http = BillitHttp(
        harness.http_client,
        harness.endpoints,
        StaticCredentials(expired, harness.company_id),
        retry=POLICY,
        sleep=harness.waits.append,
    )
    with pytest.raises(BillitUnauthorizedError) as caught:
        list(BillitClient(http).parties.iter_parties())
    assert caught.value.has_code("AccessTokenExpired")
    assert len(harness.calls("GET", PARTIES)) == 2


def test_revoked_access_is_an_auth_error(harness: Harness, client: BillitClient) -> None:
    harness.fake.revoke_user_tokens(EMAIL)
    with pytest.raises(BillitAuthRevokedError) as caught:
        list(client.parties.iter_parties())
    assert isinstance(caught.value, AuthExpiredError)
    assert caught.value.has_code("AccessTokenRevoked")
    assert harness.fake.refresh_count() == 0
    assert len(harness.calls("GET", PARTIES)) == 1


def test_unknown_token_is_an_auth_error(harness: Harness) -> None:
    http = BillitHttp(
        harness.http_client,
        harness.endpoints,
        StaticCredentials("not-a-token", harness.company_id),
        retry=POLICY,
        sleep=harness.waits.append,
    )
    with pytest.raises(BillitAuthRevokedError):
        BillitClient(http).parties.get_party(1)


def test_not_found_and_other_company(harness: Harness, client: BillitClient) -> None:
    with pytest.raises(BillitNotFoundError) as caught:
        client.parties.get_party(999_999)
    assert caught.value.path == "/v1/parties/999999"
    other = harness.fake.add_company(EMAIL, "Other BV", "BE0111222333")
    party = harness.fake.add_party(other, Name="Not yours")
    with pytest.raises(BillitUnauthorizedError):
        client.parties.get_party(party["PartyID"])
    assert harness.waits == []  # 4xx are not retried


def test_wrong_party_id_header_is_unauthorized(harness: Harness) -> None:
    harness.creds.party_id = 1
    with pytest.raises(BillitUnauthorizedError) as caught:
        list(harness.make_client().parties.iter_parties())
    assert caught.value.has_code("NoAccessToParty")


def test_absolute_urls_off_the_api_origin_are_refused() -> None:
    endpoints = BillitEndpoints(api_url=API_URL, login_url=LOGIN_URL)
    with respx.mock(assert_all_called=False) as router:
        evil = router.route(host="evil.example").mock(return_value=httpx.Response(200, json=[]))
        with httpx.Client() as client:
            http = BillitHttp(client, endpoints, StaticCredentials("tok", 1))
            with pytest.raises(BillitProtocolError):
                http.get_json("https://evil.example/v1/parties")
            with pytest.raises(BillitProtocolError):
                http.get_json("http://api.sandbox.billit.be/v1/parties")
        assert not evil.called


def test_endpoints_validate_configuration() -> None:
    with pytest.raises(ValueError, match="https"):
        BillitEndpoints(api_url="http://api.billit.be", login_url=LOGIN_URL)
    with pytest.raises(ValueError, match="query"):
        BillitEndpoints(api_url=API_URL, login_url=LOGIN_URL + "?x=1")
    local = BillitEndpoints(
        api_url="http://127.0.0.1:8080/", login_url="http://127.0.0.1:8080/Account/Logon"
    )
    assert local.api("/v1/parties") == "http://127.0.0.1:8080/v1/parties"
    assert local.token_url == "http://127.0.0.1:8080/OAuth2/token"
