"""A monthly cost model per tenant, from counts measured on the service itself (issue 16).

Measured here, in one warm stack (moto, the fakes with 20 ms per HTTP call): what a discovery
poll with nothing to do and an incremental import with nothing new cost (AWS operations,
Lambda time, log bytes). The export's per-work-order figures come from ``bench.exports``.
The workload per tenant and the prices are stated assumptions (see the markdown); the free
tiers are left out (the cautious side).
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from bench.exports import ExportBenchmark
from billit_sync.sync.exports.jobs import DiscoveryJob
from billit_sync.sync.imports.jobs import ImportJob
from functions.discovery_worker import app as discovery_worker
from functions.export_worker import app as export_worker
from functions.import_worker import app as import_worker
from tests.support.lambda_context import FakeLambdaContext
from tests.support.log_capture import captured_service_logs
from tests.support.stack import (
    BILLIT_USER,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
TOKEN = "os-token-cost"  # noqa: S105 - the fake OutSmart tenant token
LATENCY_S = 0.020
MEMORY_GB = 0.5  # every worker runs at 512 MB (template.yaml)

# Prices: AWS's public list prices for eu-west-1 (Ireland), USD, as known on 2026-12-03 (not
# fetched by the bench; check the pricing pages before budgeting). Free tiers left out.
PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm64": 0.0000133334,
    "dynamodb_write_unit": 0.7068 / 1e6,  # on-demand, per write request unit
    "dynamodb_read_unit": 0.1413 / 1e6,  # on-demand, per read request unit
    "secrets_manager_secret_month": 0.40,
    "secrets_manager_call": 0.05 / 10_000,
    "sqs_request": 0.40 / 1e6,
    "logs_ingested_gb": 0.57,
}
PRICES_AS_OF = "2026-12-03"
REGION = "eu-west-1 (Ireland)"

# The workload of one tenant per month (assumptions; change them and re-run).
WORK_ORDERS_PER_MONTH = 200  # a small installer: about ten completed work orders a working day
DISCOVERY_POLLS_PER_MONTH = 30 * 24 * 12  # DiscoverySchedule rate(5 minutes)
# With OutSmart's webhook working, the poll is a safety net: discovery_safety_net_minutes (60).
SAFETY_NET_POLLS_PER_MONTH = 30 * 24
SECRETS_PER_TENANT = 2  # the token secret and the webhook secret (issue 14)
IMPORTS_PER_MONTH = 30 * 24  # interval_minutes default 60
# Fixed monthly costs of one stack, shared by all tenants: 13 alarms at $0.10, one dashboard
# at $3.00, about 25 custom metrics at $0.30, Lambda's SQS pollers on 4 queues (~650,000
# empty receives a month each).
FIXED_PER_MONTH = 13 * 0.10 + 3.00 + 25 * 0.30 + 4 * 650_000 * PRICE["sqs_request"]
READS = {"GetItem", "BatchGetItem", "Query"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass
class Measured:
    """One kind of invocation, per occurrence."""

    dynamodb_reads: float = 0.0  # items read (a strongly consistent item of < 4 KB = 1 unit)
    dynamodb_writes: float = 0.0  # write units (an item of < 1 KB = 1; in a transaction, 2)
    secrets_calls: float = 0.0
    sqs_requests: float = 0.0  # sends (the worker's receive and delete: +2 per message)
    lambda_seconds: float = 0.0
    log_bytes: float = 0.0

    def monthly(self, times: float) -> dict[str, float]:
        return {
            "Lambda": times
            * (
                PRICE["lambda_request"]
                + self.lambda_seconds * MEMORY_GB * PRICE["lambda_gb_second_arm64"]
            ),
            "DynamoDB": times
            * (
                self.dynamodb_reads * PRICE["dynamodb_read_unit"]
                + self.dynamodb_writes * PRICE["dynamodb_write_unit"]
            ),
            "Secrets Manager calls": times * self.secrets_calls * PRICE["secrets_manager_call"],
            "SQS": times * self.sqs_requests * PRICE["sqs_request"],
            "CloudWatch Logs": times * self.log_bytes / 1e9 * PRICE["logs_ingested_gb"],
        }


class _Recorder:
    def __init__(self, stack: Stack) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.items_read = 0
        self.transaction_units = 0  # beyond 1 per TransactWriteItems: 2 per item written
        for service, client in (
            ("dynamodb", stack.services.dynamodb.meta.client),
            ("secretsmanager", stack.services.secretsmanager),
            ("sqs", stack.services.sqs),
        ):
            client.meta.events.register(f"before-call.{service}", self._call)
            client.meta.events.register(f"after-call.{service}", self._answer)

    def _call(self, event_name: str, params: dict[str, object], **kwargs: object) -> None:
        service_name, operation = event_name.split(".")[1:]
        self.calls[(service_name, operation)] += 1
        if operation == "TransactWriteItems":
            items = params.get("TransactItems", [])
            assert isinstance(items, list)
            self.transaction_units += 2 * len(items) - 1

    def _answer(self, event_name: str, parsed: dict[str, object], **_: object) -> None:
        operation = event_name.rpartition(".")[2]
        if operation == "GetItem" and "Item" in parsed:
            self.items_read += 1
        elif operation == "BatchGetItem":
            responses = parsed.get("Responses", {})
            assert isinstance(responses, dict)
            self.items_read += sum(len(items) for items in responses.values())
        elif operation == "Query":
            count = parsed.get("Count", 0)
            assert isinstance(count, int)
            self.items_read += max(count, 1)

    @contextmanager
    def measuring(self, times: int, into: Measured) -> Iterator[None]:
        self.calls.clear()
        self.items_read = 0
        self.transaction_units = 0
        with captured_service_logs() as logs:
            started = time.perf_counter()
            yield
            seconds = time.perf_counter() - started
        calls = self.calls
        into.dynamodb_reads = max(self.items_read, 1) / times
        into.dynamodb_writes = (
            sum(n for (s, op), n in calls.items() if s == "dynamodb" and op in WRITES)
            + self.transaction_units
        ) / times
        into.secrets_calls = sum(n for (s, _), n in calls.items() if s == "secretsmanager") / times
        into.sqs_requests = sum(n for (s, _), n in calls.items() if s == "sqs") / times
        into.lambda_seconds = seconds / times
        into.log_bytes = len(logs.getvalue().encode()) / times


def _invoke(module: object, body: str) -> None:
    handler: Callable[[dict[str, object], object], object] = module.lambda_handler  # type: ignore[attr-defined]
    assert handler(sqs_event(body), FakeLambdaContext()) == {"batchItemFailures": []}


def measure() -> tuple[Measured, Measured]:
    """(a discovery poll with nothing to do, an incremental import with nothing new)."""
    poll, sync = Measured(), Measured()
    modules = (discovery_worker, import_worker, export_worker)
    with pytest.MonkeyPatch.context() as patch, running_stack(patch, *modules) as stack:
        seed_billit_account(stack.billit)
        stack.connect_tenant(TENANT, user=BILLIT_USER, outsmart_token=TOKEN)
        stack.import_master_data(TENANT)
        discovery = DiscoveryJob(tenant_id=TENANT, trigger="schedule").model_dump_json()
        incremental = ImportJob(tenant_id=TENANT, full=False, trigger="schedule")
        _invoke(discovery_worker, discovery)  # warm: the worker's secret copy is read
        _invoke(import_worker, incremental.model_dump_json())
        stack.billit.faults.latency = stack.outsmart.faults.latency = LATENCY_S
        recorder = _Recorder(stack)
        runs = 5
        with recorder.measuring(runs, poll):
            for _ in range(runs):
                _invoke(discovery_worker, discovery)
        with recorder.measuring(runs, sync):
            for _ in range(runs):
                stack.clock.advance(seconds=3600)
                _invoke(import_worker, incremental.model_dump_json())
    for measured in (poll, sync):
        measured.sqs_requests += 3  # its own message: sent by the scheduler, received, deleted
    return poll, sync


def _export_measured(export: ExportBenchmark) -> Measured:
    per = export.per_order
    return Measured(
        # 2 BatchGetItem (connection + settings + sighting + sightings baseline: 4 items;
        # mappings: 3 items), the rest writes: single updates (1 unit each) and one
        # TransactWriteItems of 2 items (handled + its log entry: 2 units each); every work
        # order's message: sent by discovery, received and deleted (batches of 10).
        dynamodb_reads=7,
        dynamodb_writes=per["dynamodb"] - 3 + 2 * 2,
        secrets_calls=per["secretsmanager"],
        sqs_requests=0.1 + 0.1 + 0.1,
        lambda_seconds=60 / export.per_minute,
        log_bytes=3_000,  # about 6 lines of 500 bytes (structured JSON, see the log panel)
    )


@dataclass
class CostModel:
    poll: Measured
    sync: Measured
    export: Measured

    def per_tenant(self, polls: int = DISCOVERY_POLLS_PER_MONTH) -> dict[str, float]:
        items: dict[str, float] = {}
        for measured, times in (
            (self.poll, polls),
            (self.sync, IMPORTS_PER_MONTH),
            (self.export, WORK_ORDERS_PER_MONTH),
        ):
            for name, cost in measured.monthly(times).items():
                items[name] = items.get(name, 0.0) + cost
        items["Secrets Manager secrets"] = (
            SECRETS_PER_TENANT * PRICE["secrets_manager_secret_month"]
        )
        return items

    def markdown(self) -> str:
        items = self.per_tenant()
        variable = sum(items.values())
        webhooked = sum(self.per_tenant(SAFETY_NET_POLLS_PER_MONTH).values())
        ranked = sorted(items.items(), key=lambda item: -item[1])
        rows = "\n".join(
            f"| {name} | ${cost:.4f} | {cost / variable:.0%} |" for name, cost in ranked
        )
        scale_header = (
            "| tenants | per tenant and month (polled every 5 min) | whole service | "
            "per tenant (OutSmart's webhook) | whole service (webhook) |"
        )
        scale = "\n".join(
            f"| {tenants:,} | ${variable + FIXED_PER_MONTH / tenants:.3f} | "
            f"${(variable * tenants + FIXED_PER_MONTH):,.0f} | "
            f"${webhooked + FIXED_PER_MONTH / tenants:.3f} | "
            f"${(webhooked * tenants + FIXED_PER_MONTH):,.0f} |"
            for tenants in (1_000, 10_000)
        )
        measured = "\n".join(
            f"| {name} | {m.dynamodb_reads:.1f} | {m.dynamodb_writes:.1f} | "
            f"{m.secrets_calls:.2f} | {m.sqs_requests:.1f} | {m.lambda_seconds * 1000:.0f} | "
            f"{m.log_bytes / 1000:.1f} |"
            for name, m in (
                ("discovery poll, nothing to do", self.poll),
                ("incremental import, nothing new", self.sync),
                ("one exported work order (draft)", self.export),
            )
        )
        header = (
            "| per occurrence | DynamoDB items read | DynamoDB write units | Secrets Manager calls "
            "| SQS requests | Lambda ms | log KB |"
        )
        prices = "\n".join(f"| {name} | {value:.10g} |" for name, value in PRICE.items())
        return f"""## Cost model per tenant and month

AWS list prices for {REGION}, USD, as known on {PRICES_AS_OF} (the bench does not fetch them:
check the pricing pages before budgeting); free tiers left out. Counts measured by
`bench/cost.py` on the service (warm workers, moto, the fakes at {LATENCY_S * 1000:.0f} ms per
HTTP call); Lambda time is the measured wall time here (arm64, 512 MB), a stand-in for the
billed duration.

Workload per tenant and month (assumptions): {WORK_ORDERS_PER_MONTH} exported work orders,
{DISCOVERY_POLLS_PER_MONTH:,} discovery polls (every 5 minutes), {IMPORTS_PER_MONTH} incremental
imports (hourly, the default interval).

{header}
|---|---|---|---|---|---|---|
{measured}

| item, per tenant and month | cost | share |
|---|---|---|
{rows}
| **total, variable** | **${variable:.3f}** | |

Fixed per stack and month, shared by all tenants: ${FIXED_PER_MONTH:.2f} (alarms, dashboard,
custom metrics, Lambda's SQS pollers).

A tenant whose work orders arrive by OutSmart's webhook is polled only as a safety net
(`discovery_safety_net_minutes`, default 60: {SAFETY_NET_POLLS_PER_MONTH:,} polls a month
instead of {DISCOVERY_POLLS_PER_MONTH:,}): **${webhooked:.3f}** per tenant and month.

{scale_header}
|---|---|---|---|---|
{scale}

The largest item is the tenant's two secrets themselves ($0.40 a month each whatever they
hold): the design keeps tokens in Secrets Manager, and issue 14 put the webhook secrets in a
secret of their own so that the internet-facing ingestion function cannot read a token. Reads
of them are no longer a cost item: a warm worker reads a tenant's secrets once per 15 minutes
at most (before issue 16: twice per work order and once per poll, about 8,600 calls = $0.04
per tenant and month). Next come the polls of tenants without OutSmart's webhook:
{DISCOVERY_POLLS_PER_MONTH:,} Lambda invocations with their SQS messages and log lines; with
the webhook they drop to {SAFETY_NET_POLLS_PER_MONTH:,}.

| price | USD |
|---|---|
{prices}
"""


def run(export: ExportBenchmark) -> CostModel:
    poll, sync = measure()
    return CostModel(poll=poll, sync=sync, export=_export_measured(export))
