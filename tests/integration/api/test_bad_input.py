"""Bad input on every route (issue 14, item 5): JSON that cannot be parsed or nests too deep
is a 400 everywhere, the de-duplication record never outlives a failed delivery, and row ids
are canonical. On the code before the fix a deeply nested body answered 500 on both
webhooks (and, on Billit's, left its de-dup record behind: every redelivery was "duplicate")."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from billit_sync.billit.signature import sign_billit_payload
from billit_sync.tickets import TicketScope
from functions.export_worker import app as export_worker
from functions.management_api import app as management_api
from functions.webhook_ingestion import app as webhook_ingestion
from functions.webhook_processor import app as webhook_processor
from tests.support.stack import (
    BILLIT_USER,
    Stack,
    http_event,
    running_stack,
    seed_billit_account,
)

TENANT = "acme"
OUTSMART_TOKEN = "os-token-acme"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    modules = (export_worker, webhook_ingestion, webhook_processor, management_api)
    with running_stack(monkeypatch, *modules) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=BILLIT_USER, outsmart_token=OUTSMART_TOKEN)
        yield running


def nested(depth: int, inner: str = "1") -> str:
    """``{"row_id": [[[ … ]]]}``: valid JSON, ``depth`` levels deep."""
    return '{"UpdatedEntityID": 1, "UpdatedEntityType": "Order", "row_id": ' + (
        "[" * depth + inner + "]" * depth + "}"
    )


# Within the parser's recursion limit (json.loads succeeds, so later steps see it) and far
# beyond it (json.loads itself raises RecursionError).
DEPTHS = [200, 900, 100_000]


def billit_post(stack: Stack, raw: bytes) -> dict[str, Any]:
    secret = next(iter(stack.services.tenant_secrets.read(TENANT).webhook_secrets.values()))
    header = sign_billit_payload(raw, secret.get_secret_value(), int(stack.clock.epoch()))
    event = http_event(
        "POST",
        f"/webhooks/billit/{TENANT}",
        body=raw.decode(),
        headers={"billit-signature": header, "content-type": "application/json"},
    )
    return stack.invoke(webhook_ingestion, event)


def outsmart_post(stack: Stack, body: str) -> dict[str, Any]:
    secret = stack.services.tenant_secrets.read(TENANT).outsmart_webhook_secret
    assert secret is not None
    event = http_event(
        "POST",
        f"/webhooks/outsmart/{TENANT}",
        body=body,
        headers={"x-outsmart-secret": secret.get_secret_value()},
    )
    return stack.invoke(webhook_ingestion, event)


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_json_on_the_billit_webhook_is_a_400_and_leaves_no_dedup_record(
    stack: Stack, depth: int
) -> None:
    before = stack.services.integration_table.scan()["Items"]
    response = billit_post(stack, nested(depth).encode())
    assert response["statusCode"] == 400, response
    assert stack.services.integration_table.scan()["Items"] == before
    assert stack.drain("WebhookEventsQueue") == []


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_json_on_the_outsmart_webhook_is_a_400(stack: Stack, depth: int) -> None:
    response = outsmart_post(stack, nested(depth))
    assert response["statusCode"] == 400, response
    assert stack.drain("ExportQueue") == []


MANAGEMENT_ROUTES = [
    ("PUT", f"/tenants/{TENANT}", TicketScope.ADMIN),
    ("PUT", f"/tenants/{TENANT}/settings", TicketScope.TENANT),
    ("PUT", f"/tenants/{TENANT}/connection/company", TicketScope.TENANT),
    ("POST", f"/tenants/{TENANT}/sync", TicketScope.TENANT),
    ("POST", f"/tenants/{TENANT}/exports/retry", TicketScope.TENANT),
]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(("method", "path", "scope"), MANAGEMENT_ROUTES)
def test_deep_json_on_the_management_api_is_a_400(
    stack: Stack, method: str, path: str, scope: TicketScope, depth: int
) -> None:
    response = stack.call(
        management_api,
        method,
        path,
        tenant_id=TENANT,
        scope=scope,
        body=nested(depth),
    )
    assert response["statusCode"] == 400, response
    error = json.loads(response["body"])
    assert (error["code"], error["detail"]) == (
        "malformed_body",
        "the request body is nested too deeply",
    )


@pytest.mark.parametrize("body", ["{", "[1,]", '{"row_id": NaN}', "\ud800", "null"])
def test_unparseable_json_is_a_400_everywhere(stack: Stack, body: str) -> None:
    assert outsmart_post(stack, body)["statusCode"] == 400
    response = stack.call(
        management_api, "POST", f"/tenants/{TENANT}/sync", tenant_id=TENANT, body=body
    )
    assert response["statusCode"] in (400, 422)


def test_a_failure_after_the_dedup_record_removes_it_so_a_redelivery_is_processed(
    stack: Stack,
) -> None:
    raw = json.dumps(
        {"UpdatedEntityID": 2731904, "UpdatedEntityType": "Order", "WebhookUpdateTypeTC": "U"}
    ).encode()
    events = stack.services.billit_webhooks.events

    def broken(event: object) -> None:
        raise RuntimeError("a bug after the de-dup record")

    headers = {"billit-signature": _signature(stack, raw)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(events, "send", broken)
        with pytest.raises(RuntimeError):
            stack.services.billit_webhooks.receive(TENANT, headers, raw.decode())
    again = billit_post(stack, raw)
    assert again["statusCode"] == 202, again
    assert len(stack.drain("WebhookEventsQueue")) == 1


def _signature(stack: Stack, raw: bytes) -> str:
    secret = next(iter(stack.services.tenant_secrets.read(TENANT).webhook_secrets.values()))
    return sign_billit_payload(raw, secret.get_secret_value(), int(stack.clock.epoch()))


@pytest.mark.parametrize(
    "row_id", ["0001919", "0", "nan", "NaN", "1e3", "-5", "19 19", "1919.0", "abc", "x" * 70]
)
def test_row_ids_that_are_not_canonical_are_refused(stack: Stack, row_id: str) -> None:
    assert outsmart_post(stack, json.dumps({"row_id": row_id}))["statusCode"] == 400
    assert stack.drain("ExportQueue") == []
    retry = stack.call(
        management_api,
        "POST",
        f"/tenants/{TENANT}/exports/retry",
        tenant_id=TENANT,
        body={"row_id": row_id},
    )
    assert retry["statusCode"] in (400, 422), retry


@pytest.mark.parametrize("row_id", ["1919", 1919, " 1919 "])
def test_canonical_row_ids_are_accepted(stack: Stack, row_id: object) -> None:
    answer = outsmart_post(stack, json.dumps({"row_id": row_id}))
    assert answer["statusCode"] == 202, answer
    assert json.loads(answer["body"])["row_id"] == "1919"
