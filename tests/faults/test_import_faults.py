"""The import under faults, through the import worker as SQS drives it: Billit's parties and
products pages and OutSmart's upserts under every fault kind, and DynamoDB throttling at every
store call. After recovery (within the import queue's ``maxReceiveCount`` deliveries) no
record is lost or duplicated: OutSmart's relations, materials and hour types are exactly the
Billit data, and no logical HTTP call exceeded its ``RetryPolicy``.

Each case adds new Billit records, so the incremental import has something to write (and a
watermark that must not move past what was not written). Billit pages hold two records, so
every list has later pages.
"""

from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.sync.imports.jobs import ImportJob
from functions.import_worker import app as import_worker
from tests.fakes.faults import FaultKind
from tests.faults.conftest import (
    DEFAULT_POLICY,
    Faults,
    Site,
    attempts_at,
    fault_knobs,
    max_receive_count,
)
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import Stack, running_stack, sqs_event
from tests.support.template import resources_of_type

TENANT = "acme"
USER = "an@claes.example"
COMPANY = 512340
OUTSMART_TOKEN = "os-token-acme"
MAX_RECEIVES = max_receive_count("ImportJobsQueue")
VISIBILITY_TIMEOUT = int(
    resources_of_type("AWS::SQS::Queue")["ImportJobsQueue"]["Properties"]["VisibilityTimeout"]
)

PARTIES_PAGES = Site("Billit GET /v1/parties (later page)", "billit", "GET", r"^/v1/parties$")
PRODUCTS_PAGES = Site("Billit GET /v1/products (later page)", "billit", "GET", r"^/v1/products$")
RELATIONS = Site("OutSmart POST relations", "outsmart", "POST", r"/relations/?$")
MATERIALS = Site("OutSmart POST materials", "outsmart", "POST", r"/materials/?$")
HOUR_TYPES = Site("OutSmart POST hourtypes", "outsmart", "POST", r"/hourtypes/?$")
SITES = [
    Site(PARTIES_PAGES.name, "billit", "GET", PARTIES_PAGES.path, {"$skip": None}),
    Site(PRODUCTS_PAGES.name, "billit", "GET", PRODUCTS_PAGES.path, {"$skip": None}),
    RELATIONS,
    MATERIALS,
    HOUR_TYPES,
]
ENVELOPE_1007 = 1007


def _cases() -> list[Any]:
    cases = []
    for site in SITES:
        kinds: list[FaultKind | int] = list(FaultKind)
        if site.side == "outsmart":
            kinds.append(ENVELOPE_1007)
        for kind in kinds:
            label = "envelope_1007" if kind == ENVELOPE_1007 else str(kind)
            cases.append(pytest.param(site, kind, id=f"{site.name}-{label}"))
    return cases


_numbers = count(1)
# What this module put into Billit: customer numbers, material and hour-type references.
ADDED: dict[str, set[str]] = {"relations": set(), "materials": set(), "hour_types": set()}


@pytest.fixture(scope="module")
def world() -> Iterator[Faults]:
    with (
        pytest.MonkeyPatch.context() as mp,
        running_stack(mp, import_worker) as stack,
        fault_knobs(stack, mp) as knobs,
    ):
        stack.billit.add_user(USER)
        stack.billit.add_company(USER, "Claes BV", "BE0765432198", party_id=COMPANY)
        stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
        stack.billit.page_size = 2
        new_billit_records(stack)
        assert import_until_done(stack) == 1
        yield knobs


@pytest.fixture
def faults(world: Faults) -> Iterator[Faults]:
    world.reset()
    # Two days on: earlier cases' records fall out of the incremental read window (a day's
    # overlap), so every case reads only a few pages.
    world.stack.clock.advance(2 * 86_400)
    yield world
    world.reset()


def office(stack: Stack) -> Any:
    return stack.outsmart.tenant(OUTSMART_TOKEN)


def new_billit_records(stack: Stack) -> None:
    """Three customers, two materials and an hour type, new in Billit."""
    for _ in range(3):
        n = next(_numbers)
        ADDED["relations"].add(f"C-{n:04d}")
        stack.billit.add_party(
            COMPANY,
            Name=f"Klant {n}",
            Nr=f"C-{n:04d}",
            PartyType="Customer",
            Street="Markt",
            StreetNumber=str(n),
            Zipcode="1000",
            City="Brussel",
        )
    for unit in ("C62", "C62", "HUR"):
        n = next(_numbers)
        reference = f"{'HT' if unit == 'HUR' else 'MAT'}-{n:04d}"
        ADDED["hour_types" if unit == "HUR" else "materials"].add(reference)
        stack.billit.add_product(
            COMPANY,
            Reference=reference,
            Description=f"Artikel {n}",
            AmountExcl=Decimal("4.55"),
            VAT=21,
            Unit=unit,
        )


def deliver(receive_count: int) -> bool:
    """One import job delivery; True when SQS would redeliver it."""
    result = import_worker.lambda_handler(
        sqs_event(ImportJob(tenant_id=TENANT).model_dump_json(), receive_count=receive_count),
        FakeLambdaContext(remaining_millis=900_000),
    )
    return bool(result["batchItemFailures"])


def import_until_done(stack: Stack) -> int:
    for receive in range(1, MAX_RECEIVES + 1):
        if not deliver(receive):
            return receive
        stack.clock.advance(VISIBILITY_TIMEOUT)
    raise AssertionError(f"the import still failed after {MAX_RECEIVES} deliveries (→ DLQ)")


def assert_outsmart_equals_billit(stack: Stack) -> None:
    """Nothing lost, nothing extra: OutSmart holds exactly the Billit records."""
    customers = {p["Nr"] for p in stack.billit.parties(COMPANY) if p.get("PartyType") == "Customer"}
    assert customers == ADDED["relations"]
    assert set(office(stack).relations) == ADDED["relations"]
    assert set(office(stack).materials) == ADDED["materials"]
    assert set(office(stack).hour_types) == ADDED["hour_types"]
    latest = stack.services.sync_log.page(TENANT, limit=1).entries[0]
    assert latest.message_key == messages.IMPORT_FINISHED
    assert stack.services.leases.acquire(TENANT, "import", "probe", 1)  # nothing left held
    stack.services.leases.release(TENANT, "import", "probe")


@pytest.mark.parametrize(("site", "kind"), _cases())
def test_a_fault_at_each_import_call_site_loses_and_duplicates_nothing(
    faults: Faults, site: Site, kind: FaultKind | int
) -> None:
    stack = faults.stack
    new_billit_records(stack)
    fault = faults.inject(site, kind, times=3)

    import_until_done(stack)

    assert fault.times < 3, f"the fault never fired at {site}"
    assert attempts_at(stack, site) > 0
    assert_outsmart_equals_billit(stack)
    faults.retries.assert_bounded()  # per logical call: attempts and total wait


@pytest.mark.parametrize("site", SITES, ids=str)
def test_an_outage_longer_than_one_calls_budget_is_redelivered_and_recovered(
    faults: Faults, site: Site
) -> None:
    stack = faults.stack
    new_billit_records(stack)
    faults.inject(site, FaultKind.SERVER_ERROR, times=DEFAULT_POLICY.max_attempts + 1)
    assert import_until_done(stack) >= 2
    assert_outsmart_equals_billit(stack)
    faults.retries.assert_bounded()


def _signature(operation: str, request: dict[str, Any]) -> str:
    table = str(request.get("TableName") or ",".join(request.get("RequestItems", {})))
    expression = str(
        request.get("UpdateExpression")
        or request.get("KeyConditionExpression")
        or request.get("ConditionExpression")
        or ""
    )
    return f"{operation} {table.removeprefix('test-')} {expression[:60]}".strip()


def same_call(operation: str, signature: str) -> Callable[[dict[str, Any]], bool]:
    def matches(request: dict[str, Any]) -> bool:
        return _signature(operation, request) == signature

    return matches


THROTTLING_CODES = ("ProvisionedThroughputExceededException", "ThrottlingException")


def test_dynamodb_throttling_at_every_kind_of_store_call_of_the_import_is_recovered(
    faults: Faults,
) -> None:
    """Each distinct store call of a clean import (by operation, table and expression) is
    throttled once in its own run, the two throttling codes taking turns."""
    stack = faults.stack
    new_billit_records(stack)
    faults.dynamodb.recording = True
    assert import_until_done(stack) == 1
    faults.dynamodb.recording = False
    signatures = list(dict.fromkeys((op, _signature(op, r)) for op, r in faults.dynamodb.calls))
    assert len(signatures) >= 6
    for n, (operation, signature) in enumerate(signatures):
        new_billit_records(stack)
        fault = faults.dynamodb.add(
            operation,
            THROTTLING_CODES[n % 2],
            when=same_call(operation, signature),
        )
        import_until_done(stack)
        assert fault.fired == 1, f"never throttled: {signature}"
        assert_outsmart_equals_billit(stack)
        faults.dynamodb.clear()
        stack.clock.advance(2 * 86_400)
