"""Invoices in the Billit fake: create (with Billit's totals and customer matching), look up,
send, patch, delete, and the life after sending (delivery states, payment)."""

import copy
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.fakes.billit import invoicing
from tests.fakes.billit.core import (
    BillitCore,
    Ctx,
    empty,
    json_object,
    normalize_identifier,
)
from tests.fakes.billit.errors import ApiError, generic, json_response
from tests.fakes.billit.state import (
    DELIVERY_STATES,
    ORDER_DETAIL_ONLY,
    ORDER_SCHEMA,
    PATCH_BOOLEANS,
    PATCHABLE,
    TRANSPORT_TYPES,
    Company,
)

RESEND_WINDOW_SECONDS = 60
ALREADY_SENT_CODE = "This_0_WasAlreadySentLessThen_1_MinutesAgoTo_2_OrIsStillInTheQueue"


class EmptyUnauthorized(ApiError):
    """A bare 401 without a body (one of the two forms the fake plays, see below)."""

    def __init__(self) -> None:
        super().__init__(401, "")

    def response(self) -> httpx.Response:
        return httpx.Response(401)


class OrderRoutes(BillitCore):
    """Invoices: create, look up, send, patch, delete, and their life after sending."""

    def _resolve_customer(
        self, company: Company, body: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(existing party, None) or (None, fields of a party to create)."""
        customer = body.get("Customer")
        if not isinstance(customer, dict):
            raise generic("Customer is required.")
        party_id = customer.get("PartyID")
        if party_id not in (None, 0):
            if isinstance(party_id, bool) or not isinstance(party_id, int):
                raise generic("Customer.PartyID must be an integer.")
            party = company.parties.get(party_id)
            if party is None:
                # billit-api.md §7 [doc: 401]: "the wrong Customer ID in the Object" is a 401
                # without a token code; its body is undocumented, so the fake plays both an
                # envelope naming the customer and an empty body (``unknown_customer_body``).
                if self.unknown_customer_body == "empty":
                    raise EmptyUnauthorized()
                raise ApiError(401, "Unauthorized", f"No access to Customer {party_id}.")
            return party, None
        match = invoicing.match_customer(company.parties.values(), customer)
        if match is not None:
            return match, None
        return None, invoicing.new_customer_fields(customer)

    def _order_number(self, company: Company, order: dict[str, Any]) -> str:
        wanted = order.get("OrderNumber")
        if wanted is not None:
            if not isinstance(wanted, str) or not wanted.strip():
                raise generic("OrderNumber must be a non-empty string.")
            taken = any(
                other["OrderNumber"] == wanted and other["OrderType"] == order["OrderType"]
                for other in company.orders.values()
            )
            if taken:
                raise generic(f"OrderNumber '{wanted}' already exists.")
            return wanted
        key = (order["OrderType"], order["OrderDate"][:4])
        company.numbers[key] = company.numbers.get(key, 0) + 1
        return f"{key[1]}-{company.numbers[key]:04d}"

    def _validated_order(self, body: dict[str, Any]) -> dict[str, Any]:
        """The posted header fields, checked and normalized; raises before anything is stored."""
        order = {key: value for key, value in body.items() if key in invoicing.ORDER_INPUT_FIELDS}
        order.setdefault("OrderType", "Invoice")
        order.setdefault("OrderDirection", "Income")
        if order["OrderType"] not in invoicing.ORDER_TYPES:
            raise generic(f"OrderType '{order['OrderType']}' is not valid.")
        if order["OrderDirection"] not in invoicing.ORDER_DIRECTIONS:
            raise generic(f"OrderDirection '{order['OrderDirection']}' is not valid.")
        invoicing.normalize_dates(order, self._now_moment())
        if order.get("Currency") is None:
            order["Currency"] = "EUR"
        return order

    def _create_order(self, ctx: Ctx) -> httpx.Response:
        company = ctx.the_company()
        keys = self._idempotency_keys(ctx)
        body = json_object(ctx.request)
        order = self._validated_order(body)
        ventilation = body.get("VentilationCode")
        lines = invoicing.build_lines(
            body.get("OrderLines"),
            str(ventilation) if ventilation is not None else None,
            company.products,
            decimals=company.decimals,
            excess=company.excess_decimals,
        )
        party, new_party = self._resolve_customer(company, body)
        # ⚠ whether posted customer fields overwrite the party is undocumented (§3): the
        # party's VAT number or the posted one identifies the buyer.
        posted = body["Customer"].get("VATNumber")
        buyer = party if party is not None else new_party
        invoicing.check_buyer_vat_number(lines, (buyer or {}).get("VATNumber") or posted)
        order_number = self._order_number(company, order)
        # validated: from here on nothing fails
        if new_party is not None:
            party = self._insert_party(company, new_party)
        assert party is not None
        order_id = self._next_order_id
        self._next_order_id += 1
        for line in lines:
            line["OrderLineID"] = self._next_line_id
            self._next_line_id += 1
        record = self._order_record(
            company, order_id=order_id, number=order_number, order=order, party=party, lines=lines
        )
        company.orders[order_id] = record
        company.idempotency_keys |= keys
        self._emit(company, "Order", "I", order_id, self._order_row(record))
        return httpx.Response(
            200, content=str(order_id).encode(), headers={"Content-Type": "application/json"}
        )

    def _order_record(
        self,
        company: Company,
        *,
        order_id: int,
        number: str,
        order: dict[str, Any],
        party: dict[str, Any],
        lines: list[dict[str, Any]],
    ) -> dict[str, Any]:
        now = self._now()
        totals = invoicing.totals(lines)
        record: dict[str, Any] = {
            "OrderID": order_id,
            "CompanyID": company.party_id,
            "OrderPDF": {"FileID": str(uuid.uuid4()), "FileName": f"{number}.pdf"},
            "Attachments": order.pop("Attachments", None) or [],
            "OrderNumber": number,
            "CustomerID": party["PartyID"],
            "CounterPartyID": party["PartyID"],
            "Customer": copy.deepcopy(party),
            "Supplier": {**company.summary(), "PartyType": "Supplier"},
            "CounterParty": copy.deepcopy(party),
            "OrderType": order.pop("OrderType"),
            "OrderDirection": order.pop("OrderDirection"),
            "Created": now,
            "LastModified": now,
            "OrderLines": lines,
            "PaymentDiscountPercentage": Decimal("0.00"),
            "PaymentDiscountAmount": Decimal("0.00"),
            "VatGroups": invoicing.vat_groups(lines),
            **totals,
            "Tags": [],
            "PaymentReference": invoicing.structured_reference(order_id),
            "Paid": False,
            "PaidDate": None,
            "ExternalProviderReferences": [],
            "IsSent": False,
            "Invoiced": False,
            "CustomFields": {},
            "RemindersSent": 0,
            "ToPay": totals["TotalIncl"],
            "OrderStatus": "ToSend",
            "ApprovalStatus": None,
            "AccountCode": None,
            "Overdue": False,
            "FXRateToForeign": Decimal("1.00000"),
            "ExportedToConnector": False,
            "AccountantVerificationNeeded": False,
            "CurrentDocumentDeliveryDetails": None,
            "Messages": [],
        }
        record.update({key: value for key, value in order.items() if value is not None})
        for name in ("ExternalProviderID", "Reference", "OrderTitle", "ExpiryDate", "OrderDate"):
            record.setdefault(name, None)
        return record

    @staticmethod
    def _order_row(order: dict[str, Any]) -> dict[str, Any]:
        return {
            key: copy.deepcopy(value)
            for key, value in order.items()
            if key not in ORDER_DETAIL_ONLY
        }

    def _list_orders(self, ctx: Ctx) -> httpx.Response:
        orders = list(ctx.the_company().orders.values())
        return self._page(ctx, orders, ORDER_SCHEMA, row=self._order_row)

    def _get_order(self, ctx: Ctx) -> httpx.Response:
        return json_response(200, self._owned(ctx, "orders", "Order", ctx.id))

    def _send_orders(self, ctx: Ctx) -> httpx.Response:
        company = ctx.the_company()
        keys = self._idempotency_keys(ctx)
        body = {key.lower(): value for key, value in json_object(ctx.request).items()}
        wanted = body.get("transporttype")
        transport = next(
            (name for name in TRANSPORT_TYPES if str(wanted).lower() == name.lower()), None
        )
        if transport is None:
            raise generic(f"TransportType '{wanted}' is not supported.")
        order_ids = body.get("orderids")
        if (
            not isinstance(order_ids, list)
            or not order_ids
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in order_ids)
        ):
            raise generic("OrderIDs must be a non-empty list of order ids.")
        orders = [self._owned(ctx, "orders", "Order", order_id) for order_id in order_ids]
        for order in orders:
            sent_at = company.sent_at.get(order["OrderID"])
            if sent_at is not None and self._clock() - sent_at < RESEND_WINDOW_SECONDS:
                # billit-api.md §7 send codes; HTTP status unrecorded, assumed 400.
                raise ApiError(
                    400,
                    ALREADY_SENT_CODE,
                    f"Invoice {order['OrderNumber']} was already sent less than 1 minutes ago "
                    "or is still in the queue.",
                )
        strict = ctx.request.headers.get("StrictTransportType", "").lower() == "true"
        plan = [(order, self._transport_for(order, transport, strict)) for order in orders]
        for order, chosen in plan:
            self._mark_sent(company, order, chosen)
        company.idempotency_keys |= keys
        return empty()

    def _transport_for(self, order: dict[str, Any], transport: str, strict: bool) -> str:
        """Peppol falls back to e-mail for a customer not on Peppol, unless strict."""
        party = order["CounterParty"]
        if transport != "Peppol" or self._registered_on_peppol(party):
            return transport
        if not strict and party.get("Email"):
            return "SMTP"
        raise ApiError(
            400,
            "TheCustomerDoesNotSupportPeppolForType_0",
            f"The customer does not support Peppol for type {order['OrderType']}.",
        )

    def _mark_sent(self, company: Company, order: dict[str, Any], transport: str) -> None:
        party = order["CounterParty"]
        if transport == "Peppol":
            destination = party.get("PeppolIdentifier") or "9925:" + normalize_identifier(
                str(party.get("VATNumber") or "")
            )
        else:
            destination = str(party.get("Email") or party.get("Name") or "")
        now = self._now()
        message: dict[str, Any] = {
            "FileID": str(uuid.uuid4()),
            "CreationDate": now,
            "TransportType": transport,
            "Success": True,
            "Trials": 1,
            "Destination": destination,
            "MessageDirection": "Outgoing",
            "Description": None,
        }
        message_id = self._next_message_id
        self._next_message_id += 1
        order["Messages"].append(message)
        company.outgoing[order["OrderID"]] = (message_id, message)
        company.sent_at[order["OrderID"]] = self._clock()
        order["IsSent"] = True
        order["CurrentDocumentDeliveryDetails"] = {
            "DocumentDeliveryDate": now,
            "DocumentDeliveryInfo": "Sent",
            "IsDocumentDelivered": False,
            "DocumentDeliveryStatus": "Pending",
        }
        self._touch(order)
        self._emit(company, "Order", "U", order["OrderID"], self._order_row(order))
        created = {key: message[key] for key in ("CreationDate", "TransportType", "Destination")}
        detail = {"OrderID": order["OrderID"], **created, "Trials": 0}
        # billit-api.md §5 lifecycle step 1: Message I, OrderMessage without a flow state.
        self._emit_message(company, "I", message_id, {**detail, "MessageDirection": "Outgoing"}, {})
        self._emit_message_state(company, order, "Sent", None)

    def _emit_message(
        self,
        company: Company,
        update_type: str,
        message_id: int,
        message: dict[str, Any],
        information: dict[str, Any],
    ) -> None:
        """One Message event in the payload generation chosen per test (billit-api.md §5
        "Rules": ``EntityDetail.OrderMessage`` + ``AdditionalMessageInformation``, or the older
        flat ``EntityDetail`` + ``MessageAdditionalInformation``), or with an empty
        ``EntityDetail`` (§5 ⚠ "In all tests this was just an empty object")."""
        if self.message_detail == "empty":
            detail: dict[str, Any] = {}
        elif self.message_detail == "flat":
            detail = {**message, "MessageAdditionalInformation": information}
        else:
            detail = {"OrderMessage": message, "AdditionalMessageInformation": information}
        self._emit(company, "Message", update_type, message_id, detail)

    def _emit_message_state(
        self, company: Company, order: dict[str, Any], state: str, reason: str | None
    ) -> None:
        """Lifecycle step 2 (Message U on the outgoing message): Sent, Accepted."""
        message_id, message = company.outgoing[order["OrderID"]]
        information = {"EInvoiceFlowState": state, "AdditionalFlowStateInformation": reason}
        self._emit_message(
            company,
            "U",
            message_id,
            {"OrderID": order["OrderID"], **copy.deepcopy(message)},
            information,
        )

    def _emit_feedback(
        self, company: Company, order: dict[str, Any], state: str, reason: str | None
    ) -> None:
        """Lifecycle step 3-4: the receiver's feedback is a NEW Incoming message (an IMR) with
        a new MessageID, ``Description`` = IMR code + text (§5 example: ``"AB: The document has
        been successfully received."``; a refusal ``RE``, [doc: imr]). Sent as an insert (the
        documented current form) or an update (the older "Refused" example), per test; with
        the flow state, or with the IMR code alone (``feedback_flow_state``)."""
        outgoing = company.outgoing[order["OrderID"]][1]
        code_text = (
            f"RE: {reason}"
            if state == "Refused" and reason
            else "RE: The document was rejected."
            if state == "Refused"
            else "AB: The document has been successfully received."
        )
        message: dict[str, Any] = {
            "OrderID": order["OrderID"],
            "Description": code_text,
            "FileID": str(uuid.uuid4()),
            "CreationDate": self._now(),
            "TransportType": outgoing["TransportType"],
            "Success": True,
            "Trials": 0,
            "Destination": outgoing["Destination"],
            "MessageDirection": "Incoming",
        }
        order["Messages"].append({k: v for k, v in message.items() if k != "OrderID"})
        message_id = self._next_message_id
        self._next_message_id += 1
        information: dict[str, Any] = {}
        if self.feedback_flow_state:
            information["EInvoiceFlowState"] = state
            if state == "Refused" and reason:
                information["AdditionalFlowStateInformation"] = reason
        self._emit_message(company, self.feedback_update_type, message_id, message, information)

    def _patch_order(self, ctx: Ctx) -> httpx.Response:
        company = ctx.the_company()
        order = self._owned(ctx, "orders", "Order", ctx.id)
        changes = json_object(ctx.request)
        if not changes:
            raise generic("Nothing to patch.")
        for name, value in changes.items():
            if name not in PATCHABLE:
                raise generic(f"The property '{name}' cannot be patched.")
            if name in PATCH_BOOLEANS and not isinstance(value, bool):
                raise generic(f"The property '{name}' must be true or false.")
            if name not in PATCH_BOOLEANS and value is not None and not isinstance(value, str):
                raise generic(f"The property '{name}' must be a string.")
        if changes.get("PaidDate") is not None:
            changes["PaidDate"] = invoicing.format_timestamp(
                invoicing.parse_date(changes["PaidDate"], "PaidDate")
            )
        if changes.get("Paid") is True and not changes.get("PaidDate") and not order["PaidDate"]:
            changes["PaidDate"] = self._today()
        if changes.get("Paid") is False and "PaidDate" not in changes:
            changes["PaidDate"] = None
        order.update(changes)
        self._touch(order)
        self._emit(company, "Order", "U", order["OrderID"], self._order_row(order))
        return empty()

    def _delete_order(self, ctx: Ctx) -> httpx.Response:
        company = ctx.the_company()
        order = self._owned(ctx, "orders", "Order", ctx.id)
        if order["IsSent"]:
            raise generic("The order has been sent and can no longer be deleted.")
        del company.orders[order["OrderID"]]
        return json_response(200, True)  # Billit answers a bare `true`; no webhook fires

    def set_delivery_state(
        self, company_id: int, order_id: int, state: str, reason: str | None = None
    ) -> None:
        """Peppol feedback on a sent invoice; an unsent one is first sent over Peppol, as
        Billit's daily auto-send would. Sent/Accepted update the outgoing message; Delivered
        and Refused come from the receiver as a new Incoming message (billit-api.md §5)."""
        if state not in DELIVERY_STATES:
            raise ValueError(f"state must be one of {', '.join(DELIVERY_STATES)}")
        with self._lock:
            company = self._company(company_id)
            order = company.orders[order_id]
            if order_id not in company.outgoing:
                self._mark_sent(company, order, "Peppol")
                if state == "Sent":
                    return
            now = self._now()
            # CurrentDocumentDeliveryDetails as [doc: status] describes it (§5 "Polling"):
            # DocumentDeliveryStatus Delivered | Pending | Error, refusal fields on failure.
            details: dict[str, Any] = {
                "DocumentDeliveryDate": now,
                "DocumentDeliveryInfo": reason or state,
                "IsDocumentDelivered": state in {"Delivered", "Refused"},
                "DocumentDeliveryStatus": "Pending",
            }
            if state == "Delivered":
                details["DocumentDeliveryStatus"] = "Delivered"
                details["DocumentDeliveryInfo"] = "Ontvangen"
            if state == "Refused":
                details["DocumentDeliveryStatus"] = "Error"
                details["DocumentRefusedDate"] = now
                details["DocumentRefusedReasonTC"] = "InvalidInvoice"
                details["DocumentRefusedInfo"] = reason
            order["CurrentDocumentDeliveryDetails"] = details
            if self.delivery_touches_last_modified:
                self._touch(order)
            if state in {"Sent", "Accepted"}:
                self._emit_message_state(company, order, state, reason)
            else:
                self._emit_feedback(company, order, state, reason)

    def mark_paid(self, company_id: int, order_id: int, paid_date: str | None = None) -> None:
        with self._lock:
            company = self._company(company_id)
            order = company.orders[order_id]
            order["Paid"] = True
            order["PaidDate"] = (
                invoicing.format_timestamp(invoicing.parse_date(paid_date, "PaidDate"))
                if paid_date is not None
                else self._today()
            )
            self._touch(order)
            self._emit(company, "Order", "U", order_id, self._order_row(order))
