"""The customer's VAT regime, as the office set it on the Billit party, and what it means for
the invoice.

Billit keeps the regime on the customer (Party ``VATLiable``, ``VentilationCode``,
``CountryCode``, ``VATNumber``) and the rate on the product (``Product.VAT``); no source says
Billit combines them on an order (billit-api.md §8 "Customer- vs product-level VAT" ⚠), so
the connector decides, from the party as it is *when the invoice is made* (the office may
change a customer's regime at any time; a copy taken at import could be stale):

==============================  =============  ==========================================
party                           regime         the invoice
==============================  =============  ==========================================
no code, VAT-liable or unknown  standard       the product's rate on every line, no code
no code, ``VATLiable: false``   private        the product's rate on every line, no code
code 21                         co-contractor  0 % on every line, header code ``"21"``
code 51 / 55                    intra-EU       0 % on every line, header code ``"51"``/``"55"``
code 70                         export         0 % on every line, header code ``"70"``
code 22                         outside scope  0 % on every line, header code ``"22"``
==============================  =============  ==========================================

A 0 % regime puts 0 % on *all* lines, the work description's text line included, and the
code on the header only: Billit gives a 0 % line the header's code (§8 "How a 0 % line gets
its Peppol category"; line codes are only for several 0 % codes on one invoice, which one
customer regime never needs). Billit writes the exemption text of the code itself; the
Belgian legal mention goes into ``Comments`` in the customer's language (§8 "What a regime
invoice must carry").

What cannot be decided safely is a user-fixable problem that says what to change in Billit,
never a guessed invoice: reverse charge or intra-EU without a (valid) VAT number, a code that
contradicts the customer's country or its ``VATLiable: false``, or a code the connector does
not know (e.g. ``1``, ``24``, ``101``).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from billit_sync.billit.parties import Party
from billit_sync.sync.exports import problems
from billit_sync.sync.vat_numbers import (
    OTHER_EU_PREFIXES,
    is_valid_vat_number,
    normalise_vat_number,
)


class VatRegime(StrEnum):
    STANDARD = "standard"
    PRIVATE_PERSON = "private_person"
    CO_CONTRACTOR = "co_contractor"
    INTRA_EU_GOODS = "intra_eu_goods"
    INTRA_EU_SERVICES = "intra_eu_services"
    EXPORT = "export"
    OUTSIDE_SCOPE = "outside_scope"


# Billit's sales ventilation codes of the 0 % regimes (billit-api.md §8 table).
REGIME_CODES: Final[dict[str, VatRegime]] = {
    "21": VatRegime.CO_CONTRACTOR,
    "51": VatRegime.INTRA_EU_GOODS,
    "55": VatRegime.INTRA_EU_SERVICES,
    "70": VatRegime.EXPORT,
    "22": VatRegime.OUTSIDE_SCOPE,
}
# Codes 2/3/4 are the standard-rated categories (6/12/21 %, UBL S): "Lines > 0 % need no
# code", so on a customer they say nothing beyond "normal VAT" (billit-api.md §8).
STANDARD_CODES: Final = frozenset({"2", "3", "4"})
SUPPORTED_CODES_SHOWN: Final = "21, 51, 55, 70, 22"
# EU member states (VIES prefixes; Greece is EL, ISO GR): intra-EU needs one other than BE,
# export needs a country outside them.
EU_COUNTRIES: Final = frozenset({"BE", "NL", "GR", *OTHER_EU_PREFIXES}) - {"XI"}
CO_CONTRACTOR_COUNTRIES: Final = frozenset({"BE", "NL"})  # "BE/NL" in the §8 table

# ⚠ The wording of the legal mentions is ours (billit-api.md §8: "wording from the
# accountant"); the articles are those of the Belgian VAT code (WBTW / Code TVA).
LEGAL_MENTIONS: Final[dict[VatRegime, dict[str, str]]] = {
    VatRegime.CO_CONTRACTOR: {
        "nl": "Verlegging van heffing: btw te voldoen door de medecontractant, art. 20 KB nr. 1.",
        "fr": "Autoliquidation : TVA due par le cocontractant, art. 20 AR n° 1.",
        "en": "Reverse charge: VAT to be paid by the co-contractor, art. 20 Royal Decree no. 1.",
        "de": "Steuerschuldnerschaft des Leistungsempfängers, Art. 20 KE Nr. 1.",
    },
    VatRegime.INTRA_EU_GOODS: {
        "nl": "Vrijgestelde intracommunautaire levering, art. 39bis WBTW.",
        "fr": "Livraison intracommunautaire exonérée, art. 39bis Code TVA.",
        "en": "Exempt intra-Community supply of goods, art. 39bis Belgian VAT Code.",
        "de": "Steuerfreie innergemeinschaftliche Lieferung, Art. 39bis belg. MwStGB.",
    },
    VatRegime.INTRA_EU_SERVICES: {
        "nl": "Verlegging van heffing, art. 21 § 2 WBTW: btw te voldoen door de afnemer.",
        "fr": "Autoliquidation, art. 21 § 2 Code TVA : TVA due par le preneur.",
        "en": "Reverse charge, art. 21 § 2 Belgian VAT Code: VAT due by the customer.",
        "de": "Steuerschuldnerschaft des Leistungsempfängers, Art. 21 § 2 belg. MwStGB.",
    },
    VatRegime.EXPORT: {
        "nl": "Vrijstelling van btw: uitvoer, art. 39 WBTW.",
        "fr": "Exonération de TVA : exportation, art. 39 Code TVA.",
        "en": "VAT exempt: export, art. 39 Belgian VAT Code.",
        "de": "Steuerfreie Ausfuhr, Art. 39 belg. MwStGB.",
    },
    VatRegime.OUTSIDE_SCOPE: {
        "nl": "Buiten het toepassingsgebied van de Belgische btw.",
        "fr": "Hors du champ d'application de la TVA belge.",
        "en": "Outside the scope of Belgian VAT.",
        "de": "Nicht im Anwendungsbereich der belgischen MwSt.",
    },
}
WORKORDER_LABEL: Final[dict[str, str]] = {
    "nl": "Werkbon",
    "fr": "Bon de travail",
    "en": "Work order",
    "de": "Arbeitsauftrag",
}
DEFAULT_LANGUAGE: Final = "nl"  # the office's own (a Belgian installer's) language


@dataclass(frozen=True)
class CustomerVat:
    """What the invoice needs from the customer's VAT regime."""

    regime: VatRegime = VatRegime.STANDARD
    name: str | None = None  # the party's name (Billit: send PartyID + Name + PartyType)
    ventilation_code: str | None = None  # the header code of a 0 % regime, as a string
    vat_number: str | None = None
    language: str = DEFAULT_LANGUAGE  # nl, fr, en or de

    @property
    def zero_rated(self) -> bool:
        """Every line at 0 % (the regime's code on the header), whatever the product says."""
        return self.ventilation_code is not None

    @property
    def legal_mention(self) -> str | None:
        texts = LEGAL_MENTIONS.get(self.regime)
        return None if texts is None else texts.get(self.language, texts["en"])

    @property
    def workorder_label(self) -> str:
        return WORKORDER_LABEL.get(self.language, WORKORDER_LABEL[DEFAULT_LANGUAGE])


STANDARD: Final = CustomerVat()
"""A customer the connector creates from the work order's address: Billit knows no regime
for it, so it is invoiced at the products' rates."""


def _text(value: str | None) -> str:
    return (value or "").strip()


def _language(party: Party, country: str) -> str:
    language = _text(party.language).lower()[:2]
    if language in WORKORDER_LABEL:
        return language
    return DEFAULT_LANGUAGE if country in ("", "BE", "NL") else "en"


def _country(party: Party, vat_number: str) -> str:
    """``CountryCode``, else the invoice address's, else the VAT number's prefix."""
    country = _text(party.country_code).upper()
    if not country:
        for address in party.addresses or ():
            if _text(address.address_type).lower() == "invoiceaddress":
                country = _text(address.country_code).upper()
    if not country and vat_number[:2].isalpha():
        country = vat_number[:2]
    return "GR" if country == "EL" else country


def customer_vat(party: Party, workorder_no: str) -> CustomerVat:
    """The customer's regime from its Billit party; ``ExportProblem`` when unsafe to decide."""
    code = _text(party.ventilation_code)
    vat_number = normalise_vat_number(_text(party.vat_number))
    country = _country(party, vat_number)
    language = _language(party, country)
    name = _text(party.name) or _text(party.display_name) or None

    def unclear(reason: str) -> problems.ExportProblem:
        return problems.customer_vat_regime_unclear(
            reason,
            workorder_no=workorder_no,
            customer_name=name or str(party.party_id),
            code=code,
            vat_number=vat_number,
            country=country,
        )

    if not code or code in STANDARD_CODES:
        private = party.vat_liable is False and not vat_number
        return CustomerVat(
            regime=VatRegime.PRIVATE_PERSON if private else VatRegime.STANDARD,
            name=name,
            # Sent only when well-formed: an odd number on a normal customer is not ours to fix.
            vat_number=vat_number if is_valid_vat_number(vat_number) else None,
            language=language,
        )
    regime = REGIME_CODES.get(code)
    if regime is None:
        raise unclear(problems.REGIME_UNKNOWN_CODE)
    needs_vat_number = regime in (
        VatRegime.CO_CONTRACTOR,
        VatRegime.INTRA_EU_GOODS,
        VatRegime.INTRA_EU_SERVICES,
    )
    if needs_vat_number:
        if party.vat_liable is False:
            raise unclear(problems.REGIME_NOT_VAT_LIABLE)
        if not vat_number:
            raise unclear(problems.REGIME_NO_VAT_NUMBER)
        if not is_valid_vat_number(vat_number):
            raise unclear(problems.REGIME_INVALID_VAT_NUMBER)
    if regime is VatRegime.CO_CONTRACTOR and country not in CO_CONTRACTOR_COUNTRIES:
        raise unclear(problems.REGIME_WRONG_COUNTRY)
    if regime in (VatRegime.INTRA_EU_GOODS, VatRegime.INTRA_EU_SERVICES) and (
        country == "BE" or country not in EU_COUNTRIES
    ):
        raise unclear(problems.REGIME_WRONG_COUNTRY)
    if regime is VatRegime.EXPORT and (not country or country in EU_COUNTRIES):
        raise unclear(problems.REGIME_WRONG_COUNTRY)
    return CustomerVat(
        regime=regime,
        name=name,
        ventilation_code=code,
        vat_number=vat_number or None,
        language=language,
    )
