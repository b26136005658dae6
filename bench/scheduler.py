"""The scheduler's fan-out at 50,000 connected tenants (issue 16): does one tick fit its timeout?

The real ``Scheduler``, ``TenantStore`` and ``JobQueue`` run against an in-memory stand-in for
the DynamoDB table and the SQS client that answers each call after a fixed latency (moto at
this size would time moto, not us). Measured: the calls made, the wall time with those
latencies, and the CPU time the fan-out itself spends (pydantic, JSON, threads). Lambda gives
a function CPU in proportion to its memory (a full vCPU at 1,769 MB), so the CPU part is
scaled to the scheduler's ``MemorySize`` for the estimate of a tick on Lambda.
"""

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from billit_sync.jobs_queue import JobQueue
from billit_sync.store import TenantStore, keys
from billit_sync.store.settings import SettingsStore
from billit_sync.sync.scheduler import FAN_OUT_CONCURRENCY, READ_CHUNK, ScheduledJobKind, Scheduler
from tests.support.template import resources_of_type

TENANTS = 50_000
# Assumed in-region latencies (p50-ish, from experience, not measured here): one page of the
# index query, one BatchGetItem of 100 strongly consistent keys, one SendMessageBatch of 10.
LATENCY_S = {"Query": 0.020, "BatchGetItem": 0.015, "SendMessageBatch": 0.020}
QUERY_PAGE = 1_000  # index entries per Query page (DynamoDB stops at 1 MB; this is cautious)
FULL_VCPU_MB = 1769
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class _Calls(Counter[str]):
    def made(self, operation: str) -> None:
        self[operation] += 1
        time.sleep(LATENCY_S[operation])


class _Client:
    def __init__(self, table: "_Table") -> None:
        self._table = table

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._table.calls.made("BatchGetItem")
        (request,) = RequestItems.values()
        found = [self._table.items[(k["pk"], k["sk"])] for k in request["Keys"]]
        return {"Responses": {self._table.name: [i for i in found if i]}}


class _Meta:
    def __init__(self, table: "_Table") -> None:
        self.client = _Client(table)


class _Table:
    """The two things the fan-out reads: the connected-tenants index and the tenants' items."""

    name = "IntegrationTable"

    def __init__(self, tenant_ids: list[str], calls: _Calls) -> None:
        self.calls = calls
        self.meta = _Meta(self)
        self.tenant_ids = tenant_ids
        self.items: dict[tuple[str, str], dict[str, Any] | None] = {}
        for tenant_id in tenant_ids:
            pk = keys.tenant_pk(tenant_id)
            self.items[(pk, keys.CONNECTION_SK)] = {
                "pk": pk,
                "sk": keys.CONNECTION_SK,
                "tenant_id": tenant_id,
                "status": "connected",
                "party_id": "512340",
                "last_import_at": "2026-12-01T07:00:00+00:00",  # due (hourly default)
            }
            self.items[(pk, keys.SETTINGS_SK)] = None  # defaults: imports and exports on

    def query(self, **query: Any) -> dict[str, Any]:
        self.calls.made("Query")
        start = int(query.get("ExclusiveStartKey", {}).get("offset", 0))
        page = self.tenant_ids[start : start + QUERY_PAGE]
        answer: dict[str, Any] = {"Items": [{"gsi1sk": f"TENANT#{t}"} for t in page]}
        if start + QUERY_PAGE < len(self.tenant_ids):
            answer["LastEvaluatedKey"] = {"offset": start + QUERY_PAGE}
        return answer


class _Sqs:
    def __init__(self, calls: _Calls) -> None:
        self.calls = calls
        self.messages = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[Any]) -> dict[str, Any]:
        self.calls.made("SendMessageBatch")
        self.messages += len(Entries)
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


@dataclass(frozen=True)
class SchedulerBenchmark:
    tenants: int
    queued: int
    calls: dict[str, int]
    wall_seconds: float
    cpu_seconds: float
    memory_mb: int
    timeout_s: int

    @property
    def lambda_estimate_s(self) -> float:
        """Wall time with the latencies, plus the CPU time again for the share of a vCPU
        Lambda does not give at this memory size (CPU and waiting overlap on threads only
        in part; counting both is the cautious sum)."""
        slower = max(FULL_VCPU_MB / self.memory_mb - 1, 0)
        return self.wall_seconds + self.cpu_seconds * slower

    def markdown(self) -> str:
        calls = ", ".join(f"{name} {count:,}" for name, count in sorted(self.calls.items()))
        serial = sum(LATENCY_S[name] * count for name, count in self.calls.items())
        latencies = ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in LATENCY_S.items())
        on_lambda = f"estimate on Lambda at {self.memory_mb} MB"
        vcpu = self.memory_mb / FULL_VCPU_MB
        fits = "fits" if self.lambda_estimate_s <= self.timeout_s else "**does not fit**"
        return f"""## Scheduler: one tick at {self.tenants:,} connected tenants

The real `Scheduler`, `TenantStore` and `JobQueue` (`bench/scheduler.py`), the table and SQS
replaced by stand-ins that answer after a fixed latency ({latencies}; assumed in-region
figures, index pages of {QUERY_PAGE:,} entries). {READ_CHUNK} tenants per BatchGetItem,
{FAN_OUT_CONCURRENCY} chunks at once. Before issue 16 each tenant cost two GetItem one after
the other: the 60 s timeout was reached at about 2,000-2,500 tenants.

| measure | value |
|---|---|
| jobs queued | {self.queued:,} |
| AWS calls | {calls} |
| the same calls one after the other | {serial:.0f} s |
| wall time here, with those latencies | {self.wall_seconds:.1f} s |
| CPU time of the fan-out here | {self.cpu_seconds:.1f} s |
| {on_lambda} ({vcpu:.2f} vCPU) | **{self.lambda_estimate_s:.0f} s** |
| the tick's timeout | {self.timeout_s} s: {fits} |
"""


def _scheduler_function() -> tuple[int, int]:
    properties = resources_of_type("AWS::Serverless::Function")["SchedulerFunction"]["Properties"]
    return int(properties["MemorySize"]), int(properties["Timeout"])


def run(tenants: int = TENANTS) -> SchedulerBenchmark:
    calls = _Calls()
    table = _Table([f"tenant-{n:05d}" for n in range(tenants)], calls)
    sqs = _Sqs(calls)
    store = TenantStore(cast(Any, table), lambda: NOW)
    scheduler = Scheduler(
        tenants=store,
        settings=SettingsStore(cast(Any, table), lambda: NOW),
        import_jobs=JobQueue(cast(Any, sqs), "https://sqs.test/import"),
        discovery_jobs=JobQueue(cast(Any, sqs), "https://sqs.test/discovery"),
        clock=lambda: NOW,
    )
    cpu, wall = time.process_time(), time.perf_counter()
    report = scheduler.fan_out(ScheduledJobKind.IMPORT)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert report.tenants_queued == sqs.messages == tenants, report
    memory_mb, timeout_s = _scheduler_function()
    return SchedulerBenchmark(
        tenants=tenants,
        queued=report.tenants_queued,
        calls=dict(calls),
        wall_seconds=wall,
        cpu_seconds=cpu,
        memory_mb=memory_mb,
        timeout_s=timeout_s,
    )


if __name__ == "__main__":
    print(run().markdown())
