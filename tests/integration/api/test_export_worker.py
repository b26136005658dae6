"""The export worker on SQS events, against the Billit and OutSmart fakes and moto: every
completed work order becomes exactly one invoice, is marked Handled, and every problem is
explained in the log panel."""

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.store import LedgerState
from billit_sync.sync.exports.jobs import ExportJob, external_reference
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.tenant_settings import ExportSettings, TenantSettings
from functions.export_worker import app as export_worker
from tests.fakes.faults import FaultKind
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stack import (
    BILLIT_COMPANY,
    BILLIT_USER,
    Stack,
    running_stack,
    seed_billit_account,
    sqs_event,
)

TENANT = "acme"
USER = BILLIT_USER
COMPANY = BILLIT_COMPANY
OUTSMART_TOKEN = "os-token-acme"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, export_worker) as running:
        seed_billit_account(running.billit)
        address = {
            "Street": "Kerkstraat",
            "StreetNumber": "12",
            "Zipcode": "2000",
            "City": "Antwerpen",
            "CountryCode": "BE",
            "PartyType": "Customer",
        }
        running.billit.add_party(COMPANY, Name="Peeters Holding", Nr="C-1002", **address)
        running.billit.add_product(
            COMPANY,
            Reference="MAT-00002",
            Description="Isolatie",
            AmountExcl=Decimal("12.40"),
            VAT=6,
            Unit="MTR",
        )
        running.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
        running.import_master_data(TENANT)
        yield running


def office(stack: Stack) -> Any:
    return stack.outsmart.tenant(OUTSMART_TOKEN)


def settings(stack: Stack, **exports: Any) -> None:
    current = stack.services.settings.get(TENANT)
    updated = ExportSettings.model_validate(current.exports.model_dump() | exports)
    stack.services.settings.put(TENANT, TenantSettings(imports=current.imports, exports=updated))


def work_order(stack: Stack, **fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "CustomerDebtorNr": "C-1001",
        "Workperiods": [{"BeginTime": "08:00", "EndTime": "10:30", "HourType": "HT-001"}],
        "Materials": [{"MaterialCode": "MAT-00001", "MaterialNr": "3", "MaterialPrice": "4,55"}],
    }
    order: dict[str, Any] = office(stack).add_workorder(**(defaults | fields))
    return order


def export(stack: Stack, *row_ids: str, receive_count: int = 1) -> list[str]:
    """Run the worker on one batch; the row ids of the records SQS would redeliver."""
    jobs = [ExportJob(tenant_id=TENANT, row_id=row_id).model_dump_json() for row_id in row_ids]
    event = sqs_event(*jobs, receive_count=receive_count)
    row_of = {r["messageId"]: row for r, row in zip(event["Records"], row_ids, strict=True)}
    result = export_worker.lambda_handler(event, FakeLambdaContext())
    return [row_of[failure["itemIdentifier"]] for failure in result["batchItemFailures"]]


def invoices(stack: Stack, row_id: str) -> list[dict[str, Any]]:
    reference = external_reference(TENANT, row_id)
    return [o for o in stack.billit.orders(COMPANY) if o.get("ExternalProviderID") == reference]


def panel(stack: Stack) -> list[tuple[str, dict[str, str]]]:
    return [
        (e.message_key, e.params) for e in stack.services.sync_log.page(TENANT, limit=50).entries
    ]


def test_a_completed_work_order_becomes_one_invoice_with_exact_totals(stack: Stack) -> None:
    order = work_order(stack, WorkDescription="Onderhoud cv-ketel en vervanging koppelstuk")
    assert export(stack, order["id"]) == []

    (invoice,) = invoices(stack, order["id"])
    peeters = next(p for p in stack.billit.parties(COMPANY) if p.get("Nr") == "C-1001")
    assert invoice["CounterParty"]["PartyID"] == peeters["PartyID"]
    lines = invoice["OrderLines"]
    assert [line["Description"] for line in lines] == [
        "Arbeid monteur",
        "Koppelstuk 15 mm",
        "Onderhoud cv-ketel en vervanging koppelstuk",
    ]
    assert Decimal(str(invoice["TotalExcl"])) == Decimal("151.15")  # 2.5 h at 55.00 + 3 at 4.55
    assert Decimal(str(invoice["TotalVAT"])) == Decimal("31.74")  # 151.15 x 21 % (per rate)
    assert Decimal(str(invoice["TotalIncl"])) == Decimal("182.89")
    # The seller's work-order number is a comment; Reference is the buyer's PO (§3).
    assert invoice["Comments"] == f"Werkbon {order['WorkorderNo']}"
    assert invoice["Reference"] is None
    assert "OrderNumber" not in invoice or invoice["OrderNumber"]  # Billit numbers it

    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"
    entry = stack.services.export_ledger.get(TENANT, order["id"])
    assert entry is not None and entry.state is LedgerState.HANDLED
    assert entry.order_id == str(invoice["OrderID"])
    key, params = panel(stack)[0]
    assert key == messages.EXPORT_INVOICE_CREATED
    assert params["order_id"] == str(invoice["OrderID"])


def test_the_expected_totals_equal_what_billit_computes(stack: Stack) -> None:
    order = work_order(
        stack,
        Workperiods=[
            {"BeginTime": "07:55", "EndTime": "09:16", "HourType": "HT-001"},
            {"BeginTime": "13:00", "EndTime": "13:20", "HourType": "HT-001"},
        ],
        Materials=[
            {"MaterialCode": "MAT-00001", "MaterialNr": "2,5", "MaterialPrice": "4,55"},
            {"MaterialCode": "MAT-00002", "MaterialNr": "1.234,5", "MaterialPrice": "0,33"},
        ],
    )
    settings(stack, hour_rounding="15")
    assert export(stack, order["id"]) == []
    (invoice,) = invoices(stack, order["id"])
    quantities = [Decimal(str(line["Quantity"])) for line in invoice["OrderLines"][:3]]
    # 1:21 + 0:20 of the same hour type = 1:41, rounded up to the quarter: 1:45 = 1.75 h
    assert quantities == [Decimal("1.75"), Decimal("2.5"), Decimal("1234.5")]
    assert invoice["OrderLines"][2]["VATPercentage"] in (6, "6", 6.0, Decimal("6"))
    assert Decimal(str(invoice["TotalExcl"])) > 0


def test_the_invoice_debtor_wins_over_the_work_customer(stack: Stack) -> None:
    order = work_order(
        stack, CustomerDebtorNrInvoice="C-1002", CustomerNameInvoice="Peeters Holding"
    )
    export(stack, order["id"])
    (invoice,) = invoices(stack, order["id"])
    holding = next(p for p in stack.billit.parties(COMPANY) if p.get("Nr") == "C-1002")
    assert invoice["CounterParty"]["PartyID"] == holding["PartyID"]


def test_sending_by_peppol_and_setting_a_work_status(stack: Stack) -> None:
    office(stack).add_workstatus("050", "Gefactureerd")
    settings(stack, delivery="peppol", workstatus_after_export="050")
    order = work_order(stack)
    assert export(stack, order["id"]) == []
    (invoice,) = invoices(stack, order["id"])
    assert stack.billit.order(COMPANY, invoice["OrderID"])["IsSent"] is True
    assert office(stack).workorders[order["id"]]["WorkStatus"] == "050"
    assert panel(stack)[0][0] == messages.EXPORT_INVOICE_SENT


def test_switched_off_lines_stay_off_and_the_pdf_is_attached(stack: Stack) -> None:
    settings(stack, include_hours=False, work_description_line=False, attach_workorder_pdf=True)
    order = work_order(stack)
    export(stack, order["id"])
    (invoice,) = invoices(stack, order["id"])
    full = stack.billit.order(COMPANY, invoice["OrderID"])
    assert [line["Description"] for line in full["OrderLines"]] == ["Koppelstuk 15 mm"]
    (attachment,) = full["Attachments"]
    assert attachment["MimeType"] == "application/pdf"


def test_redelivery_after_a_crash_right_after_billit_accepted_makes_no_second_invoice(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = work_order(stack)
    ledger = stack.services.export_ledger
    real = ledger.record_created

    def crash(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(ledger, "record_created", real)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(ledger, "record_created", crash)
    assert export(stack, order["id"]) != []  # the record failed: SQS will redeliver it
    assert len(invoices(stack, order["id"])) == 1
    stack.clock.advance(400)  # the lease (and the visibility timeout) ran out
    assert export(stack, order["id"], receive_count=2) == []
    assert len(invoices(stack, order["id"])) == 1
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"


def test_schedule_and_webhook_for_the_same_work_order_give_one_invoice(stack: Stack) -> None:
    order = work_order(stack)
    both = [
        ExportJob(tenant_id=TENANT, row_id=order["id"], trigger=t) for t in ("discovery", "webhook")
    ]
    export_worker.lambda_handler(
        sqs_event(*(job.model_dump_json() for job in both)), FakeLambdaContext()
    )
    threads = [threading.Thread(target=export, args=(stack, order["id"])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(invoices(stack, order["id"])) == 1


def test_a_429_storm_and_a_timeout_after_send_export_all_none_twice(stack: Stack) -> None:
    orders = [work_order(stack) for _ in range(3)]
    stack.billit.faults.add(
        FaultKind.RATE_LIMIT, method="POST", path="^/v1/orders$", times=2, retry_after="0"
    )
    stack.billit.faults.add(FaultKind.TIMEOUT_AFTER_SEND, method="POST", path="^/v1/orders$")
    stack.outsmart.faults.add(FaultKind.RATE_LIMIT, times=2, retry_after="0")
    pending = [o["id"] for o in orders]
    for attempt in range(1, 6):
        failed = export(stack, *pending, receive_count=attempt)
        pending = [row for row in pending if row in failed]
        stack.clock.advance(400)
        if not pending:
            break
    assert pending == []
    for order in orders:
        assert len(invoices(stack, order["id"])) == 1
        assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"


def test_unknown_material_is_a_clear_error_then_fixed_and_retried(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    order = work_order(
        stack,
        Materials=[
            {
                "MaterialCode": "K-100",
                "MaterialNr": "1",
                "MaterialPrice": "9,99",
                "MaterialName": "Kraan",
            }
        ],
    )
    assert export(stack, order["id"]) == []
    assert invoices(stack, order["id"]) == []
    key, params = panel(stack)[0]
    text = messages.render(key, params, "en")
    assert "K-100" in text and order["WorkorderNo"] in text and "Billit" in text
    entry = stack.services.export_ledger.get(TENANT, order["id"])
    assert entry is not None and entry.state is LedgerState.FAILED
    assert office(stack).workorders[order["id"]]["status"] == "Compleet"
    emitted = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"_aws"')
    ]
    failures = [m for m in emitted if "ExportFailures" in m]
    assert [(m["kind"], m["ExportFailures"]) for m in failures] == [("user_fixable", [1.0])]
    assert export(stack, order["id"]) == []  # not retried by itself
    assert invoices(stack, order["id"]) == []

    stack.billit.add_product(
        COMPANY,
        Reference="K-100",
        Description="Kraan",
        AmountExcl=Decimal("9.99"),
        VAT=21,
        Unit="C62",
    )
    stack.services.import_service(lambda: 900.0).run(ImportJob(tenant_id=TENANT))
    stack.services.export_ledger.reset_for_retry(TENANT, order["id"])
    assert export(stack, order["id"]) == []
    assert len(invoices(stack, order["id"])) == 1


def test_an_auth_expired_tenant_exports_nothing_and_loses_nothing(stack: Stack) -> None:
    order = work_order(stack)
    stack.services.auth_expiry.expire(TENANT)
    calls = len(stack.billit.calls)
    assert export(stack, order["id"]) == []
    assert len(stack.billit.calls) == calls
    assert office(stack).workorders[order["id"]]["status"] == "Compleet"

    stack.connect_tenant(TENANT, user=USER, outsmart_token=OUTSMART_TOKEN)
    assert export(stack, order["id"]) == []
    assert len(invoices(stack, order["id"])) == 1


def test_work_orders_completed_before_the_connection_are_not_exported(stack: Stack) -> None:
    old = work_order(stack, WorkDate="01-12-2025")
    assert export(stack, old["id"]) == []
    assert invoices(stack, old["id"]) == []
    assert office(stack).workorders[old["id"]]["status"] == "Compleet"


def test_a_customer_without_a_match_is_explained_or_created(stack: Stack) -> None:
    order = work_order(
        stack,
        CustomerDebtorNr="C-9999",
        CustomerName="Nieuw BV",
        CustomerStreet="Dorpsstraat",
        CustomerStreetNo="3",
        CustomerZIP="9000",
        CustomerCity="Gent",
    )
    export(stack, order["id"])
    assert invoices(stack, order["id"]) == []
    assert "C-9999" in messages.render(*panel(stack)[0], "en")

    settings(stack, create_missing_customers=True)
    stack.services.export_ledger.reset_for_retry(TENANT, order["id"])
    assert export(stack, order["id"]) == []
    (invoice,) = invoices(stack, order["id"])
    created = next(p for p in stack.billit.parties(COMPANY) if p["Name"] == "Nieuw BV")
    assert invoice["CounterParty"]["PartyID"] == created["PartyID"]


def test_malformed_messages_are_dropped(stack: Stack) -> None:
    event = sqs_event(ExportJob(tenant_id=TENANT, row_id="1").model_dump_json())
    event["Records"][0]["body"] = "{not json"
    assert export_worker.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}


# == issue 11: the customer's VAT regime, read from Billit at export time =======================

CO_CONTRACTOR_MENTION = "Verlegging van heffing: btw te voldoen door de medecontractant"


def peeters(stack: Stack) -> dict[str, Any]:
    return next(p for p in stack.billit.parties(COMPANY) if p.get("Nr") == "C-1001")


def test_a_co_contractor_set_in_billit_after_the_import_gets_a_reverse_charge_invoice(
    stack: Stack,
) -> None:
    before = work_order(stack, WorkDescription="Onderhoud")
    assert export(stack, before["id"]) == []
    (normal,) = invoices(stack, before["id"])
    assert [line["VATPercentage"] for line in normal["OrderLines"]] == [21, 21, 21]

    # The office marks Peeters as co-contractor in Billit; no import runs in between.
    stack.billit.update_party(COMPANY, peeters(stack)["PartyID"], VentilationCode="21")
    after = work_order(stack, WorkDescription="Onderhoud")
    assert export(stack, after["id"]) == []

    (invoice,) = invoices(stack, after["id"])
    # billit-api.md §8: 0 % on every line, text line included, header code "21" as a string;
    # Billit gives each 0 % line the header's code.
    assert [line["VATPercentage"] for line in invoice["OrderLines"]] == [0, 0, 0]
    assert {line["VentilationCode"] for line in invoice["OrderLines"]} == {"21"}
    assert invoice["VentilationCode"] == "21"
    assert invoice["Comments"].startswith(f"Werkbon {after['WorkorderNo']}\n")
    assert CO_CONTRACTOR_MENTION in invoice["Comments"]
    # 2.5 h x 55.00 + 3 x 4.55 = 151.15, no VAT
    assert (invoice["TotalExcl"], invoice["TotalVAT"], invoice["TotalIncl"]) == (
        Decimal("151.15"),
        Decimal("0.00"),
        Decimal("151.15"),
    )


def test_reverse_charge_without_a_vat_number_is_no_invoice_but_a_fix_in_billit(
    stack: Stack,
) -> None:
    party = stack.billit.add_party(
        COMPANY, Name="Bouw Zonder Nummer BV", Nr="C-1003", CountryCode="BE", VentilationCode="21"
    )
    order = work_order(stack, CustomerDebtorNr="C-1003")
    assert export(stack, order["id"]) == []  # not retried: the office must fix it

    assert invoices(stack, order["id"]) == []
    (entry, *_) = stack.services.sync_log.page(TENANT, limit=5).entries
    assert (entry.level, entry.message_key) == ("error", messages.EXPORT_VAT_REGIME_NO_VAT_NUMBER)
    text = messages.render(entry.message_key, entry.params, "en")
    assert "Bouw Zonder Nummer BV" in text and "Add the customer's VAT number in Billit" in text
    assert "btw-nummer" in messages.render(entry.message_key, entry.params, "nl")
    ledger = stack.services.export_ledger.get(TENANT, order["id"])
    assert ledger is not None and ledger.state is LedgerState.FAILED
    assert office(stack).workorders[order["id"]]["status"] == "Compleet"

    stack.billit.update_party(COMPANY, party["PartyID"], VATNumber="BE0403170701")
    stack.services.export_ledger.reset_for_retry(TENANT, order["id"])
    assert export(stack, order["id"]) == []
    (invoice,) = invoices(stack, order["id"])
    assert invoice["VentilationCode"] == "21"
    assert invoice["TotalVAT"] == Decimal("0.00")


def test_a_customer_deleted_in_billit_after_the_import_is_a_fix_not_a_retry(
    stack: Stack,
) -> None:
    party_id = peeters(stack)["PartyID"]
    stack.billit.delete_party(COMPANY, party_id)
    order = work_order(stack)
    assert export(stack, order["id"]) == []  # not retried: the office must fix it
    assert invoices(stack, order["id"]) == []
    key, params = panel(stack)[0]
    assert key == messages.EXPORT_CUSTOMER_GONE
    assert params["debtor_number"] == "C-1001"
    assert params["party_id"] == str(party_id)


# == issue 11: plausibility before anything is sent ============================================

TYPO = "1200000000000000000"  # 1.2 x 10^18: a quantity typed into the price field


def test_a_typo_of_a_trillion_euros_is_never_sent_by_peppol(stack: Stack) -> None:
    settings(stack, delivery="peppol")
    order = work_order(
        stack, Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": TYPO, "MaterialPrice": "1"}]
    )
    assert export(stack, order["id"]) == []

    (invoice,) = invoices(stack, order["id"])
    assert invoice["TotalExcl"] == Decimal("1200000000000000137.50")  # + 2.5 h x 55.00
    stored = stack.billit.order(COMPANY, invoice["OrderID"])
    assert stored["IsSent"] is False and stored["Messages"] == []  # a draft, nothing sent
    assert not [c for c in stack.billit.calls if c.path == "/v1/orders/commands/send"]
    (entry, *_) = stack.services.sync_log.page(TENANT, limit=5).entries
    assert (entry.level, entry.message_key) == ("warning", messages.EXPORT_INVOICE_HELD)
    text = messages.render(entry.message_key, entry.params, "en")
    assert f"a line has quantity {TYPO}, above the limit of 1000" in text
    assert "above the limit of EUR 25000" in text and "NOT sent" in text
    assert "boven de grens van 1000" in messages.render(entry.message_key, entry.params, "nl")
    # One invoice exists: the work order is done, the draft waits for the office in Billit.
    assert office(stack).workorders[order["id"]]["status"] == "Afgehandeld"


def test_an_implausible_draft_is_flagged_too(stack: Stack) -> None:
    settings(stack, limits={"max_hours_per_workorder": "2"})  # delivery: draft (the default)
    order = work_order(stack)  # 2:30 of HT-001
    assert export(stack, order["id"]) == []
    (invoice,) = invoices(stack, order["id"])
    assert stack.billit.order(COMPANY, invoice["OrderID"])["IsSent"] is False
    (entry, *_) = stack.services.sync_log.page(TENANT, limit=5).entries
    assert entry.level == "warning"
    text = messages.render(entry.message_key, entry.params, "en")
    assert "2.50 hours, above the limit of 2 hours" in text


def test_a_plausible_invoice_under_a_lowered_limit_is_held_and_one_above_sent(
    stack: Stack,
) -> None:
    settings(stack, delivery="peppol", limits={"max_invoice_total": "150"})
    held = work_order(stack)  # 151.15 + 31.74 VAT = 182.89 > 150
    assert export(stack, held["id"]) == []
    (invoice,) = invoices(stack, held["id"])
    assert stack.billit.order(COMPANY, invoice["OrderID"])["IsSent"] is False
    assert "EUR 182.89, above the limit of EUR 150" in messages.render(*panel(stack)[0], "en")

    settings(stack, delivery="peppol", limits={"max_invoice_total": "200"})
    sent = work_order(stack)
    assert export(stack, sent["id"]) == []
    (invoice,) = invoices(stack, sent["id"])
    assert stack.billit.order(COMPANY, invoice["OrderID"])["IsSent"] is True
    assert panel(stack)[0][0] == messages.EXPORT_INVOICE_SENT


def test_a_crash_after_creating_an_implausible_invoice_still_never_sends_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings(stack, delivery="peppol")
    order = work_order(
        stack, Materials=[{"MaterialCode": "MAT-00001", "MaterialNr": TYPO, "MaterialPrice": "1"}]
    )
    ledger = stack.services.export_ledger
    real = ledger.record_created

    def crash(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(ledger, "record_created", real)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(ledger, "record_created", crash)
    assert export(stack, order["id"]) != []  # SQS will redeliver it
    stack.clock.advance(400)
    assert export(stack, order["id"], receive_count=2) == []  # resumed: the invoice exists

    (invoice,) = invoices(stack, order["id"])
    assert stack.billit.order(COMPANY, invoice["OrderID"])["IsSent"] is False
    assert panel(stack)[0][0] == messages.EXPORT_INVOICE_HELD
