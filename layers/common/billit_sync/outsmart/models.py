"""Pydantic models of OutSmart's JSON, with the API's exact (mixed-case) names as aliases.

OutSmart sends every value as a string: numbers with a decimal comma or dot, dates ``d-m-Y``,
times ``H:i``, durations ``HH:MM``. The annotated types below parse them with ``values`` into
``Decimal``, ``date``, ``time`` and hours, so money is never a float. Unknown fields are kept
(``model_extra``); ``None`` where a string is expected becomes ``""``.

Upsert records use the API's own snake_case names as field names and serialise, with
``to_api()``, to the strings OutSmart expects (``"4,55"`` for material prices, ``"50.00"`` for
hour types, ``"1"``/``"0"`` for flags).
"""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from billit_sync.outsmart.assumptions import WORKORDER_KEY_VARIANTS
from billit_sync.outsmart.values import (
    OutSmartValueError,
    format_decimal_comma,
    format_decimal_dot,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_duration_hours,
    parse_duration_minutes,
    parse_time,
)

# ---------------------------------------------------------------------------------------------
# Value types
# ---------------------------------------------------------------------------------------------


def _to_decimal(value: object) -> object:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise OutSmartValueError("decimal number", value)
    if isinstance(value, int | float):
        # A JSON number: its shortest repr is the decimal the sender meant (never float maths).
        return parse_decimal(repr(value))
    if isinstance(value, str):
        return parse_decimal(value)
    return value


def _to_date(value: object) -> object:
    return parse_date(value) if isinstance(value, str) else value


def _to_time(value: object) -> object:
    return parse_time(value) if isinstance(value, str) else value


def _to_datetime(value: object) -> object:
    return parse_datetime(value) if isinstance(value, str) else value


def _to_hours(value: object) -> object:
    if isinstance(value, str):
        return parse_duration_hours(value) if value.strip() else None
    return _to_decimal(value)


def _to_minutes(value: object) -> object:
    """``Break`` is documented as minutes (``"15"``); ``"00:15"`` is accepted as well."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if ":" in text:
            return parse_duration_minutes(text)
        if not text.isdigit():
            raise OutSmartValueError("number of minutes (e.g. '15')", value)
        return int(text)
    return value


_FLAG_TEXT = {"1": True, "0": False, "true": True, "false": False, "": None}


def _to_flag(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _FLAG_TEXT:
            return _FLAG_TEXT[key]
        raise OutSmartValueError("flag ('1' or '0')", value)
    return value


def _none_to_empty(value: object) -> object:
    return "" if value is None else value


def _none_to_list(value: object) -> object:
    return [] if value is None else value


def _flag_text(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


def _comma_text(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal_comma(value)


def _dot_text(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal_dot(value)


def _flag_int(value: bool | None) -> int | None:
    return None if value is None else int(value)


Text = Annotated[str, BeforeValidator(_none_to_empty)]
OptDecimal = Annotated[Decimal | None, BeforeValidator(_to_decimal)]
OptDate = Annotated[date | None, BeforeValidator(_to_date)]
OptTime = Annotated[time | None, BeforeValidator(_to_time)]
OptDateTime = Annotated[datetime | None, BeforeValidator(_to_datetime)]
Hours = Annotated[Decimal | None, BeforeValidator(_to_hours)]
Minutes = Annotated[int | None, BeforeValidator(_to_minutes)]
# Outgoing decimals in the notation of each entity's examples.
CommaDecimal = Annotated[
    Decimal, BeforeValidator(_to_decimal), PlainSerializer(_comma_text, when_used="json")
]
DotDecimal = Annotated[
    Decimal, BeforeValidator(_to_decimal), PlainSerializer(_dot_text, when_used="json")
]
OptDotDecimal = Annotated[
    Decimal | None, BeforeValidator(_to_decimal), PlainSerializer(_dot_text, when_used="json")
]
Flag = Annotated[bool, BeforeValidator(_to_flag), PlainSerializer(_flag_text, when_used="json")]
OptFlag = Annotated[
    bool | None, BeforeValidator(_to_flag), PlainSerializer(_flag_text, when_used="json")
]
# A flag spec.json types as an integer (relations' ``active``: ``"type": "integer"``, example
# ``"active": 1``), sent as the JSON number 1 or 0.
OptIntFlag = Annotated[
    bool | None, BeforeValidator(_to_flag), PlainSerializer(_flag_int, when_used="json")
]


class OutSmartModel(BaseModel):
    """Shared configuration: API names as aliases, unknown fields kept, numbers read as text."""

    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        coerce_numbers_to_str=True,
    )


# ---------------------------------------------------------------------------------------------
# Work orders (read)
# ---------------------------------------------------------------------------------------------


class WorkPeriod(OutSmartModel):
    """One block of hours on a work order. ``hours`` is ``TotalTime`` in decimal hours."""

    work_date: OptDate = Field(None, alias="WorkDate")
    begin_time: OptTime = Field(None, alias="BeginTime")
    end_time: OptTime = Field(None, alias="EndTime")
    break_minutes: Minutes = Field(None, alias="Break")
    hours: Hours = Field(None, alias="TotalTime")
    travel: Text = Field("", alias="Travel")
    work_remark: Text = Field("", alias="WorkRemark")
    hour_type: Text = Field("", alias="HourType")
    employee_nr: Text = Field("", alias="EmployeeNr")


class WorkOrderMaterial(OutSmartModel):
    """One material line. ``quantity`` is ``MaterialNr`` (it may carry a decimal comma)."""

    code: Text = Field("", alias="MaterialCode")
    name: Text = Field("", alias="MaterialName")
    quantity: OptDecimal = Field(None, alias="MaterialNr")
    price: OptDecimal = Field(None, alias="MaterialPrice")
    total_price: OptDecimal = Field(None, alias="MaterialTotalPrice")
    # Request-schema fields (``#/components/schemas/Material``); GetWorkorder may or may not
    # return them (outsmart-api.md §4.1 Materials).
    discount_percentage: OptDecimal = Field(None, alias="MaterialDiscountPercentage")
    original_price: OptDecimal = Field(None, alias="MaterialOriginalPrice")
    unit: Text = Field("", alias="MaterialUnit")
    type: Text = Field("", alias="MaterialType")
    free_field_1: Text = Field("", alias="MaterialFreeField1")
    free_field_2: Text = Field("", alias="MaterialFreeField2")
    free_field_3: Text = Field("", alias="MaterialFreeField3")
    free_field_4: Text = Field("", alias="MaterialFreeField4")
    free_field_5: Text = Field("", alias="MaterialFreeField5")


class Photo(OutSmartModel):
    image: Text = ""
    title: Text = ""


class WorkOrder(OutSmartModel):
    """A work order as GetWorkorders/GetWorkorder return it."""

    id: str = Field(alias="id")
    workorder_no: Text = Field("", alias="WorkorderNo")
    order_nr: Text = Field("", alias="OrderNr")
    status: Text = Field("", alias="status")
    work_finished: Text = Field("", alias="WorkFinished")
    archived: Text = Field("", alias="Archived")
    work_status: Text = Field("", alias="WorkStatus")

    work_date: OptDate = Field(None, alias="WorkDate")
    work_time: OptTime = Field(None, alias="WorkTime")
    work_end_date: OptDate = Field(None, alias="WorkEndDate")
    work_end_time: OptTime = Field(None, alias="WorkEndTime")
    creation_date: OptDateTime = Field(None, alias="CreationDate")
    work_duration: Text = Field("", alias="WorkDuration")
    work_deadline: Text = Field("", alias="WorkDeadline")
    project_nr: Text = Field("", alias="ProjectNr")
    extern_project_nr: Text = Field("", alias="ExternProjectNr")

    customer_name: Text = Field("", alias="CustomerName")
    customer_debtor_nr: Text = Field("", alias="CustomerDebtorNr")
    customer_street: Text = Field("", alias="CustomerStreet")
    customer_street_no: Text = Field("", alias="CustomerStreetNo")
    customer_email: Text = Field("", alias="CustomerEmail")
    customer_zip: Text = Field("", alias="CustomerZIP")
    customer_city: Text = Field("", alias="CustomerCity")
    customer_contact_person: Text = Field("", alias="CustomerContactPerson")
    customer_phone: Text = Field("", alias="CustomerPhone")
    customer_remark: Text = Field("", alias="CustomerRemark")

    customer_name_invoice: Text = Field("", alias="CustomerNameInvoice")
    customer_debtor_nr_invoice: Text = Field("", alias="CustomerDebtorNrInvoice")
    customer_street_invoice: Text = Field("", alias="CustomerStreetInvoice")
    customer_street_no_invoice: Text = Field("", alias="CustomerStreetNoInvoice")
    customer_email_invoice: Text = Field("", alias="CustomerEmailInvoice")
    customer_zip_invoice: Text = Field("", alias="CustomerZIPInvoice")
    customer_city_invoice: Text = Field("", alias="CustomerCityInvoice")
    customer_contact_person_invoice: Text = Field("", alias="CustomerContactPersonInvoice")
    customer_phone_invoice: Text = Field("", alias="CustomerPhoneInvoice")
    customer_remark_invoice: Text = Field("", alias="CustomerRemarkInvoice")

    type_of_work: Text = Field("", alias="TypeOfWork")
    work_description: Text = Field("", alias="WorkDescription")
    internal_work_description: Text = Field("", alias="InternalWorkDescription")
    short_work_description: Text = Field("", alias="ShortWorkDescription")
    comment: Text = Field("", alias="Comment")
    payment_method: Text = Field("", alias="PaymentMethod")
    employee_nr: Text = Field("", alias="EmployeeNr")
    pickup_planning: Text = Field("", alias="PickupPlanning")
    web_planning: Text = Field("", alias="WebPlanning")
    cpn_code: Text = Field("", alias="CpnCode")
    adr_code: Text = Field("", alias="AdrCode")
    error_code: Text = Field("", alias="ErrorCode")
    error_message: Text = Field("", alias="ErrorMessage")
    solution_code: Text = Field("", alias="SolutionCode")
    solution_message: Text = Field("", alias="SolutionMessage")
    priority_code: Text = Field("", alias="PriorityCode")
    priority_message: Text = Field("", alias="PriorityMessage")
    # desc:1984-1985: MinimumHours = Decimal (7,2) hours, RoundingAmount = minutes; the
    # examples hold "0.00" (desc:2120-2121). Blank or missing → None (no rule).
    minimum_hours: OptDecimal = Field(None, alias="MinimumHours")
    rounding_amount: OptDecimal = Field(None, alias="RoundingAmount")

    signature: Text = Field("", alias="Signature")
    signature_url: Text = Field("", alias="SignatureUrl")
    pdf_url: Text = Field("", alias="PdfUrl")
    word_url: Text = Field("", alias="WordUrl")
    worksheet_code: Text = Field("", alias="WorksheetCode")

    photos: Annotated[list[Photo], BeforeValidator(_none_to_list)] = Field(
        default_factory=list, alias="Photos"
    )
    workperiods: Annotated[list[WorkPeriod], BeforeValidator(_none_to_list)] = Field(
        default_factory=list, alias="Workperiods"
    )
    materials: Annotated[list[WorkOrderMaterial], BeforeValidator(_none_to_list)] = Field(
        default_factory=list, alias="Materials"
    )
    # ⚠ see assumptions.UNTYPED_WORKORDER_COLLECTIONS: shapes not reliably documented.
    documents: Any = Field(None, alias="Documents")
    forms: Any = Field(None, alias="Forms")
    employees: Any = Field(None, alias="Employees")
    work_objects: Any = Field(None, alias="WorkObjects")

    @model_validator(mode="before")
    @classmethod
    def _canonical_keys(cls, data: Any) -> Any:
        """Accept the prose table's spellings (``Id``, ``Order Nr``, ``Status``)."""
        if not isinstance(data, dict):
            return data
        fixed = dict(data)
        for canonical, variants in WORKORDER_KEY_VARIANTS.items():
            if canonical in fixed:
                continue
            for variant in variants:
                if variant in fixed:
                    fixed[canonical] = fixed.pop(variant)
                    break
        return fixed

    @property
    def invoice_debtor_number(self) -> str:
        """The debtor to invoice: the ``…Invoice`` customer when given, else the work customer."""
        return self.customer_debtor_nr_invoice.strip() or self.customer_debtor_nr.strip()

    @property
    def invoice_customer_name(self) -> str:
        return self.customer_name_invoice.strip() or self.customer_name.strip()

    @property
    def has_invoice_customer(self) -> bool:
        return bool(self.customer_debtor_nr_invoice.strip() or self.customer_name_invoice.strip())

    @property
    def is_finished(self) -> bool:
        return self.work_finished.strip() == "1"

    @property
    def is_complete(self) -> bool:
        """Finished in the field and waiting for the back office (``status`` ``Compleet``)."""
        return self.status == "Compleet"

    @property
    def is_handled(self) -> bool:
        return self.status == "Afgehandeld"

    @property
    def total_hours(self) -> Decimal:
        return sum((p.hours for p in self.workperiods if p.hours is not None), Decimal(0))


# ---------------------------------------------------------------------------------------------
# Master data (upsert and list)
# ---------------------------------------------------------------------------------------------


class UpsertRecord(OutSmartModel):
    """A master-data row. ``to_api()`` renders it as OutSmart expects it in a POST array.

    Only the fields a record class declares (those named in the Blueprint's table or in
    spec.json's request schema) are ever sent: unknown keys read from a GET (``model_extra``)
    stay out of the body, since OutSmart's handling of unknown keys is undocumented
    (outsmart-api.md §4.2). ``REQUIRED`` lists the fields the Blueprint marks ``Y``; a record
    missing one is never posted (``missing_required``).
    """

    REQUIRED: ClassVar[tuple[str, ...]] = ()

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = self.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            include=set(type(self).model_fields),
        )
        return body

    def missing_required(self) -> tuple[str, ...]:
        """The required fields that are absent or blank in the body this record would send."""
        body = self.to_api()
        return tuple(
            name for name in self.REQUIRED if name not in body or not str(body[name]).strip()
        )


class RelationRecord(UpsertRecord):
    """A customer (``/relations/``); upsert key ``debtor_number`` (⚠ assumed).

    Fields: the Blueprint's table (desc:801-815) and spec.json's request schema
    (``#/paths/~1relations/post/requestBody/content/application~1json/schema/items``), which
    adds ``mobile``, ``country``, ``vat_number``, ``language``, ``active`` …. There is no
    ``external_id``: the Billit PartyID ↔ ``debtor_number`` link lives in the service's own
    mapping store. ``country`` is a Dutch country name, as in spec.json's example
    (``"Nederland"``), never an ISO code.
    """

    REQUIRED: ClassVar[tuple[str, ...]] = ("name", "debtor_number", "street", "postal_code", "city")

    name: Text
    debtor_number: str
    contact: str | None = None
    phone_number: str | None = None
    mobile: str | None = None  # spec.json schema only
    email: str | None = None
    email_workorder: str | None = None
    street: Text = ""
    house_number: str | None = None
    postal_code: Text = ""
    city: Text = ""
    country: str | None = None  # spec.json schema only; a name ("België"), never "BE"
    kvk_number: str | None = None  # spec.json schema only
    vat_number: str | None = None  # spec.json schema only
    language: str | None = None  # spec.json schema only
    debtor_type: str | None = None  # spec.json schema only
    remark: str | None = None
    latitude: str | None = None  # kept as text: a float would round it
    longitude: str | None = None
    # spec.json schema: ``"active": {"type": "integer"}``, example ``1``. The import sends 1;
    # a customer no longer in Billit is sent again with 0 (never deleted: work orders use it).
    active: OptIntFlag = None


class ContactPersonRecord(UpsertRecord):
    """A contact of a relation (``/contactpersons/``, desc:3859-3921); ``cpn_code`` is the
    documented key."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("cpn_debtor_nr", "cpn_code", "cpn_name")

    cpn_debtor_nr: Text
    cpn_code: str
    cpn_name: Text
    cpn_phone: str | None = None
    cpn_email: str | None = None


class MaterialRecord(UpsertRecord):
    """A product (``/materials/``, desc:368-380); upsert key ``code`` (⚠ assumed). ``price``
    excludes VAT (⚠) and is sent with a decimal comma, as in the examples (desc:392)."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("code", "description", "price", "unit")

    code: str
    description: Text
    price: CommaDecimal
    unit: Text = ""
    eancode: str | None = None
    barcode: str | None = None
    freefield1: str | None = None
    freefield2: str | None = None
    freefield3: str | None = None
    freefield4: str | None = None
    freefield5: str | None = None
    note: str | None = None  # ⚠ only in spec.json's example
    vat_code: str | None = None  # ⚠ only in spec.json's example


class CategoryRecord(UpsertRecord):
    """A product group (``/categories/``, desc:475-481); ``cat_cat_code`` is the parent's
    code; ``cat_display`` is ``"1"``/``"0"`` as in the example (desc:498)."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("cat_code", "cat_name", "cat_display")

    cat_code: str
    cat_name: Text
    cat_display: Flag = True
    cat_cat_code: str | None = None
    cat_image: str | None = None


class MaterialCategoryRecord(UpsertRecord):
    """A material ↔ category link (``/material_categories/``, desc:681-684)."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("mct_mat_code", "mct_cat_code")

    mct_mat_code: str
    mct_cat_code: str


class HourTypeRecord(UpsertRecord):
    """A labour rate (``/hourtypes/``, desc:1024-1032). Prices go with a decimal dot and flags
    as ``"1"``/``"0"``, as in the example (desc:1045); ``sale_price`` must be > 0 (desc:1030);
    ``cost_price`` (also > 0, desc:1031) is left out when unknown."""

    REQUIRED: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "cost_booking",
        "sale_booking",
        "sale_price",
    )

    code: str
    name: Text
    cost_booking: Flag = False
    sale_booking: Flag = False
    sale_price: DotDecimal
    cost_price: OptDotDecimal = None
    active: OptFlag = None


class WorkStatus(UpsertRecord):
    """A custom work status (``/workstatusses/``), e.g. a "gefactureerd" ``sta_code``."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("sta_code", "sta_name")

    sta_code: str
    sta_name: Text = ""
