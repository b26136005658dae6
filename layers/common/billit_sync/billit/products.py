"""Billit products, streamed and incremental on ``LastModified``; groups are derived.

There is no product-group endpoint ⚠ (reference §3): groups are the distinct
``(GroupID, GroupName)`` pairs found on products.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from billit_sync.billit.http import BillitHttp
from billit_sync.billit.model import BillitModel, BillitTimestamp, parse_model
from billit_sync.billit.odata import ODataQuery, ge
from billit_sync.billit.pagination import DEFAULT_MAX_PAGES, iter_rows

PRODUCTS_PATH = "/v1/products"


class Product(BillitModel):
    """A Billit product; money and VAT are exact ``Decimal``."""

    product_id: int = Field(alias="ProductID")
    reference: str | None = Field(default=None, alias="Reference")
    description: str | None = Field(default=None, alias="Description")
    amount_excl: Decimal | None = Field(default=None, alias="AmountExcl")
    amount_incl: Decimal | None = Field(default=None, alias="AmountIncl")
    vat: Decimal | None = Field(default=None, alias="VAT")
    unit: str | None = Field(default=None, alias="Unit")
    group_id: int | None = Field(default=None, alias="GroupID")
    group_name: str | None = Field(default=None, alias="GroupName")
    stock_quantity: Decimal | None = Field(default=None, alias="StockQuantity")
    minimum_billed_quantity: Decimal | None = Field(default=None, alias="MinimumBilledQuantity")
    buy_excl: Decimal | None = Field(default=None, alias="BuyExcl")
    internal_information: str | None = Field(default=None, alias="InternalInformation")
    last_modified: BillitTimestamp | None = Field(default=None, alias="LastModified")
    created: BillitTimestamp | None = Field(default=None, alias="Created")


def product_groups(products: Iterable[Product]) -> dict[int, str | None]:
    """The distinct groups seen on products, ``GroupID`` → ``GroupName``."""
    groups: dict[int, str | None] = {}
    for product in products:
        if product.group_id is not None:
            groups.setdefault(product.group_id, product.group_name)
    return groups


class ProductsApi:
    def __init__(self, http: BillitHttp) -> None:
        self._http = http

    def iter_products(
        self, modified_since: datetime | None = None, *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> Iterator[Product]:
        """All products, oldest change first; ``modified_since`` is inclusive (``ge``)."""
        query = ODataQuery(
            filter=ge("LastModified", modified_since) if modified_since is not None else None,
            orderby=(("LastModified", "asc"),),
        )
        for row in iter_rows(self._http, PRODUCTS_PATH, params=query.params(), max_pages=max_pages):
            yield parse_model(Product, row, method="GET", path=PRODUCTS_PATH)

    def get_product(self, product_id: int) -> Product:
        path = f"{PRODUCTS_PATH}/{int(product_id)}"
        return parse_model(Product, self._http.get_json(path), method="GET", path=path)
