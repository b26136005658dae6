"""OutSmart OpenAPI 8: the client, its models, value parsing and typed errors.

``assumptions`` holds every decision taken where the reference marks ⚠.
"""

from typing import TYPE_CHECKING

from billit_sync.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from billit_sync.outsmart.client import (
        DEFAULT_TIMEOUT,
        OUTSMART_RETRY_POLICY,
        WORKORDER_STATUSES,
        OutSmartClient,
        outsmart_retryable_response,
    )
    from billit_sync.outsmart.errors import (
        OutSmartApiError,
        OutSmartAuthError,
        OutSmartDataError,
        OutSmartNotFoundError,
        OutSmartProtocolError,
        OutSmartServerError,
        OutSmartUnavailableError,
        OutSmartValidationError,
    )
    from billit_sync.outsmart.models import (
        CategoryRecord,
        ContactPersonRecord,
        HourTypeRecord,
        MaterialCategoryRecord,
        MaterialRecord,
        RelationRecord,
        WorkOrder,
        WorkOrderMaterial,
        WorkPeriod,
        WorkStatus,
    )
    from billit_sync.outsmart.values import OutSmartValueError

# Every name loads its module on first use (PEP 562): ``billit_sync.config`` needs only
# ``assumptions``, and the functions that never call OutSmart (OAuth, webhook ingestion, the
# scheduler) must not load the client and its models on a cold start (issue 16).
_MODULE_OF: dict[str, str] = {
    "CategoryRecord": "billit_sync.outsmart.models",
    "ContactPersonRecord": "billit_sync.outsmart.models",
    "DEFAULT_TIMEOUT": "billit_sync.outsmart.client",
    "HourTypeRecord": "billit_sync.outsmart.models",
    "MaterialCategoryRecord": "billit_sync.outsmart.models",
    "MaterialRecord": "billit_sync.outsmart.models",
    "OUTSMART_RETRY_POLICY": "billit_sync.outsmart.client",
    "OutSmartApiError": "billit_sync.outsmart.errors",
    "OutSmartAuthError": "billit_sync.outsmart.errors",
    "OutSmartClient": "billit_sync.outsmart.client",
    "OutSmartDataError": "billit_sync.outsmart.errors",
    "OutSmartNotFoundError": "billit_sync.outsmart.errors",
    "OutSmartProtocolError": "billit_sync.outsmart.errors",
    "OutSmartServerError": "billit_sync.outsmart.errors",
    "OutSmartUnavailableError": "billit_sync.outsmart.errors",
    "OutSmartValidationError": "billit_sync.outsmart.errors",
    "OutSmartValueError": "billit_sync.outsmart.values",
    "RelationRecord": "billit_sync.outsmart.models",
    "WORKORDER_STATUSES": "billit_sync.outsmart.client",
    "WorkOrder": "billit_sync.outsmart.models",
    "WorkOrderMaterial": "billit_sync.outsmart.models",
    "WorkPeriod": "billit_sync.outsmart.models",
    "WorkStatus": "billit_sync.outsmart.models",
    "outsmart_retryable_response": "billit_sync.outsmart.client",
}


__getattr__ = lazy_exports(__name__, _MODULE_OF, globals())


__all__ = [
    "DEFAULT_TIMEOUT",
    "OUTSMART_RETRY_POLICY",
    "WORKORDER_STATUSES",
    "CategoryRecord",
    "ContactPersonRecord",
    "HourTypeRecord",
    "MaterialCategoryRecord",
    "MaterialRecord",
    "OutSmartApiError",
    "OutSmartAuthError",
    "OutSmartClient",
    "OutSmartDataError",
    "OutSmartNotFoundError",
    "OutSmartProtocolError",
    "OutSmartServerError",
    "OutSmartUnavailableError",
    "OutSmartValidationError",
    "OutSmartValueError",
    "RelationRecord",
    "WorkOrder",
    "WorkOrderMaterial",
    "WorkPeriod",
    "WorkStatus",
    "outsmart_retryable_response",
]
