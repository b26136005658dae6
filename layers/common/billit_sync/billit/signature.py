"""The ``Billit-Signature`` webhook header: ``t=<unix seconds>,s=<hex HMAC-SHA256>``.

The MAC is lowercase-hex HMAC-SHA256 with the webhook's secret over ``"{t}." + body``.
Verification never raises: any malformed header is simply "not verified".
"""

import hashlib
import hmac

from pydantic import SecretStr

SIGNATURE_HEADER = "Billit-Signature"
_MAX_HEADER_LENGTH = 1024
_MAX_TIMESTAMP_DIGITS = 12
_HEX = frozenset("0123456789abcdef")
_SHA256_HEX_LENGTH = 64


def _mac(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign_billit_payload(raw_body: bytes, secret: str | SecretStr, timestamp: int) -> str:
    """The header value Billit would send (used by the fake and by tests)."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    stamp = str(int(timestamp))
    return f"t={stamp},s={_mac(key.encode('utf-8'), stamp, raw_body)}"


def _parse(header: str) -> tuple[str, list[str]] | None:
    """The timestamp text and candidate signatures, or None for anything malformed."""
    if len(header) > _MAX_HEADER_LENGTH:
        return None
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            return None
        name, value = name.strip().lower(), value.strip()
        if name == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                return None
            if len(value) > _MAX_TIMESTAMP_DIGITS:
                return None
            timestamp = value
        elif name == "s":
            candidate = value.lower()
            if len(candidate) == _SHA256_HEX_LENGTH and set(candidate) <= _HEX:
                signatures.append(candidate)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify_billit_signature(
    header: str | None,
    raw_body: bytes,
    secret: str | SecretStr,
    *,
    now: float,
    tolerance_seconds: int = 300,
) -> bool:
    """True only for a well-formed, fresh header whose MAC matches the body exactly as received.

    The reference mentions a fallback over re-serialised JSON (a third-party client hashes
    ``JSON.stringify(parsed)``); it is deliberately not offered: a MAC over anything but the
    bytes received would accept bodies Billit never signed in that form.
    """
    if not header or not isinstance(header, str):
        return False
    key_text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not key_text:
        return False
    parsed = _parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - int(timestamp)) > tolerance_seconds:
        return False
    key = key_text.encode("utf-8")
    return _matches(_mac(key, timestamp, raw_body), signatures)


def _matches(expected: str, signatures: list[str]) -> bool:
    found = False
    for candidate in signatures:  # no early exit: constant time per candidate
        found = hmac.compare_digest(expected, candidate) or found
    return found
