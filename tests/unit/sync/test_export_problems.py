"""The export's user-fixable problems and outcomes, as the log panel shows them (en, nl)."""

import pickle
import re
import string

import pytest

from billit_sync import messages
from billit_sync.billit.errors import BillitErrorCode, BillitValidationError
from billit_sync.errors import ErrorKind, UserFixableError
from billit_sync.sync.exports import problems
from billit_sync.sync.exports.problems import ExportProblem

EXPORT_KEYS = sorted(key for key in messages.CATALOGUE if key.startswith("export."))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", EXPORT_KEYS)
def test_every_export_message_has_both_languages_with_the_same_parameters(key: str) -> None:
    templates = messages.CATALOGUE[key]
    assert set(templates) == {"en", "nl"}
    assert placeholders(templates["en"]) == placeholders(templates["nl"])
    assert templates["en"] != templates["nl"]


def all_problems() -> list[ExportProblem]:
    return [
        problems.unknown_material("2024-0042", "K-100", "Kabel"),
        problems.unknown_materials("2024-0042", [("K-100", "Kabel"), ("K-200", "Buis")]),
        problems.unknown_hour_type("2024-0042", "HT-404"),
        problems.missing_hour_type("2024-0042", "1:30"),
        problems.customer_not_found("2024-0042", "C-1001", "Peeters BV"),
        problems.customer_incomplete("2024-0042", "CustomerStreetInvoice"),
        problems.invalid_vat_number("2024-0042", "BE0123", "Peeters BV"),
        problems.nothing_to_invoice("2024-0042"),
        problems.billit_refused("2024-0042", "GenericError", "[BR-S-08] rule"),
        problems.billit_refused("2024-0042", "InvalidVAtPercentageForTaxCountry_0_", ""),
        problems.billit_refused("2024-0042", "TheCustomerDoesNotSupportPeppolForType_0", ""),
        problems.outsmart_token_refused(),
        problems.invalid_workorder("2024-0042", "MaterialNr '1,2,3'"),
    ]


@pytest.mark.parametrize("problem", all_problems(), ids=lambda p: p.message_key)
def test_every_problem_renders_completely_in_both_languages(problem: ExportProblem) -> None:
    assert isinstance(problem, UserFixableError)
    assert problem.kind is ErrorKind.USER_FIXABLE
    assert problem.message_key in messages.CATALOGUE
    assert str(problem) == messages.render(problem.message_key, problem.params, "en")
    assert str(problem) == problem.render("en")
    for language in ("en", "nl"):
        text = problem.render(language)
        assert "{" not in text and "}" not in text, text
    if problem.message_key != messages.EXPORT_OUTSMART_TOKEN_REFUSED:
        assert "2024-0042" in problem.render("nl")


def test_every_problem_and_outcome_key_is_in_the_catalogue() -> None:
    covered = {problem.message_key for problem in all_problems()}
    outcomes = {
        messages.EXPORT_INVOICE_CREATED,
        messages.EXPORT_INVOICE_SENT,
        messages.EXPORT_ALREADY_EXPORTED,
    }
    assert covered | outcomes <= set(EXPORT_KEYS)


def test_unknown_material_exact_text() -> None:
    problem = problems.unknown_material("2024-0042", "K-100", "Kabel 3x2,5")
    assert problem.message_key == "export.unknown_material"
    assert problem.params == {
        "workorder_no": "2024-0042",
        "material_code": "K-100",
        "material_name": "Kabel 3x2,5",
    }
    assert str(problem) == (
        "Material 'K-100' on work order 2024-0042 has no Billit product. "
        "Import products or create it in Billit."
    )
    assert problem.render("nl") == (
        "Materiaal 'K-100' op werkbon 2024-0042 heeft geen Billit-product. "
        "Importeer de producten of maak het aan in Billit."
    )


def test_one_unknown_material_in_the_plural_factory_is_the_singular_problem() -> None:
    single = problems.unknown_materials("2024-0042", [("K-100", "Kabel")])
    assert single.message_key == "export.unknown_material"
    with pytest.raises(ValueError, match="no materials"):
        problems.unknown_materials("2024-0042", [])


def test_unknown_hour_type_exact_text() -> None:
    assert str(problems.unknown_hour_type("2024-0042", "HT-404")) == (
        "Hour type 'HT-404' on work order 2024-0042 has no price. Import hour types from Billit "
        "or give the hour type a sale price in OutSmart."
    )


def test_customer_not_found_says_what_to_do_in_which_system() -> None:
    problem = problems.customer_not_found("2024-0042", "C-1001", "Peeters BV")
    assert str(problem) == (
        "Work order 2024-0042: no Billit customer with number C-1001 (Peeters BV). Import "
        "customers, create it in Billit, or switch on 'create missing Billit customers'."
    )
    assert problem.render("nl") == (
        "Werkbon 2024-0042: geen Billit-klant met nummer C-1001 (Peeters BV). Importeer de "
        "klanten, maak de klant aan in Billit of zet 'ontbrekende Billit-klanten aanmaken' aan."
    )


def test_customer_not_found_without_number_or_name_shows_a_dash() -> None:
    problem = problems.customer_not_found("2024-0042", " ", "")
    assert problem.params["debtor_number"] == "-"
    assert "number - (-)" in str(problem)


def test_customer_incomplete_names_the_missing_fields() -> None:
    problem = problems.customer_incomplete(
        "2024-0042", "CustomerNameInvoice, CustomerStreetInvoice"
    )
    assert str(problem) == (
        "Work order 2024-0042: the Billit customer cannot be created from the invoice address, "
        "which lacks CustomerNameInvoice, CustomerStreetInvoice. Complete the customer in "
        "OutSmart or create it in Billit."
    )


def test_nothing_to_invoice_text() -> None:
    assert str(problems.nothing_to_invoice("WB-7")) == (
        "Work order WB-7 has nothing to invoice: no hours, materials or work description, or "
        "the export settings leave them off. Complete the work order in OutSmart or change the "
        "export settings."
    )


def test_billit_refused_invalid_vat_rate_has_its_own_fix() -> None:
    problem = problems.billit_refused(
        "2024-0042", "InvalidVAtPercentageForTaxCountry_0_", "VAT percentage 7 is not valid."
    )
    assert problem.message_key == "export.billit_refused.vat_rate"
    assert str(problem) == (
        "Billit refused the invoice for work order 2024-0042: a VAT rate is not valid for your "
        "company's country (InvalidVAtPercentageForTaxCountry_0_). Check the VAT rate of the "
        "products in Billit and the default VAT rate in the export settings, then retry."
    )


def test_billit_refused_peppol_has_its_own_fix_and_codes_compare_case_insensitively() -> None:
    problem = problems.billit_refused(
        "2024-0042", "GenericError, thecustomerdoesnotsupportpeppolfortype_0", "Not on Peppol"
    )
    assert problem.message_key == "export.billit_refused.peppol"
    assert "choose e-mail delivery" in str(problem)
    assert problem.params["codes"] == "GenericError, thecustomerdoesnotsupportpeppolfortype_0"


def test_billit_refused_unknown_code_falls_back_to_codes_and_description() -> None:
    problem = problems.billit_refused(
        "2024-0042", "GenericError", "A buyer reference or purchase order MUST be provided"
    )
    assert problem.message_key == "export.billit_refused"
    assert str(problem) == (
        "Billit refused the invoice for work order 2024-0042 (GenericError: A buyer reference "
        "or purchase order MUST be provided). Correct the data in OutSmart or Billit and retry."
    )
    bare = problems.billit_refused("2024-0042", "", "  ")
    assert "(-)" in str(bare)


def test_billit_refused_from_a_billit_validation_error() -> None:
    error = BillitValidationError(
        "Billit POST /v1/orders: 400",
        status_code=400,
        codes=[
            BillitErrorCode("GenericError", "[BR-S-08] rule"),
            BillitErrorCode("InvalidVAtPercentageForTaxCountry_0_"),
        ],
    )
    problem = problems.billit_refused_from("WB-1", error)
    assert problem.message_key == "export.billit_refused.vat_rate"
    assert problem.params["codes"] == "GenericError, InvalidVAtPercentageForTaxCountry_0_"
    assert problem.params["description"] == "[BR-S-08] rule"


def test_outsmart_token_refused_text() -> None:
    problem = problems.outsmart_token_refused()
    assert problem.params == {}
    assert str(problem) == (
        "OutSmart refused the API token of this integration. Check in OutSmart that the token "
        "is valid and the Billit integration is active, then connect it again."
    )


def test_invalid_workorder_text() -> None:
    assert problems.invalid_workorder("WB-1", "MaterialNr '1,2,3'").render("nl") == (
        "Werkbon WB-1 bevat een waarde die niet gelezen kan worden: MaterialNr '1,2,3'. "
        "Verbeter ze in OutSmart en probeer opnieuw."
    )


def test_long_parameters_are_shortened_and_blanks_collapsed() -> None:
    problem = problems.billit_refused("WB-1", "GenericError", "x" * 500 + "\n\n  end")
    assert len(problem.params["description"]) == problems.MAX_PARAM_LENGTH
    assert problem.params["description"].endswith("…")
    assert (
        re.search(r"\s{2,}", problems.invalid_workorder("WB-1", "a \n  b").params["detail"]) is None
    )


def test_problems_survive_pickling() -> None:
    problem = problems.unknown_material("2024-0042", "K-100", "Kabel")
    copy = pickle.loads(pickle.dumps(problem))  # noqa: S301 - our own object
    assert (copy.message_key, copy.params, str(copy)) == (
        problem.message_key,
        problem.params,
        str(problem),
    )


# == outcomes ===================================================================================


def test_exported_not_sent() -> None:
    key, params = problems.exported_message("WB-1042", "2024-0007", 2731904)
    assert key == messages.EXPORT_INVOICE_CREATED
    assert messages.render(key, params, "en") == (
        "Work order WB-1042 exported to Billit as invoice 2024-0007 (not sent)."
    )
    assert params["order_id"] == "2731904"


def test_exported_and_sent() -> None:
    key, params = problems.exported_message("WB-1042", "2024-0007", 2731904, sent_by="Peppol")
    assert messages.render(key, params, "nl") == (
        "Werkbon WB-1042 geëxporteerd naar Billit als factuur 2024-0007 en verstuurd via Peppol."
    )


def test_already_exported_and_number_fallback() -> None:
    key, params = problems.exported_message("WB-1042", "", 2731904, already_there=True)
    assert messages.render(key, params, "en") == (
        "Work order WB-1042 was already in Billit as invoice 2731904; no second invoice was made."
    )
