import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.settings import SettingsStore
from billit_sync.tenant_settings import (
    ExportSettings,
    HourRounding,
    ImportSettings,
    InvoiceDelivery,
    TenantSettings,
)
from tests.integration.store.conftest import FakeClock


@pytest.fixture
def store(table: Table, clock: FakeClock) -> SettingsStore:
    return SettingsStore(table, clock)


def test_defaults_until_saved(store: SettingsStore) -> None:
    assert store.get("acme") == TenantSettings()


def test_round_trip_keeps_every_choice(store: SettingsStore) -> None:
    settings = TenantSettings(
        imports=ImportSettings(products=False, interval_minutes=120),
        exports=ExportSettings(
            delivery=InvoiceDelivery.PEPPOL,
            payment_term_days=14,
            hour_rounding=HourRounding.FIFTEEN_MINUTES,
            default_vat_rate="6",
            workstatus_after_export="Gefactureerd",
        ),
    )
    store.put("acme", settings)

    assert store.get("acme") == settings
    assert store.get("other-tenant") == TenantSettings()


def test_saving_again_replaces(store: SettingsStore) -> None:
    store.put("acme", TenantSettings(exports=ExportSettings(enabled=False)))
    store.put("acme", TenantSettings())
    assert store.get("acme").exports.enabled is True
