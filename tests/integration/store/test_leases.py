import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.clock import to_epoch
from billit_sync.store.leases import LeaseStore
from tests.integration.store.conftest import START, FakeClock

NAME = "billit-token-refresh"


@pytest.fixture
def leases(table: Table, clock: FakeClock) -> LeaseStore:
    return LeaseStore(table, clock)


def test_held_by_another_is_refused(leases: LeaseStore) -> None:
    assert leases.acquire("acme", NAME, "worker-a", 30) is True
    assert leases.acquire("acme", NAME, "worker-b", 30) is False
    holder = leases.holder("acme", NAME)
    assert holder is not None
    assert holder.owner == "worker-a"


def test_expired_lease_is_acquired(leases: LeaseStore, clock: FakeClock) -> None:
    leases.acquire("acme", NAME, "worker-a", 30)
    clock.advance(30)
    assert leases.holder("acme", NAME) is None
    assert leases.acquire("acme", NAME, "worker-b", 30) is True
    # worker-a lost it: it can neither renew nor release worker-b's lease.
    assert leases.renew("acme", NAME, "worker-a", 30) is False
    assert leases.release("acme", NAME, "worker-a") is False
    holder = leases.holder("acme", NAME)
    assert holder is not None
    assert holder.owner == "worker-b"


def test_reentrant_renew_and_release(leases: LeaseStore, clock: FakeClock, table: Table) -> None:
    assert leases.acquire("acme", NAME, "worker-a", 30) is True
    assert leases.acquire("acme", NAME, "worker-a", 30) is True
    clock.advance(20)
    assert leases.renew("acme", NAME, "worker-a", 30) is True
    item = table.get_item(Key={"pk": "TENANT#acme", "sk": f"LEASE#{NAME}"})["Item"]
    assert item["expires_at"] == to_epoch(START) + 50
    clock.advance(20)
    assert leases.acquire("acme", NAME, "worker-b", 30) is False  # renewed: still live

    assert leases.release("acme", NAME, "worker-a") is True
    assert leases.acquire("acme", NAME, "worker-b", 30) is True


def test_leases_are_per_tenant_and_name(leases: LeaseStore) -> None:
    assert leases.acquire("acme", NAME, "worker-a", 30) is True
    assert leases.acquire("other-co", NAME, "worker-b", 30) is True
    assert leases.acquire("acme", "import", "worker-b", 30) is True
    assert leases.renew("acme", "never-taken", "worker-a", 30) is False


def test_bad_arguments(leases: LeaseStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        leases.acquire("acme", NAME, "worker-a", 0)
    with pytest.raises(ValueError, match="owner"):
        leases.acquire("acme", NAME, "", 30)
    with pytest.raises(ValueError, match="lease name"):
        leases.acquire("acme", "Has#Separator", "worker-a", 30)
