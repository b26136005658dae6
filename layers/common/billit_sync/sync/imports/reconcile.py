"""Billit records that are gone (deleted or archived), followed through into OutSmart.

Billit sends no signal when a party or product is deleted (no party/product webhooks, a delete
fires none: billit-api.md §5, §9), so the only way to notice is to compare full id sets: the
ids a complete read of Billit's list returned against the id mappings of earlier imports. What
happens to a record that is gone depends on what OutSmart's spec allows:

- **customers** → the relation is posted again with ``active`` 0 (spec.json's relation schema
  has ``active``, an integer; example ``1``). Never ``DeleteEntity``: old work orders name it;
- **hour types** → posted again with ``active`` ``"0"`` ("Integer (1 or 0)", desc:1032);
- **materials** → OutSmart has no ``active`` for materials (desc:368-380), and deleting one that
  work orders use is not an option, so it is **reported** in the log panel for the office.

A record is posted back as OutSmart holds it now (its own GET), with only ``active`` changed,
because whether a POST with fewer fields blanks the others is undocumented (outsmart-api.md
§4.2 ⚠). Each handled mapping is marked ``GONE_ATTRIBUTE`` so it is not reported again; an
import that sees the record again rewrites it (``active`` 1) and replaces the mapping. Contact
persons and categories stay as they are (a contact belongs to its relation; a category is
shared by products).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from billit_sync.observability import logger
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartValidationError
from billit_sync.outsmart.models import HourTypeRecord, RelationRecord, UpsertRecord
from billit_sync.store import IdMapping, MappedEntity, MappingStore
from billit_sync.store.mappings import GONE_ATTRIBUTE
from billit_sync.sync.imports.report import Gone, ImportedEntity, ImportReport
from billit_sync.tenant_settings import ImportSettings


@dataclass(frozen=True)
class _Tenant:
    tenant_id: str
    party_id: str
    mappings: MappingStore

    def gone(self, entity: MappedEntity, seen: set[str]) -> list[IdMapping]:
        """Mappings of records not seen in Billit's complete list and not handled before."""
        return [
            mapping
            for mapping in self.mappings.list(self.tenant_id, self.party_id, entity)
            if mapping.billit_id not in seen and not mapping.is_gone
        ]

    def mark_gone(self, mappings: Sequence[IdMapping], today: date) -> None:
        if not mappings:
            return
        self.mappings.put_many(
            self.tenant_id,
            self.party_id,
            [
                m.model_copy(
                    update={"attributes": m.attributes | {GONE_ATTRIBUTE: today.isoformat()}}
                )
                for m in mappings
            ],
            stored={(m.entity, m.billit_id): m for m in mappings},  # just listed: not re-read
        )


def reconcile(
    *,
    report: ImportReport,
    settings: ImportSettings,
    tenant_id: str,
    party_id: str,
    outsmart: OutSmartClient,
    mappings: MappingStore,
    seen_parties: set[str] | None,
    seen_products: set[str] | None,
    today: date,
) -> None:
    """Deactivate or report what Billit no longer has. A ``seen_*`` of ``None`` means that list
    was not read completely in this run: nothing of it is judged (never guess a deletion)."""
    tenant = _Tenant(tenant_id, party_id, mappings)
    if settings.customers and seen_parties is not None:

        def relations() -> dict[str, RelationRecord]:
            return {r.debtor_number: r for r in outsmart.list_relations()}

        def relation_label(record: RelationRecord) -> str:
            return record.name or record.debtor_number

        _deactivate(
            tenant,
            report,
            ImportedEntity.CUSTOMERS,
            tenant.gone(MappedEntity.CUSTOMER, seen_parties),
            listed=relations,
            upsert=outsmart.upsert_relations,
            label=relation_label,
            today=today,
        )
    if settings.hour_types and seen_products is not None:

        def hour_types() -> dict[str, HourTypeRecord]:
            return {r.code: r for r in outsmart.list_hour_types()}

        def hour_type_label(record: HourTypeRecord) -> str:
            return f"{record.code} ({record.name})" if record.name else record.code

        _deactivate(
            tenant,
            report,
            ImportedEntity.HOUR_TYPES,
            tenant.gone(MappedEntity.HOUR_TYPE, seen_products),
            listed=hour_types,
            upsert=outsmart.upsert_hour_types,
            label=hour_type_label,
            today=today,
        )
    if settings.products and seen_products is not None:
        gone = tenant.gone(MappedEntity.PRODUCT, seen_products)
        for mapping in gone:
            report.no_longer_in_billit(
                ImportedEntity.PRODUCTS, Gone(label=mapping.outsmart_key, deactivated=False)
            )
        tenant.mark_gone(gone, today)
    logger.info(
        "full comparison with Billit done",
        extra={
            "tenant_id": tenant_id,
            "deactivated": sum(1 for _, g in report.gone if g.deactivated),
            "reported": sum(1 for _, g in report.gone if not g.deactivated),
        },
    )


def _deactivate[RecordT: RelationRecord | HourTypeRecord](
    tenant: _Tenant,
    report: ImportReport,
    entity: ImportedEntity,
    gone: list[IdMapping],
    *,
    listed: Callable[[], dict[str, RecordT]],
    upsert: Callable[[Sequence[RecordT]], int],
    label: Callable[[RecordT], str],
    today: date,
) -> None:
    """Post each gone record back with ``active`` 0, one batch, record by record if refused."""
    if not gone:
        return
    in_outsmart = listed()
    handled: list[IdMapping] = []
    batch: list[tuple[IdMapping, RecordT]] = []
    for mapping in gone:
        record = in_outsmart.get(mapping.outsmart_key)
        if record is None:  # removed in OutSmart already: nothing left to deactivate
            handled.append(mapping)
            continue
        if record.active is False:  # deactivated already (by the office, or an earlier run)
            handled.append(mapping)
            continue
        candidate = cast("RecordT", record.model_copy(update={"active": False}))
        missing = candidate.missing_required()
        if missing:
            report.no_longer_in_billit(
                entity,
                Gone(
                    label=label(record),
                    deactivated=False,
                    reason=f"it cannot be set inactive: no {', '.join(missing)} in OutSmart",
                ),
            )
            handled.append(mapping)
            continue
        batch.append((mapping, candidate))
    for mapping, record, problem in _post(upsert, batch):
        report.no_longer_in_billit(
            entity,
            Gone(label=label(record), deactivated=problem is None, reason=problem or ""),
        )
        if problem is None:
            handled.append(mapping)
    tenant.mark_gone(handled, today)


def _post[RecordT: UpsertRecord](
    upsert: Callable[[Sequence[RecordT]], int],
    batch: list[tuple[IdMapping, RecordT]],
) -> list[tuple[IdMapping, RecordT, str | None]]:
    """Each record with ``None`` when OutSmart took it, else OutSmart's reason."""
    if not batch:
        return []
    try:
        upsert([record for _, record in batch])
        return [(mapping, record, None) for mapping, record in batch]
    except OutSmartValidationError:
        pass
    results: list[tuple[IdMapping, RecordT, str | None]] = []
    for mapping, record in batch:
        try:
            upsert([record])
            results.append((mapping, record, None))
        except OutSmartValidationError as error:
            reason = "; ".join(error.messages) or f"code {error.code}"
            results.append((mapping, record, f"OutSmart refused to set it inactive ({reason})"))
    return results
