import secrets

import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.store.clock import to_epoch
from billit_sync.store.keys import sha256_hex
from billit_sync.store.oauth_states import OAuthStateExistsError, OAuthStateStore
from tests.integration.store.conftest import START, FakeClock

RETURN_URL = "https://www.out-smart.com/settings/integrations/billit"


@pytest.fixture
def store(table: Table, clock: FakeClock) -> OAuthStateStore:
    return OAuthStateStore(table, clock)


def test_consumed_exactly_once(store: OAuthStateStore) -> None:
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL)

    pending = store.consume(state)
    assert pending is not None
    assert pending.tenant_id == "acme"
    assert pending.return_url == RETURN_URL
    assert pending.created_at == START
    assert store.consume(state) is None


def test_unknown_and_malformed_states(store: OAuthStateStore) -> None:
    store.put(secrets.token_urlsafe(32), "acme", RETURN_URL)
    assert store.consume(secrets.token_urlsafe(32)) is None
    assert store.consume("") is None
    assert store.consume("x" * 10_000) is None


def test_expired_state_is_refused(store: OAuthStateStore, clock: FakeClock) -> None:
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL, ttl_seconds=600)
    clock.advance(600)
    assert store.consume(state) is None


def test_only_a_hash_is_stored_with_a_ttl(store: OAuthStateStore, table: Table) -> None:
    state = secrets.token_urlsafe(32)
    store.put(state, "acme", RETURN_URL)

    items = table.scan()["Items"]
    assert len(items) == 1
    assert items[0]["pk"] == f"OAUTH_STATE#{sha256_hex(state)}"
    assert state not in repr(items)
    assert items[0]["expires_at"] == to_epoch(START) + 600


def test_a_state_cannot_be_stored_twice(store: OAuthStateStore) -> None:
    store.put("same-state-value", "acme", RETURN_URL)
    with pytest.raises(OAuthStateExistsError) as error:
        store.put("same-state-value", "other-co", RETURN_URL)
    assert "same-state-value" not in str(error.value)
    pending = store.consume("same-state-value")
    assert pending is not None
    assert pending.tenant_id == "acme"
