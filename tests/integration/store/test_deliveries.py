import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.clock import to_epoch
from billit_sync.store.deliveries import DeliveryLog
from tests.integration.store.conftest import START, FakeClock


@pytest.fixture
def deliveries(table: Table, clock: FakeClock) -> DeliveryLog:
    return DeliveryLog(table, clock)


def test_true_exactly_once(deliveries: DeliveryLog) -> None:
    assert deliveries.first_time("acme", "evt-1", ttl_seconds=3600) is True
    assert deliveries.first_time("acme", "evt-1", ttl_seconds=3600) is False
    assert deliveries.first_time("acme", "evt-2", ttl_seconds=3600) is True
    assert deliveries.first_time("other-co", "evt-1", ttl_seconds=3600) is True


def test_ttl_and_expiry(deliveries: DeliveryLog, clock: FakeClock, table: Table) -> None:
    deliveries.first_time("acme", "evt-1", ttl_seconds=3600)
    (item,) = table.scan()["Items"]
    assert item["expires_at"] == to_epoch(START) + 3600
    assert "evt-1" not in str(item["sk"])

    clock.advance(3600)  # expired but not yet deleted by TTL
    assert deliveries.first_time("acme", "evt-1", ttl_seconds=3600) is True


def test_forget_lets_a_redelivery_through(deliveries: DeliveryLog) -> None:
    assert deliveries.first_time("acme", "evt-1") is True
    deliveries.forget("acme", "evt-1")
    assert deliveries.first_time("acme", "evt-1") is True
