"""GET /connect starts the Billit login; GET /oauth/callback finishes it.

Thin handler: read the query, call the connect flow, answer with a redirect or a clear page.
Browser routes answer in HTML; nothing from the query string is ever logged.
"""

import os
import time
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.pages import html_page, redirect
from billit_sync.config import RuntimeConfig
from billit_sync.connection.connect_flow import ConnectFlow, InvalidStateError
from billit_sync.errors import BadInputError, IntegrationError, UnknownTenantError
from billit_sync.observability import logger, metrics
from billit_sync.tickets import (
    ForbiddenTicketError,
    InvalidTicketError,
    TicketScope,
    authorize,
    verify_ticket,
)
from billit_sync.wiring import Services

app = APIGatewayHttpResolver()


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def _flow() -> ConnectFlow:
    domain = app.current_event.request_context.domain_name
    return services().connect_flow(services().public_base_url(domain))


@app.get("/connect")
def connect() -> Response[str]:
    """``?ticket=…&return_url=…``: the ticket names the tenant (and proves OutSmart sent it)."""
    query = app.current_event.query_string_parameters or {}
    try:
        claims = verify_ticket(query.get("ticket"), services().ticket_key, now=time.time())
        authorize(claims, tenant_id=claims.tenant, scope=TicketScope.TENANT)
        logger.append_keys(tenant_id=claims.tenant)
        return redirect(_flow().start(claims.tenant, query.get("return_url")).location)
    except (InvalidTicketError, ForbiddenTicketError):
        return html_page(
            401,
            "Link expired",
            "This link is not valid any more. Open the Billit settings in OutSmart again.",
        )
    except UnknownTenantError as error:
        return html_page(404, "Cannot connect", str(error))
    except BadInputError as error:
        return html_page(400, "Cannot connect", str(error))


@app.get("/oauth/callback")
def oauth_callback() -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    try:
        outcome = _flow().complete(
            state=query.get("state"), code=query.get("code"), error=query.get("error")
        )
    except InvalidStateError as error:
        return html_page(
            400, "Billit login not accepted", f"{error} Go back to OutSmart and connect again."
        )
    except IntegrationError:
        logger.exception("OAuth callback failed")
        return html_page(
            503, "Billit login not finished", "Something went wrong on our side. Try again."
        )
    return redirect(outcome.location)


# clear_state: the previous request's tenant_id never reaches this request's lines.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
