"""What the management API's routes declare for its OpenAPI document: each route's success
model and the problems it can answer (``application/problem+json``, RFC 9457), with examples
from the demo data, and the document's own texts.

The document itself is put together in ``billit_sync.api.openapi_document``, apart: it needs
Powertools' OpenAPI models, which the deployed handler never uses (validating a request does
not), so the handler does not load them on a cold start (issue 16).
"""

from collections.abc import Mapping
from typing import Any, Final

from billit_sync.api.problems import PROBLEM_CONTENT_TYPE, TITLES, Problem, problem_type

TITLE: Final = "OutSmart ↔ Billit management API"
VERSION: Final = "1.0.0"
SWAGGER_PATH: Final = "/swagger"
SWAGGER_FLAG: Final = "MANAGEMENT_API_SWAGGER_UI"
"""Set to ``true`` by ``make dev`` only: the deployed function never serves Swagger UI."""
TENANT_EXAMPLE: Final = "claes-installaties"
SECURITY_SCHEME: Final = "ticket"

DESCRIPTION: Final = """\
The API OutSmart's back end calls for one tenant (an OutSmart customer) to connect Billit,
read and change the Billit settings, read the log panel, and retry failed exports.

Every call carries a tenant ticket, `Authorization: Bearer <ticket>`: a JWT (HS256) that
OutSmart mints per request with the app secret's `ticket_signing_key` (README, *How OutSmart
uses it*). A missing or invalid ticket is a 401, another tenant's or scope's a 403; the ticket
is checked before the request is validated, so a caller without one learns nothing else.

Every error is an RFC 9457 problem (`application/problem+json`): `type`, `title`, `status`,
`detail`, `instance`, plus `code` and `request_id` (quote it to support) and, for a 422,
`errors` naming each wrong field. An unknown path or method under `/tenants/` is a 404 or a
405 problem (with `Allow`). API Gateway's own answers, before the function runs, are the
exceptions: its throttling (429 when the stage's rate limit is exceeded) and a path outside
the API's routes (404) answer `{"message": "..."}`.
"""

_EXAMPLE_DETAILS: Final[dict[int, tuple[str, str]]] = {
    400: ("malformed_body", "the request body is not valid JSON"),
    401: ("unauthorized", "the ticket has expired"),
    403: ("forbidden", "the ticket is for another tenant"),
    404: ("unknown_tenant", "this tenant is not registered with the integration"),
    409: (
        "not_connected",
        "Authentication expired. Reconnect the integration to sync data.",
    ),
    415: ("unsupported_media_type", "send the body as application/json"),
    422: ("invalid_body", "the request is invalid: settings.exports.delivry"),
    429: ("too_many_requests", "the service is receiving too many requests; retry after a pause"),
    500: ("internal_error", "something went wrong on our side"),
    503: ("unavailable", "the service could not finish; try again later"),
}
ALWAYS: Final = (400, 422, 429, 500, 503)
"""Every route can answer these: an invalid tenant id or body (400), a parameter Powertools
refuses (422), AWS throttling (429), a bug (500), a store or service that failed (503)."""


def _example(status: int) -> dict[str, Any]:
    code, detail = _EXAMPLE_DETAILS[status]
    example: dict[str, Any] = {
        "type": problem_type(code),
        "title": TITLES[code],
        "status": status,
        "detail": detail,
        "instance": f"/tenants/{TENANT_EXAMPLE}/settings",
        "code": code,
        "request_id": "Kx3vTgWrjoEEMbA=",
    }
    if status == 422:
        example["errors"] = [
            {
                "field": "settings.exports.delivry",
                "in": "body",
                "detail": "Extra inputs are not permitted",
            }
        ]
    return example


def problem_responses(*statuses: int) -> dict[int, Any]:
    """The problems a route answers (plus those of ``ALWAYS``, which any route can)."""
    return {
        status: {
            "description": TITLES[_EXAMPLE_DETAILS[status][0]],
            "content": {
                PROBLEM_CONTENT_TYPE: {
                    "model": Problem,
                    "examples": {_EXAMPLE_DETAILS[status][0]: {"value": _example(status)}},
                }
            },
        }
        for status in sorted({*statuses, *ALWAYS})
    }


def success(status: int, model: Any, *, also: int | None = None) -> dict[int, Any]:
    """The success answer (``also``: a second status with the same model, e.g. 200 beside
    202 when nothing was queued)."""
    answer = {"description": "Success", "content": {"application/json": {"model": model}}}
    return {status: answer} | ({also: answer} if also is not None else {})


def swagger_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(SWAGGER_FLAG, "").strip().lower() == "true"
