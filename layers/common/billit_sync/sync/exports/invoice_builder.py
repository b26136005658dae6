"""One completed OutSmart work order → the body of Billit's ``POST /v1/orders``. Pure: no I/O.

The invoice (issue 5 item 2):

- header: ``Invoice``/``Income``, the completion date as invoice date, the due date from the
  payment term, the work order number as ``Reference`` and in the title, a deterministic
  ``ExternalProviderID`` (``jobs.external_reference``), the customer by ``PartyID``, the
  work-order PDF when given and switched on; never an ``OrderNumber`` (Billit numbers invoices);
- hours: one line per hour type, the group's exact total rounded *up* by the setting, priced
  and taxed from the hour type;
- materials: one line per material row, VAT (and unit, product) from the mapped Billit
  product, else the default rate;
- the work description as a text line (quantity 0), after the others; a work order with no
  hour or material line left is ``nothing_to_invoice`` (never an empty invoice that takes a
  number in Billit's consecutive series).

Amounts are ``Decimal`` throughout; ``PlannedInvoice.expected`` holds the totals Billit will
compute (per line ``TotalExcl = round_half_up(Quantity * UnitPriceExcl, 2)``, ``TotalVAT =
round_half_up(TotalExcl * VAT / 100, 2)``; the invoice's totals are the sums).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from billit_sync.billit.orders import (
    DESCRIPTION_MAX_LENGTH,
    Attachment,
    NewOrder,
    NewOrderLine,
    OrderCustomer,
    OrderDirection,
    OrderType,
)
from billit_sync.outsmart.assumptions import WORKORDER_KEY_VARIANTS
from billit_sync.outsmart.models import WorkOrder, WorkOrderMaterial, WorkPeriod
from billit_sync.sync.exports.jobs import external_reference
from billit_sync.sync.exports.problems import (
    invalid_workorder,
    missing_hour_type,
    nothing_to_invoice,
    unknown_hour_type,
    unknown_materials,
)
from billit_sync.tenant_settings import ExportSettings

CENT = Decimal("0.01")
# Billit keeps quantities and unit prices to 5 decimals (reference §3).
MAX_PLACES = 5
_PLACES = Decimal(1).scaleb(-MAX_PLACES)
# ``TotalTime`` "HH:MM" arrives as decimal hours rounded to 6 places when minutes/60 does not
# terminate ("00:20" → 0.333333): within this many minutes of a whole minute, it is one.
_WHOLE_MINUTE_TOLERANCE = Decimal("0.001")
_MINUTES_PER_DAY = 24 * 60
TITLE_PREFIX = "Werkbon"


@dataclass(frozen=True)
class ProductInfo:
    """From the import's id mapping (``MappedEntity.PRODUCT``): material code → Billit product."""

    billit_product_id: int | None
    vat_rate: Decimal | None
    unit: str | None


@dataclass(frozen=True)
class HourTypeInfo:
    """From the ``HOUR_TYPE`` mapping (sale price, VAT) or OutSmart's ``/hourtypes/`` list."""

    name: str
    sale_price: Decimal
    vat_rate: Decimal | None
    billit_product_id: int | None = None


@dataclass(frozen=True)
class ExpectedTotals:
    excl: Decimal
    vat: Decimal
    incl: Decimal


@dataclass(frozen=True)
class PlannedInvoice:
    order: NewOrder
    expected: ExpectedTotals
    invoice_date: date


# ---------------------------------------------------------------------------------------------
# Small exact helpers
# ---------------------------------------------------------------------------------------------


def round_half_up(value: Decimal) -> Decimal:
    """To cents, half up: how Billit rounds line totals and VAT."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _at_most_places(value: Decimal) -> Decimal:
    """Unchanged with ≤ 5 decimals, else rounded half up to 5 (Billit's precision)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        return value.quantize(_PLACES, rounding=ROUND_HALF_UP)
    return value


def _tidy(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form: ``1.50000`` → ``1.5``, 10 → 10."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _hours_text(minutes: Decimal) -> str:
    """``150`` → ``"2:30"`` (for messages)."""
    whole = int(minutes.to_integral_value(rounding=ROUND_HALF_UP))
    sign = "-" if whole < 0 else ""
    hours, rest = divmod(abs(whole), 60)
    return f"{sign}{hours}:{rest:02d}"


def line_totals(line: NewOrderLine) -> tuple[Decimal, Decimal]:
    """(TotalExcl, TotalVAT) of one line, as Billit computes them."""
    price = line.unit_price_excl if line.unit_price_excl is not None else Decimal(0)
    vat_rate = line.vat_percentage if line.vat_percentage is not None else Decimal(0)
    reduction = line.reduction_percentage or Decimal(0)
    excl = round_half_up(line.quantity * price * (100 - reduction) / 100)
    return excl, round_half_up(excl * vat_rate / 100)


def expected_totals(lines: list[NewOrderLine]) -> ExpectedTotals:
    excl = vat = Decimal("0.00")
    for line in lines:
        line_excl, line_vat = line_totals(line)
        excl += line_excl
        vat += line_vat
    return ExpectedTotals(excl=excl, vat=vat, incl=excl + vat)


def _cut(text: str) -> tuple[str, str | None]:
    """(Description, DescriptionExtended): the first 512 characters and the rest, if any."""
    if len(text) <= DESCRIPTION_MAX_LENGTH:
        return text, None
    return text[:DESCRIPTION_MAX_LENGTH], text[DESCRIPTION_MAX_LENGTH:]


# ---------------------------------------------------------------------------------------------
# Work order facts
# ---------------------------------------------------------------------------------------------


def workorder_number(workorder: WorkOrder) -> str:
    """How the office knows the work order: ``WorkorderNo``, else ``OrderNr``, else the row id."""
    return workorder.workorder_no.strip() or workorder.order_nr.strip() or workorder.id


def completion_date(workorder: WorkOrder) -> date | None:
    """``WorkEndDate``, else the latest work period's date, else ``WorkDate``, else the date of
    ``CreationDate``; ``None`` when the work order has none of them."""
    if workorder.work_end_date is not None:
        return workorder.work_end_date
    period_dates = [p.work_date for p in workorder.workperiods if p.work_date is not None]
    if period_dates:
        return max(period_dates)
    if workorder.work_date is not None:
        return workorder.work_date
    if workorder.creation_date is not None:
        return workorder.creation_date.date()
    return None


def _raw_number(data: Mapping[str, Any]) -> str:
    for key in ("WorkorderNo", "OrderNr", "id"):
        for name in (key, *WORKORDER_KEY_VARIANTS.get(key, ())):
            value = data.get(name)
            if isinstance(value, str | int) and str(value).strip():
                return str(value).strip()
    return "?"


def _error_detail(error: ValidationError) -> str:
    """``Materials[1].MaterialNr '1,2,3'``: the field (OutSmart's names) and the value."""
    first = error.errors(include_url=False)[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    value = "" if first["type"] == "missing" else first.get("input")
    shown = value if isinstance(value, str) else repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{path or 'work order'} '{shown}'"


def parse_workorder(data: Mapping[str, Any]) -> WorkOrder:
    """OutSmart's work order JSON as a ``WorkOrder``; unreadable values → ``invalid_workorder``
    naming the field (e.g. ``Materials[0].MaterialNr '1,2,3'``)."""
    try:
        return WorkOrder.model_validate(data)
    except ValidationError as error:
        raise invalid_workorder(_raw_number(data), _error_detail(error)) from None


# ---------------------------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------------------------


def _period_minutes(period: WorkPeriod, number: str) -> Decimal:
    """Exact minutes of one work period: ``TotalTime``; if missing, End - Begin - Break."""
    if period.hours is not None:
        minutes = period.hours * 60
        whole = minutes.to_integral_value(rounding=ROUND_HALF_UP)
        return whole if abs(minutes - whole) <= _WHOLE_MINUTE_TOLERANCE else minutes
    if period.begin_time is None or period.end_time is None:
        return Decimal(0)
    begin = period.begin_time.hour * 60 + period.begin_time.minute
    end = period.end_time.hour * 60 + period.end_time.minute
    span = (end - begin) % _MINUTES_PER_DAY  # an end before the begin: past midnight
    worked = span - (period.break_minutes or 0)
    if worked < 0:
        times = f"{period.begin_time:%H:%M}-{period.end_time:%H:%M}"
        raise invalid_workorder(number, f"Break '{period.break_minutes}' ({times})")
    return Decimal(worked)


def _hour_lines(
    workorder: WorkOrder,
    number: str,
    settings: ExportSettings,
    hour_types: Mapping[str, HourTypeInfo],
    default_vat: Decimal,
) -> list[NewOrderLine]:
    totals: dict[str, Decimal] = {}  # hour type → minutes, in order of first appearance
    for period in workorder.workperiods:
        code = period.hour_type.strip()
        totals[code] = totals.get(code, Decimal(0)) + _period_minutes(period, number)
    lines: list[NewOrderLine] = []
    for code, minutes in totals.items():
        if minutes == 0:
            continue
        if minutes < 0:
            raise invalid_workorder(number, f"TotalTime '{_hours_text(minutes)}' ({code})")
        if not code:
            raise missing_hour_type(number, _hours_text(minutes))
        info = hour_types.get(code)
        if info is None:
            raise unknown_hour_type(number, code)
        rounded = settings.hour_rounding.round_up(minutes)
        quantity = _tidy((rounded / 60).quantize(_PLACES, rounding=ROUND_HALF_UP))
        description, extended = _cut(info.name.strip() or code)
        lines.append(
            NewOrderLine(
                quantity=quantity,
                unit_price_excl=_at_most_places(info.sale_price),
                description=description,
                description_extended=extended,
                reference=code,
                vat_percentage=info.vat_rate if info.vat_rate is not None else default_vat,
                product_id=info.billit_product_id,
            )
        )
    return lines


def _material_line(
    material: WorkOrderMaterial,
    quantity: Decimal,
    number: str,
    info: ProductInfo | None,
    default_vat: Decimal,
) -> NewOrderLine:
    code = material.code.strip()
    if material.price is None:
        raise invalid_workorder(number, f"MaterialPrice '' ({code or material.name.strip()})")
    text = material.name.strip() or code
    if not text:
        raise invalid_workorder(number, "MaterialName '' (MaterialCode '')")
    description, extended = _cut(text)
    vat = info.vat_rate if info is not None and info.vat_rate is not None else default_vat
    unit = info.unit.strip() if info is not None and info.unit else ""
    return NewOrderLine(
        quantity=_at_most_places(quantity),
        unit_price_excl=_at_most_places(material.price),
        description=description,
        description_extended=extended,
        reference=code or None,
        vat_percentage=vat,
        unit=unit or None,
        product_id=info.billit_product_id if info is not None else None,
    )


def _material_lines(
    workorder: WorkOrder,
    number: str,
    products: Mapping[str, ProductInfo],
    default_vat: Decimal,
) -> list[NewOrderLine]:
    # Rows without a quantity (empty or 0) are not invoiced, whatever their code.
    used = [(m, m.quantity) for m in workorder.materials if m.quantity]
    unknown: dict[str, str] = {}
    for material, _ in used:
        code = material.code.strip()
        if code and code not in products and code not in unknown:
            unknown[code] = material.name.strip()
    if unknown:
        raise unknown_materials(number, unknown.items())
    return [
        _material_line(material, quantity, number, products.get(material.code.strip()), default_vat)
        for material, quantity in used
    ]


def _description_line(workorder: WorkOrder, default_vat: Decimal) -> list[NewOrderLine]:
    text = workorder.work_description.strip()
    if not text:
        return []
    description, extended = _cut(text)
    return [
        NewOrderLine(
            quantity=Decimal(0),
            unit_price_excl=Decimal(0),
            description=description,
            description_extended=extended,
            vat_percentage=default_vat,
        )
    ]


# ---------------------------------------------------------------------------------------------
# The invoice
# ---------------------------------------------------------------------------------------------


def build_invoice(
    workorder: WorkOrder,
    *,
    tenant_id: str,
    customer_party_id: int,
    settings: ExportSettings,
    products: Mapping[str, ProductInfo],
    hour_types: Mapping[str, HourTypeInfo],
    attachment: Attachment | None = None,
) -> PlannedInvoice:
    """The Billit invoice for one completed work order, and the totals Billit will compute.

    Raises ``ExportProblem``: ``invalid_workorder`` (no date at all, unreadable time),
    ``missing_hour_type``/``unknown_hour_type``, ``unknown_material`` (one) or
    ``unknown_materials`` (several, all named), ``nothing_to_invoice``.
    """
    number = workorder_number(workorder)
    invoice_date = completion_date(workorder)
    if invoice_date is None:
        raise invalid_workorder(number, "WorkEndDate '', WorkDate '', CreationDate ''")
    default_vat = Decimal(settings.default_vat_rate)
    lines: list[NewOrderLine] = []
    if settings.include_hours:
        lines += _hour_lines(workorder, number, settings, hour_types, default_vat)
    if settings.include_materials:
        lines += _material_lines(workorder, number, products, default_vat)
    if not lines:
        # A text line alone would be an empty invoice that still takes an invoice number.
        raise nothing_to_invoice(number)
    if settings.work_description_line:
        lines += _description_line(workorder, default_vat)
    attachments = [attachment] if attachment is not None and settings.attach_workorder_pdf else None
    order = NewOrder(
        order_type=OrderType.INVOICE,
        order_direction=OrderDirection.INCOME,
        order_date=invoice_date,
        expiry_date=invoice_date + timedelta(days=settings.payment_term_days),
        reference=number,
        order_title=f"{TITLE_PREFIX} {number}",
        external_provider_id=external_reference(tenant_id, workorder.id),
        customer=OrderCustomer(party_id=customer_party_id),
        order_lines=lines,
        attachments=attachments,
    )
    return PlannedInvoice(order=order, expected=expected_totals(lines), invoice_date=invoice_date)
