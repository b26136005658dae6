"""One JSON shape for every answer: data as is; errors are RFC 9457 problems
(``billit_sync.api.problems``)."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel


def json_response(status_code: int, body: Any) -> Response[str]:
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, default=str),
        headers={"Cache-Control": "no-store"},
    )


def model_response[ModelT: BaseModel](status_code: int, body: ModelT) -> Response[ModelT]:
    """A typed answer: Powertools validates and serialises ``body`` against the route's
    return annotation (``enable_validation=True``), so the answer is what the document says."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )
