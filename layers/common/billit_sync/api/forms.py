"""Reading an ``application/x-www-form-urlencoded`` body from an API Gateway event."""

import base64
import binascii
from urllib.parse import parse_qs


def urlencoded_form(
    body: str | None, *, is_base64_encoded: bool, max_bytes: int, max_fields: int
) -> dict[str, list[str]]:
    """Every value of every field, in the order sent; ``{}`` when the body is too large or
    unreadable (the caller then sees no CSRF token and refuses)."""
    body = body or ""
    if len(body) > 2 * max_bytes:
        return {}
    try:
        raw = base64.b64decode(body, validate=True) if is_base64_encoded else body.encode()
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        return {}
    if len(text) > max_bytes:
        return {}
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:
        return {}
