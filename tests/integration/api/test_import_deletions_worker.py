"""Issue 17 end to end through the workers: a Billit customer deleted after old work orders
were made for it. The import (full sync) sets the relation inactive and says so in the log
panel, in English and Dutch; a later work order for it is not invoiced to the deleted party but
explained."""

from collections.abc import Iterator

import pytest

from billit_sync import messages
from billit_sync.store import SyncLogLevel
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.sync.imports.jobs import ImportJob
from functions.export_worker import app as export_worker
from functions.import_worker import app as import_worker
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
OUTSMART_TOKEN = "os-token-acme"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, import_worker, export_worker) as running:
        seed_billit_account(running.billit)
        running.connect_tenant(TENANT, user=BILLIT_USER, outsmart_token=OUTSMART_TOKEN)
        running.import_master_data(TENANT)
        yield running


def test_a_deleted_customer_is_deactivated_explained_and_not_invoiced(stack: Stack) -> None:
    office = stack.outsmart.tenant(OUTSMART_TOKEN)
    peeters = next(p for p in stack.billit.parties(BILLIT_COMPANY) if p.get("Nr") == "C-1001")
    old = office.add_workorder(CustomerDebtorNr="C-1001", status="Afgehandeld")
    stack.billit.delete_party(BILLIT_COMPANY, peeters["PartyID"])

    result = import_worker.lambda_handler(
        sqs_event(ImportJob(tenant_id=TENANT, full=True, trigger="manual").model_dump_json()),
        FakeLambdaContext(remaining_millis=900_000),
    )
    assert result == {"batchItemFailures": []}

    assert office.relations["C-1001"]["active"] == "0"
    assert office.workorders[old["id"]]["CustomerDebtorNr"] == "C-1001"
    assert stack.outsmart.calls_to("DeleteEntity") == []
    entries = stack.services.sync_log.page(TENANT, limit=10).entries
    finished, gone = entries[0], entries[1]
    assert finished.message_key == messages.IMPORT_FINISHED
    assert "customers 0 created, 0 updated, 0 skipped, 1 deactivated (no longer in Billit)" in (
        messages.render(finished.message_key, finished.params, "en")
    )
    assert "klanten 0 nieuw, 0 bijgewerkt, 0 overgeslagen, 1 op inactief gezet" in (
        messages.render(finished.message_key, finished.params, "nl")
    )
    assert "full comparison with Billit done" in messages.render(
        finished.message_key, finished.params, "en"
    )
    assert gone.message_key == messages.IMPORT_NO_LONGER_IN_BILLIT
    assert gone.level is SyncLogLevel.INFO  # all handled: nothing for the office to do
    assert "customer 'Peeters BV': set inactive" in messages.render(
        gone.message_key, gone.params, "en"
    )
    assert "niet meer in Billit" in messages.render(gone.message_key, gone.params, "nl")

    # A work order completed for it afterwards: no invoice to the deleted party, a clear entry.
    late = office.add_workorder(
        CustomerDebtorNr="C-1001",
        Workperiods=[{"BeginTime": "08:00", "EndTime": "09:00", "HourType": "HT-001"}],
    )
    export_worker.lambda_handler(
        sqs_event(ExportJob(tenant_id=TENANT, row_id=late["id"]).model_dump_json()),
        FakeLambdaContext(),
    )
    assert not any(
        o["CounterParty"]["PartyID"] == peeters["PartyID"]
        for o in stack.billit.orders(BILLIT_COMPANY)
    )
    latest = stack.services.sync_log.page(TENANT, limit=1).entries[0]
    assert latest.message_key == messages.EXPORT_CUSTOMER_NOT_FOUND
    assert "C-1001" in messages.render(latest.message_key, latest.params, "en")
