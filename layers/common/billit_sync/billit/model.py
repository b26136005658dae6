"""Shared pydantic building blocks: PascalCase wire names, Billit timestamps, exact money.

Python attributes are snake_case; each field's alias is Billit's exact PascalCase name.
Response models tolerate unknown fields (Billit adds fields over time); request models
forbid them, so a typo fails in our code rather than being silently dropped.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from billit_sync.billit.errors import BillitProtocolError


def billit_naive_to_utc(value: datetime) -> datetime:
    """Billit's ``LastModified``/``Created`` carry no timezone ⚠: the ONE place that treats them.

    Assumption (reference §4): a naive Billit timestamp is UTC. Watermarks are compared on
    Billit's own clock and re-queried with an overlap, so a constant offset does no harm.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _date_part(value: Any) -> Any:
    """Billit writes dates as ``2024-05-14`` or ``2024-05-14T00:00:00``; keep the date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and "T" in value:
        return value.split("T", 1)[0]
    return value


def _reject_float(value: Any) -> Any:
    """Money and quantities must be built from Decimal, int or str, never from a float."""
    if isinstance(value, float):
        raise ValueError("use Decimal (or str/int) for amounts, not float")
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amounts must be finite")
    return value


BillitTimestamp = Annotated[datetime, AfterValidator(billit_naive_to_utc)]
BillitDate = Annotated[date, BeforeValidator(_date_part)]
# For request models: Decimal only from Decimal/int/str, finite, sent with its exact text.
WireDecimal = Annotated[Decimal, BeforeValidator(_reject_float), AfterValidator(_finite)]


class BillitModel(BaseModel):
    """A Billit response object: PascalCase aliases, unknown fields kept, never fails on extras."""

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        frozen=True,
        coerce_numbers_to_str=True,  # e.g. Nr or VentilationCode sent as a number
    )


class BillitRequestModel(BaseModel):
    """A body we send: exact PascalCase names, unknown fields refused."""

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The body as Python values (Decimal kept), ``None`` fields omitted."""
        return self.model_dump(mode="python", by_alias=True, exclude_none=True)


def parse_model[M: BaseModel](model: type[M], data: Any, *, method: str, path: str) -> M:
    """Validate a Billit object; a mismatch is a protocol error naming fields, never values."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in err["loc"]) for err in exc.errors()})
        raise BillitProtocolError(
            f"Billit {method} {path}: unexpected {model.__name__} shape "
            f"(fields: {', '.join(fields[:10]) or 'root'})",
            method=method,
            path=path,
        ) from None
