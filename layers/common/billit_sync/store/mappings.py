"""Which Billit record is which OutSmart record, per tenant *and* connected Billit company.

Each mapping is stored under ``BILLIT#{id}``, and for the kinds something looks up by OutSmart
key (``REVERSE_LOOKUP``: the export's debtor, materials and hour types, the import's uniqueness
check) also under ``OUTSMART#{key}`` in the same partition, so both directions are one strongly
consistent read. Contact persons and product groups are never looked up by OutSmart key, so
they get no reverse entry (issue 16: a write nothing reads). The partition key contains the
Billit company's PartyID, so after a reconnect to another Billit company none of the old
mappings can be found. Imports write thousands of mappings at once: ``put_many`` uses batch
writes paced to the partition's throughput, and removes reverse entries that a changed
OutSmart key left behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from billit_sync.store import keys
from billit_sync.store.aws_errors import is_conditional_check_failed, translate_aws_errors
from billit_sync.store.clock import Clock, to_iso
from billit_sync.store.dynamo import Item, Key, Sleep, batch_get, batch_write, query_all
from billit_sync.store.throughput import PartitionThroughput

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class MappedEntity(StrEnum):
    CUSTOMER = "customer"
    CONTACT_PERSON = "contact_person"
    PRODUCT = "product"
    PRODUCT_GROUP = "product_group"
    HOUR_TYPE = "hour_type"


REVERSE_LOOKUP: frozenset[MappedEntity] = frozenset(
    {MappedEntity.CUSTOMER, MappedEntity.PRODUCT, MappedEntity.HOUR_TYPE}
)
"""Kinds read by OutSmart key (``get_*_by_outsmart_key*``), so stored in both directions."""


GONE_ATTRIBUTE = "gone_since"
"""Set (to the date) on a mapping whose Billit record is no longer in Billit (deleted or
archived): the import deactivated or reported its OutSmart record. Kept, not deleted, so old
work orders can still be traced; an import that sees the record again replaces the mapping."""


class IdMapping(BaseModel):
    """Billit id ↔ OutSmart key, with the hash of the content last written (skip unchanged)."""

    model_config = ConfigDict(frozen=True)

    entity: MappedEntity
    billit_id: str = Field(min_length=1, max_length=keys.MAX_COMPONENT_LENGTH)
    outsmart_key: str = Field(min_length=1, max_length=keys.MAX_COMPONENT_LENGTH)
    content_hash: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)

    @property
    def is_gone(self) -> bool:
        """The Billit record is no longer in Billit (``GONE_ATTRIBUTE``)."""
        return GONE_ATTRIBUTE in self.attributes


StoredMappings = Mapping[tuple[MappedEntity, str], IdMapping]
"""Mappings as stored, by (kind, Billit id): what a caller already read."""


class MappingStore:
    def __init__(
        self,
        table: Table,
        clock: Clock,
        sleep: Sleep = time.sleep,
        throughput: PartitionThroughput | None = None,
    ) -> None:
        self._table = table
        self._clock = clock
        self._sleep = sleep
        self._throughput = throughput or PartitionThroughput()

    def put_many(
        self,
        tenant_id: str,
        party_id: str,
        mappings: Iterable[IdMapping],
        *,
        stored: StoredMappings | None = None,
    ) -> int:
        """Create or replace mappings; returns how many were written.

        Later mappings in the same call win over earlier ones with the same Billit id.
        When a Billit record now maps to another OutSmart key, the old reverse entry is
        deleted, so a reverse lookup never returns a mapping that is no longer true.
        ``stored``: the mappings as the caller read them (a mapping absent from it is not
        stored), so they are not read again; without it, they are read here.
        """
        latest: dict[tuple[MappedEntity, str], IdMapping] = {}
        for mapping in mappings:
            latest[(mapping.entity, mapping.billit_id)] = mapping
        if not latest:
            return 0
        if stored is None:  # only a reverse entry can go stale: only those kinds are read
            stored = self._stored(
                tenant_id, party_id, [key for key in latest if key[0] in REVERSE_LOOKUP]
            )
        now = to_iso(self._clock())
        puts: dict[tuple[str, str], Item] = {}
        stale: dict[tuple[str, str], str] = {}  # old reverse key → Billit id that left it
        for (entity, billit_id), mapping in latest.items():
            pk = keys.mapping_pk(tenant_id, party_id, entity)
            body: Item = {
                "tenant_id": tenant_id,
                "party_id": party_id,
                "entity": entity.value,
                "billit_id": billit_id,
                "outsmart_key": mapping.outsmart_key,
                "attributes": dict(mapping.attributes),
                "updated_at": now,
            }
            if mapping.content_hash is not None:
                body["content_hash"] = mapping.content_hash
            forward_sk = keys.mapping_billit_sk(billit_id)
            puts[(pk, forward_sk)] = {"pk": pk, "sk": forward_sk, **body}
            if entity not in REVERSE_LOOKUP:
                continue
            reverse_sk = keys.mapping_outsmart_sk(mapping.outsmart_key)
            puts[(pk, reverse_sk)] = {"pk": pk, "sk": reverse_sk, **body}
            old = stored.get((entity, billit_id))
            if old is not None and old.outsmart_key != mapping.outsmart_key:
                old_reverse = keys.mapping_outsmart_sk(old.outsmart_key)
                stale[(pk, old_reverse)] = billit_id
        deletes = self._still_pointing_back(
            {position: owner for position, owner in stale.items() if position not in puts}
        )
        batch_write(
            self._table,
            "MappingStore.put_many",
            puts=puts.values(),
            deletes=deletes,
            sleep=self._sleep,
            throughput=self._throughput,
        )
        return len(latest)

    def _stored(
        self, tenant_id: str, party_id: str, wanted: Sequence[tuple[MappedEntity, str]]
    ) -> dict[tuple[MappedEntity, str], IdMapping]:
        item_keys = [
            self._key(tenant_id, party_id, entity, keys.mapping_billit_sk(billit_id))
            for entity, billit_id in wanted
        ]
        items = self._batch_get("MappingStore.put_many", item_keys)
        return {(m.entity, m.billit_id): m for m in map(_mapping, items)}

    def _batch_get(self, operation: str, item_keys: Sequence[Key]) -> list[Item]:
        return batch_get(
            self._table, operation, item_keys, sleep=self._sleep, throughput=self._throughput
        )

    def _still_pointing_back(self, stale: dict[tuple[str, str], str]) -> list[Key]:
        """Old reverse entries still naming the Billit record that moved away from them (one
        may have been taken over by another Billit record since: that one stays)."""
        if not stale:
            return []
        wanted = [{"pk": pk, "sk": sk} for pk, sk in stale]
        current = self._batch_get("MappingStore.put_many", wanted)
        return [
            {"pk": str(item["pk"]), "sk": str(item["sk"])}
            for item in current
            if stale.get((str(item["pk"]), str(item["sk"]))) == str(item["billit_id"])
        ]

    def get_by_billit_id(
        self, tenant_id: str, party_id: str, entity: MappedEntity, billit_id: str
    ) -> IdMapping | None:
        return self._get(tenant_id, party_id, entity, keys.mapping_billit_sk(billit_id))

    def get_by_outsmart_key(
        self, tenant_id: str, party_id: str, entity: MappedEntity, outsmart_key: str
    ) -> IdMapping | None:
        """Reverse lookup (export: OutSmart debtor number / material code → Billit id)."""
        _require_reverse_lookup(entity)
        return self._get(tenant_id, party_id, entity, keys.mapping_outsmart_sk(outsmart_key))

    def get_many_by_billit_ids(
        self, tenant_id: str, party_id: str, entity: MappedEntity, billit_ids: Sequence[str]
    ) -> dict[str, IdMapping]:
        """Mappings found for these Billit ids, by Billit id (BatchGetItem, 100 per request)."""
        wanted = [
            self._key(tenant_id, party_id, entity, keys.mapping_billit_sk(billit_id))
            for billit_id in billit_ids
        ]
        items = self._batch_get("MappingStore.get_many_by_billit_ids", wanted)
        return {str(item["billit_id"]): _mapping(item) for item in items}

    def get_many_by_outsmart_keys(
        self, tenant_id: str, party_id: str, entity: MappedEntity, outsmart_keys: Sequence[str]
    ) -> dict[str, IdMapping]:
        """Mappings found for these OutSmart keys, by OutSmart key (e.g. an invoice's lines)."""
        _require_reverse_lookup(entity)
        wanted = [
            self._key(tenant_id, party_id, entity, keys.mapping_outsmart_sk(outsmart_key))
            for outsmart_key in outsmart_keys
        ]
        items = self._batch_get("MappingStore.get_many_by_outsmart_keys", wanted)
        return {str(item["outsmart_key"]): _mapping(item) for item in items}

    def get_many_by_outsmart_keys_per_entity(
        self, tenant_id: str, party_id: str, wanted: Mapping[MappedEntity, Sequence[str]]
    ) -> dict[MappedEntity, dict[str, IdMapping]]:
        """Several entities' mappings by OutSmart key in one BatchGetItem (per 100 keys): an
        invoice's customer, products and hour types together (issue 16)."""
        for entity in wanted:
            _require_reverse_lookup(entity)
        item_keys = [
            self._key(tenant_id, party_id, entity, keys.mapping_outsmart_sk(outsmart_key))
            for entity, outsmart_keys in wanted.items()
            for outsmart_key in outsmart_keys
        ]
        found: dict[MappedEntity, dict[str, IdMapping]] = {entity: {} for entity in wanted}
        if not item_keys:
            return found
        items = self._batch_get("MappingStore.get_many_by_outsmart_keys", item_keys)
        for item in items:
            mapping = _mapping(item)
            found.setdefault(mapping.entity, {})[mapping.outsmart_key] = mapping
        return found

    def list(self, tenant_id: str, party_id: str, entity: MappedEntity) -> Iterator[IdMapping]:
        """Every mapping of one kind for one company, in Billit id order (paginated)."""
        items = query_all(
            self._table,
            "MappingStore.list",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": keys.mapping_pk(tenant_id, party_id, entity),
                ":prefix": keys.MAPPING_BILLIT_PREFIX,
            },
        )
        for item in items:
            yield _mapping(item)

    def delete(
        self, tenant_id: str, party_id: str, entity: MappedEntity, billit_id: str
    ) -> IdMapping | None:
        """Forget the mapping of a Billit record that no longer exists (both directions).

        The reverse entry goes only while it still names this Billit record, so a mapping
        another record has taken over since stays. Returns what was forgotten, if anything.
        """
        mapping = self.get_by_billit_id(tenant_id, party_id, entity, billit_id)
        if mapping is None:
            return None
        with translate_aws_errors("MappingStore.delete"):
            self._table.delete_item(
                Key=self._key(tenant_id, party_id, entity, keys.mapping_billit_sk(billit_id))
            )
            try:
                self._table.delete_item(
                    Key=self._key(
                        tenant_id, party_id, entity, keys.mapping_outsmart_sk(mapping.outsmart_key)
                    ),
                    ConditionExpression="billit_id = :billit_id",
                    ExpressionAttributeValues={":billit_id": billit_id},
                )
            except ClientError as error:
                if not is_conditional_check_failed(error):
                    raise
        return mapping

    def _get(
        self, tenant_id: str, party_id: str, entity: MappedEntity, sk: str
    ) -> IdMapping | None:
        with translate_aws_errors("MappingStore.get"):
            response = self._table.get_item(
                Key=self._key(tenant_id, party_id, entity, sk), ConsistentRead=True
            )
        item = response.get("Item")
        return _mapping(item) if item else None

    @staticmethod
    def _key(tenant_id: str, party_id: str, entity: MappedEntity, sk: str) -> Key:
        return {"pk": keys.mapping_pk(tenant_id, party_id, entity), "sk": sk}


def _require_reverse_lookup(entity: MappedEntity) -> None:
    """A lookup by OutSmart key of a kind stored one way only would always miss: say so."""
    if entity not in REVERSE_LOOKUP:
        raise ValueError(f"{entity.value} mappings are not stored by OutSmart key")


def _mapping(item: Item) -> IdMapping:
    return IdMapping(
        entity=MappedEntity(str(item["entity"])),
        billit_id=str(item["billit_id"]),
        outsmart_key=str(item["outsmart_key"]),
        content_hash=str(item["content_hash"]) if "content_hash" in item else None,
        attributes={str(k): str(v) for k, v in dict(item.get("attributes", {})).items()},
    )
