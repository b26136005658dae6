"""GET /connect starts the Billit login; GET /oauth/callback asks the user to confirm;
POST /oauth/confirm stores the connection (issue 14: bound to the browser and the intent).

Thin handler: read the query, the form and the cookie, call the connect flow, answer with a
redirect or a clear page. Browser routes answer in HTML; nothing from the query string, the
form or the cookie is ever logged.
"""

import base64
import binascii
import os
import time
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.connect_pages import (
    company_taken_page,
    confirmation_expired_page,
    confirmation_page,
)
from billit_sync.api.pages import html_page, redirect
from billit_sync.config import RuntimeConfig
from billit_sync.connection.browser_binding import BROWSER_COOKIE, STATE_TTL
from billit_sync.connection.connect_outcomes import (
    CompanyTakenError,
    ConfirmationExpiredError,
    ConfirmationNeeded,
    InvalidStateError,
)
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

if TYPE_CHECKING:  # /oauth/callback and /oauth/confirm only: /connect needs no HTTP client
    from billit_sync.connection.connect_flow import ConnectFlow

app = APIGatewayHttpResolver()

MAX_FORM_BYTES = 4096


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def _public_base_url() -> str:
    return services().public_base_url(app.current_event.request_context.domain_name)


def _flow() -> "ConnectFlow":
    return services().connect_flow(_public_base_url())


def _browser_cookie(value: str, max_age: int) -> Cookie:
    """``__Host-``: Secure, Path=/ and no Domain, so no sibling host can set or read it."""
    return Cookie(
        name=BROWSER_COOKIE,
        value=value,
        path="/",
        secure=True,
        http_only=True,
        # Lax: sent on Billit's top-level redirect back, never on another site's POST.
        same_site=SameSite.LAX_MODE,
        max_age=max_age,
    )


_CLEAR_COOKIE = [_browser_cookie("", 0)]


def _browser_nonce() -> str | None:
    for cookie in app.current_event.cookies or []:
        name, _, value = cookie.partition("=")
        if name.strip() == BROWSER_COOKIE and value.strip():
            return value.strip()
    return None


def _link_expired() -> Response[str]:
    return html_page(
        401,
        "Link expired",
        "This link is not valid any more. Open the Billit settings in OutSmart again.",
    )


@app.get("/connect")
def connect() -> Response[str]:
    """``?ticket=…&return_url=…``: a single-use ``connect`` ticket (never a tenant ticket)
    names the tenant and proves OutSmart sent the user."""
    query = app.current_event.query_string_parameters or {}
    try:
        claims = verify_ticket(query.get("ticket"), services().ticket_keyring, now=time.time())
        authorize(claims, tenant_id=claims.tenant, scope=TicketScope.CONNECT)
        if claims.jti is None or not services().used_tickets.first_use(claims.jti, claims.exp):
            logger.info("connect link refused: already used", extra={"tenant_id": claims.tenant})
            return _link_expired()
        logger.append_keys(tenant_id=claims.tenant)
        started = (
            services().login_start(_public_base_url()).start(claims.tenant, query.get("return_url"))
        )
        cookie = _browser_cookie(started.browser_nonce, int(STATE_TTL.total_seconds()))
        return redirect(started.location, cookies=[cookie])
    except (InvalidTicketError, ForbiddenTicketError):
        return _link_expired()
    except UnknownTenantError as error:
        return html_page(404, "Cannot connect", str(error))
    except BadInputError as error:
        return html_page(400, "Cannot connect", str(error))


@app.get("/oauth/callback")
def oauth_callback() -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    try:
        outcome = _flow().complete(
            state=query.get("state"),
            code=query.get("code"),
            error=query.get("error"),
            browser_nonce=_browser_nonce(),
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
    if isinstance(outcome, ConfirmationNeeded):
        return confirmation_page(outcome, cookies=[])
    return redirect(outcome.location, cookies=_CLEAR_COOKIE)


def _form() -> dict[str, str]:
    """The confirmation form (urlencoded), first value of each field; {} when unreadable."""
    event = app.current_event
    body = event.body or ""
    if len(body) > 2 * MAX_FORM_BYTES:
        return {}
    try:
        raw = base64.b64decode(body, validate=True) if event.is_base64_encoded else body.encode()
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        return {}
    fields = parse_qs(text, max_num_fields=10)
    return {name: values[0] for name, values in fields.items() if values}


@app.post("/oauth/confirm")
def oauth_confirm() -> Response[str]:
    """The user's answer on the confirmation page: same-site POST, same browser, once."""
    form = _form()
    try:
        outcome = _flow().confirm(
            confirmation_id=form.get("confirmation"),
            browser_nonce=_browser_nonce(),
            party_id=form.get("party_id"),
            accept=form.get("decision") == "connect",
        )
    except ConfirmationExpiredError:
        return confirmation_expired_page(cookies=_CLEAR_COOKIE)
    except CompanyTakenError as taken:
        return company_taken_page(taken, cookies=_CLEAR_COOKIE)
    except IntegrationError:
        logger.exception("OAuth confirmation failed")
        return html_page(
            503, "Billit connection not finished", "Something went wrong on our side. Try again."
        )
    return redirect(outcome.location, cookies=_CLEAR_COOKIE)


# clear_state: the previous request's tenant_id never reaches this request's lines.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
