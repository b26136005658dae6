"""One JSON error shape for every route: ``{"error": {"code": ..., "message": ...}}``."""

import json

from aws_lambda_powertools.event_handler import Response, content_types


def error_response(status_code: int, code: str, message: str) -> Response[str]:
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(status_code=status_code, content_type=content_types.APPLICATION_JSON, body=body)


def not_implemented(feature: str) -> Response[str]:
    """Routes whose issue has not landed yet answer honestly instead of pretending."""
    return error_response(501, "not_implemented", f"{feature} is not available yet")
