"""Billit API client: OAuth, account, parties, products, orders, webhooks, signatures.

Build one ``httpx.Client`` per process, a ``BillitHttp`` per connection and wrap it in
``BillitClient``. See ``/work/shared/reference/billit-api.md`` for the API facts used.
"""

from billit_sync.billit.account import AccountApi, AccountInformation, Company, UserCompanyRole
from billit_sync.billit.client import BillitClient
from billit_sync.billit.credentials import BillitCredentials, StaticCredentials
from billit_sync.billit.endpoints import BillitEndpoints
from billit_sync.billit.errors import (
    BillitApiError,
    BillitAuthRevokedError,
    BillitCompanyNotSelectedError,
    BillitConflictError,
    BillitErrorCode,
    BillitGrantRefusedError,
    BillitNotFoundError,
    BillitOutcomeUnknownError,
    BillitProtocolError,
    BillitRateLimitedError,
    BillitRequestError,
    BillitServerError,
    BillitUnauthorizedError,
    BillitUnreadableResultError,
    BillitValidationError,
)
from billit_sync.billit.http import DEFAULT_TIMEOUT, BillitHttp
from billit_sync.billit.oauth import BillitOAuth, TokenSet
from billit_sync.billit.orders import (
    IDEMPOTENCY_HEADER,
    Address,
    Attachment,
    Identifier,
    NewOrder,
    NewOrderLine,
    Order,
    OrderCustomer,
    OrderDirection,
    OrderLine,
    OrdersApi,
    OrderType,
    TransportType,
    make_idempotency_key,
    validate_idempotency_key,
)
from billit_sync.billit.pagination import BillitPaginationError
from billit_sync.billit.parties import PartiesApi, Party
from billit_sync.billit.products import Product, ProductsApi, product_groups
from billit_sync.billit.signature import (
    SIGNATURE_HEADER,
    sign_billit_payload,
    verify_billit_signature,
)
from billit_sync.billit.webhooks import (
    RegisteredWebhook,
    WebhookEntityType,
    WebhooksApi,
    WebhookUpdateType,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "AccountApi",
    "AccountInformation",
    "Address",
    "Attachment",
    "BillitApiError",
    "BillitAuthRevokedError",
    "BillitClient",
    "BillitCompanyNotSelectedError",
    "BillitConflictError",
    "BillitCredentials",
    "BillitEndpoints",
    "BillitErrorCode",
    "BillitGrantRefusedError",
    "BillitHttp",
    "BillitNotFoundError",
    "BillitOAuth",
    "BillitOutcomeUnknownError",
    "BillitPaginationError",
    "BillitProtocolError",
    "BillitRateLimitedError",
    "BillitRequestError",
    "BillitServerError",
    "BillitUnauthorizedError",
    "BillitUnreadableResultError",
    "BillitValidationError",
    "Company",
    "Identifier",
    "NewOrder",
    "NewOrderLine",
    "Order",
    "OrderCustomer",
    "OrderDirection",
    "OrderLine",
    "OrderType",
    "OrdersApi",
    "PartiesApi",
    "Party",
    "Product",
    "ProductsApi",
    "RegisteredWebhook",
    "StaticCredentials",
    "TokenSet",
    "TransportType",
    "UserCompanyRole",
    "WebhookEntityType",
    "WebhookUpdateType",
    "WebhooksApi",
    "make_idempotency_key",
    "product_groups",
    "sign_billit_payload",
    "validate_idempotency_key",
    "verify_billit_signature",
]
