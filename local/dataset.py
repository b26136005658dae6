"""A realistic office for the demo: a Belgian installer invoicing Belgian, Dutch and German
customers, two of them under reverse charge (a Belgian co-contractor, *medecontractant*, and a
German business customer receiving services), as the office set them up in Billit.

Billit holds the company, its customers (VAT numbers, contact persons), product groups and
products (materials and hour products); OutSmart holds the same customers and materials (the
office kept both by hand until now), plus what only OutSmart knows, and the completed work
orders with their hours and materials. Some work orders carry the problems a real office has:
a material Billit does not know, a customer Billit does not know, and one completed before the
connection (which is not exported).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tests.fakes.billit import BillitFake
from tests.fakes.outsmart import OutSmartTenant


class Problem(StrEnum):
    UNKNOWN_MATERIAL = "unknown_material"
    NO_CUSTOMER = "no_customer"
    BEFORE_CONNECTION = "before_connection"


@dataclass(frozen=True)
class Customer:
    nr: str
    name: str
    vat_number: str
    street: str
    street_number: str
    zipcode: str
    city: str
    country: str
    contact_first_name: str
    contact_last_name: str
    email: str
    phone: str
    language: str = "NL"
    # The customer's VAT regime in Billit (billit-api.md §8): none = normal VAT, "21" =
    # co-contractor (reverse charge), "55" = intra-EU services.
    ventilation_code: str | None = None

    @property
    def reverse_charge(self) -> bool:
        return self.ventilation_code is not None


@dataclass(frozen=True)
class Product:
    reference: str
    description: str
    price: Decimal
    vat: int
    unit: str  # UN/ECE code as Billit keeps it: HUR = hour, C62 = piece, MTR = metre
    group_id: int | None = None
    group_name: str | None = None

    @property
    def is_hours(self) -> bool:
        return self.unit == "HUR"


@dataclass(frozen=True)
class Period:
    begin: str
    end: str
    hour_type: str

    @property
    def hours(self) -> Decimal:
        (bh, bm), (eh, em) = (map(int, t.split(":")) for t in (self.begin, self.end))
        return Decimal((eh * 60 + em) - (bh * 60 + bm)) / 60


@dataclass(frozen=True)
class WorkOrderSeed:
    row_id: str
    customer_nr: str
    description: str
    periods: tuple[Period, ...]
    materials: tuple[tuple[str, int], ...]  # (material code, quantity)
    problem: Problem | None = None

    @property
    def workorder_no(self) -> str:
        return f"WB-{self.row_id}"  # the OutSmart fake numbers work orders so


@dataclass(frozen=True)
class Dataset:
    tenant_id: str
    outsmart_token: str
    billit_user: str
    billit_password: str
    company_name: str
    company_vat: str
    party_id: int
    customers: tuple[Customer, ...]
    products: tuple[Product, ...]
    outsmart_only_customers: tuple[Customer, ...]
    outsmart_only_materials: tuple[Product, ...]
    work_orders: tuple[WorkOrderSeed, ...]

    def product(self, reference: str) -> Product:
        return next(p for p in self.products if p.reference == reference)

    def exported(self) -> list[WorkOrderSeed]:
        """The work orders that must each become exactly one invoice."""
        return [w for w in self.work_orders if w.problem is None]

    def with_problem(self, problem: Problem) -> list[WorkOrderSeed]:
        return [w for w in self.work_orders if w.problem is problem]

    def customer(self, nr: str) -> Customer:
        return next(c for c in (*self.customers, *self.outsmart_only_customers) if c.nr == nr)

    def reverse_charged(self) -> list[WorkOrderSeed]:
        """Exported work orders whose customer is reverse charged: invoices at 0 % VAT."""
        return [w for w in self.exported() if self.customer(w.customer_nr).reverse_charge]

    def expected_total_excl(self, order: WorkOrderSeed) -> Decimal:
        """Hours times the hour product's price plus materials (no rounding of hours)."""
        total = Decimal(0)
        for period in order.periods:
            total += (period.hours * self.product(period.hour_type).price).quantize(Decimal("0.01"))
        for code, quantity in order.materials:
            total += self.product(code).price * quantity
        return total

    # ------------------------------------------------------------------------ seeding
    def seed_billit(self, billit: BillitFake) -> None:
        billit.add_user(self.billit_user, self.billit_password)
        billit.add_company(self.billit_user, self.company_name, self.company_vat, self.party_id)
        for customer in self.customers:
            billit.add_party(
                self.party_id,
                Nr=customer.nr,
                Name=customer.name,
                VATNumber=customer.vat_number,
                Street=customer.street,
                StreetNumber=customer.street_number,
                Zipcode=customer.zipcode,
                City=customer.city,
                CountryCode=customer.country,
                PartyType="Customer",
                Email=customer.email,
                Phone=customer.phone,
                ContactFirstName=customer.contact_first_name,
                ContactLastName=customer.contact_last_name,
                Language=customer.language,
                VATLiable=True,
                **(
                    {"VentilationCode": customer.ventilation_code}
                    if customer.ventilation_code
                    else {}
                ),
            )
        for product in self.products:
            fields: dict[str, Any] = {
                "Reference": product.reference,
                "Description": product.description,
                "AmountExcl": product.price,
                "VAT": product.vat,
                "Unit": product.unit,
            }
            if product.group_id is not None:
                fields |= {"GroupID": product.group_id, "GroupName": product.group_name}
            billit.add_product(self.party_id, **fields)

    def seed_outsmart(self, office: OutSmartTenant, today: date) -> None:
        office.add_employee("12", "Jan", "De Vries")
        office.add_employee("14", "Sofie", "Wuyts")
        office.add_workstatus("001", "Wacht op klant")
        office.add_workstatus("060", "Betaald")
        for customer in (*self.customers, *self.outsmart_only_customers):
            office.relations[customer.nr] = {
                "name": customer.name,
                "debtor_number": customer.nr,
                "contact": f"{customer.contact_first_name} {customer.contact_last_name}",
                "phone_number": customer.phone,
                "email": customer.email,
                "email_workorder": "",
                "street": customer.street,
                "house_number": customer.street_number,
                "postal_code": customer.zipcode,
                "city": customer.city,
                "remark": "",
                "latitude": None,
                "longitude": None,
            }
        for product in (*self.products, *self.outsmart_only_materials):
            if not product.is_hours:
                office.materials[product.reference] = {
                    "code": product.reference,
                    "description": product.description,
                    "price": f"{product.price:.2f}".replace(".", ","),
                    "unit": {"C62": "st", "MTR": "m"}.get(product.unit, product.unit),
                }
        for order in self.work_orders:
            day = today - timedelta(days=30 if order.problem is Problem.BEFORE_CONNECTION else 0)
            # As in OutSmart's own example (desc:2469-2471 vs desc:2527): WorkDate/WorkEndDate
            # are the *scheduled* day (planned three days earlier, the work slipped); the work
            # periods carry the day the work was done, which is what the invoice shows.
            scheduled = (day - timedelta(days=3)).strftime("%d-%m-%Y")
            worked = day.strftime("%d-%m-%Y")
            office.add_workorder(
                id=order.row_id,
                CustomerDebtorNr=order.customer_nr,
                WorkDate=scheduled,
                WorkEndDate=scheduled,
                WorkDescription=order.description,
                ShortWorkDescription=order.description.split(",")[0][:40],
                Workperiods=[
                    {
                        "WorkDate": worked,
                        "BeginTime": p.begin,
                        "EndTime": p.end,
                        "HourType": p.hour_type,
                    }
                    for p in order.periods
                ],
                Materials=[
                    {"MaterialCode": code, "MaterialNr": str(quantity)}
                    for code, quantity in order.materials
                ],
            )


def _be(  # noqa: PLR0917 - one customer per table row below
    nr: str, name: str, vat: str, street: str, no: str, zipcode: str, city: str,
        first: str, last: str, domain: str, phone: str) -> Customer:  # fmt: skip
    return Customer(nr, name, vat, street, no, zipcode, city, "BE", first, last,
                    f"{first.lower()}@{domain}", phone)  # fmt: skip


def _nl(  # noqa: PLR0917 - one customer per table row below
    nr: str, name: str, vat: str, street: str, no: str, zipcode: str, city: str,
        first: str, last: str, domain: str, phone: str) -> Customer:  # fmt: skip
    return Customer(nr, name, vat, street, no, zipcode, city, "NL", first, last,
                    f"{first.lower()}@{domain}", phone)  # fmt: skip


CUSTOMERS = (
    _be("K-1001", "Peeters BV", "BE0411905847", "Kerkstraat", "12", "2000", "Antwerpen",
        "Jan", "Peeters", "peeters.example", "+32 3 123 45 67"),
    _be("K-1002", "Janssens Bouw NV", "BE0812345603", "Veldstraat", "88", "9000", "Gent",
        "Els", "Janssens", "janssensbouw.example", "+32 9 234 56 78"),
    _be("K-1003", "Maes & Zonen", "BE0456712325", "Diestsestraat", "140", "3000", "Leuven",
        "Koen", "Maes", "maes-zonen.example", "+32 16 34 56 78"),
    _be("K-1004", "Wouters Vastgoed BV", "BE0671234555", "Langestraat", "7", "8000", "Brugge",
        "Lies", "Wouters", "woutersvastgoed.example", "+32 50 45 67 89"),
    _be("K-1005", "Brasserie De Kroon", "BE0721987628", "Grote Markt", "3", "2800", "Mechelen",
        "Tom", "Claes", "dekroon.example", "+32 15 56 78 90"),
    _nl("K-2001", "Van Dijk Installatietechniek BV", "NL853746829B01", "Ginnekenweg", "210",
        "4835 NH", "Breda", "Pieter", "van Dijk", "vandijk-installatie.example", "+31 76 123 4567"),
    _nl("K-2002", "De Boer Vastgoedbeheer BV", "NL812345678B01", "Coolsingel", "45", "3012 AA",
        "Rotterdam", "Anouk", "de Boer", "deboer-vastgoed.example", "+31 10 234 5678"),
    _nl("K-2003", "Hotel Bakker Maastricht BV", "NL004567890B02", "Vrijthof", "18", "6211 LD",
        "Maastricht", "Ruud", "Bakker", "hotelbakker.example", "+31 43 345 6789"),
    # A Belgian building contractor: the installer works as its subcontractor, so VAT is
    # reverse charged (co-contractor, code 21).
    Customer("K-1006", "Bouwbedrijf Verstraete NV", "BE0403170701", "Industrieweg", "5", "8800",
             "Roeselare", "BE", "Bart", "Verstraete", "bart@verstraete-bouw.example",
             "+32 51 22 33 44", "NL", "21"),
    # A German business customer: intra-Community services (code 55), invoiced in German.
    Customer("K-4001", "Schmidt Haustechnik GmbH", "DE123456789", "Aachener Strasse", "101",
             "52062", "Aachen", "DE", "Jonas", "Schmidt", "jonas@schmidt-haustechnik.example",
             "+49 241 123 456", "DE", "55"),
)  # fmt: skip

NO_MATCH_CUSTOMER = _be(
    "K-3050", "Bakkerij Van Hoof", "BE0443322167", "Dorpsstraat", "21", "2440", "Geel",
    "Marc", "Van Hoof", "bakkerijvanhoof.example", "+32 14 58 12 34",
)  # fmt: skip

SANITAIR, VERWARMING, ELEKTRO = (10, "Sanitair"), (20, "Verwarming"), (30, "Elektriciteit")
PRODUCTS = (
    Product("ARB-01", "Arbeid monteur", Decimal("55.00"), 21, "HUR"),
    Product("ARB-02", "Arbeid leerling", Decimal("38.00"), 21, "HUR"),
    Product("ARB-03", "Arbeid monteur overuren", Decimal("82.50"), 21, "HUR"),
    Product("SAN-1001", "Koppelstuk 15 mm", Decimal("4.55"), 21, "C62", *SANITAIR),
    Product("SAN-1002", "Sifon PVC 40 mm", Decimal("8.40"), 21, "C62", *SANITAIR),
    Product("SAN-1003", "Mengkraan keuken", Decimal("129.00"), 21, "C62", *SANITAIR),
    Product("VER-2001", "Thermostatische radiatorkraan", Decimal("24.90"), 21, "C62", *VERWARMING),
    Product("VER-2002", "Expansievat 18 l", Decimal("62.00"), 21, "C62", *VERWARMING),
    Product("VER-2003", "Buisisolatie 22 mm", Decimal("2.10"), 6, "MTR", *VERWARMING),
    Product("ELE-3001", "Installatiekabel XVB 3G2,5", Decimal("1.85"), 21, "MTR", *ELEKTRO),
    Product("ELE-3002", "Stopcontact met randaarde", Decimal("7.95"), 21, "C62", *ELEKTRO),
)
UNKNOWN_MATERIAL = Product("MAT-OS-77", "Restpartij koperbuis 28 mm", Decimal("9.80"), 21, "MTR")


def _p(begin: str, end: str, hour_type: str = "ARB-01") -> Period:
    return Period(begin, end, hour_type)


WORK_ORDERS = (
    WorkOrderSeed("1919", "K-1001", "Onderhoud cv-ketel, koppelstuk vervangen",
                  (_p("08:00", "10:30"),), (("SAN-1001", 3),)),
    WorkOrderSeed("1920", "K-1002", "Radiatorkranen vervangen in kantoorruimte",
                  (_p("08:00", "12:00"), _p("08:00", "12:00", "ARB-02")), (("VER-2001", 6),)),
    WorkOrderSeed("1921", "K-1003", "Keukenkraan geplaatst",
                  (_p("13:00", "14:30"),), (("SAN-1003", 1), ("SAN-1002", 1))),
    WorkOrderSeed("1922", "K-1004", "Expansievat vervangen, leidingen geïsoleerd",
                  (_p("09:00", "11:15"),), (("VER-2002", 1), ("VER-2003", 12))),
    WorkOrderSeed("1923", "K-1005", "Storing keuken: stopcontacten vernieuwd",
                  (_p("17:00", "19:30", "ARB-03"),), (("ELE-3002", 4), ("ELE-3001", 15))),
    WorkOrderSeed("1924", "K-2001", "Jaarlijks onderhoud installatie",
                  (_p("08:30", "10:00"),), ()),
    WorkOrderSeed("1925", "K-2002", "Lekkage badkamer verholpen",
                  (_p("10:00", "11:45"),), (("SAN-1002", 2), ("SAN-1001", 4))),
    WorkOrderSeed("1926", "K-2003", "Radiatoren ontlucht en kranen vervangen (12 kamers)",
                  (_p("08:00", "12:00"), _p("13:00", "16:30")), (("VER-2001", 12),)),
    WorkOrderSeed("1927", "K-1001", "Nieuwe groep aangelegd in garage",
                  (_p("08:00", "11:00"), _p("08:00", "11:00", "ARB-02")),
                  (("ELE-3001", 25), ("ELE-3002", 3))),
    WorkOrderSeed("1928", "K-1002", "Controle verwarming werf Veldstraat",
                  (_p("14:00", "15:00"),), ()),
    WorkOrderSeed("1929", "K-1003", "Sifon badkamer vervangen",
                  (_p("09:00", "09:45"),), (("SAN-1002", 1),)),
    WorkOrderSeed("1930", "K-1004", "Appartement 2B: leidingisolatie kelder",
                  (_p("13:00", "15:30", "ARB-02"),), (("VER-2003", 30),)),
    WorkOrderSeed("1931", "K-2001", "Storing cv, expansievat vervangen",
                  (_p("18:00", "20:00", "ARB-03"),), (("VER-2002", 1),)),
    WorkOrderSeed("1932", "K-2002", "Keuken appartement 4: kraan en sifon",
                  (_p("08:00", "10:00"),), (("SAN-1003", 1), ("SAN-1002", 1))),
    WorkOrderSeed("1933", "K-1005", "Koelcel: aparte voeding getrokken",
                  (_p("07:30", "12:00"),), (("ELE-3001", 40), ("ELE-3002", 2))),
    WorkOrderSeed("1934", "K-2003", "Onderhoud boilers",
                  (_p("08:00", "10:30"),), (("SAN-1001", 2),)),
    WorkOrderSeed("1935", "K-1001", "Leiding naar buitenkraan vernieuwd",
                  (_p("10:00", "12:00"),), (("MAT-OS-77", 6), ("SAN-1001", 2)),
                  Problem.UNKNOWN_MATERIAL),
    WorkOrderSeed("1936", "K-3050", "Oven-afzuiging: stopcontact verplaatst",
                  (_p("06:30", "08:00"),), (("ELE-3002", 1),), Problem.NO_CUSTOMER),
    WorkOrderSeed("1937", "K-1002", "Oplevering werf Veldstraat (vorige maand)",
                  (_p("08:00", "16:00"),), (), Problem.BEFORE_CONNECTION),
    WorkOrderSeed("1938", "K-2002", "Thermostaatkranen trappenhal",
                  (_p("13:30", "15:00"),), (("VER-2001", 3),)),
    # 4:20 of ARB-01 does not fit 2 decimals: one line of 1 x 238.33 (260 min x 55.00 / 60)
    WorkOrderSeed("1939", "K-1006", "Werf Industrieweg: sanitair nieuwbouw, fase 1",
                  (_p("08:00", "12:00"), _p("13:00", "13:20")), (("SAN-1003", 2), ("SAN-1002", 4))),
    WorkOrderSeed("1940", "K-4001", "Inbetriebnahme Heizungsanlage Aachen",
                  (_p("09:00", "12:30"),), (("VER-2002", 1),)),
)  # fmt: skip


def office(work_orders: tuple[WorkOrderSeed, ...]) -> Dataset:
    return Dataset(
        tenant_id="claes-installaties",
        outsmart_token="os-token-claes-7f3a",  # noqa: S106 - a fake's token
        billit_user="an.claes@claes-installaties.example",
        billit_password="demo",  # noqa: S106 - the Billit fake's demo user
        company_name="Claes Installaties BV",
        company_vat="BE0876543270",
        party_id=512340,
        customers=CUSTOMERS,
        products=PRODUCTS,
        outsmart_only_customers=(NO_MATCH_CUSTOMER,),
        outsmart_only_materials=(UNKNOWN_MATERIAL,),
        work_orders=work_orders,
    )


FULL = office(WORK_ORDERS)
"""Twenty-two completed work orders (three with problems, two reverse charged)."""

SMALL = office(
    tuple(
        w
        for w in WORK_ORDERS
        if w.row_id in {"1919", "1920", "1923", "1935", "1936", "1937", "1939", "1940"}
    )
)
"""Eight: three clean ones, the two reverse-charged customers, one of each problem (the
end-to-end test's)."""
