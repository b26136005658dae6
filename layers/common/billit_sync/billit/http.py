"""The authenticated executor every Billit REST call goes through.

It adds the bearer token, ``Accept`` and the ``PartyID`` company header, a timeout on every
call, retries through the shared ``RetryingSender`` (reads are safe; creates, sends, webhook
registrations are not), one forced token refresh on ``AccessTokenExpired``, and maps error
answers to the typed exceptions of ``billit.errors``.
"""

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from billit_sync.billit import wire
from billit_sync.billit.credentials import BillitCredentials
from billit_sync.billit.endpoints import BillitEndpoints
from billit_sync.billit.errors import (
    ACCESS_TOKEN_EXPIRED,
    BillitCompanyNotSelectedError,
    BillitProtocolError,
    BillitUnreadableResultError,
    error_for_response,
    parse_error_codes,
)
from billit_sync.http.retry import RetryingSender, RetryPolicy
from billit_sync.observability import logger

# Every call has a timeout: a slow connect fails fast, a slow answer gets half a minute.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
PARTY_ID_HEADER = "PartyID"
# Safe calls are logged at debug level, except slow ones: "slowest Billit calls" must see them.
SLOW_CALL_MS = 2000

_NO_BODY: Any = object()


def read_json(response: httpx.Response, *, unsafe: bool = False) -> Any:
    """The JSON of a 2xx answer with exact decimals, or ``BillitProtocolError``.

    On an unsafe call the write did take effect, so the error is also "outcome unknown".
    """
    try:
        return wire.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        request = response.request
        error = BillitUnreadableResultError if unsafe else BillitProtocolError
        raise error(
            f"Billit {request.method} {request.url.path}: HTTP {response.status_code} "
            "with a body that is not valid JSON",
            status_code=response.status_code,
            method=request.method,
            path=request.url.path,
        ) from None


class BillitHttp:
    """Sends one logical Billit request: auth, company header, timeout, retries, error mapping."""

    def __init__(
        self,
        client: httpx.Client,
        endpoints: BillitEndpoints,
        credentials: BillitCredentials,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._client = client
        self.endpoints = endpoints
        self._credentials = credentials
        self._timeout = timeout
        self._sender = RetryingSender(
            client,
            policy=retry or RetryPolicy(),
            sleep=sleep,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
        )

    @property
    def party_id(self) -> int | None:
        return self._credentials.party_id

    def _url(self, target: str) -> httpx.URL:
        """A path under the API, or an absolute URL that must be on the API's origin."""
        if target.startswith("/"):
            return httpx.URL(self.endpoints.api(target))
        url = httpx.URL(target)
        if not self.endpoints.is_api_origin(url):
            # Never send the bearer token to another host.
            raise BillitProtocolError(
                "refusing to call a URL outside the configured Billit API",
                path=url.path,
            )
        return url

    def _company_headers(self, company: bool, method: str, path: str) -> dict[str, str]:
        if not company:
            return {}
        party_id = self._credentials.party_id
        if party_id is None:
            raise BillitCompanyNotSelectedError(
                f"Billit {method} {path}: no Billit company (PartyID) chosen for this connection",
                method=method,
                path=path,
            )
        return {PARTY_ID_HEADER: str(party_id)}

    def request(
        self,
        method: str,
        target: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = _NO_BODY,
        headers: Mapping[str, str] | None = None,
        company: bool = True,
        unsafe: bool = False,
    ) -> httpx.Response:
        """A 2xx response, or a typed ``BillitApiError``/``TransientError``.

        ``company`` adds the PartyID header (all calls but accountInformation); ``unsafe``
        marks calls that must not be repeated blindly (a 5xx then means "outcome unknown").
        """
        method = method.upper()
        url = self._url(target)
        base_headers = {"Accept": "application/json", **(headers or {})}
        base_headers.update(self._company_headers(company, method, url.path))
        content: bytes | None = None
        if json is not _NO_BODY:
            content = wire.dumps(json)
            base_headers["Content-Type"] = "application/json"

        started = time.monotonic()
        forced = False
        while True:
            token = self._credentials.access_token(force_refresh=forced)

            def build(token: str = token) -> httpx.Request:
                return self._client.build_request(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers={**base_headers, "Authorization": f"Bearer {token}"},
                    timeout=self._timeout,
                )

            response = self._sender.send(build, unsafe=unsafe)
            if response.status_code == 401 and not forced and _token_expired(response):
                # Billit refused the request before processing it: refresh once, try again.
                logger.info(
                    "Billit access token expired; refreshing once",
                    extra={"method": method, "path": url.path},
                )
                forced = True
                continue
            break

        # The whole logical call: retries, backoff and a token refresh included.
        elapsed_ms = round((time.monotonic() - started) * 1000)
        log = logger.info if unsafe or elapsed_ms >= SLOW_CALL_MS else logger.debug
        log(
            "Billit call",
            extra={
                "method": method,
                "path": url.path,
                "status": response.status_code,
                "elapsed_ms": elapsed_ms,
            },
        )
        if response.is_success:
            return response
        response.read()
        raise error_for_response(response, unsafe=unsafe)

    def get_json(
        self, target: str, *, params: Mapping[str, str] | None = None, company: bool = True
    ) -> Any:
        """GET (safe, retried) and parse the JSON answer with exact decimals."""
        return read_json(self.request("GET", target, params=params, company=company))


def _token_expired(response: httpx.Response) -> bool:
    response.read()
    return any(code.matches(ACCESS_TOKEN_EXPIRED) for code in parse_error_codes(response.content))
