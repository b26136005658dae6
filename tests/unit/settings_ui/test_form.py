"""The settings form merges what the browser sent into the saved settings (issue 15, point 1:
"the save path must merge, never reset unsent fields") and puts each error beside its field."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billit_sync.settings_ui.form import FIELD_SPECS, form_groups, read_form
from billit_sync.settings_ui.texts import FIELD_LABELS
from billit_sync.tenant_settings import (
    ExportSettings,
    HourRounding,
    InvoiceDelivery,
    TenantSettings,
    WorkOrderSettings,
)

SAVED = TenantSettings(
    exports=ExportSettings(
        delivery=InvoiceDelivery.PEPPOL,
        workstatus_when_paid="060",
        hour_rounding=HourRounding.FIFTEEN_MINUTES,
        workorders=WorkOrderSettings(default_hour_type="UUR"),
    )
)


def test_every_setting_has_a_control_and_a_label_in_both_languages() -> None:
    """A setting added to TenantSettings without a label fails here, not on the page."""
    paths = {spec.path for spec in FIELD_SPECS}
    assert "imports.customers" in paths and "exports.limits.max_invoice_total" in paths
    assert paths == set(FIELD_LABELS)
    for path in paths:
        assert FIELD_LABELS[path]["en"] and FIELD_LABELS[path]["nl"]
    assert not any("employee" in path for path in paths)  # Billit has no employees


def test_a_partial_form_changes_only_what_it_sent() -> None:
    outcome = read_form(SAVED, {"exports.payment_term_days": ["14"]}, "en")
    assert outcome.errors == {}
    assert outcome.settings is not None
    expected = SAVED.model_dump(mode="json")
    expected["exports"]["payment_term_days"] = 14
    assert outcome.settings.model_dump(mode="json") == expected


@pytest.mark.parametrize(
    ("sent", "checked"),
    [
        (["false"], False),  # the hidden field alone: the box was unchecked
        (["false", "true"], True),  # hidden field, then the checked box: the last wins
    ],
)
def test_a_checkbox_is_read_from_its_hidden_field_and_the_box(
    sent: list[str], checked: bool
) -> None:
    outcome = read_form(SAVED, {"exports.attach_workorder_pdf": sent}, "en")
    assert outcome.settings is not None
    assert outcome.settings.exports.attach_workorder_pdf is checked
    assert outcome.settings.exports.delivery is InvoiceDelivery.PEPPOL


def test_lists_are_one_per_line_and_empty_text_clears_an_optional_value() -> None:
    form = {
        "exports.workorders.on_account_methods": ["Op rekening\r\n\r\n  Factuur  "],
        "exports.workstatus_when_paid": ["  "],
    }
    outcome = read_form(SAVED, form, "en")
    assert outcome.settings is not None
    assert outcome.settings.exports.workorders.on_account_methods == ["op rekening", "factuur"]
    assert outcome.settings.exports.workstatus_when_paid is None
    assert outcome.settings.exports.workorders.default_hour_type == "UUR"


def test_unknown_field_names_change_nothing() -> None:
    outcome = read_form(SAVED, {"exports.employees": ["true"], "tenant_id": ["other"]}, "en")
    assert outcome.settings == SAVED


@pytest.mark.parametrize(
    ("form", "path", "en", "nl"),
    [
        (
            {"exports.payment_term_days": ["999"]},
            "exports.payment_term_days",
            "Must be at most 365.",
            "Hoogstens 365.",
        ),
        (
            {"imports.interval_minutes": ["5"]},
            "imports.interval_minutes",
            "Must be at least 15.",
            "Minstens 15.",
        ),
        (
            {"exports.limits.max_invoice_total": ["veel"]},
            "exports.limits.max_invoice_total",
            "Enter a number.",
            "Vul een getal in.",
        ),
        (
            {"exports.delivery": ["fax"]},
            "exports.delivery",
            "Choose one of the options.",
            "Kies een van de opties.",
        ),
    ],
)
def test_a_wrong_value_is_refused_beside_its_field_in_the_users_language(
    form: dict[str, list[str]], path: str, en: str, nl: str
) -> None:
    for language, message in (("en", en), ("nl", nl)):
        outcome = read_form(SAVED, form, language)  # type: ignore[arg-type]
        assert outcome.settings is None
        assert outcome.errors == {path: message}
        # The page shows what the user typed, next to the error, not the saved value.
        shown = _field(form_groups(outcome.document, outcome.errors, language), path)  # type: ignore[arg-type]
        assert (shown.value, shown.error) == (form[path][0], message)


def _field(groups: Any, path: str) -> Any:
    return next(field for group in groups for field in group.fields if field.path == path)


def test_the_groups_show_the_saved_values_with_dutch_labels() -> None:
    groups = form_groups(SAVED.model_dump(mode="json"), {}, "nl")
    assert [group.key for group in groups] == [
        "imports",
        "exports",
        "exports.limits",
        "exports.workorders",
    ]
    delivery = _field(groups, "exports.delivery")
    assert delivery.label == "Factuur versturen" and delivery.value == "peppol"
    assert ("peppol", "Versturen via Peppol") in delivery.choices
    assert _field(groups, "imports.customers").checked is True
    methods = _field(groups, "exports.workorders.paid_on_site_methods")
    assert methods.value.splitlines() == ["contant voldaan", "contact voldaan", "pin betaling"]


@given(
    st.dictionaries(
        st.sampled_from([spec.path for spec in FIELD_SPECS] + ["csrf_token", "x.y", ""]),
        st.lists(st.text(max_size=40), min_size=0, max_size=3),
        max_size=12,
    )
)
def test_any_form_is_saved_or_refused_field_by_field_never_crashes(
    form: dict[str, list[str]],
) -> None:
    outcome = read_form(SAVED, form, "nl")
    if outcome.settings is None:
        assert outcome.errors and set(outcome.errors) <= {spec.path for spec in FIELD_SPECS}
    else:
        assert outcome.errors == {}
        untouched = {spec.path for spec in FIELD_SPECS} - {k for k, v in form.items() if v}
        dumped = outcome.settings.model_dump(mode="json")
        saved = SAVED.model_dump(mode="json")
        for path in untouched:
            assert _get(dumped, path) == _get(saved, path), path


def _get(document: Any, path: str) -> Any:
    for part in path.split("."):
        document = document[part]
    return document
