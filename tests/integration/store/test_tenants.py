from datetime import timedelta

import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.errors import BadInputError
from billit_sync.store.tenants import (
    BillitCompany,
    ConnectionStatus,
    TenantStore,
    UnknownCompanyError,
)
from billit_sync.tenancy import InvalidTenantIdError
from tests.integration.store.conftest import START, FakeClock

COMPANIES = [
    BillitCompany(party_id="1001", name="Acme BV", vat_number="BE0123456789"),
    BillitCompany(party_id="1002", name="Acme Services BV", vat_number=None),
]


@pytest.fixture
def store(table: Table, clock: FakeClock) -> TenantStore:
    return TenantStore(table, clock)


def connect(store: TenantStore, tenant_id: str = "acme", party_id: str = "1001") -> None:
    store.save_connected(
        tenant_id,
        party_id=party_id,
        company_name="Acme BV",
        companies=COMPANIES,
        environment="sandbox",
    )


def test_register_is_an_idempotent_upsert(store: TenantStore, clock: FakeClock) -> None:
    assert store.get("acme") is None
    first = store.register("acme", "nl")
    clock.advance(60)
    second = store.register("acme", "en")

    assert first.language == "nl"
    assert second.language == "en"
    assert second.created_at == START
    assert second.updated_at == START + timedelta(seconds=60)
    assert store.get("acme") == second


def test_register_refuses_unknown_languages(store: TenantStore) -> None:
    with pytest.raises(BadInputError):
        store.register("acme", "fr")  # type: ignore[arg-type]
    assert store.get("acme") is None


def test_invalid_tenant_ids_never_reach_a_key(store: TenantStore) -> None:
    for bad in ("", "ACME", "acme#other", "-acme", "a" * 64):
        with pytest.raises(InvalidTenantIdError):
            store.get(bad)


def test_connection_defaults_to_never_connected(store: TenantStore) -> None:
    connection = store.get_connection("acme")
    assert connection.status is ConnectionStatus.NEVER_CONNECTED
    assert connection.party_id is None
    assert connection.companies == []


def test_save_connected_round_trip(store: TenantStore, table: Table) -> None:
    connect(store)
    connection = store.get_connection("acme")

    assert connection.status is ConnectionStatus.CONNECTED
    assert connection.party_id == "1001"
    assert connection.company_name == "Acme BV"
    assert connection.companies == COMPANIES
    assert connection.environment == "sandbox"
    assert connection.connected_at == START
    item = table.get_item(Key={"pk": "TENANT#acme", "sk": "CONNECTION"})["Item"]
    assert item["gsi1pk"] == "CONNECTION#connected"
    assert item["gsi1sk"] == "TENANT#acme"


def test_mark_auth_expired_flips_exactly_once(store: TenantStore, clock: FakeClock) -> None:
    connect(store)
    clock.advance(3600)

    assert store.mark_auth_expired("acme") is True
    assert store.mark_auth_expired("acme") is False

    connection = store.get_connection("acme")
    assert connection.status is ConnectionStatus.AUTH_EXPIRED
    assert connection.auth_expired_at == START + timedelta(seconds=3600)
    assert list(store.list_connected_tenant_ids()) == []
    assert list(store.list_tenant_ids(ConnectionStatus.AUTH_EXPIRED)) == ["acme"]


def test_mark_auth_expired_needs_a_connection(store: TenantStore) -> None:
    assert store.mark_auth_expired("acme") is False
    assert store.get_connection("acme").status is ConnectionStatus.NEVER_CONNECTED


def test_disconnect_then_reconnect_to_another_company(
    store: TenantStore, clock: FakeClock, table: Table
) -> None:
    connect(store)
    store.mark_auth_expired("acme")
    clock.advance(10)

    assert store.mark_disconnected("acme") is True
    assert store.mark_disconnected("acme") is False
    disconnected = store.get_connection("acme")
    assert disconnected.status is ConnectionStatus.DISCONNECTED
    assert disconnected.disconnected_at == START + timedelta(seconds=10)
    item = table.get_item(Key={"pk": "TENANT#acme", "sk": "CONNECTION"})["Item"]
    assert "gsi1pk" not in item
    assert "gsi1sk" not in item

    clock.advance(10)
    connect(store, party_id="2002")
    reconnected = store.get_connection("acme")
    assert reconnected.status is ConnectionStatus.CONNECTED
    assert reconnected.party_id == "2002"
    assert reconnected.disconnected_at is None
    assert reconnected.auth_expired_at is None
    assert reconnected.connected_at == START + timedelta(seconds=20)


def test_list_connected_tenants_uses_the_sparse_index(store: TenantStore) -> None:
    tenants = [f"tenant-{n:03d}" for n in range(230)]
    for tenant_id in tenants:
        connect(store, tenant_id)
    store.mark_disconnected("tenant-000")
    store.mark_auth_expired("tenant-001")

    assert sorted(store.list_connected_tenant_ids()) == tenants[2:]


def test_list_tenant_ids_refuses_unindexed_statuses(store: TenantStore) -> None:
    with pytest.raises(ValueError, match="indexed"):
        list(store.list_tenant_ids(ConnectionStatus.DISCONNECTED))


def test_import_time_only_moves_forward(store: TenantStore) -> None:
    assert store.record_import_finished("acme", START) is False  # no connection yet
    connect(store)
    later = START + timedelta(minutes=5)

    assert store.record_import_finished("acme", later) is True
    assert store.record_import_finished("acme", START) is False

    connection = store.get_connection("acme")
    assert connection.last_import_at == later


def test_select_company_only_among_the_accounts_companies(store: TenantStore) -> None:
    connect(store)

    chosen = store.select_company("acme", "1002")
    assert chosen.party_id == "1002"
    assert chosen.company_name == "Acme Services BV"
    with pytest.raises(UnknownCompanyError):
        store.select_company("acme", "9999")
    store.mark_disconnected("acme")
    with pytest.raises(UnknownCompanyError):
        store.select_company("acme", "1001")
