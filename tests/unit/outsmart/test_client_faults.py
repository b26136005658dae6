"""The client under each fault knob of the fake: bounded retries, typed errors, no leaked tokens."""

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from billit_sync.errors import IntegrationError, TransientError
from billit_sync.outsmart import (
    OutSmartAuthError,
    OutSmartClient,
    OutSmartProtocolError,
    OutSmartServerError,
    OutSmartUnavailableError,
    RelationRecord,
)
from tests.fakes.faults import FaultKind
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.unit.outsmart.conftest import (
    BEARER_TOKEN,
    MAX_ATTEMPTS,
    SECRETS,
    SOFTWARE_TOKEN,
    TENANT_TOKEN,
    CapturedLogs,
    MakeClient,
    RecordingSleep,
)


def test_rate_limit_honours_retry_after(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, sleeps: RecordingSleep
) -> None:
    fake.faults.add(FaultKind.RATE_LIMIT, path="GetWorkorders", times=2, retry_after="7")
    tenant.add_workorder()

    assert len(client.get_workorders()) == 1

    assert sleeps.delays == [7.0, 7.0]  # Retry-After beats the (smaller) jittered backoff
    assert len(fake.calls_to("GetWorkorders")) == 3
    assert tenant.handled_log == []


def test_persistent_rate_limit_is_unavailable(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, sleeps: RecordingSleep
) -> None:
    fake.faults.add(FaultKind.RATE_LIMIT, times=-1, retry_after="2")
    with pytest.raises(OutSmartUnavailableError) as caught:
        client.list_relations()
    assert caught.value.status_code == 429
    assert caught.value.code == 429
    assert len(fake.calls) == MAX_ATTEMPTS
    assert sleeps.delays == [2.0] * (MAX_ATTEMPTS - 1)


def test_server_error_is_retried(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, sleeps: RecordingSleep
) -> None:
    fake.faults.add(FaultKind.SERVER_ERROR, times=2)
    assert client.list_hour_types()
    assert len(fake.calls) == 3
    assert len(sleeps.delays) == 2
    assert all(delay <= 0.05 for delay in sleeps.delays)  # within the policy's cap


def test_persistent_server_error_is_bounded(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    fake.faults.add(FaultKind.SERVER_ERROR, times=-1)
    with pytest.raises(OutSmartUnavailableError) as caught:
        client.get_workorders()
    assert caught.value.status_code == 500
    assert isinstance(caught.value, TransientError)
    assert len(fake.calls) == MAX_ATTEMPTS


def test_upsert_after_server_error_after_processing_is_retried_safely(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    """A 500 after the rows were stored: the retry upserts them again, without duplicates."""
    tenant.relations.clear()
    fake.faults.add(FaultKind.SERVER_ERROR_AFTER, method="POST", times=1)
    record = RelationRecord(
        name="A", debtor_number="C-1", street="S", postal_code="1000", city="Brussel"
    )
    assert client.upsert_relations([record]) == 1
    assert len(fake.calls_to("relations", "POST")) == 2
    assert list(tenant.relations) == ["C-1"]


def test_malformed_body_is_retried(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    fake.faults.add(FaultKind.MALFORMED_BODY, times=1)
    assert client.list_workstatusses()
    assert len(fake.calls) == 2


def test_persistent_malformed_body_is_protocol_error(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    fake.faults.add(FaultKind.MALFORMED_BODY, times=-1)
    with pytest.raises(OutSmartProtocolError) as caught:
        client.list_materials()
    assert "not JSON" in str(caught.value)
    assert isinstance(caught.value, TransientError)
    assert len(fake.calls) == MAX_ATTEMPTS


@pytest.mark.parametrize(
    "kind",
    [FaultKind.CONNECT_ERROR, FaultKind.TIMEOUT_BEFORE_SEND, FaultKind.TIMEOUT_AFTER_SEND],
)
def test_transport_faults_are_retried(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, kind: FaultKind
) -> None:
    fake.faults.add(kind, times=2)
    tenant.add_workorder()
    assert len(client.get_workorders()) == 1
    assert len(fake.calls) == 3
    assert tenant.handled_log == []


@pytest.mark.parametrize(
    "kind",
    [FaultKind.CONNECT_ERROR, FaultKind.TIMEOUT_BEFORE_SEND, FaultKind.TIMEOUT_AFTER_SEND],
)
def test_persistent_transport_faults_are_bounded(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, kind: FaultKind
) -> None:
    fake.faults.add(kind, times=-1)
    with pytest.raises(OutSmartUnavailableError) as caught:
        client.list_categories()
    assert caught.value.status_code is None
    assert len(fake.calls) == MAX_ATTEMPTS


def test_mark_handled_after_a_lost_answer_is_repeated_harmlessly(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    """Processed, answer lost, retried: the order ends handled (twice in the log, ⚠ harmless)."""
    order = tenant.add_workorder()
    fake.faults.add(FaultKind.TIMEOUT_AFTER_SEND, path="GetWorkorder", times=1)
    client.mark_workorder_handled(order["id"])
    assert tenant.workorders[order["id"]]["status"] == "Afgehandeld"
    assert tenant.handled_log == [order["id"], order["id"]]


def test_latency_knob(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, fake_sleeps: RecordingSleep
) -> None:
    fake.faults.latency = 1.5
    client.list_relations()
    assert fake_sleeps.delays == [1.5]


# ---------------------------------------------------------------------------------------------
# Redaction: no token in any exception or log record
# ---------------------------------------------------------------------------------------------


def _exception_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), *getattr(current, "__notes__", [])]
        parts += [str(m) for m in getattr(current, "messages", [])]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


Scenario = Callable[[OutSmartFake, OutSmartClient], object]

SCENARIOS: dict[str, Scenario] = {
    "rate_limit": lambda f, c: (f.faults.add(FaultKind.RATE_LIMIT, times=-1), c.list_relations()),
    "server_error": lambda f, c: (
        f.faults.add(FaultKind.SERVER_ERROR, times=-1),
        c.list_materials(),
    ),
    "malformed": lambda f, c: (
        f.faults.add(FaultKind.MALFORMED_BODY, times=-1),
        c.get_workorders(),
    ),
    "connect": lambda f, c: (f.faults.add(FaultKind.CONNECT_ERROR, times=-1), c.get_workorder("1")),
    "timeout": lambda f, c: (
        f.faults.add(FaultKind.TIMEOUT_AFTER_SEND, times=-1),
        c.set_workorder_status("1", "001"),
    ),
    "mark_handled": lambda f, c: c.mark_workorder_handled("1"),
    "server_1007": lambda f, c: (f.inject_error(1007, times=-1), c.list_hour_types()),
    "not_found": lambda f, c: c.get_workorder("404"),
    "validation": lambda f, c: c.upsert_relations(
        [
            RelationRecord(
                name="A", debtor_number="C-1", street="S", postal_code="1", city="B", country="BE"
            )
        ]
    ),
    "bad_data": lambda f, c: (
        f.tenant(next(iter(f.tenants))).add_workorder(WorkDate="99-99-2024"),
        c.get_workorders(),
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_token_in_errors_or_logs(
    make_client: MakeClient,
    fake: OutSmartFake,
    tenant: OutSmartTenant,
    logs: CapturedLogs,
    scenario: str,
) -> None:
    client = make_client(bearer_token=SecretStr(BEARER_TOKEN))
    with pytest.raises(IntegrationError) as caught:
        SCENARIOS[scenario](fake, client)

    text = _exception_text(caught.value) + "\n" + logs.text()
    assert logs.records  # something was logged, and it was checked
    for secret in SECRETS:
        assert secret not in text


def test_echoed_tokens_are_masked(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, logs: CapturedLogs
) -> None:
    fake.inject_error(1004, message=f"Token {TENANT_TOKEN} with {SOFTWARE_TOKEN} not authorized")
    with pytest.raises(OutSmartAuthError) as caught:
        client.list_relations()
    assert caught.value.messages == ["Token *** with *** not authorized"]
    text = _exception_text(caught.value) + logs.text()
    assert TENANT_TOKEN not in text
    assert SOFTWARE_TOKEN not in text


def test_wrong_token_is_not_echoed(
    make_client: MakeClient, tenant: OutSmartTenant, logs: CapturedLogs
) -> None:
    wrong = "wrong-tenant-token-1234567"
    with pytest.raises(IntegrationError) as caught:
        make_client(token=SecretStr(wrong)).get_workorders()
    assert wrong not in _exception_text(caught.value) + logs.text()


def test_success_logs_carry_no_tokens(
    client: OutSmartClient, tenant: OutSmartTenant, logs: CapturedLogs
) -> None:
    tenant.add_workorder()
    order = client.get_workorders()[0]
    client.mark_workorder_handled(order.id)
    client.upsert_relations(
        [RelationRecord(name="A", debtor_number="C-9", street="S", postal_code="1", city="B")]
    )
    assert logs.records
    for secret in SECRETS:
        assert secret not in logs.text()


def test_server_error_class_is_transient() -> None:
    assert issubclass(OutSmartServerError, TransientError)
