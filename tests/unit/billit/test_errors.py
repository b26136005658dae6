"""Billit's error envelope → typed exceptions; malformed bodies never crash the mapping."""

import httpx
import pytest

from billit_sync.billit.errors import (
    BillitAuthRevokedError,
    BillitConflictError,
    BillitErrorCode,
    BillitNotFoundError,
    BillitOutcomeUnknownError,
    BillitRateLimitedError,
    BillitRequestError,
    BillitServerError,
    BillitUnauthorizedError,
    BillitValidationError,
    error_for_response,
    parse_error_codes,
)
from billit_sync.errors import (
    AuthExpiredError,
    OutcomeUnknownError,
    TransientError,
    UserFixableError,
)


def _response(status: int, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("POST", "https://api.example.test/v1/orders?secret=abc")
    return httpx.Response(status, content=content, headers=headers, request=request)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"errors":[{"Code":"GenericError","Description":"Bad"}]}', (("GenericError", "Bad"),)),
        (b'{"Errors":[{"code":"X"}]}', (("X", None),)),
        (b'{"error":"invalid_grant","error_description":"nope"}', (("invalid_grant", "nope"),)),
        (b'{"errors":"Oops"}', (("Oops", None),)),
        (b'{"errors":{"Code":"One"}}', (("One", None),)),
        (b'[{"Code":"A"},"B",3,null]', (("A", None), ("B", None))),
        (b"", ()),
        (b"<html>500</html>", ()),
        (b'{"Items": [{"unterminated', ()),
        (b"null", ()),
        (b"42", ()),
        (b'{"errors":[1,2,{"Other":"x"}]}', ()),
        (b"\xff\xfe", ()),
        (b"[" * 100_000, ()),
    ],
)
def test_parse_error_codes_never_fails(
    body: bytes, expected: tuple[tuple[str, str | None], ...]
) -> None:
    codes = parse_error_codes(body)
    assert tuple((code.code, code.description) for code in codes) == expected


def test_codes_compare_case_insensitively() -> None:
    assert BillitErrorCode("AccessTokenExpired").matches("accesstokenexpired")
    error = error_for_response(
        _response(409, b'{"errors":[{"Code":"IDEMPOTENT TOKEN ALREADY EXISTS"}]}'), unsafe=True
    )
    assert isinstance(error, BillitConflictError)
    assert error.is_idempotency_replay
    assert error.has_code("idempotent token already exists")


@pytest.mark.parametrize(
    ("status", "body", "unsafe", "error_type", "kind"),
    [
        (
            400,
            b'{"errors":[{"Code":"GenericError"}]}',
            False,
            BillitValidationError,
            UserFixableError,
        ),
        (
            401,
            b'{"errors":[{"Code":"accesstokenrevoked"}]}',
            False,
            BillitAuthRevokedError,
            AuthExpiredError,
        ),
        (
            401,
            b'{"errors":[{"Code":"InvalidAccessToken"}]}',
            False,
            BillitAuthRevokedError,
            AuthExpiredError,
        ),
        (
            401,
            b'{"errors":[{"Code":"NoAccess"}]}',
            False,
            BillitUnauthorizedError,
            UserFixableError,
        ),
        (404, b"", False, BillitNotFoundError, UserFixableError),
        (409, b"not json", True, BillitConflictError, UserFixableError),
        (403, b"{}", False, BillitRequestError, UserFixableError),
        (429, b"{}", False, BillitRateLimitedError, TransientError),
        (503, b"<html>", False, BillitServerError, TransientError),
        (500, b"{}", True, BillitOutcomeUnknownError, OutcomeUnknownError),
    ],
)
def test_status_mapping(
    status: int, body: bytes, unsafe: bool, error_type: type[Exception], kind: type[Exception]
) -> None:
    error = error_for_response(_response(status, body), unsafe=unsafe)
    assert type(error) is error_type
    assert isinstance(error, kind)
    assert error.status_code == status
    assert error.method == "POST"
    assert error.path == "/v1/orders"
    assert "secret" not in str(error)
    assert "?" not in str(error)


def test_conflict_without_replay_code() -> None:
    error = error_for_response(_response(409, b'{"errors":[{"Code":"Other"}]}'), unsafe=True)
    assert isinstance(error, BillitConflictError)
    assert not error.is_idempotency_replay


def test_rate_limited_keeps_retry_after() -> None:
    error = error_for_response(_response(429, b"{}", {"Retry-After": "7"}), unsafe=False)
    assert isinstance(error, BillitRateLimitedError)
    assert error.retry_after == 7.0


def test_server_error_on_unsafe_call_is_not_a_plain_server_error() -> None:
    error = error_for_response(_response(502, b"{}"), unsafe=True)
    assert not isinstance(error, BillitServerError)
    assert "look it up" in str(error)


def test_long_descriptions_are_cut() -> None:
    body = b'{"errors":[{"Code":"GenericError","Description":"' + b"x" * 5000 + b'"}]}'
    error = error_for_response(_response(400, body), unsafe=False)
    assert len(str(error)) < 400
