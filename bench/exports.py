"""Export throughput and cost per work order, in steady state, against the fakes with latency.

Steady state: the tenant is connected and imported (customers, products, hour types mapped),
its access token is fresh, the worker's container is warm. Counted per exported work order:
HTTP calls to Billit and OutSmart, DynamoDB and Secrets Manager operations.
"""

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from functions.export_worker import app as export_worker
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import (
    BILLIT_COMPANY,
    BILLIT_USER,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
USER = BILLIT_USER
COMPANY = BILLIT_COMPANY
TOKEN = "os-token-bench"  # noqa: S105 - the fake OutSmart tenant token
# read the work order, read the customer (its VAT regime, billit-api.md §8), create, mark
# handled (+ send)
UNAVOIDABLE = {"draft": 4, "peppol": 5}


@dataclass
class ExportBenchmark:
    delivery: str
    work_orders: int
    latency_ms: float
    seconds: float
    per_order: dict[str, float]

    @property
    def per_minute(self) -> float:
        return self.work_orders / self.seconds * 60

    def row(self) -> str:
        p = self.per_order
        http = p["billit"] + p["outsmart"]
        return (
            f"| {self.delivery} | {http:.1f} (Billit {p['billit']:.1f}, OutSmart "
            f"{p['outsmart']:.1f}) | {UNAVOIDABLE[self.delivery]} | {p['dynamodb']:.1f} | "
            f"{p['secretsmanager']:.1f} | {self.per_minute:.0f} |"
        )


def _seed(stack: Stack) -> None:
    seed_billit_account(stack.billit)
    stack.connect_tenant(TENANT, user=USER, outsmart_token=TOKEN)
    stack.import_master_data(TENANT)


def _work_orders(stack: Stack, count: int) -> list[str]:
    """Completed work orders, seen by discovery first (its sighting recorded), as in steady
    state."""
    office = stack.outsmart.tenant(TOKEN)
    rows = [
        office.add_workorder(
            CustomerDebtorNr="C-1001",
            Workperiods=[{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}],
            Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": "3", "MaterialPrice": "4,55"}],
        )["id"]
        for _ in range(count)
    ]
    for row in rows:
        stack.services.workorder_sightings.record(TENANT, row, at_connection=False)
    return rows


def _jobs(row_ids: list[str]) -> dict[str, Any]:
    return sqs_event(
        *(ExportJob(tenant_id=TENANT, row_id=row).model_dump_json() for row in row_ids)
    )


def run(
    delivery: str = "draft", work_orders: int = 50, latency_ms: float = 20.0
) -> ExportBenchmark:
    with pytest.MonkeyPatch.context() as patch, running_stack(patch, export_worker) as stack:
        _seed(stack)
        current = stack.services.settings.get(TENANT)
        exports = ExportSettings.model_validate(
            current.exports.model_dump() | {"delivery": delivery}
        )
        stack.services.settings.put(
            TENANT, TenantSettings(imports=current.imports, exports=exports)
        )
        export_worker.lambda_handler(_jobs(_work_orders(stack, 1)), FakeLambdaContext())  # warm

        aws: Counter[str] = Counter()
        for service in ("dynamodb", "secretsmanager"):
            client = getattr(stack.services, service)
            client = client.meta.client if service == "dynamodb" else client
            client.meta.events.register(
                f"before-call.{service}", lambda service=service, **_: aws.update([service])
            )
        rows = _work_orders(stack, work_orders)
        aws.clear()  # the sightings discovery would have recorded are not the export's
        stack.billit.faults.latency = stack.outsmart.faults.latency = latency_ms / 1000
        billit_before, outsmart_before = len(stack.billit.calls), len(stack.outsmart.calls)
        started = time.perf_counter()
        for start in range(0, len(rows), 10):
            result = export_worker.lambda_handler(
                _jobs(rows[start : start + 10]), FakeLambdaContext()
            )
            assert result == {"batchItemFailures": []}
        seconds = time.perf_counter() - started
        per_order = {
            "billit": (len(stack.billit.calls) - billit_before) / work_orders,
            "outsmart": (len(stack.outsmart.calls) - outsmart_before) / work_orders,
            "dynamodb": aws["dynamodb"] / work_orders,
            "secretsmanager": aws["secretsmanager"] / work_orders,
        }
        assert all(
            stack.outsmart.tenant(TOKEN).workorders[row]["status"] == "Afgehandeld" for row in rows
        )
    return ExportBenchmark(delivery, work_orders, latency_ms, seconds, per_order)


def markdown(results: list[ExportBenchmark]) -> str:
    rows = "\n".join(result.row() for result in results)
    first = results[0]
    return f"""## Export: cost and throughput per work order

Steady state (tenant connected and imported, token fresh, warm worker), {first.work_orders}
work orders with hours and materials per run, SQS batches of 10, simulated latency
{first.latency_ms:.0f} ms per HTTP call, moto for DynamoDB and Secrets Manager.

| delivery | HTTP calls per work order | unavoidable | DynamoDB ops | Secrets Manager reads \
| work orders / min / worker |
|---|---|---|---|---|---|
{rows}

DynamoDB operations per work order (target ≤ 6, issue 16): one BatchGetItem for the connection,
the settings, the work order's sighting and the tenant's sightings baseline; the ledger's claim;
one BatchGetItem for every id mapping the invoice needs (debtor, materials, hour types); the
ledger's "created" (and "sent" for Peppol or e-mail); "handled" and its log-panel entry in one
TransactWriteItems. Secrets Manager: none (the worker's 15-minute copy of the tenant's secrets;
a token refresh writes through it). `tests/integration/api/test_export_cost.py` asserts the
same counts.
"""
