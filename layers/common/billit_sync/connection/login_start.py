"""``/connect``: send the browser to Billit's login with a fresh state bound to it.

The first step of connecting (``connection.connect_flow`` has the rest): the OAuth ``state``
(256 random bits) is stored with the tenant, the return URL and the hash of a random nonce the
caller sets as a ``__Host-`` cookie in this browser (RFC 9700 §4.7; issue 14). It needs no
HTTP client and no Billit client, so the OAuth function's ``/connect`` and the settings page
load neither for it (cold start, issue 16).
"""

import secrets
from dataclasses import dataclass
from typing import Final

from billit_sync.billit.login import BillitLogin
from billit_sync.connection.browser_binding import STATE_TTL
from billit_sync.connection.connect_outcomes import StartedLogin
from billit_sync.connection.return_urls import check_return_url
from billit_sync.errors import UnknownTenantError
from billit_sync.observability import logger
from billit_sync.store import OAuthStateStore, TenantStore

STATE_BYTES: Final = 32  # 256 bits: the state, the browser nonce, a confirmation id


@dataclass
class LoginStart:
    tenants: TenantStore
    states: OAuthStateStore
    login: BillitLogin
    return_url_allow_list: tuple[str, ...]

    def start(self, tenant_id: str, return_url: str | None) -> StartedLogin:
        """Where to send the browser: Billit's login with a fresh, stored state bound to a
        fresh browser nonce (the caller sets it as the ``BROWSER_COOKIE``)."""
        checked_return_url = check_return_url(return_url, self.return_url_allow_list)
        if self.tenants.get(tenant_id) is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
        state = secrets.token_urlsafe(STATE_BYTES)
        browser_nonce = secrets.token_urlsafe(STATE_BYTES)
        self.states.put(
            state,
            tenant_id,
            checked_return_url,
            ttl_seconds=int(STATE_TTL.total_seconds()),
            browser_nonce=browser_nonce,
        )
        logger.info("sending browser to the Billit login", extra={"tenant_id": tenant_id})
        return StartedLogin(self.login.authorize_url(state), browser_nonce)
