"""Billit webhook payloads and the queued ``WebhookEvent`` (reference §5).

A delivery is ``{"UpdatedEntityID", "UpdatedEntityType", "WebhookUpdateTypeTC",
"EntityDetail"}``. Only ``Order`` and ``Message`` entities exist. For a ``Message`` the detail
comes in two shapes, both accepted:

- current: ``EntityDetail.OrderMessage.{OrderID, TransportType, Success, Description, …}`` and
  ``EntityDetail.AdditionalMessageInformation.{EInvoiceFlowState,
  AdditionalFlowStateInformation}``;
- older (the "refused" example, confac): ``EntityDetail.OrderID`` with
  ``EntityDetail.MessageAdditionalInformation``.

Ingestion validates only the envelope (``BillitWebhookEnvelope``) so that a signed delivery is
never refused for a detail we read leniently later; the processor reads the detail with
``BillitWebhookPayload``. The models tolerate unknown fields: Billit adds fields over time.
"""

from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from billit_sync.tenancy import TenantId

MAX_ENTITY_ID: Final = 2**53  # Billit ids are JSON numbers; anything larger is not an id


class WebhookEntity(StrEnum):
    ORDER = "Order"
    MESSAGE = "Message"


class FlowState(StrEnum):
    """``EInvoiceFlowState`` of an outgoing e-invoice message."""

    SENT = "Sent"
    ACCEPTED = "Accepted"
    DELIVERED = "Delivered"
    REFUSED = "Refused"


def _entity_id(value: object) -> object:
    """Ids arrive as JSON numbers; digits in a string are tolerated, booleans and floats not."""
    if isinstance(value, bool):
        raise ValueError("an id is not a boolean")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 16:
            raise ValueError("an id is digits")
        return int(text)
    if isinstance(value, int):
        if not 0 < value <= MAX_ENTITY_ID:
            raise ValueError("an id is a positive number")
        return value
    raise ValueError("an id is a number")


def _optional_entity_id(value: object) -> object:
    return None if value in (None, "") else _entity_id(value)


def _text(value: object) -> object:
    """Free text fields: numbers become text, empty text becomes None."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


EntityId = Annotated[int, BeforeValidator(_entity_id)]
OptionalEntityId = Annotated[int | None, BeforeValidator(_optional_entity_id)]
Text = Annotated[str | None, BeforeValidator(_text)]


class _Lenient(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True
    )


class BillitWebhookEnvelope(_Lenient):
    """What ingestion needs from a delivery: which entity changed and how."""

    entity_id: EntityId = Field(alias="UpdatedEntityID")
    entity_type: str = Field(alias="UpdatedEntityType", min_length=1, max_length=64)
    update_type: Text = Field(default=None, alias="WebhookUpdateTypeTC")

    @field_validator("entity_type", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @property
    def known_entity(self) -> WebhookEntity | None:
        """``Order`` / ``Message`` (case-insensitive), or None for anything else."""
        lowered = self.entity_type.lower()
        return next((e for e in WebhookEntity if e.value.lower() == lowered), None)


class OrderMessage(_Lenient):
    """One delivery attempt of an order by a transport (Peppol, e-mail…)."""

    order_id: OptionalEntityId = Field(default=None, alias="OrderID")
    transport_type: Text = Field(default=None, alias="TransportType")
    success: bool | None = Field(default=None, alias="Success")
    description: Text = Field(default=None, alias="Description")
    destination: Text = Field(default=None, alias="Destination")
    message_direction: Text = Field(default=None, alias="MessageDirection")


class MessageInformation(_Lenient):
    flow_state: Text = Field(default=None, alias="EInvoiceFlowState")
    flow_state_information: Text = Field(default=None, alias="AdditionalFlowStateInformation")


class EntityDetail(_Lenient):
    """Both shapes of a Message detail (and, for an Order, a row we do not rely on)."""

    order_message: OrderMessage | None = Field(default=None, alias="OrderMessage")
    additional_message_information: MessageInformation | None = Field(
        default=None, alias="AdditionalMessageInformation"
    )
    # ⚠ The older shape (reference §5): the order id and the flow state one level up.
    order_id: OptionalEntityId = Field(default=None, alias="OrderID")
    message_additional_information: MessageInformation | None = Field(
        default=None, alias="MessageAdditionalInformation"
    )
    transport_type: Text = Field(default=None, alias="TransportType")
    description: Text = Field(default=None, alias="Description")
    success: bool | None = Field(default=None, alias="Success")
    message_direction: Text = Field(default=None, alias="MessageDirection")

    @property
    def is_empty(self) -> bool:
        """Nothing to go on (⚠ "In all tests this was just an empty object", reference §5):
        only a read-back of the tenant's open invoices can tell what happened."""
        return self.message_order_id is None

    @property
    def message_order_id(self) -> int | None:
        if self.order_message is not None and self.order_message.order_id is not None:
            return self.order_message.order_id
        return self.order_id

    @property
    def information(self) -> MessageInformation | None:
        return self.additional_message_information or self.message_additional_information

    @property
    def flow_state(self) -> FlowState | None:
        """The e-invoice flow state, case-insensitively; None when absent or unknown."""
        info = self.information
        raw = info.flow_state if info is not None else None
        if raw is None:
            return None
        lowered = raw.lower()
        return next((s for s in FlowState if s.value.lower() == lowered), None)

    @property
    def transport(self) -> str | None:
        message = self.order_message
        return (message.transport_type if message else None) or self.transport_type

    @property
    def succeeded(self) -> bool | None:
        message = self.order_message
        found = message.success if message else None
        return found if found is not None else self.success

    @property
    def is_incoming(self) -> bool:
        """Receiver feedback (an IMR) rather than our own send (both shapes, reference §5)."""
        message = self.order_message
        direction = (message.message_direction if message else None) or self.message_direction
        return direction is not None and direction.lower() == "incoming"

    @property
    def text(self) -> str | None:
        """The message's ``Description`` (for receiver feedback: IMR code + text)."""
        message = self.order_message
        return (message.description if message else None) or self.description

    @property
    def reason(self) -> str | None:
        """Why a message was refused: the flow state's information, else its description."""
        info = self.information
        if info is not None and info.flow_state_information:
            return info.flow_state_information
        return self.text


def _detail(value: object) -> object:
    """A detail that is not an object (null, a list…) reads as an empty one."""
    return value if isinstance(value, dict) else {}


class BillitWebhookPayload(BillitWebhookEnvelope):
    """The whole delivery as the processor reads it."""

    entity_detail: Annotated[EntityDetail, BeforeValidator(_detail)] = Field(
        default_factory=EntityDetail, alias="EntityDetail"
    )


class WebhookEvent(BaseModel):
    """One accepted Billit delivery on the webhook events queue (nothing secret inside).

    ``delivery_id`` is derived from the de-duplication key, so every log line about one
    delivery (ingestion, processor, a redelivery) carries the same id.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: TenantId
    delivery_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    entity_type: str = Field(min_length=1, max_length=64)
    update_type: str | None = Field(None, max_length=16)
    entity_id: int = Field(gt=0)
    received_at: AwareDatetime
    payload: dict[str, Any]
    # The de-duplication key (no secret: entity, id, update type, body hash). A processor that
    # cannot apply the event (tenant not connected) forgets it, so Billit's redelivery counts.
    delivery_key: str | None = Field(None, max_length=300)
