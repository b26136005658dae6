"""Billit's error envelope turned into typed exceptions that keep Billit's codes.

Billit answers errors with ``{"errors":[{"Code":…,"Description":…}]}`` and the token endpoint
may use the OAuth2 shape ``{"error":…,"error_description":…}``. Both become a tuple of
``BillitErrorCode``; codes compare case-insensitively. Each exception also carries one of the
service's error kinds (``billit_sync.errors``) so callers decide by kind.

Messages hold the HTTP method, the URL path (never a query string), the status and the codes:
never a token, a secret or a request body.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from billit_sync.errors import (
    AuthExpiredError,
    IntegrationError,
    OutcomeUnknownError,
    TransientError,
    UserFixableError,
)
from billit_sync.http.retry import parse_retry_after

# Token error codes of Billit (reference §7); their status is assumed to be 401.
ACCESS_TOKEN_EXPIRED = "AccessTokenExpired"  # noqa: S105 - an error code, not a secret
ACCESS_TOKEN_REVOKED = "AccessTokenRevoked"  # noqa: S105
INVALID_ACCESS_TOKEN = "InvalidAccessToken"  # noqa: S105
REVOKED_TOKEN_CODES = frozenset({ACCESS_TOKEN_REVOKED.lower(), INVALID_ACCESS_TOKEN.lower()})
# The code of a 409 that says "this idempotency key was already used" (reference §6).
IDEMPOTENT_REPLAY_CODE = "Idempotent token already exists"

# The send error meaning "an earlier send went through or is still queued" (reference §7,
# confac ``orders/sendinvoice/*.error.ts``): sent/pending, never a refusal.
ALREADY_SENT_RECENTLY = "This_0_WasAlreadySentLessThen_1_MinutesAgoTo_2_OrIsStillInTheQueue"

# Error descriptions are echoed into messages; keep them short.
_MAX_DESCRIPTION = 200
_MAX_CODES = 10


@dataclass(frozen=True)
class BillitErrorCode:
    """One entry of Billit's error envelope."""

    code: str
    description: str | None = None

    def matches(self, code: str) -> bool:
        """Billit codes are compared case-insensitively."""
        return self.code.strip().lower() == code.strip().lower()

    def __str__(self) -> str:
        return f"{self.code}: {self.description}" if self.description else self.code


class BillitApiError(IntegrationError):
    """A Billit call failed; keeps status, codes, method and path (no query, no token)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        codes: Iterable[BillitErrorCode] = (),
        method: str = "",
        path: str = "",
    ) -> None:
        self.status_code = status_code
        self.codes: tuple[BillitErrorCode, ...] = tuple(codes)
        self.method = method
        self.path = path
        super().__init__(message)

    def has_code(self, code: str) -> bool:
        return any(item.matches(code) for item in self.codes)

    @property
    def code_names(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.codes)


class BillitValidationError(BillitApiError, UserFixableError):
    """400: Billit refused the data (nothing created or sent); the codes say what to fix."""


class BillitUnauthorizedError(BillitApiError, UserFixableError):
    """401 without a token code: no access to this company or document (wrong PartyID/ID).

    Not an ``AuthExpiredError``: one wrong ID must not pause a tenant's whole connection.
    """


class BillitAuthRevokedError(BillitApiError, AuthExpiredError):
    """401 ``AccessTokenRevoked``/``InvalidAccessToken``: the user must re-authorise."""


class BillitGrantRefusedError(BillitApiError, AuthExpiredError):
    """The token endpoint refused a code or refresh token: the user must re-authorise."""


class BillitNotFoundError(BillitApiError, UserFixableError):
    """404: the party, product, order or webhook does not exist (for this company)."""


class BillitConflictError(BillitApiError, UserFixableError):
    """409: usually an idempotency replay; the original result must be looked up."""

    @property
    def is_idempotency_replay(self) -> bool:
        """Billit stores a key only after success, so a replay means the first call worked."""
        return self.has_code(IDEMPOTENT_REPLAY_CODE) or any(
            "idempot" in item.code.lower() for item in self.codes
        )


class BillitRequestError(BillitApiError, UserFixableError):
    """Any other 4xx Billit answered (403, 405, 415, 422, …)."""


class BillitRateLimitedError(BillitApiError, TransientError):
    """Still 429 after the retry budget; ``retry_after`` is Billit's hint in seconds, if any."""

    retry_after: float | None = None


class BillitServerError(BillitApiError, TransientError):
    """Still 5xx after the retry budget, on a call that is safe to repeat later."""


class BillitProtocolError(BillitApiError, TransientError):
    """Billit answered something this client cannot read (bad JSON, wrong shape, bad link)."""


class BillitOutcomeUnknownError(BillitApiError, OutcomeUnknownError):
    """An unsafe call (create, send, register, token grant) got a 5xx: it may have worked.

    Look the result up (e.g. the order by ExternalProviderID) before trying again.
    """


class BillitUnreadableResultError(BillitProtocolError, BillitOutcomeUnknownError):
    """An unsafe call succeeded but its answer is unreadable: it did take effect."""


class BillitCompanyNotSelectedError(BillitApiError, UserFixableError):
    """A company call without a PartyID: the connection has no Billit company chosen yet."""


def _lookup(mapping: Mapping[str, Any], *names: str) -> Any:
    """A value by key, case-insensitively (Billit's casing is not always the documented one)."""
    lowered = {str(key).lower(): value for key, value in mapping.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text[:_MAX_DESCRIPTION] if text else None


def _code_of(entry: Any) -> BillitErrorCode | None:
    if isinstance(entry, Mapping):
        code = _short(_lookup(entry, "Code", "error"))
        description = _short(_lookup(entry, "Description", "Message", "error_description"))
        if code is None and description is None:
            return None
        return BillitErrorCode(code=code or "", description=description)
    if isinstance(entry, str) and entry.strip():
        return BillitErrorCode(code=_short(entry) or "")
    return None


def parse_error_codes(body: bytes) -> tuple[BillitErrorCode, ...]:
    """The codes of an error body; any malformed body gives ``()``, never an exception."""
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ()
    entries: list[Any] = []
    if isinstance(data, Mapping):
        errors = _lookup(data, "errors")
        if isinstance(errors, list):
            entries.extend(errors)
        elif isinstance(errors, Mapping | str):
            entries.append(errors)
        elif _lookup(data, "error") is not None or _lookup(data, "Code") is not None:
            entries.append(data)  # OAuth2 {"error": …} or a bare {"Code": …}
    elif isinstance(data, list):
        entries.extend(data)
    codes = (_code_of(entry) for entry in entries[:_MAX_CODES])
    return tuple(code for code in codes if code is not None)


def _describe(method: str, path: str, status: int, codes: tuple[BillitErrorCode, ...]) -> str:
    detail = "; ".join(str(code) for code in codes) or "no error code"
    return f"Billit {method} {path}: HTTP {status} ({detail})"


# Statuses with one meaning whatever the codes say.
_BY_STATUS: dict[int, type[BillitApiError]] = {
    400: BillitValidationError,
    404: BillitNotFoundError,
    409: BillitConflictError,
}


def _error_class(
    status: int, codes: tuple[BillitErrorCode, ...], *, unsafe: bool
) -> type[BillitApiError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status == 401:
        revoked = any(code.code.strip().lower() in REVOKED_TOKEN_CODES for code in codes)
        return BillitAuthRevokedError if revoked else BillitUnauthorizedError
    if status == 429:
        return BillitRateLimitedError
    if status >= 500:
        return BillitOutcomeUnknownError if unsafe else BillitServerError
    return BillitRequestError


def error_for_response(response: httpx.Response, *, unsafe: bool) -> BillitApiError:
    """The typed exception for a non-2xx answer (the body must already be read)."""
    request = response.request
    status = response.status_code
    codes = parse_error_codes(response.content)
    message = _describe(request.method, request.url.path, status, codes)
    error_class = _error_class(status, codes, unsafe=unsafe)
    if error_class is BillitOutcomeUnknownError:
        message += "; it may have taken effect: look it up before retrying"
    error = error_class(
        message, status_code=status, codes=codes, method=request.method, path=request.url.path
    )
    if isinstance(error, BillitRateLimitedError):
        error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return error
