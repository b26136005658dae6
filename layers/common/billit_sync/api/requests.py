"""Reading request bodies into pydantic models with errors that name fields, never values."""

import base64
import binascii
import json
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from billit_sync.errors import BadInputError, WebhookBadRequestError


class UnprocessableBodyError(BadInputError):
    """The body is JSON but not what the route accepts (422); ``fields`` names the culprits."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("the request body is invalid: " + ", ".join(f["field"] for f in fields))
        self.fields = fields


MAX_JSON_DEPTH: Final = 16
"""No request of this service nests deeper than a few levels (settings: 3); a deeper body is
refused before a model, a queue message or a log line sees it (issue 14)."""


class MalformedBodyError(BadInputError):
    """The body is not JSON at all, or nests deeper than ``MAX_JSON_DEPTH`` (400)."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Iterative (a recursive walk is what the attacker wants to exhaust)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def webhook_body_bytes(
    body: str | None,
    *,
    base64_encoded: bool,
    max_bytes: int,
    refused: type[WebhookBadRequestError] = WebhookBadRequestError,
) -> bytes:
    """A webhook body's bytes exactly as the sender sent (and signed) them: API Gateway's
    ``isBase64Encoded`` decoded, at most ``max_bytes``; anything else is the caller's 400
    (``refused``). The text is measured before it is decoded, so an oversized body costs no
    decoding."""
    if body is None:
        return b""
    if len(body) > 2 * max_bytes:
        raise refused("the body is too large")
    if base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise refused("the body is not valid base64") from None
    else:
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > max_bytes:
        raise refused("the body is too large")
    return raw


def load_json(raw: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The one JSON reader of every route: ``MalformedBodyError`` for anything that is not
    strict JSON (``NaN``/``Infinity`` included) or nests deeper than ``max_depth``."""
    try:
        data: Any = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedBodyError("the request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise MalformedBodyError("the request body is not valid JSON") from None
    if _depth_exceeds(data, max_depth):
        raise MalformedBodyError("the request body is nested too deeply")
    return data


def load_json_object(raw: str | bytes) -> dict[str, Any]:
    """``load_json`` for bodies that are objects (every management route's): ``null``, a
    list or a number is a 422, never mistaken for "no body" (Powertools treats a ``None``
    body as absent and would use the route's default)."""
    data = load_json(raw)
    if not isinstance(data, dict):
        raise UnprocessableBodyError(
            [{"field": "body", "problem": "Input should be a valid dictionary or object"}]
        )
    return data


def parse_body[ModelT: BaseModel](raw: str | bytes | None, model: type[ModelT]) -> ModelT:
    data = load_json(raw or "{}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise UnprocessableBodyError(field_errors(error)) from None


def field_errors(error: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Each wrong field of ``error`` by its dotted name (under ``prefix``) and pydantic's
    message; never the input, which may hold a token."""
    return [
        {
            "field": ".".join([*filter(None, [prefix]), *(str(part) for part in detail["loc"])])
            or "body",
            "problem": detail["msg"],
        }
        for detail in error.errors(include_input=False, include_url=False)
    ]
