"""The log panel through the real management handler: newest first across pages with cursors,
level and category filters, messages in the tenant's language, cursors and tickets bound to
one tenant, 422s that name the parameter, and the retention TTL on a stored entry."""

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import keys
from billit_sync.store.clock import to_epoch
from billit_sync.store.sync_log import SyncLogCategory, SyncLogEntry, SyncLogLevel
from billit_sync.tickets import TicketScope
from functions.management_api import app as management_api
from tests.support.stack import Stack, http_event, running_stack

TENANT = "acme"  # registered in Dutch
OTHER_TENANT = "globex"  # registered in English
ENTRIES = 60
LEVELS = list(SyncLogLevel)
CATEGORIES = list(SyncLogCategory)
AUTH_EXPIRED_EN = "Authentication expired. Reconnect the integration to sync data."
AUTH_EXPIRED_NL = (
    "Authenticatie verlopen. Verbind de integratie opnieuw om gegevens te synchroniseren."
)


def record(stack: Stack, tenant_id: str, n: int) -> SyncLogEntry:
    """Entry ``n``: level and category cycle, so every filter has matches on every page."""
    stack.clock.advance(60)
    return stack.services.sync_log.record(
        tenant_id,
        category=CATEGORIES[n % len(CATEGORIES)],
        level=LEVELS[n % len(LEVELS)],
        message_key=messages.EXPORT_INVOICE_CREATED,
        params={"workorder_no": f"{tenant_id}-WO-{n:03d}", "invoice_number": f"INV-{n:03d}"},
        workorder_no=f"{tenant_id}-WO-{n:03d}",
        invoice_number=f"INV-{n:03d}",
        retryable=n % 2 == 1,
    )


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, management_api) as running:
        for tenant_id, language in ((TENANT, "nl"), (OTHER_TENANT, "en")):
            registered = running.call(
                management_api,
                "PUT",
                f"/tenants/{tenant_id}",
                scope=TicketScope.ADMIN,
                body={"outsmart_token": f"token-{tenant_id}", "language": language},
            )
            assert registered["statusCode"] == 200
        yield running


@pytest.fixture
def written(stack: Stack) -> list[SyncLogEntry]:
    """60 entries of ``TENANT`` (oldest first), interleaved with 20 of ``OTHER_TENANT``."""
    entries = []
    for n in range(ENTRIES):
        entries.append(record(stack, TENANT, n))
        if n % 3 == 0:
            record(stack, OTHER_TENANT, n)
    return entries


def get(
    stack: Stack,
    tenant_id: str = TENANT,
    *,
    as_tenant: str | None = None,
    query: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    response = stack.call(
        management_api,
        "GET",
        f"/tenants/{tenant_id}/sync-log",
        tenant_id=as_tenant or tenant_id,
        query=query,
    )
    return response["statusCode"], json.loads(response["body"])


def all_pages(
    stack: Stack, query: dict[str, str] | None = None, tenant_id: str = TENANT
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        status, body = get(stack, tenant_id, query={**(query or {}), **_cursor(cursor)})
        assert status == 200, body
        pages.append(body["entries"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor never ends"


def _cursor(cursor: str | None) -> dict[str, str]:
    return {"cursor": cursor} if cursor else {}


def ids(entries: list[SyncLogEntry]) -> list[str]:
    return [entry.entry_id or "" for entry in entries]


# ------------------------------------------------------------------ pagination
def test_pages_run_newest_first_across_cursors_without_gaps_or_repeats(
    stack: Stack, written: list[SyncLogEntry]
) -> None:
    pages = all_pages(stack, {"limit": "25"})

    assert [len(page) for page in pages] == [25, 25, 10]
    listed = [entry["id"] for page in pages for entry in page]
    assert listed == ids(written)[::-1]
    times = [entry["time"] for page in pages for entry in page]
    assert times == sorted(times, reverse=True)


def test_the_default_page_holds_25_and_the_last_page_has_no_cursor(
    stack: Stack, written: list[SyncLogEntry]
) -> None:
    status, first = get(stack)
    assert status == 200
    assert len(first["entries"]) == 25
    assert first["next_cursor"]

    status, everything = get(stack, query={"limit": "100"})
    assert status == 200
    assert len(everything["entries"]) == ENTRIES
    assert everything["next_cursor"] is None


def test_an_entry_carries_what_the_panel_shows(stack: Stack, written: list[SyncLogEntry]) -> None:
    status, body = get(stack, query={"limit": "1", "lang": "en"})
    assert status == 200
    (entry,) = body["entries"]
    newest = written[-1]
    n = ENTRIES - 1
    assert entry == {
        "id": newest.entry_id,
        "time": newest.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "category": CATEGORIES[n % len(CATEGORIES)].value,
        "level": LEVELS[n % len(LEVELS)].value,
        "message": f"Work order {TENANT}-WO-{n:03d} exported to Billit as invoice INV-{n:03d} "
        "(not sent).",
        "message_key": messages.EXPORT_INVOICE_CREATED,
        "workorder_no": f"{TENANT}-WO-{n:03d}",
        "invoice": f"INV-{n:03d}",
        "retryable": True,
    }
    assert body["language"] == "en"


def test_an_empty_log_is_one_empty_page(stack: Stack) -> None:
    assert get(stack) == (200, {"language": "nl", "entries": [], "next_cursor": None})


# --------------------------------------------------------------------- filters
@pytest.mark.parametrize(
    ("query", "levels", "categories"),
    [
        ({"level": "error"}, {"error"}, None),
        ({"level": "warning,error"}, {"warning", "error"}, None),
        ({"category": "webhook"}, None, {"webhook"}),
        ({"category": "connection,import"}, None, {"connection", "import"}),
        ({"level": "info", "category": "export,webhook"}, {"info"}, {"export", "webhook"}),
        ({"level": "ERROR, Info"}, {"error", "info"}, None),
    ],
)
def test_level_and_category_filters_keep_order_and_pages(
    stack: Stack,
    written: list[SyncLogEntry],
    query: dict[str, str],
    levels: set[str] | None,
    categories: set[str] | None,
) -> None:
    expected = [
        entry.entry_id
        for entry in reversed(written)
        if (levels is None or entry.level.value in levels)
        and (categories is None or entry.category.value in categories)
    ]
    pages = all_pages(stack, {**query, "limit": "7"})

    listed = [entry for page in pages for entry in page]
    assert [entry["id"] for entry in listed] == expected
    assert all(len(page) == 7 for page in pages[:-1])
    assert levels is None or {entry["level"] for entry in listed} == levels
    assert categories is None or {entry["category"] for entry in listed} == categories


def test_a_repeated_parameter_filters_like_a_comma_separated_one(
    stack: Stack, written: list[SyncLogEntry]
) -> None:
    """API Gateway (payload 2.0) joins repeated query parameters with commas."""
    event = http_event(
        "GET",
        f"/tenants/{TENANT}/sync-log",
        query={"level": "warning,error", "limit": "100"},
        headers={"authorization": f"Bearer {stack.ticket(TENANT)}"},
    )
    event["rawQueryString"] = "level=warning&level=error&limit=100"
    response = stack.invoke(management_api, event)

    assert response["statusCode"] == 200
    listed = json.loads(response["body"])["entries"]
    assert {entry["level"] for entry in listed} == {"warning", "error"}
    assert len(listed) == sum(1 for entry in written if entry.level is not SyncLogLevel.INFO)


# ------------------------------------------------------------------- languages
def test_messages_follow_the_tenants_language_and_lang_overrides_it(stack: Stack) -> None:
    for tenant_id in (TENANT, OTHER_TENANT):
        stack.services.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.ERROR,
            message_key=messages.AUTH_EXPIRED,
        )
        stack.clock.advance(1)
        record(stack, tenant_id, 7)

    _, dutch = get(stack, TENANT)
    _, english = get(stack, TENANT, query={"lang": "en"})
    _, other_english = get(stack, OTHER_TENANT)
    _, other_dutch = get(stack, OTHER_TENANT, query={"lang": "NL"})

    assert dutch["language"] == "nl"
    assert english["language"] == "en"
    assert [e["message"] for e in dutch["entries"]] == [
        f"Werkbon {TENANT}-WO-007 geëxporteerd naar Billit als factuur INV-007 (niet verstuurd).",
        AUTH_EXPIRED_NL,
    ]
    assert [e["message"] for e in english["entries"]] == [
        f"Work order {TENANT}-WO-007 exported to Billit as invoice INV-007 (not sent).",
        AUTH_EXPIRED_EN,
    ]
    # The same entries either way: only the text changes.
    assert [{**e, "message": ""} for e in dutch["entries"]] == [
        {**e, "message": ""} for e in english["entries"]
    ]
    assert other_english["language"] == "en"
    assert other_english["entries"][1]["message"] == AUTH_EXPIRED_EN
    assert other_dutch["entries"][1]["message"] == AUTH_EXPIRED_NL
    assert other_english["entries"][1]["level"] == "error"
    assert other_english["entries"][1]["category"] == "connection"
    assert other_english["entries"][1]["workorder_no"] is None
    assert other_english["entries"][1]["invoice"] is None


# ------------------------------------------------------------- tenant isolation
def test_a_tampered_or_foreign_cursor_is_refused(stack: Stack, written: list[SyncLogEntry]) -> None:
    _, own = get(stack, query={"limit": "5"})
    _, foreign = get(stack, OTHER_TENANT, query={"limit": "5"})
    assert own["next_cursor"] and foreign["next_cursor"]

    cursor = own["next_cursor"]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in (tampered, foreign["next_cursor"], "not-a-cursor", "x" * 500):
        status, body = get(stack, query={"cursor": bad})
        assert status == 400, bad
        assert body["code"] == "bad_request"
        assert OTHER_TENANT not in json.dumps(body)

    # A cursor with the other tenant's entry id, re-encoded by hand, is just as useless.
    raw = json.loads(_b64decode(cursor))
    raw["sk"] = keys.sync_log_sk(foreign["entries"][-1]["id"])
    status, _ = get(stack, query={"cursor": _b64encode(json.dumps(raw))})
    assert status == 400


def test_another_tenants_ticket_is_forbidden_and_sees_nothing(
    stack: Stack, written: list[SyncLogEntry]
) -> None:
    _, own = get(stack, query={"limit": "5"})
    for query in (None, {"cursor": own["next_cursor"]}, {"level": "error", "lang": "en"}):
        status, body = get(stack, TENANT, as_tenant=OTHER_TENANT, query=query)
        assert status == 403
        assert body["code"] == "forbidden"
        assert f"{TENANT}-WO-" not in json.dumps(body)
        assert "entries" not in body

    # And the other tenant's own log holds only its own entries.
    listed = [entry for page in all_pages(stack, {"limit": "100"}, OTHER_TENANT) for entry in page]
    assert len(listed) == 20
    assert all(entry["workorder_no"].startswith(f"{OTHER_TENANT}-WO-") for entry in listed)


def test_no_ticket_is_401_and_an_unregistered_tenant_is_404(stack: Stack) -> None:
    response = stack.call(management_api, "GET", f"/tenants/{TENANT}/sync-log", ticket="")
    assert response["statusCode"] == 401
    status, body = get(stack, "initech")
    assert status == 404
    assert body["code"] == "unknown_tenant"


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"level": "fatal"}, "level"),
        ({"level": "info,debug"}, "level"),
        ({"category": "billing"}, "category"),
        ({"lang": "fr"}, "lang"),
    ],
)
def test_a_wrong_parameter_is_a_422_that_names_it(
    stack: Stack, query: dict[str, str], field: str
) -> None:
    status, body = get(stack, query=query)
    assert status == 422
    assert body["code"] == "invalid_query"
    assert [problem["field"] for problem in body["errors"]] == [field]
    assert field in body["detail"]


def test_every_wrong_parameter_is_named_at_once(stack: Stack) -> None:
    status, body = get(stack, query={"limit": "1000", "level": "loud", "category": "x"})
    assert status == 422
    assert [p["field"] for p in body["errors"]] == ["limit", "level", "category"]


# ------------------------------------------------------------------- retention
def test_a_stored_entry_expires_after_the_retention(stack: Stack) -> None:
    assert stack.services.config.sync_log_retention_days == 90
    entry = record(stack, TENANT, 1)

    item = stack.services.sync_log_table.get_item(
        Key={"pk": keys.tenant_pk(TENANT), "sk": keys.sync_log_sk(entry.entry_id or "")}
    )["Item"]
    assert item["expires_at"] == to_epoch(entry.at + timedelta(days=90))

    # Past the TTL (before DynamoDB deletes it) the panel no longer shows it.
    stack.clock.advance(timedelta(days=90, seconds=1).total_seconds())
    assert get(stack)[1]["entries"] == []


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64encode(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
