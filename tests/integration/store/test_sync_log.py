import base64
import json
from datetime import timedelta

import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.errors import BadInputError
from billit_sync.store.clock import to_epoch
from billit_sync.store.sync_log import (
    InvalidCursorError,
    SyncLogCategory,
    SyncLogEntry,
    SyncLogLevel,
    SyncLogStore,
)
from tests.integration.store.conftest import START, FakeClock

INFO, WARNING, ERROR = SyncLogLevel.INFO, SyncLogLevel.WARNING, SyncLogLevel.ERROR
EXPORT, IMPORT = SyncLogCategory.EXPORT, SyncLogCategory.IMPORT


@pytest.fixture
def log(sync_log_table: Table, clock: FakeClock) -> SyncLogStore:
    return SyncLogStore(sync_log_table, clock, retention_days=90)


def add(
    log: SyncLogStore,
    clock: FakeClock,
    n: int,
    *,
    tenant_id: str = "acme",
    level: SyncLogLevel = INFO,
    category: SyncLogCategory = EXPORT,
) -> list[SyncLogEntry]:
    """``n`` entries one second apart, returned oldest first."""
    entries: list[SyncLogEntry] = []
    for _ in range(n):
        clock.advance(1)
        entries.append(
            log.record(
                tenant_id,
                category=category,
                level=level,
                message_key="export.invoice_created",
                params={"invoice": f"INV-{len(entries)}"},
                workorder_no="2026-0042",
            )
        )
    return entries


def all_pages(log: SyncLogStore, tenant_id: str = "acme", **kwargs: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = log.page(tenant_id, cursor=cursor, **kwargs)  # type: ignore[arg-type]
        pages.append([entry.entry_id or "" for entry in page.entries])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 100


def test_append_round_trip_and_ttl(log: SyncLogStore, sync_log_table: Table) -> None:
    entry = SyncLogEntry(
        tenant_id="acme",
        at=START,
        category=EXPORT,
        level=ERROR,
        message_key="export.unknown_material",
        params={"material": "K-100", "workorder": "2026-0042"},
        workorder_no="2026-0042",
        invoice_number=None,
        retryable=True,
    )
    stored = log.append(entry)

    assert stored.entry_id is not None
    assert stored.entry_id.startswith("20260115T090000000000Z-")
    page = log.page("acme", limit=10)
    assert page.entries == [stored]
    assert page.next_cursor is None
    item = sync_log_table.get_item(Key={"pk": "TENANT#acme", "sk": f"LOG#{stored.entry_id}"})
    assert item["Item"]["expires_at"] == to_epoch(START + timedelta(days=90))


def test_newest_first_across_pages(log: SyncLogStore, clock: FakeClock) -> None:
    entries = add(log, clock, 25)
    newest_first = [entry.entry_id for entry in reversed(entries)]

    pages = all_pages(log, limit=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [entry_id for page in pages for entry_id in page] == newest_first


def test_exactly_full_last_page_has_no_cursor(log: SyncLogStore, clock: FakeClock) -> None:
    add(log, clock, 20)
    assert [len(page) for page in all_pages(log, limit=10)] == [10, 10]


def test_filters_still_fill_pages(log: SyncLogStore, clock: FakeClock) -> None:
    errors: list[SyncLogEntry] = []
    for _ in range(12):
        add(log, clock, 20, level=INFO)
        errors += add(log, clock, 1, level=ERROR, category=IMPORT)
    add(log, clock, 3, level=WARNING)

    pages = all_pages(log, limit=5, levels={ERROR})

    assert [len(page) for page in pages] == [5, 5, 2]
    assert [e for page in pages for e in page] == [e.entry_id for e in reversed(errors)]
    both = log.page("acme", limit=50, levels={ERROR, WARNING}, categories={IMPORT})
    assert len(both.entries) == 12
    assert all(e.category is IMPORT and e.level is ERROR for e in both.entries)
    assert log.page("acme", limit=5, categories={SyncLogCategory.WEBHOOK}).entries == []


def test_sparse_matches_are_bounded_per_page(log: SyncLogStore, clock: FakeClock) -> None:
    add(log, clock, 1, level=ERROR)
    add(log, clock, 400, level=INFO)

    first = log.page("acme", limit=1, levels={ERROR})
    # Ten queries of (1+1)*5 items did not reach the error: an empty page with a cursor.
    assert first.entries == []
    assert first.next_cursor is not None
    pages = all_pages(log, limit=1, levels={ERROR})
    assert sum(len(page) for page in pages) == 1


def test_expired_entries_are_not_shown(log: SyncLogStore, clock: FakeClock) -> None:
    old = add(log, clock, 2)
    clock.advance(timedelta(days=60).total_seconds())
    recent = add(log, clock, 1)
    clock.advance(timedelta(days=31).total_seconds())

    page = log.page("acme", limit=10)
    assert [e.entry_id for e in page.entries] == [recent[0].entry_id]
    assert old[0].entry_id not in {e.entry_id for e in page.entries}


def test_tenant_isolation_and_cross_tenant_cursor(log: SyncLogStore, clock: FakeClock) -> None:
    add(log, clock, 5, tenant_id="acme")
    add(log, clock, 2, tenant_id="other-co")

    acme_page = log.page("acme", limit=2)
    assert all(e.tenant_id == "acme" for e in acme_page.entries)
    assert len(log.page("other-co", limit=10).entries) == 2
    assert acme_page.next_cursor is not None
    with pytest.raises(InvalidCursorError):
        log.page("other-co", limit=2, cursor=acme_page.next_cursor)


def test_tampered_cursors_are_refused(log: SyncLogStore, clock: FakeClock) -> None:
    add(log, clock, 5)
    cursor = log.page("acme", limit=2).next_cursor
    assert cursor is not None
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["sk"] = payload["sk"][:-1] + ("0" if payload["sk"][-1] != "0" else "1")
    edited = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()

    for bad in (edited, cursor[:-3], "not-a-cursor", "", "e30", "x" * 1000):
        with pytest.raises(InvalidCursorError):
            log.page("acme", limit=2, cursor=bad or "=")
    assert issubclass(InvalidCursorError, BadInputError)


def test_signed_cursors_depend_on_the_key(
    sync_log_table: Table, clock: FakeClock, log: SyncLogStore
) -> None:
    add(log, clock, 3)
    signed = SyncLogStore(sync_log_table, clock, cursor_key=b"k1")
    cursor = signed.page("acme", limit=1).next_cursor
    assert cursor is not None
    assert len(signed.page("acme", limit=1, cursor=cursor).entries) == 1
    with pytest.raises(InvalidCursorError):
        SyncLogStore(sync_log_table, clock, cursor_key=b"k2").page("acme", cursor=cursor)
    with pytest.raises(InvalidCursorError):
        log.page("acme", cursor=cursor)


def test_limit_is_bounded(log: SyncLogStore) -> None:
    with pytest.raises(BadInputError):
        log.page("acme", limit=0)
    with pytest.raises(BadInputError):
        log.page("acme", limit=101)
