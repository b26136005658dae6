"""NextPageLink is followed until null, only on the API's own origin, a bounded number of times."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from billit_sync.billit import (
    BillitClient,
    BillitEndpoints,
    BillitHttp,
    BillitPaginationError,
    StaticCredentials,
)
from billit_sync.billit.pagination import iter_rows
from tests.unit.billit.conftest import API_URL, LOGIN_URL, Harness

PARTIES = "/v1/parties"


def test_250_parties_stream_over_three_pages(harness: Harness, client: BillitClient) -> None:
    for number in range(250):
        harness.fake.add_party(harness.company_id, Name=f"Klant {number}", Nr=str(number))
    parties = client.parties.iter_parties()
    first = next(parties)  # lazily: one page fetched so far
    assert len(harness.calls("GET", PARTIES)) == 1
    rest = list(parties)
    ids = {first.party_id, *(party.party_id for party in rest)}
    assert len(ids) == 250
    calls = harness.calls("GET", PARTIES)
    assert len(calls) == 3
    assert [c.query.get("$skip") for c in calls] == [None, "120", "240"]
    # Every page kept the filter and the company header.
    assert all(c.query["$filter"] == "PartyType eq 'Customer'" for c in calls)
    assert all(c.party_id == str(harness.company_id) for c in calls)


def test_max_pages_bounds_the_walk(harness: Harness, client: BillitClient) -> None:
    for number in range(250):
        harness.fake.add_party(harness.company_id, Name=f"Klant {number}")
    with pytest.raises(BillitPaginationError, match="more than 2 pages"):
        list(client.parties.iter_parties(max_pages=2))
    assert len(harness.calls("GET", PARTIES)) == 2


Page = dict[str, Any] | list[Any]


@pytest.fixture
def scripted() -> Iterator[Callable[..., tuple[BillitHttp, respx.MockRouter]]]:
    """A BillitHttp against scripted pages (the fake never links elsewhere)."""
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:

        def make(*pages: Page) -> tuple[BillitHttp, respx.MockRouter]:
            responses = [httpx.Response(200, json=page) for page in pages]
            router.route(host="api.sandbox.billit.be").mock(side_effect=responses)
            endpoints = BillitEndpoints(api_url=API_URL, login_url=LOGIN_URL)
            return BillitHttp(client, endpoints, StaticCredentials("tok", 7)), router

        yield make


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/v1/parties?$skip=1",
        "http://api.sandbox.billit.be/v1/parties?$skip=1",
        "https://api.sandbox.billit.be:8443/v1/parties?$skip=1",
        "https://api.sandbox.billit.be.evil.example/v1/parties?$skip=1",
        "//evil.example/v1/parties?$skip=1",
    ],
)
def test_a_next_page_link_on_another_origin_is_reissued_on_the_configured_api(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]], link: str
) -> None:
    # billit-api.md §4: take path + query from the link, re-issue against the configured base
    http, router = scripted(
        {"Items": [{"a": 1}], "NextPageLink": link}, {"Items": [{"a": 2}], "NextPageLink": None}
    )
    evil = router.route(host__regex=r"^(?!api\.sandbox\.billit\.be$)").mock(
        return_value=httpx.Response(500)
    )

    assert list(iter_rows(http, PARTIES)) == [{"a": 1}, {"a": 2}]

    assert not evil.called
    second = router.calls[1].request.url
    assert (second.scheme, second.host, second.port) == ("https", "api.sandbox.billit.be", None)
    assert second.params["$skip"] == "1"


@pytest.mark.parametrize(
    "link",
    ["http://billit-internal:8080/api/v1/parties?$skip=1", "/v1/customers?page=2", "::bad::"],
)
def test_a_link_that_does_not_name_the_list_falls_back_to_skip_paging(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]], link: str
) -> None:
    # billit-api.md §4: if unusable, $skip = previous $skip + rows received, same $filter
    http, router = scripted(
        {"Items": [{"PartyID": 1}, {"PartyID": 2}], "NextPageLink": link},
        {"Items": [{"PartyID": 2}, {"PartyID": 3}], "NextPageLink": link},
        {"Items": [], "NextPageLink": link},
    )
    query = {"$filter": "PartyType eq 'Customer'", "$orderby": "LastModified asc"}

    rows = list(iter_rows(http, PARTIES, params=query))

    assert [row["PartyID"] for row in rows] == [1, 2, 3]  # the shifted row only once
    urls = [call.request.url for call in router.calls]
    assert [url.params.get("$skip") for url in urls] == [None, "2", "4"]
    assert all(url.params["$filter"] == "PartyType eq 'Customer'" for url in urls)
    assert all(url.params["$orderby"] == "LastModified asc" for url in urls)
    assert all(url.host == "api.sandbox.billit.be" for url in urls)


@pytest.mark.parametrize("form", ["absolute", "relative", "http", "internal"])
def test_every_next_page_link_form_of_the_fake_reads_all_rows(
    harness: Harness, client: BillitClient, form: str
) -> None:
    harness.fake.next_link_form = form  # type: ignore[assignment]
    for number in range(250):
        harness.fake.add_party(harness.company_id, Name=f"Klant {number}", Nr=str(number))

    parties = list(client.parties.iter_parties())

    assert len({party.party_id for party in parties}) == len(parties) == 250
    calls = harness.calls("GET", PARTIES)
    assert [c.query.get("$skip") for c in calls] == [None, "120", "240"]
    assert all(c.query["$filter"] == "PartyType eq 'Customer'" for c in calls)


def test_relative_and_lowercase_next_links_are_followed(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]],
) -> None:
    http, router = scripted(
        {"Items": [1], "NextpageLink": "/v1/parties?$skip=1"},
        {"items": [2], "nextpagelink": "https://api.sandbox.billit.be/v1/parties?$skip=2"},
        {"Items": [3], "NextPageLink": None},
    )
    assert list(iter_rows(http, PARTIES)) == [1, 2, 3]
    urls = [call.request.url for call in router.calls]
    assert (urls[1].path, urls[1].params["$skip"]) == ("/v1/parties", "1")
    assert all(call.request.headers["PartyID"] == "7" for call in router.calls)


def test_a_repeated_link_stops_the_walk(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]],
) -> None:
    link = "https://api.sandbox.billit.be/v1/parties?$skip=1"
    http, router = scripted(
        {"Items": [1], "NextPageLink": link},
        {"Items": [2], "NextPageLink": link},
    )
    assert list(iter_rows(http, PARTIES)) == [1, 2]
    assert router.calls.call_count == 2


def test_a_link_back_to_the_first_page_stops_the_walk(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]],
) -> None:
    http, router = scripted({"Items": [1], "NextPageLink": API_URL + PARTIES})
    assert list(iter_rows(http, PARTIES)) == [1]
    assert router.calls.call_count == 1


def test_bare_list_and_empty_pages(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]],
) -> None:
    http, _ = scripted([1, 2])
    assert list(iter_rows(http, PARTIES)) == [1, 2]


@pytest.mark.parametrize(
    "page",
    [{"Items": {"a": 1}}, {"Items": [], "NextPageLink": 5}, "text"],
)
def test_bad_page_shapes_are_protocol_errors(
    scripted: Callable[..., tuple[BillitHttp, respx.MockRouter]], page: Any
) -> None:
    http, _ = scripted(page)
    with pytest.raises(BillitPaginationError):
        list(iter_rows(http, PARTIES))
