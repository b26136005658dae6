"""Every error of the JSON routes as an RFC 9457 problem (``application/problem+json``).

OutSmart's developers get one shape for every failure, whatever produced it (the ticket check,
Powertools' request validation, the domain, an unmatched route, a bug): ``type``, ``title``,
``status``, ``detail``, ``instance`` (the path that failed), plus two extension members,
``code`` (a stable machine name, the last segment of ``type``) and ``request_id`` (API
Gateway's request id, the correlation id of the service's log lines, to quote to support).
A validation problem adds ``errors``: one entry per wrong field, naming where it was
(``body``, ``query``, ``path``) and what is wrong, never the value that was sent.
"""

import json
from typing import Any, Final, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "urn:outsmart-billit:problem:"
"""``type`` is a URN (RFC 9457 §3.1.1 allows any absolute URI; a URN promises nothing to
dereference, and each one is listed with its meaning in ``docs/openapi.json``)."""

TITLES: Final[dict[str, str]] = {
    "malformed_body": "The request body is not JSON",
    "bad_request": "Bad request",
    "invalid_tenant_id": "Invalid tenant id",
    "unauthorized": "Not authenticated",
    "forbidden": "Forbidden",
    "unknown_tenant": "Unknown tenant",
    "unknown_export": "Unknown work order export",
    "not_found": "No such route",
    "method_not_allowed": "Method not allowed",
    "not_connected": "Billit is not connected",
    "company_connected_elsewhere": "The Billit company is connected to another tenant",
    "not_failed": "The export has not failed",
    "unsupported_media_type": "Unsupported media type",
    "invalid_body": "The request body is invalid",
    "invalid_query": "The query string is invalid",
    "invalid_request": "The request is invalid",
    "too_many_requests": "Too many requests",
    "internal_error": "Internal error",
    "unavailable": "Service unavailable",
}
"""One title per ``code``: RFC 9457 §3.1.3, the title does not change between occurrences."""


# Only an error answer builds these: pydantic makes their validators on the first one, not on
# every cold start of a function that mostly answers 2xx (``defer_build``, issue 16). Spelled
# out in each class: the pydantic mypy plugin reads ``populate_by_name`` only from a literal.
class FieldProblem(BaseModel):
    """One wrong field of a request (RFC 9457 §3 "errors" extension, as in its example)."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    field: str = Field(description="Dotted name of the field, e.g. 'settings.exports.delivery'")
    location: Literal["body", "query", "path", "header"] = Field(
        alias="in", description="Where the field was"
    )
    detail: str = Field(description="What is wrong with it (never the value that was sent)")


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every 4xx and 5xx of the JSON routes."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    type: str = Field(
        description="URN naming the kind of problem",
        examples=["urn:outsmart-billit:problem:not_connected"],
    )
    title: str = Field(description="Short summary of the kind of problem (never changes)")
    status: int = Field(ge=400, le=599, description="The HTTP status code")
    detail: str = Field(description="What went wrong in this occurrence, for a person")
    instance: str = Field(description="The path of the request that failed")
    code: str = Field(description="Machine name of the kind of problem (last part of type)")
    request_id: str | None = Field(
        None, description="API Gateway's request id: quote it to support (it is in every log line)"
    )
    errors: list[FieldProblem] | None = Field(
        None, description="Validation problems only: one entry per wrong field"
    )


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str,
    request_id: str | None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    problem = Problem(
        type=problem_type(code),
        title=TITLES.get(code, code.replace("_", " ").capitalize()),
        status=status,
        detail=detail,
        instance=instance,
        code=code,
        request_id=request_id,
        errors=errors,
    )
    body: dict[str, Any] = problem.model_dump(mode="json", by_alias=True, exclude_none=True)
    return Response(
        status_code=status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def field_problems(
    fields: list[dict[str, str]], location: Literal["body", "query", "path", "header"]
) -> list[FieldProblem]:
    """The ``{"field", "problem"}`` lists the domain's validation errors carry, as problems."""
    return [
        FieldProblem(field=item["field"], location=location, detail=item["problem"])
        for item in fields
    ]
