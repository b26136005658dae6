"""DynamoDB throttling one write to a chosen table, the way AWS answers it.

The fault is raised where botocore makes the API call (above its own retries, as if they were
used up), so the code under test sees exactly what a throttled ``PutItem`` or
``TransactWriteItems`` gives it: a ``ProvisionedThroughputExceededException``.
"""

import json
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

_WRITES = frozenset({"PutItem", "TransactWriteItems"})


def throttle_one_write_to(monkeypatch: pytest.MonkeyPatch, table_name: str) -> list[str]:
    """Throttle the next write that touches ``table_name`` (alone or in a transaction);
    the list returned gets the operation's name once it happened."""
    real = BaseClient._make_api_call  # type: ignore[attr-defined]  # botocore has no stubs here
    throttled: list[str] = []

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        touches = table_name in json.dumps(params, default=str)
        if not throttled and operation in _WRITES and touches:
            throttled.append(operation)
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "-"}},
                operation,
            )
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return throttled
