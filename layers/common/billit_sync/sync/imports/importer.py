"""One tenant's import: Billit customers (+ contact data) and products (+ groups, hour types)
into OutSmart, incrementally.

- **Incremental.** Per Billit source (parties, products) a ``LastModified`` watermark, read with
  ``ge`` (Billit filters by date, so a day's overlap is re-read) and advanced only after a batch
  is written to OutSmart and its id mappings are stored. Re-read records whose content hash is
  unchanged are not written again, so two runs in a row write nothing the second time.
- **Full sync** (and the first run, and a run after the import settings changed) reads
  everything and writes every record again, repairing drift in OutSmart.
- **Bad records** are skipped and reported (one warning naming each); a batch OutSmart refuses
  is retried record by record, so one bad record never stops the rest.
- **Big accounts** stop at a checkpoint when the Lambda is about to run out of time: the
  watermark already marks what is done, and the caller queues a continuation.
- **Only what OutSmart's spec defines** is posted: a record missing a field the Blueprint marks
  required is skipped and named before posting (``UpsertRecord.missing_required``).
- **Deletions** (Billit signals none, billit-api.md §5, §9): once per ``COMPARISON_INTERVAL``
  (and on every full sync) the run reads Billit's whole lists instead of the changes, and
  ``reconcile`` compares the ids it saw with the id mappings. Customers and hour types no longer
  in Billit are set inactive in OutSmart, materials (no ``active`` field) are reported; nothing
  is ever deleted there, since old work orders use it.
- **Group moves**: a product whose group changed loses its old material↔category link
  (``DeleteEntity`` ``material_category``) before the new one is added.
- **Overlapped** (issue 16, ``pipeline``): both Billit lists are read and prepared (mapped,
  their stored mappings read, each record decided) in reader threads, a few batches ahead;
  OutSmart gets one request at a time from the run's own thread; the id mappings of what it
  accepted are stored in the background, paced to DynamoDB's per-partition rate, and each
  batch's watermark moves only once it and every batch before it is stored.
- **No read or write twice**: a stored mapping is read once (``put_many`` is given it), an
  OutSmart key's owner only when the record's own mapping does not already name that key.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from typing import Any

from billit_sync.billit import BillitClient, Party, Product
from billit_sync.observability import logger
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartApiError, OutSmartValidationError
from billit_sync.outsmart.models import (
    CategoryRecord,
    ContactPersonRecord,
    HourTypeRecord,
    MaterialCategoryRecord,
    MaterialRecord,
    RelationRecord,
    UpsertRecord,
)
from billit_sync.store import IdMapping, MappedEntity, MappingStore, WatermarkStore
from billit_sync.store.clock import Clock, from_iso, system_clock, to_iso
from billit_sync.sync.imports.mapping import (
    CODE_PREFIX,
    CustomerRecords,
    ProductRecords,
    Skipped,
    content_hash,
    map_customer,
    map_product,
)
from billit_sync.sync.imports.pipeline import BackgroundReader, OrderedCommits
from billit_sync.sync.imports.reconcile import reconcile
from billit_sync.sync.imports.report import ImportedEntity, ImportReport
from billit_sync.tenant_settings import ImportSettings

GENERATION = "full_sync_generation"
PARTIES = "parties"
PRODUCTS = "products"
COMPARISON = "full_comparison"  # watermark item: when Billit's id sets were last compared
COMPARED_AT = "compared_at"
CATEGORY = "category"  # product mapping attribute: the Billit group's cat_code ("" for none)
COMPARISON_INTERVAL = timedelta(hours=24)
"""How often a scheduled import reads Billit's full lists to find deletions. Billit signals no
deletions, and each comparison downloads every customer and product (120 per page), so a
tenant importing every 15 minutes is not charged that each time: once a day is enough for
records that only matter to new work orders (old ones keep theirs). "Sync now" with ``full``
compares at once."""
DEFAULT_BATCH_SIZE = 200
DEFAULT_CHECKPOINT_MARGIN_SECONDS = 90.0
READ_AHEAD_BATCHES = 2
"""Batches each Billit list is read ahead of OutSmart: enough to hide a page's wait, and at
most this many batches are read again after a checkpoint."""
STORE_WORKERS = 3
"""Threads storing one list's mappings: a partition's pace (900 items/s) needs one or two at
DynamoDB's latency; the third lets a batch's second partition (contacts) fill alongside."""
MAX_PENDING_STORES = 64
"""Batches OutSmart accepted whose mappings are not stored yet, per list: lets OutSmart run on
while the busiest partition catches up, and bounds what a checkpoint drains (64 batches of 400
items at 900/s: about 28 s, inside the checkpoint margin)."""


def _batches[ItemT](items: Iterable[ItemT], size: int) -> Iterator[list[ItemT]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class _Pending[RecordT: UpsertRecord]:
    """Records of one kind that must be written, and the mappings to store once they are."""

    records: list[RecordT] = field(default_factory=list)
    mappings: list[IdMapping] = field(default_factory=list)

    def accepted_mappings(self, refused: set[int]) -> list[IdMapping]:
        return [mapping for i, mapping in enumerate(self.mappings) if i not in refused]


@dataclass
class _Prepared:
    """One batch of a Billit list, read and decided in a reader thread: the counts so far, the
    watermark stamps, and the mappings as stored (``put_many`` does not read them again)."""

    tally: ImportReport
    billit_ids: list[str]
    stamps: list[datetime | None]
    stored: dict[tuple[MappedEntity, str], IdMapping]


@dataclass
class _CustomerBatch(_Prepared):
    relations: _Pending[RelationRecord]
    contacts: _Pending[ContactPersonRecord]


@dataclass
class _ProductBatch(_Prepared):
    categories: _Pending[CategoryRecord]
    materials: _Pending[MaterialRecord]
    links: list[MaterialCategoryRecord]
    regrouped: dict[str, str]  # material code → its new cat_code ("" for no group)
    hours: _Pending[HourTypeRecord]


@dataclass(frozen=True)
class _Source[BatchT: _Prepared]:
    """One Billit list as the run imports it."""

    name: str  # PARTIES / PRODUCTS: its watermark item
    entity: ImportedEntity  # where its seconds are reported
    fingerprint: str
    batches: Callable[[], Iterator[BatchT]]  # runs in the reader thread
    write: Callable[[BatchT, ImportReport], list[IdMapping]]  # to OutSmart; what it accepted


@dataclass
class _Lane:
    """A list being imported: its prepared batches and the stores of its mappings."""

    source: _Source[Any]
    batches: Iterator[_Prepared]
    stores: OrderedCommits


def _stored_by_key(
    entity: MappedEntity, found: dict[str, IdMapping]
) -> dict[tuple[MappedEntity, str], IdMapping]:
    return {(entity, billit_id): mapping for billit_id, mapping in found.items()}


@dataclass
class Importer:
    tenant_id: str
    party_id: str
    settings: ImportSettings
    billit: BillitClient
    outsmart: OutSmartClient
    mappings: MappingStore
    watermarks: WatermarkStore
    time_left: Callable[[], float]
    monotonic: Callable[[], float] = time.monotonic
    batch_size: int = DEFAULT_BATCH_SIZE
    checkpoint_margin: float = DEFAULT_CHECKPOINT_MARGIN_SECONDS
    clock: Clock = system_clock
    comparison_interval: timedelta = COMPARISON_INTERVAL
    read_ahead: int = READ_AHEAD_BATCHES
    store_workers: int = STORE_WORKERS
    max_pending_stores: int = MAX_PENDING_STORES
    # Billit ids seen by a read of a whole list (from the start, in this invocation), by source.
    _seen: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)
    _complete: set[str] = field(default_factory=set, init=False, repr=False)
    # Sources this company never imported before (no watermark item): no mapping can be gone.
    _first_import: set[str] = field(default_factory=set, init=False, repr=False)
    # OutSmart's material↔category links, read once per run when a product changed group (each
    # material is written once per run, so later batches never need a fresher copy).
    _links: dict[str, set[str]] | None = field(default=None, init=False, repr=False)
    # OutSmart keys taken in this run, by kind: key → Billit id (a later duplicate is skipped
    # even before the first one's mapping is stored).
    _claims: dict[MappedEntity, dict[str, str]] = field(
        default_factory=dict, init=False, repr=False
    )
    # Product groups decided in this run (products reader thread only), by Billit group id.
    _decided_groups: dict[str, IdMapping] = field(default_factory=dict, init=False, repr=False)

    def run(self, *, full: bool = False, resume: bool = False) -> ImportReport:
        """Import what the settings enable. ``resume``: continue a run that checkpointed."""
        report = ImportReport()
        compare = not resume and (full or self._comparison_due())
        if compare:
            self._mark_compared()  # at most one attempt a day, even if this one pauses
        sources: list[_Source[Any]] = []
        if self.settings.customers:
            sources.append(self._parties(full=full, resume=resume, compare=compare))
        if self.settings.products or self.settings.hour_types:
            sources.append(self._products(full=full, resume=resume, compare=compare))
        report.finished = self._import(sources, report)
        if compare and report.finished:
            report.compared = True
            if self._first_import >= {PARTIES, PRODUCTS} & set(self._seen):
                return report  # a first import: nothing earlier to compare with
            reconcile(
                report=report,
                settings=self.settings,
                tenant_id=self.tenant_id,
                party_id=self.party_id,
                outsmart=self.outsmart,
                mappings=self.mappings,
                seen_parties=self._seen.get(PARTIES) if PARTIES in self._complete else None,
                seen_products=self._seen.get(PRODUCTS) if PRODUCTS in self._complete else None,
                today=self.clock().date(),
            )
        return report

    def _import(self, sources: list["_Source[Any]"], report: ImportReport) -> bool:
        """Every list, overlapped (``pipeline``); False when a checkpoint stopped the run.

        The lists are read from the start at the same time (two Billit requests at most, within
        the five assumed per connection, billit-api.md §9). OutSmart gets their batches in
        turn, one request at a time, so each list's mappings start filling their partitions at
        once instead of the products' waiting for the last customer. Each list stores on its
        own threads, and its watermark follows its own batches. Leaving the block stores what
        is pending and closes the readers, on success, checkpoint and error alike."""
        started = self.monotonic()
        with ExitStack() as stack:
            lanes = [
                _Lane(
                    source=source,
                    batches=iter(
                        stack.enter_context(
                            BackgroundReader(
                                source.batches, depth=self.read_ahead, name=f"import-{source.name}"
                            )
                        )
                    ),
                    stores=stack.enter_context(
                        OrderedCommits(
                            workers=self.store_workers, max_pending=self.max_pending_stores
                        )
                    ),
                )
                for source in sources
            ]
            while lanes:
                for lane in list(lanes):
                    batch = next(lane.batches, None)
                    if batch is None:
                        lane.stores.then(partial(self._completed, lane.source, report, started))
                        lanes.remove(lane)
                        continue
                    self._import_batch(lane, batch, report)
                    if self._out_of_time():
                        for stopped in lanes:
                            stopped.stores.then(
                                partial(self._took, report, stopped.source.entity, started)
                            )
                        return False
        return True

    def _import_batch(self, lane: "_Lane", batch: _Prepared, report: ImportReport) -> None:
        source = lane.source
        self._saw(source.name, batch.billit_ids)
        report.merge(batch.tally)
        accepted = source.write(batch, report)
        lane.stores.submit(
            write=partial(self._store, accepted, batch.stored),
            commit=partial(self._advance, source.name, batch.stamps),
        )

    def _completed(self, source: "_Source[Any]", report: ImportReport, started: float) -> None:
        """Every batch of the list is stored: the list is done."""
        self._read_complete(source.name)
        self._finish(source.name, source.fingerprint)
        self._took(report, source.entity, started)

    def _took(self, report: ImportReport, entity: ImportedEntity, started: float) -> None:
        report.seconds[entity] = self.monotonic() - started

    # ------------------------------------------------------------- comparison
    def _comparison_due(self) -> bool:
        mark = self.watermarks.get(self.tenant_id, self.party_id, COMPARISON)
        last = (mark.checkpoint or {}).get(COMPARED_AT)
        if not last:
            return True
        return self.clock() - from_iso(last) >= self.comparison_interval

    def _mark_compared(self) -> None:
        self.watermarks.save_checkpoint(
            self.tenant_id, self.party_id, COMPARISON, {COMPARED_AT: to_iso(self.clock())}
        )

    # ----------------------------------------------------------------- plumbing
    def _out_of_time(self) -> bool:
        return self.time_left() < self.checkpoint_margin

    def _start(
        self, source: str, fingerprint: str, *, full: bool, resume: bool, compare: bool
    ) -> tuple[datetime | None, str | None]:
        """Where to read from, and the full-sync generation (None for an incremental run).

        A full sync writes every record once, even unchanged ones; its generation id, kept in
        the checkpoint and on each mapping it writes, lets a resumed full sync skip what it
        already wrote instead of starting over. A comparison run reads from the start but
        writes only what changed. Reads from the start collect the Billit ids they see.
        """
        since, generation = self._read_from(
            source, fingerprint, full=full, resume=resume, compare=compare
        )
        if since is None and not resume:
            self._seen[source] = set()
        return since, generation

    def _saw(self, source: str, billit_ids: Iterable[str]) -> None:
        seen = self._seen.get(source)
        if seen is not None:
            seen.update(billit_ids)

    def _read_complete(self, source: str) -> None:
        """The whole list was read in this invocation: its ids may be compared (a partial read
        must never make a record look deleted)."""
        if source in self._seen:
            self._complete.add(source)

    def _read_from(
        self, source: str, fingerprint: str, *, full: bool, resume: bool, compare: bool
    ) -> tuple[datetime | None, str | None]:
        mark = self.watermarks.get(self.tenant_id, self.party_id, source)
        if mark.last_modified is None and mark.checkpoint is None:
            self._first_import.add(source)
        checkpoint = mark.checkpoint or {}
        settings_changed = checkpoint.get("settings") != fingerprint
        if compare and not full and not settings_changed:
            return None, None
        if (full and not resume) or settings_changed:
            generation = uuid.uuid4().hex
            self.watermarks.reset(self.tenant_id, self.party_id, source)
            self.watermarks.save_checkpoint(
                self.tenant_id,
                self.party_id,
                source,
                {"settings": fingerprint, GENERATION: generation},
            )
            return None, generation
        since = from_iso(mark.last_modified) if mark.last_modified else None
        return since, checkpoint.get(GENERATION) or None

    def _finish(self, source: str, fingerprint: str) -> None:
        self.watermarks.save_checkpoint(
            self.tenant_id, self.party_id, source, {"settings": fingerprint, GENERATION: ""}
        )

    def _advance(self, source: str, stamps: Sequence[datetime | None]) -> None:
        latest = max((stamp for stamp in stamps if stamp is not None), default=None)
        if latest is not None:
            self.watermarks.advance(self.tenant_id, self.party_id, source, latest.isoformat())

    def _existing(self, entity: MappedEntity, billit_ids: list[str]) -> dict[str, IdMapping]:
        if not billit_ids:
            return {}
        return self.mappings.get_many_by_billit_ids(
            self.tenant_id, self.party_id, entity, billit_ids
        )

    def _owners(self, entity: MappedEntity, outsmart_keys: list[str]) -> dict[str, IdMapping]:
        if not outsmart_keys:
            return {}
        return self.mappings.get_many_by_outsmart_keys(
            self.tenant_id, self.party_id, entity, outsmart_keys
        )

    def _decide[RecordT: UpsertRecord](
        self,
        *,
        report: ImportReport,
        entity: ImportedEntity,
        mapped_entity: MappedEntity,
        billit_id: str,
        outsmart_key: str,
        record: RecordT,
        previous: IdMapping | None,
        pending: "_Pending[RecordT]",
        generation: str | None,
        attributes: dict[str, str] | None = None,
        also_hashed: UpsertRecord | None = None,
    ) -> bool:
        """Queue ``record`` when new, changed, or not yet written by the running full sync;
        count it. True when it is to be written. ``also_hashed`` (a material's category link)
        counts as part of the content, so a change of it alone is written too."""
        digest = content_hash(record) if also_hashed is None else content_hash(record, also_hashed)
        counts = report.of(entity)
        unchanged = (
            previous is not None
            and not previous.is_gone  # back in Billit: write it again (active again)
            and previous.content_hash == digest
            and previous.outsmart_key == outsmart_key
            and (generation is None or previous.attributes.get(GENERATION) == generation)
        )
        if unchanged:
            counts.unchanged += 1
            return False
        attributes = dict(attributes or {})
        if generation is not None:
            attributes[GENERATION] = generation
        if previous is None:
            counts.created += 1
        else:
            counts.updated += 1
        pending.records.append(record)
        pending.mappings.append(
            IdMapping(
                entity=mapped_entity,
                billit_id=billit_id,
                outsmart_key=outsmart_key,
                content_hash=digest,
                attributes=attributes,
            )
        )
        return True

    def _write[RecordT: UpsertRecord](
        self,
        upsert: Callable[[list[RecordT]], int],
        records: list[RecordT],
        label_of: Callable[[RecordT], str],
        report: ImportReport,
        entity: ImportedEntity,
    ) -> set[int]:
        """Upsert a batch; if OutSmart refuses it, record by record. Returns the positions of
        records not written (already reported as skipped).

        A record missing a field the spec marks required is never posted: it is skipped and
        named here, before the call, since OutSmart refuses the whole batch for one such row
        (``xx01`` with ``response: null``, desc:415-419)."""
        if not records:
            return set()
        refused: set[int] = set()
        for position, record in enumerate(records):
            missing = record.missing_required()
            if missing:
                refused.add(position)
                self._refused(
                    report, entity, label_of(record), f"no {', '.join(missing)} (required)"
                )
        sendable = [(i, record) for i, record in enumerate(records) if i not in refused]
        if not sendable:
            return refused
        try:
            upsert([record for _, record in sendable])
            return refused
        except OutSmartValidationError:
            logger.info(
                "OutSmart refused a batch; writing it record by record",
                extra={"tenant_id": self.tenant_id, "entity": entity.value, "size": len(records)},
            )
        for position, record in sendable:
            try:
                upsert([record])
            except OutSmartValidationError as error:
                refused.add(position)
                reason = "; ".join(error.messages) or "refused by OutSmart"
                self._refused(report, entity, label_of(record), reason)
        return refused

    @staticmethod
    def _refused(report: ImportReport, entity: ImportedEntity, label: str, reason: str) -> None:
        """A record counted as created or updated that was not written after all."""
        report.skip(entity, Skipped(billit_id="", label=label, reason=reason))
        counts = report.of(entity)
        if counts.created:
            counts.created -= 1
        elif counts.updated:
            counts.updated -= 1

    def _store(
        self, accepted: list[IdMapping], stored: dict[tuple[MappedEntity, str], IdMapping]
    ) -> None:
        """Store the mappings of what OutSmart accepted (never of what it refused)."""
        if accepted:
            self.mappings.put_many(self.tenant_id, self.party_id, accepted, stored=stored)

    # ------------------------------------------------------------------ parties
    def _parties(self, *, full: bool, resume: bool, compare: bool) -> _Source[_CustomerBatch]:
        with_contacts = self.settings.contact_persons
        fingerprint = f"customers=1,contact_persons={int(with_contacts)}"
        since, generation = self._start(
            PARTIES, fingerprint, full=full, resume=resume, compare=compare
        )

        def batches() -> Iterator[_CustomerBatch]:
            parties = self.billit.parties.iter_parties(modified_since=since)
            for batch in _batches(parties, self.batch_size):
                yield self._prepare_customers(
                    batch, generation=generation, with_contacts=with_contacts
                )

        return _Source(
            PARTIES, ImportedEntity.CUSTOMERS, fingerprint, batches, self._write_customers
        )

    def _prepare_customers(
        self, parties: list[Party], *, generation: str | None, with_contacts: bool
    ) -> _CustomerBatch:
        """Map, read what is stored, decide (reader thread: no OutSmart call here)."""
        tally = ImportReport()
        good: list[CustomerRecords] = []
        for mapped in map(map_customer, parties):
            if isinstance(mapped, Skipped):
                tally.skip(ImportedEntity.CUSTOMERS, mapped)
            else:
                good.append(mapped)
        known = self._existing(MappedEntity.CUSTOMER, [c.billit_id for c in good])
        good = self._unique_keys(
            good,
            key=lambda c: c.relation.debtor_number,
            billit_id_of=lambda c: c.billit_id,
            known=known,
            entity=MappedEntity.CUSTOMER,
            report=tally,
            imported=ImportedEntity.CUSTOMERS,
            label=lambda c: c.relation.name,
            what="customer number",
        )
        ids = [c.billit_id for c in good]
        known_contacts = self._existing(MappedEntity.CONTACT_PERSON, ids) if with_contacts else {}
        batch = _CustomerBatch(
            tally=tally,
            billit_ids=[str(party.party_id) for party in parties],
            stamps=[party.last_modified for party in parties],
            stored=_stored_by_key(MappedEntity.CUSTOMER, known)
            | _stored_by_key(MappedEntity.CONTACT_PERSON, known_contacts),
            relations=_Pending(),
            contacts=_Pending(),
        )
        for customer in good:
            self._decide(
                report=tally,
                entity=ImportedEntity.CUSTOMERS,
                mapped_entity=MappedEntity.CUSTOMER,
                billit_id=customer.billit_id,
                outsmart_key=customer.relation.debtor_number,
                record=customer.relation,
                previous=known.get(customer.billit_id),
                pending=batch.relations,
                generation=generation,
            )
            if with_contacts and customer.contact is not None:
                self._decide(
                    report=tally,
                    entity=ImportedEntity.CONTACT_PERSONS,
                    mapped_entity=MappedEntity.CONTACT_PERSON,
                    billit_id=customer.billit_id,
                    outsmart_key=customer.contact.cpn_code,
                    record=customer.contact,
                    previous=known_contacts.get(customer.billit_id),
                    pending=batch.contacts,
                    generation=generation,
                )
        return batch

    def _write_customers(self, batch: _CustomerBatch, report: ImportReport) -> list[IdMapping]:
        """Relations, then their contacts, to OutSmart; the mappings of what it accepted."""
        relations, contacts = batch.relations, batch.contacts
        refused_relations = self._write(
            self.outsmart.upsert_relations,
            relations.records,
            lambda r: r.name,
            report,
            ImportedEntity.CUSTOMERS,
        )
        # A contact of a refused relation has nothing to belong to: drop it too.
        refused_debtors = {relations.records[i].debtor_number for i in refused_relations}
        orphaned = {i for i, c in enumerate(contacts.records) if c.cpn_debtor_nr in refused_debtors}
        kept = [i for i in range(len(contacts.records)) if i not in orphaned]
        refused_kept = self._write(
            self.outsmart.upsert_contact_persons,
            [contacts.records[i] for i in kept],
            lambda c: c.cpn_name,
            report,
            ImportedEntity.CONTACT_PERSONS,
        )
        refused_contacts = orphaned | {kept[i] for i in refused_kept}
        return relations.accepted_mappings(refused_relations) + contacts.accepted_mappings(
            refused_contacts
        )

    def _unique_keys[ItemT](
        self,
        items: list[ItemT],
        *,
        key: Callable[[ItemT], str],
        billit_id_of: Callable[[ItemT], str],
        known: dict[str, IdMapping],
        entity: MappedEntity,
        report: ImportReport,
        imported: ImportedEntity,
        label: Callable[[ItemT], str],
        what: str,
    ) -> list[ItemT]:
        """Two Billit records must never write the same OutSmart record: the second one (in
        this run, or against an earlier import) is skipped with the reason.

        An earlier import's owner is read only for keys the record's own stored mapping
        (``known``) does not already name: a stored mapping's reverse entry names its record.
        """
        claims = self._claims.setdefault(entity, {})
        owners = self._owners(
            entity,
            [
                key(item)
                for item in items
                if (mine := known.get(billit_id_of(item))) is None or mine.outsmart_key != key(item)
            ],
        )
        unique: list[ItemT] = []
        for item in items:
            outsmart_key = key(item)
            billit_id = billit_id_of(item)
            owner = owners.get(outsmart_key)
            claimed = claims.get(outsmart_key)
            taken_before = owner is not None and owner.billit_id != billit_id
            if taken_before or (claimed is not None and claimed != billit_id):
                report.skip(
                    imported,
                    Skipped(
                        billit_id=billit_id,
                        label=label(item),
                        reason=f"{what} {outsmart_key} is already used by another Billit record",
                    ),
                )
                continue
            claims[outsmart_key] = billit_id
            unique.append(item)
        return unique

    # ----------------------------------------------------------------- products
    def _products(self, *, full: bool, resume: bool, compare: bool) -> _Source[_ProductBatch]:
        s = self.settings
        fingerprint = (
            f"products={int(s.products)},product_groups={int(s.product_groups)},"
            f"hour_types={int(s.hour_types)}"
        )
        since, generation = self._start(
            PRODUCTS, fingerprint, full=full, resume=resume, compare=compare
        )

        def batches() -> Iterator[_ProductBatch]:
            products = self.billit.products.iter_products(modified_since=since)
            for batch in _batches(products, self.batch_size):
                yield self._prepare_products(batch, generation=generation)

        return _Source(
            PRODUCTS, ImportedEntity.PRODUCTS, fingerprint, batches, self._write_products
        )

    def _prepare_products(
        self, products: list[Product], *, generation: str | None
    ) -> _ProductBatch:
        """Map, read what is stored, decide (reader thread: no OutSmart call here)."""
        s = self.settings
        report = ImportReport()
        mapped: list[tuple[Product, ProductRecords]] = []
        for product in products:
            result = map_product(product)
            if isinstance(result, Skipped):
                report.skip(ImportedEntity.PRODUCTS, result)
            else:
                mapped.append((product, result))
        materials = [(p, r) for p, r in mapped if r.material is not None and s.products]
        known_materials = self._existing(MappedEntity.PRODUCT, [r.billit_id for _, r in materials])
        materials = self._unique_keys(
            materials,
            key=lambda pair: _material(pair[1]).code,
            billit_id_of=lambda pair: pair[1].billit_id,
            known=known_materials,
            entity=MappedEntity.PRODUCT,
            report=report,
            imported=ImportedEntity.PRODUCTS,
            label=lambda pair: _material(pair[1]).code,
            what="material code",
        )
        hours = [(p, r) for p, r in mapped if r.hour_type is not None and s.hour_types]
        known_hours = self._existing(MappedEntity.HOUR_TYPE, [r.billit_id for _, r in hours])

        categories: _Pending[CategoryRecord] = _Pending()
        known_groups: dict[str, IdMapping] = {}
        if s.product_groups:
            known_groups = self._decide_groups(materials, report, categories, generation)

        material_pending: _Pending[MaterialRecord] = _Pending()
        links: list[MaterialCategoryRecord] = []
        regrouped: dict[str, str] = {}  # material code → its new cat_code ("" for no group)
        for _, records in materials:
            material = _material(records)
            attributes = {"unit": material.unit}
            if records.vat_rate is not None:
                attributes["vat_rate"] = str(records.vat_rate)
            link = records.link if s.product_groups else None
            if s.product_groups:
                attributes[CATEGORY] = "" if link is None else link.mct_cat_code
            previous = known_materials.get(records.billit_id)
            written = self._decide(
                report=report,
                entity=ImportedEntity.PRODUCTS,
                mapped_entity=MappedEntity.PRODUCT,
                billit_id=records.billit_id,
                outsmart_key=material.code,
                record=material,
                previous=previous,
                pending=material_pending,
                generation=generation,
                attributes=attributes,
                also_hashed=link,
            )
            if written and link is not None:
                links.append(link)
            moved = previous is not None and previous.attributes.get(CATEGORY) != attributes.get(
                CATEGORY
            )
            if written and s.product_groups and moved:
                # A group change, or a mapping from before groups were followed (no attribute):
                # OutSmart's own links say which old Billit group link, if any, is left over.
                regrouped[material.code] = attributes[CATEGORY]

        hour_pending: _Pending[HourTypeRecord] = _Pending()
        for _, records in hours:
            hour_type = records.hour_type
            if hour_type is None:  # filtered above
                continue
            self._decide(
                report=report,
                entity=ImportedEntity.HOUR_TYPES,
                mapped_entity=MappedEntity.HOUR_TYPE,
                billit_id=records.billit_id,
                outsmart_key=hour_type.code,
                record=hour_type,
                previous=known_hours.get(records.billit_id),
                pending=hour_pending,
                generation=generation,
                attributes={
                    "sale_price": str(hour_type.sale_price),
                    "name": hour_type.name,
                    **({"vat_rate": str(records.vat_rate)} if records.vat_rate is not None else {}),
                },
            )

        return _ProductBatch(
            tally=report,
            billit_ids=[str(product.product_id) for product in products],
            stamps=[product.last_modified for product in products],
            stored=_stored_by_key(MappedEntity.PRODUCT, known_materials)
            | _stored_by_key(MappedEntity.HOUR_TYPE, known_hours)
            | _stored_by_key(MappedEntity.PRODUCT_GROUP, known_groups),
            categories=categories,
            materials=material_pending,
            links=links,
            regrouped=regrouped,
            hours=hour_pending,
        )

    def _decide_groups(
        self,
        materials: list[tuple[Product, ProductRecords]],
        report: ImportReport,
        categories: _Pending[CategoryRecord],
        generation: str | None,
    ) -> dict[str, IdMapping]:
        """Queue the batch's product groups that are new or changed; returns the stored
        mappings read. Groups recur in every batch: this run's own decision stands for the
        stored mapping (it may not be stored yet), so a group is read and written once a run."""
        groups = {
            str(p.group_id): r.category
            for p, r in materials
            if r.category is not None and p.group_id is not None
        }
        decided = self._decided_groups
        known = self._existing(MappedEntity.PRODUCT_GROUP, [g for g in groups if g not in decided])
        for group_id, category in groups.items():
            previous = decided.get(group_id, known.get(group_id))
            written = self._decide(
                report=report,
                entity=ImportedEntity.PRODUCT_GROUPS,
                mapped_entity=MappedEntity.PRODUCT_GROUP,
                billit_id=group_id,
                outsmart_key=category.cat_code,
                record=category,
                previous=previous,
                pending=categories,
                generation=generation,
            )
            mapping = categories.mappings[-1] if written else previous
            if mapping is not None:
                decided[group_id] = mapping
        return known

    def _write_products(self, batch: _ProductBatch, report: ImportReport) -> list[IdMapping]:
        """Categories, materials, their links and hour types to OutSmart; the mappings of what
        it accepted."""
        refused_categories = self._write(
            self.outsmart.upsert_categories,
            batch.categories.records,
            lambda c: c.cat_name,
            report,
            ImportedEntity.PRODUCT_GROUPS,
        )
        refused_materials = self._write(
            self.outsmart.upsert_materials,
            batch.materials.records,
            lambda m: m.code,
            report,
            ImportedEntity.PRODUCTS,
        )
        refused_codes = {batch.materials.records[i].code for i in refused_materials}
        links = batch.links + self._regroup(
            {code: cat for code, cat in batch.regrouped.items() if code not in refused_codes},
            report,
        )
        self._write(
            self.outsmart.upsert_material_categories,
            [link for link in links if link.mct_mat_code not in refused_codes],
            lambda link: link.mct_mat_code,
            report,
            ImportedEntity.PRODUCT_GROUPS,
        )
        refused_hours = self._write(
            self.outsmart.upsert_hour_types,
            batch.hours.records,
            lambda h: h.code,
            report,
            ImportedEntity.HOUR_TYPES,
        )
        return (
            batch.categories.accepted_mappings(refused_categories)
            + batch.materials.accepted_mappings(refused_materials)
            + batch.hours.accepted_mappings(refused_hours)
        )

    def _regroup(
        self, new_category: dict[str, str], report: ImportReport
    ) -> list[MaterialCategoryRecord]:
        """Remove the links of materials to Billit groups they left; returns the other links of
        those materials, to be posted again with the new ones.

        ``DeleteEntity`` takes one key for ``material_category`` (the array form is documented
        for ``object_part`` only, desc:2714): ``mct_mat_code`` removes all of the material's
        links, ``mct_cat_code`` would hit every material of the group. So the material's links
        are read first, its links to categories the user made (no ``BILLIT-`` prefix) and to its
        new group are re-posted, and only the stale Billit group link is gone afterwards.
        """
        if not new_category:
            return []
        if self._links is None:
            self._links = {}
            for link in self.outsmart.list_material_categories():
                self._links.setdefault(link.mct_mat_code, set()).add(link.mct_cat_code)
        current = self._links
        restored: list[MaterialCategoryRecord] = []
        for code, category in sorted(new_category.items()):
            linked = current.get(code, set())
            stale = {c for c in linked if c.startswith(CODE_PREFIX) and c != category}
            if not stale:
                continue
            try:
                self.outsmart.delete_entity("material_category", "mct_mat_code", code)
            except OutSmartApiError as error:
                reason = "; ".join(error.messages) or f"code {error.code}"
                report.skip(
                    ImportedEntity.PRODUCT_GROUPS,
                    Skipped(
                        billit_id="",
                        label=code,
                        reason=f"its old product group link could not be removed ({reason})",
                    ),
                )
                continue
            report.of(ImportedEntity.PRODUCTS).moved += 1
            restored += [
                MaterialCategoryRecord(mct_mat_code=code, mct_cat_code=kept)
                for kept in sorted(linked - stale - {category})
            ]
        return restored


def _material(records: ProductRecords) -> MaterialRecord:
    """The material of a product already known to have one (hour products have none)."""
    material = records.material
    if material is None:
        raise ValueError("product has no material")
    return material
