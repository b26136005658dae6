from typing import Any, cast

import pytest
from mypy_boto3_dynamodb.service_resource import Table

from billit_sync.errors import TransientError
from billit_sync.store.keys import InvalidKeyComponentError
from billit_sync.store.mappings import IdMapping, MappedEntity, MappingStore
from tests.integration.store.conftest import FakeClock, RecordingSleep

CUSTOMER = MappedEntity.CUSTOMER


@pytest.fixture
def store(table: Table, clock: FakeClock, sleep: RecordingSleep) -> MappingStore:
    return MappingStore(table, clock, sleep=sleep)


def customer(billit_id: str, outsmart_key: str, **attributes: str) -> IdMapping:
    return IdMapping(
        entity=CUSTOMER,
        billit_id=billit_id,
        outsmart_key=outsmart_key,
        content_hash=f"hash-{billit_id}",
        attributes=attributes,
    )


def test_both_directions(store: MappingStore) -> None:
    mapping = customer("501", "D-0042", vat="BE0123456789")
    assert store.put_many("acme", "1001", [mapping]) == 1

    assert store.get_by_billit_id("acme", "1001", CUSTOMER, "501") == mapping
    assert store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-0042") == mapping
    assert store.get_by_billit_id("acme", "1001", CUSTOMER, "502") is None
    assert store.get_by_outsmart_key("acme", "1001", MappedEntity.PRODUCT, "D-0042") is None


def test_a_thousand_mappings_in_batches(store: MappingStore) -> None:
    mappings = [customer(str(n), f"D-{n:05d}") for n in range(1000)]
    assert store.put_many("acme", "1001", mappings) == 1000

    listed = list(store.list("acme", "1001", CUSTOMER))
    assert len(listed) == 1000
    assert {m.billit_id for m in listed} == {str(n) for n in range(1000)}
    found = store.get_many_by_billit_ids(
        "acme", "1001", CUSTOMER, [str(n) for n in range(0, 1000, 3)] + ["missing"]
    )
    assert len(found) == 334
    assert found["999"].outsmart_key == "D-00999"
    reverse = store.get_many_by_outsmart_keys("acme", "1001", CUSTOMER, ["D-00007", "D-99999"])
    assert list(reverse) == ["D-00007"]
    assert reverse["D-00007"].billit_id == "7"


def test_changed_outsmart_key_removes_the_stale_reverse_entry(store: MappingStore) -> None:
    store.put_many("acme", "1001", [customer("501", "D-0042")])
    store.put_many("acme", "1001", [customer("501", "D-0043")])

    assert store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-0042") is None
    moved = store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-0043")
    assert moved is not None
    assert moved.billit_id == "501"
    assert [m.outsmart_key for m in store.list("acme", "1001", CUSTOMER)] == ["D-0043"]


def test_a_reverse_entry_taken_over_by_another_record_stays(store: MappingStore) -> None:
    store.put_many("acme", "1001", [customer("501", "D-0042")])
    store.put_many("acme", "1001", [customer("502", "D-0042")])  # OutSmart key reassigned
    store.put_many("acme", "1001", [customer("501", "D-0050")])  # 501 moves on

    taken = store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-0042")
    assert taken is not None
    assert taken.billit_id == "502"


def test_last_mapping_of_a_batch_wins(store: MappingStore) -> None:
    store.put_many("acme", "1001", [customer("501", "D-1"), customer("501", "D-2")])
    mapping = store.get_by_billit_id("acme", "1001", CUSTOMER, "501")
    assert mapping is not None
    assert mapping.outsmart_key == "D-2"
    assert store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-1") is None


def test_keyed_by_tenant_and_billit_company(store: MappingStore) -> None:
    store.put_many("acme", "1001", [customer("501", "D-0042")])

    assert store.get_by_billit_id("other-co", "1001", CUSTOMER, "501") is None
    assert store.get_by_outsmart_key("other-co", "1001", CUSTOMER, "D-0042") is None
    assert list(store.list("other-co", "1001", CUSTOMER)) == []
    assert store.get_many_by_billit_ids("other-co", "1001", CUSTOMER, ["501"]) == {}
    # Reconnected to another Billit company: the old company's mappings are invisible.
    assert store.get_by_billit_id("acme", "2002", CUSTOMER, "501") is None
    assert list(store.list("acme", "2002", CUSTOMER)) == []


def test_party_id_cannot_smuggle_a_separator(store: MappingStore) -> None:
    with pytest.raises(InvalidKeyComponentError):
        store.get_by_billit_id("acme", "1001#MAP#customer", CUSTOMER, "501")


class _FlakyBatchClient:
    """Processes only the first item of each of the first ``flaky_calls`` batch writes."""

    def __init__(self, real: Any, table_name: str, flaky_calls: int) -> None:
        self._real = real
        self._table_name = table_name
        self.flaky_calls = flaky_calls
        self.batch_write_calls = 0

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        self.batch_write_calls += 1
        requests = RequestItems[self._table_name]
        if self.batch_write_calls > self.flaky_calls or len(requests) == 1:
            return dict(self._real.batch_write_item(RequestItems=RequestItems))
        self._real.batch_write_item(RequestItems={self._table_name: requests[:1]})
        return {"UnprocessedItems": {self._table_name: requests[1:]}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _TableWithClient:
    def __init__(self, real: Table, client: _FlakyBatchClient) -> None:
        self._real = real
        self.name = real.name
        self.meta = type("Meta", (), {"client": client})()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_unprocessed_items_are_retried_with_backoff(
    table: Table, clock: FakeClock, sleep: RecordingSleep
) -> None:
    client = _FlakyBatchClient(table.meta.client, table.name, flaky_calls=3)
    store = MappingStore(cast(Table, _TableWithClient(table, client)), clock, sleep=sleep)

    store.put_many("acme", "1001", [customer(str(n), f"D-{n}") for n in range(20)])

    assert len(sleep.delays) == 3
    assert all(0 <= delay <= 2.0 for delay in sleep.delays)
    assert len(list(store.list("acme", "1001", CUSTOMER))) == 20
    assert store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-19") is not None


def test_persistently_unprocessed_items_become_transient(
    table: Table, clock: FakeClock, sleep: RecordingSleep
) -> None:
    client = _FlakyBatchClient(table.meta.client, table.name, flaky_calls=1000)
    store = MappingStore(cast(Table, _TableWithClient(table, client)), clock, sleep=sleep)

    with pytest.raises(TransientError, match="UnprocessedItems"):
        store.put_many("acme", "1001", [customer(str(n), f"D-{n}") for n in range(20)])
    assert len(sleep.delays) == 7  # eight attempts, a backoff between each


def count_calls(table: Table, operation: str) -> list[str]:
    """Record every ``operation`` request the table's client sends."""
    seen: list[str] = []
    table.meta.client.meta.events.register(
        f"before-call.dynamodb.{operation}", lambda **_: seen.append(operation)
    )
    return seen


def test_what_the_caller_read_is_not_read_again(store: MappingStore, table: Table) -> None:
    old = customer("501", "D-0042")
    store.put_many("acme", "1001", [old])
    reads = count_calls(table, "BatchGetItem")

    store.put_many("acme", "1001", [customer("501", "D-0043")], stored={(CUSTOMER, "501"): old})

    # One read: the stale reverse entry's current owner (it may have moved on); not the
    # mapping the caller already read.
    assert reads == ["BatchGetItem"]
    assert store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-0042") is None
    assert store.get_by_outsmart_key("acme", "1001", CUSTOMER, "D-0043") is not None

    reads.clear()
    store.put_many("acme", "1001", [customer("502", "D-0050")], stored={})  # known new
    assert reads == []


@pytest.mark.parametrize("entity", [MappedEntity.CONTACT_PERSON, MappedEntity.PRODUCT_GROUP])
def test_kinds_nothing_looks_up_by_outsmart_key_are_stored_one_way(
    store: MappingStore, entity: MappedEntity
) -> None:
    mapping = IdMapping(entity=entity, billit_id="501", outsmart_key="BILLIT-501")
    store.put_many("acme", "1001", [mapping])

    assert store.get_by_billit_id("acme", "1001", entity, "501") == mapping
    with pytest.raises(ValueError, match="not stored by OutSmart key"):
        store.get_by_outsmart_key("acme", "1001", entity, "BILLIT-501")
    with pytest.raises(ValueError, match="not stored by OutSmart key"):
        store.get_many_by_outsmart_keys_per_entity("acme", "1001", {entity: ["BILLIT-501"]})
    assert store.delete("acme", "1001", entity, "501") == mapping
    assert store.get_by_billit_id("acme", "1001", entity, "501") is None
