"""Markers that a log-panel notice about one work order was already given ("said once").

Discovery meets a work order that the policy skips (completed before the connection, …) on
every run, every few minutes, for as long as it stays *Compleet*; the office must read why
once, not every five minutes. One small item per (tenant, work order, reason) records that
the notice was given; it expires (TTL) after ``remember_days`` so a work order still lying
around months later is mentioned again. Markers are read in batches (one call per 100
skipped work orders) and written once per work order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, to_epoch, to_iso
from billit_sync.store.dynamo import Sleep, batch_get

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DEFAULT_REMEMBER_DAYS = 90
"""The log panel's default retention: a marker never outlives the entry it stands for (the
wiring passes the configured retention)."""


def _pk(tenant_id: str) -> str:
    return f"{keys.tenant_pk(tenant_id)}#NOTICES"


def _sk(row_id: str, reason: str) -> str:
    return f"ROW#{keys.last(row_id, 'work order row id')}#{keys.last(reason, 'reason')}"


class NoticeMarkers:
    def __init__(
        self,
        table: Table,
        clock: Clock,
        remember_days: int = DEFAULT_REMEMBER_DAYS,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._table = table
        self._clock = clock
        self._remember = timedelta(days=remember_days)
        self._sleep = sleep

    def already_said(
        self, tenant_id: str, notices: Sequence[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        """Which of the (row id, reason) pairs were already said (and not expired)."""
        if not notices:
            return set()
        wanted = [{"pk": _pk(tenant_id), "sk": _sk(row, reason)} for row, reason in notices]
        now = to_epoch(self._clock())
        items = batch_get(self._table, "NoticeMarkers.already_said", wanted, sleep=self._sleep)
        return {
            (str(item["row_id"]), str(item["reason"]))
            for item in items
            if int(item.get("expires_at", 0)) > now
        }

    def mark(self, tenant_id: str, row_id: str, reason: str) -> bool:
        """Record the notice; False when it had been said already (a concurrent run)."""
        now = self._clock()
        try:
            with translate_aws_errors("NoticeMarkers.mark"):
                self._table.put_item(
                    Item={
                        "pk": _pk(tenant_id),
                        "sk": _sk(row_id, reason),
                        "tenant_id": tenant_id,
                        "row_id": row_id,
                        "reason": reason,
                        "said_at": to_iso(now),
                        "expires_at": to_epoch(now + self._remember),
                    },
                    ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                    ExpressionAttributeValues={":now": to_epoch(now)},
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True

    def forget(self, tenant_id: str, row_id: str, reason: str) -> None:
        """Expire a marker whose notice could not be written, so the next run says it (a
        put, not a delete: the workers that say notices may only put items)."""
        with translate_aws_errors("NoticeMarkers.forget"):
            self._table.put_item(
                Item={
                    "pk": _pk(tenant_id),
                    "sk": _sk(row_id, reason),
                    "tenant_id": tenant_id,
                    "row_id": row_id,
                    "reason": reason,
                    "expires_at": 0,
                }
            )
