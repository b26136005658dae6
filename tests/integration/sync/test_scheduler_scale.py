"""The fan-out's AWS calls grow by chunks, not by tenants (issue 16): 50 tenants per
BatchGetItem (their connection and settings), 10 jobs per SendMessageBatch, no per-tenant
GetItem. ``make bench`` times it at 50,000 tenants; here the counts are asserted."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from billit_sync.store import AwsTransientError, TenantStore
from functions.scheduler import app as scheduler
from tests.integration.sync.test_scheduler import add_tenant, import_jobs, run
from tests.support.stack import Stack, running_stack

TENANTS = [f"tenant-{n:03d}" for n in range(120)]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, scheduler) as running:
        for tenant_id in TENANTS:
            add_tenant(running, tenant_id)
        yield running


def _operations(stack: Stack) -> Counter[str]:
    calls: Counter[str] = Counter()

    def count(**kwargs: Any) -> None:
        calls[str(kwargs["event_name"]).rpartition(".")[2]] += 1

    stack.services.dynamodb.meta.client.meta.events.register("before-call.dynamodb", count)
    stack.services.sqs.meta.events.register("before-call.sqs", count)
    return calls


def test_120_tenants_take_three_reads_and_twelve_batches(stack: Stack) -> None:
    calls = _operations(stack)

    report = run(stack, "import")
    made = Counter(calls)  # before the test drains the queue

    assert report == {"job": "import", "tenants_queued": 120, "tenants_skipped": 0, "failures": 0}
    assert sorted(job.tenant_id for job in import_jobs(stack)) == TENANTS
    assert made == Counter({"Query": 1, "BatchGetItem": 3, "SendMessageBatch": 12})


def test_a_chunk_that_cannot_be_read_fails_alone(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = TenantStore.read_many

    def throttled_for_the_second_chunk(self: TenantStore, tenant_ids: list[str]) -> Any:
        if tenant_ids[0] == TENANTS[50]:
            raise AwsTransientError("TenantStore.read_many", "ThrottlingException")
        return real(self, tenant_ids)

    monkeypatch.setattr(TenantStore, "read_many", throttled_for_the_second_chunk)

    report = run(stack, "import")

    assert report == {"job": "import", "tenants_queued": 70, "tenants_skipped": 0, "failures": 50}
    queued = sorted(job.tenant_id for job in import_jobs(stack))
    assert queued == TENANTS[:50] + TENANTS[100:]
