"""Billit's error envelope and the exception the route handlers raise to produce it."""

from typing import Any

import httpx

from tests.fakes.billit import jsoncodec

JSON_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """A REST error answered as ``{"errors":[{"Code":…,"Description":…}]}``."""

    def __init__(self, status: int, code: str, description: str | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.description = description

    def response(self) -> httpx.Response:
        error: dict[str, Any] = {"Code": self.code}
        if self.description is not None:
            error["Description"] = self.description
        return json_response(self.status, {"errors": [error]})


class OAuthError(Exception):
    """An OAuth2 token-endpoint error: ``{"error":…,"error_description":…}`` (RFC 6749 §5.2)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}")
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> httpx.Response:
        return json_response(
            self.status,
            {"error": self.error, "error_description": self.description},
            headers={"Cache-Control": "no-store"},
        )


def generic(description: str, status: int = 400) -> ApiError:
    return ApiError(status, "GenericError", description)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=jsoncodec.dumps(body),
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
    )
