"""What the office has to fix before a work order can become a Billit invoice.

Each problem is an ``ExportProblem``: a ``UserFixableError`` (ledger failed, no retry loop)
that carries the log panel's message key and parameters, so the panel shows it in the
tenant's language (``messages.render``). ``str(problem)`` is the English text.

Parameters are plain strings taken from OutSmart or Billit (numbers, codes, names); the words
around them live in the catalogue, never here.
"""

import re
from collections.abc import Iterable, Mapping

from billit_sync import messages
from billit_sync.billit.errors import BillitApiError
from billit_sync.errors import UserFixableError
from billit_sync.outsmart.errors import (
    OutSmartApiError,
    OutSmartDataError,
    OutSmartNotFoundError,
    OutSmartValidationError,
)

# Parameter values are shown in the log panel: keep each one short.
MAX_PARAM_LENGTH = 200
NONE_SHOWN = "-"

# Billit 400 codes with a fix of their own (reference §7), compared case-insensitively.
KNOWN_BILLIT_CODES: Mapping[str, str] = {
    "invalidvatpercentagefortaxcountry_0_": messages.EXPORT_BILLIT_REFUSED_VAT_RATE,
    "thecustomerdoesnotsupportpeppolfortype_0": messages.EXPORT_BILLIT_REFUSED_PEPPOL,
}
_CODE_SEPARATORS = re.compile(r"[,;\s]+")


def _shown(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > MAX_PARAM_LENGTH:
        text = text[: MAX_PARAM_LENGTH - 1] + "…"
    return text


class ExportProblem(UserFixableError):
    """A problem the office has to fix; carries the log-panel message key and params."""

    def __init__(self, message_key: str, params: dict[str, str]) -> None:
        self.message_key = message_key
        self.params = dict(params)
        super().__init__(messages.render(message_key, self.params, "en"))

    def render(self, language: messages.Language) -> str:
        return messages.render(self.message_key, self.params, language)

    def __reduce__(self) -> tuple[type["ExportProblem"], tuple[str, dict[str, str]]]:
        return (type(self), (self.message_key, self.params))


class ExportSkipped(ExportProblem):
    """Not invoiced because the tenant's settings say so (e.g. paid on site and 'skip'): the
    work order ends like a problem (ledger ``failed``, no retry loop, the retry button redoes
    it after a settings change) but the log panel shows a warning, not an error."""

    level = "warning"


def _problem(message_key: str, **params: str) -> ExportProblem:
    return ExportProblem(message_key, {name: _shown(value) for name, value in params.items()})


def _skipped(message_key: str, **params: str) -> ExportSkipped:
    return ExportSkipped(message_key, {name: _shown(value) for name, value in params.items()})


def unknown_material(workorder_no: str, material_code: str, material_name: str) -> ExportProblem:
    """The material code is not mapped to a Billit product (no product with that Reference)."""
    return _problem(
        messages.EXPORT_UNKNOWN_MATERIAL,
        workorder_no=workorder_no,
        material_code=material_code,
        material_name=material_name,
    )


def unknown_materials(workorder_no: str, materials: Iterable[tuple[str, str]]) -> ExportProblem:
    """Several unmapped materials (code, name) in one problem; one of them → ``unknown_material``.

    ``material_codes`` is ``'K-100', 'K-200'``; the names go into ``material_names``.
    """
    rows = list(materials)
    if not rows:
        raise ValueError("no materials given")
    if len(rows) == 1:
        return unknown_material(workorder_no, *rows[0])
    return _problem(
        messages.EXPORT_UNKNOWN_MATERIALS,
        workorder_no=workorder_no,
        material_codes=", ".join(f"'{code}'" for code, _ in rows),
        material_names=", ".join(name for _, name in rows),
    )


def unknown_hour_type(workorder_no: str, hour_type: str) -> ExportProblem:
    """An hour type without a price anywhere (neither mapped from Billit nor in OutSmart)."""
    return _problem(
        messages.EXPORT_UNKNOWN_HOUR_TYPE, workorder_no=workorder_no, hour_type=hour_type
    )


def missing_hour_type(workorder_no: str, hours: str) -> ExportProblem:
    """Work periods with time but an empty ``HourType``; ``hours`` as ``H:MM`` (e.g. ``2:30``)."""
    return _problem(messages.EXPORT_MISSING_HOUR_TYPE, workorder_no=workorder_no, hours=hours)


def customer_not_found(workorder_no: str, debtor_number: str, customer_name: str) -> ExportProblem:
    return _problem(
        messages.EXPORT_CUSTOMER_NOT_FOUND,
        workorder_no=workorder_no,
        debtor_number=debtor_number.strip() or NONE_SHOWN,
        customer_name=customer_name.strip() or NONE_SHOWN,
    )


def customer_incomplete(workorder_no: str, missing: str) -> ExportProblem:
    """Creating the customer from the invoice address needs what ``missing`` names.

    Pass OutSmart's field names (``CustomerNameInvoice, CustomerStreetInvoice``): they read the
    same in every language.
    """
    return _problem(messages.EXPORT_CUSTOMER_INCOMPLETE, workorder_no=workorder_no, missing=missing)


def invalid_vat_number(workorder_no: str, vat_number: str, customer_name: str) -> ExportProblem:
    return _problem(
        messages.EXPORT_INVALID_VAT_NUMBER,
        workorder_no=workorder_no,
        vat_number=vat_number,
        customer_name=customer_name.strip() or NONE_SHOWN,
    )


# Why a customer's VAT regime cannot be decided (vat_regime.customer_vat); each is a message.
REGIME_UNKNOWN_CODE = messages.EXPORT_VAT_REGIME_UNKNOWN_CODE
REGIME_NO_VAT_NUMBER = messages.EXPORT_VAT_REGIME_NO_VAT_NUMBER
REGIME_INVALID_VAT_NUMBER = messages.EXPORT_VAT_REGIME_INVALID_VAT_NUMBER
REGIME_NOT_VAT_LIABLE = messages.EXPORT_VAT_REGIME_NOT_VAT_LIABLE
REGIME_WRONG_COUNTRY = messages.EXPORT_VAT_REGIME_WRONG_COUNTRY


def customer_vat_regime_unclear(
    reason: str,
    *,
    workorder_no: str,
    customer_name: str,
    code: str,
    vat_number: str,
    country: str,
) -> ExportProblem:
    """The Billit customer's VAT regime cannot be decided safely; ``reason`` is one of the
    ``REGIME_*`` message keys, each saying what to change in Billit."""
    return _problem(
        reason,
        workorder_no=workorder_no,
        customer_name=customer_name.strip() or NONE_SHOWN,
        code=code.strip() or NONE_SHOWN,
        vat_number=vat_number.strip() or NONE_SHOWN,
        country=country.strip() or NONE_SHOWN,
    )


def nothing_to_invoice(workorder_no: str) -> ExportProblem:
    """Every line switched off by the settings, or the work order has none."""
    return _problem(messages.EXPORT_NOTHING_TO_INVOICE, workorder_no=workorder_no)


def billit_refused(workorder_no: str, codes: str, description: str) -> ExportProblem:
    """Billit answered 400 with ``codes`` (comma separated) and a description.

    The first code with a fix of its own (``KNOWN_BILLIT_CODES``) picks the message; otherwise
    the generic one shows the codes and Billit's description.
    """
    names = [code for code in _CODE_SEPARATORS.split(codes.strip()) if code]
    shown_codes = ", ".join(names) or NONE_SHOWN
    description = description.strip()
    detail = f"{shown_codes}: {description}" if description else shown_codes
    key = next(
        (KNOWN_BILLIT_CODES[n.lower()] for n in names if n.lower() in KNOWN_BILLIT_CODES),
        messages.EXPORT_BILLIT_REFUSED,
    )
    return _problem(
        key, workorder_no=workorder_no, codes=shown_codes, description=description, detail=detail
    )


def billit_refused_from(workorder_no: str, error: BillitApiError) -> ExportProblem:
    """``billit_refused`` from a Billit error (e.g. ``BillitValidationError``) and its codes."""
    names = ", ".join(code.code for code in error.codes)
    descriptions = "; ".join(code.description for code in error.codes if code.description)
    return billit_refused(workorder_no, names, descriptions)


def customer_gone(
    workorder_no: str, party_id: int, customer_name: str, debtor_number: str
) -> ExportProblem:
    """Billit answered 401 to the invoice and the customer it names no longer exists there
    (reference §7: "the wrong Customer ID in the Object"); its mapping has been cleared."""
    return _problem(
        messages.EXPORT_CUSTOMER_GONE,
        workorder_no=workorder_no,
        party_id=str(party_id),
        customer_name=customer_name.strip() or NONE_SHOWN,
        debtor_number=debtor_number.strip() or NONE_SHOWN,
    )


def customer_refused(workorder_no: str, party_id: int, customer_name: str) -> ExportProblem:
    """Billit answered 401 to the invoice while the customer can still be read."""
    return _problem(
        messages.EXPORT_CUSTOMER_REFUSED,
        workorder_no=workorder_no,
        party_id=str(party_id),
        customer_name=customer_name.strip() or NONE_SHOWN,
    )


def outsmart_token_refused() -> ExportProblem:
    return _problem(messages.EXPORT_OUTSMART_TOKEN_REFUSED)


def invalid_workorder(workorder_no: str, detail: str) -> ExportProblem:
    """A value OutSmart sent that cannot be read; ``detail`` names the field and the value
    (e.g. ``MaterialNr '1,2,3' (K-100)``)."""
    return _problem(messages.EXPORT_INVALID_WORKORDER, workorder_no=workorder_no, detail=detail)


def material_total_mismatch(
    workorder_no: str, material: str, total_price: str, computed: str, detail: str
) -> ExportProblem:
    """``MaterialTotalPrice`` disagrees with MaterialNr x MaterialPrice - discount beyond
    rounding; both figures are named (``detail`` shows the computation, e.g. ``3 x 4,55``)."""
    return _problem(
        messages.EXPORT_MATERIAL_TOTAL_MISMATCH,
        workorder_no=workorder_no,
        material=material,
        total_price=total_price,
        computed=computed,
        detail=detail,
    )


def material_prices_contradict(
    workorder_no: str, material: str, price: str, original_price: str, discount: str
) -> ExportProblem:
    return _problem(
        messages.EXPORT_MATERIAL_PRICES_CONTRADICT,
        workorder_no=workorder_no,
        material=material,
        price=price,
        original_price=original_price,
        discount=discount,
    )


def implausible_value(workorder_no: str, field: str, value: str, expected: str) -> ExportProblem:
    """A readable value no real work order has (``MinimumHours '900'``); ``expected`` is the
    plausible range in figures (``0-24``), the same in every language."""
    return _problem(
        messages.EXPORT_IMPLAUSIBLE_VALUE,
        workorder_no=workorder_no,
        field=field,
        value=value,
        expected=expected,
    )


def paid_on_site_skipped(workorder_no: str, payment_method: str) -> ExportSkipped:
    return _skipped(
        messages.EXPORT_PAID_ON_SITE_SKIPPED,
        workorder_no=workorder_no,
        payment_method=payment_method,
    )


def fixed_price_quote_skipped(workorder_no: str, payment_method: str) -> ExportSkipped:
    return _skipped(
        messages.EXPORT_FIXED_PRICE_QUOTE_SKIPPED,
        workorder_no=workorder_no,
        payment_method=payment_method,
    )


def unknown_payment_method(workorder_no: str, payment_method: str) -> ExportProblem:
    return _problem(
        messages.EXPORT_UNKNOWN_PAYMENT_METHOD,
        workorder_no=workorder_no,
        payment_method=payment_method,
    )


def workorder_deleted(workorder_no: str) -> ExportProblem:
    """OutSmart 1500: the work order was deleted after it was queued (or never existed)."""
    return _problem(messages.EXPORT_WORKORDER_DELETED, workorder_no=workorder_no)


def outsmart_refused(workorder_no: str, detail: str) -> ExportProblem:
    """OutSmart refused an update of the work order (e.g. 1504 "problem parsing the data")."""
    return _problem(messages.EXPORT_OUTSMART_REFUSED, workorder_no=workorder_no, detail=detail)


def _outsmart_detail(error: OutSmartApiError) -> str:
    detail = "; ".join(error.messages) or NONE_SHOWN
    return f"{detail} (code {error.code})" if error.code else detail


def from_user_fixable(workorder_no: str, error: UserFixableError) -> ExportProblem:
    """Any user-fixable error met during an export as the log panel's problem, so none of
    them is retried into the dead-letter queue or left without a fix to read:

    - OutSmart 1500 → the work order was deleted;
    - a value OutSmart sent that cannot be read (``OutSmartDataError``) → ``invalid_workorder``
      naming the field and value;
    - an OutSmart refusal (1504, xx00/xx01…) → ``outsmart_refused`` with OutSmart's messages;
    - anything else → ``EXPORT_NOT_EXPORTED`` with the error's own (English) text.
    """
    if isinstance(error, ExportProblem):
        return error
    if isinstance(error, OutSmartNotFoundError):
        return workorder_deleted(workorder_no)
    if isinstance(error, OutSmartDataError):
        return invalid_workorder(workorder_no, "; ".join(error.messages) or NONE_SHOWN)
    if isinstance(error, OutSmartValidationError):
        return outsmart_refused(workorder_no, _outsmart_detail(error))
    return _problem(
        messages.EXPORT_NOT_EXPORTED, workorder_no=workorder_no, detail=str(error) or NONE_SHOWN
    )


def earlier_invoice_unnumbered(workorder_no: str, order_id: str) -> ExportProblem:
    """A credit note needs the earlier invoice's number (``AboutInvoiceNumber``)."""
    return _problem(
        messages.EXPORT_EARLIER_INVOICE_UNNUMBERED, workorder_no=workorder_no, order_id=order_id
    )


def workstatus_not_set(
    workorder_no: str, invoice_number: str, workstatus: str, error: OutSmartApiError
) -> tuple[str, dict[str, str]]:
    """The invoice exists and the work order is Handled, but ``UpdateWorkorder`` refused the
    "work status after export": a warning (key, params), not a failed export."""
    return messages.EXPORT_WORKSTATUS_NOT_SET, {
        "workorder_no": _shown(workorder_no),
        "invoice_number": _shown(invoice_number),
        "workstatus": _shown(workstatus),
        "detail": _shown(_outsmart_detail(error)),
    }


def pdf_not_attached(workorder_no: str, detail: str) -> tuple[str, dict[str, str]]:
    """The work order's PDF could not be fetched: the invoice goes without it (a warning)."""
    return messages.EXPORT_PDF_NOT_ATTACHED, {
        "workorder_no": _shown(workorder_no),
        "detail": _shown(detail) or NONE_SHOWN,
    }


# ---------------------------------------------------------------------------------------------
# Warnings (the invoice exists, but was not sent)
# ---------------------------------------------------------------------------------------------


def invoice_held_message(
    workorder_no: str, invoice_number: str, order_id: int, breaches: Mapping[str, str]
) -> tuple[str, dict[str, str]]:
    """The log panel's warning for an invoice kept as a draft; ``breaches`` maps each broken
    limit's kind to ``<value>/<limit>`` (``plausibility.breach_params``), rendered in the
    tenant's language (``messages.breach_summary``)."""
    params = {
        "workorder_no": _shown(workorder_no),
        "invoice_number": _shown(invoice_number) or str(order_id),
        "order_id": str(order_id),
    }
    params.update({messages.BREACH_PREFIX + kind: value for kind, value in breaches.items()})
    return messages.EXPORT_INVOICE_HELD, params


# ---------------------------------------------------------------------------------------------
# Successes (for the sync log; not problems)
# ---------------------------------------------------------------------------------------------


def exported_message(
    workorder_no: str,
    invoice_number: str,
    order_id: int,
    *,
    sent_by: str | None = None,
    already_there: bool = False,
) -> tuple[str, dict[str, str]]:
    """The log panel's key and params for an exported work order.

    ``sent_by`` is the transport shown to the user (``Peppol``, ``e-mail``) when the invoice was
    sent; ``already_there`` when the invoice was found in Billit instead of created.
    """
    params = {
        "workorder_no": _shown(workorder_no),
        "invoice_number": _shown(invoice_number) or str(order_id),
        "order_id": str(order_id),
    }
    if already_there:
        return messages.EXPORT_ALREADY_EXPORTED, params
    if sent_by:
        return messages.EXPORT_INVOICE_SENT, {**params, "transport": _shown(sent_by)}
    return messages.EXPORT_INVOICE_CREATED, params
