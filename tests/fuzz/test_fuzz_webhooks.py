"""Both webhook routes with any body, any signature or secret header, base64 or not, and any
tenant id in the path: Billit's answers 200/202/400/401, OutSmart's 202/400/401; never a 5xx,
and always a JSON body."""

import base64
import json
import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from billit_sync.billit.signature import sign_billit_payload
from billit_sync.tenancy import TENANT_ID_PATTERN
from functions.webhook_ingestion import app as webhook_ingestion
from tests.fuzz.conftest import ROUTE_NOT_FOUND, answered_json, module_stack
from tests.support.stack import Stack, http_event

TENANT = "acme"
IDLE = "idle-tenant"  # registered, never connected: no Billit webhook secrets
USER = "an@claes.example"
FIXTURE_ONLY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with module_stack(webhook_ingestion) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)
        running.connect_tenant(TENANT, user=USER, outsmart_token="os-token-acme")
        running.services.connection_lifecycle("https://connector.test").register_tenant(
            IDLE, SecretStr("os-token-idle"), "nl"
        )
        yield running


def billit_secrets(stack: Stack) -> list[str]:
    stored = stack.services.tenant_secrets.read(TENANT).webhook_secrets
    return [secret.get_secret_value() for secret in stored.values()]


def outsmart_secret(stack: Stack) -> str:
    secret = stack.services.tenant_secrets.read(TENANT).outsmart_webhook_secret
    assert secret is not None
    return secret.get_secret_value()


# ------------------------------------------------------------------------------ strategies
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)
other_tenant_ids = st.one_of(
    st.sampled_from([IDLE, "nobody-here", "ACME", "acme ", "a", "", "acme/x", "%61cme"]),
    st.from_regex(TENANT_ID_PATTERN, fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~%:@!$&'()*+,;=/", max_size=70),
    st.text(max_size=20),
)
# Half the requests go to the connected tenant, so the signature and body checks are reached.
tenant_ids = st.booleans().flatmap(lambda own: st.just(TENANT) if own else other_tenant_ids)
billit_events = st.fixed_dictionaries(
    {},
    optional={
        "UpdatedEntityID": st.one_of(st.integers(), st.text(max_size=12), json_scalars),
        "UpdatedEntityType": st.one_of(
            st.sampled_from(["Order", "Message", "order", " MESSAGE ", "Party", ""]),
            json_scalars,
        ),
        "WebhookUpdateTypeTC": st.one_of(st.sampled_from(["I", "U", "D"]), json_scalars),
        "EntityDetail": json_values,
    },
)


def _huge(size: int) -> str:
    return json.dumps({"UpdatedEntityID": 1, "UpdatedEntityType": "Order", "pad": "x" * size})


body_texts = st.one_of(
    billit_events.map(json.dumps),
    json_values.map(json.dumps),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet='\ud800\udfff\x00{}[]":,', max_size=20),  # lone surrogates
    st.integers(60_000, 140_000).map(_huge),
)


@st.composite
def billit_requests(draw: st.DrawFn, stack: Stack) -> tuple[str, dict[str, str], str | None, bool]:
    """(tenant id, headers, API Gateway body, isBase64Encoded)."""
    tenant_id = draw(tenant_ids)
    as_base64 = draw(st.booleans())
    if draw(st.integers(0, 9)) == 0:
        body: str | None = None
        raw = b""
    elif as_base64:
        raw = draw(
            st.one_of(body_texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary())
        )
        body = base64.b64encode(raw).decode()
        if draw(st.integers(0, 4)) == 0:  # broken base64
            body = draw(st.sampled_from([body + "=", body[:-1], "*" + body, body + "\n", "é"]))
    else:
        body = draw(body_texts)
        raw = body.encode("utf-8", "surrogatepass")
    now = int(stack.clock.epoch())
    kind = draw(
        st.sampled_from(
            ["none", "garbage", "near", "stale", "future", "wrong-secret", *["valid"] * 6]
        )
    )
    secret = draw(st.sampled_from(billit_secrets(stack)))
    header: str | None
    if kind == "none":
        header = None
    elif kind == "garbage":
        header = draw(st.text(max_size=200) | st.text(min_size=1000, max_size=1100))
    elif kind == "near":
        stamp = draw(st.sampled_from([str(now), "", "-1", "1e9", "\uff10", str(now) * 3]))
        mac = draw(st.text(alphabet="0123456789abcdefABCDEFg", min_size=62, max_size=66))
        header = draw(
            st.sampled_from(
                [
                    f"t={stamp},s={mac}",
                    f"s={mac},t={stamp}",
                    f"t={stamp}",
                    f"s={mac}",
                    f"t={stamp},t={stamp},s={mac}",
                    f"t = {stamp} , s = {mac}",
                    f"t={stamp};s={mac}",
                ]
            )
        )
    elif kind == "valid":
        header = sign_billit_payload(raw, secret, now + draw(st.integers(-300, 300)))
        if draw(st.booleans()):  # a second, unknown signature beside the right one
            header += ",s=" + "0" * 64
    elif kind == "stale":
        header = sign_billit_payload(raw, secret, now - draw(st.integers(301, 10**9)))
    elif kind == "future":
        header = sign_billit_payload(raw, secret, now + draw(st.integers(301, 10**11)))
    else:
        header = sign_billit_payload(raw, draw(st.text(min_size=1, max_size=30)), now)
    event(f"signature: {kind}")
    headers = {"content-type": draw(st.sampled_from(["application/json", "text/plain"]))}
    if header is not None:
        name = draw(st.sampled_from(["billit-signature", "Billit-Signature", "BILLIT-SIGNATURE"]))
        headers[name] = header
    headers.update(
        draw(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=2))
    )
    return tenant_id, headers, body, as_base64


def webhook_event(
    path: str, headers: dict[str, str], body: str | None, as_base64: bool
) -> dict[str, Any]:
    request = http_event("POST", path, headers=headers)
    if body is not None:
        request["body"] = body
    request["isBase64Encoded"] = as_base64
    return request


# ---------------------------------------------------------------------------------- Billit
@FIXTURE_ONLY
@given(data=st.data())
def test_billit_webhook_answers_only_200_202_400_401(stack: Stack, data: st.DataObject) -> None:
    tenant_id, headers, body, as_base64 = data.draw(billit_requests(stack))
    response = stack.invoke(
        webhook_ingestion,
        webhook_event(f"/webhooks/billit/{tenant_id}", headers, body, as_base64),
    )
    answer = answered_json(response, {200, 202, 400, 401, 404})
    event(f"status {response['statusCode']}")
    if response["statusCode"] == 404:  # only a path no route matches, never a tenant id
        assert not TENANT_ID_PATTERN.fullmatch(tenant_id) and answer["code"] == ROUTE_NOT_FOUND
    if response["statusCode"] in {200, 202}:
        assert answer["delivery_id"]


# -------------------------------------------------------------------------------- OutSmart
well_formed = st.fixed_dictionaries(
    {"row_id": st.from_regex(r"[0-9]{1,8}", fullmatch=True) | st.integers(0, 10**9)},
    optional={"workorder_no": st.text(max_size=70)},
).map(json.dumps)
outsmart_bodies = st.one_of(
    well_formed,
    well_formed,
    st.fixed_dictionaries(
        {},
        optional={
            "row_id": st.one_of(st.from_regex(r"[0-9]{1,8}", fullmatch=True), json_scalars),
            "workorder_no": json_scalars,
            "extra": json_values,
        },
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(),
    st.text(alphabet='\ud800\udfff\x00{}[]":,', max_size=20),
    st.integers(4000, 9000).map(lambda n: json.dumps({"row_id": "1", "pad": "x" * n})),
)


@st.composite
def outsmart_requests(
    draw: st.DrawFn, stack: Stack
) -> tuple[str, dict[str, str], str | None, bool]:
    tenant_id = draw(tenant_ids)
    secret = outsmart_secret(stack)
    others = st.one_of(
        st.sampled_from([f" {secret} ", secret.upper(), secret[:-1], secret + "\x00"]),
        st.text(max_size=40),
        st.text(min_size=500, max_size=600),
        st.text(alphabet="\ud800\udfff\x00", max_size=5),
    )
    presented = draw(st.booleans().flatmap(lambda right: st.just(secret) if right else others))
    style = draw(st.sampled_from(["header", "bearer", "both", "none", "lowercase-bearer"]))
    headers: dict[str, str] = {}
    if style in {"header", "both"}:
        headers[draw(st.sampled_from(["x-outsmart-secret", "X-OutSmart-Secret"]))] = presented
    if style in {"bearer", "both"}:
        headers["authorization"] = f"Bearer {presented}"
    if style == "lowercase-bearer":
        headers["Authorization"] = f"bearer{draw(st.sampled_from(['', ' ', '  ']))}{presented}"
    as_base64 = draw(st.booleans())
    body: str | None = None if draw(st.integers(0, 9)) == 0 else draw(outsmart_bodies)
    if body is not None and as_base64:
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
        if draw(st.integers(0, 4)) == 0:
            body = "!" + body
    event(f"secret: {style}")
    return tenant_id, headers, body, as_base64


@FIXTURE_ONLY
@given(data=st.data())
def test_outsmart_webhook_answers_only_202_400_401(stack: Stack, data: st.DataObject) -> None:
    tenant_id, headers, body, as_base64 = data.draw(outsmart_requests(stack))
    response = stack.invoke(
        webhook_ingestion,
        webhook_event(f"/webhooks/outsmart/{tenant_id}", headers, body, as_base64),
    )
    answer = answered_json(response, {202, 400, 401, 404})
    event(f"status {response['statusCode']}")
    if response["statusCode"] == 404:
        assert not TENANT_ID_PATTERN.fullmatch(tenant_id) and answer["code"] == ROUTE_NOT_FOUND
    if response["statusCode"] == 401:
        assert response["headers"]["WWW-Authenticate"].startswith("Bearer")
