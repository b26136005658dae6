"""Where a Billit webhook's secret and id are in a JSON object (a registration answer or a
confirmation delivery). Apart from ``billit.webhooks`` (the API client) so that webhook
ingestion reads them without loading the HTTP client (cold start, issue 16).
"""

from collections.abc import Mapping
from typing import Any

# ⚠ The name of the secret is undocumented (reference §5 "Safe procedure"): any key that
# contains "secret" (case-insensitively, also one or two levels down), in the registration
# answer and in the confirmation delivery alike; then these exact names.
WEBHOOK_SECRET_FIELDS: tuple[str, ...] = ("Secret", "WebhookSecret", "SigningSecret", "Key")
_SECRET_SEARCH_DEPTH = 3
# The id field of a webhook object; Swagger-style first, then generic spellings.
WEBHOOK_ID_FIELDS: tuple[str, ...] = ("WebhookID", "ID")


def get_field(data: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    lowered = {str(key).lower(): value for key, value in data.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, ""):
            return value
    return None


def find_secret(data: Any, *, depth: int = _SECRET_SEARCH_DEPTH) -> tuple[str, str] | None:
    """(key path, value) of the first non-empty text under a key containing "secret", else
    of a key named in ``WEBHOOK_SECRET_FIELDS``; None when there is none. Log the path only."""
    if not isinstance(data, Mapping) or depth < 1:
        return None
    for key, value in data.items():
        if "secret" in str(key).lower() and isinstance(value, str) and value.strip():
            return str(key), value.strip()
    named = get_field(data, WEBHOOK_SECRET_FIELDS)
    if isinstance(named, str) and named.strip():
        name = next(k for k in data if str(k).lower() in {f.lower() for f in WEBHOOK_SECRET_FIELDS})
        return str(name), named.strip()
    for key, value in data.items():
        found = find_secret(value, depth=depth - 1)
        if found is not None:
            return f"{key}.{found[0]}", found[1]
    return None
