"""The settings resource as the API reads and writes it: one document, three verbs that agree.

``GET`` answers ``{"settings": {...}, "notes": [...]}``. ``PUT`` takes exactly that document
back (``notes`` is read-only: accepted and ignored) and replaces the settings, so every
setting must be in it: a ``PUT`` that leaves one out is a 422 naming each missing field,
never a silent reset to the default (issue 15: a partial ``PUT`` used to reset the delivery
mode and the paid work status). ``PATCH`` is the way to change a part: a JSON merge patch
(RFC 7396) of the same document, merged into the saved settings, nested objects included;
``null`` puts a setting back to its default; an unknown name is a 422 that names it.
"""

from functools import cache
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from billit_sync.api.requests import UnprocessableBodyError, field_errors
from billit_sync.tenant_settings import SETTINGS_NOTES, TenantSettings

MERGE_PATCH_CONTENT_TYPE: Final = "application/merge-patch+json"
ONLY_FOR_PUT: Final = {"defer_build": True}
"""The complete models validate one route's body (PUT): pydantic builds their validators when
a PUT first uses them, not on every cold start of the management API (issue 16)."""


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 §2, literally: an object patch merges member by member (``null`` removes
    the member), anything else replaces the target whole (arrays included)."""
    if not isinstance(patch, dict):
        return patch
    merged: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = apply_merge_patch(merged.get(name), value)
    return merged


def _required_copy(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with every field required (nested settings models too), its validators and
    ``extra="forbid"`` kept: what a complete document must contain."""
    overrides: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = _required_copy(annotation)
        required = FieldInfo.merge_field_infos(info)
        required.default = PydanticUndefined
        required.default_factory = None
        overrides[name] = (annotation, required)
    complete: type[BaseModel] = create_model(
        f"Complete{model.__name__}", __base__=model, __cls_kwargs__=ONLY_FOR_PUT, **overrides
    )
    return complete


@cache
def complete_settings_model() -> type[TenantSettings]:
    complete: type[TenantSettings] = _required_copy(TenantSettings)  # type: ignore[assignment]
    return complete


class SettingsDocument(BaseModel):
    """The settings resource: what ``GET`` answers and ``PUT`` takes back."""

    model_config = ConfigDict(extra="forbid")

    settings: TenantSettings
    notes: list[str] = Field(
        default_factory=lambda: list(SETTINGS_NOTES),
        description="Read-only: what the switches cannot say (ignored when sent back)",
        json_schema_extra={"readOnly": True},
    )


@cache
def complete_document_model() -> type[SettingsDocument]:
    """The body ``PUT`` takes: the settings document with every setting required."""
    complete: type[SettingsDocument] = create_model(
        "CompleteSettingsDocument",
        __base__=SettingsDocument,
        __cls_kwargs__=ONLY_FOR_PUT,
        settings=(complete_settings_model(), FieldInfo()),
    )
    return complete


def replacement_settings(document: SettingsDocument) -> TenantSettings:
    """The plain settings of a complete document (the complete models are subclasses)."""
    return TenantSettings.model_validate(document.settings.model_dump(mode="json"))


def merged_settings(saved: TenantSettings, patch: Any) -> TenantSettings:
    """The saved settings with a merge patch of the settings document applied; a 422 names
    every unknown or wrong field (``settings.exports.delivry``), nothing is saved then."""
    if not isinstance(patch, dict):
        raise UnprocessableBodyError(
            [{"field": "body", "problem": "a merge patch of the settings document is an object"}]
        )
    unknown = sorted(set(patch) - set(SettingsDocument.model_fields))
    if unknown:
        raise UnprocessableBodyError(
            [{"field": name, "problem": "Extra inputs are not permitted"} for name in unknown]
        )
    settings_patch = patch.get("settings", {})
    if settings_patch is None:
        settings_patch = {}  # null: every setting back to its default (RFC 7396)
        base: Any = {}
    else:
        base = saved.model_dump(mode="json")
    merged = apply_merge_patch(base, settings_patch)
    try:
        return TenantSettings.model_validate(merged)
    except ValidationError as error:
        raise UnprocessableBodyError(field_errors(error, "settings")) from None
