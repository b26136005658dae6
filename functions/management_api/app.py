"""Management API for OutSmart's Billit settings page (tenant-authenticated routes).

Thin handler with a typed contract: Powertools validates paths, queries and bodies against
the annotations (``enable_validation=True``), the ticket check is a dependency of each route
(``Depends``), answers are pydantic models, and every error is an RFC 9457 problem
(``billit_sync.api.errors``). ``docs/openapi.json`` is generated from this module
(``make openapi``; ``billit_sync.api.openapi``) and a test fails when the two drift apart.
"""

import os
import time
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from billit_sync.api.auth import bearer_token, require_ticket
from billit_sync.api.errors import register_error_handlers
from billit_sync.api.openapi import (
    SWAGGER_PATH,
    TENANT_EXAMPLE,
    problem_responses,
    success,
    swagger_enabled,
)
from billit_sync.api.requests import load_json_object
from billit_sync.api.responses import model_response
from billit_sync.api.settings_document import (
    MERGE_PATCH_CONTENT_TYPE,
    SettingsDocument,
    complete_document_model,
    merged_settings,
    replacement_settings,
)
from billit_sync.config import RuntimeConfig
from billit_sync.log_panel import LogPanelPage, LogPanelQuery
from billit_sync.observability import logger, metrics
from billit_sync.settings_page import SettingsView
from billit_sync.store import Connection
from billit_sync.store.sync_log import MAX_PAGE_SIZE
from billit_sync.sync.exports.jobs import CanonicalRowId, outsmart_webhook_url
from billit_sync.sync.exports.status import ExportStatus
from billit_sync.tenancy import TENANT_ID_PATTERN, validate_tenant_id
from billit_sync.tickets import TicketClaims, TicketScope
from billit_sync.wiring import Services

if TYPE_CHECKING:  # built on the connection routes only (cold start, issue 16)
    from billit_sync.connection.lifecycle import ConnectionLifecycle

# The body a PUT takes is the GET document with every setting required (built from the
# settings models, so mypy sees the plain document).
if TYPE_CHECKING:
    PutSettingsDocument = SettingsDocument
else:
    PutSettingsDocument = complete_document_model()

app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=load_json_object)
register_error_handlers(app)
if swagger_enabled(os.environ):
    # Only the local dev server sets the flag (local/dev.py); the template never does, and
    # tests/unit/infrastructure checks that. The document's module (Powertools' OpenAPI
    # models) is loaded only here: answering a request never needs it.
    from billit_sync.api.openapi_document import document_settings

    app.enable_swagger(path=SWAGGER_PATH, **document_settings())


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


# ------------------------------------------------------------------------- the ticket check
def _ticket(request: Request, scope: TicketScope) -> TicketClaims:
    """The path's tenant (checked first: it is input), then the ticket for it and ``scope``:
    401 for a missing, forged or expired ticket, 403 for another tenant's or scope's."""
    tenant_id = str(request.path_parameters.get("tenant_id", ""))
    validate_tenant_id(tenant_id)
    claims = require_ticket(
        bearer_token(request.headers),
        services().ticket_keyring,
        now=time.time(),
        tenant_id=tenant_id,
        scope=scope,
    )
    logger.append_keys(tenant_id=tenant_id)
    return claims


def tenant_ticket(request: Request) -> TicketClaims:
    """Dependency of every tenant route: a ``tenant`` ticket for the path's tenant."""
    return _ticket(request, TicketScope.TENANT)


def admin_ticket(request: Request) -> TicketClaims:
    """Dependency of the registration route: an ``admin`` ticket."""
    return _ticket(request, TicketScope.ADMIN)


TenantTicket = Annotated[TicketClaims, Depends(tenant_ticket)]
AdminTicket = Annotated[TicketClaims, Depends(admin_ticket)]
TenantId = Annotated[
    str,
    Path(
        description="The OutSmart customer (tenant) id; an invalid one is a 400",
        pattern=TENANT_ID_PATTERN.pattern,
        examples=[TENANT_EXAMPLE],
    ),
]


# ------------------------------------------------------------------------------ the bodies
# Each model below is one or two routes' body or answer: pydantic builds its validator when such
# a route first uses it, not on every cold start (``defer_build``, issue 16).
ROUTE_MODEL: Final = ConfigDict(defer_build=True)
ROUTE_BODY: Final = ConfigDict(extra="forbid", defer_build=True)


class RegisterTenantRequest(BaseModel):
    model_config = ROUTE_BODY

    outsmart_token: SecretStr = Field(
        min_length=1, max_length=512, description="The tenant's OutSmart API token"
    )
    language: Literal["en", "nl"] = "nl"
    rotate_outsmart_webhook_secret: bool = Field(
        False, description="Replace the OutSmart webhook secret (the old one stops working)"
    )


class TenantRegistration(BaseModel):
    model_config = ROUTE_MODEL

    tenant_id: str
    language: Literal["en", "nl"]
    outsmart_webhook_url: str = Field(description="Where OutSmart's automation posts work orders")


class NewTenantRegistration(TenantRegistration):
    """The first registration, or one that rotated the OutSmart webhook secret."""

    outsmart_webhook_secret: str = Field(
        description="Shown this once (the answer is not cached); afterwards only a rotation "
        "shows one"
    )


class SelectCompanyRequest(BaseModel):
    model_config = ROUTE_BODY

    party_id: int = Field(gt=0, description="Billit PartyID of the company to invoice from")


class RetryExportsRequest(BaseModel):
    model_config = ROUTE_BODY

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


class RetryResult(BaseModel):
    model_config = ROUTE_MODEL

    queued: int = Field(description="Work orders queued for export again")
    row_ids: list[str] = Field(default_factory=list)
    deferred: int | None = Field(None, description="Reset but queued by the next scheduled run")
    message: str | None = None


class SyncNowRequest(BaseModel):
    model_config = ROUTE_BODY

    full: bool = Field(False, description="Read everything from Billit, not only changes")


class SyncQueued(BaseModel):
    model_config = ROUTE_MODEL

    queued: bool
    full: bool
    reason: Literal["imports_off"] | None = Field(
        None, description="Why nothing was queued (no import is switched on)"
    )
    message: str | None = None


def _lifecycle() -> "ConnectionLifecycle":
    domain = app.current_event.request_context.domain_name
    return services().connection_lifecycle(services().public_base_url(domain))


def _settings_document(view: SettingsView) -> SettingsDocument:
    return SettingsDocument(settings=view.settings, notes=list(view.notes))


# ------------------------------------------------------------------------------ the routes
@app.put(
    "/tenants/<tenant_id>",
    summary="Register a tenant (admin ticket)",
    tags=["tenants"],
    responses=success(200, NewTenantRegistration | TenantRegistration)
    | problem_responses(401, 403, 422, 503),
)
def register_tenant(
    tenant_id: TenantId,
    ticket: AdminTicket,
    request: Annotated[RegisterTenantRequest, Body()],
) -> Response[NewTenantRegistration | TenantRegistration]:
    """Admin only: the tenant's OutSmart API token and language, kept in its own secret."""
    registration = _lifecycle().register(
        tenant_id,
        request.outsmart_token,
        request.language,
        rotate_outsmart_webhook_secret=request.rotate_outsmart_webhook_secret,
    )
    tenant = registration.tenant
    domain = app.current_event.request_context.domain_name
    body = TenantRegistration(
        tenant_id=tenant.tenant_id,
        language=tenant.language,
        outsmart_webhook_url=outsmart_webhook_url(
            services().public_base_url(domain), tenant.tenant_id
        ),
    )
    secret = registration.new_outsmart_webhook_secret
    if secret is None:
        return model_response(200, body)
    return model_response(
        200,
        NewTenantRegistration(
            **body.model_dump(), outsmart_webhook_secret=secret.get_secret_value()
        ),
    )


@app.get(
    "/tenants/<tenant_id>/connection",
    summary="The Billit connection",
    tags=["connection"],
    responses=success(200, Connection) | problem_responses(401, 403, 404),
)
def get_connection(tenant_id: TenantId, ticket: TenantTicket) -> Response[Connection]:
    return model_response(200, _lifecycle().status(tenant_id))


@app.delete(
    "/tenants/<tenant_id>/connection",
    summary="Disconnect Billit (the power icon)",
    tags=["connection"],
    responses=success(200, Connection) | problem_responses(401, 403, 404),
)
def disconnect(tenant_id: TenantId, ticket: TenantTicket) -> Response[Connection]:
    return model_response(200, _lifecycle().disconnect(tenant_id))


@app.put(
    "/tenants/<tenant_id>/connection/company",
    summary="Choose the Billit company (an account with several)",
    tags=["connection"],
    responses=success(200, Connection) | problem_responses(401, 403, 404, 409, 422),
)
def select_company(
    tenant_id: TenantId,
    ticket: TenantTicket,
    request: Annotated[SelectCompanyRequest, Body()],
) -> Response[Connection]:
    return model_response(200, _lifecycle().select_company(tenant_id, request.party_id))


@app.get(
    "/tenants/<tenant_id>/settings",
    summary="The settings document",
    tags=["settings"],
    responses=success(200, SettingsDocument) | problem_responses(401, 403, 404),
)
def get_settings(tenant_id: TenantId, ticket: TenantTicket) -> Response[SettingsDocument]:
    """The settings (defaults until saved) and notes, e.g. that Billit has no employees."""
    return model_response(200, _settings_document(services().settings_page.read(tenant_id)))


@app.put(
    "/tenants/<tenant_id>/settings",
    summary="Replace every setting (send back what GET answers)",
    tags=["settings"],
    responses=success(200, SettingsDocument) | problem_responses(401, 403, 404, 422, 503),
)
def put_settings(
    tenant_id: TenantId,
    ticket: TenantTicket,
    document: Annotated[PutSettingsDocument, Body()],
) -> Response[SettingsDocument]:
    """Replace all settings with the whole document ``GET`` answers (``notes`` is read-only
    and ignored). A setting left out is a 422 naming it, never a silent reset to its
    default: ``PATCH`` changes a part. A changed work status must be one OutSmart knows."""
    view = services().settings_page.save(tenant_id, replacement_settings(document))
    return model_response(200, _settings_document(view))


@app.patch(
    "/tenants/<tenant_id>/settings",
    summary="Change some settings (JSON merge patch, RFC 7396)",
    tags=["settings"],
    responses=success(200, SettingsDocument) | problem_responses(400, 401, 403, 404, 422, 503),
    openapi_extensions={
        "requestBody": {
            "required": True,
            "description": "A JSON merge patch (RFC 7396) of the settings document: only the "
            "settings named change, nested objects are merged, null puts a setting back to "
            "its default, an unknown name is a 422. Sent as application/merge-patch+json "
            "or application/json.",
            "content": {
                media: {
                    "schema": {"$ref": "#/components/schemas/SettingsDocument"},
                    "examples": {
                        "send_by_peppol": {
                            "summary": "Send invoices by Peppol, status Betaald when paid",
                            "value": {
                                "settings": {
                                    "exports": {
                                        "delivery": "peppol",
                                        "workstatus_when_paid": "Betaald",
                                    }
                                }
                            },
                        }
                    },
                }
                for media in (MERGE_PATCH_CONTENT_TYPE, "application/json")
            },
        }
    },
)
def patch_settings(tenant_id: TenantId, ticket: TenantTicket) -> Response[SettingsDocument]:
    """Merge a partial settings document into the saved one (RFC 7396): nothing the caller
    did not send changes. The body is read here, not by Powertools, whose validation knows
    only ``application/json``; it is the same strict JSON reader (``load_json``)."""
    patch = load_json_object(app.current_event.decoded_body or "")
    page = services().settings_page
    settings = merged_settings(page.read(tenant_id).settings, patch)
    return model_response(200, _settings_document(page.save(tenant_id, settings)))


@app.get(
    "/tenants/<tenant_id>/sync-log",
    summary="The log panel, newest first",
    tags=["log panel"],
    responses=success(200, LogPanelPage) | problem_responses(400, 401, 403, 404, 422),
)
def get_sync_log(
    tenant_id: TenantId,
    ticket: TenantTicket,
    *,
    limit: Annotated[
        str | None, Query(description=f"Entries per page, 1 to {MAX_PAGE_SIZE}", examples=["25"])
    ] = None,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page (this tenant's own)")
    ] = None,
    level: Annotated[
        list[str] | None,
        Query(
            description="Levels: info, warning, error (repeated or comma-separated)",
            examples=["error"],
        ),
    ] = None,
    category: Annotated[
        list[str] | None,
        Query(
            description="Categories: import, export, webhook, connection (repeated or "
            "comma-separated)",
            examples=["export,webhook"],
        ),
    ] = None,
    lang: Annotated[
        str | None, Query(description="Language of the messages: en or nl (else the tenant's)")
    ] = None,
) -> Response[LogPanelPage]:
    """The log panel. The parameters stay text here and ``LogPanelQuery`` reads them, so a
    wrong one is a 422 naming every wrong parameter at once; a repeated level or category
    means the same as a comma-separated one; a cursor that is not this tenant's own is a 400."""
    raw = {
        "limit": limit,
        "cursor": cursor,
        "level": ",".join(level or []),
        "category": ",".join(category or []),
        "lang": lang,
    }
    query = LogPanelQuery.from_query({name: value for name, value in raw.items() if value})
    return model_response(200, services().log_panel.read(tenant_id, query))


@app.post(
    "/tenants/<tenant_id>/sync",
    summary="Import from Billit now",
    tags=["sync"],
    status_code=202,
    responses=success(202, SyncQueued, also=200) | problem_responses(401, 403, 404, 409, 422),
)
def sync_now(
    tenant_id: TenantId,
    ticket: TenantTicket,
    request: Annotated[SyncNowRequest, Body()] = SyncNowRequest(),  # noqa: B008
) -> Response[SyncQueued]:
    """Queue an import for this tenant now (``full``: read everything, not only changes);
    200 with ``queued: false`` when no import is switched on."""
    job = services().manual_sync.request_import(tenant_id, full=request.full)
    if job is None:
        body = SyncQueued(
            queued=False,
            full=request.full,
            reason="imports_off",
            message="No import is switched on in the settings, so there is nothing to sync.",
        )
        return model_response(200, body)
    return model_response(202, SyncQueued(queued=True, full=job.full))


@app.post(
    "/tenants/<tenant_id>/exports/retry",
    summary="Export failed work orders again (the log panel's Sync button)",
    tags=["exports"],
    status_code=202,
    responses=success(202, RetryResult, also=200) | problem_responses(401, 403, 404, 409, 422),
)
def retry_exports(
    tenant_id: TenantId,
    ticket: TenantTicket,
    request: Annotated[RetryExportsRequest, Body()] = RetryExportsRequest(),  # noqa: B008
) -> Response[RetryResult]:
    """Export one failed work order (``row_id`` or ``workorder_no``) or all failed ones
    (``{}``) again, after the user fixed what the log said."""
    result = services().export_retry.retry(
        tenant_id, request.row_id, workorder_no=request.workorder_no
    )
    if not result.reset:
        body = RetryResult(queued=0, message="There are no failed exports to retry.")
        return model_response(200, body)
    answer = RetryResult(queued=len(result.queued), row_ids=result.queued)
    if result.deferred:
        answer.deferred = len(result.deferred)
        answer.message = (
            "Some work orders could not be queued now; the next scheduled run exports them."
        )
    return model_response(202, answer)


@app.get(
    "/tenants/<tenant_id>/exports/<workorder>",
    summary="One work order's export",
    tags=["exports"],
    responses=success(200, ExportStatus) | problem_responses(401, 403, 404),
)
def get_export(
    tenant_id: TenantId,
    ticket: TenantTicket,
    workorder: Annotated[
        str,
        Path(
            description="The work order's row id, or its number as the log panel shows it",
            examples=["WB-1936"],
        ),
    ],
) -> Response[ExportStatus]:
    """One work order's export for OutSmart's work-order screen: ledger state, invoice id
    and number, sent / delivered / refused / paid, and the last problem."""
    return model_response(200, services().export_status.read(tenant_id, unquote(workorder)))


# clear_state: the previous request's tenant_id never reaches this request's lines.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
# No response in the trace: the registration answer carries the OutSmart webhook secret once.
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
