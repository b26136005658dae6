"""The management API with any JSON, any path tenant id, any ticket and any sync-log query:
settings answer 200, 422 (naming a field) or 400; every route only 2xx or 4xx."""

import json
import string
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from billit_sync.tenancy import TENANT_ID_PATTERN
from billit_sync.tenant_settings import ExportSettings, ImportSettings
from billit_sync.tickets import TicketScope, mint_ticket
from functions.management_api import app as management_api
from tests.fuzz.conftest import ROUTE_NOT_FOUND, answered_json, module_stack
from tests.support.stack import TICKET_KEY, Stack, http_event

TENANT = "acme"
OTHER = "other-tenant"
USER = "an@claes.example"
FIXTURE_ONLY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with module_stack(management_api) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)
        running.connect_tenant(TENANT, user=USER, outsmart_token="os-token-acme")
        yield running


def ticket(tenant_id: str, scope: TicketScope = TicketScope.TENANT) -> str:
    return mint_ticket(TICKET_KEY.encode(), tenant_id, scope, now=time.time(), ttl_seconds=600)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**30), 10**30)
    | st.floats()
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)


def _section(model: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the section's own fields (with any values) and sometimes an unknown one."""
    names = list(model.model_fields)
    choices = st.one_of(
        json_scalars,
        st.sampled_from(["none", "5", "15", "30", "draft", "peppol", "email", "0", "21", " "]),
        st.integers(0, 2000),
    )
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=10), choices, max_size=6)


settings_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "imports": st.one_of(_section(ImportSettings), json_values),
            "exports": st.one_of(_section(ExportSettings), json_values),
            "extra": json_values,
        },
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(),
    st.just(""),
)


def _invoke(
    stack: Stack,
    method: str,
    path: str,
    *,
    token: str | None,
    body: str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    request = http_event(method, path, headers=headers, query=query)
    if body is not None:
        request["body"] = body
    return stack.invoke(management_api, request)


@FIXTURE_ONLY
@given(body=settings_bodies)
def test_settings_put_answers_200_422_or_400(stack: Stack, body: str) -> None:
    response = _invoke(stack, "PUT", f"/tenants/{TENANT}/settings", token=ticket(TENANT), body=body)
    answer = answered_json(response, {200, 400, 422})
    event(f"status {response['statusCode']}")
    if response["statusCode"] == 422:
        fields = answer["errors"]
        assert fields and all(isinstance(f["field"], str) and f["field"] for f in fields)
        assert all(f["field"] in answer["detail"] for f in fields)
    if response["statusCode"] == 400:
        assert answer["code"] == "malformed_body"


ROUTES = [
    ("PUT", "/tenants/{t}"),
    ("GET", "/tenants/{t}/connection"),
    ("DELETE", "/tenants/{t}/connection"),
    ("PUT", "/tenants/{t}/connection/company"),
    ("GET", "/tenants/{t}/settings"),
    ("PUT", "/tenants/{t}/settings"),
    ("POST", "/tenants/{t}/sync"),
    ("POST", "/tenants/{t}/exports/retry"),
    ("GET", "/tenants/{t}/exports/WB-1936"),
    ("GET", "/tenants/{t}/sync-log"),
    ("GET", "/tenants/{t}/sync-log"),
    ("POST", "/tenants/{t}/connection"),  # no such method: 405
    ("GET", "/tenants/{t}/nothing"),  # no such route: 404
    ("PATCH", "/tenants/{t}/settings"),
    ("POST", "/tenants/{t}/settings"),  # no such method: 405
]
path_tenants = st.one_of(
    st.sampled_from([TENANT, TENANT, OTHER, "nobody-here", "ACME", "a", "-acme"]),
    st.from_regex(TENANT_ID_PATTERN, fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~%:@!$&'()*+,;=", max_size=70),
    st.text(min_size=1, max_size=20).filter(lambda t: "/" not in t),
)
route_bodies = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "party_id": st.one_of(st.integers(), json_scalars),
            "full": json_scalars,
            "row_id": st.one_of(st.from_regex(r"[0-9]{1,6}", fullmatch=True), json_scalars),
            "outsmart_token": st.text(max_size=600),
            "language": st.sampled_from(["en", "nl", "fr"]) | json_scalars,
            "rotate_outsmart_webhook_secret": json_scalars,
        },
    ).map(json.dumps),
    settings_bodies,
)
log_queries = st.fixed_dictionaries(
    {},
    optional={
        "limit": st.one_of(
            st.integers(-5, 300).map(str),
            st.text(alphabet="0123456789\u00b2\u00b3\u0661\u0662\uff13 +-.", max_size=8),
            st.integers(4300, 4400).map(lambda n: "1" * n),
            st.text(max_size=10),
        ),
        "cursor": st.one_of(st.text(max_size=60), st.text(alphabet=string.ascii_letters + "-_=")),
        "level": st.one_of(
            st.sampled_from(["info", "error", "warning", "INFO,error", ",", "debug"]),
            st.text(max_size=12),
        ),
        "category": st.one_of(
            st.sampled_from(["export", "import", "webhook", "connection", "export,import"]),
            st.text(max_size=12),
        ),
        "lang": st.one_of(st.sampled_from(["en", "nl", "NL", "fr"]), st.text(max_size=4)),
    },
)


@st.composite
def tickets_for(draw: st.DrawFn, tenant_id: str) -> str | None:
    kind = draw(st.sampled_from(["own", "own", "other", "admin", "expired", "garbage", "none"]))
    event(f"ticket: {kind}")
    if kind == "own" and TENANT_ID_PATTERN.fullmatch(tenant_id):
        return ticket(tenant_id)
    if kind == "other":
        return ticket(OTHER)
    if kind == "admin":
        return ticket("*", TicketScope.ADMIN)
    if kind == "expired":
        return mint_ticket(
            TICKET_KEY.encode(), TENANT, TicketScope.TENANT, now=time.time() - 700, ttl_seconds=600
        )
    if kind == "garbage":
        return draw(st.text(max_size=80))
    return None


@FIXTURE_ONLY
@given(data=st.data())
def test_management_routes_answer_only_2xx_or_4xx(stack: Stack, data: st.DataObject) -> None:
    method, template = data.draw(st.sampled_from(ROUTES), label="route")
    tenant_id = data.draw(path_tenants, label="tenant")
    token = data.draw(tickets_for(tenant_id), label="ticket")
    body = data.draw(route_bodies, label="body")
    query = data.draw(log_queries, label="query") if template.endswith("sync-log") else None
    response = _invoke(
        stack, method, template.format(t=tenant_id), token=token, body=body, query=query
    )
    status = response["statusCode"]
    event(f"{method} {template}: {status}")
    answer = answered_json(response, set(range(200, 300)) | set(range(400, 500)))
    if status == 404 and answer["code"] == ROUTE_NOT_FOUND:
        return
    if token is None or status == 401:
        assert status in {400, 401, 404, 405}, status
