"""The three ways a work order reaches the export queue, through the real handlers: the
discovery worker on SQS events (one tenant's failure never touches another's record), OutSmart's
webhook (per-tenant secret, 202 fast, nothing to probe, nothing logged) and the log panel's
retry route (failed ledger entries reset and queued again)."""

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import AwsTransientError, LedgerState
from billit_sync.sync.exports.jobs import DiscoveryJob, ExportJob
from billit_sync.tickets import TicketScope
from functions.discovery_worker import app as discovery_worker
from functions.management_api import app as management_api
from functions.webhook_ingestion import app as webhook_ingestion
from tests.support.lambda_context import FakeLambdaContext
from tests.support.log_capture import captured_service_logs
from tests.support.stack import PUBLIC_BASE_URL, Stack, http_event, running_stack, sqs_event

TENANT = "acme"
OTHER = "globex"
USER = "an@claes.example"
OTHER_USER = "jo@globex.example"
TOKEN = "os-token-acme"
OTHER_TOKEN = "os-token-globex"
OWNER = "export-worker-1"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, discovery_worker, webhook_ingestion, management_api) as running:
        running.billit.add_user(USER)
        running.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)
        running.billit.add_user(OTHER_USER)
        running.billit.add_company(OTHER_USER, "Globex NV", "BE0403019261", party_id=612340)
        running.connect_tenant(TENANT, user=USER, outsmart_token=TOKEN)
        running.connect_tenant(OTHER, user=OTHER_USER, outsmart_token=OTHER_TOKEN)
        yield running


def export_jobs(stack: Stack) -> list[ExportJob]:
    return [ExportJob.model_validate_json(body) for body in stack.drain("ExportQueue")]


def discover(stack: Stack, *tenants: str) -> dict[str, Any]:
    """The handler's answer, with each failed record named by its tenant."""
    bodies = [DiscoveryJob(tenant_id=tenant).model_dump_json() for tenant in tenants]
    event = sqs_event(*bodies)
    tenant_of = {r["messageId"]: t for r, t in zip(event["Records"], tenants, strict=True)}
    result: dict[str, Any] = discovery_worker.lambda_handler(event, FakeLambdaContext())
    return {
        "batchItemFailures": [
            {"itemIdentifier": tenant_of[f["itemIdentifier"]]} for f in result["batchItemFailures"]
        ]
    }


def log_keys(stack: Stack, tenant_id: str) -> list[str]:
    return [e.message_key for e in stack.services.sync_log.page(tenant_id, limit=50).entries]


# ------------------------------------------------------------------- discovery worker
def test_one_tenants_refused_token_never_touches_the_other_tenant(stack: Stack) -> None:
    stack.outsmart.tenant(TOKEN).add_workorder(id="1919", WorkDate="20-01-2026")
    stack.outsmart.tenant(OTHER_TOKEN).add_workorder(id="4242", WorkDate="20-01-2026")
    stack.outsmart.tenants.pop(TOKEN)  # OutSmart no longer knows acme's token

    result = discover(stack, TENANT, OTHER)

    assert result == {"batchItemFailures": []}  # user-fixable: logged, not retried
    assert [(j.tenant_id, j.row_id, j.trigger) for j in export_jobs(stack)] == [
        (OTHER, "4242", "discovery")
    ]
    assert messages.DISCOVERY_FAILED in log_keys(stack, TENANT)
    assert messages.DISCOVERY_FAILED not in log_keys(stack, OTHER)


def test_a_transient_failure_fails_that_record_only(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.outsmart.tenant(TOKEN).add_workorder(id="1919", WorkDate="20-01-2026")
    stack.outsmart.tenant(OTHER_TOKEN).add_workorder(id="4242", WorkDate="20-01-2026")
    ledger = stack.services.export_ledger
    original = ledger.get_many

    def throttled_for_acme(tenant_id: str, row_ids: Any) -> Any:
        if tenant_id == TENANT:
            raise AwsTransientError("ExportLedger.get_many", "ProvisionedThroughputExceeded")
        return original(tenant_id, row_ids)

    monkeypatch.setattr(ledger, "get_many", throttled_for_acme)

    result = discover(stack, TENANT, OTHER)

    assert result == {"batchItemFailures": [{"itemIdentifier": TENANT}]}
    assert [job.row_id for job in export_jobs(stack)] == ["4242"]


def test_malformed_discovery_messages_are_dropped(stack: Stack) -> None:
    result = discovery_worker.lambda_handler(
        sqs_event("{not json", json.dumps({"tenant_id": "Bad Id"})), FakeLambdaContext()
    )
    assert result == {"batchItemFailures": []}
    assert export_jobs(stack) == []


def test_the_sample_event_runs(stack: Stack) -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parents[3] / "events/discovery_worker/sqs_discovery_job.json"
    event = json.loads(sample.read_text(encoding="utf-8"))
    assert discovery_worker.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}


# ------------------------------------------------------------------------- webhook
def webhook_secret(stack: Stack, tenant_id: str = TENANT) -> str:
    secret = stack.services.tenant_secrets.read(tenant_id).outsmart_webhook_secret
    assert secret is not None
    return secret.get_secret_value()


def post_webhook(
    stack: Stack,
    *,
    tenant_id: str = TENANT,
    body: Any = None,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    event = http_event(
        "POST",
        f"/webhooks/outsmart/{tenant_id}",
        body=body,
        headers={"content-type": "application/json", **(headers or {})},
    )
    if base64_body:
        event["body"] = base64.b64encode(event["body"].encode()).decode()
        event["isBase64Encoded"] = True
    return stack.invoke(webhook_ingestion, event)


@pytest.mark.parametrize("style", ["x-outsmart-secret", "authorization"])
def test_the_right_secret_queues_one_export_at_once(stack: Stack, style: str) -> None:
    secret = webhook_secret(stack)
    headers = (
        {"x-outsmart-secret": secret}
        if style == "x-outsmart-secret"
        else {"authorization": f"Bearer {secret}"}
    )
    calls_before = (len(stack.outsmart.calls), len(stack.billit.calls))

    response = post_webhook(
        stack,
        body={"row_id": "1919", "workorder_no": "WB-1042", "status": "Compleet"},
        headers=headers,
    )

    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {"queued": True, "row_id": "1919"}
    assert export_jobs(stack) == [
        ExportJob(tenant_id=TENANT, row_id="1919", workorder_no="WB-1042", trigger="webhook")
    ]
    assert (len(stack.outsmart.calls), len(stack.billit.calls)) == calls_before


def test_a_base64_encoded_body_and_a_numeric_row_id_work(stack: Stack) -> None:
    response = post_webhook(
        stack,
        body={"row_id": 1919},
        headers={"x-outsmart-secret": webhook_secret(stack)},
        base64_body=True,
    )
    assert response["statusCode"] == 202
    (job,) = export_jobs(stack)
    assert (job.row_id, job.workorder_no) == ("1919", None)


def test_missing_or_wrong_secrets_and_unknown_tenants_get_one_identical_401(
    stack: Stack,
) -> None:
    right = webhook_secret(stack)
    other = webhook_secret(stack, OTHER)
    body = {"row_id": "1919"}
    answers = [
        post_webhook(stack, body=body),
        post_webhook(stack, body=body, headers={"x-outsmart-secret": right + "x"}),
        post_webhook(stack, body=body, headers={"authorization": "Bearer nope"}),
        post_webhook(stack, body=body, headers={"x-outsmart-secret": other}),  # globex's
        post_webhook(stack, tenant_id="nobody", body=body, headers={"x-outsmart-secret": right}),
        post_webhook(stack, tenant_id="Bad_Id", body=body, headers={"x-outsmart-secret": right}),
        # Authentication comes first: a bad body without the secret is a 401 too.
        post_webhook(stack, body="{not json"),
    ]
    assert {a["statusCode"] for a in answers} == {401}
    # One problem for every reason; only the request's own path and id differ.
    problems = [json.loads(a["body"]) for a in answers]
    assert all(
        p["request_id"] and p["instance"].startswith("/webhooks/outsmart/") for p in problems
    )
    shown = {json.dumps(p, sort_keys=True) for p in problems}
    assert len({json.dumps({**p, "instance": "", "request_id": ""}) for p in problems}) == 1, shown
    assert len({json.dumps(a["headers"], sort_keys=True) for a in answers}) == 1
    assert export_jobs(stack) == []


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '"1919"',
        {},
        {"workorder_no": "WB-1"},
        {"row_id": ""},
        {"row_id": "19/19"},
        {"row_id": "x" * 65},
        {"row_id": None},
        {"row_id": "1919", "workorder_no": "W" * 65},
    ],
)
def test_malformed_bodies_are_400_never_5xx(stack: Stack, body: Any) -> None:
    response = post_webhook(stack, body=body, headers={"x-outsmart-secret": webhook_secret(stack)})
    assert response["statusCode"] == 400, response["body"]
    assert export_jobs(stack) == []


def test_an_empty_body_bad_base64_and_a_huge_body_are_400(stack: Stack) -> None:
    secret = {"x-outsmart-secret": webhook_secret(stack)}
    empty = stack.invoke(
        webhook_ingestion, http_event("POST", f"/webhooks/outsmart/{TENANT}", headers=secret)
    )
    assert empty["statusCode"] == 400
    event = http_event("POST", f"/webhooks/outsmart/{TENANT}", body="!!!", headers=secret)
    event["isBase64Encoded"] = True
    assert stack.invoke(webhook_ingestion, event)["statusCode"] == 400
    huge = post_webhook(stack, body={"row_id": "1", "pad": "x" * 10_000}, headers=secret)
    assert huge["statusCode"] == 400


def test_the_secret_never_reaches_a_log_line(stack: Stack) -> None:
    secret = webhook_secret(stack)
    with captured_service_logs() as logs:
        post_webhook(stack, body={"row_id": "1919"}, headers={"x-outsmart-secret": secret})
        post_webhook(stack, body={"row_id": "1919"}, headers={"authorization": f"Bearer {secret}"})
        post_webhook(stack, body={"row_id": "1919"}, headers={"x-outsmart-secret": secret + "x"})
        post_webhook(stack, body="{bad", headers={"x-outsmart-secret": secret})
    text = logs.getvalue()
    assert "OutSmart webhook" in text or "work order export queued" in text
    assert secret not in text


def test_the_queue_being_unreachable_is_a_503(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    def down(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SendMessageBatch")

    monkeypatch.setattr(stack.services.sqs, "send_message_batch", down)
    response = post_webhook(
        stack, body={"row_id": "1919"}, headers={"x-outsmart-secret": webhook_secret(stack)}
    )
    assert response["statusCode"] == 503


# -------------------------------------------------------------- registration secret
def register(stack: Stack, tenant_id: str, **extra: Any) -> dict[str, Any]:
    response = stack.call(
        management_api,
        "PUT",
        f"/tenants/{tenant_id}",
        scope=TicketScope.ADMIN,
        body={"outsmart_token": "os-token-new", "language": "en", **extra},
    )
    assert response["statusCode"] == 200, response["body"]
    body: dict[str, Any] = json.loads(response["body"])
    return body


def test_registration_shows_the_webhook_secret_once_and_rotation_replaces_it(
    stack: Stack,
) -> None:
    with captured_service_logs() as logs:
        first = register(stack, "initech")
        again = register(stack, "initech")
        rotated = register(stack, "initech", rotate_outsmart_webhook_secret=True)

    url = f"{PUBLIC_BASE_URL}/webhooks/outsmart/initech"
    assert first["outsmart_webhook_url"] == again["outsmart_webhook_url"] == url
    secret = first["outsmart_webhook_secret"]
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64
    assert "outsmart_webhook_secret" not in again
    assert rotated["outsmart_webhook_secret"] != secret
    assert secret not in logs.getvalue()
    assert rotated["outsmart_webhook_secret"] not in logs.getvalue()

    old = post_webhook(
        stack, tenant_id="initech", body={"row_id": "7"}, headers={"x-outsmart-secret": secret}
    )
    new = post_webhook(
        stack,
        tenant_id="initech",
        body={"row_id": "7"},
        headers={"x-outsmart-secret": rotated["outsmart_webhook_secret"]},
    )
    assert (old["statusCode"], new["statusCode"]) == (401, 202)
    stored = stack.services.tenant_secrets.read("initech")
    assert stored.outsmart_token is not None
    assert stored.outsmart_token.get_secret_value() == "os-token-new"


# ---------------------------------------------------------------------------- retry
def fail(stack: Stack, row_id: str, tenant_id: str = TENANT) -> None:
    ledger = stack.services.export_ledger
    ledger.claim(tenant_id, row_id, f"WB-{row_id}", OWNER, 300)
    ledger.record_failed(tenant_id, row_id, owner=OWNER, kind="user_fixable", reason="material")


def state(stack: Stack, row_id: str, tenant_id: str = TENANT) -> LedgerState:
    entry = stack.services.export_ledger.get(tenant_id, row_id)
    assert entry is not None
    return entry.state


def retry(
    stack: Stack, body: Any = None, *, ticket_tenant: str = TENANT, tenant_id: str = TENANT
) -> dict[str, Any]:
    return stack.call(
        management_api,
        "POST",
        f"/tenants/{tenant_id}/exports/retry",
        tenant_id=ticket_tenant,
        body=body,
    )


def test_retrying_one_failed_work_order_resets_and_queues_it(stack: Stack) -> None:
    fail(stack, "1919")
    fail(stack, "1920")

    response = retry(stack, {"row_id": "1919"})

    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {
        "queued": 1,
        "row_ids": ["1919"],
        "deferred": None,
        "message": None,
    }
    assert export_jobs(stack) == [
        ExportJob(tenant_id=TENANT, row_id="1919", workorder_no="WB-1919", trigger="retry")
    ]
    entry = stack.services.export_ledger.get(TENANT, "1919")
    assert entry is not None
    assert (entry.state, entry.attempt) == (LedgerState.PENDING, 2)
    assert state(stack, "1920", TENANT) is LedgerState.FAILED


def test_retrying_all_queues_every_failed_one_of_this_tenant_only(stack: Stack) -> None:
    for row in ("1919", "1920", "1921"):
        fail(stack, row)
    fail(stack, "5000", tenant_id=OTHER)
    ledger = stack.services.export_ledger
    ledger.claim(TENANT, "1922", "WB-1922", OWNER, 300)  # in flight: not touched

    response = retry(stack, {})

    assert response["statusCode"] == 202
    assert json.loads(response["body"])["queued"] == 3
    assert sorted(job.row_id for job in export_jobs(stack)) == ["1919", "1920", "1921"]
    assert state(stack, "5000", OTHER) is LedgerState.FAILED
    assert state(stack, "1922", TENANT) is LedgerState.PENDING

    nothing = retry(stack)  # no body at all: all failed ones, of which there are none now
    assert nothing["statusCode"] == 200
    assert json.loads(nothing["body"])["queued"] == 0


def test_retrying_a_work_order_that_did_not_fail_is_a_clear_409_or_404(stack: Stack) -> None:
    ledger = stack.services.export_ledger
    ledger.claim(TENANT, "1919", "WB-1919", OWNER, 300)
    ledger.record_created(TENANT, "1919", owner=OWNER, order_id="9001", order_number="F-1")
    ledger.record_handled(TENANT, "1919", owner=OWNER)

    handled = retry(stack, {"row_id": "1919"})
    unknown = retry(stack, {"row_id": "7777"})

    assert handled["statusCode"] == 409
    error = json.loads(handled["body"])
    assert error["code"] == "not_failed"
    assert "handled" in error["detail"]
    assert unknown["statusCode"] == 404
    assert json.loads(unknown["body"])["code"] == "unknown_export"
    assert export_jobs(stack) == []


def test_retry_accepts_the_work_order_number_the_log_panel_shows(stack: Stack) -> None:
    fail(stack, "1936")

    response = retry(stack, {"workorder_no": "WB-1936"})

    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {
        "queued": 1,
        "row_ids": ["1936"],
        "deferred": None,
        "message": None,
    }
    assert state(stack, "1936") is LedgerState.PENDING
    unknown = retry(stack, {"workorder_no": "WB-7777"})
    assert unknown["statusCode"] == 404
    assert "WB-7777" in json.loads(unknown["body"])["detail"]


def export_state(stack: Stack, workorder: str, *, ticket_tenant: str = TENANT) -> Any:
    return stack.call(
        management_api, "GET", f"/tenants/{TENANT}/exports/{workorder}", tenant_id=ticket_tenant
    )


def test_one_work_orders_export_state_by_number_or_row_id(stack: Stack) -> None:
    ledger = stack.services.export_ledger
    ledger.claim(TENANT, "1919", "WB-1919", OWNER, 300)
    ledger.record_created(TENANT, "1919", owner=OWNER, order_id="9001", order_number="2026-0001")
    ledger.record_sent(TENANT, "1919", owner=OWNER)
    handled = ledger.record_handled(TENANT, "1919", owner=OWNER)
    ledger.transition_invoice_status(handled, "refused", "Unknown purchase order reference")
    fail(stack, "1936")

    by_number, by_row = export_state(stack, "WB-1919"), export_state(stack, "1919")

    assert by_number["statusCode"] == 200
    assert json.loads(by_number["body"]) == json.loads(by_row["body"])
    body = json.loads(by_number["body"])
    assert (body["row_id"], body["workorder_no"], body["state"]) == ("1919", "WB-1919", "handled")
    assert body["invoice"] == {"order_id": "9001", "number": "2026-0001"}
    assert (body["sent"], body["delivered"], body["refused"], body["paid"]) == (
        True,
        False,
        True,
        False,
    )
    assert body["last_problem"]["kind"] == "refused"
    assert body["last_problem"]["detail"] == "Unknown purchase order reference"
    failed = json.loads(export_state(stack, "WB-1936")["body"])
    assert (failed["state"], failed["invoice"], failed["sent"]) == ("failed", None, False)
    assert failed["last_problem"] == {"kind": "user_fixable", "detail": "material", "since": None}


def test_an_unknown_work_order_is_404_and_another_tenants_ticket_403(stack: Stack) -> None:
    fail(stack, "1936")
    unknown = export_state(stack, "WB-4040")
    assert unknown["statusCode"] == 404
    assert json.loads(unknown["body"])["code"] == "unknown_export"
    assert export_state(stack, "WB-1936", ticket_tenant=OTHER)["statusCode"] == 403


def test_another_tenants_ticket_is_403_and_a_bad_body_422(stack: Stack) -> None:
    fail(stack, "1919")
    assert retry(stack, {"row_id": "1919"}, ticket_tenant=OTHER)["statusCode"] == 403
    assert retry(stack, {"row_id": "19/19"})["statusCode"] == 422
    assert retry(stack, {"workorder_id": "1919"})["statusCode"] == 422
    assert export_jobs(stack) == []
    assert state(stack, "1919", TENANT) is LedgerState.FAILED


def test_an_auth_expired_tenant_cannot_retry_and_keeps_its_failed_entries(stack: Stack) -> None:
    fail(stack, "1919")
    stack.services.auth_expiry.expire(TENANT)

    response = retry(stack, {"row_id": "1919"})

    assert response["statusCode"] == 409
    # The tenant's language (nl): the log panel's own words for an expired connection.
    assert json.loads(response["body"])["detail"] == messages.render(
        messages.AUTH_EXPIRED, {}, "nl"
    )
    assert state(stack, "1919", TENANT) is LedgerState.FAILED
