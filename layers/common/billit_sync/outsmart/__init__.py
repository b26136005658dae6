"""OutSmart OpenAPI 8: the client, its models, value parsing and typed errors.

``assumptions`` holds every decision taken where the reference marks ⚠.
"""

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
