"""The settings page in a real browser (issue 15, point 3): Playwright drives Debian's headless
chromium through the local stack (moto's server, the fakes, the HTTP API, the unchanged
handlers), as an office user would: open the page with OutSmart's ticket, connect Billit, save
settings, watch the import and the exports arrive in the log panel, fix a failed work order
and retry it, see the expired connection in English and Dutch, disconnect with the power icon,
reconnect. Nothing here waits for a time or asserts one: every step waits for what the page
shows.
"""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.settings_ui.sessions import SESSION_COOKIE
from billit_sync.settings_ui.texts import UI_TEXTS
from billit_sync.tickets import TicketScope
from local.dataset import SMALL, Problem
from local.screenshots import CHROMIUM, PHONE, chromium_missing, chromium_page
from local.stack import EMBED_PATH, LocalStack, running_stack
from local.story import SCHEDULER, Story
from tests.e2e.test_least_privilege import _fresh_moto

pytestmark = pytest.mark.skipif(
    chromium_missing(), reason=f"{CHROMIUM} or playwright is missing (.ci/run installs chromium)"
)

DATA = SMALL
TENANT = DATA.tenant_id
NO_CUSTOMER = next(w for w in DATA.work_orders if w.problem is Problem.NO_CUSTOMER)
CLEAN = DATA.exported()[0]
EXPIRED = messages.CATALOGUE[messages.AUTH_EXPIRED]
SECOND_COMPANY, SECOND_VAT = "Claes Verhuur BV", "BE0414445663"


def text(key: str, language: str = "en", **params: str) -> str:
    return UI_TEXTS[key][language].format(**params)  # type: ignore[index]


@dataclass
class Browser:
    stack: LocalStack
    story: Story
    page: Any
    tickets: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.stack.api.url

    def open_settings(self, language: str | None = None) -> Any:
        """What OutSmart does: a fresh single-use ``settings`` ticket in the iframe's URL."""
        ticket = self.stack.ticket(TENANT, TicketScope.SETTINGS)
        self.tickets.append(ticket)
        suffix = f"&lang={language}" if language else ""
        return self.page.goto(f"{self.api}/ui/open?ticket={ticket}{suffix}")

    def connection(self) -> str:
        return str(self.page.locator("#connection-message").inner_text()).strip()

    def notice(self) -> str:
        return str(self.page.locator("#notice").inner_text()).strip()

    def log(self) -> str:
        return str(self.page.locator("#log").inner_text())

    def connect_at_billit(self) -> None:
        """Open settings (or Reconnect) → Billit's login → the service's confirmation."""
        self.page.locator("#connect").click()
        self.page.fill("input[name=email]", DATA.billit_user)
        self.page.fill("input[name=password]", DATA.billit_password)
        self.page.click("button[value=allow]")
        self.page.click("button[value=connect]")
        self.page.wait_for_url(re.compile(r"/ui/settings\?(.*&)?billit_connection=connected"))

    def work_the_queues(self) -> None:
        """What the event source mappings do in AWS, then the page is read again."""
        self.stack.workers.drain()
        self.page.reload()

    def api_settings(self) -> dict[str, Any]:
        return dict(self.story.call("GET", f"/tenants/{TENANT}/settings").json()["settings"])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    state_dir: Path = tmp_path_factory.mktemp("settings-page")
    with _fresh_moto(), running_stack(state_dir) as stack, chromium_page() as page:
        story = Story(stack, DATA, io.StringIO())
        story.seed()
        # The Billit user may act for a second company: the page offers a company switch.
        stack.billit.add_company(DATA.billit_user, SECOND_COMPANY, SECOND_VAT)
        story.register()  # as OutSmart's admin does; sets Peppol and the paid work status
        yield Browser(stack, story, page)


def test_the_office_users_journey(browser: Browser) -> None:
    page = browser.page
    # Opened from OutSmart: the ticket is traded for a session and leaves the URL at once.
    browser.open_settings()
    assert re.fullmatch(rf"{re.escape(browser.api)}/ui/settings", page.url)
    assert browser.connection() == text("connection.never_connected")

    # Not connected → Open settings → the Billit login → confirm → back, connected.
    browser.connect_at_billit()
    assert browser.notice() == text("connection.result.connected")
    connection = browser.story.call("GET", f"/tenants/{TENANT}/connection").json()
    (company,) = [c for c in connection["companies"] if c["party_id"] == str(DATA.party_id)]
    assert company["name"] == DATA.company_name and company["vat_number"]
    assert browser.connection() == text(
        "connection.connected", company=DATA.company_name, vat=company["vat_number"]
    )

    # Several companies: switch to the other one and back.
    page.select_option("#party_id", label=f"{SECOND_COMPANY} ({SECOND_VAT})")
    page.click("#switch-company")
    assert browser.notice() == text("notice.company_selected")
    assert browser.connection() == text(
        "connection.connected", company=SECOND_COMPANY, vat=SECOND_VAT
    )
    page.select_option("#party_id", str(DATA.party_id))
    page.click("#switch-company")
    assert browser.connection() == text(
        "connection.connected", company=DATA.company_name, vat=company["vat_number"]
    )

    # Save: only what the form changes changes; a wrong value is refused beside its field.
    page.select_option("#f-exports-hour_rounding", "15")
    page.fill("#f-exports-payment_term_days", "14")
    page.click("#save")
    assert browser.notice() == text("notice.saved")
    saved = browser.api_settings()["exports"]
    assert (saved["hour_rounding"], saved["payment_term_days"]) == ("15", 14)
    assert (saved["delivery"], saved["workstatus_when_paid"]) == ("peppol", "060")
    page.fill("#f-exports-payment_term_days", "999")
    page.click("#save")
    assert page.locator("#f-exports-payment_term_days-error").inner_text() == (
        "Must be at most 365."
    )
    assert page.locator("#form-error").is_visible()
    assert browser.api_settings()["exports"]["payment_term_days"] == 14

    # Import now → the import worker → its summary in the log panel.
    browser.open_settings()
    page.click("#import-now")
    assert browser.notice() == text("notice.import_queued")
    browser.work_the_queues()
    assert "Import finished" in browser.log()

    # The discovery schedule and the export worker: each export with its invoice number.
    browser.stack.invoke(SCHEDULER, {"job": "discovery"})
    browser.work_the_queues()
    status = browser.story.call("GET", f"/tenants/{TENANT}/exports/{CLEAN.workorder_no}").json()
    number = status["invoice"]["number"]
    assert f"Work order {CLEAN.workorder_no} exported to Billit as invoice {number}" in (
        browser.log()
    )
    entry = page.locator("li.entry", has_text=f"exported to Billit as invoice {number}").first
    assert f"Invoice {number}" in entry.locator(".entry-meta").inner_text()
    failed = page.locator("li.entry.level-error", has_text=NO_CUSTOMER.customer_nr).first
    assert failed.locator("button.sync").is_visible()

    # Filters: errors only.
    page.select_option("#level", "error")
    page.click("#filter")
    levels = page.locator("li.entry .badge").all_inner_texts()
    assert levels and set(levels) == {"error"}

    # Fix what the log said (create missing customers), then Sync that one work order.
    browser.open_settings()
    page.check("#f-exports-create_missing_customers")
    page.click("#save")
    assert browser.notice() == text("notice.saved")
    assert browser.story.invoices_for(NO_CUSTOMER.row_id) == []
    page.click(f"button.sync[aria-label='Sync {NO_CUSTOMER.workorder_no}']")
    assert browser.notice() == text("notice.retry_queued")
    browser.work_the_queues()
    assert len(browser.story.invoices_for(NO_CUSTOMER.row_id)) == 1
    assert f"Work order {NO_CUSTOMER.workorder_no} exported to Billit as invoice" in (browser.log())
    # Sync all failed: the one still failing (its material is still unknown) is tried again.
    page.click("#sync-all")
    assert browser.notice() == text("notice.retry_queued")
    browser.work_the_queues()

    # Billit stops accepting the tokens: the next import finds out; the page says so verbatim.
    browser.stack.billit.revoke_user_tokens(DATA.billit_user)
    page.click("#import-now")
    browser.work_the_queues()
    assert browser.connection() == EXPIRED["en"]
    assert page.locator("#connect").inner_text().strip() == text("connection.reconnect")
    page.click("a[lang=nl]")
    assert browser.connection() == EXPIRED["nl"]
    assert EXPIRED["nl"] in browser.log()
    assert page.locator("#connect").inner_text().strip() == text("connection.reconnect", "nl")

    # The power icon, with its confirmation: disconnected.
    page.click("#power")
    assert page.locator("#disconnect").is_visible()
    page.click("#disconnect")
    assert browser.notice() == text("notice.disconnected", "nl")
    assert browser.connection() == text("connection.disconnected", "nl")
    assert page.locator("#power").count() == 0

    # And connected again.
    browser.connect_at_billit()
    assert browser.connection() == text(
        "connection.connected", "nl", company=DATA.company_name, vat=company["vat_number"]
    )


def test_the_session_cookie_and_the_headers(browser: Browser) -> None:
    response = browser.open_settings()
    assert "ticket" not in browser.page.url
    (cookie,) = [c for c in browser.page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "None")
    assert (cookie["path"], cookie["domain"]) == ("/", "127.0.0.1")  # __Host-: host-only
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives  # no script at all, so 'none' applies
    outsmart = browser.stack.return_url.split("/settings")[0]
    assert directives["frame-ancestors"].split() == ["'self'", outsmart]
    assert response.headers["cache-control"] == "no-store"


def test_a_form_without_the_csrf_token_changes_nothing(browser: Browser) -> None:
    browser.open_settings()
    before = browser.api_settings()
    for token in ({}, {"csrf_token": "forged"}):
        answer = browser.page.request.post(
            f"{browser.api}/ui/settings",
            form={"exports.payment_term_days": "7", **token},
        )
        assert answer.status == 403
        assert text("refused.csrf") in answer.text()
    disconnect = browser.page.request.post(f"{browser.api}/ui/disconnect", form={})
    assert disconnect.status == 403
    assert browser.api_settings() == before


def test_a_ticket_opens_the_page_once_and_only_a_settings_ticket_does(browser: Browser) -> None:
    ticket = browser.stack.ticket(TENANT, TicketScope.SETTINGS)
    browser.tickets.append(ticket)
    context = browser.page.context.browser.new_context(ignore_https_errors=True)
    try:
        fresh = context.new_page()
        assert fresh.goto(f"{browser.api}/ui/open?ticket={ticket}").status == 200
        again = fresh.context.browser.new_context(ignore_https_errors=True).new_page()
        reused = again.goto(f"{browser.api}/ui/open?ticket={ticket}")
        assert reused.status == 401
        assert text("refused.link") in again.inner_text("body")
        tenant_ticket = browser.stack.ticket(TENANT, TicketScope.TENANT)
        browser.tickets.append(tenant_ticket)
        assert again.goto(f"{browser.api}/ui/open?ticket={tenant_ticket}").status == 401
        without_session = again.goto(f"{browser.api}/ui/settings")
        assert without_session.status == 401
        assert text("refused.session") in again.inner_text("body")
    finally:
        context.close()


def test_the_page_fits_a_phone(browser: Browser) -> None:
    browser.open_settings()
    page = browser.page
    page.set_viewport_size(PHONE)
    try:
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        settings = page.locator("#settings").bounding_box()
        log = page.locator("#log").bounding_box()
        assert log["y"] > settings["y"]  # one column: the log panel under the form
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def test_no_ticket_or_session_reaches_the_service_log(browser: Browser) -> None:
    service_log = browser.stack.service_log.read_text(encoding="utf-8")
    assert browser.tickets
    for ticket in browser.tickets:
        assert ticket not in service_log
    for cookie in browser.page.context.cookies():
        assert cookie["value"] not in service_log


def test_only_outsmart_may_frame_the_page(browser: Browser) -> None:
    """``frame-ancestors`` is the return-URL allow-list: OutSmart's page shows the settings
    page in an iframe (session cookie and forms work there); another site's page gets nothing
    (the same stand-in page, reached as ``localhost``: another origin)."""
    outsmart = browser.stack.outsmart_server.url
    page = browser.page
    for origin in (outsmart, outsmart.replace("127.0.0.1", "localhost")):
        ticket = browser.stack.ticket(TENANT, TicketScope.SETTINGS)
        browser.tickets.append(ticket)
        page.goto(f"{origin}{EMBED_PATH}?ticket={ticket}")  # waits for the iframe's load too
        frame = page.frame_locator("#billit")
        if origin == outsmart:
            frame.locator("#connection-message").wait_for()
            frame.locator("#f-exports-payment_term_days").fill("20")
            frame.locator("#save").click()
            assert frame.locator("#notice").inner_text().strip() == text("notice.saved")
        else:
            (framed,) = [f for f in page.frames if f != page.main_frame]
            assert not framed.url.startswith(browser.api)  # Chromium's error page instead
            assert frame.locator("#connection-message").count() == 0
    assert browser.api_settings()["exports"]["payment_term_days"] == 20
