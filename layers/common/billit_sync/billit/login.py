"""Billit's login URL (the authorization request, reference §2): plain URL building, apart
from the OAuth client's token calls, so ``/connect`` sends the browser to Billit without
loading an HTTP client (cold start, issue 16)."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

_STATE = re.compile(r"^[A-Za-z0-9._~-]{1,512}$")


@dataclass(frozen=True)
class BillitLogin:
    """The Logon URL of one Billit environment for one client and redirect URI."""

    login_url: str
    client_id: str
    redirect_uri: str

    def authorize_url(self, state: str) -> str:
        """Billit's Logon URL with client_id, redirect_uri and state (no scope is documented)."""
        if not _STATE.match(state):
            raise ValueError("state must be 1-512 URL-safe characters (no '&')")
        query = urlencode(
            {"client_id": self.client_id, "redirect_uri": self.redirect_uri, "state": state}
        )
        return f"{self.login_url}?{query}"
