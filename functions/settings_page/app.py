"""The Billit settings page and log panel, server-rendered HTML that OutSmart embeds (issue 15).

GET /ui/open?ticket=… trades OutSmart's single-use ``settings`` ticket for a session cookie
and redirects to GET /ui/settings (so no credential stays in the URL). Every POST carries the
session's CSRF token. Thin handler: read the cookie, the query and the form, call
``billit_sync.settings_ui``, answer with a page or a redirect. Nothing from the query string,
the form or the cookie is ever logged.
"""

import os
import time
from functools import cache
from typing import Any, Final
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.api.cookies import cookie_value, host_cookie
from billit_sync.api.forms import urlencoded_form
from billit_sync.config import RuntimeConfig
from billit_sync.connection.browser_binding import BROWSER_COOKIE, STATE_TTL
from billit_sync.errors import IntegrationError, UnknownTenantError
from billit_sync.messages import Language
from billit_sync.observability import logger, metrics
from billit_sync.settings_ui.render import (
    content_security_policy,
    message_page,
    render,
    security_headers,
    stylesheet,
)
from billit_sync.settings_ui.service import PAGE_PATH, PageRequest, SettingsUi
from billit_sync.settings_ui.sessions import SESSION_COOKIE, SESSION_TTL, UiSession
from billit_sync.tickets import (
    ForbiddenTicketError,
    InvalidTicketError,
    TicketScope,
    authorize,
    verify_ticket,
)
from billit_sync.wiring import Services

app = APIGatewayHttpResolver()

MAX_FORM_BYTES: Final = 32_768
MAX_FORM_FIELDS: Final = 200


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def _base_url() -> str:
    return services().public_base_url(app.current_event.request_context.domain_name)


def _ui() -> SettingsUi:
    return services().settings_ui(_base_url())


def _csp() -> str:
    return content_security_policy(
        services().config.return_url_allow_list, [str(services().config.billit_login_url)]
    )


def _html(status: int, body: str, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.TEXT_HTML,
        body=body,
        headers=security_headers(_csp()),
        cookies=cookies,
    )


def _see_other(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    headers = security_headers(_csp()) | {"Location": location}
    return Response(
        status_code=303, content_type=content_types.TEXT_PLAIN, body="", headers=headers,
        cookies=cookies,
    )  # fmt: skip


def _language(value: str | None) -> Language:
    return "nl" if value == "nl" else "en"


def _refused(status: int, language: Language, what: str, *, back: bool = False) -> Response[str]:
    return _html(
        status, message_page(language, f"refused.{what}.title", f"refused.{what}", back=back)
    )


def _session() -> UiSession | None:
    session_id = cookie_value(app.current_event.cookies, SESSION_COOKIE)
    return services().ui_sessions.get(session_id)


def _page_after(notice: str, language: str | None) -> Response[str]:
    query = {"notice": notice} | ({"lang": language} if language in ("en", "nl") else {})
    return _see_other(f"{PAGE_PATH}?{urlencode(query)}")


def _same_origin() -> bool:
    """Defence in depth beside the CSRF token: a browser that says where a POST comes from
    must say this service (``Origin``) or same-origin (``Sec-Fetch-Site``)."""
    headers = {k.lower(): v for k, v in app.current_event.headers.items()}
    origin = headers.get("origin")
    if origin is not None and origin != "null" and origin.rstrip("/") != _base_url().rstrip("/"):
        return False
    fetch_site = headers.get("sec-fetch-site")
    return fetch_site in (None, "same-origin", "none")


def _checked_post() -> tuple[UiSession, dict[str, list[str]]] | Response[str]:
    """The session and the form of a state-changing POST, or the refusal to send."""
    event = app.current_event
    form = urlencoded_form(
        event.body,
        is_base64_encoded=bool(event.is_base64_encoded),
        max_bytes=MAX_FORM_BYTES,
        max_fields=MAX_FORM_FIELDS,
    )
    language = _language(next(iter(form.get("lang", [])), None))
    session = _session()
    if session is None:
        return _refused(401, language, "session")
    sent = form.get("csrf_token", [])
    if len(sent) != 1 or not session.csrf_matches(sent[0]) or not _same_origin():
        logger.warning("settings page POST refused: CSRF check failed")
        return _refused(403, language, "csrf", back=True)
    logger.append_keys(tenant_id=session.tenant_id)
    return session, form


def _field(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[-1] if values else None


@app.get("/ui/open")
def open_page() -> Response[str]:
    """``?ticket=…``: OutSmart's single-use ``settings`` ticket, traded for a session."""
    query = app.current_event.query_string_parameters or {}
    language = _language(query.get("lang"))
    try:
        claims = verify_ticket(query.get("ticket"), services().ticket_keyring, now=time.time())
        authorize(claims, tenant_id=claims.tenant, scope=TicketScope.SETTINGS)
    except (InvalidTicketError, ForbiddenTicketError):
        return _refused(401, language, "link")
    if claims.jti is None or not services().used_tickets.first_use(claims.jti, claims.exp):
        logger.info("settings link refused: already used", extra={"tenant_id": claims.tenant})
        return _refused(401, language, "link")
    if services().tenants.get(claims.tenant) is None:
        return _refused(401, language, "link")
    logger.append_keys(tenant_id=claims.tenant)
    created = services().ui_sessions.create(claims.tenant)
    cookie = host_cookie(
        SESSION_COOKIE,
        created.session_id,
        max_age=int(SESSION_TTL.total_seconds()),
        # None: the page lives in OutSmart's iframe (another site); the CSRF token and the
        # Origin check protect the forms, Partitioned keeps it working without third-party
        # cookies.
        same_site=SameSite.NONE_MODE,
        partitioned=True,
    )
    logger.info("settings page opened")
    target = PAGE_PATH + (f"?lang={language}" if query.get("lang") in ("en", "nl") else "")
    return _see_other(target, cookies=[cookie])


@app.get("/ui/settings")
def show_page() -> Response[str]:
    request = PageRequest.from_query(app.current_event.query_string_parameters)
    session = _session()
    if session is None:
        return _refused(401, request.language or "en", "session")
    logger.append_keys(tenant_id=session.tenant_id)
    view = _ui().page(session.tenant_id, session.csrf_token, request)
    return _html(200, render("settings.html", **vars(view)))


@app.post("/ui/settings")
def save_settings() -> Response[str]:
    checked = _checked_post()
    if isinstance(checked, Response):
        return checked
    session, form = checked
    ui = _ui()
    request = PageRequest.from_query({"lang": _field(form, "lang") or ""})
    language = ui.language_of(session.tenant_id, request)
    saved, document, errors = ui.save(session.tenant_id, form, language)
    if saved:
        return _page_after("saved", request.language)
    view = ui.page(
        session.tenant_id, session.csrf_token, request, form_document=document, form_errors=errors
    )
    return _html(422, render("settings.html", **vars(view)))


@app.post("/ui/connect")
def connect() -> Response[str]:
    """Open settings / Reconnect: the Billit login, bound to this browser like /connect."""
    checked = _checked_post()
    if isinstance(checked, Response):
        return checked
    session, form = checked
    language = PageRequest.from_query({"lang": _field(form, "lang") or ""}).language
    started = _ui().start_connect(session.tenant_id, language)
    cookie = host_cookie(
        BROWSER_COOKIE,
        started.browser_nonce,
        max_age=int(STATE_TTL.total_seconds()),
        same_site=SameSite.LAX_MODE,  # as /connect: sent on Billit's top-level redirect back
    )
    return _see_other(started.location, cookies=[cookie])


@app.post("/ui/company")
def select_company() -> Response[str]:
    checked = _checked_post()
    if isinstance(checked, Response):
        return checked
    session, form = checked
    notice = _ui().select_company(session.tenant_id, _field(form, "party_id"))
    return _page_after(notice, _field(form, "lang"))


@app.post("/ui/sync")
def import_now() -> Response[str]:
    checked = _checked_post()
    if isinstance(checked, Response):
        return checked
    session, form = checked
    return _page_after(_ui().import_now(session.tenant_id), _field(form, "lang"))


@app.post("/ui/retry")
def retry() -> Response[str]:
    """The log panel's Sync: one failed work order (``workorder_no``) or all failed ones."""
    checked = _checked_post()
    if isinstance(checked, Response):
        return checked
    session, form = checked
    notice = _ui().retry(session.tenant_id, _field(form, "workorder_no"))
    return _page_after(notice, _field(form, "lang"))


@app.post("/ui/disconnect")
def disconnect() -> Response[str]:
    """The power icon, after its confirmation."""
    checked = _checked_post()
    if isinstance(checked, Response):
        return checked
    session, form = checked
    return _page_after(_ui().disconnect(session.tenant_id), _field(form, "lang"))


@app.get("/ui/static/settings.css")
def css() -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/css; charset=utf-8",
        body=stylesheet(),
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def failed(error: IntegrationError) -> Response[str]:
    if isinstance(error, UnknownTenantError):
        return _refused(401, "en", "session")
    logger.exception("settings page request failed", extra={"error": type(error).__name__})
    return _html(503, message_page("en", "page.title", "notice.unavailable", back=True))


app.exception_handler(IntegrationError)(failed)


# clear_state: the previous request's tenant_id never reaches this request's lines.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
