"""Management API for OutSmart's Billit settings page (tenant-authenticated routes).

Thin handler: check the ticket, parse the body, call billit_sync, shape the JSON answer.
"""

import os
import time
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from billit_sync.api.auth import bearer_token, require_ticket
from billit_sync.api.errors import register_error_handlers
from billit_sync.api.requests import parse_body
from billit_sync.api.responses import error_response, json_response
from billit_sync.config import RuntimeConfig
from billit_sync.log_panel import InvalidLogPanelQueryError, LogPanelQuery
from billit_sync.observability import logger, metrics
from billit_sync.store import Connection
from billit_sync.sync.exports.status import ExportNotKnownError
from billit_sync.sync.exports.triggers import (
    CanonicalRowId,
    ExportNotFailedError,
    ExportNotFoundError,
    outsmart_webhook_url,
)
from billit_sync.tenancy import validate_tenant_id
from billit_sync.tenant_settings import TenantSettings
from billit_sync.tickets import TicketScope
from billit_sync.wiring import Services

if TYPE_CHECKING:  # built on the connection routes only (cold start, issue 16)
    from billit_sync.connection.lifecycle import ConnectionLifecycle

app = APIGatewayHttpResolver()
register_error_handlers(app)


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


class RegisterTenantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outsmart_token: SecretStr = Field(min_length=1, max_length=512)
    language: Literal["en", "nl"] = "nl"
    rotate_outsmart_webhook_secret: bool = Field(
        False, description="Replace the OutSmart webhook secret (the old one stops working)"
    )


class SelectCompanyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party_id: int = Field(gt=0)


class RetryExportsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row_id: CanonicalRowId | None = Field(
        None,
        description="The OutSmart work order (row id) to retry; leave out to retry all failed",
    )
    workorder_no: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Or the work order number as the log panel shows it (e.g. WB-1936)",
    )


class SyncNowRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full: bool = Field(False, description="Read everything from Billit, not only changes")


def _authorize(tenant_id: str, scope: TicketScope = TicketScope.TENANT) -> str:
    """The tenant id of the path, once the ticket proves the caller may act for it."""
    validate_tenant_id(tenant_id)
    require_ticket(
        bearer_token(app.current_event.headers),
        services().ticket_keyring,
        now=time.time(),
        tenant_id=tenant_id,
        scope=scope,
    )
    logger.append_keys(tenant_id=tenant_id)
    return tenant_id


def _lifecycle() -> "ConnectionLifecycle":
    domain = app.current_event.request_context.domain_name
    return services().connection_lifecycle(services().public_base_url(domain))


def _connection_body(connection: Connection) -> dict[str, Any]:
    return connection.model_dump(mode="json")


@app.put("/tenants/<tenant_id>")
def register_tenant(tenant_id: str) -> Response[str]:
    """Admin only: the tenant's OutSmart API token and language, kept in its own secret."""
    _authorize(tenant_id, TicketScope.ADMIN)
    request = parse_body(app.current_event.body, RegisterTenantRequest)
    registration = _lifecycle().register(
        tenant_id,
        request.outsmart_token,
        request.language,
        rotate_outsmart_webhook_secret=request.rotate_outsmart_webhook_secret,
    )
    tenant = registration.tenant
    domain = app.current_event.request_context.domain_name
    body: dict[str, Any] = {
        "tenant_id": tenant.tenant_id,
        "language": tenant.language,
        "outsmart_webhook_url": outsmart_webhook_url(
            services().public_base_url(domain), tenant.tenant_id
        ),
    }
    if registration.new_outsmart_webhook_secret is not None:
        # Shown this once (the answer is not cached); afterwards only a rotation shows one.
        body["outsmart_webhook_secret"] = (
            registration.new_outsmart_webhook_secret.get_secret_value()
        )
    return json_response(200, body)


@app.get("/tenants/<tenant_id>/connection")
def get_connection(tenant_id: str) -> Response[str]:
    return json_response(200, _connection_body(_lifecycle().status(_authorize(tenant_id))))


@app.delete("/tenants/<tenant_id>/connection")
def disconnect(tenant_id: str) -> Response[str]:
    return json_response(200, _connection_body(_lifecycle().disconnect(_authorize(tenant_id))))


@app.put("/tenants/<tenant_id>/connection/company")
def select_company(tenant_id: str) -> Response[str]:
    _authorize(tenant_id)
    request = parse_body(app.current_event.body, SelectCompanyRequest)
    connection = _lifecycle().select_company(tenant_id, request.party_id)
    return json_response(200, _connection_body(connection))


@app.get("/tenants/<tenant_id>/settings")
def get_settings(tenant_id: str) -> Response[str]:
    """The settings (defaults until saved) and notes, e.g. that Billit has no employees."""
    return json_response(200, services().settings_page.read(_authorize(tenant_id)).as_json())


@app.put("/tenants/<tenant_id>/settings")
def put_settings(tenant_id: str) -> Response[str]:
    """Replace all settings; an invalid body is a 422 that names each wrong field."""
    _authorize(tenant_id)
    settings = parse_body(app.current_event.body, TenantSettings)
    return json_response(200, services().settings_page.save(tenant_id, settings).as_json())


@app.get("/tenants/<tenant_id>/sync-log")
def get_sync_log(tenant_id: str) -> Response[str]:
    """The log panel, newest first: ``?limit=&cursor=&level=&category=&lang=`` (422 names a
    wrong parameter; a cursor that is not this tenant's own is a 400)."""
    _authorize(tenant_id)
    try:
        query = LogPanelQuery.from_query(app.current_event.query_string_parameters)
    except InvalidLogPanelQueryError as invalid:
        body = {
            "error": {"code": "invalid_query", "message": str(invalid), "fields": invalid.fields}
        }
        return json_response(422, body)
    return json_response(200, services().log_panel.read(tenant_id, query).as_json())


@app.post("/tenants/<tenant_id>/sync")
def sync_now(tenant_id: str) -> Response[str]:
    """Queue an import for this tenant now (``full``: read everything, not only changes)."""
    _authorize(tenant_id)
    request = parse_body(app.current_event.body, SyncNowRequest)
    job = services().manual_sync.request_import(tenant_id, full=request.full)
    if job is None:
        body = {
            "queued": False,
            "full": request.full,
            "reason": "imports_off",
            "message": "No import is switched on in the settings, so there is nothing to sync.",
        }
        return json_response(200, body)
    return json_response(202, {"queued": True, "full": job.full})


@app.post("/tenants/<tenant_id>/exports/retry")
def retry_exports(tenant_id: str) -> Response[str]:
    """The log panel's Sync button: export one failed work order (``row_id``) or all failed
    ones (``{}``) again, after the user fixed what the log said."""
    _authorize(tenant_id)
    request = parse_body(app.current_event.body, RetryExportsRequest)
    try:
        result = services().export_retry.retry(
            tenant_id, request.row_id, workorder_no=request.workorder_no
        )
    except ExportNotFoundError as unknown:
        return error_response(404, "unknown_export", str(unknown))
    except ExportNotFailedError as not_failed:
        return error_response(409, "not_failed", str(not_failed))
    if not result.reset:
        body = {"queued": 0, "message": "There are no failed exports to retry."}
        return json_response(200, body)
    body = {"queued": len(result.queued), "row_ids": result.queued}
    if result.deferred:
        body["deferred"] = len(result.deferred)
        body["message"] = (
            "Some work orders could not be queued now; the next scheduled run exports them."
        )
    return json_response(202, body)


@app.get("/tenants/<tenant_id>/exports/<workorder>")
def get_export(tenant_id: str, workorder: str) -> Response[str]:
    """One work order's export for OutSmart's work-order screen, by row id or by the work
    order number the log panel shows: ledger state, invoice id and number, sent / delivered /
    refused / paid, and the last problem."""
    _authorize(tenant_id)
    try:
        status = services().export_status.read(tenant_id, unquote(workorder))
    except ExportNotKnownError as unknown:
        return error_response(404, "unknown_export", str(unknown))
    return json_response(200, status.as_json())


# clear_state: the previous request's tenant_id never reaches this request's lines.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
# No response in the trace: the registration answer carries the OutSmart webhook secret once.
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
