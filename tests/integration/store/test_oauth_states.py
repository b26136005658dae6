import secrets

import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.clock import to_epoch
from billit_sync.store.keys import sha256_hex
from billit_sync.store.oauth_states import OAuthStateExistsError, OAuthStateStore
from tests.integration.store.conftest import START, FakeClock

RETURN_URL = "https://www.out-smart.com/settings/integrations/billit"
BROWSER = "browser-nonce-of-the-user"


@pytest.fixture
def store(table: Table, clock: FakeClock) -> OAuthStateStore:
    return OAuthStateStore(table, clock)


def test_consumed_exactly_once(store: OAuthStateStore) -> None:
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL, browser_nonce=BROWSER)

    pending = store.consume(state, BROWSER)
    assert pending is not None
    assert pending.tenant_id == "acme"
    assert pending.return_url == RETURN_URL
    assert pending.created_at == START
    assert store.consume(state, BROWSER) is None


def test_unknown_and_malformed_states(store: OAuthStateStore) -> None:
    store.put(secrets.token_urlsafe(32), "acme", RETURN_URL, browser_nonce=BROWSER)
    assert store.consume(secrets.token_urlsafe(32), BROWSER) is None
    assert store.consume("", BROWSER) is None
    assert store.consume("x" * 10_000, BROWSER) is None


def test_expired_state_is_refused(store: OAuthStateStore, clock: FakeClock) -> None:
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL, ttl_seconds=600, browser_nonce=BROWSER)
    clock.advance(600)
    assert store.consume(state, BROWSER) is None


def test_only_a_hash_is_stored_with_a_ttl(store: OAuthStateStore, table: Table) -> None:
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL, browser_nonce=BROWSER)

    items = table.scan()["Items"]
    assert len(items) == 1
    assert items[0]["pk"] == f"OAUTH_STATE#{sha256_hex(state)}"
    assert state not in repr(items)
    assert items[0]["expires_at"] == to_epoch(START) + 600


def test_a_state_cannot_be_stored_twice(store: OAuthStateStore) -> None:
    store.put("same-state-value", "acme", RETURN_URL, browser_nonce=BROWSER)
    with pytest.raises(OAuthStateExistsError) as error:
        store.put("same-state-value", "other-co", RETURN_URL, browser_nonce=BROWSER)
    assert "same-state-value" not in str(error.value)
    pending = store.consume("same-state-value", BROWSER)
    assert pending is not None
    assert pending.tenant_id == "acme"


def test_a_state_is_consumed_only_by_the_browser_that_started_it(store: OAuthStateStore) -> None:
    """RFC 9700 §4.7: the hash of the cookie's nonce is stored with the state; a callback from
    another browser (no cookie, or another one) neither consumes nor spends the state."""
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL, browser_nonce=BROWSER)
    assert store.consume(state, "attackers-browser-nonce") is None
    assert store.consume(state, "") is None
    assert store.consume(state, BROWSER) is not None


def test_the_browser_nonce_is_stored_hashed(store: OAuthStateStore, table: Table) -> None:
    store.put(secrets.token_urlsafe(32), "acme", RETURN_URL, browser_nonce=BROWSER)
    item = table.scan()["Items"][0]
    assert item["browser"] == sha256_hex(BROWSER)
    assert BROWSER not in repr(item)
