"""``BillitClient``: one object, built once per connection, exposing each area of the API."""

from billit_sync.billit.account import AccountApi
from billit_sync.billit.http import BillitHttp
from billit_sync.billit.orders import OrdersApi
from billit_sync.billit.parties import PartiesApi
from billit_sync.billit.products import ProductsApi
from billit_sync.billit.webhooks import WebhooksApi


class BillitClient:
    """The facade over one ``BillitHttp`` executor (token, company, retries, errors)."""

    def __init__(self, http: BillitHttp) -> None:
        self.http = http
        self.account = AccountApi(http)
        self.parties = PartiesApi(http)
        self.products = ProductsApi(http)
        self.orders = OrdersApi(http)
        self.webhooks = WebhooksApi(http)
