"""Webhook de-duplication: Billit and OutSmart may deliver the same event more than once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, to_epoch, to_iso

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DEFAULT_TTL_SECONDS = 7 * 24 * 3600


class DeliveryLog:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def first_time(
        self, tenant_id: str, delivery_key: str, ttl_seconds: int = DEFAULT_TTL_SECONDS
    ) -> bool:
        """True exactly once per (tenant, delivery key) within ``ttl_seconds``.

        The key is stored hashed (it comes from outside and may be long).
        """
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        now = self._clock()
        try:
            with translate_aws_errors("DeliveryLog.first_time"):
                self._table.put_item(
                    Item={
                        **self._key(tenant_id, delivery_key),
                        "received_at": to_iso(now),
                        "expires_at": to_epoch(now + timedelta(seconds=ttl_seconds)),
                    },
                    ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                    ExpressionAttributeValues={":now": to_epoch(now)},
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True

    def forget(self, tenant_id: str, delivery_key: str) -> None:
        """Undo ``first_time`` when the delivery could not be processed (e.g. the queue was
        unavailable), so the sender's retry is accepted instead of dropped."""
        with translate_aws_errors("DeliveryLog.forget"):
            self._table.delete_item(Key=self._key(tenant_id, delivery_key))

    @staticmethod
    def _key(tenant_id: str, delivery_key: str) -> dict[str, str]:
        return {"pk": keys.delivery_pk(tenant_id), "sk": keys.delivery_sk(delivery_key)}
