"""What one import run did, per entity: the numbers the log panel shows and the skipped records."""

from dataclasses import dataclass, field
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

    @property
    def written(self) -> int:
        return self.created + self.updated


@dataclass
class ImportReport:
    counts: dict[ImportedEntity, EntityCounts] = field(default_factory=dict)
    skipped: list[tuple[ImportedEntity, Skipped]] = field(default_factory=list)
    seconds: dict[ImportedEntity, float] = field(default_factory=dict)
    finished: bool = True  # False: stopped at a checkpoint, a continuation job follows

    def of(self, entity: ImportedEntity) -> EntityCounts:
        return self.counts.setdefault(entity, EntityCounts())

    def skip(self, entity: ImportedEntity, record: Skipped) -> None:
        self.of(entity).skipped += 1
        self.skipped.append((entity, record))

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())
