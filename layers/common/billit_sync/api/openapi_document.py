"""The management API's OpenAPI document, generated from the handler's code.

``openapi_document(app)`` is what ``make openapi`` writes to ``docs/openapi.json`` and what a
test in ``make test`` compares with the committed file, so the document OutSmart's developers
read cannot drift from the routes, parameters and models the handler validates against. Only
``make openapi``, the tests and ``make dev``'s Swagger UI load this module (and Powertools'
OpenAPI models with it); the deployed handler does not.
"""

import json
from typing import Any, Final

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.models import (
    HTTPBearer,
    Server,
    ServerVariable,
)

from billit_sync.api.openapi import DESCRIPTION, SECURITY_SCHEME, TITLE, VERSION

UNUSED_VALIDATION_SCHEMAS: Final = (
    "HTTPValidationError",
    "ValidationError",
    "ResponseValidationError",
)
"""Powertools adds its own 422 schemas to every document; this API answers 422 with a
problem instead, so they are dropped rather than shown to readers as a second format."""


def document_settings() -> dict[str, Any]:
    """What the document says about itself: the same for ``docs/openapi.json`` and for the
    Swagger UI of ``make dev``."""
    return {
        "title": TITLE,
        "version": VERSION,
        "description": DESCRIPTION,
        "servers": [
            Server(
                url="https://{apiId}.execute-api.{region}.amazonaws.com",
                description="The deployed HTTP API (sam deploy prints its URL)",
                variables={
                    "apiId": ServerVariable(default="abc123defg"),
                    "region": ServerVariable(default="eu-west-1"),
                },
            ),
            Server(
                url="https://127.0.0.1:{port}",
                description="make dev (port in .local/endpoints.json)",
                variables={"port": ServerVariable(default="8443")},
            ),
        ],
        "security_schemes": {
            SECURITY_SCHEME: HTTPBearer(
                bearerFormat="JWT",
                description="Tenant ticket (scope 'tenant'; 'admin' for PUT /tenants/{id})",
            )
        },
        "security": [{SECURITY_SCHEME: []}],
    }


def openapi_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(**document_settings()))
    schemas = document.get("components", {}).get("schemas", {})
    used = json.dumps(document["paths"])
    for name in UNUSED_VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in used:
            schemas.pop(name, None)
    return document


def openapi_text(app: APIGatewayHttpResolver) -> str:
    """The committed form: sorted keys, two spaces, a final newline (stable diffs)."""
    return json.dumps(openapi_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
