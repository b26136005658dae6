"""The settings model: defaults, what it accepts and refuses (by field), and what it explains."""

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from billit_sync.tenant_settings import (
    NO_EMPLOYEES_NOTE,
    SETTINGS_NOTES,
    ExportSettings,
    FixedPriceQuote,
    HourRounding,
    ImportSettings,
    InvoiceDelivery,
    PaidOnSite,
    TenantSettings,
    UnknownPaymentMethod,
    WorkOrderSettings,
)


def error_fields(data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        TenantSettings.model_validate(data)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


def test_defaults_import_everything_hourly_and_export_drafts_safely() -> None:
    settings = TenantSettings()
    imports, exports = settings.imports, settings.exports
    assert imports.customers and imports.contact_persons and imports.products
    assert imports.product_groups and imports.hour_types
    assert imports.interval_minutes == 60
    assert imports.anything_enabled
    assert exports.enabled
    assert exports.delivery is InvoiceDelivery.DRAFT  # nothing leaves Billit unasked
    assert exports.payment_term_days == 30
    assert exports.include_hours and exports.include_materials and exports.work_description_line
    assert exports.hour_rounding is HourRounding.NONE
    assert not exports.attach_workorder_pdf
    assert not exports.create_missing_customers
    assert exports.default_vat_rate == "21"
    assert exports.only_completed_after_connection
    assert exports.workstatus_after_export is None
    assert exports.recompleted == "notify"  # a re-completion is said, nothing invoiced


def test_every_issue_setting_has_a_field() -> None:
    assert set(ImportSettings.model_fields) == {
        "customers",
        "contact_persons",
        "products",
        "product_groups",
        "hour_types",
        "interval_minutes",
    }
    assert set(ExportSettings.model_fields) == {
        "enabled",
        "delivery",
        "payment_term_days",
        "include_hours",
        "hour_rounding",
        "include_materials",
        "work_description_line",
        "attach_workorder_pdf",
        "create_missing_customers",
        "default_vat_rate",
        "billit_decimals",
        "limits",
        "only_completed_after_connection",
        "workstatus_after_export",
        "workstatus_when_paid",
        "recompleted",  # issue 12: re-completed work orders
        "discovery_safety_net_minutes",  # issue 16: OutSmart's webhook, polls as a safety net
        "workorders",
    }
    assert set(WorkOrderSettings.model_fields) == {
        "default_hour_type",
        "paid_on_site",
        "fixed_price_quote",
        "unknown_payment_method",
        "on_account_methods",
        "paid_on_site_methods",
        "fixed_price_quote_methods",
    }


def test_work_order_defaults_follow_the_documented_payment_methods() -> None:
    rules = TenantSettings().exports.workorders
    assert rules.default_hour_type is None  # empty HourType stops the export until chosen
    assert rules.paid_on_site is PaidOnSite.MARK_PAID
    assert rules.fixed_price_quote is FixedPriceQuote.SKIP
    assert rules.unknown_payment_method is UnknownPaymentMethod.REVIEW
    # desc:2431, with the spec's "contact voldaan" and the intended "contant voldaan".
    assert rules.on_account_methods == ["op rekening", "niet van toepassing"]
    assert rules.paid_on_site_methods == ["contant voldaan", "contact voldaan", "pin betaling"]
    assert rules.fixed_price_quote_methods == ["conform offerte"]


def test_payment_methods_are_kept_trimmed_and_case_insensitive() -> None:
    rules = WorkOrderSettings.model_validate(
        {"paid_on_site_methods": ["  Cash ", "PIN  Betaling", ""], "default_hour_type": "  "}
    )
    assert rules.paid_on_site_methods == ["cash", "pin betaling"]
    assert rules.default_hour_type is None
    assert error_fields({"exports": {"workorders": {"paid_on_site": "maybe"}}}) == {
        "exports.workorders.paid_on_site"
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"exports": {"hour_rounding": "10"}}, "exports.hour_rounding"),
        ({"exports": {"hour_rounding": 10}}, "exports.hour_rounding"),
        ({"exports": {"payment_term_days": -1}}, "exports.payment_term_days"),
        ({"exports": {"payment_term_days": 366}}, "exports.payment_term_days"),
        ({"exports": {"delivery": "fax"}}, "exports.delivery"),
        ({"exports": {"default_vat_rate": "19"}}, "exports.default_vat_rate"),
        ({"exports": {"billit_decimals": 6}}, "exports.billit_decimals"),
        ({"exports": {"billit_decimals": 1}}, "exports.billit_decimals"),
        ({"exports": {"limits": {"max_invoice_total": 0}}}, "exports.limits.max_invoice_total"),
        (
            {"exports": {"limits": {"max_quantity_per_line": "-1"}}},
            "exports.limits.max_quantity_per_line",
        ),
        (
            {"exports": {"limits": {"max_hours_per_workorder": "1.234"}}},
            "exports.limits.max_hours_per_workorder",
        ),
        ({"exports": {"limits": {"max_invoice": 1}}}, "exports.limits.max_invoice"),
        ({"exports": {"workstatus_after_export": "x" * 33}}, "exports.workstatus_after_export"),
        ({"exports": {"discovery_safety_net_minutes": 10}}, "exports.discovery_safety_net_minutes"),
        (
            {"exports": {"discovery_safety_net_minutes": 1445}},
            "exports.discovery_safety_net_minutes",
        ),
        ({"exports": {"discovery_safety_net_minutes": 62}}, "exports.discovery_safety_net_minutes"),
        ({"imports": {"interval_minutes": 5}}, "imports.interval_minutes"),
        ({"imports": {"employees": True}}, "imports.employees"),
        ({"imports": {"customers": "maybe"}}, "imports.customers"),
        ({"invoices": {}}, "invoices"),
    ],
)
def test_invalid_values_name_their_field(data: dict[str, Any], field: str) -> None:
    assert error_fields(data) == {field}


def test_numbers_are_accepted_for_rounding_and_vat_rate() -> None:
    exports = ExportSettings.model_validate({"hour_rounding": 15, "default_vat_rate": 6})
    assert exports.hour_rounding is HourRounding.FIFTEEN_MINUTES
    assert exports.default_vat_rate == "6"


def test_billit_keeps_two_decimals_and_plausible_invoices_by_default() -> None:
    exports = ExportSettings()
    assert exports.billit_decimals == 2  # billit-api.md §8: 2 unless the company extended it
    limits = exports.limits
    assert limits.max_quantity_per_line == 1000 and limits.max_hours_per_workorder == 200
    assert limits.max_invoice_total == 25000
    assert limits.allow_negative_lines and not limits.allow_negative_total
    assert ExportSettings.model_validate({"billit_decimals": "5"}).billit_decimals == 5
    stored = TenantSettings(exports=ExportSettings(billit_decimals=3)).model_dump(mode="json")
    assert TenantSettings.model_validate(stored).exports.billit_decimals == 3


def test_a_blank_work_status_means_keep_the_status() -> None:
    assert ExportSettings(workstatus_after_export="  ").workstatus_after_export is None
    assert ExportSettings(workstatus_after_export="Gefactureerd").workstatus_after_export == (
        "Gefactureerd"
    )


def test_json_round_trip() -> None:
    settings = TenantSettings(
        imports=ImportSettings(customers=False, interval_minutes=240),
        exports=ExportSettings(delivery=InvoiceDelivery.EMAIL, hour_rounding=HourRounding("30")),
    )
    assert TenantSettings.model_validate(settings.model_dump(mode="json")) == settings


@pytest.mark.parametrize(
    ("rounding", "minutes", "expected"),
    [
        ("none", "61", "61"),
        ("5", "61", "65"),
        ("15", "61", "75"),
        ("15", "60", "60"),
        ("30", "1", "30"),
        ("30", "0", "0"),
        ("15", "7.5", "15"),
    ],
)
def test_hour_rounding_rounds_up(rounding: str, minutes: str, expected: str) -> None:
    assert HourRounding(rounding).round_up(Decimal(minutes)) == Decimal(expected)


def test_contact_persons_or_groups_alone_import_nothing() -> None:
    only_contacts = ImportSettings(customers=False, products=False, hour_types=False)
    assert only_contacts.contact_persons and only_contacts.product_groups
    assert not only_contacts.anything_enabled
    assert ImportSettings(customers=False, products=False).anything_enabled  # hour types


def test_billit_has_no_employees_is_explained_not_switched() -> None:
    assert "employee" not in " ".join(ImportSettings.model_fields)
    assert "no employees" in NO_EMPLOYEES_NOTE
    assert NO_EMPLOYEES_NOTE in SETTINGS_NOTES
    schema = TenantSettings.model_json_schema()
    assert "no employees" in schema["description"]
    assert NO_EMPLOYEES_NOTE in schema["x-notes"]
    imports_schema = schema["$defs"]["ImportSettings"]
    assert "no employees" in imports_schema["description"]
    assert imports_schema["properties"]["hour_types"]["description"]


def test_the_discovery_safety_net_defaults_to_an_hour() -> None:
    assert TenantSettings().exports.discovery_safety_net_minutes == 60
    settings = TenantSettings.model_validate({"exports": {"discovery_safety_net_minutes": 240}})
    assert settings.exports.discovery_safety_net_minutes == 240
