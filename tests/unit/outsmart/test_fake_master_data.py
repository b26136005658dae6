"""The OutSmart fake refuses what OutSmart's spec does not define for master data (issue 17).

Each case cites the Blueprint line (``desc:N``) or the reference section it follows; a wrong
upload body must fail here, or no import test could tell.
"""

import json
from typing import Any

import pytest

from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.unit.outsmart.conftest import SOFTWARE_TOKEN, TENANT_TOKEN
from tests.unit.outsmart.test_fake import call

RELATION = {
    "name": "Naam B.V.",
    "debtor_number": "14233Aaa",
    "street": "Beatrixlaan",
    "postal_code": "1234AB",
    "city": "Utrecht",
}
MATERIAL = {"code": "00001", "description": "Omschrijving 1", "price": "4,55", "unit": "M2"}
HOURTYPE = {
    "code": "001",
    "name": "Normale uren",
    "cost_booking": "0",
    "sale_booking": "0",
    "sale_price": "50.00",
}
CATEGORY = {"cat_code": "001", "cat_name": "Ijzerwaren", "cat_display": "1"}
LINK = {"mct_mat_code": "001", "mct_cat_code": "7"}
CONTACT = {"cpn_debtor_nr": "82", "cpn_code": "1", "cpn_name": "Hans"}
STATUS = {"sta_code": "001", "sta_name": "Wacht op klant"}

GOOD: dict[str, dict[str, Any]] = {
    "relations": RELATION,
    "materials": MATERIAL,
    "hourtypes": HOURTYPE,
    "categories": CATEGORY,
    "material_categories": LINK,
    "contactpersons": CONTACT,
    "workstatusses": STATUS,
}


def post(fake: OutSmartFake, entity: str, *rows: dict[str, Any]) -> dict[str, Any]:
    return call(fake, f"{entity}/", method="POST", content=json.dumps(list(rows)).encode())


@pytest.mark.parametrize("entity", list(GOOD))
def test_the_spec_examples_are_accepted(
    fake: OutSmartFake, tenant: OutSmartTenant, entity: str
) -> None:
    assert post(fake, entity, GOOD[entity]) == {"code": 200, "messages": [], "response": 1}


@pytest.mark.parametrize(
    ("entity", "code"),
    [
        ("relations", 1300),
        ("materials", 1200),
        ("categories", 2400),
        ("material_categories", 2500),
        ("hourtypes", 1801),  # desc:188: every hour type refusal is 1801
        ("workstatusses", 2800),
    ],
)
def test_an_unknown_field_is_refused(
    fake: OutSmartFake, tenant: OutSmartTenant, entity: str, code: int
) -> None:
    """⚠ Unknown keys are undocumented (outsmart-api.md §4.2): the safest reading refuses."""
    answer = post(fake, entity, GOOD[entity] | {"external_id": "884211"})
    assert answer == {
        "code": code,
        "messages": ["Unknown field(s): external_id"],
        "response": None,
    }


def test_fields_of_spec_json_schema_are_known(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    """spec.json's relation schema adds ``mobile``, ``country``, ``vat_number``, ``active``…;
    its materials example ``note`` and ``vat_code``."""
    extra = {"mobile": "0470", "country": "België", "vat_number": "BE0411905847", "active": 1}
    assert post(fake, "relations", RELATION | extra)["code"] == 200
    assert post(fake, "materials", MATERIAL | {"note": "n", "vat_code": "21"})["code"] == 200


REQUIRED = {
    # entity: (required fields from the prose table, the xx01 answered)
    "relations": (("name", "debtor_number", "street", "postal_code", "city"), 1301),  # desc:803-812
    "materials": (("code", "description", "price", "unit"), 1201),  # desc:370-373
    "categories": (("cat_code", "cat_name", "cat_display"), 2401),  # desc:477-481
    "material_categories": (("mct_mat_code", "mct_cat_code"), 2501),  # desc:683-684, 733
    "hourtypes": (("code", "name", "cost_booking", "sale_booking", "sale_price"), 1801),
    "contactpersons": (("cpn_debtor_nr", "cpn_code", "cpn_name"), 1301),  # ⚠ relation's code
}


@pytest.mark.parametrize(
    ("entity", "field", "code"),
    [(entity, name, code) for entity, (names, code) in REQUIRED.items() for name in names],
)
def test_a_missing_required_field_refuses_the_whole_batch(
    fake: OutSmartFake, tenant: OutSmartTenant, entity: str, field: str, code: int
) -> None:
    """One bad row → ``xx01``, ``response: null`` (desc:404-420); the good row is not kept."""
    good = GOOD[entity]
    bad = {key: value for key, value in good.items() if key != field}
    before = len(call(fake, f"{entity}/")["response"])
    answer = post(fake, entity, good, bad)
    assert answer == {
        "code": code,
        "messages": [f"Required field missing: {field}"],
        "response": None,
    }
    assert post(fake, entity, good | {field: "  "})["code"] == code  # blank counts as missing
    assert len(call(fake, f"{entity}/")["response"]) == before


@pytest.mark.parametrize("code", [2801, 2501])
def test_workstatusses_missing_field_code_either_form(code: int) -> None:
    """The code table says 2801 (desc:208), the example answers 2501 (desc:3645)."""
    fake = OutSmartFake(software_token=SOFTWARE_TOKEN, workstatus_missing_code=code)
    fake.add_tenant(TENANT_TOKEN)
    assert post(fake, "workstatusses", {"sta_code": "X"})["code"] == code


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"active": "1"}, True),
        ({"active": "0"}, True),
        ({"active": "2"}, False),  # "active is not 1 or 0" (desc:188)
        ({"active": "ja"}, False),
        ({"sale_booking": "2"}, False),  # "Integer (1 or 0)" (desc:1029)
        ({"cost_booking": "true"}, False),
        ({"sale_price": "50,00"}, False),  # a dot, as every example (desc:1045)
        ({"sale_price": "veel"}, False),  # "price cannot be parsed" (desc:188)
        ({"sale_price": "-5.00"}, False),  # "Decimal (> 0)" (desc:1030)
        ({"sale_price": "0.00"}, False),
        ({"cost_price": "25.00"}, True),
        ({"cost_price": "0.00"}, False),  # "Decimal (> 0)" (desc:1031)
        ({"sale_price": 50}, False),  # spec.json types every hour type field "string"
    ],
)
def test_hour_type_values_are_refused_with_1801(
    fake: OutSmartFake, tenant: OutSmartTenant, changes: dict[str, Any], accepted: bool
) -> None:
    answer = post(fake, "hourtypes", HOURTYPE | changes)
    assert answer["code"] == (200 if accepted else 1801), answer
    assert (answer["response"] is None) is not accepted


@pytest.mark.parametrize("accepted", [False, True])
def test_a_zero_hour_type_price_either_reading(accepted: bool) -> None:
    """ "Decimal (> 0)" (desc:1030) against the example that posts "Ziekte" at "0.00"
    (desc:1045): the fake plays both, the import never sends 0."""
    fake = OutSmartFake(software_token=SOFTWARE_TOKEN, hourtype_zero_price_accepted=accepted)
    fake.add_tenant(TENANT_TOKEN)
    answer = post(fake, "hourtypes", HOURTYPE | {"sale_price": "0.00"})
    assert answer["code"] == (200 if accepted else 1801)


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"price": "4,55"}, True),  # desc:392
        ({"price": "12"}, True),
        ({"price": "-2,50"}, True),  # a discount product
        ({"price": "4.55"}, False),  # ⚠ a dot where every example writes a comma
        ({"price": "1.234,50"}, False),
        ({"price": 4.55}, False),  # spec.json types price "string"
    ],
)
def test_material_prices_as_the_examples_write_them(
    fake: OutSmartFake, tenant: OutSmartTenant, changes: dict[str, Any], accepted: bool
) -> None:
    assert post(fake, "materials", MATERIAL | changes)["code"] == (200 if accepted else 1200)


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"country": "Nederland"}, True),  # spec.json's relation example
        ({"country": "België"}, True),
        ({"country": "BE"}, False),  # ⚠ names, never ISO codes (outsmart-api.md §4.2)
        ({"active": 1}, True),  # spec.json: "active": {"type": "integer"}, example 1
        ({"active": 0}, True),
        ({"active": "1"}, False),
        ({"active": 2}, False),
        ({"latitude": None}, True),  # null appears in the GET example (desc:904)
    ],
)
def test_relation_values(
    fake: OutSmartFake, tenant: OutSmartTenant, changes: dict[str, Any], accepted: bool
) -> None:
    assert post(fake, "relations", RELATION | changes)["code"] == (200 if accepted else 1300)


def test_cat_display_is_one_or_zero(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    assert post(fake, "categories", CATEGORY | {"cat_display": "0"})["code"] == 200
    assert post(fake, "categories", CATEGORY | {"cat_display": "yes"})["code"] == 2400


# ---------------------------------------------------------------------------------------------
# DeleteEntity (desc:2680-2794, outsmart-api.md §4.3)
# ---------------------------------------------------------------------------------------------


def delete(fake: OutSmartFake, **params: str) -> dict[str, Any]:
    return call(fake, "DeleteEntity/", params)


def test_delete_a_material_category_link_by_material(
    fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    tenant.material_categories |= {("M1", "BILLIT-3"), ("M1", "EIGEN"), ("M2", "BILLIT-3")}
    answer = delete(
        fake, delete_all="false", entity="material_category", key="mct_mat_code", value="M1"
    )
    assert answer == {"code": 200, "messages": [], "response": 2}  # affected rows (desc:2719)
    assert tenant.material_categories == {("M2", "BILLIT-3")}


def test_delete_refusals(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    assert delete(fake, delete_all="false", entity="materials", key="code", value="x") == {
        "code": 1600,
        "messages": ["Entity: materials not found"],  # desc:2748-2750
        "response": None,
    }
    wrong_key = delete(fake, delete_all="false", entity="material", key="codes", value="x")
    assert wrong_key["messages"] == ["Key: codes not allowed for entity: material"]  # desc:2765
    no_all = delete(fake, delete_all="true", entity="workorder", key="db_row", value="1")
    assert no_all["messages"] == ["Delete all not allowed on Workorder entity"]  # desc:2779
    assert delete(fake, entity="relation", key="debtor_number", value="C-1001")["code"] == 1600
    array = call(
        fake,
        "DeleteEntity/",
        {"delete_all": "false", "entity": "material_category", "key[]": "mct_mat_code"},
    )
    assert array["code"] == 1600  # ⚠ the array form is for object_part only (desc:2714)
    assert "C-1001" in tenant.relations


def test_delete_all_really_removes_every_row(fake: OutSmartFake, tenant: OutSmartTenant) -> None:
    """Why the client never sends ``delete_all=true``: the relation example answers 60 rows
    (desc:2784-2793), whatever the key."""
    tenant.relations["C-2"] = dict(tenant.relations["C-1001"], debtor_number="C-2")
    answer = delete(fake, delete_all="true", entity="relation", key="debtor_number", value="C-2")
    assert answer["response"] == 2
    assert tenant.relations == {}
