"""Billit's OAuth2 authorization-code flow: login/consent page, codes, tokens, revocation.

Codes live 10 minutes and work once, bound to client + redirect URI + user. Access tokens live
``access_token_lifetime`` seconds by the fake's clock. Refresh tokens never expire but work
once (each refresh rotates the pair); only the issuing client may use them.
"""

import hmac
import html
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import httpx

from tests.fakes.billit.errors import ApiError, OAuthError

CODE_LIFETIME = 600


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class AccessToken:
    user: str
    client_id: str
    expires_at: float
    refresh_token: str = field(repr=False)
    revoked: bool = False


@dataclass
class RefreshToken:
    user: str
    client_id: str
    used: bool = False
    revoked: bool = False


class OAuthServer:
    """Codes and tokens; callers hold the fake's lock."""

    def __init__(self, clock: Callable[[], float], access_token_lifetime: int) -> None:
        self._clock = clock
        self._lifetime = access_token_lifetime
        self.clients: dict[str, OAuthClient] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self.refreshes = 0
        self._issued: set[str] = set()

    def add_client(self, client_id: str, client_secret: str, redirect_uris: Sequence[str]) -> None:
        self.clients[client_id] = OAuthClient(client_id, client_secret, tuple(redirect_uris))

    # -- authorize -------------------------------------------------------------------------

    def authorize_problem(self, client_id: str | None, redirect_uri: str | None) -> str | None:
        """Why Billit would keep the user on its own error page, or None when all is well."""
        client = self.clients.get(client_id or "")
        if client is None:
            return "Unknown client_id."
        if (
            not redirect_uri
            or urlsplit(redirect_uri).query
            or redirect_uri not in client.redirect_uris
        ):
            return "The redirect_uri is not registered for this application."
        return None

    def issue_code(self, client_id: str, redirect_uri: str, user: str) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[code] = AuthorizationCode(client_id, redirect_uri, user, self._clock())
        self._issued.add(code)
        return code

    def issued_values(self) -> set[str]:
        return set(self._issued)

    # -- token endpoint --------------------------------------------------------------------

    def _client(self, body: dict[str, object]) -> OAuthClient:
        client = self.clients.get(str(body.get("client_id") or ""))
        secret = str(body.get("client_secret") or "")
        if client is None or not hmac.compare_digest(secret, client.client_secret):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        return client

    def token(self, body: dict[str, object]) -> dict[str, object]:
        grant_type = body.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is required.")
        if grant_type not in {"authorization_code", "refresh_token"}:
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type.")
        client = self._client(body)
        if grant_type == "authorization_code":
            return self._exchange_code(client, body)
        return self._refresh_grant(client, body)

    def _exchange_code(self, client: OAuthClient, body: dict[str, object]) -> dict[str, object]:
        raw_code = body.get("code")
        if not isinstance(raw_code, str) or not raw_code:
            raise OAuthError(400, "invalid_request", "code is required.")
        code = self._codes.get(raw_code)
        if (
            code is None
            or code.used
            or self._clock() - code.issued_at > CODE_LIFETIME
            or code.client_id != client.client_id
            or code.redirect_uri != body.get("redirect_uri")
        ):
            raise OAuthError(400, "invalid_grant", "The authorization code is invalid or expired.")
        code.used = True
        return self._issue(code.user, client.client_id)

    def _refresh_grant(self, client: OAuthClient, body: dict[str, object]) -> dict[str, object]:
        raw = body.get("refresh_token")
        if not isinstance(raw, str) or not raw:
            raise OAuthError(400, "invalid_request", "refresh_token is required.")
        refresh = self._refresh.get(raw)
        if (
            refresh is None
            or refresh.used
            or refresh.revoked
            or refresh.client_id != client.client_id
        ):
            raise OAuthError(400, "invalid_grant", "The refresh token is invalid.")
        refresh.used = True
        self.refreshes += 1
        return self._issue(refresh.user, client.client_id)

    def _issue(self, user: str, client_id: str) -> dict[str, object]:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self._access[access] = AccessToken(
            user, client_id, self._clock() + self._lifetime, refresh_token=refresh
        )
        self._refresh[refresh] = RefreshToken(user, client_id)
        self._issued.update((access, refresh))
        return {
            "token_type": "Bearer",
            "expires_in": self._lifetime,
            "access_token": access,
            "refresh_token": refresh,
        }

    # -- bearer tokens ---------------------------------------------------------------------

    def _lookup(self, request: httpx.Request) -> AccessToken:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        token = self._access.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(401, "InvalidAccessToken", "The access token is invalid.")
        return token

    def authenticate(self, request: httpx.Request) -> str:
        """The user behind a valid bearer token; 401 with Billit's token codes otherwise."""
        token = self._lookup(request)
        if token.revoked:
            raise ApiError(401, "AccessTokenRevoked", "The access token has been revoked.")
        if self._clock() >= token.expires_at:
            raise ApiError(401, "AccessTokenExpired", "The access token has expired.")
        return token.user

    def revoke_bearer(self, request: httpx.Request) -> None:
        token = self._lookup(request)
        token.revoked = True
        self._refresh[token.refresh_token].revoked = True

    def revoke_user(self, user: str) -> None:
        for token in self._access.values():
            if token.user == user:
                token.revoked = True
        for refresh in self._refresh.values():
            if refresh.user == user:
                refresh.revoked = True


def redirect_location(redirect_uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{redirect_uri}?{query}"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body></html>
"""


def error_page(message: str) -> httpx.Response:
    body = f'<p class="error">{html.escape(message)}</p>'
    return httpx.Response(
        400,
        content=_PAGE.format(title="Billit - Error", body=body).encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def login_page(
    client_id: str, redirect_uri: str, state: str | None, error: str | None = None
) -> httpx.Response:
    """Billit's login form with the consent buttons, posting back to ``/Account/Logon``."""
    hidden = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    fields = "\n".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in hidden.items()
        if value is not None
    )
    problem = f'<p class="error">{html.escape(error)}</p>\n' if error else ""
    app = html.escape(client_id)
    body = f"""<p>The application <b>{app}</b> asks access to your Billit companies.</p>
{problem}<form method="post" action="/Account/Logon">
{fields}
<label>E-mail <input type="email" name="email" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>"""
    return httpx.Response(
        200,
        content=_PAGE.format(title="Billit - Log in", body=body).encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
