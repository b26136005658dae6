"""How far each incremental import got, per tenant, Billit company and entity.

``last_modified`` is Billit's ``LastModified`` of the newest record imported; the next run
asks only for records modified since. It only ever moves forward (a conditional write), so a
slow, older run finishing late cannot make the next run re-import or — worse — skip records.
A checkpoint (e.g. the next page link) lets a run that timed out continue where it stopped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, to_iso

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class Watermark(BaseModel):
    model_config = ConfigDict(frozen=True)

    last_modified: str | None = None
    checkpoint: dict[str, str] | None = None


class InvalidWatermarkError(ValueError):
    """``last_modified`` is not an ISO 8601 date-time."""


def sortable_timestamp(last_modified: str) -> str:
    """A fixed-width form of an ISO timestamp that compares correctly as a string.

    Billit sends ``LastModified`` with and without fractions and zone; comparing the raw
    strings would put ``...:00Z`` after ``...:00.5Z``. Aware values are converted to UTC;
    naive ones are taken as they come (Billit is consistent about its own zone).
    """
    if not _ISO_LIKE.match(last_modified):
        raise InvalidWatermarkError("last_modified must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(last_modified)
    except ValueError as error:
        raise InvalidWatermarkError("last_modified must be an ISO 8601 date-time") from error
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="microseconds")


class WatermarkStore:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def get(self, tenant_id: str, party_id: str, entity: str) -> Watermark:
        """The watermark; empty (import everything) when there is none yet."""
        with translate_aws_errors("WatermarkStore.get"):
            response = self._table.get_item(
                Key=self._key(tenant_id, party_id, entity), ConsistentRead=True
            )
        item = response.get("Item")
        if not item:
            return Watermark()
        checkpoint = item.get("checkpoint")
        return Watermark(
            last_modified=str(item["last_modified"]) if "last_modified" in item else None,
            checkpoint=(
                {str(k): str(v) for k, v in checkpoint.items()}
                if isinstance(checkpoint, dict) and checkpoint
                else None
            ),
        )

    def advance(self, tenant_id: str, party_id: str, entity: str, last_modified: str) -> bool:
        """Move the watermark to ``last_modified``; False (and no change) if that is older
        than the stored one. The same value again is accepted (True)."""
        sortable = sortable_timestamp(last_modified)
        try:
            with translate_aws_errors("WatermarkStore.advance"):
                self._table.update_item(
                    Key=self._key(tenant_id, party_id, entity),
                    UpdateExpression=(
                        "SET last_modified = :lm, last_modified_sort = :sort, updated_at = :now"
                    ),
                    ConditionExpression=(
                        "attribute_not_exists(last_modified_sort) OR last_modified_sort <= :sort"
                    ),
                    ExpressionAttributeValues={
                        ":lm": last_modified,
                        ":sort": sortable,
                        ":now": to_iso(self._clock()),
                    },
                )
        except ClientError as error:
            if is_conditional_check_failed(error):
                return False
            raise
        return True

    def save_checkpoint(
        self, tenant_id: str, party_id: str, entity: str, checkpoint: dict[str, str]
    ) -> None:
        """Remember where an unfinished run stopped (the watermark itself stays put)."""
        self._update(
            "WatermarkStore.save_checkpoint",
            tenant_id=tenant_id,
            party_id=party_id,
            entity=entity,
            expression="SET checkpoint = :cp, updated_at = :now",
            values={":cp": dict(checkpoint)},
        )

    def clear_checkpoint(self, tenant_id: str, party_id: str, entity: str) -> None:
        self._update(
            "WatermarkStore.clear_checkpoint",
            tenant_id=tenant_id,
            party_id=party_id,
            entity=entity,
            expression="SET updated_at = :now REMOVE checkpoint",
            values={},
        )

    def reset(self, tenant_id: str, party_id: str, entity: str) -> None:
        """Forget the watermark and checkpoint: the next import is a full sync."""
        with translate_aws_errors("WatermarkStore.reset"):
            self._table.delete_item(Key=self._key(tenant_id, party_id, entity))

    def _update(
        self,
        operation: str,
        *,
        tenant_id: str,
        party_id: str,
        entity: str,
        expression: str,
        values: dict[str, Any],
    ) -> None:
        with translate_aws_errors(operation):
            self._table.update_item(
                Key=self._key(tenant_id, party_id, entity),
                UpdateExpression=expression,
                ExpressionAttributeValues={**values, ":now": to_iso(self._clock())},
            )

    @staticmethod
    def _key(tenant_id: str, party_id: str, entity: str) -> dict[str, str]:
        return {"pk": keys.tenant_pk(tenant_id), "sk": keys.watermark_sk(party_id, entity)}
