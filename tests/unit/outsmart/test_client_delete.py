"""``OutSmartClient.delete_entity``: the one DeleteEntity call the import makes (issue 17)."""

import pytest

from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartApiError
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant


def test_a_material_category_link_is_deleted_by_material_never_all(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    tenant.material_categories |= {("M1", "BILLIT-3"), ("M2", "BILLIT-3")}
    assert client.delete_entity("material_category", "mct_mat_code", "M1") == 1
    (call,) = fake.calls_to("DeleteEntity")
    assert call.query == {  # delete_all=true would remove every row (outsmart-api.md §4.3)
        "delete_all": "false",
        "entity": "material_category",
        "key": "mct_mat_code",
        "value": "M1",
    }
    assert tenant.material_categories == {("M2", "BILLIT-3")}


@pytest.mark.parametrize(
    ("entity", "key"),
    [
        ("relation", "debtor_number"),  # work orders name relations: deactivate instead
        ("material", "code"),  # work orders use materials: report instead
        ("hourtype", "code"),
        ("material_category", "mct_cat_code"),  # would hit every material of the group
        ("workorder", "db_row"),
    ],
)
def test_deleting_what_work_orders_use_is_refused_before_any_call(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant, entity: str, key: str
) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        client.delete_entity(entity, key, "x")
    assert fake.calls == []
    assert "C-1001" in tenant.relations


def test_a_refused_delete_is_an_error_with_outsmarts_code(
    client: OutSmartClient, fake: OutSmartFake, tenant: OutSmartTenant
) -> None:
    fake.inject_error(1600, endpoint="DeleteEntity", message="Delete of an entity failed.")
    with pytest.raises(OutSmartApiError) as caught:
        client.delete_entity("material_category", "mct_mat_code", "M1")
    assert caught.value.code == 1600
