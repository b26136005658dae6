"""What a tenant chose on the Billit settings page in OutSmart, with defaults for new tenants.

The models are the API's contract too: ``PUT /tenants/{id}/settings`` validates a body with
``TenantSettings`` (unknown keys are refused, so a typo never silently does nothing), and the
field descriptions are what ``TenantSettings.model_json_schema()`` shows a settings page.
"""

import math
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

VAT_RATES = (Decimal("0"), Decimal("6"), Decimal("12"), Decimal("21"))

NO_EMPLOYEES_NOTE: Final = (
    "Billit has no employees, so employees are not imported: keep managing employees in OutSmart."
)
SETTINGS_NOTES: Final[tuple[str, ...]] = (
    NO_EMPLOYEES_NOTE,
    "Contact persons are imported together with customers, and product groups (as "
    "categories) together with products: switch those on as well.",
    "Products whose unit is an hour become hour types (with their sale price), not materials.",
    "Hours on an invoice are rounded up to the chosen step (5, 15 or 30 minutes); "
    "'none' keeps the exact time.",
    "A work order with its own MinimumHours or RoundingAmount is billed as the customer signed "
    "it: the order's rule replaces the step above, and the extra time is a separate line.",
    "A customer's VAT regime (co-contractor, intra-EU, export, outside scope) comes from the "
    "customer in Billit: set its ventilation code and VAT number there.",
    "An invoice over one of the limits is created in Billit as a draft and not sent; the log "
    "panel names the value and the limit.",
)
"""Shown beside the settings (English); they explain what the switches cannot."""


def _int_as_text(value: object) -> object:
    """JSON numbers for choices whose wire form is text (``15`` → ``"15"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class InvoiceDelivery(StrEnum):
    DRAFT = "draft"
    PEPPOL = "peppol"
    EMAIL = "email"


class HourRounding(StrEnum):
    """Step that hours on an invoice are rounded *up* to."""

    NONE = "none"
    FIVE_MINUTES = "5"
    FIFTEEN_MINUTES = "15"
    THIRTY_MINUTES = "30"

    @property
    def minutes(self) -> int | None:
        return None if self is HourRounding.NONE else int(self.value)

    def round_up(self, minutes: Decimal) -> Decimal:
        """``minutes`` rounded up to the step (unchanged for ``none``): 61 by 15 → 75."""
        step = self.minutes
        if step is None or minutes <= 0:
            return minutes
        return Decimal(math.ceil(minutes / step) * step)


class PaidOnSite(StrEnum):
    """What to do with a work order the customer paid on site (cash, debit card)."""

    MARK_PAID = "mark_paid"  # invoice it, then mark the invoice paid in Billit
    INVOICE = "invoice"  # invoice it like any other (a payment request)
    SKIP = "skip"  # no invoice; the log panel says so


class FixedPriceQuote(StrEnum):
    """What to do with a work order billed "conform offerte" (as per the quote)."""

    INVOICE_LINES = "invoice_lines"  # the order's hours and materials are the quote amount
    SKIP = "skip"  # no invoice (the office invoices the quote in Billit); the log panel says so


class UnknownPaymentMethod(StrEnum):
    """What to do with a ``PaymentMethod`` none of the lists below names."""

    REVIEW = "review"  # no invoice; the log panel names the value and the setting to extend
    INVOICE = "invoice"  # invoice it normally


def _normalised_methods(values: object) -> object:
    """Payment methods compare trimmed, case-insensitive, with single spaces (outsmart-api.md
    §4.1 "Compare trimmed, case-insensitive; map per tenant")."""
    if isinstance(values, list | tuple):
        return [" ".join(str(v).split()).casefold() for v in values if str(v).strip()]
    return values


PaymentMethods = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)]


class WorkOrderSettings(BaseModel):
    """How OutSmart's own work-order fields are invoiced (outsmart-api.md §4.1, issue 11)."""

    model_config = ConfigDict(extra="forbid")

    default_hour_type: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None,
        description="Hour type code for work periods without one (OutSmart leaves HourType "
        "empty unless the technician picks one); empty: such hours stop the export with an "
        "error that says so",
    )
    paid_on_site: PaidOnSite = Field(
        PaidOnSite.MARK_PAID,
        description="Paid on site (cash, debit card): invoice it and mark it paid "
        "('mark_paid'), invoice it as unpaid ('invoice'), or do not invoice it ('skip')",
    )
    fixed_price_quote: FixedPriceQuote = Field(
        FixedPriceQuote.SKIP,
        description="Fixed price as per the quote: do not invoice (the quote is invoiced in "
        "Billit; 'skip'), or invoice the work order's own lines as the quote amount "
        "('invoice_lines')",
    )
    unknown_payment_method: UnknownPaymentMethod = Field(
        UnknownPaymentMethod.REVIEW,
        description="A payment method in none of the lists: stop and show it ('review') or "
        "invoice it normally ('invoice')",
    )
    on_account_methods: PaymentMethods = Field(
        default_factory=lambda: ["op rekening", "niet van toepassing"],
        description="Payment methods invoiced normally (compared trimmed, case-insensitive)",
    )
    paid_on_site_methods: PaymentMethods = Field(
        default_factory=lambda: ["contant voldaan", "contact voldaan", "pin betaling"],
        description="Payment methods that mean paid on site",
    )
    fixed_price_quote_methods: PaymentMethods = Field(
        default_factory=lambda: ["conform offerte"],
        description="Payment methods that mean a fixed price as per the quote",
    )

    @field_validator(
        "on_account_methods", "paid_on_site_methods", "fixed_price_quote_methods", mode="before"
    )
    @classmethod
    def _normalise(cls, value: object) -> object:
        return _normalised_methods(value)

    @field_validator("default_hour_type", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value


class RecompletionPolicy(StrEnum):
    """What a work order completed again after its invoice gets (issue 12)."""

    NOTIFY = "notify"
    EXTRA_INVOICE = "extra_invoice"
    CREDIT_AND_REINVOICE = "credit_and_reinvoice"


class ImportSettings(BaseModel):
    """Billit → OutSmart master data. Billit has no employees, so employees are not imported."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-notes": [NO_EMPLOYEES_NOTE]})

    customers: bool = Field(
        True, description="Billit customers (party type Customer) become OutSmart relations"
    )
    contact_persons: bool = Field(
        True, description="The customers' contact data become contact persons (needs customers)"
    )
    products: bool = Field(True, description="Billit products become OutSmart materials")
    product_groups: bool = Field(
        True,
        description="Billit product groups become categories, with material links (needs products)",
    )
    hour_types: bool = Field(
        True, description="Billit products whose unit is an hour become hour types"
    )
    interval_minutes: Annotated[int, Field(ge=15, le=1440)] = Field(
        60, description="Minutes between scheduled imports (15 to 1440)"
    )

    @property
    def anything_enabled(self) -> bool:
        """Whether a run imports anything: contact persons come with customers and product
        groups with products, so on their own they import nothing."""
        return self.customers or self.products or self.hour_types


class PlausibilityLimits(BaseModel):
    """What a plausible invoice looks like for this office. An invoice over a limit is still
    created in Billit, but as a draft that is not sent, and the log panel says which value
    broke which limit: an invoice sent by Peppol cannot be recalled, a typo in OutSmart
    (a quantity of 10^18) must never reach the customer."""

    model_config = ConfigDict(extra="forbid")

    max_quantity_per_line: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)] = Field(
        Decimal(1000), description="Highest quantity on one invoice line"
    )
    max_hours_per_workorder: Annotated[Decimal, Field(gt=0, max_digits=7, decimal_places=2)] = (
        Field(Decimal(200), description="Most hours billed for one work order")
    )
    max_invoice_total: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)] = Field(
        Decimal(25000), description="Highest invoice total incl. VAT (EUR)"
    )
    allow_negative_lines: bool = Field(
        True, description="Send invoices with a negative line (e.g. returned material)"
    )
    allow_negative_total: bool = Field(
        False,
        description="Send invoices whose total is negative (normally a credit note, made in "
        "Billit)",
    )


class ExportSettings(BaseModel):
    """Completed OutSmart work orders → Billit invoices."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Export completed work orders as Billit invoices")
    delivery: InvoiceDelivery = Field(
        InvoiceDelivery.DRAFT,
        description="Leave the invoice as a draft in Billit, or send it by Peppol or e-mail",
    )
    payment_term_days: Annotated[int, Field(ge=0, le=365)] = Field(
        30, description="Days from the invoice date to its due date"
    )
    include_hours: bool = Field(True, description="Put the work order's hours on the invoice")
    hour_rounding: HourRounding = Field(
        HourRounding.NONE,
        description="Round hours up to 5, 15 or 30 minutes, or not at all ('none')",
    )
    include_materials: bool = Field(
        True, description="Put the work order's materials on the invoice"
    )
    work_description_line: bool = Field(True, description="Add the work description as a text line")
    attach_workorder_pdf: bool = Field(
        False, description="Attach the work order's PDF to the invoice"
    )
    create_missing_customers: bool = Field(
        False,
        description="Create the Billit customer from the work order when none matches "
        "(otherwise the export stops with an error that says what to fix)",
    )
    default_vat_rate: Literal["0", "6", "12", "21"] = Field(
        "21", description="VAT rate (%) for lines whose material or hour type has none"
    )
    billit_decimals: Literal[2, 3, 4, 5] = Field(
        2,
        description="Decimals your Billit company keeps for quantities and unit prices "
        "(MyBillit: Settings → General; 2 unless you extended it to 3, 4 or 5)",
    )
    limits: PlausibilityLimits = Field(
        default_factory=PlausibilityLimits,
        description="An invoice over one of these limits is created as a draft and not sent",
    )
    only_completed_after_connection: bool = Field(
        True, description="Export only work orders completed after the connection was made"
    )
    workstatus_after_export: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        None,
        description="OutSmart work status to set after the export (besides Handled); "
        "empty keeps the status",
    )
    workstatus_when_paid: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        None,
        description="OutSmart work status to set when the invoice is paid; empty keeps the status",
    )
    workorders: WorkOrderSettings = Field(
        default_factory=WorkOrderSettings,
        description="Default hour type, payment methods and what each one means",
    )

    # --- Re-completed work orders (issue 12) ----------------------------------------------
    recompleted: RecompletionPolicy = Field(
        RecompletionPolicy.NOTIFY,
        description="A work order completed again after its invoice: only say so in the log "
        "panel ('notify'), make an extra invoice for what was added ('extra_invoice'), or "
        "credit the earlier invoice and make a new one ('credit_and_reinvoice')",
    )
    discovery_safety_net_minutes: Annotated[int, Field(ge=15, le=1440, multiple_of=5)] = Field(
        60,
        description="While OutSmart's webhook brings completed work orders (it did in the last "
        "7 days), look for missed ones this often instead of every 5 minutes (15 to 1440, a "
        "multiple of 5)",
    )

    @field_validator("billit_decimals", mode="before")
    @classmethod
    def _decimals_as_number(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return value

    @field_validator("hour_rounding", "default_vat_rate", mode="before")
    @classmethod
    def _accept_numbers(cls, value: object) -> object:
        return _int_as_text(value)

    @field_validator("workstatus_after_export", "workstatus_when_paid", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value


class TenantSettings(BaseModel):
    """The Billit settings page of one tenant. Billit has no employees, so there is no
    employee import to switch on."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-notes": list(SETTINGS_NOTES)})

    imports: ImportSettings = Field(default_factory=ImportSettings)
    exports: ExportSettings = Field(default_factory=ExportSettings)
