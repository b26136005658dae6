"""The work order's PDF on the invoice (outsmart-api.md §4.1 Documents): fetched once, over
``http`` or ``https`` from OutSmart's own hosts only (https tried first), and a PDF that cannot
be fetched never blocks the invoice: it goes without it and the log panel says so."""

from typing import Any

import httpx
import pytest

from billit_sync import messages
from billit_sync.store import LedgerState
from tests.integration.api.test_export_worker import (
    COMPANY,
    TENANT,
    export,
    invoices,
    office,
    settings,
    work_order,
)
from tests.integration.api.test_export_worker import stack as export_stack
from tests.support.stack import Stack

stack = export_stack  # the export worker's stack: a tenant with customers and products

SPEC_HOST = "www.werkbonapp.nl"  # desc:2503: http://www.werkbonapp.nl/mailpdf.php?…
OTHER_HOST = "files.example.com"


def pdf_requests(stack: Stack) -> list[Any]:
    return [c for c in stack.outsmart.calls if c.path.endswith("/mailpdf.php")]


def attachments(stack: Stack, row_id: str) -> list[dict[str, Any]]:
    (invoice,) = invoices(stack, row_id)
    found: list[dict[str, Any]] = stack.billit.order(COMPANY, invoice["OrderID"]).get(
        "Attachments", []
    )
    return found


def with_pdf_link(stack: Stack, url: str) -> dict[str, Any]:
    settings(stack, attach_workorder_pdf=True)
    order = work_order(stack)
    office(stack).workorders[order["id"]]["PdfUrl"] = url
    return order


def newest(stack: Stack) -> list[str]:
    return [e.message_key for e in stack.services.sync_log.page(TENANT, limit=5).entries]


def test_the_pdf_is_fetched_once(stack: Stack) -> None:
    settings(stack, attach_workorder_pdf=True)
    order = work_order(stack)  # PdfUrl on the API host, over https

    assert export(stack, order["id"]) == []

    assert len(pdf_requests(stack)) == 1  # a PDF is no JSON envelope: nothing to retry
    (attachment,) = attachments(stack, order["id"])
    assert attachment["MimeType"] == "application/pdf"


@pytest.mark.parametrize(
    ("served_over", "schemes_tried"),
    [
        (frozenset({"http", "https"}), ["https"]),
        (frozenset({"http"}), ["https", "http"]),
    ],
    ids=["host-serves-https", "host-serves-http-only"],
)
def test_the_specs_http_link_is_tried_over_https_first_then_as_given(
    stack: Stack, served_over: frozenset[str], schemes_tried: list[str]
) -> None:
    stack.outsmart.pdf_schemes = served_over
    tried: list[str] = []

    def recording(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.scheme)
        return stack.outsmart.handle(request)

    stack.router.route(host=SPEC_HOST).mock(side_effect=recording)
    settings(stack, attach_workorder_pdf=True)
    order = work_order(stack)
    stored = office(stack).workorders[order["id"]]
    stored["PdfUrl"] = (
        f"http://{SPEC_HOST}/mailpdf.php?action=display&sheet_id={stored['WorksheetCode']}"
    )

    assert export(stack, order["id"]) == []

    assert tried == schemes_tried
    assert len(attachments(stack, order["id"])) == 1


@pytest.mark.parametrize(
    "url",
    [
        f"https://{OTHER_HOST}/mailpdf.php?action=display&sheet_id=1",
        "http://werkbonapp.nl.example.com/mailpdf.php?sheet_id=1",
        "ftp://www.werkbonapp.nl/mailpdf.php?sheet_id=1",
        "https://user:pw@www.werkbonapp.nl/mailpdf.php?sheet_id=1",
    ],
    ids=["other-host", "lookalike-host", "ftp", "userinfo"],
)
def test_a_link_outside_outsmarts_hosts_is_never_fetched_and_the_invoice_goes_without(
    stack: Stack, url: str
) -> None:
    fetched = stack.router.route(host__regex=r".*example\.com$").respond(200, content=b"%PDF-")
    order = with_pdf_link(stack, url)

    assert export(stack, order["id"]) == []

    assert not fetched.called
    assert attachments(stack, order["id"]) == []
    assert messages.EXPORT_PDF_NOT_ATTACHED in newest(stack)
    entry = stack.services.export_ledger.get(TENANT, order["id"])
    assert entry is not None and entry.state is LedgerState.HANDLED


def test_a_pdf_outsmart_does_not_have_is_asked_for_once_and_said_in_the_panel(
    stack: Stack,
) -> None:
    order = with_pdf_link(stack, "https://outsmart.test/mailpdf.php?action=display&sheet_id=gone")

    assert export(stack, order["id"]) == []

    assert len(pdf_requests(stack)) == 1  # a 404 is not retried
    assert attachments(stack, order["id"]) == []
    entry = next(
        e
        for e in stack.services.sync_log.page(TENANT, limit=5).entries
        if e.message_key == messages.EXPORT_PDF_NOT_ATTACHED
    )
    assert entry.level.value == "warning"
    assert entry.workorder_no == order["WorkorderNo"]
    for language in ("en", "nl"):
        text = messages.render(entry.message_key, entry.params, language)
        assert "404" in text and "gone" not in text  # the link is a secret: never shown
