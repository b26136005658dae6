"""The OutSmart fake itself: the API's behaviour the client tests rely on."""

import json
from typing import Any

import httpx
import pytest

from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.unit.outsmart.conftest import BASE_URL, SOFTWARE_TOKEN, TENANT_TOKEN

AUTH = {"token": TENANT_TOKEN, "software_token": SOFTWARE_TOKEN}


def call(
    fake: OutSmartFake,
    endpoint: str,
    params: dict[str, str] | None = None,
    *,
    method: str = "GET",
    content: bytes | None = None,
    auth: dict[str, str] | None = None,
) -> dict[str, Any]:
    query = (AUTH if auth is None else auth) | (params or {})
    request = httpx.Request(method, f"{BASE_URL}/{endpoint}", params=query, content=content)
    response = fake.handle(request)
    assert response.status_code == 200  # OutSmart answers 200 even on failure
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "messages", "response"}
    return body


def test_auth_codes(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    assert call(fake, "relations/", auth={})["code"] == 1002
    assert call(fake, "relations/", auth={"token": TENANT_TOKEN})["code"] == 1003
    assert (
        call(fake, "relations/", auth={"token": "x", "software_token": SOFTWARE_TOKEN})["code"]
        == 1004
    )
    assert (
        call(fake, "relations/", auth={"token": TENANT_TOKEN, "software_token": "y"})["code"]
        == 1005
    )
    assert call(fake, "relations/")["code"] == 200


def test_endpoints(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    assert call(fake, "")["code"] == 1000
    assert call(fake, "GetInvoices/")["code"] == 1001
    assert call(fake, "UpdateWorkorder/", method="POST", content=b"[]")["code"] == 1001
    assert call(fake, "employees/")["response"][0]["number"] == "12"
    # With or without the trailing slash, under any base path.
    assert call(fake, "hourtypes")["code"] == 200
    request = httpx.Request("GET", "http://127.0.0.1:1/hourtypes/", params=AUTH)
    assert fake.handle(request).json()["code"] == 200


def test_recorded_calls_hide_tokens(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    call(fake, "GetWorkorders/", {"status": "Compleet", "update_status": "false"})
    (recorded,) = fake.calls
    assert recorded.query == {"status": "Compleet", "update_status": "false"}
    assert recorded.tenant == "acme"
    assert recorded.code == 200
    assert TENANT_TOKEN not in repr(recorded)


def test_get_workorders_status_is_required_and_checked(
    fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    assert call(fake, "GetWorkorders/", {"update_status": "false"})["code"] == 1501
    assert (
        call(fake, "GetWorkorders/", {"status": "Done", "update_status": "false"})["code"] == 1501
    )


@pytest.mark.parametrize(
    ("value", "handled"),
    [(None, True), ("true", True), ("1", True), ("false", False), ("0", False)],
)
def test_update_status_defaults_to_true(
    fake: OutSmartFake, tenant: OutSmartTenant, value: str | None, handled: bool
) -> None:
    order = tenant.add_workorder()
    params = {"status": "Compleet"} | ({} if value is None else {"update_status": value})
    body = call(fake, "GetWorkorders/", params)
    assert [o["id"] for o in body["response"]] == [order["id"]]
    assert (tenant.workorders[order["id"]]["status"] == "Afgehandeld") is handled
    assert tenant.handled_log == ([order["id"]] if handled else [])


def test_get_workorder_default_marks_and_logs_every_time(
    fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    order = tenant.add_workorder(WorkorderNo="WB-1")
    assert call(fake, "GetWorkorder/", {"workorder_no": "WB-1"})["response"]["id"] == order["id"]
    call(fake, "GetWorkorder/", {"row_id": order["id"]})
    assert tenant.handled_log == [order["id"], order["id"]]  # double marking is visible
    assert call(fake, "GetWorkorder/")["code"] == 1501
    assert call(fake, "GetWorkorder/", {"row_id": "1"})["code"] == 1500


def test_workorder_shape(tenant: OutSmartTenant) -> None:
    order = tenant.add_workorder(
        CustomerDebtorNr="C-1001",
        CustomerDebtorNrInvoice="C-2002",
        WorkDate="13-05-2024",
        Workperiods=[{"BeginTime": "08:00", "EndTime": "12:15", "Break": "30"}],
        Materials=[
            {"MaterialCode": "MAT-00001", "MaterialNr": "3"},
            {"MaterialCode": "X", "MaterialName": "Los", "MaterialPrice": "2.5", "MaterialNr": 2},
        ],
    )
    assert order["status"] == "Compleet"
    assert order["WorkFinished"] == "1"
    assert order["CustomerName"] == "Peeters BV"
    assert order["CustomerNameInvoice"] == "Peeters BV"
    assert order["CustomerDebtorNrInvoice"] == "C-2002"
    # desc:2503: OutSmart's example PdfUrl is http://www.werkbonapp.nl/mailpdf.php?...
    assert order["PdfUrl"].startswith("http://www.werkbonapp.nl/mailpdf.php?action=display")
    assert order["Workperiods"] == [
        {
            "WorkDate": "13-05-2024",
            "BeginTime": "08:00",
            "EndTime": "12:15",
            "Break": "30",
            "Travel": "0",
            "WorkRemark": "",
            "HourType": "001",
            "EmployeeNr": "12",
            "TotalTime": "03:45",
        }
    ]
    first, second = order["Materials"]
    assert (first["MaterialName"], first["MaterialPrice"], first["MaterialTotalPrice"]) == (
        "Koppelstuk 15 mm",
        "4,55",
        "13,65",
    )
    assert (second["MaterialPrice"], second["MaterialNr"], second["MaterialTotalPrice"]) == (
        "2,50",
        "2",
        "5,00",
    )
    assert all(
        isinstance(v, str)
        for k, v in order.items()
        if k
        not in {
            "Workperiods",
            "Materials",
            "Photos",
            "Documents",
            "Forms",
            "Employees",
            "WorkObjects",
        }
    )
    assert tenant.add_workorder()["id"] == str(int(order["id"]) + 1)


def test_update_workorder_codes(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    order = tenant.add_workorder()
    row = {"row_id": order["id"]}
    assert call(fake, "UpdateWorkorder/", {"row_id": "1"} | {"workstatus": "001"})["code"] == 1500
    assert call(fake, "UpdateWorkorder/", row)["code"] == 1502
    assert call(fake, "UpdateWorkorder/", row | {"workdate": "2024-05-13"})["code"] == 1504
    assert call(fake, "UpdateWorkorder/", row | {"worktime": "25:00"})["code"] == 1504
    assert call(fake, "UpdateWorkorder/", row | {"employee_nr": "99"})["code"] == 1504
    assert call(fake, "UpdateWorkorder/", row | {"workstatus": "404"})["code"] == 1504
    changes = {
        "workdate": "14-05-2024",
        "worktime": "09:30",
        "employee_nr": "12",
        "workstatus": "002",
    }
    assert call(fake, "UpdateWorkorder/", row | changes) == {
        "code": 200,
        "messages": [],
        "response": None,
    }
    assert (order["WorkDate"], order["WorkTime"], order["WorkStatus"]) == (
        "14-05-2024",
        "09:30",
        "002",
    )
    assert call(fake, "UpdateWorkorder/", row | changes)["code"] == 1503


def test_upsert_body_errors(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    assert call(fake, "relations/", method="POST", content=b"")["code"] == 1008
    assert call(fake, "relations/", method="POST", content=b"[]")["code"] == 1008
    assert call(fake, "relations/", method="POST", content=b"[{")["code"] == 1009
    assert call(fake, "relations/", method="POST", content=b'{"name": "x"}')["code"] == 1009


def test_upsert_validation_is_all_or_nothing(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    tenant.materials.clear()
    body = json.dumps(
        [
            {"code": "A", "description": "a", "price": "1,5", "unit": "st"},
            {"code": "B", "description": "b", "price": "veel", "unit": "st"},
        ]
    ).encode()
    answer = call(fake, "materials/", method="POST", content=body)
    assert answer == {"code": 1200, "messages": ["Invalid value for price: veel"], "response": None}
    assert tenant.materials == {}


def test_upsert_normalises_decimals_per_entity(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    material = [{"code": "A", "description": "a", "price": "4,5", "unit": "st"}]
    hour_type = {"code": "H", "name": "h", "cost_booking": "0", "sale_booking": "0"}
    call(fake, "materials/", method="POST", content=json.dumps(material).encode())
    body = json.dumps([hour_type | {"sale_price": "45.5"}]).encode()
    call(fake, "hourtypes/", method="POST", content=body)
    assert tenant.materials["A"]["price"] == "4,50"  # desc:465
    assert tenant.hour_types["H"]["sale_price"] == "45.50"  # desc:1120


def test_lists_and_filters(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    rows = json.dumps(
        [
            {"cpn_debtor_nr": "C-1001", "cpn_code": "1", "cpn_name": "Jan"},
            {"cpn_debtor_nr": "C-2", "cpn_code": "2", "cpn_name": "An"},
        ]
    ).encode()
    assert call(fake, "contactpersons/", method="POST", content=rows)["response"] == 2
    filtered = call(fake, "contactperson/", {"key": "cpn_debtor_nr", "value": "C-1001"})
    assert [c["cpn_code"] for c in filtered["response"]] == ["1"]
    cats = json.dumps(
        [
            {"cat_code": "1", "cat_name": "A", "cat_display": "1"},
            {"cat_code": "2", "cat_name": "B", "cat_display": "0", "cat_cat_code": "1"},
        ]
    ).encode()
    call(fake, "categories/", method="POST", content=cats)
    assert call(fake, "category/", {"key": "cat_code", "value": "2"})["response"] == [
        {"cat_code": "2", "cat_name": "B", "cat_display": "0", "cat_cat_code": "1"}
    ]
    relations = call(fake, "relations/")["response"]
    assert relations[0]["debtor_number"] == "C-1001"
    assert "vat_number" not in relations[0]  # GET returns the documented fields


def test_injected_errors_are_counted(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    fake.inject_error(1007, endpoint="materials", times=1)
    assert call(fake, "relations/")["code"] == 200
    assert call(fake, "materials/")["code"] == 1007
    assert call(fake, "materials/")["code"] == 200
