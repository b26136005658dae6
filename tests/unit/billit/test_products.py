"""Products: exact decimals, incremental import, derived groups."""

from decimal import Decimal

from billit_sync.billit import BillitClient, Product, product_groups
from tests.unit.billit.conftest import Harness

DAY = 86_400


def test_products_keep_exact_decimals(harness: Harness, client: BillitClient) -> None:
    seeded = harness.fake.add_product(
        harness.company_id,
        Reference="MAT-00001",
        Description="Koppelstuk 15 mm",
        AmountExcl=Decimal("4.55"),
        AmountIncl=Decimal("5.5055"),
        VAT=Decimal(21),
        Unit="PCE",
        GroupID=3,
        GroupName="Fittings",
        BuyExcl=Decimal("137.50"),
    )
    product = client.products.get_product(seeded["ProductID"])
    assert product.amount_excl == Decimal("4.55")
    assert str(product.amount_incl) == "5.5055"
    assert str(product.buy_excl) == "137.50"
    assert product.vat == Decimal(21)
    assert isinstance(product.amount_excl, Decimal)
    assert (product.group_id, product.group_name, product.unit) == (3, "Fittings", "PCE")
    listed = list(client.products.iter_products())
    assert listed == [product]


def test_product_json_numbers_never_pass_through_float() -> None:
    product = Product.model_validate({"ProductID": 1, "AmountExcl": Decimal("0.1")})
    assert product.amount_excl == Decimal("0.1")


def test_iter_products_is_incremental(harness: Harness, client: BillitClient) -> None:
    harness.fake.add_product(harness.company_id, Reference="OLD", Description="old")
    harness.clock.advance(2 * DAY)
    since = harness.clock.utc()
    harness.fake.add_product(harness.company_id, Reference="NEW", Description="new")
    assert [p.reference for p in client.products.iter_products(modified_since=since)] == ["NEW"]
    query = harness.calls("GET", "/v1/products")[-1].query
    assert query["$filter"] == f"LastModified ge DateTime'{since.date().isoformat()}'"
    assert query["$orderby"] == "LastModified asc"


def test_product_groups_are_derived(harness: Harness, client: BillitClient) -> None:
    for reference, group_id, name in [
        ("A", 1, "Fittings"),
        ("B", 1, "Fittings"),
        ("C", 2, "Pipes"),
    ]:
        harness.fake.add_product(
            harness.company_id, Reference=reference, GroupID=group_id, GroupName=name
        )
    harness.fake.add_product(harness.company_id, Reference="D")
    assert product_groups(client.products.iter_products()) == {1: "Fittings", 2: "Pipes"}
