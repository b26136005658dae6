"""A stateful, in-memory fake of OutSmart OpenAPI 8, following ``shared/reference/outsmart-api.md``.

One ``OutSmartFake`` serves many tenants (one tenant token = one OutSmart customer with its own
data) behind one software token. It answers like OutSmart does: always HTTP 200 with the
``{"code","messages","response"}`` envelope, the error codes of the reference, work orders in
the API's JSON shape (every value a string, decimal commas in materials, dots in hour types),
and, crucially, ``update_status`` defaulting to ``true`` on GetWorkorders/GetWorkorder: a
client that forgets ``update_status=false`` marks every fetched work order ``Afgehandeld``.

Runs inside tests (respx or ``httpx.MockTransport`` route to ``handle``) and as a real server on
127.0.0.1 (``tests.fakes.server.serve(fake.handle)``). Faults come from ``faults`` (a
``FaultPlan``). Plain HTTP is accepted (code 1006 is not simulated: tests run on loopback).

Master-data POSTs are checked as strictly as the spec reads (issue 17): a field neither the
Blueprint's table nor spec.json's request schema names is refused, so are missing required
fields (``xx01``, ``response: null`` for the whole batch), values of the wrong JSON type, prices
not written as the examples write them, and every bad hour type row with 1801 (desc:188).
``DeleteEntity`` follows desc:2680-2794, ``delete_all=true`` included.

Where the reference is silent the fake picks a plausible answer; those choices are the
``FAKE_*`` constants below, each marked ⚠. Where it gives two forms, a constructor flag picks
one per test (``hourtype_zero_price_accepted``, ``workstatus_missing_code``).
"""

import copy
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

import httpx

from tests.fakes.faults import FaultPlan, apply_faults

DEFAULT_SOFTWARE_TOKEN: Final = "outsmart-software-token"
# desc:2503, 2619: every example PdfUrl is http://www.werkbonapp.nl/mailpdf.php?...&sheet_id=…
PDF_HOST: Final = "http://www.werkbonapp.nl"

# desc:2431: the documented PaymentMethod values, with the spec's own "contact voldaan" (sic,
# for "contant voldaan"); desc:3028-3056: tenants keep their own list, and an example posts
# "niet van toepassing1" (outsmart-api.md §4.1 PaymentMethod).
PAYMENT_METHODS: Final = (
    "niet van toepassing",
    "op rekening",
    "contact voldaan",
    "pin betaling",
    "conform offerte",
)

WORKORDER_STATUSES: Final = ("Alle", "Opgehaald", "Klaargezet", "Compleet", "Afgehandeld")
HANDLED: Final = "Afgehandeld"

# ⚠ The reference documents no code for a missing/invalid ``status`` on GetWorkorders; the fake
# answers 1501 (the "missing field" code of the work-order calls).
FAKE_MISSING_STATUS_CODE: Final = 1501
# ⚠ Contact persons have no entity code in the reference; the fake uses the relation's (13),
# since a contact person belongs to a relation.
FAKE_CONTACTPERSON_ENTITY: Final = 13
# ⚠ An empty array is answered like an empty body (1008); a JSON body that is not an array, or
# whose rows are not objects, like unparsable JSON (1009).
FAKE_EMPTY_ARRAY_CODE: Final = 1008
FAKE_NOT_AN_ARRAY_CODE: Final = 1009
# ⚠ A batch is validated as a whole before anything is stored (all-or-nothing).
FAKE_ATOMIC_BATCHES: Final = True
# ⚠ UpdateWorkorder with a ``workstatus`` that is no known ``sta_code`` is refused with 1504.
FAKE_UNKNOWN_WORKSTATUS_CODE: Final = 1504
# ⚠ Upsert keys as the connector assumes them (only ``cpn_code`` is documented).
UPSERT_KEYS: Final[dict[str, str]] = {
    "relations": "debtor_number",
    "contactpersons": "cpn_code",
    "materials": "code",
    "categories": "cat_code",
    "hourtypes": "code",
    "workstatusses": "sta_code",
}


@dataclass(frozen=True)
class EntitySpec:
    entity_code: int  # xx of xx00 (insert/update failed) and xx01 (required field missing)
    required: tuple[str, ...]  # the prose table's "Y" fields
    listed: tuple[str, ...]  # the fields a GET returns
    # Every field the spec names for a POST row: the prose table plus spec.json's request
    # schema (``#/paths/~1<entity>/post/requestBody/content/application~1json/schema/items``).
    allowed: frozenset[str] = frozenset()
    integers: frozenset[str] = frozenset()  # spec.json types these "integer"; the rest "string"


# ⚠ An unknown key in a POST row is undocumented (outsmart-api.md §4.2); the fake takes the
# safest reading, a refusal, answered as the entity's "insert or update failed" (xx00).
FAKE_UNKNOWN_FIELD_SUFFIX: Final = 0
# ⚠ A JSON number, object or array where spec.json types the field "string" is refused the same
# way (every example sends text; ``null`` appears in examples and is accepted).
FAKE_WRONG_TYPE_SUFFIX: Final = 0

_RELATION_SCHEMA: Final = frozenset(
    {
        "name", "debtor_number", "street", "postal_code", "city", "contact", "phone_number",
        "mobile", "country", "email", "latitude", "longitude", "kvk_number", "vat_number",
        "language", "accountmanager", "pgp_code", "source", "debtor_type", "active",
        "lead_phase", "val_value_2", "val_value_3", "val_value_4", "val_value_5",
        "val_value_7", "val_value_8", "val_value_9",
    }
)  # fmt: skip

ENTITIES: Final[dict[str, EntitySpec]] = {
    # desc:801-815 (prose) + spec.json's relations schema (28 fields, ``active`` an integer).
    "relations": EntitySpec(
        13,
        ("name", "debtor_number", "street", "postal_code", "city"),
        (
            "name",
            "debtor_number",
            "contact",
            "phone_number",
            "email",
            "email_workorder",
            "street",
            "house_number",
            "postal_code",
            "city",
            "remark",
            "latitude",
            "longitude",
        ),
        allowed=_RELATION_SCHEMA
        | {"email_workorder", "house_number", "remark"},  # prose only (desc:808, 810, 813)
        integers=frozenset({"active"}),
    ),
    # desc:3866-3872; the schema has the same five fields.
    "contactpersons": EntitySpec(
        FAKE_CONTACTPERSON_ENTITY,
        ("cpn_debtor_nr", "cpn_code", "cpn_name"),
        ("cpn_debtor_nr", "cpn_code", "cpn_name", "cpn_phone", "cpn_email"),
        allowed=frozenset({"cpn_debtor_nr", "cpn_code", "cpn_name", "cpn_phone", "cpn_email"}),
    ),
    # desc:368-380 (prose, freefield1..5) + spec.json's example fields ``note``, ``vat_code``.
    "materials": EntitySpec(
        12,
        ("code", "description", "price", "unit"),
        ("code", "description", "price", "unit"),
        allowed=frozenset(
            {"code", "description", "price", "unit", "eancode", "barcode", "note", "vat_code"}
            | {f"freefield{n}" for n in range(1, 6)}
        ),
    ),
    # desc:475-481.
    "categories": EntitySpec(
        24,
        ("cat_code", "cat_name", "cat_display"),
        ("cat_code", "cat_name", "cat_display", "cat_cat_code"),
        allowed=frozenset({"cat_code", "cat_name", "cat_display", "cat_cat_code", "cat_image"}),
    ),
    # desc:681-684.
    "material_categories": EntitySpec(
        25,
        ("mct_mat_code", "mct_cat_code"),
        ("mct_mat_code", "mct_cat_code"),
        allowed=frozenset({"mct_mat_code", "mct_cat_code"}),
    ),
    # desc:1024-1032.
    "hourtypes": EntitySpec(
        18,
        ("code", "name", "cost_booking", "sale_booking", "sale_price"),
        ("code", "name", "cost_booking", "sale_booking", "sale_price", "cost_price", "active"),
        allowed=frozenset(
            {"code", "name", "cost_booking", "sale_booking", "sale_price", "cost_price", "active"}
        ),
    ),
    # desc:3592-3595.
    "workstatusses": EntitySpec(
        28,
        ("sta_code", "sta_name"),
        ("sta_code", "sta_name"),
        allowed=frozenset({"sta_code", "sta_name"}),
    ),
}

# 1801: "A required field is missing, active is not 1 or 0 or price cannot be parsed"
# (desc:188): every refusal of an hour type row is 1801, not 1800.
HOURTYPE_INVALID: Final = 1801
# ⚠ The workstatusses "required missing" example answers 2501 (desc:3645) where the code table
# says 2801 (desc:208): the fake plays either, chosen per test (``workstatus_missing_code``).
WORKSTATUS_MISSING_CODES: Final = (2801, 2501)
# DeleteEntity's allowed keys per entity (desc:2686-2712).
DELETE_KEYS: Final[dict[str, frozenset[str]]] = {
    "workorder": frozenset({"db_row", "workorder_no", "order_no"}),
    "employee": frozenset({"db_row", "number"}),
    "material": frozenset({"db_row", "code", "description"}),
    "relation": frozenset({"db_row", "name", "debtor_number"}),
    "project": frozenset({"code"}),
    "hourtype": frozenset({"code"}),
    "category": frozenset({"code"}),
    "address": frozenset({"code"}),
    "contactperson": frozenset({"code"}),
    "object": frozenset({"code"}),
    "location": frozenset({"identifier"}),
    "material_category": frozenset({"mct_mat_code", "mct_cat_code"}),
    "error": frozenset({"code"}),
    "priority": frozenset({"code"}),
    "solution": frozenset({"code"}),
    "region": frozenset({"code"}),
    "vehicle": frozenset({"license_plate"}),
    "object_part": frozenset({"obj_code", "prt_code", "serial_number"}),
}
_MATERIAL_PRICE = re.compile(r"-?\d+(,\d+)?")  # decimal comma, as desc:392 ("4,55")
_HOURTYPE_PRICE = re.compile(r"\d+(\.\d+)?")  # decimal dot, as desc:1045 ("50.00")
_ISO_COUNTRY = re.compile(r"[A-Za-z]{2}")
# DeleteEntity keys whose stored column has another name (the rest match one to one).
_DELETE_COLUMNS: Final[dict[tuple[str, str], str]] = {
    ("contactperson", "code"): "cpn_code",
    ("category", "code"): "cat_code",
    ("workorder", "workorder_no"): "WorkorderNo",
    ("workorder", "order_no"): "OrderNr",
}

_NUMBER = re.compile(r"-?\d+([.,]\d+)?")
_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_FALSE_TEXT = frozenset({"false", "0", "no", "off", ""})


class _Refusal(Exception):
    """An envelope error: ``code`` and messages, answered with HTTP 200."""

    def __init__(self, code: int, *messages: str) -> None:
        super().__init__(code, messages)
        self.code = code
        self.messages = list(messages)


Answer = tuple[int, list[str], Any]  # envelope code, messages, response
Route = Callable[["OutSmartTenant", httpx.Request], Answer]


@dataclass
class InjectedError:
    """An envelope error (HTTP 200) answered instead of processing, e.g. 1007."""

    code: int
    endpoint: str | None
    times: int  # -1 = every matching call
    message: str


@dataclass
class RecordedCall:
    """One request as the fake saw it; ``query`` has no ``token``/``software_token``."""

    method: str
    path: str
    endpoint: str
    query: dict[str, str]
    body: Any = None
    tenant: str | None = None  # the tenant's name, never its token
    code: int | None = None  # the envelope code answered (None: a fault answered instead)


def _text(value: Any) -> str:
    """OutSmart stores and returns every value as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    text = _text(value).strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _money(value: Decimal, separator: str) -> str:
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f").replace(
        ".", separator
    )


def _flag_param(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() not in _FALSE_TEXT


def _valid_date(text: str) -> bool:
    match = _DATE.fullmatch(text)
    if not match:
        return False
    try:
        datetime(int(match[3]), int(match[2]), int(match[1]), tzinfo=UTC)
    except ValueError:
        return False
    return True


def _minutes(text: str) -> int | None:
    match = _TIME.fullmatch(text) or re.fullmatch(r"(\d+):([0-5]\d)", text)
    return int(match[1]) * 60 + int(match[2]) if match else None


@dataclass
class OutSmartTenant:
    """One OutSmart customer's data: plain, inspectable state the responses are rendered from."""

    token: str
    name: str
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    pdf_host: str = PDF_HOST
    workorders: dict[str, dict[str, Any]] = field(default_factory=dict)
    relations: dict[str, dict[str, Any]] = field(default_factory=dict)
    contact_persons: dict[str, dict[str, Any]] = field(default_factory=dict)
    materials: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    material_categories: set[tuple[str, str]] = field(default_factory=set)
    hour_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    workstatusses: dict[str, str] = field(default_factory=dict)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    handled_log: list[str] = field(default_factory=list)
    next_row_id: int = 1919

    # -- building state ---------------------------------------------------------------------

    def add_workorder(self, **fields: Any) -> dict[str, Any]:
        """Add a work order in the API's shape and return it (the stored dict itself).

        Defaults: a fresh ``id``, ``status`` ``Compleet``, ``WorkFinished`` ``"1"``, customer
        fields from the relation ``CustomerDebtorNr`` names (if known), invoice customer = work
        customer, one 2.5 h work period. ``Workperiods``/``Materials`` rows are completed
        (``TotalTime`` and ``MaterialTotalPrice`` computed, prices with decimal commas).

        ``WorkDate``/``WorkEndDate`` are the *scheduled* dates (desc:1965-1968): a period
        without its own ``WorkDate`` was worked on the scheduled day; give the periods their
        ``WorkDate`` to play the spec's example, where work was done on another day
        (``spec_example_workorder``). ``MinimumHours``/``RoundingAmount`` are ``"0.00"`` and
        ``PaymentMethod`` ``"niet van toepassing"``, as in the examples (desc:2120-2121, 2431).
        """
        with self._lock:
            row_id = _text(fields.pop("id", None)) or str(self.next_row_id)
            self.next_row_id = max(self.next_row_id, int(row_id) if row_id.isdigit() else 0) + 1
            sheet = hashlib.md5(f"{self.name}/{row_id}".encode(), usedforsecurity=False)
            sheet_id = sheet.hexdigest()
            now = datetime.now(UTC)
            work_date = _text(fields.get("WorkDate")) or now.strftime("%d-%m-%Y")
            order: dict[str, Any] = {
                "id": row_id,
                "WorkorderNo": f"WB-{row_id}",
                "OrderNr": sheet_id[:11].upper(),
                "WorkDate": work_date,
                "WorkTime": "08:00",
                "WorkEndDate": "",
                "WorkEndTime": "",
                "ProjectNr": "",
                "ExternProjectNr": "",
                **self._customer_fields(_text(fields.get("CustomerDebtorNr"))),
                "TypeOfWork": "Onderhoud",
                "WorkDescription": "Onderhoud cv-ketel",
                "InternalWorkDescription": "",
                "ShortWorkDescription": "Onderhoud",
                "Comment": "",
                "PaymentMethod": "niet van toepassing",  # the GetWorkorder(s) examples
                "CreationDate": now.strftime("%Y-%m-%d %H:%M"),
                "EmployeeNr": next(iter(self.employees), ""),
                "Archived": "0",
                "Signature": f"{sheet_id[:14]}.png",
                "SignatureUrl": f"{self.pdf_host}/uploads/handtekeningen/{sheet_id[:14]}.png",
                "PdfUrl": f"{self.pdf_host}/mailpdf.php?action=display&sheet_id={sheet_id}",
                "WordUrl": f"{self.pdf_host}/mailpdf.php?action=word&sheet_id={sheet_id}",
                "WorksheetCode": sheet_id,
                "status": "Compleet",
                "WorkFinished": "1",
                "WorkDuration": "0",
                "WorkStatus": "",
                "WorkDeadline": "",
                "PickupPlanning": "0",
                "WebPlanning": "0",
                "CpnCode": "",
                "AdrCode": "",
                "ErrorCode": "",
                "ErrorMessage": "",
                "SolutionCode": "",
                "SolutionMessage": "",
                "PriorityCode": "",
                "PriorityMessage": "",
                "MinimumHours": "0.00",  # desc:2120
                "RoundingAmount": "0.00",  # desc:2121
                "Photos": [],
                "Documents": [],
                "Forms": [],
                "Employees": [],
                "WorkObjects": [],
            }
            for key, value in fields.items():
                if key not in {"Workperiods", "Materials", "Photos", "Documents", "Forms"}:
                    order[key] = _text(value)
                else:
                    order[key] = copy.deepcopy(value)
            for key in [k for k in order if k.startswith("Customer") and "Invoice" not in k]:
                # The invoice customer is the work customer unless given separately.
                order.setdefault(f"{key}Invoice", order[key])
            default_period = {"BeginTime": "08:00", "EndTime": "10:30"}
            periods = fields.get("Workperiods", [default_period])
            order["Workperiods"] = [self._work_period(p, work_date) for p in periods]
            order["Materials"] = [self._material_line(m) for m in fields.get("Materials", [])]
            self.workorders[row_id] = order
            return order

    def _customer_fields(self, debtor_number: str) -> dict[str, str]:
        relation = self.relations.get(debtor_number, {})
        return {
            "CustomerName": _text(relation.get("name")),
            "CustomerDebtorNr": debtor_number,
            "CustomerStreet": _text(relation.get("street")),
            "CustomerStreetNo": _text(relation.get("house_number")),
            "CustomerEmail": _text(relation.get("email")),
            "CustomerZIP": _text(relation.get("postal_code")),
            "CustomerCity": _text(relation.get("city")),
            "CustomerContactPerson": _text(relation.get("contact")),
            "CustomerPhone": _text(relation.get("phone_number")),
            "CustomerRemark": _text(relation.get("remark")),
        }

    def _work_period(self, given: dict[str, Any], work_date: str) -> dict[str, str]:
        period = {
            "WorkDate": work_date,
            "BeginTime": "08:00",
            "EndTime": "10:30",
            "Break": "0",
            "Travel": "0",
            "WorkRemark": "",
            "HourType": next(iter(self.hour_types), ""),
            "EmployeeNr": next(iter(self.employees), ""),
        } | {key: _text(value) for key, value in given.items()}
        if "TotalTime" not in period:
            begin, end = _minutes(period["BeginTime"]), _minutes(period["EndTime"])
            breaks = int(period["Break"]) if period["Break"].isdigit() else 0
            total = max(0, (end or 0) - (begin or 0) - breaks)
            period["TotalTime"] = f"{total // 60:02d}:{total % 60:02d}"
        return period

    def _material_line(self, given: dict[str, Any]) -> dict[str, Any]:
        code = _text(given.get("MaterialCode"))
        known = self.materials.get(code, {})
        line: dict[str, Any] = {
            "MaterialCode": code,
            "MaterialName": _text(known.get("description")),
            "MaterialNr": "1",
            "MaterialPrice": _text(known.get("price")) or "0,00",
            "MaterialUnit": _text(known.get("unit")),
            "MaterialType": None,
            "MaterialFreeField1": None,
            "MaterialFreeField2": None,
            "MaterialFreeField3": None,
            "MaterialFreeField4": None,
            "MaterialFreeField5": None,
        } | {key: (None if value is None else _text(value)) for key, value in given.items()}
        price = _decimal(line["MaterialPrice"])
        if price is not None:
            line["MaterialPrice"] = _money(price, ",")
        quantity = _decimal(line["MaterialNr"])
        # outsmart-api.md §4.1 Materials: MaterialTotalPrice "⚠ Assumed MaterialNr x
        # MaterialPrice after any discount" (MaterialDiscountPercentage, request schema
        # #/components/schemas/Material).
        discount = _decimal(line.get("MaterialDiscountPercentage")) or Decimal(0)
        if "MaterialTotalPrice" not in given and price is not None and quantity is not None:
            line["MaterialTotalPrice"] = _money(price * quantity * (100 - discount) / 100, ",")
        line.setdefault("MaterialTotalPrice", "0,00")
        return line

    def spec_example_workorder(self, **fields: Any) -> dict[str, Any]:
        """A work order shaped like the spec's GetWorkorder(s) examples, overridable.

        - scheduled ``WorkDate``/``WorkEndDate`` 11-06-2013 10:30-12:30 (desc:2469-2472), the
          work done on 26-09-2013 08:30-12:15, ``TotalTime`` ``03:45``, ``Travel`` ``"1"``
          (desc:2522-2532);
        - ``HourType`` and ``EmployeeNr`` empty, as in the GetWorkorders example (desc:2646-2647);
        - ``MinimumHours``/``RoundingAmount`` ``"0.00"`` (desc:2120-2121);
        - one material ``A786878`` "Kleinmateriaal", ``MaterialNr`` ``"1"``, price and total
          ``"0,00"``, unit ``M2``, ``MaterialType`` and free fields ``null`` (desc:2534-2548);
        - ``PaymentMethod`` ``"niet van toepassing"``, ``WorkFinished`` ``"1"`` (desc:2431, 2440);
        - ``PdfUrl`` ``http://…/mailpdf.php?action=display&sheet_id=…`` (desc:2503).
        """
        example: dict[str, Any] = {
            "WorkDate": "11-06-2013",
            "WorkTime": "10:30",
            "WorkEndDate": "11-06-2013",
            "WorkEndTime": "12:30",
            "Workperiods": [
                {
                    "BeginTime": "08:30",
                    "TotalTime": "03:45",
                    "WorkRemark": "",
                    "WorkDate": "26-09-2013",
                    "EndTime": "12:15",
                    "Travel": "1",
                    "EmployeeNr": "",
                    "HourType": "",
                }
            ],
            "Materials": [
                {
                    "MaterialCode": "A786878",
                    "MaterialTotalPrice": "0,00",
                    "MaterialNr": "1",
                    "MaterialPrice": "0,00",
                    "MaterialName": "Kleinmateriaal",
                    "MaterialUnit": "M2",
                }
            ],
        }
        return self.add_workorder(**(example | fields))

    @staticmethod
    def spec_discount_material(**fields: Any) -> dict[str, Any]:
        """The request schema's material example (``#/components/schemas/Material``): price
        ``"233,00"``, ``MaterialOriginalPrice`` ``"150"``, ``MaterialDiscountPercentage``
        ``"100"``: self-contradictory as printed (outsmart-api.md §4.1 Materials)."""
        return {
            "MaterialCode": "A786878",
            "MaterialName": "Kleinmateriaal",
            "MaterialNr": "1",
            "MaterialPrice": "233,00",
            "MaterialOriginalPrice": "150",
            "MaterialDiscountPercentage": "100",
            "MaterialUnit": "M2",
        } | fields

    def set_unfinished(self, row_id: str, workstatus: str = "") -> None:
        """The technician completed the order with ``WorkFinished`` ``"0"`` and, optionally,
        picked a reason: the order's ``WorkStatus`` (desc:103, 2440)."""
        with self._lock:
            order = self.workorders[row_id]
            order["WorkFinished"] = "0"
            order["WorkStatus"] = workstatus

    def add_workstatus(self, sta_code: str, sta_name: str) -> None:
        with self._lock:
            self.workstatusses[sta_code] = sta_name

    def add_employee(self, number: str, firstname: str = "Piet", lastname: str = "Jansen") -> None:
        with self._lock:
            self.employees[number] = {
                "firstname": firstname,
                "lastname": lastname,
                "number": number,
                "active": "1",
            }

    def seed_example_data(self) -> None:
        """A small, realistic tenant: hour types, statuses, an employee, a customer, materials."""
        with self._lock:
            self.add_employee("12", "Jan", "de Vries")
            self.hour_types.update(
                {
                    "001": {
                        "code": "001",
                        "name": "Normale uren",
                        "cost_booking": "0",
                        "sale_booking": "1",
                        "sale_price": "50.00",
                        "cost_price": "25.00",
                        "active": "1",
                    },
                    "002": {
                        "code": "002",
                        "name": "Overuren",
                        "cost_booking": "0",
                        "sale_booking": "1",
                        "sale_price": "75.00",
                        "cost_price": "37.50",
                        "active": "1",
                    },
                }
            )
            self.workstatusses.update({"001": "Wacht op klant", "002": "In behandeling"})
            self.relations["C-1001"] = {
                "name": "Peeters BV",
                "debtor_number": "C-1001",
                "contact": "Jan Peeters",
                "phone_number": "03 123 45 67",
                "email": "ap@peeters.example",
                "email_workorder": "",
                "street": "Kerkstraat",
                "house_number": "12",
                "postal_code": "2000",
                "city": "Antwerpen",
                "remark": "",
                "latitude": None,
                "longitude": None,
            }
            self.materials["MAT-00001"] = {
                "code": "MAT-00001",
                "description": "Koppelstuk 15 mm",
                "price": "4,55",
                "unit": "st",
            }

    def workorder(self, row_id: str) -> dict[str, Any]:
        return self.workorders[row_id]


class OutSmartFake:
    """The fake API: ``handle`` answers one request from the tenants' state."""

    def __init__(
        self,
        *,
        software_token: str = DEFAULT_SOFTWARE_TOKEN,
        faults: FaultPlan | None = None,
        pdf_host: str = PDF_HOST,
        hourtype_zero_price_accepted: bool = False,
        workstatus_missing_code: int = WORKSTATUS_MISSING_CODES[0],
    ) -> None:
        self.software_token = software_token
        # ⚠ "sale_price … Decimal (> 0)" (desc:1030), yet the example posts "Ziekte" with
        # "0.00" (desc:1045) and is answered 200: refused by default, accepted when True.
        self.hourtype_zero_price_accepted = hourtype_zero_price_accepted
        self.workstatus_missing_code = workstatus_missing_code
        self.pdf_host = pdf_host
        self.faults = faults if faults is not None else FaultPlan()
        self.calls: list[RecordedCall] = []
        # outsmart-api.md §4.1 UpdateWorkorder: ⚠ whether ``workstatus`` alone is accepted is
        # unverified (desc:2341-2346 mark row_id, workorder_no, workdate, worktime and
        # employee_nr "required"). False plays "workstatus alone is enough"; True plays the
        # strict reading and refuses a call without workdate/worktime/employee_nr with 1501.
        self.update_requires_schedule = False
        # outsmart-api.md §4.1 Documents: every example ``PdfUrl`` is ``http://``; ⚠ whether the
        # host also serves it over https is unverified. The schemes the PDF host answers on
        # (a refused scheme is a connection that never opens), chosen per test.
        self.pdf_schemes: frozenset[str] = frozenset({"http", "https"})
        self.tenants: dict[str, OutSmartTenant] = {}
        self.injected: list[InjectedError] = []
        self._lock = threading.RLock()
        self._routes: dict[tuple[str, str], Route] = {
            ("GET", "GetWorkorders"): self._get_workorders,
            ("GET", "GetWorkorder"): self._get_workorder,
            ("GET", "UpdateWorkorder"): self._update_workorder,
            ("GET", "contactperson"): self._filter_contact_persons,
            ("GET", "category"): self._filter_categories,
            ("GET", "employees"): lambda tenant, _: (200, [], list(tenant.employees.values())),
            ("GET", "DeleteEntity"): self._delete_entity,
        }
        for entity in ENTITIES:
            self._routes[("GET", entity)] = self._list_entity
            self._routes[("POST", entity)] = self._upsert_entity

    # -- tenants ------------------------------------------------------------------------------

    def add_tenant(self, token: str, name: str | None = None) -> OutSmartTenant:
        with self._lock:
            tenant = OutSmartTenant(
                token=token,
                name=name or f"tenant-{len(self.tenants) + 1}",
                _lock=self._lock,
                pdf_host=self.pdf_host,
            )
            self.tenants[token] = tenant
            return tenant

    def tenant(self, token: str) -> OutSmartTenant:
        return self.tenants[token]

    def inject_error(
        self,
        code: int = 1007,
        *,
        endpoint: str | None = None,
        times: int = 1,
        message: str = "Uncaught server error",
    ) -> InjectedError:
        """Answer the next ``times`` calls (to ``endpoint``, or any) with envelope ``code``.

        The request is not processed. This is the knob for OutSmart's HTTP-200 failures, which
        ``FaultPlan`` (HTTP-level faults) cannot express.
        """
        injected = InjectedError(code, endpoint, times, message)
        with self._lock:
            self.injected.append(injected)
        return injected

    def _take_injected(self, endpoint: str) -> InjectedError | None:
        for injected in self.injected:
            if injected.times != 0 and injected.endpoint in (None, endpoint):
                if injected.times > 0:
                    injected.times -= 1
                return injected
        return None

    def calls_to(self, endpoint: str, method: str | None = None) -> list[RecordedCall]:
        return [
            call
            for call in self.calls
            if call.endpoint == endpoint and (method is None or call.method == method)
        ]

    # -- HTTP ---------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        segments = [part for part in request.url.path.split("/") if part]
        body: Any = None
        content = request.read()
        if content:
            try:
                body = json.loads(content)
            except ValueError:
                body = content.decode(errors="replace")
        call = RecordedCall(
            method=request.method,
            path=request.url.path,
            endpoint=segments[-1] if segments else "",
            query={
                key: value
                for key, value in request.url.params.multi_items()
                if key not in {"token", "software_token"}
            },
            body=body,
        )
        with self._lock:
            self.calls.append(call)
        return apply_faults(self.faults, request, lambda r: self._process(r, call))

    def _process(self, request: httpx.Request, call: RecordedCall) -> httpx.Response:
        if request.url.path.endswith("/mailpdf.php"):
            if request.url.scheme not in self.pdf_schemes:
                raise httpx.ConnectError("connection refused", request=request)
            return self._work_order_pdf(request)
        with self._lock:
            try:
                injected = self._take_injected(call.endpoint)
                if injected is not None:
                    raise _Refusal(injected.code, injected.message)
                tenant, route = self._resolve(request, call)
                call.tenant = tenant.name
                code, messages, response = route(tenant, request)
            except _Refusal as refusal:
                code, messages, response = refusal.code, refusal.messages, None
            call.code = code
            return httpx.Response(
                200,
                json={"code": code, "messages": messages, "response": response},
                headers={"Content-Type": "application/json; charset=utf-8"},
            )

    def _work_order_pdf(self, request: httpx.Request) -> httpx.Response:
        """The work order's PDF as OutSmart links it (``PdfUrl``): public by sheet id."""
        sheet_id = request.url.params.get("sheet_id", "")
        with self._lock:
            known = any(
                order.get("WorksheetCode") == sheet_id
                for tenant in self.tenants.values()
                for order in tenant.workorders.values()
            )
        if not known:
            return httpx.Response(404, text="Not found")
        body = b"%PDF-1.4\n% werkbon " + sheet_id.encode() + b"\n%%EOF\n"
        return httpx.Response(200, content=body, headers={"Content-Type": "application/pdf"})

    def _resolve(self, request: httpx.Request, call: RecordedCall) -> tuple[OutSmartTenant, Route]:
        if not call.endpoint or call.endpoint.isdigit():  # "/openapi/8/": only the version
            raise _Refusal(1000, "No endpoint given")
        route = self._routes.get((request.method.upper(), call.endpoint))
        if route is None:
            raise _Refusal(1001, f"Unknown endpoint: {call.endpoint}")
        params = request.url.params
        token, software_token = params.get("token"), params.get("software_token")
        if not token:
            raise _Refusal(1002, "Token missing")
        if not software_token:
            raise _Refusal(1003, "Software token missing")
        tenant = self.tenants.get(token)
        if tenant is None:
            raise _Refusal(1004, "Token not authorized")
        if software_token != self.software_token:
            raise _Refusal(1005, "Software token not valid for this token")
        return tenant, route

    # -- work orders --------------------------------------------------------------------------

    def _mark_handled(self, tenant: OutSmartTenant, order: dict[str, Any]) -> None:
        order["status"] = HANDLED
        tenant.handled_log.append(order["id"])

    def _get_workorders(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        params = request.url.params
        status = params.get("status")
        if not status:
            raise _Refusal(FAKE_MISSING_STATUS_CODE, "Required field missing: status")
        if status not in WORKORDER_STATUSES:
            raise _Refusal(FAKE_MISSING_STATUS_CODE, f"Invalid status: {status}")
        workstatus = params.get("workstatus")
        selected = [
            order
            for order in tenant.workorders.values()
            if (status == "Alle" or order.get("status") == status)
            and (not workstatus or order.get("WorkStatus") == workstatus)
        ]
        rendered = copy.deepcopy(selected)
        # OutSmart's default: every fetched work order becomes Afgehandeld.
        if _flag_param(params.get("update_status"), default=True):
            for order in selected:
                self._mark_handled(tenant, order)
        return 200, [], rendered

    def _find_workorder(self, tenant: OutSmartTenant, request: httpx.Request) -> dict[str, Any]:
        params = request.url.params
        row_id, number = params.get("row_id"), params.get("workorder_no")
        if not row_id and not number:
            raise _Refusal(1501, "Required field missing: row_id or workorder_no")
        if row_id:
            order = tenant.workorders.get(row_id)
        else:
            order = next(
                (o for o in tenant.workorders.values() if o.get("WorkorderNo") == number), None
            )
        if order is None:
            raise _Refusal(1500, "Workorder not found")
        return order

    def _get_workorder(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        order = self._find_workorder(tenant, request)
        rendered = copy.deepcopy(order)
        if _flag_param(request.url.params.get("update_status"), default=True):
            self._mark_handled(tenant, order)
        return 200, [], rendered

    def _update_workorder(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        order = self._find_workorder(tenant, request)
        params = request.url.params
        wanted = {
            api_field: params[param]
            for param, api_field in (
                ("workdate", "WorkDate"),
                ("worktime", "WorkTime"),
                ("employee_nr", "EmployeeNr"),
                ("workstatus", "WorkStatus"),
            )
            if params.get(param)
        }
        if not wanted:
            raise _Refusal(1502, "No data to update")
        if self.update_requires_schedule:
            for param in ("workdate", "worktime", "employee_nr"):
                if not params.get(param):
                    raise _Refusal(1501, f"Required field missing: {param}")
        if "WorkDate" in wanted and not _valid_date(wanted["WorkDate"]):
            raise _Refusal(1504, f"Invalid date: {wanted['WorkDate']}")
        if "WorkTime" in wanted and not _TIME.fullmatch(wanted["WorkTime"]):
            raise _Refusal(1504, f"Invalid time: {wanted['WorkTime']}")
        if "EmployeeNr" in wanted and wanted["EmployeeNr"] not in tenant.employees:
            raise _Refusal(1504, f"Employee not found: {wanted['EmployeeNr']}")
        if "WorkStatus" in wanted and wanted["WorkStatus"] not in tenant.workstatusses:
            raise _Refusal(
                FAKE_UNKNOWN_WORKSTATUS_CODE, f"Workstatus not found: {wanted['WorkStatus']}"
            )
        if all(order.get(key) == value for key, value in wanted.items()):
            raise _Refusal(1503, "No data changed")
        order.update(wanted)
        return 200, [], None

    # -- master data --------------------------------------------------------------------------

    @staticmethod
    def _tables(tenant: OutSmartTenant) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            "relations": tenant.relations,
            "contactpersons": tenant.contact_persons,
            "materials": tenant.materials,
            "categories": tenant.categories,
            "hourtypes": tenant.hour_types,
        }

    def _entity_rows(self, tenant: OutSmartTenant, entity: str) -> list[dict[str, Any]]:
        if entity == "workstatusses":
            return [
                {"sta_code": code, "sta_name": name} for code, name in tenant.workstatusses.items()
            ]
        if entity == "material_categories":
            return [
                {"mct_mat_code": mat, "mct_cat_code": cat}
                for mat, cat in sorted(tenant.material_categories)
            ]
        return list(self._tables(tenant)[entity].values())

    def _render(self, entity: str, row: dict[str, Any]) -> dict[str, Any]:
        return {name: row.get(name) for name in ENTITIES[entity].listed}

    def _list_entity(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        entity = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        return 200, [], [self._render(entity, row) for row in self._entity_rows(tenant, entity)]

    def _filtered(self, tenant: OutSmartTenant, request: httpx.Request, entity: str) -> Answer:
        params = request.url.params
        keys = params.get_list("key[]") or params.get_list("key")
        values = params.get_list("value[]") or params.get_list("value")
        rows = [
            self._render(entity, row)
            for row in self._entity_rows(tenant, entity)
            if all(_text(row.get(k)) == v for k, v in zip(keys, values, strict=False))
        ]
        return 200, [], rows

    def _filter_contact_persons(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        return self._filtered(tenant, request, "contactpersons")

    def _filter_categories(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        return self._filtered(tenant, request, "categories")

    def _upsert_entity(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        entity = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        spec = ENTITIES[entity]
        content = request.read()
        if not content.strip():
            raise _Refusal(1008, "Unable to fetch body")  # desc:449-451
        try:
            rows = json.loads(content)
        except ValueError:
            raise _Refusal(1009, "Unable to parse body") from None  # desc:433-435
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise _Refusal(FAKE_NOT_AN_ARRAY_CODE, "Body must be a JSON array of objects")
        if not rows:
            raise _Refusal(FAKE_EMPTY_ARRAY_CODE, "Empty body")
        # One bad row refuses the batch: xx01 with ``response: null`` (desc:404-420); whether
        # OutSmart kept the good rows is undocumented, the fake keeps none (all-or-nothing).
        cleaned = [self._validated(entity, spec, row) for row in rows]
        for row in cleaned:
            self._store(tenant, entity, row)
        return 200, [], len(cleaned)

    def _missing_code(self, entity: str, spec: EntitySpec) -> int:
        if entity == "hourtypes":
            return HOURTYPE_INVALID
        if entity == "workstatusses":
            return self.workstatus_missing_code
        return spec.entity_code * 100 + 1  # e.g. 1201, 2401, 2501 (desc:415, 556, 733)

    def _validated(self, entity: str, spec: EntitySpec, row: dict[str, Any]) -> dict[str, Any]:
        failed = HOURTYPE_INVALID if entity == "hourtypes" else spec.entity_code * 100
        unknown = sorted(set(row) - spec.allowed)
        if unknown:
            raise _Refusal(
                failed + FAKE_UNKNOWN_FIELD_SUFFIX, f"Unknown field(s): {', '.join(unknown)}"
            )
        for name in spec.required:
            if row.get(name) is None or not _text(row.get(name)).strip():
                raise _Refusal(
                    self._missing_code(entity, spec), f"Required field missing: {name}"
                )  # "Required field missing: code" (desc:417)
        for name, value in row.items():
            if value is None:
                continue
            if name in spec.integers:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise _Refusal(failed + FAKE_WRONG_TYPE_SUFFIX, f"{name} must be an integer")
            elif not isinstance(value, str):
                raise _Refusal(failed + FAKE_WRONG_TYPE_SUFFIX, f"{name} must be a string")
        cleaned = {key: (None if value is None else _text(value)) for key, value in row.items()}
        if entity == "materials":
            text = (cleaned["price"] or "").strip()
            if not _MATERIAL_PRICE.fullmatch(text):
                raise _Refusal(failed, f"Invalid value for price: {text}")
            price = _decimal(text)
            assert price is not None  # the pattern admits only numbers
            cleaned["price"] = _money(price, ",")  # materials come back with a decimal comma
        if entity == "hourtypes":
            cleaned.update(self._hour_type_values(cleaned))
        if entity == "relations":
            if cleaned.get("active") not in (None, "0", "1"):
                raise _Refusal(failed, f"Invalid value for active: {cleaned['active']}")
            country = (cleaned.get("country") or "").strip()
            if _ISO_COUNTRY.fullmatch(country):
                # ⚠ country is named, never coded, in every example ("Nederland", spec.json's
                # relation example; adr_country in addresses): an ISO code is refused.
                raise _Refusal(failed, f"Invalid value for country: {country}")
        if entity == "categories" and cleaned["cat_display"] not in ("0", "1"):
            # "Int (10)", "1"/"0" in the examples (desc:481, 498, 505).
            raise _Refusal(failed, f"Invalid value for cat_display: {cleaned['cat_display']}")
        return cleaned

    def _hour_type_values(self, row: dict[str, Any]) -> dict[str, Any]:
        """1801 for a flag other than 1/0 or a price that does not parse as "> 0" (desc:188,
        1028-1032); prices come back with a decimal dot (desc:1120)."""
        normalised: dict[str, Any] = {}
        for name in ("sale_price", "cost_price"):
            text = (row.get(name) or "").strip()
            if name == "cost_price" and row.get(name) is None:
                continue
            amount = _decimal(text) if _HOURTYPE_PRICE.fullmatch(text) else None
            zero_ok = self.hourtype_zero_price_accepted
            if amount is None or amount < 0 or (amount == 0 and not zero_ok):
                raise _Refusal(HOURTYPE_INVALID, f"Price cannot be parsed: {name} {text}")
            normalised[name] = _money(amount, ".")
        for name in ("cost_booking", "sale_booking", "active"):
            # ⚠ desc:188 names only ``active``; the bookings are "Integer (1 or 0)" as well.
            if row.get(name) not in (None, "0", "1"):
                raise _Refusal(HOURTYPE_INVALID, f"{name} is not 1 or 0: {row[name]}")
        return normalised

    def _store(self, tenant: OutSmartTenant, entity: str, row: dict[str, Any]) -> None:
        if entity == "material_categories":
            tenant.material_categories.add((row["mct_mat_code"], row["mct_cat_code"]))
            return
        if entity == "workstatusses":
            tenant.workstatusses[row["sta_code"]] = row["sta_name"]
            return
        table = self._tables(tenant)[entity]
        key = row[UPSERT_KEYS[entity]]
        table[key] = table.get(key, {}) | row

    # -- DeleteEntity (desc:2680-2794) ----------------------------------------------------------

    def _delete_entity(self, tenant: OutSmartTenant, request: httpx.Request) -> Answer:
        params = request.url.params
        entity = params.get("entity", "")
        if entity not in DELETE_KEYS:
            raise _Refusal(1600, f"Entity: {entity} not found")  # desc:2748-2750
        delete_all = params.get("delete_all", "").strip().lower()
        if delete_all not in ("true", "false"):
            # ⚠ "delete_all (boolean, required)" (desc:2724); the answer to a missing one is
            # undocumented: refused as a failed delete.
            raise _Refusal(1600, "delete_all must be true or false")
        if delete_all == "true":
            if entity == "workorder":
                raise _Refusal(1600, "Delete all not allowed on Workorder entity")  # desc:2779
            return 200, [], self._remove(tenant, entity, lambda _: True)  # desc:2784-2793
        if params.get_list("key[]") or params.get_list("value[]"):
            if entity != "object_part":
                # ⚠ the array form is documented for object_part only (desc:2714-2715).
                raise _Refusal(1600, f"Key arrays not allowed for entity: {entity}")
            return 200, [], 0
        key, value = params.get("key", ""), params.get("value")
        if key not in DELETE_KEYS[entity]:
            raise _Refusal(1600, f"Key: {key} not allowed for entity: {entity}")  # desc:2765
        if value is None:
            raise _Refusal(1600, "value missing")  # ⚠ "value (string, required)" (desc:2727)
        column = _DELETE_COLUMNS.get((entity, key), key)
        return 200, [], self._remove(tenant, entity, lambda row: _text(row.get(column)) == value)

    def _remove(
        self, tenant: OutSmartTenant, entity: str, matches: Callable[[dict[str, Any]], bool]
    ) -> int:
        """Remove the matching rows of an entity the fake keeps; the number removed. Entities
        it does not model (projects, objects, …) have nothing to remove."""
        if entity == "material_category":
            gone = {
                link
                for link in tenant.material_categories
                if matches({"mct_mat_code": link[0], "mct_cat_code": link[1]})
            }
            tenant.material_categories -= gone
            return len(gone)
        table = {
            "relation": tenant.relations,
            "contactperson": tenant.contact_persons,
            "material": tenant.materials,
            "category": tenant.categories,
            "hourtype": tenant.hour_types,
            "employee": tenant.employees,
            "workorder": tenant.workorders,
        }.get(entity)
        if table is None:
            return 0
        doomed = [key for key, row in table.items() if matches({"db_row": key, **row})]
        for key in doomed:
            del table[key]
        return len(doomed)
