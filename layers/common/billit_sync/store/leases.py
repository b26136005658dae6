"""Short-lived, named, per-tenant locks (e.g. ``billit-token-refresh``, ``import``).

A lease has an owner and a deadline; it can be taken when absent, expired, or already the
caller's (re-entrant), and only its owner can renew or release it. The deadline is the item's
``expires_at``, so DynamoDB's TTL also cleans up leases whose holder crashed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, from_epoch, to_epoch

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class Lease(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    owner: str
    expires_at: datetime


class LeaseStore:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def acquire(self, tenant_id: str, name: str, owner: str, seconds: int) -> bool:
        """True when the caller now holds the lease for ``seconds``."""
        now = self._clock()
        return self._conditional(
            "LeaseStore.acquire",
            lambda: self._table.put_item(
                Item={
                    **self._key(tenant_id, name),
                    "owner": _owner(owner),
                    "expires_at": to_epoch(now + timedelta(seconds=_positive(seconds))),
                },
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at <= :now OR #owner = :owner"
                ),
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":now": to_epoch(now), ":owner": owner},
            ),
        )

    def renew(self, tenant_id: str, name: str, owner: str, seconds: int) -> bool:
        """Extend the caller's lease to ``seconds`` from now; False if it is not the caller's
        any more (another worker took it after it expired)."""
        now = self._clock()
        return self._conditional(
            "LeaseStore.renew",
            lambda: self._table.update_item(
                Key=self._key(tenant_id, name),
                UpdateExpression="SET expires_at = :until",
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    ":owner": _owner(owner),
                    ":until": to_epoch(now + timedelta(seconds=_positive(seconds))),
                },
            ),
        )

    def release(self, tenant_id: str, name: str, owner: str) -> bool:
        """Drop the lease if the caller holds it (True); never someone else's."""
        return self._conditional(
            "LeaseStore.release",
            lambda: self._table.delete_item(
                Key=self._key(tenant_id, name),
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _owner(owner)},
            ),
        )

    def holder(self, tenant_id: str, name: str) -> Lease | None:
        """The live lease, if any (diagnostics; decisions use the conditional writes)."""
        with translate_aws_errors("LeaseStore.holder"):
            response = self._table.get_item(Key=self._key(tenant_id, name), ConsistentRead=True)
        item = response.get("Item")
        if not item:
            return None
        expires_at = from_epoch(item["expires_at"])  # type: ignore[arg-type]
        if expires_at <= self._clock():
            return None
        return Lease(name=name, owner=str(item["owner"]), expires_at=expires_at)

    @staticmethod
    def _key(tenant_id: str, name: str) -> dict[str, str]:
        return {"pk": keys.tenant_pk(tenant_id), "sk": keys.lease_sk(name)}

    @staticmethod
    def _conditional(operation: str, call: Callable[[], object]) -> bool:
        try:
            with translate_aws_errors(operation):
                call()
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True


def _owner(owner: str) -> str:
    if not owner or len(owner) > 200:
        raise ValueError("lease owner must be 1-200 characters")
    return owner


def _positive(seconds: int) -> int:
    if seconds <= 0:
        raise ValueError("lease seconds must be positive")
    return seconds
