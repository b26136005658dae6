"""Billit list pages of any shape, served by an ``httpx.MockTransport`` to
``iter_parties()``: parties come out, or a typed ``BillitApiError``/``TransientError``; the
bearer token never goes to another origin."""

import json

import httpx
from hypothesis import event, given
from hypothesis import strategies as st

from billit_sync.billit import BillitClient, BillitEndpoints, BillitHttp, StaticCredentials
from billit_sync.billit.errors import BillitApiError
from billit_sync.billit.parties import Party
from billit_sync.errors import TransientError
from billit_sync.http.retry import RetryPolicy

API = "https://api.billit.test"
TOKEN = "fuzz-bearer-token"
MAX_PAGES = 6
POLICY = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0, max_total_delay=0.0)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=16)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
party_rows = st.fixed_dictionaries(
    {"PartyID": st.one_of(st.integers(-5, 10**12), st.text(max_size=6), json_scalars)},
    optional={
        "Name": json_scalars,
        "Nr": json_scalars,
        "VATNumber": json_scalars,
        "VATLiable": json_scalars,
        "LastModified": st.one_of(
            st.just("2026-01-15T09:00:00"), st.just("2026-01-15T09:00:00Z"), json_scalars
        ),
        "Addresses": st.one_of(st.lists(st.dictionaries(st.text(max_size=8), json_scalars)))
        | json_values,
        "DefaultReductionPercentage": json_scalars,
    },
)
links = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "/v1/parties?$skip=1",
            "/v1/parties?$skip=2",
            f"{API}/v1/parties?$skip=3",
            f"{API}/v1/parties",  # the first page again
            "https://evil.example/v1/parties",
            "http://api.billit.test/v1/parties?$skip=4",
            "https://api.billit.test:8443/v1/parties",
            "https://api.billit.test.evil.example/v1/parties",
            "//evil.example/v1/parties",
            "https://user:pw@evil.example/",
            "javascript:alert(1)",
            "http://[::1",
            "",
            " ",
            "?$skip=5",
            "../../x",
        ]
    ),
    st.text(max_size=40),
    st.integers(),
    json_values,
)
pages = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "Items": st.one_of(st.lists(party_rows, max_size=4), json_values),
            "items": st.lists(party_rows, max_size=2),
            "NextPageLink": links,
            "nextpagelink": links,
            "Count": json_scalars,
        },
    ),
    st.lists(party_rows, max_size=3),
    json_values,
)
# What one request gets: a JSON page, raw bytes, or an error status.
answers = st.one_of(
    pages.map(lambda page: (200, json.dumps(page).encode())),
    st.tuples(st.just(200), st.binary(max_size=40)),
    st.tuples(st.sampled_from([400, 401, 404, 409, 429, 500, 503]), st.binary(max_size=40)),
)


@given(script=st.lists(answers, min_size=1, max_size=MAX_PAGES + 2))
def test_iter_parties_yields_parties_or_typed_errors(script: list[tuple[int, bytes]]) -> None:
    requests: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        status, body = script[min(len(requests), len(script)) - 1]
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    with httpx.Client(transport=httpx.MockTransport(serve)) as client:
        http = BillitHttp(
            client,
            BillitEndpoints(api_url=API, login_url="https://my.billit.test/Account/Logon"),
            StaticCredentials(TOKEN, 7),
            retry=POLICY,
            sleep=lambda _seconds: None,
        )
        parties: list[Party] = []
        try:
            parties.extend(BillitClient(http).parties.iter_parties(max_pages=MAX_PAGES))
        except (BillitApiError, TransientError) as error:
            refusal: str | None = str(error)
            event(f"refused: {type(error).__name__}")
        else:
            refusal = None
            event(f"finished after {len(requests)} request(s)")
    assert refusal is None or TOKEN not in refusal
    assert all(isinstance(party, Party) for party in parties)
    assert requests, "the first page is always asked for"
    for request in requests:
        # The token goes to the configured API origin only.
        assert (request.url.scheme, request.url.host, request.url.port) == (
            "https",
            "api.billit.test",
            None,
        ), request.url
    assert len(requests) <= MAX_PAGES * POLICY.max_attempts
