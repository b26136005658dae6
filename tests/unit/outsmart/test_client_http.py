"""The client against the fake served over real HTTP on 127.0.0.1 (as the local demo runs it)."""

import dataclasses
import random
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from billit_sync.outsmart import (
    MaterialRecord,
    OutSmartAuthError,
    OutSmartClient,
    RelationRecord,
)
from tests.fakes.faults import FaultKind
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.fakes.server import RunningServer, serve
from tests.unit.outsmart.conftest import (
    SOFTWARE_TOKEN,
    TENANT_TOKEN,
    TEST_POLICY,
    RecordingSleep,
)


@pytest.fixture
def server(fake: OutSmartFake) -> Iterator[RunningServer]:
    with serve(fake.handle, hang_seconds=2.0) as running:
        yield running


@pytest.fixture
def http_client(server: RunningServer, sleeps: RecordingSleep) -> Iterator[OutSmartClient]:
    with httpx.Client() as http:
        yield OutSmartClient(
            http,
            f"{server.url}/openapi/8",
            SecretStr(TENANT_TOKEN),
            SecretStr(SOFTWARE_TOKEN),
            dataclasses.replace(TEST_POLICY, max_attempts=6),
            sleeps,
            httpx.Timeout(5.0, read=0.5),
            rng=random.Random(3),
        )


def test_round_trip_over_http(
    http_client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    order = tenant.add_workorder(
        CustomerDebtorNr="C-1001", Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": "2,5"}]
    )

    (fetched,) = http_client.get_workorders()
    assert fetched.id == order["id"]
    assert fetched.materials[0].quantity == Decimal("2.5")
    assert fetched.materials[0].total_price == Decimal("11.38")  # 2.5 * 4,55 rounded half-up
    assert fake.calls[-1].query == {"status": "Compleet", "update_status": "false"}

    assert (
        http_client.upsert_materials(
            [MaterialRecord(code="MAT-9", description="Kraan", price=Decimal("19.99"), unit="st")]
        )
        == 1
    )
    assert (
        http_client.upsert_relations(
            [RelationRecord(name="B", debtor_number="C-2", street="S", postal_code="1", city="X")]
        )
        == 1
    )
    assert {m.code for m in http_client.list_materials()} == {"MAT-00001", "MAT-9"}

    http_client.mark_workorder_handled(fetched.id)
    assert tenant.workorders[order["id"]]["status"] == "Afgehandeld"
    assert http_client.get_workorders() == []


def test_faults_over_http(
    http_client: OutSmartClient,
    fake: OutSmartFake,
    tenant: OutSmartTenant,
    sleeps: RecordingSleep,
) -> None:
    fake.faults.add(FaultKind.RATE_LIMIT, times=1, retry_after="3")
    fake.faults.add(FaultKind.MALFORMED_BODY, times=1)
    fake.faults.add(FaultKind.CONNECT_ERROR, times=1)  # the server drops the connection
    fake.faults.add(FaultKind.TIMEOUT_AFTER_SEND, times=1)  # the server hangs; we time out

    assert http_client.list_workstatusses()

    assert sleeps.delays[0] == 3.0
    assert len(fake.calls) == 5


def test_envelope_error_over_http(server: RunningServer, tenant: OutSmartTenant) -> None:
    with httpx.Client() as http:
        client = OutSmartClient(
            http,
            f"{server.url}/openapi/8",
            SecretStr("unknown-token"),
            SecretStr(SOFTWARE_TOKEN),
            TEST_POLICY,
            RecordingSleep(),
        )
        with pytest.raises(OutSmartAuthError) as caught:
            client.list_relations()
    assert caught.value.code == 1004
