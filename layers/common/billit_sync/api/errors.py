"""One mapping from the service's errors to HTTP answers for the JSON routes."""

from typing import Final

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from billit_sync.api.requests import MalformedBodyError, UnprocessableBodyError
from billit_sync.api.responses import error_response, json_response
from billit_sync.errors import (
    BadInputError,
    CompanyConnectedElsewhereError,
    ConnectionRequiredError,
    IntegrationError,
    UnknownTenantError,
)
from billit_sync.observability import logger
from billit_sync.tenancy import InvalidTenantIdError
from billit_sync.tickets import ForbiddenTicketError, InvalidTicketError

# First match wins: specific errors before their base classes.
ANSWERS: Final[tuple[tuple[type[IntegrationError], int, str], ...]] = (
    (InvalidTicketError, 401, "unauthorized"),
    (ForbiddenTicketError, 403, "forbidden"),
    (UnknownTenantError, 404, "unknown_tenant"),
    (CompanyConnectedElsewhereError, 409, "company_connected_elsewhere"),
    (ConnectionRequiredError, 409, "not_connected"),
    (MalformedBodyError, 400, "malformed_body"),
    (InvalidTenantIdError, 400, "invalid_tenant_id"),
    (BadInputError, 400, "bad_request"),
)


def answer_for(error: IntegrationError) -> Response[str]:
    if isinstance(error, UnprocessableBodyError):
        body = {"error": {"code": "invalid_body", "message": str(error), "fields": error.fields}}
        return json_response(422, body)
    for error_type, status, code in ANSWERS:
        if isinstance(error, error_type):
            return error_response(status, code, str(error))
    logger.exception("request failed", extra={"error": type(error).__name__})
    return error_response(503, "unavailable", "the service could not finish; try again later")


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    app.exception_handler(IntegrationError)(answer_for)
