"""The settings form, derived from ``TenantSettings`` itself (one contract, no second list).

Every leaf field of the model becomes one form control, named by its dotted path
(``exports.limits.max_invoice_total``). A save *merges*: only the paths the browser sent are
changed, everything else keeps its saved value, then the whole document is validated by
``TenantSettings`` (the same rules as the JSON API) and each error is put beside its field.

HTML forms do not send an unchecked checkbox, so each checkbox is preceded by a hidden field
with the same name and ``false``: the browser sends ``false`` alone or ``false`` then ``true``,
and the last value wins. A path that is not in the form at all stays as it was.
"""

import types
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from billit_sync.messages import Language
from billit_sync.settings_ui.texts import choice_label, field_label, ui_text
from billit_sync.tenant_settings import TenantSettings

Kind = Literal["checkbox", "select", "number", "text", "lines"]
MAX_FORM_FIELDS = 200
MAX_LINES_VALUE = 4096


@dataclass(frozen=True)
class FieldSpec:
    path: str
    kind: Kind
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormField:
    """One control as the template shows it."""

    path: str
    kind: Kind
    label: str
    value: str
    checked: bool
    choices: tuple[tuple[str, str], ...]  # (value, label)
    error: str | None
    hint: str | None


@dataclass(frozen=True)
class FormGroup:
    key: str
    title: str
    fields: tuple[FormField, ...]


def _strip_optional(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return _strip_optional(options[0])
    if hasattr(annotation, "__metadata__"):  # Annotated[...]
        return _strip_optional(get_args(annotation)[0])
    return annotation


def _spec(path: str, annotation: Any) -> FieldSpec:
    annotation = _strip_optional(annotation)
    if annotation is bool:
        return FieldSpec(path, "checkbox")
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return FieldSpec(path, "select", tuple(str(member.value) for member in annotation))
    if get_origin(annotation) is Literal:
        return FieldSpec(path, "select", tuple(str(value) for value in get_args(annotation)))
    if annotation in (int, Decimal, float):
        return FieldSpec(path, "number")
    if get_origin(annotation) is list:
        return FieldSpec(path, "lines")
    return FieldSpec(path, "text")


def _leaf_specs(model: type[BaseModel], prefix: str = "") -> list[FieldSpec]:
    specs: list[FieldSpec] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = _strip_optional(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            specs.extend(_leaf_specs(annotation, f"{path}."))
        else:
            specs.append(_spec(path, info.annotation))
    return specs


FIELD_SPECS: tuple[FieldSpec, ...] = tuple(_leaf_specs(TenantSettings))
SPECS_BY_PATH: dict[str, FieldSpec] = {spec.path: spec for spec in FIELD_SPECS}
GROUPS: tuple[str, ...] = ("imports", "exports", "exports.limits", "exports.workorders")


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = document
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def _form_value(spec: FieldSpec, raw: str) -> Any:
    """The browser's text as the JSON value the model validates (the model still decides)."""
    if spec.kind == "checkbox":
        return raw.strip().lower() in {"true", "on", "1"}
    if spec.kind == "lines":
        return [line.strip() for line in raw[:MAX_LINES_VALUE].splitlines() if line.strip()]
    if spec.kind == "text":
        return raw.strip() or None
    return raw.strip()


def merged_document(saved: TenantSettings, form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The saved settings with the sent paths replaced; unknown names are ignored (a form
    field the page does not render cannot change anything)."""
    document = saved.model_dump(mode="json")
    for path, values in form.items():
        spec = SPECS_BY_PATH.get(path)
        if spec is None or not values:
            continue
        _set(document, path, _form_value(spec, values[-1]))
    return document


@dataclass(frozen=True)
class FormOutcome:
    settings: TenantSettings | None
    document: dict[str, Any]
    errors: dict[str, str]


_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _error_text(error: Mapping[str, Any], language: Language) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "missing":
        return ui_text("error.missing", language)
    if kind in {"int_parsing", "decimal_parsing", "float_parsing", "int_from_float"}:
        return ui_text("error.number", language)
    if kind in _BOUNDS:
        limit = next(iter(context.values()), "")
        return ui_text(f"error.{kind}", language, limit=limit)
    if kind in {"enum", "literal_error"}:
        return ui_text("error.choice", language)
    if kind.startswith("string_") or kind.startswith("too_"):
        return ui_text("error.text", language)
    return ui_text("error.other", language, detail=str(error.get("msg", "")))


def read_form(
    saved: TenantSettings, form: Mapping[str, list[str]], language: Language
) -> FormOutcome:
    document = merged_document(saved, form)
    try:
        return FormOutcome(TenantSettings.model_validate(document), document, {})
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors(include_input=False, include_url=False):
            parts = [str(part) for part in error["loc"]]
            # A list item's error belongs to the list's control.
            while parts and ".".join(parts) not in SPECS_BY_PATH:
                parts.pop()
            path = ".".join(parts) or "imports"
            errors.setdefault(path, _error_text(dict(error), language))
        return FormOutcome(None, document, errors)


def _shown(spec: FieldSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind == "lines" and isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def form_groups(
    document: Mapping[str, Any], errors: Mapping[str, str], language: Language
) -> tuple[FormGroup, ...]:
    """The form's fieldsets, each field with its label, value and error."""
    by_group: dict[str, list[FormField]] = {group: [] for group in GROUPS}
    for spec in FIELD_SPECS:
        group = spec.path.rsplit(".", 1)[0]
        value = _get(document, spec.path)
        by_group[group].append(
            FormField(
                path=spec.path,
                kind=spec.kind,
                label=field_label(spec.path, language),
                value=_shown(spec, value),
                checked=value is True,
                choices=tuple(
                    (choice, choice_label(spec.path, choice, language)) for choice in spec.choices
                ),
                error=errors.get(spec.path),
                hint=ui_text("settings.one_per_line", language) if spec.kind == "lines" else None,
            )
        )
    return tuple(
        FormGroup(group, ui_text(f"settings.{group}", language), tuple(fields))
        for group, fields in by_group.items()
    )
