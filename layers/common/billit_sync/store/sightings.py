"""When the connector first saw each work order ``Compleet``, and which ones were already
``Compleet`` when it first looked after the connection (the *baseline*).

OutSmart's API has no completion timestamp (outsmart-api.md §4.1 "Dates: scheduled vs
actual"), so two facts exist only if the connector records them itself:

- the service date of a work order without work periods: "use the day the connector first
  saw the order ``Compleet``, never a scheduled date";
- "completed after connecting" is not derivable from dates: "record the ids already
  ``Compleet`` at connection time". The first discovery after the connection records every
  ``Compleet`` work order with ``at_connection=True`` and then sets the tenant's baseline
  marker; every work order seen later is recorded with ``at_connection=False``.

Items (integration table): ``pk = TENANT#{t}#SEEN``, ``sk = ROW#{row id}``, written once
(conditional put: the first sighting wins); the baseline marker is ``pk = TENANT#{t}``,
``sk = COMPLETED_BASELINE``. Only ``GetItem``, ``BatchGetItem`` and ``PutItem`` are used: the
discovery and export roles have exactly those.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, from_iso, to_iso
from billit_sync.store.dynamo import Item, Key, Sleep, batch_get

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class Sighting(BaseModel):
    """The first time the connector saw one work order ``Compleet``."""

    model_config = ConfigDict(frozen=True)

    row_id: str
    first_seen_at: datetime
    at_connection: bool
    """Already ``Compleet`` when the connector first looked after the connection."""


class WorkOrderSightings:
    def __init__(self, table: Table, clock: Clock, sleep: Sleep = time.sleep) -> None:
        self._table = table
        self._clock = clock
        self._sleep = sleep

    def baseline_taken_at(self, tenant_id: str) -> datetime | None:
        """When the baseline was recorded; ``None`` until the first discovery did it."""
        with translate_aws_errors("WorkOrderSightings.baseline_taken_at"):
            response = self._table.get_item(Key=_baseline_key(tenant_id), ConsistentRead=True)
        return baseline_of(response.get("Item"))

    def mark_baseline_taken(self, tenant_id: str) -> None:
        """After the baseline's sightings are written (a crash before this only means the next
        run adds the rest to the baseline)."""
        with translate_aws_errors("WorkOrderSightings.mark_baseline_taken"):
            self._table.put_item(
                Item={**_baseline_key(tenant_id), "taken_at": to_iso(self._clock())}
            )

    def get(self, tenant_id: str, row_id: str) -> Sighting | None:
        with translate_aws_errors("WorkOrderSightings.get"):
            response = self._table.get_item(Key=_key(tenant_id, row_id), ConsistentRead=True)
        item = response.get("Item")
        return _sighting(item) if item else None

    def get_many(self, tenant_id: str, row_ids: Sequence[str]) -> dict[str, Sighting]:
        wanted = [_key(tenant_id, row_id) for row_id in row_ids]
        items = batch_get(self._table, "WorkOrderSightings.get_many", wanted, sleep=self._sleep)
        return {str(item["row_id"]): _sighting(item) for item in items}

    def record(self, tenant_id: str, row_id: str, *, at_connection: bool) -> Sighting:
        """The work order's sighting: recorded now unless one exists (then that one)."""
        sighting = Sighting(row_id=row_id, first_seen_at=self._clock(), at_connection=at_connection)
        try:
            with translate_aws_errors("WorkOrderSightings.record"):
                self._table.put_item(
                    Item={
                        **_key(tenant_id, row_id),
                        "row_id": row_id,
                        "first_seen_at": to_iso(sighting.first_seen_at),
                        "at_connection": at_connection,
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ClientError as error:
            if not is_conditional_check_failed(error):
                raise
            existing = self.get(tenant_id, row_id)
            return existing if existing is not None else sighting
        return sighting


def sighting_key(tenant_id: str, row_id: str) -> Key:
    """The sighting's item key: for a caller that reads it together with other items of the
    integration table (the export worker, issue 16: one BatchGetItem per work order)."""
    return _key(tenant_id, row_id)


def baseline_key(tenant_id: str) -> Key:
    """The baseline marker's item key (read together with others, as ``sighting_key``)."""
    return _baseline_key(tenant_id)


def sighting_of(item: Item | None) -> Sighting | None:
    """The sighting stored in ``item`` (read by ``sighting_key``)."""
    return _sighting(item) if item else None


def baseline_of(item: Item | None) -> datetime | None:
    """When the baseline was taken, from the marker ``item`` (read by ``baseline_key``)."""
    return from_iso(str(item["taken_at"])) if item else None


def _key(tenant_id: str, row_id: str) -> dict[str, str]:
    return {"pk": keys.sightings_pk(tenant_id), "sk": keys.ledger_sk(row_id)}


def _baseline_key(tenant_id: str) -> dict[str, str]:
    return {"pk": keys.tenant_pk(tenant_id), "sk": keys.COMPLETED_BASELINE_SK}


def _sighting(item: Item) -> Sighting:
    return Sighting(
        row_id=str(item["row_id"]),
        first_seen_at=from_iso(str(item["first_seen_at"])),
        at_connection=bool(item.get("at_connection", False)),
    )
