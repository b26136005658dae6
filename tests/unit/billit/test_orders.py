"""Orders: exact wire format, idempotent create, outcome-unknown handling, lookup, send."""

from datetime import date
from decimal import Decimal

import httpx
import pytest

from billit_sync.billit import (
    BillitClient,
    BillitConflictError,
    BillitNotFoundError,
    BillitOutcomeUnknownError,
    BillitProtocolError,
    BillitUnreadableResultError,
    BillitValidationError,
    NewOrder,
    NewOrderLine,
    OrderCustomer,
    TransportType,
    make_idempotency_key,
    validate_idempotency_key,
)
from billit_sync.errors import OutcomeUnknownError, UserFixableError
from tests.fakes.faults import FaultKind
from tests.unit.billit.conftest import Harness

ORDERS = "/v1/orders"
SEND = "/v1/orders/commands/send"
KEY = make_idempotency_key("create", "tenant-7", "WB-1042", "1")


def new_order(party_id: int, ref: str = "os-7-1919", vat: int = 21) -> NewOrder:
    return NewOrder(
        order_date=date(2024, 5, 14),
        expiry_date=date(2024, 6, 13),
        order_title="Werkbon WB-1042",
        external_provider_id=ref,
        customer=OrderCustomer(party_id=party_id, name="Peeters BV"),
        order_lines=[
            NewOrderLine(
                quantity=Decimal("2.5"),
                unit_price_excl=Decimal("55.00"),
                description="Arbeid monteur",
                reference="HT-001",
                vat_percentage=Decimal(vat),
            ),
            NewOrderLine(
                quantity=Decimal(3),
                unit_price_excl=Decimal("4.55"),
                description="Koppelstuk 15 mm",
                reference="MAT-00001",
                vat_percentage=Decimal(vat),
            ),
        ],
    )


@pytest.fixture
def customer_id(harness: Harness) -> int:
    party = harness.fake.add_party(harness.company_id, Name="Peeters BV", Email="jan@peeters.be")
    return int(party["PartyID"])


def posted(harness: Harness) -> list[httpx.Request]:
    return [
        call.request
        for call in harness.router.calls
        if call.request.method == "POST" and call.request.url.path == ORDERS
    ]


def test_create_order_returns_the_id_and_sends_exact_decimals(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    stored = harness.fake.order(harness.company_id, order_id)
    assert stored["ExternalProviderID"] == "os-7-1919"
    request = posted(harness)[0]
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Idempotent-Key"] == KEY  # both names (reference §6)
    assert request.headers["PartyID"] == str(harness.company_id)
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == new_order(customer_id).to_json()
    assert b'"Quantity":2.5,"UnitPriceExcl":55.00' in request.content
    assert b'"UnitPriceExcl":4.55' in request.content
    assert b"4.5499" not in request.content
    assert b"OrderNumber" not in request.content  # Billit numbers invoices itself


def test_get_order_reads_totals_as_decimals(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    order = client.orders.get_order(order_id)
    assert order.order_id == order_id
    assert order.order_number
    assert order.order_status == "ToSend"
    assert order.is_sent is False
    assert order.paid is False
    assert order.total_excl == Decimal("151.15")  # 2.5 * 55.00 + 3 * 4.55
    assert order.total_vat == Decimal("31.74")  # 151.15 x 21 %, per rate (billit-api.md §8)
    assert order.total_incl == Decimal("182.89")
    assert str(order.total_incl) == "182.89"
    assert order.external_provider_id == "os-7-1919"
    assert order.order_date == date(2024, 5, 14)
    assert order.customer is not None
    assert order.customer.party_id == customer_id
    assert order.order_lines is not None
    assert [line.total_excl for line in order.order_lines] == [Decimal("137.50"), Decimal("13.65")]
    assert order.order_lines[1].unit_price_excl == Decimal("4.55")
    with pytest.raises(BillitNotFoundError):
        client.orders.get_order(1)


def test_find_orders_by_external_reference(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    first = client.orders.create_order(new_order(customer_id, "os-7-1"), make_idempotency_key("1"))
    client.orders.create_order(new_order(customer_id, "os-7-2"), make_idempotency_key("2"))
    found = client.orders.find_orders_by_external_reference("os-7-1")
    assert [order.order_id for order in found] == [first]
    assert client.orders.find_orders_by_external_reference("os-7-3") == []
    assert client.orders.find_orders_by_external_reference("os-7-1' or OrderID ge 0 or 'a") == []
    query = harness.calls("GET", ORDERS)[-1].query
    assert query["$filter"] == "ExternalProviderID eq 'os-7-1'' or OrderID ge 0 or ''a'"


def test_idempotency_replay_is_a_conflict(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    client.orders.create_order(new_order(customer_id), KEY)
    with pytest.raises(BillitConflictError) as caught:
        client.orders.create_order(new_order(customer_id), KEY)
    assert caught.value.is_idempotency_replay
    assert caught.value.status_code == 409
    assert len(harness.fake.orders(harness.company_id)) == 1
    assert len(client.orders.find_orders_by_external_reference("os-7-1919")) == 1


def test_server_error_on_create_is_outcome_unknown_and_not_retried(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    harness.faults.add(FaultKind.SERVER_ERROR, method="POST", path=f"{ORDERS}$", times=-1)
    with pytest.raises(BillitOutcomeUnknownError) as caught:
        client.orders.create_order(new_order(customer_id), KEY)
    assert isinstance(caught.value, OutcomeUnknownError)
    assert caught.value.status_code == 500
    assert len(harness.calls("POST", ORDERS)) == 1
    assert harness.waits == []
    assert harness.fake.orders(harness.company_id) == []


def test_server_error_after_processing_then_lookup_finds_the_order(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    harness.faults.add(FaultKind.SERVER_ERROR_AFTER, method="POST", path=f"{ORDERS}$")
    with pytest.raises(OutcomeUnknownError):
        client.orders.create_order(new_order(customer_id), KEY)
    assert len(client.orders.find_orders_by_external_reference("os-7-1919")) == 1
    assert len(harness.fake.orders(harness.company_id)) == 1


def test_timeout_after_send_on_create_is_outcome_unknown_then_found(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    harness.faults.add(FaultKind.TIMEOUT_AFTER_SEND, method="POST", path=f"{ORDERS}$")
    with pytest.raises(OutcomeUnknownError):
        client.orders.create_order(new_order(customer_id), KEY)
    assert len(harness.calls("POST", ORDERS)) == 1
    found = client.orders.find_orders_by_external_reference("os-7-1919")
    assert len(found) == 1
    assert len(harness.fake.orders(harness.company_id)) == 1
    # Retrying with the same key is a replay, never a second invoice.
    with pytest.raises(BillitConflictError) as caught:
        client.orders.create_order(new_order(customer_id), KEY)
    assert caught.value.is_idempotency_replay
    assert len(harness.fake.orders(harness.company_id)) == 1


@pytest.mark.parametrize("kind", [FaultKind.TIMEOUT_BEFORE_SEND, FaultKind.CONNECT_ERROR])
def test_failures_before_sending_a_create_are_retried(
    harness: Harness, client: BillitClient, customer_id: int, kind: FaultKind
) -> None:
    harness.faults.add(kind, method="POST", path=f"{ORDERS}$")
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    assert [o["OrderID"] for o in harness.fake.orders(harness.company_id)] == [order_id]
    assert len(harness.calls("POST", ORDERS)) == 2
    assert len(harness.waits) == 1


def test_rate_limited_create_honours_retry_after(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    harness.faults.add(
        FaultKind.RATE_LIMIT, method="POST", path="/v1/orders", times=2, retry_after="1"
    )
    client.orders.create_order(new_order(customer_id), KEY)
    assert harness.waits == [1.0, 1.0]
    assert len(harness.calls("POST", ORDERS)) == 3
    assert len(harness.fake.orders(harness.company_id)) == 1


def test_unreadable_create_answer_is_outcome_unknown(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    harness.faults.add(FaultKind.MALFORMED_BODY, method="POST", path=f"{ORDERS}$")
    with pytest.raises(BillitUnreadableResultError) as caught:
        client.orders.create_order(new_order(customer_id), KEY)
    assert isinstance(caught.value, BillitProtocolError)
    assert isinstance(caught.value, OutcomeUnknownError)
    assert len(harness.fake.orders(harness.company_id)) == 1


def test_validation_errors_keep_billit_codes(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    with pytest.raises(BillitValidationError) as caught:
        client.orders.create_order(new_order(customer_id, vat=7), KEY)
    assert isinstance(caught.value, UserFixableError)
    assert caught.value.has_code("invalidvatpercentagefortaxcountry_0_")
    assert caught.value.codes[0].description
    assert harness.fake.orders(harness.company_id) == []


@pytest.mark.parametrize("key", ["", "create-order-1", "a b", "é", "x" * 101])
def test_idempotency_keys_must_be_alphanumeric(
    harness: Harness, client: BillitClient, customer_id: int, key: str
) -> None:
    with pytest.raises(ValueError, match="idempotency"):
        client.orders.create_order(new_order(customer_id), key)
    assert harness.calls("POST", ORDERS) == []


def test_make_idempotency_key_is_deterministic_and_valid() -> None:
    key = make_idempotency_key("create", "7", "WB-1042")
    assert key == make_idempotency_key("create", "7", "WB-1042")
    assert key != make_idempotency_key("create", "7-WB", "1042")
    assert validate_idempotency_key(key) == key


def test_send_orders(harness: Harness, client: BillitClient, customer_id: int) -> None:
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    send_key = make_idempotency_key("send", "tenant-7", "WB-1042", "1")
    client.orders.send_orders([order_id], TransportType.PEPPOL, send_key)
    request = next(call.request for call in harness.router.calls if call.request.url.path == SEND)
    assert (
        request.content
        == b'{"TransportType":"Peppol","OrderIDs":[' + str(order_id).encode() + b"]}"
    )
    assert request.headers["Idempotency-Key"] == send_key
    assert request.headers["Idempotent-Key"] == send_key
    assert "StrictTransportType" not in request.headers
    order = client.orders.get_order(order_id)
    assert order.is_sent is True
    with pytest.raises(BillitConflictError) as caught:
        client.orders.send_orders([order_id], TransportType.PEPPOL, send_key)
    assert caught.value.is_idempotency_replay


def test_send_orders_strict_transport_and_errors(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    harness.fake.set_peppol_registered("BE0999999999")  # the customer is not on Peppol
    with pytest.raises(BillitValidationError) as caught:
        client.orders.send_orders([order_id], TransportType.PEPPOL, strict_transport=True)
    assert caught.value.has_code("TheCustomerDoesNotSupportPeppolForType_0")
    request = harness.router.calls.last.request
    assert request.headers["StrictTransportType"] == "true"
    assert "Idempotency-Key" not in request.headers
    assert "Idempotent-Key" not in request.headers
    with pytest.raises(ValueError, match="no order"):
        client.orders.send_orders([], TransportType.PEPPOL)


def test_send_server_error_is_outcome_unknown(
    harness: Harness, client: BillitClient, customer_id: int
) -> None:
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    harness.faults.add(FaultKind.SERVER_ERROR_AFTER, method="POST", path=SEND)
    with pytest.raises(BillitOutcomeUnknownError):
        client.orders.send_orders([order_id], TransportType.SMTP)
    assert len(harness.calls("POST", SEND)) == 1
    assert client.orders.get_order(order_id).is_sent is True


def test_new_customer_without_party_id(harness: Harness, client: BillitClient) -> None:
    order = new_order(0).model_copy(
        update={
            "customer": OrderCustomer(
                name="Nieuwe Klant BV", vat_number="BE0555666777", email="info@nieuw.be"
            )
        }
    )
    order_id = client.orders.create_order(order, KEY)
    created = client.orders.get_order(order_id)
    assert created.customer is not None
    assert created.customer.name == "Nieuwe Klant BV"
    assert created.customer.party_id is not None


@pytest.mark.parametrize("honoured", ["Idempotency-Key", "Idempotent-Key"])
def test_a_repeated_create_and_send_are_replays_whichever_header_billit_reads(
    harness: Harness, client: BillitClient, customer_id: int, honoured: str
) -> None:
    # billit-api.md §6: which of the two names Billit reads is unknown; the fake reads one.
    harness.fake.idempotency_header = honoured
    order_id = client.orders.create_order(new_order(customer_id), KEY)
    with pytest.raises(BillitConflictError) as create_replay:
        client.orders.create_order(new_order(customer_id), KEY)
    assert create_replay.value.is_idempotency_replay
    assert len(harness.fake.orders(harness.company_id)) == 1

    send_key = make_idempotency_key("send", KEY)
    client.orders.send_orders([order_id], TransportType.PEPPOL, send_key)
    with pytest.raises(BillitConflictError) as send_replay:
        client.orders.send_orders([order_id], TransportType.PEPPOL, send_key)
    assert send_replay.value.is_idempotency_replay
