"""The four kinds of failure the design distinguishes, so callers decide by kind, not by source.

- ``BadInputError``: input from outside is invalid (answered with a 4xx, nothing stored);
- ``UserFixableError``: data the tenant has to fix (sync-log error with the fix, not retried);
- ``TransientError``: retry later with backoff (429, 5xx, timeouts, throttling);
- ``AuthExpiredError``: the Billit connection must be re-authorised; syncs pause.

``OutcomeUnknownError`` is the transient case where a non-idempotent call may or may not have
taken effect: the caller must look the result up before trying again.

Messages never contain tokens, secrets or full URLs with query strings.
"""

from enum import StrEnum


class ErrorKind(StrEnum):
    BAD_INPUT = "bad_input"
    USER_FIXABLE = "user_fixable"
    TRANSIENT = "transient"
    AUTH = "auth"


class IntegrationError(Exception):
    """Base of every error this service raises on purpose."""

    kind: ErrorKind = ErrorKind.TRANSIENT


class BadInputError(IntegrationError):
    kind = ErrorKind.BAD_INPUT


class UnknownTenantError(BadInputError):
    """The tenant has not been registered (answered with 404)."""


class ConnectionRequiredError(BadInputError):
    """The operation needs a connected Billit account (answered with 409)."""


class CompanyConnectedElsewhereError(ConnectionRequiredError):
    """The company is connected to another tenant (issue 14: one company, one tenant): 409."""


class WebhookRefusedError(BadInputError):
    """A webhook delivery the service refuses (Billit's or OutSmart's): nothing was queued."""


class WebhookUnauthorizedError(WebhookRefusedError):
    """401: one answer for every reason (no signature or secret, a wrong or stale one, an
    unknown tenant), so a caller learns nothing by probing."""

    def __init__(self, message: str = "missing or invalid webhook secret") -> None:
        super().__init__(message)


class WebhookBadRequestError(WebhookRefusedError):
    """400: the body is not what the sender documents. The message names fields, never
    values."""


class InvalidLogPanelQueryError(BadInputError):
    """A query parameter of the log panel is wrong (422); ``fields`` names each one."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("the query is invalid: " + ", ".join(field["field"] for field in fields))
        self.fields = fields


class ExportNotFoundError(BadInputError):
    """404: the ledger has no export for this work order (never queued, or not yet)."""


class ExportNotFailedError(BadInputError):
    """409: the work order's export did not fail (it is done or in progress); ``state`` is
    the ledger's state (its value), when there is an entry."""

    def __init__(self, message: str, state: str | None) -> None:
        super().__init__(message)
        self.state = state


class UserFixableError(IntegrationError):
    kind = ErrorKind.USER_FIXABLE


class TransientError(IntegrationError):
    kind = ErrorKind.TRANSIENT


class OutcomeUnknownError(TransientError):
    """A write was sent but its result was not received; look it up before retrying."""


class AuthExpiredError(IntegrationError):
    kind = ErrorKind.AUTH
