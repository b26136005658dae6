"""Every line the service logs names the tenant and a correlation id, as CloudWatch gets it:
the API request id on the management API, the SQS message id on the workers (and the work
order on the export worker), and nothing of one request or record leaks into the next."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from billit_sync.observability import logger
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.tickets import TicketScope
from functions.export_worker import app as export_worker
from functions.import_worker import app as import_worker
from functions.management_api import app as management_api
from tests.support.lambda_context import FakeLambdaContext
from tests.support.log_capture import captured_service_logs
from tests.support.stack import (
    BILLIT_COMPANY,
    BILLIT_USER,
    Stack,
    http_event,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
OTHER_TENANT = "globex"
USER = BILLIT_USER
COMPANY = BILLIT_COMPANY
OUTSMART_TOKEN = "os-token-acme"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, management_api, import_worker, export_worker) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
        yield running


def lines(raw: str) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in raw.splitlines() if line.strip()]
    assert parsed, "nothing was logged"
    return parsed


def api(
    stack: Stack,
    method: str,
    path: str,
    *,
    tenant_id: str = TENANT,
    scope: TicketScope = TicketScope.TENANT,
    body: Any = None,
    ticket_tenant: str | None = None,
) -> tuple[str, int]:
    """Invoke the management API; its request id and the status."""
    owner = "*" if scope is TicketScope.ADMIN else (ticket_tenant or tenant_id)
    ticket = stack.ticket(owner, scope)
    event = http_event(method, path, body=body, headers={"authorization": f"Bearer {ticket}"})
    response = stack.invoke(management_api, event)
    return event["requestContext"]["requestId"], response["statusCode"]


def test_management_api_lines_carry_the_tenant_and_the_request_id(stack: Stack) -> None:
    calls = [
        (
            "PUT",
            f"/tenants/{OTHER_TENANT}",
            OTHER_TENANT,
            TicketScope.ADMIN,
            {"outsmart_token": "t"},
        ),
        ("GET", f"/tenants/{TENANT}/connection", TENANT, TicketScope.TENANT, None),
        ("GET", f"/tenants/{TENANT}/settings", TENANT, TicketScope.TENANT, None),
        ("POST", f"/tenants/{TENANT}/sync", TENANT, TicketScope.TENANT, {"full": True}),
        ("GET", f"/tenants/{OTHER_TENANT}/sync-log", OTHER_TENANT, TicketScope.TENANT, None),
        ("POST", f"/tenants/{TENANT}/exports/retry", TENANT, TicketScope.TENANT, {}),
    ]
    request_tenant: dict[str, str] = {}
    with captured_service_logs(logging.DEBUG) as logs:
        for method, path, tenant_id, scope, body in calls:
            request_id, status = api(
                stack, method, path, tenant_id=tenant_id, scope=scope, body=body
            )
            assert status < 300, (method, path, status)
            request_tenant[request_id] = tenant_id

    logged = lines(logs.getvalue())
    for line in logged:
        assert line.get("correlation_id") in request_tenant, line
        assert line.get("tenant_id") == request_tenant[line["correlation_id"]], line
    # The calls that change something say so, each under its own request id and tenant.
    register_id, sync_id = (list(request_tenant)[n] for n in (0, 3))
    said = {(line["message"], line["correlation_id"], line["tenant_id"]) for line in logged}
    assert ("tenant registered", register_id, OTHER_TENANT) in said
    assert ("import requested", sync_id, TENANT) in said


def test_a_refused_request_does_not_log_under_the_previous_tenant(stack: Stack) -> None:
    api(stack, "GET", f"/tenants/{TENANT}/settings")
    with captured_service_logs(logging.DEBUG) as logs:
        request_id, status = api(
            stack, "GET", f"/tenants/{TENANT}/settings", ticket_tenant=OTHER_TENANT
        )
        logger.info("after the refused request")  # what a later line would carry
    assert status == 403
    (line,) = lines(logs.getvalue())
    assert "tenant_id" not in line
    assert line["correlation_id"] == request_id


def test_import_worker_lines_carry_the_tenant_and_the_message_id(stack: Stack) -> None:
    event = sqs_event(ImportJob(tenant_id=TENANT).model_dump_json())
    (message_id,) = [record["messageId"] for record in event["Records"]]
    with captured_service_logs(logging.DEBUG) as logs:
        result = import_worker.lambda_handler(event, FakeLambdaContext(remaining_millis=900_000))
    assert result == {"batchItemFailures": []}

    logged = lines(logs.getvalue())
    assert any(line["message"] == "import job handled" for line in logged)
    assert any(line["message"] == "Billit call" for line in logged)  # the clients' lines too
    for line in logged:
        assert line.get("tenant_id") == TENANT, line
        assert line.get("message_id") == message_id, line
        assert line.get("correlation_id") == message_id, line


def test_export_worker_lines_carry_tenant_message_id_and_work_order_per_record(
    stack: Stack,
) -> None:
    assert import_worker.lambda_handler(
        sqs_event(ImportJob(tenant_id=TENANT).model_dump_json()),
        FakeLambdaContext(remaining_millis=900_000),
    ) == {"batchItemFailures": []}
    office = stack.outsmart.tenant(OUTSMART_TOKEN)
    orders = [
        office.add_workorder(
            CustomerDebtorNr="C-1001",
            Workperiods=[{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}],
            Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": "3", "MaterialPrice": "4,55"}],
        )
        for _ in range(2)
    ]
    jobs = [
        ExportJob(tenant_id=TENANT, row_id=order["id"], workorder_no=order["WorkorderNo"])
        for order in orders
    ]
    # Two work orders, then a malformed message: each record logs under its own ids only.
    event = sqs_event(*(job.model_dump_json() for job in jobs), "{not json")
    message_ids = [record["messageId"] for record in event["Records"]]
    row_of = dict(zip(message_ids, [job.row_id for job in jobs], strict=False))

    with captured_service_logs(logging.DEBUG) as logs:
        result = export_worker.lambda_handler(event, FakeLambdaContext())
    assert result == {"batchItemFailures": []}
    assert len(stack.billit.orders(COMPANY)) == 2

    logged = lines(logs.getvalue())
    malformed = [line for line in logged if line["message"] == "dropping malformed export job"]
    assert [line["message_id"] for line in malformed] == [message_ids[2]]
    assert "tenant_id" not in malformed[0]
    assert "row_id" not in malformed[0]
    for line in logged:
        if line in malformed:
            continue
        assert line.get("tenant_id") == TENANT, line
        assert line.get("message_id") in row_of, line
        assert line.get("correlation_id") == line["message_id"], line
        assert line.get("row_id") == row_of[line["message_id"]], line
    handled = [line for line in logged if line["message"] == "export job handled"]
    assert [line["message_id"] for line in handled] == message_ids[:2]
