"""What a discovery poll with nothing to do costs, in steady state (issue 16): a warm
discovery worker, the tenant connected, nothing completed in OutSmart. It reads no secret (the
worker's copy of the tenant's secrets serves the OutSmart client; the copy is read again once
it is 15 minutes old, so a warm worker polling every 5 minutes reads the token secret on one
poll in three at most) and writes nothing."""

from collections import Counter
from collections.abc import Iterator

import pytest

from billit_sync.sync.exports.jobs import DiscoveryJob
from functions.discovery_worker import app as discovery_worker
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import (
    BILLIT_USER,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
TOKEN = "os-token-poll"
POLLS = 2  # 5 minutes apart: inside the copy's 15 minutes (then one read, next test)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, discovery_worker) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=BILLIT_USER, outsmart_token=TOKEN)
        yield running


def _poll() -> None:
    event = sqs_event(DiscoveryJob(tenant_id=TENANT, trigger="schedule").model_dump_json())
    assert discovery_worker.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}


def _count_operations(stack: Stack) -> Counter[tuple[str, str]]:
    calls: Counter[tuple[str, str]] = Counter()
    for service, client in (
        ("dynamodb", stack.services.dynamodb.meta.client),
        ("secretsmanager", stack.services.secretsmanager),
        ("sqs", stack.services.sqs),
    ):

        def count(service: str = service, **kwargs: object) -> None:
            calls[(service, str(kwargs["event_name"]).rpartition(".")[2])] += 1

        client.meta.events.register(f"before-call.{service}", count)
    return calls


def test_a_poll_with_nothing_to_do_reads_no_secret_and_writes_nothing(stack: Stack) -> None:
    _poll()  # warm: the baseline is taken, the worker's copy of the secrets read
    calls = _count_operations(stack)

    for _ in range(POLLS):
        stack.clock.advance(seconds=5 * 60)
        _poll()

    assert not [key for key in calls if key[0] == "secretsmanager"]
    assert not [key for key in calls if key[0] == "sqs"]  # nothing queued
    writes = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
    assert not [key for key in calls if key[1] in writes]
    assert calls[("dynamodb", "BatchGetItem")] == POLLS  # connection + settings, one read


def test_the_worker_s_copy_of_the_secrets_is_read_again_after_15_minutes(stack: Stack) -> None:
    """A new OutSmart token reaches a warm worker within the copy's 15 minutes."""
    _poll()
    calls = _count_operations(stack)

    stack.clock.advance(seconds=16 * 60)
    _poll()

    assert calls[("secretsmanager", "GetSecretValue")] == 1  # the token secret alone
