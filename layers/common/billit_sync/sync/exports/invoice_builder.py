"""One completed OutSmart work order → the body of Billit's ``POST /v1/orders``. Pure: no I/O.

The invoice (issue 5 item 2):

- header: ``Invoice``/``Income``; the invoice date is the day the invoice is issued (Belgian
  practice: the date of issue, passed in by the exporter) and ``DeliveryDate`` the service
  date, i.e. when the work was actually done: the latest ``Workperiods[].WorkDate``, else the
  day the connector first saw the order ``Compleet`` — never the *scheduled* ``WorkDate``/
  ``WorkEndDate`` (outsmart-api.md §4.1 "Safe dates"); the due date from the payment term,
  the work order number in ``Comments`` ("Werkbon WB-1042", in the customer's language;
  ``Reference``/``OrderTitle`` are the *buyer's* PO and reference, which a work order does not
  carry: billit-api.md §3), a deterministic ``ExternalProviderID``
  (``jobs.external_reference``), the customer by ``PartyID`` with its name and VAT number, the
  work-order PDF when given and switched on; never an ``OrderNumber`` (Billit numbers invoices);
- the customer's VAT regime (``vat_regime``): in a 0 % regime (co-contractor, intra-EU,
  export, outside scope) every line is at 0 %, the header carries the ventilation code as a
  string and ``Comments`` the legal mention in the customer's language;
- hours: one line per hour type (periods without one use the ``default_hour_type`` setting),
  priced and taxed from the hour type. A work order with its own ``MinimumHours`` or
  ``RoundingAmount`` (desc:1984-1985) is billed as the customer signed it: the order's total
  time is rounded *up* to a multiple of ``RoundingAmount`` minutes, then raised to
  ``MinimumHours``; the hour-type lines keep the registered time and the difference is one
  separate line at the hour type of the longest period (several hour types → a log-panel
  note). Such an order ignores the tenant's ``hour_rounding`` step (rounding again would bill
  more than was signed); an order without a rule is rounded per hour type by that step;
- materials: one line per material row, VAT (and unit, product) from the mapped Billit
  product, else the default rate; ``MaterialDiscountPercentage`` (with
  ``MaterialOriginalPrice`` when given) becomes the line's ``ReductionPercentage``, and a
  non-zero ``MaterialTotalPrice`` that disagrees with quantity x price - discount by more than
  a cent stops the export naming both figures;
- ``PaymentMethod`` decides whether and how: on account → invoice; paid on site → invoice and
  mark paid (or as the settings say); as per quote / unknown → as the settings say;
- the work description as a text line (quantity 0), after the others, at the invoice's VAT
  (0 % in a 0 % regime, else the first priced line's rate: no VAT category of its own); a
  work order with no hour or material line left is ``nothing_to_invoice`` (never an empty
  invoice that takes a number in Billit's consecutive series).

**Billit's precision** (billit-api.md §8 "Decimals"): a company keeps quantities and unit
prices to 2 decimals unless extended to 3-5 (``ExportSettings.billit_decimals``). One rule
for every line that does not fit (``fit_to_decimals``): *a line whose exact quantity or unit
price has more decimals than the company keeps is sent as quantity 1 at the exact amount*
(quantity x unit price less its reduction, rounded half up to the cent), the quantity and
price shown in the description: 20 minutes at 60.00/h on a 2-decimal company is ``1 x 20.00``
"Arbeid monteur (0:20 h x 60.00)", never ``0.33 x 60.00 = 19.80``. Nothing is rounded
silently, so the invoice is the amount the office expects.

Amounts are ``Decimal`` throughout; ``PlannedInvoice.expected`` holds the totals Billit will
compute (billit-api.md §8 "Calculation": each line's net ``round_half_up(Quantity x
UnitPriceExcl x (1 - reduction), 2)``; VAT per rate on the summed nets, ``round_half_up(sum x
rate / 100, 2)``, never per line: three lines of 0.35 at 21 % have VAT 0.22, not 0.21).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from billit_sync import messages
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
    fixed_price_quote_skipped,
    implausible_value,
    invalid_workorder,
    material_prices_contradict,
    material_total_mismatch,
    missing_hour_type,
    nothing_to_invoice,
    paid_on_site_skipped,
    unknown_hour_type,
    unknown_materials,
    unknown_payment_method,
)
from billit_sync.sync.exports.vat_regime import STANDARD, CustomerVat
from billit_sync.tenant_settings import (
    ExportSettings,
    FixedPriceQuote,
    PaidOnSite,
    UnknownPaymentMethod,
)

CENT = Decimal("0.01")
# Hours are computed to 5 decimals (the most any Billit company keeps, billit-api.md §8), then
# fitted to the company's decimals by ``fit_to_decimals``.
MAX_PLACES = 5
_PLACES = Decimal(1).scaleb(-MAX_PLACES)
# ``TotalTime`` "HH:MM" arrives as decimal hours rounded to 6 places when minutes/60 does not
# terminate ("00:20" → 0.333333): within this many minutes of a whole minute, it is one.
_WHOLE_MINUTE_TOLERANCE = Decimal("0.001")
_MINUTES_PER_DAY = 24 * 60
_MAX_MINIMUM_HOURS = 24  # MinimumHours above a day is a typo, not a rule


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


Notice = tuple[str, dict[str, str]]
"""A log-panel message key and its parameters, for something the office should check."""


@dataclass(frozen=True)
class PlannedInvoice:
    order: NewOrder
    expected: ExpectedTotals
    invoice_date: date
    service_date: date | None = None
    paid_on_site: str | None = None
    """The ``PaymentMethod`` text when the invoice is to be marked paid (paid on site)."""
    notices: tuple[Notice, ...] = ()
    # For the plausibility limits: the hours billed and the largest quantity of one line
    # (before ``fit_to_decimals`` folds a line into quantity 1).
    billed_hours: Decimal = Decimal(0)
    largest_quantity: Decimal = Decimal(0)


# ---------------------------------------------------------------------------------------------
# Small exact helpers
# ---------------------------------------------------------------------------------------------


def round_half_up(value: Decimal) -> Decimal:
    """To cents, half up: how Billit rounds line totals and VAT."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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


def line_net(line: NewOrderLine) -> Decimal:
    """A line's ``TotalExcl``: quantity x unit price less the reduction, to the cent (the UBL
    line amount has 2 decimals, billit-api.md §8)."""
    price = line.unit_price_excl if line.unit_price_excl is not None else Decimal(0)
    reduction = line.reduction_percentage or Decimal(0)
    return round_half_up(line.quantity * price * (100 - reduction) / 100)


def expected_totals(lines: list[NewOrderLine]) -> ExpectedTotals:
    """The totals Billit computes: nets summed per VAT rate, VAT rounded once per rate
    (billit-api.md §8 "Calculation": "aggregates items by VAT rate before calculating and
    applies rounding at the final step")."""
    per_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = line.vat_percentage if line.vat_percentage is not None else Decimal(0)
        per_rate[rate] = per_rate.get(rate, Decimal("0.00")) + line_net(line)
    excl = sum(per_rate.values(), Decimal("0.00"))
    vat = sum((round_half_up(net * rate / 100) for rate, net in per_rate.items()), Decimal("0.00"))
    return ExpectedTotals(excl=excl, vat=vat, incl=excl + vat)


def _exact_hours_minutes(quantity: Decimal) -> Decimal | None:
    """The whole minutes behind an hours quantity computed to 5 decimals (``0.33333`` → 20),
    or ``None`` when it is not within ``_WHOLE_MINUTE_TOLERANCE`` of a whole minute."""
    minutes = quantity * 60
    whole = minutes.to_integral_value(rounding=ROUND_HALF_UP)
    return whole if abs(minutes - whole) <= _WHOLE_MINUTE_TOLERANCE else None


def _fitting(value: Decimal, decimals: int) -> Decimal | None:
    """``value`` tidied when it has at most ``decimals`` decimals, else ``None``."""
    try:
        fits = value == value.quantize(Decimal(1).scaleb(-decimals))
    except InvalidOperation:  # more digits than Decimal's precision: it fits nothing
        return None
    return _tidy(value) if fits else None


def fit_to_decimals(
    line: NewOrderLine, decimals: int, *, hours: bool = False
) -> tuple[NewOrderLine, Decimal]:
    """The line as a company keeping ``decimals`` decimals takes it, and the hours it bills.

    The one rule (module docstring): a line whose exact quantity (for hours: the whole minutes
    / 60) and unit price both fit is sent as it is; otherwise it becomes quantity 1 at the
    exact amount, with its quantity, price (and reduction) in the description. Text lines
    (quantity 0) are left alone.
    """
    price = line.unit_price_excl if line.unit_price_excl is not None else Decimal(0)
    minutes = _exact_hours_minutes(line.quantity) if hours else None
    exact = line.quantity if minutes is None else minutes / 60
    billed_hours = exact if hours else Decimal(0)
    if line.quantity == 0:
        return line, billed_hours
    quantity, unit_price = _fitting(exact, decimals), _fitting(price, decimals)
    if quantity is not None and unit_price is not None:
        return line.model_copy(update={"quantity": quantity}), billed_hours
    reduction = line.reduction_percentage or Decimal(0)
    gross = minutes * price / 60 if minutes is not None else line.quantity * price
    amount = round_half_up(gross * (100 - reduction) / 100)
    shown = f"{_hours_text(minutes)} h" if minutes is not None else str(_tidy(line.quantity))
    shown += f" x {price}" + (f" - {_tidy(reduction)} %" if reduction else "")
    description, extended = _cut(f"{line.description} ({shown})")
    if line.description_extended:
        extended = " ".join(part for part in (extended, line.description_extended) if part)
    folded = line.model_copy(
        update={
            "quantity": Decimal(1),
            "unit_price_excl": amount,
            "reduction_percentage": None,
            "description": description,
            "description_extended": extended,
        }
    )
    return folded, billed_hours


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


def completion_date(workorder: WorkOrder, first_seen: date | None = None) -> date | None:
    """When the work was actually done: the latest ``Workperiods[].WorkDate`` (desc:2024-2034),
    else ``first_seen`` (the day the connector first saw the order ``Compleet``), else
    ``None``. ``WorkDate``/``WorkEndDate`` are the *scheduled* dates (desc:1965-1968) and
    ``CreationDate`` is when the office created the order: neither says when work was done."""
    period_dates = [p.work_date for p in workorder.workperiods if p.work_date is not None]
    if period_dates:
        return max(period_dates)
    return first_seen


class PaymentHandling(StrEnum):
    INVOICE = "invoice"
    MARK_PAID = "mark_paid"


def payment_handling(
    workorder: WorkOrder, number: str, settings: ExportSettings
) -> PaymentHandling:
    """What ``PaymentMethod`` (desc:1963, 2431) means for this invoice, per the tenant's lists
    (compared trimmed, case-insensitive, single spaces). An empty method is "not given":
    invoiced normally. Raises ``ExportSkipped`` (paid on site or as per quote, and the
    setting says skip) or ``unknown_payment_method`` (a value in no list, setting 'review')."""
    rules = settings.workorders
    shown = " ".join(workorder.payment_method.split())
    method = shown.casefold()
    if not method or method in rules.on_account_methods:
        return PaymentHandling.INVOICE
    if method in rules.paid_on_site_methods:
        if rules.paid_on_site is PaidOnSite.SKIP:
            raise paid_on_site_skipped(number, shown)
        if rules.paid_on_site is PaidOnSite.MARK_PAID:
            return PaymentHandling.MARK_PAID
        return PaymentHandling.INVOICE
    if method in rules.fixed_price_quote_methods:
        if rules.fixed_price_quote is FixedPriceQuote.SKIP:
            raise fixed_price_quote_skipped(number, shown)
        return PaymentHandling.INVOICE
    if rules.unknown_payment_method is UnknownPaymentMethod.REVIEW:
        raise unknown_payment_method(number, shown)
    return PaymentHandling.INVOICE


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


@dataclass(frozen=True)
class _BilledTimeRule:
    """The work order's own ``RoundingAmount`` (minutes) and ``MinimumHours`` (as minutes)."""

    rounding_minutes: Decimal | None
    minimum_minutes: Decimal | None

    @property
    def applies(self) -> bool:
        return self.rounding_minutes is not None or self.minimum_minutes is not None

    def billed(self, registered: Decimal) -> Decimal:
        """Round the registered total *up* to a multiple, then raise it to the minimum
        (outsmart-api.md §4.1 "Billed hours"). Nothing registered bills nothing."""
        if registered <= 0:
            return registered
        billed = registered
        if self.rounding_minutes is not None:
            billed = math.ceil(registered / self.rounding_minutes) * self.rounding_minutes
        if self.minimum_minutes is not None:
            billed = max(billed, self.minimum_minutes)
        return Decimal(billed)


def _billed_time_rule(workorder: WorkOrder, number: str) -> _BilledTimeRule:
    """0, empty or missing = no rule (the examples' ``"0.00"``, desc:2120-2121); negative or
    beyond a day is not plausible."""
    rounding = workorder.rounding_amount
    minimum = workorder.minimum_hours
    if rounding is not None and not 0 <= rounding <= _MINUTES_PER_DAY:
        raise implausible_value(
            number, "RoundingAmount", _tidy(rounding).to_eng_string(), "0-1440 min"
        )
    if minimum is not None and not 0 <= minimum <= _MAX_MINIMUM_HOURS:
        raise implausible_value(number, "MinimumHours", _tidy(minimum).to_eng_string(), "0-24 h")
    return _BilledTimeRule(
        rounding_minutes=rounding if rounding else None,
        minimum_minutes=minimum * 60 if minimum else None,
    )


def _hours_quantity(minutes: Decimal) -> Decimal:
    return _tidy((minutes / 60).quantize(_PLACES, rounding=ROUND_HALF_UP))


def _hour_line(
    info: HourTypeInfo, code: str, minutes: Decimal, default_vat: Decimal, text: str | None = None
) -> NewOrderLine:
    description, extended = _cut(text or info.name.strip() or code)
    return NewOrderLine(
        quantity=_hours_quantity(minutes),
        unit_price_excl=info.sale_price,
        description=description,
        description_extended=extended,
        reference=code,
        vat_percentage=info.vat_rate if info.vat_rate is not None else default_vat,
        product_id=info.billit_product_id,
    )


def _extra_time_text(info: HourTypeInfo, code: str, rule: _BilledTimeRule, rounded: Decimal) -> str:
    """The extra line's description, in the werkbon's language (Dutch, like its title)."""
    name = info.name.strip() or code
    if rule.minimum_minutes is not None and rule.minimum_minutes > rounded:
        return f"{name} - minimumduur werkbon {_hours_text(rule.minimum_minutes)} u"
    step = _tidy(rule.rounding_minutes or Decimal(0))
    return f"{name} - afronding werkbon per {step} min"


def _hour_lines(
    workorder: WorkOrder,
    number: str,
    settings: ExportSettings,
    hour_types: Mapping[str, HourTypeInfo],
    default_vat: Decimal,
) -> tuple[list[NewOrderLine], list[Notice]]:
    rule = _billed_time_rule(workorder, number)
    default_code = settings.workorders.default_hour_type or ""
    totals: dict[str, Decimal] = {}  # hour type → minutes, in order of first appearance
    longest: tuple[Decimal, str] | None = None  # (minutes, hour type) of the longest period
    for period in workorder.workperiods:
        # desc:2033: HourType is optional and "" in the GetWorkorders example (desc:2647).
        code = period.hour_type.strip() or default_code
        minutes = _period_minutes(period, number)
        totals[code] = totals.get(code, Decimal(0)) + minutes
        if longest is None or minutes > longest[0]:
            longest = (minutes, code)
    lines: list[NewOrderLine] = []
    registered = Decimal(0)
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
        registered += minutes
        billed = minutes if rule.applies else settings.hour_rounding.round_up(minutes)
        lines.append(_hour_line(info, code, billed, default_vat))
    notices: list[Notice] = []
    if not rule.applies or registered <= 0 or longest is None:
        return lines, notices
    extra = rule.billed(registered) - registered
    if extra <= 0:
        return lines, notices
    code = longest[1]
    info = hour_types[code]
    rounded = _BilledTimeRule(rule.rounding_minutes, None).billed(registered)
    lines.append(
        _hour_line(info, code, extra, default_vat, _extra_time_text(info, code, rule, rounded))
    )
    used = [c for c, m in totals.items() if m > 0]
    if len(used) > 1:
        notices.append(
            (
                messages.EXPORT_EXTRA_HOURS_SEVERAL_TYPES,
                {
                    "workorder_no": number,
                    "extra": _hours_text(extra),
                    "hour_type": code,
                    "hour_types": ", ".join(used),
                },
            )
        )
    return lines, notices


def _money_text(value: Decimal) -> str:
    """``13.65`` → ``13,65``: amounts in messages as the office reads them in OutSmart."""
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def _priced(material: WorkOrderMaterial, index: int, number: str) -> tuple[Decimal, Decimal]:
    """(unit price, reduction %) of a material row.

    ``MaterialDiscountPercentage`` d (0-100) becomes the line's reduction. With a
    ``MaterialOriginalPrice`` that differs from ``MaterialPrice``: ``MaterialPrice`` must be
    the original price less d % (to the cent), and the invoice shows the original price with
    the reduction; anything else contradicts itself (like the spec's own example: price 233,
    original 150, discount 100 %) and stops the export. Without a discount, an original price
    above ``MaterialPrice`` becomes the reduction when it is a whole number of hundredths of a
    percent; otherwise ``MaterialPrice`` is billed as it is.
    """
    label = material.code.strip() or material.name.strip()
    price = material.price
    if price is None:
        raise invalid_workorder(number, f"MaterialPrice '' ({label})")
    discount = material.discount_percentage or Decimal(0)
    if not 0 <= discount <= 100:
        field = f"Materials[{index}].MaterialDiscountPercentage"
        raise implausible_value(number, field, _tidy(discount).to_eng_string(), "0-100 %")
    original = material.original_price
    if original is None or original == price or original <= 0:
        return price, discount
    if discount:
        if round_half_up(original * (100 - discount) / 100) != round_half_up(price):
            raise material_prices_contradict(
                number,
                label,
                _money_text(price),
                _money_text(original),
                _tidy(discount).to_eng_string(),
            )
        return original, discount
    implied = (original - price) * 100 / original
    if original > price and implied == implied.quantize(CENT):
        return original, _tidy(implied)
    return price, Decimal(0)


def _material_line(  # noqa: PLR0917 - one material row and its context
    material: WorkOrderMaterial,
    index: int,
    quantity: Decimal,
    number: str,
    info: ProductInfo | None,
    default_vat: Decimal,
) -> NewOrderLine:
    code = material.code.strip()
    unit_price, reduction = _priced(material, index, number)
    text = material.name.strip() or code
    if not text:
        raise invalid_workorder(number, "MaterialName '' (MaterialCode '')")
    _check_total(material, quantity, unit_price, reduction, number)
    description, extended = _cut(text)
    vat = info.vat_rate if info is not None and info.vat_rate is not None else default_vat
    unit = info.unit.strip() if info is not None and info.unit else ""
    return NewOrderLine(
        quantity=quantity,
        unit_price_excl=unit_price,
        description=description,
        description_extended=extended,
        reference=code or None,
        vat_percentage=vat,
        unit=unit or None,
        product_id=info.billit_product_id if info is not None else None,
        reduction_percentage=reduction if reduction else None,
    )


def _check_total(
    material: WorkOrderMaterial,
    quantity: Decimal,
    unit_price: Decimal,
    reduction: Decimal,
    number: str,
) -> None:
    """``MaterialTotalPrice`` is undefined in the spec (only ``"0,00"`` in the examples,
    desc:2537): a zero or missing total is "not computed"; any other total must be quantity x
    price - discount within a cent, or the office has to say which figure is right."""
    given = material.total_price
    if given is None or given == 0:
        return
    computed = round_half_up(quantity * unit_price * (100 - reduction) / 100)
    if abs(given - computed) <= CENT:
        return
    detail = f"{_tidy(quantity)} x {_money_text(unit_price)}"
    if reduction:
        detail += f" - {_tidy(reduction)} %"
    raise material_total_mismatch(
        number,
        material.code.strip() or material.name.strip(),
        _money_text(given),
        _money_text(computed),
        detail,
    )


def _material_lines(
    workorder: WorkOrder,
    number: str,
    products: Mapping[str, ProductInfo],
    default_vat: Decimal,
) -> list[NewOrderLine]:
    # Rows without a quantity (empty or 0) are not invoiced, whatever their code.
    used = [(i, m, m.quantity) for i, m in enumerate(workorder.materials) if m.quantity]
    unknown: dict[str, str] = {}
    for _, material, _ in used:
        code = material.code.strip()
        if code and code not in products and code not in unknown:
            unknown[code] = material.name.strip()
    if unknown:
        raise unknown_materials(number, unknown.items())
    return [
        _material_line(
            material, index, quantity, number, products.get(material.code.strip()), default_vat
        )
        for index, material, quantity in used
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
    issued_on: date | None = None,
    first_seen: date | None = None,
    customer: CustomerVat = STANDARD,
) -> PlannedInvoice:
    """The Billit invoice for one completed work order, and the totals Billit will compute.

    ``issued_on`` is the invoice date (the exporter passes today in OutSmart's zone; without
    it, the service date); ``first_seen`` the day the connector first saw the order
    ``Compleet``, the service date of an order without work periods. ``customer`` is the
    customer's VAT regime as read from its Billit party (``vat_regime.customer_vat``); a
    customer the connector creates has the standard regime.

    Raises ``ExportProblem``: ``invalid_workorder`` (no date at all, unreadable time),
    ``implausible_value``, ``missing_hour_type``/``unknown_hour_type``, ``unknown_material``
    (one) or ``unknown_materials`` (several, all named), ``material_total_mismatch``,
    ``material_prices_contradict``, ``unknown_payment_method``, ``nothing_to_invoice``; and
    ``ExportSkipped`` when the settings say not to invoice this payment method.
    """
    number = workorder_number(workorder)
    handling = payment_handling(workorder, number, settings)
    service_date = completion_date(workorder, first_seen)
    if service_date is None:
        raise invalid_workorder(number, "Workperiods[].WorkDate ''")
    invoice_date = issued_on or service_date
    default_vat = Decimal(settings.default_vat_rate)
    hour_lines: list[NewOrderLine] = []
    lines: list[NewOrderLine] = []
    notices: list[Notice] = []
    if settings.include_hours:
        hour_lines, notices = _hour_lines(workorder, number, settings, hour_types, default_vat)
    if settings.include_materials:
        lines += _material_lines(workorder, number, products, default_vat)
    if not hour_lines and not lines:
        # A text line alone would be an empty invoice that still takes an invoice number.
        raise nothing_to_invoice(number)
    largest_quantity = max((line.quantity for line in hour_lines + lines), key=abs)
    fitted = [fit_to_decimals(line, settings.billit_decimals, hours=True) for line in hour_lines]
    fitted += [fit_to_decimals(line, settings.billit_decimals) for line in lines]
    lines = [_with_regime_vat(line, customer) for line, _ in fitted]
    billed_hours = sum((hours for _, hours in fitted), Decimal(0))
    if settings.work_description_line:
        text_vat = Decimal(0) if customer.zero_rated else lines[0].vat_percentage
        lines += _description_line(workorder, text_vat if text_vat is not None else default_vat)
    attachments = [attachment] if attachment is not None and settings.attach_workorder_pdf else None
    order = NewOrder(
        order_type=OrderType.INVOICE,
        order_direction=OrderDirection.INCOME,
        order_date=invoice_date,
        expiry_date=invoice_date + timedelta(days=settings.payment_term_days),
        delivery_date=service_date,
        comments=_comments(number, customer),
        ventilation_code=customer.ventilation_code,
        external_provider_id=external_reference(tenant_id, workorder.id),
        customer=OrderCustomer(
            party_id=customer_party_id, name=customer.name, vat_number=customer.vat_number
        ),
        order_lines=lines,
        attachments=attachments,
    )
    return PlannedInvoice(
        order=order,
        expected=expected_totals(lines),
        invoice_date=invoice_date,
        service_date=service_date,
        paid_on_site=(
            " ".join(workorder.payment_method.split())
            if handling is PaymentHandling.MARK_PAID
            else None
        ),
        notices=tuple(notices),
        billed_hours=billed_hours,
        largest_quantity=largest_quantity,
    )


def _with_regime_vat(line: NewOrderLine, customer: CustomerVat) -> NewOrderLine:
    """0 % on every line of a 0 % regime; the code goes on the header only (billit-api.md §8:
    a 0 % line takes the header's code; line codes only for several 0 % codes)."""
    if not customer.zero_rated:
        return line
    return line.model_copy(update={"vat_percentage": Decimal(0)})


def _comments(number: str, customer: CustomerVat) -> str:
    """The seller's work-order number (billit-api.md §3: ``Comments``, → UBL ``Note`` and the
    PDF) and, in a 0 % regime, the legal mention, both in the customer's language."""
    parts = [f"{customer.workorder_label} {number}"]
    if customer.legal_mention:
        parts.append(customer.legal_mention)
    return "\n".join(parts)
