"""Billit OAuth2 authorization-code flow: authorize URL, code exchange, refresh, revoke.

Token calls are *unsafe*: a code and a refresh token work once, so a grant whose answer was
lost (timeout after sending, 5xx) raises ``OutcomeUnknownError`` and is never retried
blindly. Tokens travel as ``SecretStr`` so an accidental log shows ``**********``.
"""

import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, SecretStr

from billit_sync.billit.endpoints import BillitEndpoints
from billit_sync.billit.errors import (
    BillitGrantRefusedError,
    BillitProtocolError,
    BillitUnreadableResultError,
    error_for_response,
    parse_error_codes,
)
from billit_sync.billit.http import DEFAULT_TIMEOUT, read_json
from billit_sync.billit.login import BillitLogin
from billit_sync.http.retry import RetryingSender, RetryPolicy
from billit_sync.observability import logger

Clock = Callable[[], datetime]

# Billit documents expires_in as always 3600 s; used only if an answer omits it.
DEFAULT_EXPIRES_IN = 3600
# The state travels through Billit's redirect untouched: URL-safe characters only, no '&'.


def utc_now() -> datetime:
    return datetime.now(UTC)


class TokenSet(BaseModel):
    """One access/refresh token pair; store it atomically (the refresh token rotates)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_token: SecretStr
    refresh_token: SecretStr
    expires_at: AwareDatetime
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret

    def expires_within(self, seconds: float, *, now: datetime) -> bool:
        """True when the access token expires in less than ``seconds`` (refresh ~5 min early)."""
        return self.expires_at - now < timedelta(seconds=seconds)


def _secret(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class BillitOAuth:
    """The OAuth client of one Billit environment (one client id/secret, fixed redirect URI)."""

    def __init__(
        self,
        client: httpx.Client,
        endpoints: BillitEndpoints,
        client_id: str,
        client_secret: SecretStr,
        redirect_uri: str | None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Clock = utc_now,
    ) -> None:
        if not client_id:
            raise ValueError("client_id is required")
        if redirect_uri is not None and httpx.URL(redirect_uri).query:
            raise ValueError("Billit does not allow own query parameters on the redirect URI")
        self._client = client
        self._endpoints = endpoints
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._timeout = timeout
        self._clock = clock
        self._sender = RetryingSender(
            client,
            policy=retry or RetryPolicy(),
            sleep=sleep,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
        )

    def authorize_url(self, state: str) -> str:
        """Billit's Logon URL with client_id, redirect_uri and state (``BillitLogin``)."""
        login = BillitLogin(
            self._endpoints.login_url, self._client_id, self._require_redirect_uri()
        )
        return login.authorize_url(state)

    def exchange_code(self, code: str) -> TokenSet:
        """Trade the callback's single-use code for the first token pair."""
        if not code:
            raise ValueError("authorization code is empty")
        return self._grant(
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self._client_id,
                "client_secret": self._client_secret.get_secret_value(),
                "redirect_uri": self._require_redirect_uri(),
            },
            previous_refresh_token=None,
        )

    def _require_redirect_uri(self) -> str:
        """Login and code exchange need the registered redirect URI; refresh and revoke do not,
        so workers without a public URL can still keep tokens fresh."""
        if self._redirect_uri is None:
            raise ValueError("this BillitOAuth has no redirect URI; it can only refresh/revoke")
        return self._redirect_uri

    def refresh(self, refresh_token: str | SecretStr) -> TokenSet:
        """Trade a (single-use) refresh token for a new pair; store the result atomically."""
        token = _secret(refresh_token)
        if not token:
            raise ValueError("refresh token is empty")
        return self._grant(
            {
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": self._client_id,
                "client_secret": self._client_secret.get_secret_value(),
            },
            previous_refresh_token=token,
        )

    def revoke(self, access_token: str | SecretStr) -> None:
        """Ask Billit to revoke the token; a token Billit already refuses counts as revoked.

        Callers drop their stored tokens whatever happens here.
        """
        response = self._sender.send(lambda: self._revoke_request(_secret(access_token)))
        if response.is_success:
            return
        response.read()
        if response.status_code in {400, 401}:
            logger.info(
                "Billit revoke: token already unusable", extra={"status": response.status_code}
            )
            return
        raise error_for_response(response, unsafe=False)

    def _revoke_request(self, access_token: str) -> httpx.Request:
        """⚠ Swagger lists no revoke parameters: assume it revokes the bearer token it is sent."""
        return self._client.build_request(
            "POST",
            self._endpoints.revoke_url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=self._timeout,
        )

    def _grant(self, body: Mapping[str, str], *, previous_refresh_token: str | None) -> TokenSet:
        def build() -> httpx.Request:
            # JSON body and no Authorization header (reference §2).
            return self._client.build_request(
                "POST",
                self._endpoints.token_url,
                json=dict(body),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )

        sent_at = self._clock()
        response = self._sender.send(build, unsafe=True)
        if not response.is_success:
            response.read()
            if _is_refused(response):
                request = response.request
                codes = parse_error_codes(response.content)
                raise BillitGrantRefusedError(
                    f"Billit refused the {body['grant_type']} grant (HTTP "
                    f"{response.status_code}, {', '.join(c.code for c in codes) or 'no code'}); "
                    "the user must connect Billit again",
                    status_code=response.status_code,
                    codes=codes,
                    method=request.method,
                    path=request.url.path,
                )
            raise error_for_response(response, unsafe=True)
        data = read_json(response, unsafe=True)
        return _token_set(data, sent_at, previous_refresh_token, response)


def _is_refused(response: httpx.Response) -> bool:
    """400/401 with any body: the grant is refused, the user must connect again.

    Token-endpoint errors are undocumented (reference §2): OAuth's ``{"error": …}`` or
    Billit's own ``{"errors": [{"Code": …}]}``, with unknown codes. Any 400/401 means "this
    code or refresh token will not work"; 5xx and timeouts stay transient/outcome unknown.
    """
    return response.status_code in {400, 401}


def _field(data: Mapping[str, Any], name: str) -> Any:
    for key, value in data.items():
        if str(key).lower() == name:
            return value
    return None


def _token_set(
    data: Any, sent_at: datetime, previous_refresh_token: str | None, response: httpx.Response
) -> TokenSet:
    """Read the token answer; timings count from when the grant was sent (conservative)."""
    path = response.request.url.path

    def unreadable(what: str) -> BillitProtocolError:
        return BillitUnreadableResultError(
            f"Billit POST {path}: token answer without a usable {what}",
            status_code=response.status_code,
            method="POST",
            path=path,
        )

    if not isinstance(data, Mapping):
        raise unreadable("object")
    access = _field(data, "access_token")
    if not isinstance(access, str) or not access:
        raise unreadable("access_token")
    refresh = _field(data, "refresh_token")
    if not isinstance(refresh, str) or not refresh:
        refresh = _missing_refresh_token(previous_refresh_token)
        if refresh is None:
            raise unreadable("refresh_token")
    expires_in = _field(data, "expires_in")
    try:
        seconds = int(expires_in) if expires_in is not None else DEFAULT_EXPIRES_IN
    except (TypeError, ValueError):
        raise unreadable("expires_in") from None
    token_type = _field(data, "token_type")
    return TokenSet(
        access_token=SecretStr(access),
        refresh_token=SecretStr(refresh),
        expires_at=sent_at.astimezone(UTC) + timedelta(seconds=max(0, seconds)),
        token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
    )


def _missing_refresh_token(previous: str | None) -> str | None:
    """⚠ Billit documents a new refresh token on every refresh (rotation). Should an answer
    omit it, keep the one just used rather than losing the connection: at worst the next
    refresh is refused and the user reconnects, which is what dropping it would force now.
    """
    return previous
