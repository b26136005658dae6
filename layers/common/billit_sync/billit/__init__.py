"""Billit API client: OAuth, account, parties, products, orders, webhooks, signatures.

Build one ``httpx.Client`` per process, a ``BillitHttp`` per connection and wrap it in
``BillitClient``. See ``/work/shared/reference/billit-api.md`` for the API facts used.
"""

from typing import TYPE_CHECKING

from billit_sync.lazy_exports import lazy_exports

if TYPE_CHECKING:
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

# Every name loads its module on first use (PEP 562): the webhook ingestion function needs the
# signature check alone, not the client, orders and products models (cold start, issue 16).
_MODULE_OF: dict[str, str] = {
    "AccountApi": "billit_sync.billit.account",
    "AccountInformation": "billit_sync.billit.account",
    "Address": "billit_sync.billit.orders",
    "Attachment": "billit_sync.billit.orders",
    "BillitApiError": "billit_sync.billit.errors",
    "BillitAuthRevokedError": "billit_sync.billit.errors",
    "BillitClient": "billit_sync.billit.client",
    "BillitCompanyNotSelectedError": "billit_sync.billit.errors",
    "BillitConflictError": "billit_sync.billit.errors",
    "BillitCredentials": "billit_sync.billit.credentials",
    "BillitEndpoints": "billit_sync.billit.endpoints",
    "BillitErrorCode": "billit_sync.billit.errors",
    "BillitGrantRefusedError": "billit_sync.billit.errors",
    "BillitHttp": "billit_sync.billit.http",
    "BillitNotFoundError": "billit_sync.billit.errors",
    "BillitOAuth": "billit_sync.billit.oauth",
    "BillitOutcomeUnknownError": "billit_sync.billit.errors",
    "BillitPaginationError": "billit_sync.billit.pagination",
    "BillitProtocolError": "billit_sync.billit.errors",
    "BillitRateLimitedError": "billit_sync.billit.errors",
    "BillitRequestError": "billit_sync.billit.errors",
    "BillitServerError": "billit_sync.billit.errors",
    "BillitUnauthorizedError": "billit_sync.billit.errors",
    "BillitUnreadableResultError": "billit_sync.billit.errors",
    "BillitValidationError": "billit_sync.billit.errors",
    "Company": "billit_sync.billit.account",
    "DEFAULT_TIMEOUT": "billit_sync.billit.http",
    "IDEMPOTENCY_HEADER": "billit_sync.billit.orders",
    "Identifier": "billit_sync.billit.orders",
    "NewOrder": "billit_sync.billit.orders",
    "NewOrderLine": "billit_sync.billit.orders",
    "Order": "billit_sync.billit.orders",
    "OrderCustomer": "billit_sync.billit.orders",
    "OrderDirection": "billit_sync.billit.orders",
    "OrderLine": "billit_sync.billit.orders",
    "OrderType": "billit_sync.billit.orders",
    "OrdersApi": "billit_sync.billit.orders",
    "PartiesApi": "billit_sync.billit.parties",
    "Party": "billit_sync.billit.parties",
    "Product": "billit_sync.billit.products",
    "ProductsApi": "billit_sync.billit.products",
    "RegisteredWebhook": "billit_sync.billit.webhooks",
    "SIGNATURE_HEADER": "billit_sync.billit.signature",
    "StaticCredentials": "billit_sync.billit.credentials",
    "TokenSet": "billit_sync.billit.oauth",
    "TransportType": "billit_sync.billit.orders",
    "UserCompanyRole": "billit_sync.billit.account",
    "WebhookEntityType": "billit_sync.billit.webhooks",
    "WebhookUpdateType": "billit_sync.billit.webhooks",
    "WebhooksApi": "billit_sync.billit.webhooks",
    "make_idempotency_key": "billit_sync.billit.orders",
    "product_groups": "billit_sync.billit.products",
    "sign_billit_payload": "billit_sync.billit.signature",
    "validate_idempotency_key": "billit_sync.billit.orders",
    "verify_billit_signature": "billit_sync.billit.signature",
}


__getattr__ = lazy_exports(__name__, _MODULE_OF, globals())


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
