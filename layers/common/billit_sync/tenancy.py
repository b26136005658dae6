"""Tenant ids end up in DynamoDB keys, secret names and URLs, so they have one strict shape."""

import re
from typing import Annotated

from pydantic import AfterValidator

from billit_sync.errors import BadInputError

TENANT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class InvalidTenantIdError(BadInputError, ValueError):
    """Also a ValueError, so pydantic models using ``TenantId`` report it as a validation error."""


def validate_tenant_id(value: str) -> str:
    """Lower-case letters, digits and dashes, 2 to 63 characters, not starting with a dash."""
    if not isinstance(value, str) or not TENANT_ID_PATTERN.fullmatch(value):
        raise InvalidTenantIdError("tenant id must be 2-63 characters of a-z, 0-9 and '-'")
    return value


TenantId = Annotated[str, AfterValidator(validate_tenant_id)]
