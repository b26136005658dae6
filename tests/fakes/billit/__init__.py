"""A stateful, in-memory fake of the Billit API (see ``fake.BillitFake``)."""

from tests.fakes.billit.fake import BillitFake
from tests.fakes.billit.state import RecordedCall
from tests.fakes.billit.webhooks import WebhookDelivery

__all__ = ["BillitFake", "RecordedCall", "WebhookDelivery"]
