"""Account information: the user's companies and PartyIDs, fetched with the bearer token only."""

import httpx
import pytest

from billit_sync.billit import BillitClient, BillitCompanyNotSelectedError
from billit_sync.errors import UserFixableError
from tests.unit.billit.conftest import EMAIL, Harness


def test_account_information_lists_companies(harness: Harness, client: BillitClient) -> None:
    info = client.account.get_account_information()
    assert info.email == EMAIL
    assert [c.party_id for c in info.companies] == [harness.company_id]
    assert info.companies[0].name == "Claes BV"
    assert info.companies[0].vat_number == "BE0765432198"
    assert info.user_company_roles[0].party_id == harness.company_id
    assert info.company(harness.company_id) is not None
    assert info.company(1) is None


def test_account_information_sends_no_party_id(harness: Harness, client: BillitClient) -> None:
    client.account.get_account_information()
    request: httpx.Request = harness.router.calls.last.request
    assert request.url.path == "/v1/account/accountInformation"
    assert "PartyID" not in request.headers
    assert request.headers["Authorization"].startswith("Bearer ")
    assert request.headers["Accept"] == "application/json"


def test_account_information_works_before_a_company_is_chosen(harness: Harness) -> None:
    harness.creds.party_id = None
    client = harness.make_client()
    assert client.account.get_account_information().companies
    with pytest.raises(BillitCompanyNotSelectedError):
        next(client.parties.iter_parties())
    assert not harness.calls("GET", "/v1/parties")


@pytest.mark.parametrize("requires_party_id", [False, True])
def test_account_information_adds_the_known_party_id_only_when_billit_asks(
    harness: Harness, client: BillitClient, requires_party_id: bool
) -> None:
    # billit-api.md §2 "safe order": without PartyID first; on 400/401 without a token code,
    # retry with the PartyID the connection knows. The fake plays both documented readings.
    harness.fake.account_requires_party_id = requires_party_id

    info = client.account.get_account_information()

    assert [c.party_id for c in info.companies] == [harness.company_id]
    calls = harness.calls("GET", "/v1/account/accountInformation")
    assert [c.party_id for c in calls] == (
        [None, str(harness.company_id)] if requires_party_id else [None]
    )


def test_account_information_without_a_known_party_id_reports_billits_refusal(
    harness: Harness,
) -> None:
    harness.fake.account_requires_party_id = True
    harness.creds.party_id = None
    with pytest.raises(UserFixableError):
        harness.make_client().account.get_account_information()
