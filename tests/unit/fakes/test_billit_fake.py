"""The Billit fake behaves like the Billit API note says: OAuth, OData paging, orders, webhooks."""

import hashlib
import hmac
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import respx

from tests.fakes.billit import BillitFake
from tests.fakes.faults import MALFORMED, FaultKind, FaultPlan
from tests.fakes.server import serve

API = "https://api.billit.test"
MY = "https://my.billit.test"
REDIRECT = "https://connector.example/oauth/callback"
CLIENT_ID = "outsmart-client"
CLIENT_SECRET = "outsmart-client-secret"
USER = "an@claes.example"
START = 1_777_629_600.0  # 2026-05-01T10:00:00 UTC


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> BillitFake:
    billit = BillitFake(clock=clock)
    billit.add_user(USER, "s3cret", first_name="An", last_name="Claes")
    billit.add_company(USER, "Claes BV", "BE0765432198")
    return billit


@pytest.fixture
def company(fake: BillitFake) -> int:
    return fake.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)


@pytest.fixture
def http(fake: BillitFake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as client:
        yield client


def code_from(location: str) -> str:
    return parse_qs(urlsplit(location).query)["code"][0]


def exchange(http: httpx.Client, code: str, **overrides: str) -> httpx.Response:
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        **overrides,
    }
    return http.post(f"{API}/OAuth2/token", json=body)


def refresh(http: httpx.Client, refresh_token: str, **overrides: str) -> httpx.Response:
    body = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
    return http.post(f"{API}/OAuth2/token", json=body)


def connect(fake: BillitFake, http: httpx.Client) -> dict[str, Any]:
    response = exchange(http, code_from(fake.authorize(USER, REDIRECT, "conn-1")))
    assert response.status_code == 200
    tokens: dict[str, Any] = response.json()
    return tokens


@pytest.fixture
def token(fake: BillitFake, http: httpx.Client) -> str:
    return str(connect(fake, http)["access_token"])


@pytest.fixture
def headers(token: str, company: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "PartyID": str(company)}


def error_code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["Code"])


def line(quantity: str, price: str, vat: int = 21, description: str = "Arbeid") -> str:
    return (
        f'{{"Quantity":{quantity},"UnitPriceExcl":{price},'
        f'"Description":{json.dumps(description)},"VATPercentage":{vat}}}'
    )


def order_json(party_id: int, *lines: str, external_id: str = "os-7-1919") -> bytes:
    """Raw JSON, so the numbers are exactly the decimals a client would send."""
    body_lines = ",".join(lines or (line("2.5", "55.0"), line("3", "4.55")))
    return (
        '{"OrderType":"Invoice","OrderDirection":"Income","OrderDate":"2026-05-14",'
        f'"ExternalProviderID":"{external_id}","OrderTitle":"Werkbon WB-1042",'
        f'"Customer":{{"PartyID":{party_id}}},"OrderLines":[{body_lines}]}}'
    ).encode()


@pytest.fixture
def customer(fake: BillitFake, company: int) -> int:
    party = fake.add_party(
        company, Name="Peeters BV", VATNumber="BE0123456789", Email="boekhouding@peeters.example"
    )
    return int(party["PartyID"])


@dataclass
class World:
    """The usual fixtures in one, for tests that also take parameters."""

    fake: BillitFake
    http: httpx.Client
    headers: dict[str, str]
    company: int
    customer: int
    clock: Clock


@pytest.fixture
def world(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int, clock: Clock
) -> World:
    return World(fake, http, headers, int(headers["PartyID"]), customer, clock)


def create_order(
    http: httpx.Client, headers: dict[str, str], body: bytes, key: str | None = None
) -> httpx.Response:
    extra = {"Content-Type": "application/json"}
    if key is not None:
        extra["Idempotency-Key"] = key
    return http.post(f"{API}/v1/orders", headers={**headers, **extra}, content=body)


def verify(header: str, raw: bytes, secret: str, now: float, tolerance: int = 300) -> bool:
    """The verification from the reference note, with the clock passed in."""
    parts = dict(item.strip().split("=", 1) for item in header.split(","))
    if abs(now - int(parts["t"])) > tolerance:
        return False
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["s"])


# == login page and OAuth ===================================================================


def test_login_page_is_a_form_with_allow_and_deny(http: httpx.Client) -> None:
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "state": "conn-1"}
    response = http.get(f"{MY}/Account/Logon", params=params)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert '<form method="post" action="/Account/Logon">' in page
    assert 'name="email"' in page
    assert 'name="password"' in page
    assert 'value="allow"' in page
    assert 'value="deny"' in page
    assert 'name="state" value="conn-1"' in page


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        ("someone-else", REDIRECT),
        (CLIENT_ID, "https://evil.example/oauth/callback"),
        (CLIENT_ID, REDIRECT + "?tenant=7"),
    ],
)
def test_login_with_bad_client_or_redirect_stays_on_billit(
    fake: BillitFake, http: httpx.Client, client_id: str, redirect_uri: str
) -> None:
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "state": "x"}
    response = http.get(f"{MY}/Account/Logon", params=params)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "<form" not in response.text
    with pytest.raises(ValueError, match=r"not registered|Unknown client"):
        fake.authorize(USER, redirect_uri, "x", client_id=client_id)


def post_login(http: httpx.Client, action: str, password: str = "s3cret") -> httpx.Response:  # noqa: S107
    form = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "state": "conn-1",
        "email": USER,
        "password": password,
        "action": action,
    }
    return http.post(f"{MY}/Account/Logon", data=form)


def test_login_form_allow_redirects_with_code_and_state(http: httpx.Client) -> None:
    response = post_login(http, "allow")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["conn-1"]
    assert exchange(http, query["code"][0]).status_code == 200


def test_login_form_deny_redirects_with_access_denied(http: httpx.Client) -> None:
    response = post_login(http, "deny")

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["conn-1"]}


def test_login_with_wrong_password_shows_the_form_again(http: httpx.Client) -> None:
    response = post_login(http, "allow", password="wrong")

    assert response.status_code == 200
    assert "Location" not in response.headers
    assert "Invalid e-mail or password" in response.text


def test_authorize_helper_denied(fake: BillitFake) -> None:
    location = fake.authorize(USER, REDIRECT, "st", allow=False)

    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": ["st"]}


def test_code_exchange_returns_a_bearer_token_pair(fake: BillitFake, http: httpx.Client) -> None:
    response = exchange(http, code_from(fake.authorize(USER, REDIRECT, "s")))

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert body["refresh_token"]
    assert body["access_token"] != body["refresh_token"]


def test_code_works_only_once(fake: BillitFake, http: httpx.Client) -> None:
    code = code_from(fake.authorize(USER, REDIRECT, "s"))
    assert exchange(http, code).status_code == 200

    again = exchange(http, code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_description"]


def test_code_expires_after_ten_minutes(fake: BillitFake, http: httpx.Client, clock: Clock) -> None:
    code = code_from(fake.authorize(USER, REDIRECT, "s"))
    clock.advance(601)

    response = exchange(http, code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_is_bound_to_its_redirect_uri(fake: BillitFake, http: httpx.Client) -> None:
    code = code_from(fake.authorize(USER, REDIRECT, "s"))

    response = exchange(http, code, redirect_uri="https://connector.example/other")

    assert response.json()["error"] == "invalid_grant"


def test_token_endpoint_wants_json_without_authorization_header(
    fake: BillitFake, http: httpx.Client
) -> None:
    code = code_from(fake.authorize(USER, REDIRECT, "s"))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
    }
    as_form = http.post(f"{API}/OAuth2/token", data=form)
    with_basic = http.post(
        f"{API}/OAuth2/token", json=form, auth=httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)
    )

    assert as_form.status_code == 400
    assert as_form.json()["error"] == "invalid_request"
    assert with_basic.status_code == 400
    assert exchange(http, code).status_code == 200  # the refused calls did not spend the code


def test_wrong_client_secret_is_invalid_client(fake: BillitFake, http: httpx.Client) -> None:
    code = code_from(fake.authorize(USER, REDIRECT, "s"))

    response = exchange(http, code, client_secret="nope")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "nope" not in response.text


def test_refresh_rotates_and_the_spent_refresh_token_is_refused(
    fake: BillitFake, http: httpx.Client
) -> None:
    first = connect(fake, http)

    second = refresh(http, first["refresh_token"])
    reused = refresh(http, first["refresh_token"])

    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert second.json()["access_token"] != first["access_token"]
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert refresh(http, second.json()["refresh_token"]).status_code == 200
    assert fake.refresh_count() == 2


def test_only_the_issuing_client_can_refresh(fake: BillitFake, http: httpx.Client) -> None:
    fake.add_client("other-app", "other-secret", [REDIRECT])
    tokens = connect(fake, http)

    response = refresh(
        http, tokens["refresh_token"], client_id="other-app", client_secret="other-secret"
    )

    assert response.json()["error"] == "invalid_grant"


def test_access_token_expires_by_the_clock(
    fake: BillitFake, http: httpx.Client, clock: Clock, company: int
) -> None:
    tokens = connect(fake, http)
    url = f"{API}/v1/parties"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}", "PartyID": str(company)}
    assert http.get(url, headers=bearer).status_code == 200

    clock.advance(3600)
    expired = http.get(url, headers=bearer)
    renewed = refresh(http, tokens["refresh_token"]).json()
    fresh = {**bearer, "Authorization": f"Bearer {renewed['access_token']}"}

    assert expired.status_code == 401
    assert error_code(expired) == "AccessTokenExpired"
    assert http.get(url, headers=fresh).status_code == 200


def test_short_token_lifetime_is_reported_in_expires_in(clock: Clock) -> None:
    fake = BillitFake(clock=clock, access_token_lifetime=60)
    fake.add_user(USER)
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as http:
        assert connect(fake, http)["expires_in"] == 60


def test_revoke_endpoint_revokes_the_access_and_refresh_token(
    fake: BillitFake, http: httpx.Client, company: int
) -> None:
    tokens = connect(fake, http)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    revoked = http.post(f"{API}/OAuth2/revoke", headers=bearer)
    after = http.get(f"{API}/v1/parties", headers={**bearer, "PartyID": str(company)})

    assert revoked.status_code == 200
    assert after.status_code == 401
    assert error_code(after) == "AccessTokenRevoked"
    assert refresh(http, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_user_disconnecting_in_billit_revokes_everything(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str]
) -> None:
    tokens = connect(fake, http)
    fake.revoke_user_tokens(USER)

    response = http.get(f"{API}/v1/parties", headers=headers)

    assert error_code(response) == "AccessTokenRevoked"
    assert refresh(http, tokens["refresh_token"]).status_code == 400


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_bad_bearer_is_invalid_access_token(
    http: httpx.Client, company: int, authorization: str | None
) -> None:
    request_headers = {"PartyID": str(company)}
    if authorization:
        request_headers["Authorization"] = authorization

    response = http.get(f"{API}/v1/parties", headers=request_headers)

    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"Code": "InvalidAccessToken", "Description": "The access token is invalid."}]
    }


def test_company_calls_need_a_party_id_of_the_user(
    fake: BillitFake, http: httpx.Client, token: str
) -> None:
    fake.add_user("other@example.test")
    stranger = fake.add_company("other@example.test", "Other BV", "BE0999999999")
    bearer = {"Authorization": f"Bearer {token}"}

    missing = http.get(f"{API}/v1/parties", headers=bearer)
    foreign = http.get(f"{API}/v1/parties", headers={**bearer, "PartyID": str(stranger)})

    assert missing.status_code == 401
    assert error_code(missing) == "PartyIDRequired"
    assert foreign.status_code == 401
    assert error_code(foreign) == "NoAccessToParty"


def test_account_information_lists_the_users_companies(
    fake: BillitFake, http: httpx.Client, token: str, company: int
) -> None:
    second = fake.add_company(USER, "Claes Services", "BE0111222333")

    response = http.get(
        f"{API}/v1/account/accountInformation", headers={"Authorization": f"Bearer {token}"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["Email"] == USER
    assert (body["FirstName"], body["LastName"]) == ("An", "Claes")
    assert [(c["PartyID"], c["Name"], c["VATNumber"]) for c in body["Companies"]] == [
        (company, "Claes BV", "BE0765432198"),
        (second, "Claes Services", "BE0111222333"),
    ]
    assert [role["PartyID"] for role in body["UserCompanyRoles"]] == [company, second]
    assert all(role["UserRoleTypes"] for role in body["UserCompanyRoles"])


# == parties, products, OData ===============================================================


def test_250_parties_come_in_pages_of_120_via_next_page_link(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int
) -> None:
    for number in range(250):
        fake.add_party(company, Name=f"Klant {number:03d}", Nr=str(number))

    seen: list[int] = []
    sizes: list[int] = []
    url: str | None = f"{API}/v1/parties"
    while url:
        page = http.get(url, headers=headers).json()
        assert page["Count"] == 250
        sizes.append(len(page["Items"]))
        seen += [item["PartyID"] for item in page["Items"]]
        url = page["NextPageLink"]
        if url:
            assert url.startswith(f"{API}/v1/parties?")
            assert "$skip=" in url

    assert sizes == [120, 120, 10]
    assert len(set(seen)) == 250


def test_next_page_link_keeps_filter_and_top(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int
) -> None:
    for number in range(5):
        fake.add_party(company, Name=f"Klant {number}")
    fake.add_party(company, Name="Leverancier", PartyType="Supplier")
    params = {"$filter": "PartyType eq 'Customer'", "$top": "2"}

    first = http.get(f"{API}/v1/parties", headers=headers, params=params).json()
    second = http.get(first["NextPageLink"], headers=headers).json()
    third = http.get(second["NextPageLink"], headers=headers).json()

    assert first["Count"] == 5
    assert [len(p["Items"]) for p in (first, second, third)] == [2, 2, 1]
    assert third["NextPageLink"] is None
    assert all(item["PartyType"] == "Customer" for item in third["Items"])


def test_filter_last_modified_ge_returns_only_newer_parties(
    fake: BillitFake, http: httpx.Client, company: int, clock: Clock
) -> None:
    old = fake.add_party(company, Name="Oud BV")
    clock.advance(86_400)  # 2026-05-02T10:00:00
    new = fake.add_party(company, Name="Nieuw BV")
    clock.advance(3600)
    updated = fake.update_party(company, old["PartyID"], Email="info@oud.example")
    token = connect(fake, http)["access_token"]  # a day later: the first token has expired
    headers = {"Authorization": f"Bearer {token}", "PartyID": str(company)}

    response = http.get(
        f"{API}/v1/parties",
        headers=headers,
        params={
            "$filter": "PartyType eq 'Customer' and LastModified ge DateTime'2026-05-02'",
            "$orderby": "LastModified asc",
        },
    )

    body = response.json()
    assert old["LastModified"] == "2026-05-01T10:00:00"
    assert updated["LastModified"] == "2026-05-02T11:00:00"
    assert updated["Created"] == old["Created"]
    assert [item["Name"] for item in body["Items"]] == ["Nieuw BV", "Oud BV"]
    assert body["Count"] == 2
    with_time = http.get(
        f"{API}/v1/parties",
        headers=headers,
        params={"$filter": "LastModified ge DateTime'2026-05-02T10:30:00'"},
    ).json()
    assert [item["PartyID"] for item in with_time["Items"]] == [old["PartyID"]]
    assert new["PartyID"] != old["PartyID"]


def test_filter_strings_escape_quotes_and_compare_numbers(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int
) -> None:
    obrien = fake.add_party(company, Name="O'Brien BVBA")
    fake.add_party(company, Name="Janssens")

    by_name = http.get(
        f"{API}/v1/parties", headers=headers, params={"$filter": "Name eq 'O''Brien BVBA'"}
    ).json()
    by_id = http.get(
        f"{API}/v1/parties",
        headers=headers,
        params={"$filter": f"(PartyID ge {obrien['PartyID']}) and PartyID le {obrien['PartyID']}"},
    ).json()

    assert [item["PartyID"] for item in by_name["Items"]] == [obrien["PartyID"]]
    assert [item["PartyID"] for item in by_id["Items"]] == [obrien["PartyID"]]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"$filter": "Colour eq 'red'"}, "Could not find a property named 'Colour'"),
        ({"$filter": "Name eq"}, "end of $filter"),
        ({"$filter": "Name eq 'unterminated"}, "Syntax error"),
        ({"$filter": "Name ne 'x'"}, "operator 'ne' is not supported"),
        ({"$filter": "LastModified ge '2026-05-01'"}, "incompatible types"),
        ({"$filter": "LastModified ge DateTime'yesterday'"}, "DateTime"),
        ({"$orderby": "Colour desc"}, "Could not find a property named 'Colour'"),
        ({"$top": "121"}, "limit of '120'"),
        ({"$skip": "-1"}, "$skip"),
    ],
)
def test_bad_odata_is_a_generic_error(
    http: httpx.Client, headers: dict[str, str], params: dict[str, str], fragment: str
) -> None:
    response = http.get(f"{API}/v1/parties", headers=headers, params=params)

    assert response.status_code == 400
    assert error_code(response) == "GenericError"
    assert fragment in response.json()["errors"][0]["Description"]


def test_products_carry_their_group_and_filter_on_it(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int
) -> None:
    fake.add_product(
        company, Reference="HT-001", Description="Arbeid", AmountExcl=55.0, VAT=21,
        GroupID=7, GroupName="Arbeid",
    )  # fmt: skip
    pipe = fake.add_product(
        company, Reference="MAT-00001", Description="Koppelstuk 15 mm", AmountExcl=4.55,
        VAT=21, GroupID=8, GroupName="Materiaal",
    )  # fmt: skip

    listing = http.get(
        f"{API}/v1/products", headers=headers, params={"$filter": "GroupName eq 'Materiaal'"}
    )
    single = http.get(f"{API}/v1/products/{pipe['ProductID']}", headers=headers)

    assert [item["Reference"] for item in listing.json()["Items"]] == ["MAT-00001"]
    assert single.json()["GroupID"] == 8
    assert '"AmountExcl":4.55' in single.text
    assert http.get(f"{API}/v1/productgroups", headers=headers).status_code == 404


def test_single_party_unknown_or_foreign(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int
) -> None:
    fake.add_user("other@example.test")
    other = fake.add_company("other@example.test", "Other BV", "BE0999999999")
    foreign = fake.add_party(other, Name="Niet van jou")

    assert http.get(f"{API}/v1/parties/{customer}", headers=headers).json()["Name"] == "Peeters BV"
    assert http.get(f"{API}/v1/parties/1", headers=headers).status_code == 404
    assert http.get(f"{API}/v1/parties/{foreign['PartyID']}", headers=headers).status_code == 401


def test_seeding_refuses_unknown_fields(fake: BillitFake, company: int) -> None:
    with pytest.raises(ValueError, match="Colour"):
        fake.add_party(company, Name="x", Colour="red")
    with pytest.raises(ValueError, match="Price"):
        fake.add_product(company, Price=1)


# == orders =================================================================================


def test_create_order_answers_the_bare_order_id(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int, company: int
) -> None:
    response = create_order(http, headers, order_json(customer), key="createorder1")

    assert response.status_code == 200
    assert re.fullmatch(rb"\d+", response.content)
    order_id = int(response.text)
    stored = fake.order(company, order_id)
    assert stored["OrderID"] == order_id
    assert stored["ExternalProviderID"] == "os-7-1919"
    assert stored["OrderTitle"] == "Werkbon WB-1042"
    assert stored["CounterParty"]["PartyID"] == customer
    assert stored["IsSent"] is False
    assert stored["Paid"] is False
    assert stored["OrderStatus"] == "ToSend"
    assert stored["OrderDate"] == "2026-05-14T00:00:00"
    assert stored["Created"] == stored["LastModified"] == "2026-05-01T10:00:00"


def test_totals_are_exact_decimals(
    http: httpx.Client, headers: dict[str, str], customer: int
) -> None:
    order_id = create_order(http, headers, order_json(customer)).text

    response = http.get(f"{API}/v1/orders/{order_id}", headers=headers)

    order = json.loads(response.content, parse_float=Decimal)
    first, second = order["OrderLines"]
    assert (first["TotalExcl"], first["TotalVAT"], first["TotalIncl"]) == (
        Decimal("137.50"),
        Decimal("28.88"),
        Decimal("166.38"),
    )
    assert (second["TotalExcl"], second["TotalVAT"], second["TotalIncl"]) == (
        Decimal("13.65"),
        Decimal("2.87"),
        Decimal("16.52"),
    )
    # VAT per rate on the summed nets (billit-api.md §8): 151.15 x 21 % = 31.7415 -> 31.74,
    # where the lines' own VAT (28.88 + 2.87) would add up to 31.75.
    assert (order["TotalExcl"], order["TotalVAT"], order["TotalIncl"]) == (
        Decimal("151.15"),
        Decimal("31.74"),
        Decimal("182.89"),
    )
    assert [(g["VATPercentage"], g["TotalExcl"], g["TotalVAT"]) for g in order["VatGroups"]] == [
        (Decimal("21.00"), Decimal("151.15"), Decimal("31.74"))
    ]
    assert '"TotalIncl":182.89' in response.text  # digits as Billit writes them, no float noise


def test_no_float_artefacts_in_totals(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    fake.set_decimals(company, 3)
    body = order_json(customer, line("3", "0.1", vat=6), line("1", "0.015", vat=0))
    order_id = create_order(http, headers, body).text

    text = http.get(f"{API}/v1/orders/{order_id}", headers=headers).text

    assert '"TotalExcl":0.32' in text  # 0.30 + 0.02 (0.015 rounds half up)
    assert '"TotalVAT":0.02' in text  # 0.30 * 6 % = 0.018 -> 0.02
    assert "0.30000000000000004" not in text


@pytest.mark.parametrize(
    "case",
    [
        ((), "GenericError", "OrderLines are required"),
        ((line("1", "10", vat=20),), "InvalidVAtPercentageForTaxCountry_0_", "20"),
        ((line("1", "10", description="x" * 513),), "GenericError", "longer than 512"),
        (('{"UnitPriceExcl":1,"Description":"a","VATPercentage":21}',), "GenericError", "Quantity"),
        (('{"Quantity":1,"Description":"a","VATPercentage":21}',), "GenericError", "UnitPriceExcl"),
        (('{"Quantity":1,"UnitPriceExcl":1,"VATPercentage":21}',), "GenericError", "Description"),
        ((line("1", "10"), line("1", "1", vat=7)), "InvalidVAtPercentageForTaxCountry_0_", "7"),
    ],
)
def test_invalid_orders_are_refused_and_nothing_is_stored(
    fake: BillitFake,
    http: httpx.Client,
    headers: dict[str, str],
    case: tuple[tuple[str, ...], str, str],
) -> None:
    body_lines, code, fragment = case
    company = int(headers["PartyID"])
    body = (
        '{"Customer":{"Name":"Nieuwe Klant","VATNumber":"BE0555444333"},'
        f'"OrderLines":[{",".join(body_lines)}]}}'
    ).encode()

    response = create_order(http, headers, body, key="k1")

    assert response.status_code == 400
    assert error_code(response) == code
    assert fragment in response.json()["errors"][0]["Description"]
    assert fake.orders(company) == []
    assert fake.parties(company) == []  # the customer was not created either
    assert fake.outbox == []


def test_customer_is_matched_on_vat_then_email_then_nr_or_created(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    numbered = fake.add_party(company, Name="Nummer 42", Nr="42")

    def customer_of(customer_json: str) -> int:
        body = f'{{"Customer":{customer_json},"OrderLines":[{line("1", "1")}]}}'.encode()
        order_id = int(create_order(http, headers, body).text)
        return int(fake.order(company, order_id)["CounterParty"]["PartyID"])

    assert customer_of('{"Name":"Peeters","VATNumber":"BE 0123.456.789"}') == customer
    assert customer_of('{"Name":"P","Email":"BOEKHOUDING@peeters.example"}') == customer
    assert customer_of('{"Name":"N","Nr":"42"}') == numbered["PartyID"]
    created = customer_of(
        '{"Name":"Nieuwe Klant","VATNumber":"BE0555444333","PartyType":"Customer",'
        '"Addresses":[{"AddressType":"InvoiceAddress","Street":"Markt","City":"Gent"}]}'
    )
    new_party = http.get(f"{API}/v1/parties/{created}", headers=headers).json()
    assert new_party["PartyType"] == "Customer"
    assert (new_party["Name"], new_party["City"]) == ("Nieuwe Klant", "Gent")
    assert http.get(f"{API}/v1/parties", headers=headers).json()["Count"] == 3


@pytest.mark.parametrize("body", ["envelope", "empty"])
def test_unknown_customer_party_id_is_a_401_without_a_token_code(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, body: str
) -> None:
    # billit-api.md §7 [doc: 401]: the wrong Customer ID in the object → 401; body unknown
    fake.unknown_customer_body = body  # type: ignore[assignment]
    response = create_order(http, headers, order_json(999))

    assert response.status_code == 401
    token_codes = {"InvalidAccessToken", "AccessTokenExpired", "AccessTokenRevoked"}
    codes = {e["Code"] for e in response.json()["errors"]} if response.content else set()
    assert not codes & token_codes
    assert (body == "empty") == (response.content == b"")
    assert fake.orders(company) == []


def test_resending_within_a_minute_is_the_already_sent_code(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    # billit-api.md §7 send codes: This_0_WasAlreadySentLessThen_1_MinutesAgo…
    order_id = int(create_order(http, headers, order_json(customer)).text)
    send = {"TransportType": "Peppol", "OrderIDs": [order_id]}
    url = f"{API}/v1/orders/commands/send"
    assert http.post(url, headers=headers, json=send).status_code == 200

    again = http.post(url, headers=headers, json=send)

    assert again.status_code == 400
    assert again.json()["errors"][0]["Code"] == (
        "This_0_WasAlreadySentLessThen_1_MinutesAgoTo_2_OrIsStillInTheQueue"
    )
    assert len(fake.order(company, order_id)["Messages"]) == 1


def test_idempotency_replay_is_409_and_creates_nothing(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    first = create_order(http, headers, order_json(customer), key="createorder7")

    replay = create_order(http, headers, order_json(customer), key="createorder7")

    assert first.status_code == 200
    assert replay.status_code == 409
    assert replay.json() == {"errors": [{"Code": "Idempotent token already exists"}]}
    assert first.text not in replay.text
    assert len(fake.orders(company)) == 1


@pytest.mark.parametrize("honoured", ["Idempotency-Key", "Idempotent-Key"])
def test_only_the_honoured_idempotency_header_counts(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int, honoured: str
) -> None:
    # billit-api.md §6: two names are documented, which one Billit reads is unknown
    fake.idempotency_header = honoured
    ignored = next(name for name in ("Idempotency-Key", "Idempotent-Key") if name != honoured)
    sent = {**headers, "Content-Type": "application/json"}
    first = http.post(
        f"{API}/v1/orders", headers={**sent, honoured: "abc123"}, content=order_json(customer)
    )
    replay = http.post(
        f"{API}/v1/orders", headers={**sent, honoured: "abc123"}, content=order_json(customer)
    )
    unread = http.post(
        f"{API}/v1/orders", headers={**sent, ignored: "abc123"}, content=order_json(customer)
    )

    assert first.status_code == 200
    assert replay.status_code == 409
    assert unread.status_code == 200  # the other name is ignored: a second invoice
    assert len(fake.orders(int(headers["PartyID"]))) == 2


def test_failed_create_does_not_store_the_key(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    bad = order_json(customer, line("1", "10", vat=19))
    assert create_order(http, headers, bad, key="createorder9").status_code == 400

    retry = create_order(http, headers, order_json(customer), key="createorder9")

    assert retry.status_code == 200
    assert len(fake.orders(company)) == 1


def test_invalid_idempotency_key_is_refused(
    http: httpx.Client, headers: dict[str, str], customer: int
) -> None:
    response = create_order(http, headers, order_json(customer), key="has spaces")

    assert response.status_code == 400


def test_order_numbers_run_consecutively_per_company(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    for number in range(3):
        create_order(http, headers, order_json(customer, external_id=f"os-{number}"))

    assert [order["OrderNumber"] for order in fake.orders(company)] == [
        "2026-0001",
        "2026-0002",
        "2026-0003",
    ]


def test_find_an_order_by_external_provider_id(
    http: httpx.Client, headers: dict[str, str], customer: int
) -> None:
    create_order(http, headers, order_json(customer, external_id="os-7-1"))
    wanted = int(create_order(http, headers, order_json(customer, external_id="os-7-2")).text)

    response = http.get(
        f"{API}/v1/orders", headers=headers, params={"$filter": "ExternalProviderID eq 'os-7-2'"}
    )
    by_customer = http.get(
        f"{API}/v1/orders",
        headers=headers,
        params={"$filter": f"CounterParty/PartyID eq {customer} and IsSent eq false"},
    )
    not_filterable = http.get(
        f"{API}/v1/orders", headers=headers, params={"$filter": "OrderTitle eq 'x'"}
    )

    assert [item["OrderID"] for item in response.json()["Items"]] == [wanted]
    assert "OrderLines" not in response.json()["Items"][0]  # list rows are summaries
    assert by_customer.json()["Count"] == 2
    assert not_filterable.status_code == 400
    assert "OrderTitle" in not_filterable.json()["errors"][0]["Description"]


def test_orders_of_another_company_are_out_of_reach(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int
) -> None:
    fake.add_user("other@example.test")
    other = fake.add_company("other@example.test", "Other BV", "BE0999999999")
    stranger = fake.add_party(other, Name="Klant van een ander")
    other_tokens = exchange(
        http, code_from(fake.authorize("other@example.test", REDIRECT, "s"))
    ).json()
    other_headers = {
        "Authorization": f"Bearer {other_tokens['access_token']}",
        "PartyID": str(other),
    }
    foreign_id = create_order(http, other_headers, order_json(stranger["PartyID"])).text

    assert http.get(f"{API}/v1/orders/{foreign_id}", headers=headers).status_code == 401
    assert http.get(f"{API}/v1/orders/12345", headers=headers).status_code == 404
    assert error_code(http.get(f"{API}/v1/orders/12345", headers=headers)) == "NotFound"


# == sending and webhooks ===================================================================


def register(
    http: httpx.Client, headers: dict[str, str], entity: str, update: str, path: str
) -> dict[str, Any]:
    response = http.post(
        f"{API}/v1/webhooks",
        headers=headers,
        json={
            "EntityType": entity,
            "EntityUpdateType": update,
            "WebhookURL": f"https://connector.example/hooks/billit/{path}",
        },
    )
    assert response.status_code == 200
    hook: dict[str, Any] = response.json()
    return hook


def test_send_marks_the_order_sent_and_queues_signed_webhooks(world: World) -> None:
    fake, http, headers, customer, clock = (
        world.fake,
        world.http,
        world.headers,
        world.customer,
        world.clock,
    )
    order_hook = register(http, headers, "Order", "U", "order-u")
    message_hook = register(http, headers, "Message", "U", "message-u")
    order_id = int(create_order(http, headers, order_json(customer)).text)
    assert fake.outbox == []  # nobody listens to Order/I
    clock.advance(60)

    response = http.post(
        f"{API}/v1/orders/commands/send",
        headers=headers,
        json={"TransportType": "Peppol", "OrderIDs": [order_id]},
    )

    assert response.status_code == 200
    order = http.get(f"{API}/v1/orders/{order_id}", headers=headers).json()
    assert order["IsSent"] is True
    assert order["OrderStatus"] == "ToPay"
    assert order["LastModified"] == "2026-05-01T10:01:00"
    assert order["CurrentDocumentDeliveryDetails"]["DocumentDeliveryStatus"] == "Pending"
    assert order["Messages"][0]["TransportType"] == "Peppol"
    assert order["Messages"][0]["Destination"] == "9925:BE0123456789"

    by_url = {delivery.url: delivery for delivery in fake.outbox}
    assert set(by_url) == {order_hook["WebhookURL"], message_hook["WebhookURL"]}
    order_event = by_url[order_hook["WebhookURL"]]
    message_event = by_url[message_hook["WebhookURL"]]
    assert json.loads(order_event.body)["UpdatedEntityID"] == order_id
    assert json.loads(order_event.body)["WebhookUpdateTypeTC"] == "U"
    message = json.loads(message_event.body)
    assert message["UpdatedEntityType"] == "Message"
    assert message["EntityDetail"]["OrderMessage"]["OrderID"] == order_id
    assert message["EntityDetail"]["OrderMessage"]["Success"] is True
    assert message["EntityDetail"]["AdditionalMessageInformation"]["EInvoiceFlowState"] == "Sent"
    for delivery, hook in ((order_event, order_hook), (message_event, message_hook)):
        assert delivery.body.startswith(b'{"UpdatedEntityID":')  # compact JSON
        assert b'": ' not in delivery.body
        assert delivery.headers["Billit-Signature"].startswith(f"t={int(clock())},s=")
        assert verify(delivery.headers["Billit-Signature"], delivery.body, hook["Secret"], clock())
        assert not verify(delivery.headers["Billit-Signature"], delivery.body, "wrong", clock())


def test_deliver_webhooks_posts_the_signed_bytes_and_clears_the_queue(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int, clock: Clock
) -> None:
    hook = register(http, headers, "Order", "I", "order-i")
    create_order(http, headers, order_json(customer))
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(receiver)) as hooks_client:
        statuses = fake.deliver_webhooks(hooks_client)

    assert statuses == [204]
    assert fake.outbox == []
    (request,) = received
    assert str(request.url) == hook["WebhookURL"]
    signature = request.headers["Billit-Signature"]
    assert verify(signature, request.content, hook["Secret"], clock())
    assert json.loads(request.content)["WebhookUpdateTypeTC"] == "I"


def test_send_accepts_the_documented_casings_and_refuses_unknown_transport(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    first = int(create_order(http, headers, order_json(customer, external_id="a")).text)
    second = int(create_order(http, headers, order_json(customer, external_id="b")).text)
    url = f"{API}/v1/orders/commands/send"

    unknown = http.post(url, headers=headers, json={"TransportType": "Pigeon", "OrderIDs": [first]})
    docs_casing = http.post(
        url, headers=headers, json={"Transporttype": "Peppol", "OrderIDs": [first]}
    )
    swagger_casing = http.post(
        url, headers=headers, json={"TransportType": "SMTP", "OrderIds": [second]}
    )

    assert unknown.status_code == 400
    assert error_code(unknown) == "GenericError"
    assert docs_casing.status_code == 200
    assert swagger_casing.status_code == 200
    assert [order["IsSent"] for order in fake.orders(company)] == [True, True]
    assert fake.order(company, second)["Messages"][0]["TransportType"] == "SMTP"


def test_send_with_an_unknown_order_sends_nothing(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    order_id = int(create_order(http, headers, order_json(customer)).text)

    response = http.post(
        f"{API}/v1/orders/commands/send",
        headers=headers,
        json={"TransportType": "Peppol", "OrderIDs": [order_id, 1]},
    )

    assert response.status_code == 404
    assert fake.order(company, order_id)["IsSent"] is False


def test_peppol_directory_refuses_unregistered_customers_when_strict(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    fake.set_peppol_registered("BE0999999999")
    order_id = int(create_order(http, headers, order_json(customer)).text)
    body = {"TransportType": "Peppol", "OrderIDs": [order_id]}
    url = f"{API}/v1/orders/commands/send"

    strict = http.post(url, headers={**headers, "StrictTransportType": "true"}, json=body)
    fallback = http.post(url, headers=headers, json=body)
    lookup = http.get(f"{API}/v1/peppol/participantInformation/BE0123456789")

    assert strict.status_code == 400
    assert error_code(strict) == "TheCustomerDoesNotSupportPeppolForType_0"
    assert fallback.status_code == 200
    assert fake.order(company, order_id)["Messages"][0]["TransportType"] == "SMTP"
    assert lookup.json()["Registered"] is False


@pytest.mark.parametrize(
    ("shape", "update_type"), [(s, u) for s in ("current", "flat") for u in ("I", "U")]
)
def test_a_refusal_is_a_new_incoming_message_in_the_shape_chosen(  # noqa: PLR0917
    fake: BillitFake,
    http: httpx.Client,
    headers: dict[str, str],
    customer: int,
    shape: str,
    update_type: str,
) -> None:
    # billit-api.md §5 lifecycle step 3/4: receiver feedback = a NEW Message, Incoming, with
    # the IMR in Description; current (OrderMessage + AdditionalMessageInformation) or flat
    # (EntityDetail + MessageAdditionalInformation); ⚠ "I or U"
    company = int(headers["PartyID"])
    fake.message_detail = shape  # type: ignore[assignment]
    fake.feedback_update_type = update_type  # type: ignore[assignment]
    register(http, headers, "Message", update_type, "message-feedback")
    register(http, headers, "Order", "U", "order-u")
    order_id = int(create_order(http, headers, order_json(customer)).text)
    send = {"TransportType": "Peppol", "OrderIDs": [order_id]}
    http.post(f"{API}/v1/orders/commands/send", headers=headers, json=send)
    sent_message_ids = {d.payload["UpdatedEntityID"] for d in fake.outbox}
    fake.outbox.clear()

    fake.set_delivery_state(company, order_id, "Refused", "No valid VAT")
    (refused,) = [json.loads(d.body) for d in fake.outbox]
    fake.mark_paid(company, order_id, "2026-05-20")
    paid_event = json.loads(fake.outbox[-1].body)

    assert (refused["UpdatedEntityType"], refused["WebhookUpdateTypeTC"]) == (
        "Message",
        update_type,
    )
    assert refused["UpdatedEntityID"] not in sent_message_ids | {order_id}  # a NEW message
    detail = refused["EntityDetail"]
    message = detail["OrderMessage"] if shape == "current" else detail
    information = detail[
        "AdditionalMessageInformation" if shape == "current" else "MessageAdditionalInformation"
    ]
    assert message["OrderID"] == order_id
    assert message["MessageDirection"] == "Incoming"
    assert message["Description"] == "RE: No valid VAT"
    assert information == {
        "EInvoiceFlowState": "Refused",
        "AdditionalFlowStateInformation": "No valid VAT",
    }
    assert (paid_event["UpdatedEntityType"], paid_event["WebhookUpdateTypeTC"]) == ("Order", "U")
    order = fake.order(company, order_id)
    assert order["Paid"] is True
    assert order["PaidDate"] == "2026-05-20T00:00:00"
    assert order["OrderStatus"] == "Paid"
    # [doc: status]: DocumentDeliveryStatus Delivered | Pending | Error, refusal fields
    delivery = order["CurrentDocumentDeliveryDetails"]
    assert delivery["DocumentDeliveryStatus"] == "Error"
    assert delivery["DocumentRefusedInfo"] == "No valid VAT"
    assert delivery["DocumentRefusedReasonTC"] == "InvalidInvoice"
    assert order["Messages"][-1]["MessageDirection"] == "Incoming"
    with pytest.raises(ValueError, match="state"):
        fake.set_delivery_state(company, order_id, "Lost")


def test_an_empty_entity_detail_and_an_imr_without_flow_state(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], customer: int
) -> None:
    # billit-api.md §5 ⚠ EntityDetail may be {}; the flow state may be missing (IMR decides)
    company = int(headers["PartyID"])
    register(http, headers, "Message", "I", "message-i")
    order_id = int(create_order(http, headers, order_json(customer)).text)
    fake.feedback_flow_state = False
    fake.set_delivery_state(company, order_id, "Delivered")
    receipt = json.loads(fake.outbox[-1].body)["EntityDetail"]
    assert receipt["OrderMessage"]["Description"].startswith("AB: ")
    assert receipt["AdditionalMessageInformation"] == {}

    fake.outbox.clear()
    fake.message_detail = "empty"
    fake.set_delivery_state(company, order_id, "Refused", "Wrong buyer")
    assert [json.loads(d.body)["EntityDetail"] for d in fake.outbox] == [{}]


def test_delivery_state_on_an_unsent_order_sends_it_first(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    register(http, headers, "Message", "U", "message-u")
    register(http, headers, "Message", "I", "message-i")
    order_id = int(create_order(http, headers, order_json(customer)).text)

    fake.set_delivery_state(company, order_id, "Delivered")

    events = [(d.update_type, json.loads(d.body)["EntityDetail"]) for d in fake.outbox]
    assert [(kind, e["OrderMessage"]["MessageDirection"]) for kind, e in events] == [
        ("I", "Outgoing"),
        ("U", "Outgoing"),
        ("I", "Incoming"),
    ]
    states = [e["AdditionalMessageInformation"].get("EInvoiceFlowState") for _, e in events]
    assert states == [None, "Sent", "Delivered"]
    assert fake.order(company, order_id)["CurrentDocumentDeliveryDetails"]["IsDocumentDelivered"]


def test_webhook_registration_rules(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int
) -> None:
    url = f"{API}/v1/webhooks"
    plain_http = http.post(
        url,
        headers=headers,
        json={"EntityType": "Order", "EntityUpdateType": "U", "WebhookURL": "http://x.example/h"},
    )
    bad_type = http.post(
        url,
        headers=headers,
        json={"EntityType": "Party", "EntityUpdateType": "U", "WebhookURL": "https://x.example"},
    )
    hooks = [register(http, headers, "Order", kind, f"h{kind}") for kind in ("I", "U", "D")]
    hooks.append(register(http, headers, "Message", "U", "m"))
    fifth = http.post(
        url,
        headers=headers,
        json={"EntityType": "Message", "EntityUpdateType": "I", "WebhookURL": "https://x.example"},
    )

    assert plain_http.status_code == 400
    assert bad_type.status_code == 400
    assert fifth.status_code == 400
    assert all(len(hook["Secret"]) >= 32 for hook in hooks)
    listed = http.get(url, headers=headers).json()
    assert [hook["WebhookID"] for hook in listed] == [hook["WebhookID"] for hook in hooks]
    assert all("Secret" not in hook for hook in listed)
    assert [hook["Secret"] for hook in fake.webhooks(company)] == [h["Secret"] for h in hooks]

    deleted = http.delete(f"{url}/{hooks[0]['WebhookID']}", headers=headers)

    assert deleted.status_code == 200
    assert len(http.get(url, headers=headers).json()) == 3
    assert http.delete(f"{url}/{hooks[0]['WebhookID']}", headers=headers).status_code == 404


def test_patch_only_the_patchable_properties(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    hook = register(http, headers, "Order", "U", "order-u")
    order_id = int(create_order(http, headers, order_json(customer)).text)
    url = f"{API}/v1/orders/{order_id}"

    refused = http.patch(url, headers=headers, json={"TotalIncl": 1})
    wrong_type = http.patch(url, headers=headers, json={"Paid": "yes"})
    accepted = http.patch(
        url, headers=headers, json={"Paid": True, "PaidDate": "2026-05-03", "InternalInfo": "ok"}
    )

    assert refused.status_code == 400
    assert "TotalIncl" in refused.json()["errors"][0]["Description"]
    assert wrong_type.status_code == 400
    assert accepted.status_code == 200
    order = fake.order(company, order_id)
    assert (order["Paid"], order["PaidDate"], order["InternalInfo"]) == (
        True,
        "2026-05-03T00:00:00",
        "ok",
    )
    assert order["TotalIncl"] == Decimal("182.89")
    assert [delivery.url for delivery in fake.outbox] == [hook["WebhookURL"]]


def test_delete_only_before_sending_and_without_webhook(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    register(http, headers, "Order", "D", "order-d")
    draft = int(create_order(http, headers, order_json(customer, external_id="a")).text)
    sent = int(create_order(http, headers, order_json(customer, external_id="b")).text)
    http.post(
        f"{API}/v1/orders/commands/send",
        headers=headers,
        json={"TransportType": "Peppol", "OrderIDs": [sent]},
    )

    deleted = http.delete(f"{API}/v1/orders/{draft}", headers=headers)
    refused = http.delete(f"{API}/v1/orders/{sent}", headers=headers)

    assert deleted.status_code == 200
    assert deleted.json() is True
    assert refused.status_code == 400
    assert [order["OrderID"] for order in fake.orders(company)] == [sent]
    assert fake.outbox == []


def test_unknown_route_and_wrong_method(http: httpx.Client, headers: dict[str, str]) -> None:
    unknown = http.get(f"{API}/v1/invoices", headers=headers)
    wrong_method = http.put(f"{API}/v1/orders", headers=headers)

    assert unknown.status_code == 404
    assert error_code(unknown) == "NotFound"
    assert wrong_method.status_code == 405
    assert "errors" in wrong_method.json()


# == fault knobs ============================================================================


def test_rate_limit_answers_429_with_retry_after_and_does_nothing(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    fake.faults.add(FaultKind.RATE_LIMIT, method="POST", path="/v1/orders$", retry_after="7")

    limited = create_order(http, headers, order_json(customer), key="k429")
    retried = create_order(http, headers, order_json(customer), key="k429")

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert retried.status_code == 200
    assert len(fake.orders(company)) == 1
    assert [call.status for call in fake.calls[-2:]] == [None, 200]


def test_server_error_before_processing_creates_nothing(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    fake.faults.add(FaultKind.SERVER_ERROR, method="POST")

    response = create_order(http, headers, order_json(customer), key="k500")

    assert response.status_code == 500
    assert fake.orders(company) == []


def test_server_error_after_processing_then_replay_is_409(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    fake.faults.add(FaultKind.SERVER_ERROR_AFTER, method="POST", path="/v1/orders$")

    failed = create_order(http, headers, order_json(customer), key="k500after")
    retried = create_order(http, headers, order_json(customer), key="k500after")
    found = http.get(
        f"{API}/v1/orders", headers=headers, params={"$filter": "ExternalProviderID eq 'os-7-1919'"}
    ).json()

    assert failed.status_code == 500
    assert retried.status_code == 409
    assert found["Count"] == 1
    assert len(fake.orders(company)) == 1


@pytest.mark.parametrize(
    ("kind", "error", "processed"),
    [
        (FaultKind.CONNECT_ERROR, httpx.ConnectError, False),
        (FaultKind.TIMEOUT_BEFORE_SEND, httpx.ConnectTimeout, False),
        (FaultKind.TIMEOUT_AFTER_SEND, httpx.ReadTimeout, True),
    ],
)
def test_network_faults_raise_and_process_or_not(
    world: World, kind: FaultKind, error: type[Exception], processed: bool
) -> None:
    world.fake.faults.add(kind, method="POST", path="/v1/orders$")

    with pytest.raises(error):
        create_order(world.http, world.headers, order_json(world.customer), key="knet")

    assert len(world.fake.orders(world.company)) == (1 if processed else 0)
    assert (world.fake.calls[-1].status is not None) is processed


def test_malformed_body_after_processing(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    fake.add_party(company, Name="Extra")
    fake.faults.add(FaultKind.MALFORMED_BODY, method="GET", path="/v1/parties$", times=1)

    broken = http.get(f"{API}/v1/parties", headers=headers)
    healthy = http.get(f"{API}/v1/parties", headers=headers)

    assert broken.status_code == 200
    assert broken.content == MALFORMED
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert healthy.json()["Count"] == 2


def test_latency_goes_through_the_plans_sleep(clock: Clock) -> None:
    slept: list[float] = []
    fake = BillitFake(clock=clock, faults=FaultPlan(latency=0.25, sleep=slept.append))

    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as http:
        http.get(f"{API}/v1/nothing")
        http.get(f"{API}/v1/nothing")

    assert slept == [0.25, 0.25]
    assert [(call.method, call.path) for call in fake.calls] == [("GET", "/v1/nothing")] * 2


def test_calls_are_recorded_without_credentials(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], token: str, customer: int
) -> None:
    create_order(http, headers, order_json(customer), key="rec1")
    http.get(f"{API}/v1/orders", headers=headers, params={"$top": "5"})

    create_call, list_call = fake.calls[-2:]
    assert (create_call.method, create_call.path, create_call.idempotency_key) == (
        "POST",
        "/v1/orders",
        "rec1",
    )
    assert list_call.query == {"$top": "5"}
    assert list_call.party_id == headers["PartyID"]
    assert token not in repr(fake.calls)


# == other ways in: respx and real HTTP =====================================================


def test_works_behind_respx(fake: BillitFake, company: int, customer: int) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.route(host="api.billit.test").mock(side_effect=fake.handle)
        with httpx.Client(base_url=API) as client:
            tokens = exchange(client, code_from(fake.authorize(USER, REDIRECT, "r"))).json()
            bearer = {"Authorization": f"Bearer {tokens['access_token']}", "PartyID": str(company)}
            order_id = create_order(client, bearer, order_json(customer)).text
            fetched = client.get(f"/v1/orders/{order_id}", headers=bearer)

    assert fetched.json()["OrderID"] == int(order_id)


def test_browser_style_login_over_real_http(fake: BillitFake, company: int) -> None:
    for number in range(3):
        fake.add_party(company, Name=f"Klant {number}")
    with serve(fake.handle) as server, httpx.Client(timeout=5) as browser:
        page = browser.get(
            f"{server.url}/Account/Logon",
            params={"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "state": "conn-9"},
        )
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None
        form = {
            name: html.unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text
            )
        }
        form |= {"email": USER, "password": "s3cret", "action": "allow"}
        consent = browser.post(urljoin(f"{server.url}/", action.group(1)), data=form)
        assert consent.status_code == 302
        query = parse_qs(urlsplit(consent.headers["Location"]).query)
        assert query["state"] == ["conn-9"]

        token_response = browser.post(
            f"{server.url}/OAuth2/token",
            json={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": REDIRECT,
            },
        )
        bearer = {"Authorization": f"Bearer {token_response.json()['access_token']}"}
        account = browser.get(f"{server.url}/v1/account/accountInformation", headers=bearer)
        first_page = browser.get(
            f"{server.url}/v1/parties",
            headers={**bearer, "PartyID": str(company)},
            params={"$top": "2"},
        ).json()

    assert form["redirect_uri"] == REDIRECT
    assert account.json()["Companies"][0]["PartyID"] == company
    assert first_page["NextPageLink"].startswith(f"{server.url}/v1/parties?")


def test_order_lines_may_name_known_products_only(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    product = fake.add_product(company, Reference="HT-001", Description="Arbeid", VAT=21)
    known = '{"Quantity":1,"UnitPriceExcl":55,"Description":"Arbeid","VATPercentage":21,'
    good = order_json(customer, known + f'"ProductID":{product["ProductID"]}}}')
    bad = order_json(customer, known + '"ProductID":1}', external_id="other")

    assert create_order(http, headers, good).status_code == 200
    assert create_order(http, headers, bad).status_code == 400
    assert len(fake.orders(company)) == 1


def test_login_email_is_case_insensitive(clock: Clock) -> None:
    fake = BillitFake(clock=clock)
    fake.add_user("An.Claes@Example.test", "pw")
    company = fake.add_company("an.claes@example.test", "Claes BV", "BE0765432198")
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as http:
        form = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "email": "AN.CLAES@example.test",
            "password": "pw",
            "action": "allow",
        }
        location = http.post(f"{MY}/Account/Logon", data=form).headers["Location"]
        assert "state=" not in location  # no state asked, none given back
        token = exchange(http, code_from(location)).json()["access_token"]
        account = http.get(
            f"{API}/v1/account/accountInformation", headers={"Authorization": f"Bearer {token}"}
        ).json()

    assert account["Email"] == "An.Claes@Example.test"
    assert (account["FirstName"], account["LastName"]) == ("An", "Claes")
    assert account["Companies"][0]["PartyID"] == company
