"""One JSON shape for every route: data as is, errors as ``{"error": {"code", "message"}}``."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types


def json_response(status_code: int, body: Any) -> Response[str]:
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, default=str),
        headers={"Cache-Control": "no-store"},
    )


def error_response(status_code: int, code: str, message: str) -> Response[str]:
    return json_response(status_code, {"error": {"code": code, "message": message}})


def not_implemented(feature: str) -> Response[str]:
    """Routes whose issue has not landed yet answer honestly instead of pretending."""
    return error_response(501, "not_implemented", f"{feature} is not available yet")
