"""Which status an event reports, when it counts as a change, and what the user reads."""

from datetime import date
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.billit.orders import Order
from billit_sync.store import SyncLogLevel
from billit_sync.webhooks.events import EntityDetail
from billit_sync.webhooks.processor import (
    InvoiceStatus,
    Reported,
    log_message,
    message_status,
    order_status,
    shown_transport,
    status_changes,
)


def detail(state: str | None = None, **message: Any) -> EntityDetail:
    data: dict[str, Any] = {"OrderMessage": {"OrderID": 7, **message}}
    if state is not None:
        data["AdditionalMessageInformation"] = {"EInvoiceFlowState": state}
    return EntityDetail.model_validate(data)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("Sent", InvoiceStatus.SENT),
        ("Accepted", InvoiceStatus.ACCEPTED),
        ("Delivered", InvoiceStatus.DELIVERED),
        ("Refused", InvoiceStatus.REFUSED),
    ],
)
def test_flow_states_become_statuses(state: str, status: InvoiceStatus) -> None:
    reported = message_status(detail(state, TransportType="SMTP"))
    assert reported is not None and reported.status is status
    assert reported.transport == "e-mail"


def test_a_flow_state_without_a_transport_is_peppol() -> None:
    reported = message_status(detail("Delivered"))
    assert reported == Reported(InvoiceStatus.DELIVERED, transport="Peppol")


def test_a_failed_message_without_a_flow_state_is_not_delivered() -> None:
    reported = message_status(
        detail(None, TransportType="SMTP", Success=False, Description="Mailbox full")
    )
    assert reported == Reported(
        InvoiceStatus.NOT_DELIVERED, transport="e-mail", reason="Mailbox full"
    )


@pytest.mark.parametrize(
    "event",
    [
        detail(None, TransportType="Peppol", Success=True),  # the insert, before any state
        detail(None, Success=False),  # a failure nobody can name
        detail(None, MessageDirection="Incoming", Description="IP: In process"),
        detail(None, MessageDirection="Incoming", Description="UQ: Under query"),
        detail(None, MessageDirection="Incoming", Description="PD: Paid"),  # Billit's Paid decides
        detail(None, MessageDirection="Incoming", Success=False, TransportType="Peppol"),
        detail("Pondering", TransportType="Peppol"),
    ],
)
def test_events_without_a_status(event: EntityDetail) -> None:
    assert message_status(event) is None


def test_long_reasons_are_clipped() -> None:
    reported = message_status(detail("Refused", Description="x" * 2000))
    assert reported is not None and reported.reason is not None
    assert len(reported.reason) == 500 and reported.reason.endswith("…")


def test_a_reread_order_paid_wins_over_sent() -> None:
    paid = Order.model_validate(
        {"OrderID": 7, "IsSent": True, "Paid": True, "PaidDate": "2026-01-20T00:00:00"}
    )
    assert order_status(paid) == Reported(InvoiceStatus.PAID, paid_date="2026-01-20")
    sent = Order.model_validate(
        {"OrderID": 7, "IsSent": True, "Paid": False, "Messages": [{"TransportType": "SMTP"}]}
    )
    assert order_status(sent) == Reported(InvoiceStatus.SENT, transport="e-mail")
    assert order_status(Order.model_validate({"OrderID": 7, "IsSent": False})) is None
    assert Order.model_validate({"OrderID": 7, "PaidDate": "2026-01-20"}).paid_date == date(
        2026, 1, 20
    )


@pytest.mark.parametrize(
    ("current", "new", "changes"),
    [
        (None, InvoiceStatus.SENT, True),
        ("sent", InvoiceStatus.SENT, False),
        ("sent", InvoiceStatus.DELIVERED, True),
        ("delivered", InvoiceStatus.SENT, False),  # late, older news
        ("delivered", InvoiceStatus.ACCEPTED, False),  # §5: Sent, Accepted, then Delivered
        ("accepted", InvoiceStatus.DELIVERED, True),
        ("not_delivered", InvoiceStatus.DELIVERED, True),  # same rank: the last one shows
        ("delivered", InvoiceStatus.REFUSED, True),
        ("refused", InvoiceStatus.DELIVERED, False),
        ("refused", InvoiceStatus.PAID, True),
        ("paid", InvoiceStatus.REFUSED, False),
        ("paid", InvoiceStatus.PAID, False),
        ("something-else", InvoiceStatus.SENT, True),
    ],
)
def test_a_status_changes_only_forward(
    current: str | None, new: InvoiceStatus, changes: bool
) -> None:
    assert status_changes(current, new) is changes


# billit-api.md §5 lifecycle step 3 (the documented example) and step 4 (older flat shape)
CURRENT_INCOMING = {
    "OrderMessage": {
        "OrderID": 2615999,
        "Description": "AB: The document has been successfully received.",
        "FileID": "2320bea9-0000",
        "CreationDate": "2026-05-04T10:07:50.69",
        "TransportType": "Peppol",
        "Success": True,
        "Trials": 0,
        "Destination": "9925:BE0759529202",
        "MessageDirection": "Incoming",
    },
    "AdditionalMessageInformation": {"EInvoiceFlowState": "Delivered"},
}
FLAT_REFUSED = {
    "OrderID": 2615999,
    "Description": "RE: No Valid VAT",
    "FileID": "f-1",
    "CreationDate": "31/01/2000",
    "TransportType": "Peppol",
    "Destination": "9925:BE0759529202",
    "MessageDirection": "Incoming",
    "MessageAdditionalInformation": {
        "EInvoiceFlowState": "Refused",
        "AdditionalFlowStateInformation": "No Valid VAT",
    },
}


def test_the_documented_incoming_receipt_is_delivered() -> None:
    parsed = EntityDetail.model_validate(CURRENT_INCOMING)
    assert parsed.is_incoming and parsed.message_order_id == 2615999
    assert message_status(parsed) == Reported(InvoiceStatus.DELIVERED, transport="Peppol")


def test_the_documented_flat_refusal_is_refused_with_its_reason() -> None:
    parsed = EntityDetail.model_validate(FLAT_REFUSED)
    assert parsed.is_incoming and parsed.message_order_id == 2615999
    assert message_status(parsed) == Reported(
        InvoiceStatus.REFUSED, transport="Peppol", reason="No Valid VAT"
    )


@pytest.mark.parametrize(
    ("description", "status", "reason"),
    [
        ("AB: The document has been successfully received.", InvoiceStatus.DELIVERED, None),
        ("AP: Accepted", InvoiceStatus.DELIVERED, None),
        ("CA - conditionally accepted", InvoiceStatus.DELIVERED, None),
        (
            "RE: Unknown purchase order reference",
            InvoiceStatus.REFUSED,
            "Unknown purchase order reference",
        ),
        ("re:Wrong IBAN", InvoiceStatus.REFUSED, "Wrong IBAN"),
        ("RE", InvoiceStatus.REFUSED, None),  # the code alone: refused, no reason given
    ],
)
def test_without_a_flow_state_the_imr_code_decides(
    description: str, status: InvoiceStatus, reason: str | None
) -> None:
    # billit-api.md §5: flow state first, the Description's IMR prefix second
    for shape in (
        {
            "OrderMessage": {
                "OrderID": 7,
                "Description": description,
                "MessageDirection": "Incoming",
            }
        },
        {"OrderID": 7, "Description": description, "MessageDirection": "Incoming"},
    ):
        reported = message_status(EntityDetail.model_validate(shape))
        assert reported == Reported(status, transport="Peppol", reason=reason)


def test_an_empty_detail_names_no_invoice() -> None:
    assert EntityDetail.model_validate({}).is_empty
    assert not EntityDetail.model_validate(FLAT_REFUSED).is_empty


def order(**fields: Any) -> Order:
    return Order.model_validate({"OrderID": 7, "IsSent": True, "Paid": False, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"CurrentDocumentDeliveryDetails": {"DocumentDeliveryStatus": "Pending"}},
            Reported(InvoiceStatus.SENT),
        ),
        (
            {
                "CurrentDocumentDeliveryDetails": {
                    "IsDocumentDelivered": True,
                    "DocumentDeliveryStatus": "Delivered",
                    "DocumentDeliveryInfo": "Ontvangen",
                }
            },
            Reported(InvoiceStatus.DELIVERED, transport="Peppol"),
        ),
        (
            {
                "CurrentDocumentDeliveryDetails": {
                    "DocumentDeliveryStatus": "Error",
                    "DocumentRefusedDate": "2026-05-05T10:00:00",
                    "DocumentRefusedReasonTC": "InvalidInvoice",
                    "DocumentRefusedInfo": "BR-S-08 VAT breakdown",
                }
            },
            Reported(InvoiceStatus.REFUSED, transport="Peppol", reason="BR-S-08 VAT breakdown"),
        ),
        (
            {"CurrentDocumentDeliveryDetails": {"DocumentDeliveryStatus": "Error"}},
            Reported(InvoiceStatus.NOT_DELIVERED, transport="Peppol"),
        ),
        (
            {
                "Messages": [
                    {"TransportType": "Peppol", "MessageDirection": "Outgoing"},
                    {
                        "TransportType": "Peppol",
                        "MessageDirection": "Incoming",
                        "Description": "RE: Unknown buyer",
                    },
                ],
                "CurrentDocumentDeliveryDetails": {"DocumentDeliveryStatus": "Pending"},
            },
            Reported(InvoiceStatus.REFUSED, transport="Peppol", reason="Unknown buyer"),
        ),
    ],
    ids=["pending", "delivered", "refused", "error", "incoming-imr"],
)
def test_a_reread_order_shows_its_delivery(fields: dict[str, Any], expected: Reported) -> None:
    # billit-api.md §5 "Polling / reading status": CurrentDocumentDeliveryDetails, Messages[]
    assert order_status(order(**fields)) == expected


def test_transports_read_as_the_user_knows_them() -> None:
    assert shown_transport("Peppol") == "Peppol"
    assert shown_transport("smtp") == "e-mail"
    assert shown_transport("Letter") == "Letter"
    assert shown_transport(None) is None


@pytest.mark.parametrize(
    ("reported", "level", "en", "nl"),
    [
        (
            Reported(InvoiceStatus.SENT),
            SyncLogLevel.INFO,
            "Invoice 2026-0042 sent",
            "Factuur 2026-0042 verstuurd",
        ),
        (
            Reported(InvoiceStatus.SENT, transport="e-mail"),
            SyncLogLevel.INFO,
            "Invoice 2026-0042 sent via e-mail",
            "Factuur 2026-0042 verstuurd via e-mail",
        ),
        (
            Reported(InvoiceStatus.ACCEPTED, transport="Peppol"),
            SyncLogLevel.INFO,
            "Invoice 2026-0042 accepted via Peppol",
            "Factuur 2026-0042 aanvaard via Peppol",
        ),
        (
            Reported(InvoiceStatus.DELIVERED, transport="Peppol"),
            SyncLogLevel.INFO,
            "Invoice 2026-0042 delivered via Peppol",
            "Factuur 2026-0042 afgeleverd via Peppol",
        ),
        (
            Reported(InvoiceStatus.REFUSED, transport="Peppol", reason="Wrong VAT number"),
            SyncLogLevel.ERROR,
            "Invoice 2026-0042 refused by the receiver: Wrong VAT number",
            "Factuur 2026-0042 geweigerd door de ontvanger: Wrong VAT number",
        ),
        (
            Reported(InvoiceStatus.REFUSED, transport="Peppol"),
            SyncLogLevel.ERROR,
            "Invoice 2026-0042 refused by the receiver (no reason given)",
            "Factuur 2026-0042 geweigerd door de ontvanger (geen reden opgegeven)",
        ),
        (
            Reported(InvoiceStatus.NOT_DELIVERED, transport="e-mail", reason="Mailbox full"),
            SyncLogLevel.ERROR,
            "Invoice 2026-0042 could not be delivered via e-mail: Mailbox full",
            "Factuur 2026-0042 kon niet afgeleverd worden via e-mail: Mailbox full",
        ),
        (
            Reported(InvoiceStatus.NOT_DELIVERED, transport="e-mail"),
            SyncLogLevel.ERROR,
            "Invoice 2026-0042 could not be delivered via e-mail",
            "Factuur 2026-0042 kon niet afgeleverd worden via e-mail",
        ),
        (
            Reported(InvoiceStatus.PAID, paid_date="2026-01-20"),
            SyncLogLevel.INFO,
            "Invoice 2026-0042 paid",
            "Factuur 2026-0042 betaald",
        ),
    ],
)
def test_what_the_user_reads(reported: Reported, level: SyncLogLevel, en: str, nl: str) -> None:
    params = {"invoice_number": "2026-0042", "workorder_no": "WB-1042"}
    key, got_level = log_message(reported, params)
    assert got_level is level
    assert messages.render(key, params, "en") == en
    assert messages.render(key, params, "nl") == nl


def test_the_paid_work_status_messages_in_both_languages() -> None:
    params = {"invoice_number": "2026-0042", "workorder_no": "WB-1042", "workstatus": "060"}
    assert messages.render(messages.WEBHOOK_INVOICE_PAID_WORKSTATUS, params, "en") == (
        "Invoice 2026-0042 paid; work order WB-1042 set to work status 060"
    )
    assert messages.render(messages.WEBHOOK_INVOICE_PAID_WORKSTATUS, params, "nl") == (
        "Factuur 2026-0042 betaald; werkbon WB-1042 op werkstatus 060 gezet"
    )
    problem = params | {"reason": "Workstatus not found: 060"}
    for language in ("en", "nl"):
        text = messages.render(messages.WEBHOOK_WORKSTATUS_NOT_SET, problem, language)
        assert "WB-1042" in text and "060" in text and "Workstatus not found" in text
