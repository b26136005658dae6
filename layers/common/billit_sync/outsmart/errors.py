"""OutSmart's envelope codes as typed errors of the service's four kinds.

OutSmart answers HTTP 200 even when a call fails; ``code`` in ``{"code","messages","response"}``
decides. Messages here name the endpoint (never a URL with its query string: the tokens travel
there) and OutSmart's own messages.
"""

from billit_sync.errors import IntegrationError, TransientError, UserFixableError

OK = 200
NO_DATA_CHANGED = 1503  # UpdateWorkorder: the value was already set; success for the caller

AUTH_CODES = frozenset({1002, 1003, 1004, 1005})
SERVER_ERROR_CODES = frozenset({1007})
NOT_FOUND_CODES = frozenset({1500})
# xx00 insert/update failed, xx01 required field missing, per entity: employee 11, material 12,
# relation 13, hourtype 18, category 24, material category 25, workstatus 28.
ENTITY_PREFIXES = (11, 12, 13, 18, 24, 25, 28)
VALIDATION_CODES = frozenset(
    {prefix * 100 + suffix for prefix in ENTITY_PREFIXES for suffix in (0, 1)}
    | {1008, 1009, 1501, 1504}
)


class OutSmartApiError(IntegrationError):
    """OutSmart refused or failed a call. ``code`` is the envelope code (or 0 / the HTTP status
    when no envelope arrived); ``messages`` are OutSmart's own."""

    def __init__(self, code: int, messages: list[str] | None = None, *, endpoint: str = "") -> None:
        self.code = code
        self.messages = list(messages or [])
        self.endpoint = endpoint
        detail = "; ".join(self.messages) or "no message"
        where = f"{endpoint}: " if endpoint else ""
        super().__init__(f"OutSmart {where}code {code}: {detail}")


class OutSmartAuthError(OutSmartApiError, UserFixableError):
    """1002 to 1005: the tenant's OutSmart token is missing, unknown or not licensed for us."""


class OutSmartNotFoundError(OutSmartApiError, UserFixableError):
    """1500: the work order does not exist (deleted in OutSmart, or a wrong id)."""


class OutSmartValidationError(OutSmartApiError, UserFixableError):
    """OutSmart rejected the data (xx00/xx01, 1008, 1009, 1501, 1504)."""


class OutSmartServerError(OutSmartApiError, TransientError):
    """1007: an uncaught error inside OutSmart; retried, then reported as transient."""


class OutSmartProtocolError(OutSmartApiError, TransientError):
    """The reply was not the documented JSON envelope (or not the shape the call returns)."""


class OutSmartUnavailableError(OutSmartApiError, TransientError):
    """No usable HTTP answer after the retries: a non-200 status, timeouts or connection errors.

    ``status_code`` is the last HTTP status, or ``None`` when no answer arrived at all.
    """

    def __init__(
        self,
        code: int,
        messages: list[str] | None = None,
        *,
        endpoint: str = "",
        status_code: int | None = None,
    ) -> None:
        super().__init__(code, messages, endpoint=endpoint)
        self.status_code = status_code


class OutSmartDataError(OutSmartApiError, UserFixableError):
    """A record OutSmart returned has a value we cannot read (e.g. a date that is no date).

    ``record_id`` names the record (a work order's row id); the message names the field and the
    offending value only.
    """

    def __init__(self, record_id: str, messages: list[str], *, endpoint: str = "") -> None:
        super().__init__(0, messages, endpoint=endpoint)
        self.record_id = record_id


class OutSmartDocumentError(OutSmartDataError):
    """A work-order document (``PdfUrl``) could not be fetched: not on OutSmart's hosts, not
    found, not a PDF, too large, or unreachable. The message never holds the URL (its
    ``sheet_id`` is the document's only key, outsmart-api.md §4.1 Documents)."""

    def __init__(self, reason: str) -> None:
        super().__init__("PdfUrl", [reason], endpoint="PdfUrl")
        self.reason = reason


def error_for_code(code: int, messages: list[str], *, endpoint: str) -> OutSmartApiError:
    """The typed error for an envelope code other than 200.

    Codes without a specific class (1000/1001 unknown endpoint, 1006 not HTTPS, 1502 no data,
    1600 delete failed, anything new) are configuration or programming errors: they come back as
    the plain ``OutSmartApiError`` (kind: transient, so the work is retried later and alarms).
    """
    cls: type[OutSmartApiError]
    if code in AUTH_CODES:
        cls = OutSmartAuthError
    elif code in NOT_FOUND_CODES:
        cls = OutSmartNotFoundError
    elif code in VALIDATION_CODES:
        cls = OutSmartValidationError
    elif code in SERVER_ERROR_CODES:
        cls = OutSmartServerError
    else:
        cls = OutSmartApiError
    return cls(code, messages, endpoint=endpoint)
