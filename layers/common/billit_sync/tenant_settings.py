"""What a tenant chose on the Billit settings page in OutSmart, with defaults for new tenants."""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

VAT_RATES = (Decimal("0"), Decimal("6"), Decimal("12"), Decimal("21"))


class InvoiceDelivery(StrEnum):
    DRAFT = "draft"
    PEPPOL = "peppol"
    EMAIL = "email"


class HourRounding(StrEnum):
    NONE = "none"
    FIVE_MINUTES = "5"
    FIFTEEN_MINUTES = "15"
    THIRTY_MINUTES = "30"


class ImportSettings(BaseModel):
    """Billit → OutSmart. Billit has no employees, so employees cannot be imported."""

    model_config = ConfigDict(extra="forbid")

    customers: bool = True
    contact_persons: bool = True
    products: bool = True
    product_groups: bool = Field(True, description="Billit product groups become categories")
    hour_types: bool = Field(True, description="Billit products whose unit is an hour")
    interval_minutes: Annotated[int, Field(ge=15, le=1440)] = 60


class ExportSettings(BaseModel):
    """Completed OutSmart work orders → Billit invoices."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    delivery: InvoiceDelivery = InvoiceDelivery.DRAFT
    payment_term_days: Annotated[int, Field(ge=0, le=365)] = 30
    include_hours: bool = True
    hour_rounding: HourRounding = HourRounding.NONE
    include_materials: bool = True
    work_description_line: bool = True
    attach_workorder_pdf: bool = False
    create_missing_customers: bool = False
    default_vat_rate: Literal["0", "6", "12", "21"] = "21"
    only_completed_after_connection: bool = True
    workstatus_after_export: Annotated[str, Field(max_length=32)] | None = None


class TenantSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imports: ImportSettings = Field(default_factory=ImportSettings)
    exports: ExportSettings = Field(default_factory=ExportSettings)
