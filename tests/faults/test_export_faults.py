"""The export under faults, through the export worker as SQS drives it: every external call
site x every fault kind, a worker killed at each step, DynamoDB throttling at every store call
and a lost conditional-write race. After recovery every completed work order is exported
exactly once (one invoice per ExternalProviderID, sent once, Handled, ledger ``handled``),
within the export queue's ``maxReceiveCount`` deliveries, and no logical HTTP call exceeded
its ``RetryPolicy``.

One stack serves the whole module (each case uses its own fresh work order), so the matrix
stays fast.
"""

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from billit_sync import messages
from billit_sync.billit.orders import OrdersApi
from billit_sync.outsmart import OutSmartClient
from billit_sync.store import LedgerConflictError, LedgerState, MappedEntity, MappingStore
from billit_sync.sync.exports.exporter import LEASE_SECONDS, ExportService
from billit_sync.sync.exports.jobs import ExportJob, external_reference
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from functions.export_worker import app as export_worker
from tests.fakes.faults import FaultKind
from tests.faults.conftest import DEFAULT_POLICY, Faults, Site, attempts_at, fault_knobs
from tests.faults.conftest import max_receive_count as _max_receive_count
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import Stack, running_stack, sqs_event

TENANT = "acme"
USER = "an@claes.example"
COMPANY = 512340
OUTSMART_TOKEN = "os-token-acme"
STATUS_AFTER_EXPORT = "050"
MAX_RECEIVES = _max_receive_count("ExportQueue")  # then SQS parks the message in the DLQ
REDELIVERY_DELAY = LEASE_SECONDS + 100  # past the lease and the queue's visibility timeout

GET_WORKORDER = Site(
    "OutSmart GetWorkorder", "outsmart", "GET", r"/GetWorkorder/?$", {"update_status": "false"}
)
CREATE_ORDER = Site("Billit POST /v1/orders", "billit", "POST", r"^/v1/orders$")
LOOK_UP_ORDER = Site("Billit GET /v1/orders (look-up)", "billit", "GET", r"^/v1/orders$")
SEND_ORDER = Site("Billit POST /v1/orders/commands/send", "billit", "POST", r"/commands/send$")
MARK_HANDLED = Site(
    "OutSmart GetWorkorder?update_status=true",
    "outsmart",
    "GET",
    r"/GetWorkorder/?$",
    {"update_status": "true"},
)
SET_STATUS = Site("OutSmart UpdateWorkorder", "outsmart", "GET", r"/UpdateWorkorder/?$")
SITES = [GET_WORKORDER, CREATE_ORDER, LOOK_UP_ORDER, SEND_ORDER, MARK_HANDLED, SET_STATUS]
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


# ----------------------------------------------------------------------------- the stack
def seed(stack: Stack) -> None:
    """One connected tenant with a customer, a material and an hour type imported, sending
    invoices by Peppol and setting a work status after the export (every call site)."""
    billit = stack.billit
    billit.add_user(USER)
    billit.add_company(USER, "Claes BV", "BE0765432198", party_id=COMPANY)
    billit.add_party(
        COMPANY,
        Name="Peeters BV",
        Nr="C-1001",
        VATNumber="BE0411905847",
        Street="Kerkstraat",
        StreetNumber="12",
        Zipcode="2000",
        City="Antwerpen",
        CountryCode="BE",
        PartyType="Customer",
    )
    for reference, description, price, vat, unit in (
        ("MAT-00001", "Koppelstuk 15 mm", "4.55", 21, "C62"),
        ("HT-001", "Arbeid monteur", "55.00", 21, "HUR"),
    ):
        billit.add_product(
            COMPANY,
            Reference=reference,
            Description=description,
            AmountExcl=Decimal(price),
            VAT=vat,
            Unit=unit,
        )
    stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
    outcome = stack.services.import_service(lambda: 900.0).run(ImportJob(tenant_id=TENANT))
    assert outcome.value == "finished"
    office(stack).add_workstatus(STATUS_AFTER_EXPORT, "Gefactureerd")
    # Every case passes every call site: sent by Peppol, then a work status is set.
    current = stack.services.settings.get(TENANT)
    exports = ExportSettings.model_validate(
        current.exports.model_dump()
        | {"delivery": "peppol", "workstatus_after_export": STATUS_AFTER_EXPORT}
    )
    stack.services.settings.put(TENANT, TenantSettings(imports=current.imports, exports=exports))


@pytest.fixture(scope="module")
def world() -> Iterator[Faults]:
    with (
        pytest.MonkeyPatch.context() as mp,
        running_stack(mp, export_worker) as stack,
        fault_knobs(stack, mp) as knobs,
    ):
        seed(stack)
        yield knobs


@pytest.fixture
def faults(world: Faults) -> Iterator[Faults]:
    world.reset()
    yield world
    world.reset()


# ------------------------------------------------------------------------------ helpers
def office(stack: Stack) -> Any:
    return stack.outsmart.tenant(OUTSMART_TOKEN)


def new_work_order(stack: Stack) -> str:
    order: dict[str, Any] = office(stack).add_workorder(
        CustomerDebtorNr="C-1001",
        Workperiods=[{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}],
        Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": "3", "MaterialPrice": "4,55"}],
    )
    return str(order["id"])


def job(row_id: str) -> str:
    """The message discovery queues: the row id and the work order number."""
    return ExportJob(
        tenant_id=TENANT, row_id=row_id, workorder_no=f"WB-{row_id}", trigger="discovery"
    ).model_dump_json()


def deliver(row_ids: list[str], receive_count: int) -> list[str]:
    """One invocation of the worker on one batch; the row ids SQS would redeliver."""
    event = sqs_event(*(job(row) for row in row_ids), receive_count=receive_count)
    by_message = {
        record["messageId"]: row for record, row in zip(event["Records"], row_ids, strict=True)
    }
    result = export_worker.lambda_handler(event, FakeLambdaContext())
    return [by_message[failure["itemIdentifier"]] for failure in result["batchItemFailures"]]


def deliver_until_done(stack: Stack, row_ids: list[str], *, first: int = 1) -> int:
    """Deliver as SQS would: the failed records again, with a rising receive count, once the
    visibility timeout (and the ledger lease) ran out. Returns the deliveries used; fails when
    a record is still failing at the queue's ``maxReceiveCount`` (it would go to the DLQ)."""
    pending = list(row_ids)
    for receive in range(first, MAX_RECEIVES + 1):
        pending = deliver(pending, receive)
        if not pending:
            return receive
        stack.clock.advance(REDELIVERY_DELAY)
    raise AssertionError(f"{pending} still failing after {MAX_RECEIVES} deliveries (→ DLQ)")


def invoices(stack: Stack, row_id: str) -> list[dict[str, Any]]:
    reference = external_reference(TENANT, row_id)
    return [o for o in stack.billit.orders(COMPANY) if o.get("ExternalProviderID") == reference]


def panel_keys(stack: Stack, row_id: str) -> list[str]:
    workorder_no = office(stack).workorders[row_id]["WorkorderNo"]
    entries = stack.services.sync_log.page(TENANT, limit=100).entries
    return [e.message_key for e in entries if e.workorder_no == workorder_no]


def assert_exported_once(stack: Stack, row_id: str) -> None:
    """One invoice, sent once, the work order Handled with its status, the ledger done."""
    (invoice,) = invoices(stack, row_id)
    full = stack.billit.order(COMPANY, invoice["OrderID"])
    assert full["IsSent"] is True
    assert len(full["Messages"]) == 1, "the invoice went out more than once"
    workorder = office(stack).workorders[row_id]
    assert workorder["status"] == "Afgehandeld"
    assert workorder["WorkStatus"] == STATUS_AFTER_EXPORT
    entry = stack.services.export_ledger.get(TENANT, row_id)
    assert entry is not None and entry.state is LedgerState.HANDLED
    assert entry.order_id == str(invoice["OrderID"])
    assert entry.lease_owner is None


def assert_panel_says_sent_once(stack: Stack, row_id: str) -> None:
    assert panel_keys(stack, row_id) == [messages.EXPORT_INVOICE_SENT]


class WorkerKilled(BaseException):
    """The Lambda died mid-record (timeout, out of memory): no except-block runs."""


def fail_once(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    *,
    before: bool = False,
    error: Callable[[], BaseException] = lambda: RuntimeError("worker crashed"),
) -> list[int]:
    """Make ``owner.name`` raise once, after (or before) doing its work; then behave."""
    real = getattr(owner, name)
    fired: list[int] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        if fired:
            return real(*args, **kwargs)
        fired.append(1)
        if before:
            raise error()
        real(*args, **kwargs)
        raise error()

    monkeypatch.setattr(owner, name, once)
    return fired


def crash_after_billit_created(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """So that the look-up runs: the first delivery dies right after Billit created the
    invoice (the next delivery must find it instead of creating another)."""
    fail_once(monkeypatch, stack.services.export_ledger, "record_created", before=True)


# ----------------------------------------------------------------- 1. HTTP fault matrix
@pytest.mark.parametrize(("site", "kind"), _cases())
def test_a_fault_at_each_call_site_is_recovered_exactly_once(
    faults: Faults, monkeypatch: pytest.MonkeyPatch, site: Site, kind: FaultKind | int
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    if site is LOOK_UP_ORDER:
        crash_after_billit_created(stack, monkeypatch)
    fault = faults.inject(site, kind, times=3)

    deliveries = deliver_until_done(stack, [row_id])

    assert fault.times < 3, f"the fault never fired at {site}"
    assert_exported_once(stack, row_id)
    assert_panel_says_sent_once(stack, row_id)
    faults.retries.assert_bounded()
    # The look-up may run twice per delivery (first, and after an unknown create outcome).
    assert attempts_at(stack, site) <= deliveries * 2 * DEFAULT_POLICY.max_attempts


@pytest.mark.parametrize("site", SITES, ids=str)
def test_a_429_storm_longer_than_one_calls_budget_is_redelivered_and_recovered(
    faults: Faults, monkeypatch: pytest.MonkeyPatch, site: Site
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    if site is LOOK_UP_ORDER:
        crash_after_billit_created(stack, monkeypatch)
    faults.inject(site, FaultKind.RATE_LIMIT, times=DEFAULT_POLICY.max_attempts + 1)

    deliveries = deliver_until_done(stack, [row_id])

    assert deliveries >= 2  # the first call gave up after its budget: the record failed
    assert_exported_once(stack, row_id)
    faults.retries.assert_bounded()
    assert any(call.attempts == DEFAULT_POLICY.max_attempts for call in faults.retries.calls)


@pytest.mark.parametrize("site", SITES, ids=str)
def test_an_outage_that_outlasts_every_delivery_parks_the_message_then_redrive_exports_once(
    faults: Faults, monkeypatch: pytest.MonkeyPatch, site: Site
) -> None:
    stack = faults.stack
    row_id = new_work_order(stack)
    first = 1
    if site is LOOK_UP_ORDER:
        crash_after_billit_created(stack, monkeypatch)
        assert deliver([row_id], 1) == [row_id]
        stack.clock.advance(REDELIVERY_DELAY)
        first = 2
    faults.inject(site, FaultKind.SERVER_ERROR, times=-1)

    for receive in range(first, MAX_RECEIVES + 1):
        assert deliver([row_id], receive) == [row_id]
        stack.clock.advance(REDELIVERY_DELAY)

    # Bounded: at most one call's budget per delivery (two look-ups per delivery at most).
    assert attempts_at(stack, site) <= MAX_RECEIVES * 2 * DEFAULT_POLICY.max_attempts
    assert len(invoices(stack, row_id)) <= 1
    entry = stack.services.export_ledger.get(TENANT, row_id)
    assert entry is not None and entry.state is not LedgerState.HANDLED
    faults.retries.assert_bounded()

    faults.reset()  # the outage is over; the operator redrives the DLQ (a new message)
    assert deliver_until_done(stack, [row_id]) == 1
    assert_exported_once(stack, row_id)


# ------------------------------------------------------------ 2. killed at every step
class Step(NamedTuple):
    label: str
    owner: Callable[[Stack], Any]  # what holds the step: a client class or the ledger
    name: str
    before: bool = False  # fail before the step does its work (else after)


STEPS = [
    Step("after get_workorder", lambda s: OutSmartClient, "get_workorder"),
    Step("after create_order", lambda s: OrdersApi, "create_order"),
    Step("after record_created", lambda s: s.services.export_ledger, "record_created"),
    Step("after send_orders", lambda s: OrdersApi, "send_orders"),
    Step("after record_sent", lambda s: s.services.export_ledger, "record_sent"),
    Step("after mark_workorder_handled", lambda s: OutSmartClient, "mark_workorder_handled"),
    Step("after set_workorder_status", lambda s: OutSmartClient, "set_workorder_status"),
    # Handled and its log-panel entry are one transaction (issue 16).
    Step(
        "before record_handled",
        lambda s: s.services.export_ledger,
        "record_handled_with_log",
        True,
    ),
]


@pytest.mark.parametrize("how", ["killed", "crashed"])
@pytest.mark.parametrize("step", STEPS, ids=[s.label for s in STEPS])
def test_a_worker_killed_at_any_step_resumes_to_exactly_one_invoice(
    faults: Faults, monkeypatch: pytest.MonkeyPatch, step: Step, how: str
) -> None:
    """``killed``: the process dies (no clean-up, the lease stays until it runs out, the whole
    batch is redelivered); ``crashed``: an unexpected exception the worker handles."""
    stack = faults.stack
    row_id = new_work_order(stack)
    error: Callable[[], BaseException] = (
        (lambda: WorkerKilled(step.label))
        if how == "killed"
        else (lambda: RuntimeError(step.label))
    )
    fired = fail_once(monkeypatch, step.owner(stack), step.name, before=step.before, error=error)

    if how == "killed":
        with pytest.raises(WorkerKilled):
            deliver([row_id], 1)
        stack.clock.advance(REDELIVERY_DELAY)
        deliveries = deliver_until_done(stack, [row_id], first=2)
    else:
        deliveries = deliver_until_done(stack, [row_id])

    assert fired == [1]
    assert deliveries == 2
    assert_exported_once(stack, row_id)
    assert_panel_says_sent_once(stack, row_id)


# --------------------------------------------------------------------- 3. DynamoDB
def _signature(operation: str, request: dict[str, Any]) -> str:
    """What a store call does: operation, table and the start of its expression."""
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


# The log entry is written best-effort after the ledger says ``handled``: a write that fails
# even after boto's own retries is logged for operators, the message does not fail.
BEST_EFFORT_LOG_WRITE = "SyncLogTable"


def _clean_export_calls(faults: Faults) -> list[tuple[str, dict[str, Any]]]:
    stack = faults.stack
    row_id = new_work_order(stack)
    faults.dynamodb.recording = True
    assert deliver([row_id], 1) == []
    faults.dynamodb.recording = False
    calls = list(faults.dynamodb.calls)
    faults.dynamodb.calls.clear()
    assert_exported_once(stack, row_id)
    return calls


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_dynamodb_throttling_at_every_store_call_of_the_export_is_recovered(
    faults: Faults, code: str
) -> None:
    stack = faults.stack
    calls = _clean_export_calls(faults)
    # connection + settings, claim, mappings (one batch each), 3 ledger steps, the log entry
    assert len(calls) >= 7
    seen: dict[str, int] = {}
    for operation, request in calls:
        signature = _signature(operation, request)
        earlier = seen.get(signature, 0)
        seen[signature] = earlier + 1
        row_id = new_work_order(stack)
        fault = faults.dynamodb.add(
            operation,
            code,
            when=same_call(operation, signature),
            skip=earlier,
        )
        deliver_until_done(stack, [row_id])
        assert fault.fired == 1, f"never throttled: {signature} #{earlier + 1}"
        assert_exported_once(stack, row_id)
        keys = panel_keys(stack, row_id)
        if BEST_EFFORT_LOG_WRITE in signature and "PutItem" in operation:
            assert keys == [], signature  # the one write that failed, not retried
        else:
            assert keys == [messages.EXPORT_INVOICE_SENT], signature
        faults.dynamodb.clear()


def test_a_lost_conditional_write_race_between_two_workers_gives_one_invoice(
    faults: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A stalls after Billit created the invoice until its lease ran out; worker B
    (a duplicate message) claims, finds A's invoice and finishes. A's next ledger write is
    refused by its condition (``ConditionalCheckFailedException``), never overwrites."""
    stack = faults.stack
    row_id = new_work_order(stack)
    real_create = OrdersApi.create_order
    second_worker: list[list[str]] = []

    def stall(self: OrdersApi, *args: Any, **kwargs: Any) -> int:
        order_id = real_create(self, *args, **kwargs)
        if not second_worker:
            stack.clock.advance(REDELIVERY_DELAY)  # A's lease runs out while it stalls
            second_worker.append(deliver([row_id], 2))
        return order_id

    monkeypatch.setattr(OrdersApi, "create_order", stall)
    ledger = stack.services.export_ledger
    real_record_created = ledger.record_created
    refused: list[LedgerConflictError] = []

    def record_created(*args: Any, **kwargs: Any) -> Any:
        try:
            return real_record_created(*args, **kwargs)
        except LedgerConflictError as conflict:
            refused.append(conflict)
            raise

    monkeypatch.setattr(ledger, "record_created", record_created)
    failed = deliver([row_id], 1)
    assert second_worker == [[]]  # B exported it
    assert failed == [row_id]  # A lost the race and failed its record
    (conflict,) = refused  # A's conditional write was refused, not applied
    assert conflict.actual is not None and conflict.actual.state is LedgerState.HANDLED
    stack.clock.advance(REDELIVERY_DELAY)
    assert deliver([row_id], 2) == []  # the redelivery sees it handled
    assert_exported_once(stack, row_id)
    assert panel_keys(stack, row_id).count(messages.EXPORT_INVOICE_SENT) == 1


# ------------------------------------- 5. Billit answers the reference documents (issue 13)
@pytest.mark.parametrize("body", ["envelope", "empty"])
def test_a_401_for_a_customer_deleted_in_billit_is_a_fix_for_the_office_not_an_outage(
    faults: Faults, body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # billit-api.md §7: a 401 without a token code on create = a stale Customer.PartyID.
    stack = faults.stack
    stack.billit.unknown_customer_body = body  # type: ignore[assignment]
    nr = f"C-9{len(stack.billit.parties(COMPANY)):03d}"
    party = stack.billit.add_party(
        COMPANY,
        Name="Janssens NV",
        Nr=nr,
        VATNumber="BE0403170701",
        Street="Markt",
        StreetNumber="1",
        Zipcode="9000",
        City="Gent",
        CountryCode="BE",
        PartyType="Customer",
    )
    stack.services.import_service(lambda: 900.0).run(ImportJob(tenant_id=TENANT, full=True))
    mappings = MappingStore(stack.services.integration_table, stack.services.clock)
    assert mappings.get_by_outsmart_key(TENANT, str(COMPANY), MappedEntity.CUSTOMER, nr)
    # Deleted in MyBillit (no signal) while the invoice is being made: the party read still
    # finds it, the create names it and Billit answers 401 (the path this test is about).
    read_party = ExportService._customer_vat

    def read_then_deleted(self: ExportService, *args: Any) -> Any:
        regime = read_party(self, *args)
        stack.billit.delete_party(COMPANY, party["PartyID"])
        return regime

    monkeypatch.setattr(ExportService, "_customer_vat", read_then_deleted)
    order: dict[str, Any] = office(stack).add_workorder(
        CustomerDebtorNr=nr,
        Workperiods=[{"BeginTime": "08:00", "EndTime": "09:00", "HourType": "HT-001"}],
    )
    row_id = str(order["id"])

    assert deliver([row_id], 1) == []  # handled on the first delivery: never the DLQ

    entry = stack.services.export_ledger.get(TENANT, row_id)
    assert entry is not None and entry.state is LedgerState.FAILED
    assert invoices(stack, row_id) == []
    (logged,) = [
        e
        for e in stack.services.sync_log.page(TENANT, limit=100).entries
        if e.message_key == messages.EXPORT_CUSTOMER_GONE and e.workorder_no == order["WorkorderNo"]
    ]
    assert logged.params["party_id"] == str(party["PartyID"])
    assert logged.params["debtor_number"] == nr
    assert logged.retryable
    # The stale mapping is gone: the retry looks the customer up again.
    assert mappings.get_by_outsmart_key(TENANT, str(COMPANY), MappedEntity.CUSTOMER, nr) is None


def test_already_sent_less_than_a_minute_ago_counts_as_sent(
    faults: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    # billit-api.md §7: "This_0_WasAlreadySentLessThen_1_MinutesAgo…" = sent/pending.
    stack = faults.stack
    row_id = new_work_order(stack)
    fail_once(monkeypatch, stack.services.export_ledger, "record_created")
    assert deliver([row_id], 1) == [row_id]  # created in Billit, then the worker failed
    (invoice,) = invoices(stack, row_id)
    # Meanwhile the office sends it from MyBillit; the redelivery comes 30 s later.
    stack.billit.set_delivery_state(COMPANY, invoice["OrderID"], "Sent")
    stack.clock.advance(30)

    assert deliver([row_id], 2) == []

    assert_exported_once(stack, row_id)
    assert panel_keys(stack, row_id) == [messages.EXPORT_INVOICE_SENT]
    send_answers = [c.status for c in stack.billit.calls if c.path.endswith("/commands/send")]
    assert send_answers[-1] == 400  # Billit did answer the already-sent code
