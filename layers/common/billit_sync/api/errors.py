"""One mapping from every error of the JSON routes to an RFC 9457 problem answer.

``register_error_handlers`` puts every path through it: the service's own errors, Powertools'
request validation (``enable_validation=True``), a path no route matches (404) or matches with
another method (405), AWS throttling (429) and anything unexpected (500, logged with its stack,
never shown). The ticket check runs before a 400 or 422 is shown: Powertools validates the
request before it resolves a route's dependencies, and an anonymous caller must learn nothing
about a route's body from its validation errors (401 first, as without validation).
"""

from collections.abc import Sequence
from typing import Any, Final

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.depends import (
    DependencyResolutionError,
    build_dependency_tree,
    solve_dependencies,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from billit_sync.api.problems import FieldProblem, field_problems, problem_response
from billit_sync.api.requests import MalformedBodyError, UnprocessableBodyError
from billit_sync.errors import (
    BadInputError,
    CompanyConnectedElsewhereError,
    ConnectionRequiredError,
    ExportNotFailedError,
    ExportNotFoundError,
    IntegrationError,
    InvalidLogPanelQueryError,
    UnknownTenantError,
)
from billit_sync.observability import logger
from billit_sync.store.aws_errors import AwsTransientError
from billit_sync.tenancy import InvalidTenantIdError
from billit_sync.tickets import ForbiddenTicketError, InvalidTicketError

# First match wins: specific errors before their base classes.
ANSWERS: Final[tuple[tuple[type[IntegrationError], int, str], ...]] = (
    (InvalidTicketError, 401, "unauthorized"),
    (ForbiddenTicketError, 403, "forbidden"),
    (UnknownTenantError, 404, "unknown_tenant"),
    (ExportNotFoundError, 404, "unknown_export"),
    (ExportNotFailedError, 409, "not_failed"),
    (CompanyConnectedElsewhereError, 409, "company_connected_elsewhere"),
    (ConnectionRequiredError, 409, "not_connected"),
    (MalformedBodyError, 400, "malformed_body"),
    (InvalidTenantIdError, 400, "invalid_tenant_id"),
    (BadInputError, 400, "bad_request"),
)

THROTTLING_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "Throttling",
        "TooManyRequestsException",
    }
)
"""AWS saying "slower": the caller is told to retry after a pause (429), not that the service
is down (503)."""
RETRY_AFTER_SECONDS: Final = "2"

LOCATIONS: Final = {"body", "query", "path", "header"}


def problem(
    app: APIGatewayHttpResolver,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """A problem answer for the current request (its path and request id)."""
    event = app.current_event
    return problem_response(
        status,
        code,
        detail,
        instance=event.path,
        request_id=event.request_context.request_id,
        errors=errors,
        headers=headers,
    )


def answer_for(app: APIGatewayHttpResolver, error: IntegrationError) -> Response[str]:
    if isinstance(error, UnprocessableBodyError):
        problems = field_problems(error.fields, "body")
        return problem(app, 422, "invalid_body", str(error), errors=problems)
    if isinstance(error, InvalidLogPanelQueryError):
        problems = field_problems(error.fields, "query")
        return problem(app, 422, "invalid_query", str(error), errors=problems)
    for error_type, status, code in ANSWERS:
        if isinstance(error, error_type):
            return problem(app, status, code, str(error))
    if isinstance(error, AwsTransientError) and error.code in THROTTLING_CODES:
        logger.warning("request throttled", extra={"operation": error.operation})
        return problem(
            app,
            429,
            "too_many_requests",
            "the service is receiving too many requests; retry after a pause",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    logger.exception("request failed", extra={"error": type(error).__name__})
    return problem(app, 503, "unavailable", "the service could not finish; try again later")


def validation_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    """Powertools' (pydantic's) errors as field problems: the location comes from the first
    part of ``loc``; messages only, never ``input`` (it may hold a token)."""
    problems = []
    for item in errors:
        loc = [str(part) for part in item.get("loc", ())]
        location = loc[0] if loc and loc[0] in LOCATIONS else "body"
        path = loc[1:] if loc and loc[0] in LOCATIONS else loc
        problems.append(
            FieldProblem(
                field=".".join(path) or location,
                location=location,  # type: ignore[arg-type]
                detail=str(item.get("msg") or item.get("type") or "invalid"),
            )
        )
    return problems


def _authenticate_route(app: APIGatewayHttpResolver) -> None:
    """Run the matched route's own dependencies (the ticket check) now; raises what they
    raise. Only called for answers that come before the route was called."""
    route = app.context.get("_route")
    if route is None or not getattr(route, "has_dependencies", False):
        return
    try:
        solve_dependencies(dependant=build_dependency_tree(route.func), request=app.request)
    except DependencyResolutionError as failed:
        if isinstance(failed.__cause__, Exception):
            raise failed.__cause__ from None
        raise


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    def on_integration_error(error: IntegrationError) -> Response[str]:
        if isinstance(error, BadInputError) and not isinstance(
            error, InvalidTicketError | ForbiddenTicketError
        ):
            try:
                _authenticate_route(app)
            except IntegrationError as refused:
                return answer_for(app, refused)
        return answer_for(app, error)

    def on_request_validation(error: RequestValidationError) -> Response[str]:
        try:
            _authenticate_route(app)
        except IntegrationError as refused:
            return answer_for(app, refused)
        problems = validation_problems(error.errors())
        code = "invalid_body" if all(p.location == "body" for p in problems) else "invalid_request"
        detail = "the request is invalid: " + ", ".join(p.field for p in problems)
        return problem(app, 422, code, detail, errors=problems)

    def on_unsupported_content_type(error: RequestUnsupportedContentType) -> Response[str]:
        try:
            _authenticate_route(app)
        except IntegrationError as refused:
            return answer_for(app, refused)
        return problem(app, 415, "unsupported_media_type", "send the body as application/json")

    def on_not_found(_: NotFoundError) -> Response[str]:
        allowed = _methods_for(app, app.current_event.path)
        if allowed:
            return problem(
                app,
                405,
                "method_not_allowed",
                f"this path accepts {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        return problem(app, 404, "not_found", "no route matches this path")

    def on_unexpected(error: Exception) -> Response[str]:
        logger.exception("request failed unexpectedly", extra={"error": type(error).__name__})
        return problem(app, 500, "internal_error", "something went wrong on our side")

    app.exception_handler(IntegrationError)(on_integration_error)
    app.exception_handler(RequestUnsupportedContentType)(on_unsupported_content_type)
    app.exception_handler(RequestValidationError)(on_request_validation)
    app.not_found(on_not_found)
    app.exception_handler(Exception)(on_unexpected)


def _methods_for(app: APIGatewayHttpResolver, path: str) -> list[str]:
    """The methods of the routes whose rule matches ``path`` (for 405 and ``Allow``).
    Powertools keeps its routes in private lists and has no public lookup."""
    routes = [*app._static_routes, *app._dynamic_routes]
    return sorted({route.method for route in routes if route.rule.match(path)})
