"""The settings document's update rules: RFC 7396's own examples for the merge patch, and
the complete model PUT validates against (every setting required, nothing else changed)."""

from typing import Any

import pytest
from pydantic import ValidationError

from billit_sync.api.requests import UnprocessableBodyError
from billit_sync.api.settings_document import (
    apply_merge_patch,
    complete_document_model,
    merged_settings,
    replacement_settings,
)
from billit_sync.tenant_settings import TenantSettings


# RFC 7396 Appendix A, every row (target, patch, result).
@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396_appendix_a(target: Any, patch: Any, result: Any) -> None:
    assert apply_merge_patch(target, patch) == result


def test_the_target_is_not_modified() -> None:
    target = {"a": {"b": "c"}}
    apply_merge_patch(target, {"a": {"b": None}})
    assert target == {"a": {"b": "c"}}


def test_put_needs_every_setting_at_every_level() -> None:
    document = {"settings": TenantSettings().model_dump(mode="json")}
    assert replacement_settings(complete_document_model().model_validate(document)) == (
        TenantSettings()
    )
    del document["settings"]["exports"]["limits"]["allow_negative_total"]
    del document["settings"]["imports"]
    with pytest.raises(ValidationError) as refused:
        complete_document_model().model_validate(document)
    missing = sorted(".".join(map(str, e["loc"])) for e in refused.value.errors())
    assert missing == ["settings.exports.limits.allow_negative_total", "settings.imports"]


def test_the_complete_model_keeps_the_settings_rules() -> None:
    """Validators and limits of the settings models hold in the PUT model too."""
    document = {"settings": TenantSettings().model_dump(mode="json")}
    document["settings"]["exports"]["hour_rounding"] = 15  # a number is understood
    parsed = complete_document_model().model_validate(document)
    assert replacement_settings(parsed).exports.hour_rounding.minutes == 15
    document["settings"]["imports"]["interval_minutes"] = 1
    document["settings"]["exports"]["colour"] = "blue"
    with pytest.raises(ValidationError) as refused:
        complete_document_model().model_validate(document)
    assert sorted(".".join(map(str, e["loc"])) for e in refused.value.errors()) == [
        "settings.exports.colour",
        "settings.imports.interval_minutes",
    ]


def test_a_settings_null_puts_every_setting_back_to_its_default() -> None:
    saved = TenantSettings.model_validate({"exports": {"delivery": "peppol"}})
    assert merged_settings(saved, {"settings": None}) == TenantSettings()
    assert merged_settings(saved, {}) == saved  # an empty patch changes nothing


@pytest.mark.parametrize("patch", [[], "x", 3])
def test_a_patch_that_is_no_object_is_refused(patch: Any) -> None:
    with pytest.raises(UnprocessableBodyError):
        merged_settings(TenantSettings(), patch)
