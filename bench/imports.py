"""Import of a large account against the fakes with simulated network latency.

Measures wall time, the HTTP round trips made, and compares them with the round trips that
cannot be avoided: every Billit page (120 rows) and every OutSmart upsert batch (200 rows).
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billit_sync.sync.imports.importer import COMPARISON_INTERVAL
from billit_sync.sync.imports.report import ImportedEntity
from tests.integration.sync.import_harness import COMPANY, import_harness

BILLIT_PAGE = 120
OUTSMART_BATCH = 200


@dataclass
class ImportBenchmark:
    customers: int
    products: int
    groups: int
    latency_ms: float
    seconds: float
    billit_calls: int
    outsmart_calls: int
    minimum_calls: int
    created: dict[str, int]
    # The daily comparison on the same account a day later, nothing changed in Billit: a full
    # read of both lists (deletions are never signalled), nothing written to OutSmart.
    comparison_seconds: float = 0.0
    comparison_billit_calls: int = 0
    comparison_outsmart_calls: int = 0

    @property
    def minimum_seconds(self) -> float:
        return self.minimum_calls * self.latency_ms / 1000

    @property
    def network_share(self) -> float:
        calls = self.billit_calls + self.outsmart_calls
        return 100 * calls * self.latency_ms / 1000 / self.seconds

    def markdown(self) -> str:
        rows = "\n".join(f"| {entity} | {count:,} |" for entity, count in self.created.items())
        calls = self.billit_calls + self.outsmart_calls
        return f"""## Import: {self.customers:,} customers and {self.products:,} products

Simulated latency {self.latency_ms:.0f} ms per HTTP call (Billit and OutSmart fakes), moto for
DynamoDB, one run of the import worker's `Importer`.

| measure | value |
|---|---|
| wall time | {self.seconds:.1f} s |
| HTTP calls made | {calls} (Billit {self.billit_calls}, OutSmart {self.outsmart_calls}) |
| unavoidable calls (pages of {BILLIT_PAGE}, upserts of {OUTSMART_BATCH}) | {self.minimum_calls} |
| time those calls cost at {self.latency_ms:.0f} ms, one at a time | {self.minimum_seconds:.1f} s |
| share of wall time spent waiting on the network | {self.network_share:.0f} % |
| Lambda limit | 900 s (the import checkpoints and continues when it would not fit) |

| written to OutSmart | records |
|---|---|
{rows}

The daily comparison (Billit signals no deletions, so once a day the import reads both whole
lists and compares ids with the mappings), a day later with nothing changed:

| measure | value |
|---|---|
| wall time | {self.comparison_seconds:.1f} s |
| HTTP calls made | {self.comparison_billit_calls + self.comparison_outsmart_calls} (Billit \
{self.comparison_billit_calls}, OutSmart {self.comparison_outsmart_calls}) |
"""


def run(
    customers: int = 10_000, products: int = 5_000, latency_ms: float = 20.0
) -> ImportBenchmark:
    groups = 25
    with import_harness() as h:
        for n in range(customers):
            h.billit.add_party(
                COMPANY,
                Name=f"Klant {n}",
                Nr=f"K{n:05d}",
                PartyType="Customer",
                Street="Markt",
                StreetNumber="1",
                Zipcode="1000",
                City="Brussel",
                ContactFirstName="Contact",
                ContactLastName=str(n),
            )
        for n in range(products):
            h.billit.add_product(
                COMPANY,
                Reference=f"P{n:05d}",
                Description=f"Product {n}",
                AmountExcl=Decimal("1.50"),
                VAT=21,
                Unit="C62",
                GroupID=n % groups,
                GroupName=f"Groep {n % groups}",
            )
        h.billit.faults.latency = latency_ms / 1000
        h.outsmart.faults.latency = latency_ms / 1000
        billit_before, outsmart_before = len(h.billit.calls), len(h.outsmart.calls)
        started = time.perf_counter()
        report = h.importer().run()
        seconds = time.perf_counter() - started
        assert report.finished, "the benchmark account must fit in one run"
        billit_calls = len(h.billit.calls) - billit_before
        outsmart_calls = len(h.outsmart.calls) - outsmart_before

        def next_day() -> datetime:
            return h.clock() + COMPARISON_INTERVAL

        billit_before, outsmart_before = len(h.billit.calls), len(h.outsmart.calls)
        started = time.perf_counter()
        comparison = h.importer(clock=next_day).run()
        comparison_seconds = time.perf_counter() - started
        assert comparison.compared and comparison.finished and not comparison.gone
        comparison_billit = len(h.billit.calls) - billit_before
        comparison_outsmart = len(h.outsmart.calls) - outsmart_before
    pages = math.ceil(customers / BILLIT_PAGE) + math.ceil(products / BILLIT_PAGE)
    upserts = (
        2 * math.ceil(customers / OUTSMART_BATCH)  # relations, contact persons
        + 2 * math.ceil(products / OUTSMART_BATCH)  # materials, material-category links
        + 1  # categories
    )
    return ImportBenchmark(
        customers=customers,
        products=products,
        groups=groups,
        latency_ms=latency_ms,
        seconds=seconds,
        billit_calls=billit_calls,
        outsmart_calls=outsmart_calls,
        minimum_calls=pages + upserts,
        created={e.value: report.of(e).created for e in ImportedEntity if e in report.counts},
        comparison_seconds=comparison_seconds,
        comparison_billit_calls=comparison_billit,
        comparison_outsmart_calls=comparison_outsmart,
    )
