"""OutSmartClient against the stateful fake (respx routes every request to ``fake.handle``)."""

from decimal import Decimal

import httpx
import pytest
import respx
from pydantic import SecretStr

from billit_sync.errors import ErrorKind, TransientError, UserFixableError
from billit_sync.http.retry import RetryPolicy
from billit_sync.outsmart import (
    DEFAULT_TIMEOUT,
    CategoryRecord,
    ContactPersonRecord,
    HourTypeRecord,
    MaterialCategoryRecord,
    MaterialRecord,
    OutSmartApiError,
    OutSmartAuthError,
    OutSmartClient,
    OutSmartDataError,
    OutSmartNotFoundError,
    OutSmartProtocolError,
    OutSmartServerError,
    OutSmartValidationError,
    RelationRecord,
    WorkStatus,
)
from billit_sync.outsmart.client import MissingRequiredFieldsError
from billit_sync.outsmart.errors import error_for_code
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.unit.outsmart.conftest import (
    BASE_URL,
    BEARER_TOKEN,
    MAX_ATTEMPTS,
    SOFTWARE_TOKEN,
    TENANT_TOKEN,
    MakeClient,
    RecordingSleep,
)


def relation(number: int | str) -> RelationRecord:
    return RelationRecord(
        name=f"Klant {number}",
        debtor_number=f"C-{number}",
        street="Kerkstraat",
        house_number="12",
        postal_code="2000",
        city="Antwerpen",
    )


# ---------------------------------------------------------------------------------------------
# Work orders
# ---------------------------------------------------------------------------------------------


def test_get_workorders_never_marks_anything_handled(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    first = tenant.add_workorder(
        CustomerDebtorNr="C-1001",
        Workperiods=[{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "001"}],
        Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": "3"}],
    )
    tenant.add_workorder(status="Klaargezet")
    handled = tenant.add_workorder(status="Afgehandeld")

    orders = client.get_workorders()

    assert [order.id for order in orders] == [first["id"]]
    order = orders[0]
    assert order.customer_name == "Peeters BV"  # filled from the relation
    assert order.invoice_debtor_number == "C-1001"
    assert order.workperiods[0].hours == Decimal("2.5")
    assert order.materials[0].price == Decimal("4.55")
    assert order.materials[0].total_price == Decimal("13.65")

    (call,) = fake.calls
    assert call.method == "GET"
    assert call.path == "/openapi/8/GetWorkorders/"
    assert call.query == {"status": "Compleet", "update_status": "false"}
    assert "test" not in call.query
    assert tenant.handled_log == []
    assert tenant.workorders[first["id"]]["status"] == "Compleet"
    assert tenant.workorders[handled["id"]]["status"] == "Afgehandeld"
    # Asking twice returns the same orders: nothing was consumed.
    assert [o.id for o in client.get_workorders()] == [first["id"]]


def test_the_fake_springs_the_update_status_trap(
    http: httpx.Client, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    """Without update_status=false OutSmart marks every fetched order handled."""
    order = tenant.add_workorder()
    response = http.get(
        f"{BASE_URL}/GetWorkorders/",
        params={"token": TENANT_TOKEN, "software_token": SOFTWARE_TOKEN, "status": "Compleet"},
    )
    assert response.json()["response"][0]["status"] == "Compleet"  # rendered before the update
    assert tenant.workorders[order["id"]]["status"] == "Afgehandeld"
    assert tenant.handled_log == [order["id"]]


def test_get_workorders_by_status_and_workstatus(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    waiting = tenant.add_workorder(WorkStatus="001")
    tenant.add_workorder(WorkStatus="002")
    ready = tenant.add_workorder(status="Klaargezet")

    assert [o.id for o in client.get_workorders(workstatus="001")] == [waiting["id"]]
    assert fake.calls[-1].query == {
        "status": "Compleet",
        "update_status": "false",
        "workstatus": "001",
    }
    assert [o.id for o in client.get_workorders("Klaargezet")] == [ready["id"]]
    assert len(client.get_workorders("Alle")) == 3
    assert all(call.query["update_status"] == "false" for call in fake.calls)
    assert tenant.handled_log == []


def test_get_workorders_rejects_unknown_status(client: OutSmartClient) -> None:
    with pytest.raises(ValueError, match="unknown work order status"):
        client.get_workorders("Complete")


def test_get_workorders_empty_list(client: OutSmartClient) -> None:
    assert client.get_workorders() == []


def test_get_workorders_null_list(
    scripted_client: OutSmartClient, scripted: respx.MockRouter
) -> None:
    scripted.get(f"{BASE_URL}/GetWorkorders/").respond(
        json={"code": 200, "messages": [], "response": None}
    )
    assert scripted_client.get_workorders() == []


def test_unreadable_workorder_raises_or_is_skipped(
    client: OutSmartClient, tenant: OutSmartTenant
) -> None:
    good = tenant.add_workorder()
    bad = tenant.add_workorder(WorkDate="31-02-2024")

    with pytest.raises(OutSmartDataError) as caught:
        client.get_workorders()
    assert caught.value.record_id == bad["id"]
    assert caught.value.kind is ErrorKind.USER_FIXABLE
    assert "WorkDate" in str(caught.value)
    assert "31-02-2024" in str(caught.value)

    skipped: list[OutSmartDataError] = []
    orders = client.get_workorders(on_invalid=skipped.append)
    assert [o.id for o in orders] == [good["id"]]
    assert [e.record_id for e in skipped] == [bad["id"]]


def test_get_workorder_reads_without_marking(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    order = tenant.add_workorder(WorkorderNo="WB-1042")

    assert client.get_workorder(order["id"]).workorder_no == "WB-1042"
    assert client.get_workorder_by_number("WB-1042").id == order["id"]

    assert fake.calls[0].query == {"row_id": order["id"], "update_status": "false"}
    assert fake.calls[1].query == {"workorder_no": "WB-1042", "update_status": "false"}
    assert tenant.workorders[order["id"]]["status"] == "Compleet"
    assert tenant.handled_log == []


def test_get_unknown_workorder(client: OutSmartClient, tenant: OutSmartTenant) -> None:
    with pytest.raises(OutSmartNotFoundError) as caught:
        client.get_workorder("999999")
    assert caught.value.code == 1500
    assert caught.value.messages == ["Workorder not found"]
    assert caught.value.endpoint == "GetWorkorder"
    assert isinstance(caught.value, UserFixableError)


def test_mark_workorder_handled(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    order = tenant.add_workorder()
    other = tenant.add_workorder()

    client.mark_workorder_handled(order["id"])

    assert fake.calls[-1].query == {"row_id": order["id"], "update_status": "true"}
    assert tenant.workorders[order["id"]]["status"] == "Afgehandeld"
    assert tenant.handled_log == [order["id"]]
    assert [o.id for o in client.get_workorders()] == [other["id"]]
    assert tenant.handled_log == [order["id"]]


def test_mark_unknown_workorder(client: OutSmartClient, tenant: OutSmartTenant) -> None:
    with pytest.raises(OutSmartNotFoundError):
        client.mark_workorder_handled("424242")
    assert tenant.handled_log == []


def test_set_workorder_status(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    tenant.add_workstatus("090", "Gefactureerd")
    order = tenant.add_workorder()

    assert client.set_workorder_status(order["id"], "090") is True
    assert fake.calls[-1].path == "/openapi/8/UpdateWorkorder/"
    assert fake.calls[-1].query == {"row_id": order["id"], "workstatus": "090"}
    assert tenant.workorders[order["id"]]["WorkStatus"] == "090"
    assert tenant.workorders[order["id"]]["status"] == "Compleet"

    # Setting it again: OutSmart answers 1503 "no data changed", which is success.
    assert client.set_workorder_status(order["id"], "090") is False
    assert fake.calls[-1].code == 1503

    with pytest.raises(OutSmartValidationError) as caught:
        client.set_workorder_status(order["id"], "999")
    assert caught.value.code == 1504
    with pytest.raises(OutSmartNotFoundError):
        client.set_workorder_status("31337", "090")


# ---------------------------------------------------------------------------------------------
# Master data
# ---------------------------------------------------------------------------------------------


def test_upsert_and_list_relations(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    tenant.relations.clear()
    assert client.upsert_relations([relation(1), relation(2)]) == 2
    updated = relation(1).model_copy(update={"city": "Gent", "vat_number": "BE0123456789"})
    assert client.upsert_relations([updated]) == 1

    assert sorted(tenant.relations) == ["C-1", "C-2"]  # upserted, not duplicated
    assert tenant.relations["C-1"]["city"] == "Gent"
    assert tenant.relations["C-1"]["vat_number"] == "BE0123456789"
    post = fake.calls_to("relations", "POST")[0]
    assert post.path == "/openapi/8/relations/"
    assert post.query == {}
    assert post.body[0] == relation(1).to_api()

    listed = {r.debtor_number: r for r in client.list_relations()}
    assert listed["C-1"].city == "Gent"
    assert listed["C-2"].name == "Klant 2"


def test_upsert_and_list_contact_persons(client: OutSmartClient, tenant: OutSmartTenant) -> None:
    records = [
        ContactPersonRecord(cpn_debtor_nr="C-1001", cpn_code="CP-1", cpn_name="Jan"),
        ContactPersonRecord(
            cpn_debtor_nr="C-1001", cpn_code="CP-2", cpn_name="An", cpn_email="an@x.example"
        ),
    ]
    assert client.upsert_contact_persons(records) == 2
    assert tenant.contact_persons["CP-2"]["cpn_email"] == "an@x.example"
    assert [c.cpn_code for c in client.list_contact_persons()] == ["CP-1", "CP-2"]


def test_upsert_and_list_materials(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    record = MaterialRecord(
        code="MAT-2", description="Bocht 22 mm", price=Decimal("12.5"), unit="st", vat_code="21"
    )
    assert client.upsert_materials([record]) == 1
    assert fake.calls[-1].body == [
        {
            "code": "MAT-2",
            "description": "Bocht 22 mm",
            "price": "12,50",
            "unit": "st",
            "vat_code": "21",
        }
    ]
    assert tenant.materials["MAT-2"]["price"] == "12,50"

    listed = {m.code: m for m in client.list_materials()}
    assert listed["MAT-00001"].price == Decimal("4.55")  # "4,55" in the reply
    assert listed["MAT-2"].price == Decimal("12.50")
    assert listed["MAT-2"].vat_code is None  # GET returns code, description, price, unit only


def test_upsert_and_list_categories_and_links(
    client: OutSmartClient, tenant: OutSmartTenant
) -> None:
    categories = [
        CategoryRecord(cat_code="001", cat_name="IJzerwaren"),
        CategoryRecord(
            cat_code="001-002", cat_name="Schroefjes", cat_display=False, cat_cat_code="001"
        ),
    ]
    assert client.upsert_categories(categories) == 2
    assert tenant.categories["001-002"]["cat_display"] == "0"
    listed = client.list_categories()
    assert [(c.cat_code, c.cat_display, c.cat_cat_code) for c in listed] == [
        ("001", True, None),
        ("001-002", False, "001"),
    ]

    links = [
        MaterialCategoryRecord(mct_mat_code="MAT-00001", mct_cat_code="001"),
        MaterialCategoryRecord(mct_mat_code="MAT-00001", mct_cat_code="001-002"),
    ]
    assert client.upsert_material_categories(links) == 2
    assert client.upsert_material_categories(links[:1]) == 1
    assert tenant.material_categories == {("MAT-00001", "001"), ("MAT-00001", "001-002")}
    assert client.list_material_categories() == links


def test_upsert_and_list_hour_types(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    record = HourTypeRecord(
        code="003",
        name="Weekenduren",
        sale_booking=True,
        sale_price=Decimal("82.5"),
        cost_price=Decimal(40),
        active=True,
    )
    assert client.upsert_hour_types([record]) == 1
    assert fake.calls[-1].path == "/openapi/8/hourtypes/"
    assert fake.calls[-1].body[0]["sale_price"] == "82.50"
    assert tenant.hour_types["003"]["sale_price"] == "82.50"

    listed = {h.code: h for h in client.list_hour_types()}
    assert listed["001"].sale_price == Decimal("50.00")
    assert listed["003"].sale_price == Decimal("82.50")
    assert listed["003"].sale_booking is True
    assert listed["003"].cost_booking is False


def test_upsert_and_list_workstatusses(client: OutSmartClient, tenant: OutSmartTenant) -> None:
    assert client.upsert_workstatusses([WorkStatus(sta_code="090", sta_name="Gefactureerd")]) == 1
    statuses = {s.sta_code: s.sta_name for s in client.list_workstatusses()}
    assert statuses["090"] == "Gefactureerd"
    assert statuses["001"] == "Wacht op klant"


def test_upsert_nothing_sends_nothing(client: OutSmartClient, fake: OutSmartFake) -> None:
    assert client.upsert_relations([]) == 0
    assert client.upsert_materials([]) == 0
    assert fake.calls == []


def test_upserts_go_in_batches(
    make_client: MakeClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    tenant.relations.clear()
    client = make_client(batch_size=200)

    assert client.upsert_relations([relation(n) for n in range(450)]) == 450

    posts = fake.calls_to("relations", "POST")
    assert [len(call.body) for call in posts] == [200, 200, 50]
    assert len(tenant.relations) == 450


def test_failed_batch_keeps_earlier_batches_and_says_so(
    make_client: MakeClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    tenant.relations.clear()
    client = make_client(batch_size=2)
    # An ISO country code is refused by the fake (it only knows names: outsmart-api.md §4.2).
    records = [relation(1), relation(2), relation(3).model_copy(update={"country": "BE"})]

    with pytest.raises(OutSmartValidationError) as caught:
        client.upsert_relations(records)

    assert caught.value.code == 1300
    assert caught.value.messages == ["Invalid value for country: BE"]
    assert caught.value.kind is ErrorKind.USER_FIXABLE
    assert "2 row(s) of earlier batches were synced" in caught.value.__notes__
    assert sorted(tenant.relations) == ["C-1", "C-2"]


@pytest.mark.parametrize(
    ("upsert", "record", "missing"),
    [
        (
            "upsert_materials",
            MaterialRecord(code="M", description="", price=Decimal(1), unit="st"),
            ("description",),
        ),
        ("upsert_categories", CategoryRecord(cat_code="C", cat_name=""), ("cat_name",)),
        ("upsert_hour_types", HourTypeRecord(code="H", name="", sale_price=Decimal(1)), ("name",)),
        (
            "upsert_material_categories",
            MaterialCategoryRecord(mct_mat_code="M", mct_cat_code=""),
            ("mct_cat_code",),
        ),
        ("upsert_workstatusses", WorkStatus(sta_code="X"), ("sta_name",)),
        (
            "upsert_relations",
            RelationRecord(name="A", debtor_number="C-1", street="S", postal_code="1"),
            ("city",),
        ),
    ],
)
def test_a_record_missing_a_required_field_is_never_posted(
    client: OutSmartClient, fake: OutSmartFake, upsert: str, record: object, missing: tuple[str]
) -> None:
    """OutSmart would refuse the whole batch (xx01, ``response: null``, desc:415-419)."""
    with pytest.raises(MissingRequiredFieldsError) as caught:
        getattr(client, upsert)([relation(1), record] if upsert == "upsert_relations" else [record])
    assert caught.value.missing == missing
    assert fake.calls == []


@pytest.mark.parametrize(
    ("upsert", "record", "code", "message"),
    [
        (
            "upsert_materials",
            MaterialRecord(code="M", description="d", price=Decimal(1), unit="st"),
            1201,
            "Required field missing: description",
        ),
        (
            "upsert_hour_types",
            HourTypeRecord(code="H", name="n", sale_price=Decimal(1)),
            1801,
            "Required field missing: name",
        ),
        (
            "upsert_material_categories",
            MaterialCategoryRecord(mct_mat_code="M", mct_cat_code="C"),
            2501,
            "Required field missing: mct_cat_code",
        ),
        ("upsert_workstatusses", WorkStatus(sta_code="X", sta_name="x"), 2801, "missing"),
        ("upsert_workstatusses", WorkStatus(sta_code="X", sta_name="x"), 2501, "missing"),
    ],
)
def test_refusal_codes_reach_the_caller(  # noqa: PLR0917 - pytest passes fixtures by name
    client: OutSmartClient,
    fake: OutSmartFake,
    upsert: str,
    record: object,
    code: int,
    message: str,
) -> None:
    """Whatever xx01 OutSmart answers (2501 for workstatusses too, desc:3645) is a validation
    error with OutSmart's own message."""
    fake.inject_error(code, message=message)
    with pytest.raises(OutSmartValidationError) as caught:
        getattr(client, upsert)([record])
    assert caught.value.code == code
    assert caught.value.messages == [message]
    assert caught.value.kind is ErrorKind.USER_FIXABLE


# ---------------------------------------------------------------------------------------------
# Requests: headers, tokens, timeouts
# ---------------------------------------------------------------------------------------------


def test_requests_carry_query_tokens_and_headers(
    client: OutSmartClient, router: respx.MockRouter, tenant: OutSmartTenant
) -> None:
    client.get_workorders()
    client.upsert_relations([relation(9)])

    get, post = (call.request for call in router.calls)
    assert str(get.url).startswith(
        f"{BASE_URL}/GetWorkorders/?token={TENANT_TOKEN}&software_token={SOFTWARE_TOKEN}&"
    )
    assert get.headers["Accept"] == "application/json"
    assert "Authorization" not in get.headers
    assert post.headers["Content-Type"] == "application/json"
    assert post.url.params["token"] == TENANT_TOKEN
    timeout = get.extensions["timeout"]
    assert timeout["read"] >= 60


def test_bearer_token_is_sent_in_addition_to_query_tokens(
    make_client: MakeClient, router: respx.MockRouter, tenant: OutSmartTenant
) -> None:
    client = make_client(bearer_token=SecretStr(BEARER_TOKEN))
    client.get_workorders()
    request = router.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {BEARER_TOKEN}"
    assert request.url.params["token"] == TENANT_TOKEN
    assert request.url.params["software_token"] == SOFTWARE_TOKEN


def test_base_url_trailing_slash_and_legacy_host(
    make_client: MakeClient, router: respx.MockRouter, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    router.route(host="www.werkbonapp.nl").mock(side_effect=fake.handle)
    make_client(base_url="https://www.werkbonapp.nl/openapi/8/").list_workstatusses()
    assert str(router.calls.last.request.url).startswith(
        "https://www.werkbonapp.nl/openapi/8/workstatusses/?token="
    )


def test_default_timeout_is_generous() -> None:
    assert DEFAULT_TIMEOUT.read is not None
    assert DEFAULT_TIMEOUT.read >= 60


def test_batch_size_must_be_positive(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        make_client(batch_size=0)


# ---------------------------------------------------------------------------------------------
# Envelope errors (HTTP 200)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "software_token", "code"),
    [
        ("", SOFTWARE_TOKEN, 1002),
        (TENANT_TOKEN, "", 1003),
        ("someone-elses-token", SOFTWARE_TOKEN, 1004),
        (TENANT_TOKEN, "wrong-software-token", 1005),
    ],
)
def test_auth_errors(
    make_client: MakeClient, tenant: OutSmartTenant, token: str, software_token: str, code: int
) -> None:
    client = make_client(token=SecretStr(token), software_token=SecretStr(software_token))
    with pytest.raises(OutSmartAuthError) as caught:
        client.get_workorders()
    assert caught.value.code == code
    assert caught.value.kind is ErrorKind.USER_FIXABLE
    assert isinstance(caught.value, UserFixableError)
    assert isinstance(caught.value, OutSmartApiError)


def test_tenants_are_isolated(
    make_client: MakeClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    other = fake.add_tenant("other-tenant-token", name="other")
    mine = tenant.add_workorder()
    theirs = other.add_workorder()
    assert [o.id for o in make_client().get_workorders()] == [mine["id"]]
    other_client = make_client(token=SecretStr("other-tenant-token"))
    assert [o.id for o in other_client.get_workorders()] == [theirs["id"]]
    assert fake.calls[-1].tenant == "other"


@pytest.mark.parametrize(
    ("code", "error_type", "kind"),
    [
        (1002, OutSmartAuthError, ErrorKind.USER_FIXABLE),
        (1005, OutSmartAuthError, ErrorKind.USER_FIXABLE),
        (1500, OutSmartNotFoundError, ErrorKind.USER_FIXABLE),
        (1501, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1504, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1008, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1009, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1100, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1201, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1300, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1801, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (2400, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (2501, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (2800, OutSmartValidationError, ErrorKind.USER_FIXABLE),
        (1007, OutSmartServerError, ErrorKind.TRANSIENT),
        (1001, OutSmartApiError, ErrorKind.TRANSIENT),
        (1600, OutSmartApiError, ErrorKind.TRANSIENT),
    ],
)
def test_error_for_code(code: int, error_type: type[OutSmartApiError], kind: ErrorKind) -> None:
    error = error_for_code(code, ["detail"], endpoint="relations")
    assert type(error) is error_type
    assert error.kind is kind
    assert error.code == code
    assert str(error) == f"OutSmart relations: code {code}: detail"


def test_envelope_errors_with_http_200_become_typed_errors(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    fake.inject_error(1300, endpoint="relations", message="Insert failed: duplicate name")
    with pytest.raises(OutSmartValidationError) as caught:
        client.upsert_relations([relation(1)])
    assert caught.value.code == 1300
    assert caught.value.messages == ["Insert failed: duplicate name"]

    fake.inject_error(1600, endpoint="materials", message="Delete failed")
    with pytest.raises(OutSmartApiError) as unknown:
        client.list_materials()
    assert type(unknown.value) is OutSmartApiError
    assert len(fake.calls_to("materials")) == 1  # a refusal is not retried


def test_1007_is_retried_then_succeeds(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, sleeps: RecordingSleep
) -> None:
    fake.inject_error(1007, endpoint="GetWorkorders", times=2)
    tenant.add_workorder()
    assert len(client.get_workorders()) == 1
    assert len(fake.calls_to("GetWorkorders")) == 3
    assert len(sleeps.delays) == 2


def test_persistent_1007_becomes_server_error(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    fake.inject_error(1007, times=-1)
    with pytest.raises(OutSmartServerError) as caught:
        client.list_hour_types()
    assert caught.value.code == 1007
    assert isinstance(caught.value, TransientError)
    assert len(fake.calls) == MAX_ATTEMPTS


def test_generic_retry_policy_gets_outsmart_judgement(
    make_client: MakeClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    """A plain RetryPolicy (429/5xx only) is given OutSmart's predicate: 1007 is retried."""
    client = make_client(retry=RetryPolicy(max_attempts=3, base_delay=0.0))
    fake.inject_error(1007, times=1)
    assert client.list_workstatusses()
    assert len(fake.calls) == 2


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": [], "response": []}',
        b'{"code": "OK", "messages": []}',
        b"[1, 2, 3]",
        b"<html>Maintenance</html>",
    ],
)
def test_replies_that_are_no_envelope_are_protocol_errors(
    scripted_client: OutSmartClient, scripted: respx.MockRouter, body: bytes
) -> None:
    route = scripted.get(f"{BASE_URL}/relations/").respond(200, content=body)
    with pytest.raises(OutSmartProtocolError):
        scripted_client.list_relations()
    assert route.call_count == MAX_ATTEMPTS


def test_list_reply_that_is_no_list(
    scripted_client: OutSmartClient, scripted: respx.MockRouter
) -> None:
    scripted.get(f"{BASE_URL}/materials/").respond(
        json={"code": 200, "messages": [], "response": {"code": "1"}}
    )
    with pytest.raises(OutSmartProtocolError, match="expected a list"):
        scripted_client.list_materials()


def test_unreadable_master_data_row(
    scripted_client: OutSmartClient, scripted: respx.MockRouter
) -> None:
    scripted.get(f"{BASE_URL}/materials/").respond(
        json={
            "code": 200,
            "messages": [],
            "response": [{"code": "1", "description": "x", "price": "gratis", "unit": "st"}],
        }
    )
    with pytest.raises(OutSmartDataError, match=r"materials\[0\]: price"):
        scripted_client.list_materials()


def test_upsert_count_tolerates_text_and_missing_counts(
    scripted_client: OutSmartClient, scripted: respx.MockRouter
) -> None:
    scripted.post(f"{BASE_URL}/relations/").mock(
        side_effect=[
            httpx.Response(200, json={"code": 200, "messages": [], "response": "2"}),
            httpx.Response(200, json={"code": 200, "messages": [], "response": None}),
        ]
    )
    assert scripted_client.upsert_relations([relation(1), relation(2)]) == 2
    assert scripted_client.upsert_relations([relation(1), relation(2), relation(3)]) == 3
