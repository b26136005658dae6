"""The settings page's server-side sessions (issue 15, point 2)."""

import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.settings_ui.sessions import SESSION_TTL, UiSessionStore
from billit_sync.store.keys import sha256_hex
from tests.integration.store.conftest import FakeClock


@pytest.fixture
def store(table: Table, clock: FakeClock) -> UiSessionStore:
    return UiSessionStore(table, clock)


def test_a_session_is_found_by_its_cookie_value_only_and_stored_hashed(
    store: UiSessionStore, table: Table
) -> None:
    created = store.create("acme")
    found = store.get(created.session_id)
    assert found == created.session
    assert found is not None and found.tenant_id == "acme" and len(found.csrf_token) >= 40
    items = table.scan()["Items"]
    (item,) = [i for i in items if str(i["pk"]).startswith("UI_SESSION#")]
    assert item["pk"] == f"UI_SESSION#{sha256_hex(created.session_id)}"
    assert created.session_id not in str(item)
    assert store.get(created.session_id + "x") is None
    assert store.get("") is None and store.get(None) is None and store.get("a#b") is None


def test_a_session_ends_after_its_lifetime_and_dynamodb_ttl_removes_it(
    store: UiSessionStore, table: Table, clock: FakeClock
) -> None:
    created = store.create("acme")
    (item,) = [i for i in table.scan()["Items"] if str(i["pk"]).startswith("UI_SESSION#")]
    assert int(str(item["expires_at"])) == int((clock.now + SESSION_TTL).timestamp())
    clock.advance(SESSION_TTL.total_seconds() - 1)
    assert store.get(created.session_id) is not None
    clock.advance(1)
    assert store.get(created.session_id) is None


def test_the_csrf_token_is_compared_exactly(store: UiSessionStore) -> None:
    session = store.create("acme").session
    assert session.csrf_matches(session.csrf_token)
    assert not session.csrf_matches(session.csrf_token[:-1])
    assert not session.csrf_matches("")
    assert not session.csrf_matches(None)
    assert store.create("acme").session.csrf_token != session.csrf_token
