"""What one import run did, per entity: the numbers the log panel shows and the skipped records."""

from dataclasses import dataclass, field, fields
from enum import StrEnum

from billit_sync.sync.imports.mapping import Skipped


class ImportedEntity(StrEnum):
    CUSTOMERS = "customers"
    CONTACT_PERSONS = "contact_persons"
    PRODUCTS = "products"
    PRODUCT_GROUPS = "product_groups"
    HOUR_TYPES = "hour_types"


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deactivated: int = 0  # gone from Billit: set inactive in OutSmart (relations, hour types)
    reported: int = 0  # gone from Billit: OutSmart cannot deactivate it (materials), so said
    moved: int = 0  # product moved to another group: old category link removed

    @property
    def written(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Gone:
    """A record no longer in Billit (deleted or archived) and what the import did about it."""

    label: str  # what the user recognises in OutSmart: name / code
    deactivated: bool  # True: set inactive in OutSmart; False: only reported
    reason: str = ""  # why it was only reported (empty: the entity cannot be deactivated)


@dataclass
class ImportReport:
    counts: dict[ImportedEntity, EntityCounts] = field(default_factory=dict)
    skipped: list[tuple[ImportedEntity, Skipped]] = field(default_factory=list)
    gone: list[tuple[ImportedEntity, Gone]] = field(default_factory=list)
    compared: bool = False  # this run compared the full Billit id sets (deletions followed)
    seconds: dict[ImportedEntity, float] = field(default_factory=dict)
    finished: bool = True  # False: stopped at a checkpoint, a continuation job follows

    def of(self, entity: ImportedEntity) -> EntityCounts:
        return self.counts.setdefault(entity, EntityCounts())

    def skip(self, entity: ImportedEntity, record: Skipped) -> None:
        self.of(entity).skipped += 1
        self.skipped.append((entity, record))

    def merge(self, other: "ImportReport") -> None:
        """Add ``other``'s counts, skipped and gone records (one batch's tally) to this one."""
        for entity, counts in other.counts.items():
            mine = self.of(entity)
            for count in fields(EntityCounts):
                setattr(mine, count.name, getattr(mine, count.name) + getattr(counts, count.name))
        self.skipped += other.skipped
        self.gone += other.gone

    def no_longer_in_billit(self, entity: ImportedEntity, record: Gone) -> None:
        counts = self.of(entity)
        if record.deactivated:
            counts.deactivated += 1
        else:
            counts.reported += 1
        self.gone.append((entity, record))

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())
