import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.watermarks import (
    InvalidWatermarkError,
    Watermark,
    WatermarkStore,
    sortable_timestamp,
)
from tests.integration.store.conftest import FakeClock


@pytest.fixture
def store(table: Table, clock: FakeClock) -> WatermarkStore:
    return WatermarkStore(table, clock)


def test_empty_until_advanced(store: WatermarkStore) -> None:
    assert store.get("acme", "1001", "parties") == Watermark()


def test_advance_is_monotonic(store: WatermarkStore) -> None:
    assert store.advance("acme", "1001", "parties", "2026-01-10T08:00:00") is True
    assert store.advance("acme", "1001", "parties", "2026-01-10T09:30:00.5") is True
    assert store.advance("acme", "1001", "parties", "2026-01-10T09:00:00") is False
    assert store.advance("acme", "1001", "parties", "2026-01-10T09:30:00.5") is True  # same

    assert store.get("acme", "1001", "parties").last_modified == "2026-01-10T09:30:00.5"


def test_fractions_and_zones_compare_by_time_not_text(store: WatermarkStore) -> None:
    store.advance("acme", "1001", "products", "2026-01-10T09:00:00.500Z")
    # As text "…00Z" > "…00.500Z"; as time it is earlier and must not win.
    assert store.advance("acme", "1001", "products", "2026-01-10T09:00:00Z") is False
    assert store.advance("acme", "1001", "products", "2026-01-10T11:00:01+02:00") is True
    assert sortable_timestamp("2026-01-10T11:00:01+02:00") == "2026-01-10T09:00:01.000000"


def test_invalid_last_modified_is_refused(store: WatermarkStore) -> None:
    with pytest.raises(InvalidWatermarkError):
        store.advance("acme", "1001", "parties", "yesterday")


def test_checkpoint_save_clear_and_reset(store: WatermarkStore) -> None:
    store.advance("acme", "1001", "parties", "2026-01-10T08:00:00")
    store.save_checkpoint("acme", "1001", "parties", {"skip": "240", "since": "2026-01-10"})

    saved = store.get("acme", "1001", "parties")
    assert saved.checkpoint == {"skip": "240", "since": "2026-01-10"}
    assert saved.last_modified == "2026-01-10T08:00:00"

    store.clear_checkpoint("acme", "1001", "parties")
    assert store.get("acme", "1001", "parties") == Watermark(last_modified="2026-01-10T08:00:00")

    store.reset("acme", "1001", "parties")
    assert store.get("acme", "1001", "parties") == Watermark()


def test_per_tenant_company_and_entity(store: WatermarkStore) -> None:
    store.advance("acme", "1001", "parties", "2026-01-10T08:00:00")

    assert store.get("acme", "1001", "products") == Watermark()
    assert store.get("acme", "2002", "parties") == Watermark()
    assert store.get("other-co", "1001", "parties") == Watermark()
