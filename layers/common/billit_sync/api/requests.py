"""Reading request bodies into pydantic models with errors that name fields, never values."""

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from billit_sync.errors import BadInputError


class UnprocessableBodyError(BadInputError):
    """The body is JSON but not what the route accepts (422); ``fields`` names the culprits."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("the request body is invalid: " + ", ".join(f["field"] for f in fields))
        self.fields = fields


class MalformedBodyError(BadInputError):
    """The body is not JSON at all (400)."""


def parse_body[ModelT: BaseModel](raw: str | bytes | None, model: type[ModelT]) -> ModelT:
    try:
        data: Any = json.loads(raw or "{}")
    except (ValueError, UnicodeDecodeError):
        raise MalformedBodyError("the request body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = [
            {
                "field": ".".join(str(part) for part in detail["loc"]) or "body",
                "problem": detail["msg"],
            }
            for detail in error.errors(include_input=False, include_url=False)
        ]
        raise UnprocessableBodyError(fields) from None
