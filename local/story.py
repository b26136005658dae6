"""The demo's story, step by step, against a running local stack: everything goes through
HTTP to the local API (as OutSmart, the browser and Billit would call it), through the
scheduler's own event, and through the queues' event source mappings."""

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import httpx

from billit_sync.outsmart.assumptions import OUTSMART_TIME_ZONE_NAME
from billit_sync.settings_ui.service import PAGE_PATH as SETTINGS_PAGE_PATH
from billit_sync.sync.exports.jobs import external_reference
from billit_sync.tickets import TicketScope
from local.browser import hidden_form, redirect_target
from local.dataset import Dataset, Problem
from local.stack import LocalStack
from tests.fakes.faults import FaultKind

SCHEDULER = "SchedulerFunction"
OUTSMART_ZONE = ZoneInfo(OUTSMART_TIME_ZONE_NAME)  # work dates are OutSmart wall-clock dates
PAID_WORKSTATUS = "060"


class StoryError(RuntimeError):
    """A step did not do what it should: the demo stops with this message."""


@dataclass
class StoryResult:
    dataset: Dataset
    register: dict[str, Any] = field(default_factory=dict)
    connected_to: str = ""
    log: list[dict[str, Any]] = field(default_factory=list)
    webhook_statuses: list[int] = field(default_factory=list)
    invoice_states: Counter[str] = field(default_factory=Counter)
    duplicate_webhook_status: int = 0
    dead_letters: dict[str, int] = field(default_factory=dict)
    recompleted: str = ""
    """The work order completed again after its invoice (notify only, the default)."""
    outage_workorder: tuple[str, str] = ("", "")
    """(row id, number) of the work order exported after a Billit outage."""


class Story:
    def __init__(self, stack: LocalStack, dataset: Dataset, out: TextIO) -> None:
        self.stack = stack
        self.data = dataset
        self.out = out
        self.http = stack.browser()
        self.result = StoryResult(dataset)
        self.tenant = dataset.tenant_id
        self._step = 0

    # ------------------------------------------------------------------------ helpers
    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def step(self, text: str) -> None:
        self._step += 1
        self.say(f"\n[{self._step}] {text}")

    def detail(self, text: str) -> None:
        self.say(f"    {text}")

    def call(
        self, method: str, path: str, *, ticket: str | None = None, body: Any = None,
        expect: int = 200,
    ) -> httpx.Response:  # fmt: skip
        token = ticket or self.stack.ticket(self.tenant)
        response = self.http.request(
            method,
            f"{self.stack.api.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            json=body,
        )
        if response.status_code != expect:
            raise StoryError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response

    # ------------------------------------------------------------------------ steps
    def seed(self) -> None:
        self.step("Seeding the fakes")
        self.data.seed_billit(self.stack.billit)
        office = self.stack.outsmart.add_tenant(
            self.data.outsmart_token, name=self.data.company_name
        )
        self.data.seed_outsmart(office, datetime.now(OUTSMART_ZONE).date())
        hours = sum(1 for p in self.data.products if p.is_hours)
        self.detail(
            f"Billit   {self.data.company_name} (PartyID {self.data.party_id}): "
            f"{len(self.data.customers)} customers "
            f"({', '.join(sorted({c.country for c in self.data.customers}))}; "
            f"{sum(c.reverse_charge for c in self.data.customers)} reverse charged), "
            f"{len(self.data.products) - hours} products in "
            f"{len({p.group_id for p in self.data.products if p.group_id})} groups, "
            f"{hours} hour products"
        )
        self.detail(
            f"OutSmart {len(self.data.work_orders)} completed work orders "
            f"({len(self.data.exported())} clean, "
            + ", ".join(f"1 {problem.value.replace('_', ' ')}" for problem in Problem)
            + ")"
        )

    def register(self) -> None:
        self.step(f"Registering tenant '{self.tenant}' (PUT /tenants/{self.tenant}, admin ticket)")
        admin = self.stack.ticket("*", TicketScope.ADMIN)
        response = self.call(
            "PUT",
            f"/tenants/{self.tenant}",
            ticket=admin,
            body={"outsmart_token": self.data.outsmart_token, "language": "en"},
        )
        self.result.register = response.json()
        self.detail(f"OutSmart webhook: {self.result.register.get('outsmart_webhook_url')}")
        # PATCH: a JSON merge patch changes only the two settings it names.
        exports = {"delivery": "peppol", "workstatus_when_paid": PAID_WORKSTATUS}
        self.call(
            "PATCH", f"/tenants/{self.tenant}/settings", body={"settings": {"exports": exports}}
        )
        self.detail("settings: send invoices by Peppol; work status 'Betaald' when paid")

    def connect(self) -> None:
        self.step("Connecting Billit through the browser redirect chain")
        # A single-use connect ticket (10 minutes), never the tenant's own ticket, in the URL.
        ticket = self.stack.ticket(self.tenant, TicketScope.CONNECT)
        start = self.http.get(
            f"{self.stack.api.url}/connect",
            params={"ticket": ticket, "return_url": self.stack.return_url},
        )
        login_url = redirect_target(start)
        self.detail(f"GET  /connect                -> {start.status_code} to Billit's login page")
        page = self.http.get(login_url)
        action, fields = hidden_form(page)
        self.detail(f"GET  Billit /Account/Logon   -> {page.status_code} login form")
        answer = self.http.post(
            action,
            data=fields
            | {
                "email": self.data.billit_user,
                "password": self.data.billit_password,
                "action": "allow",
            },
        )
        callback = redirect_target(answer)
        self.detail(f"POST Billit /Account/Logon   -> {answer.status_code} to /oauth/callback")
        # The browser carries the __Host- cookie /connect set; the callback asks to confirm.
        asked = self.http.get(callback)
        confirm_url, confirm_fields = hidden_form(asked)
        self.detail(f"GET  /oauth/callback         -> {asked.status_code} confirmation page")
        done = self.http.post(confirm_url, data=confirm_fields | {"decision": "connect"})
        back = redirect_target(done)
        self.detail(
            f"POST /oauth/confirm          -> {done.status_code} to OutSmart's settings page"
        )
        landing = self.http.get(back)  # OutSmart's page shows the service's settings page
        settings_page = f"{self.stack.api.url}{SETTINGS_PAGE_PATH}?"
        if "billit_connection=connected" not in back or not redirect_target(landing).startswith(
            settings_page
        ):
            raise StoryError(f"the connection did not succeed: {back}")
        connection = self.call("GET", f"/tenants/{self.tenant}/connection").json()
        self.result.connected_to = str(connection.get("company_name") or connection)
        self.detail(
            f"connected: {connection.get('status')} to {connection.get('company_name')} "
            f"(PartyID {connection.get('party_id')})"
        )

    def import_master_data(self) -> None:
        self.step(f"Import now (POST /tenants/{self.tenant}/sync) and the import worker")
        self.call("POST", f"/tenants/{self.tenant}/sync", body={"full": True}, expect=202)
        report = self.stack.workers.drain()
        office = self.stack.outsmart.tenant(self.data.outsmart_token)
        self.detail(f"import worker: {report.handled['ImportFunction']} job(s)")
        self.detail(
            f"OutSmart now has {len(office.relations)} relations, "
            f"{len(office.contact_persons)} contact persons, {len(office.materials)} materials, "
            f"{len(office.categories)} categories, {len(office.hour_types)} hour types"
        )

    def discover_and_export(self) -> None:
        self.step('Discovery: the 5-minute schedule\'s event {"job": "discovery"}')
        fanned = self.stack.invoke(SCHEDULER, {"job": "discovery"})
        self.detail(f"scheduler: {json.dumps(fanned)}")
        report = self.stack.workers.drain(queues={"DiscoveryJobsQueue"})
        queued = self.stack.workers.waiting("ExportQueue")
        self.detail(
            f"discovery worker: {report.handled['DiscoveryFunction']} job(s); "
            f"{queued} work orders queued for export"
        )
        self.step("Export queue drained by the export worker")
        report = self.stack.workers.drain()
        self.detail(
            f"export worker: {report.handled['ExportFunction']} message(s) handled, "
            f"{report.failed['ExportFunction']} retried"
        )
        first = self.data.exported()[0]
        self.detail(f"OutSmart's webhook sends {first.workorder_no} again (already invoiced):")
        secret = str(self.result.register.get("outsmart_webhook_secret", ""))
        response = self.http.post(
            f"{self.stack.api.url}/webhooks/outsmart/{self.tenant}",
            headers={"X-OutSmart-Secret": secret},
            json={"row_id": first.row_id},
        )
        self.result.duplicate_webhook_status = response.status_code
        self.stack.workers.drain()
        invoices = self.invoices_for(first.row_id)
        self.detail(
            f"POST /webhooks/outsmart -> {response.status_code}; still {len(invoices)} invoice"
        )

    def billit_webhooks(self) -> None:
        self.step("Billit webhooks: Peppol delivery, a refusal, payments")
        orders = sorted(
            self.stack.billit.orders(self.data.party_id), key=lambda order: int(order["OrderID"])
        )
        company = self.data.party_id
        for order in orders[:4]:
            self.stack.billit.set_delivery_state(company, int(order["OrderID"]), "Delivered")
        if len(orders) > 4:
            self.stack.billit.set_delivery_state(
                company, int(orders[4]["OrderID"]), "Refused", "Unknown purchase order reference"
            )
        for order in orders[:2]:
            self.stack.billit.mark_paid(company, int(order["OrderID"]))
        pending = len(self.stack.billit.outbox)
        statuses = self.stack.billit.deliver_webhooks(self.http)
        self.result.webhook_statuses = statuses
        self.detail(
            f"{pending} signed deliveries POSTed to /webhooks/billit/{self.tenant}: "
            + ", ".join(f"{count}x {status}" for status, count in sorted(Counter(statuses).items()))
        )
        report = self.stack.workers.drain()
        self.detail(f"webhook processor: {report.handled['WebhookProcessorFunction']} event(s)")

    def recompletion(self) -> None:
        self.step("A work order re-opened in OutSmart and completed again (30 minutes added)")
        again = self.data.exported()[-1]
        office = self.stack.outsmart.tenant(self.data.outsmart_token)
        stored = office.workorder(again.row_id)
        period = dict(stored["Workperiods"][-1])
        period |= {"BeginTime": "16:00", "EndTime": "16:30", "TotalTime": "00:30", "Break": "0"}
        stored["Workperiods"].append(period)
        stored["status"] = "Compleet"
        self.stack.invoke(SCHEDULER, {"job": "discovery"})
        self.stack.workers.drain()
        said = self.latest_entry(again.workorder_no, "export.recompleted")
        self.detail(f"{again.workorder_no}: {said}")
        self.result.recompleted = again.workorder_no

    def outage(self) -> None:
        self.step("Billit down for longer than every retry of a new work order, then back")
        office = self.stack.outsmart.tenant(self.data.outsmart_token)
        model = copy.deepcopy(office.workorder(self.data.exported()[0].row_id))
        for generated in ("id", "WorkorderNo", "OrderNr", "WorksheetCode", "status"):
            model.pop(generated, None)
        for url in ("PdfUrl", "WordUrl", "SignatureUrl"):
            model.pop(url, None)
        new = office.add_workorder(**model)
        outage = self.stack.billit.faults.add(
            FaultKind.SERVER_ERROR, method="POST", path="^/v1/orders$", times=-1
        )
        self.stack.invoke(SCHEDULER, {"job": "discovery"})
        report = self.stack.workers.drain()
        self.detail(
            f"export worker: {report.failed['ExportFunction']} failed deliveries of "
            f"{new['WorkorderNo']}, then the dead-letter queue"
        )
        self.detail(
            f"{new['WorkorderNo']}: {self.latest_entry(new['WorkorderNo'], 'export.outage')}"
        )
        self.stack.billit.faults.faults.remove(outage)
        self.stack.invoke(SCHEDULER, {"job": "discovery"})
        self.stack.workers.drain()
        self.detail(
            f"{new['WorkorderNo']}: {self.latest_entry(new['WorkorderNo'], 'export.recovered')}"
        )
        self.result.outage_workorder = (str(new["id"]), str(new["WorkorderNo"]))

    def latest_entry(self, workorder_no: str, key_prefix: str) -> str:
        page = self.call("GET", f"/tenants/{self.tenant}/sync-log?limit=100&lang=en").json()
        for entry in page["entries"]:
            if entry.get("workorder_no") == workorder_no and entry["message_key"].startswith(
                key_prefix
            ):
                return str(entry["message"])
        said = [e["message_key"] for e in page["entries"] if e.get("workorder_no") == workorder_no]
        raise StoryError(
            f"no {key_prefix} entry for {workorder_no} in the log panel; its entries: {said}; "
            f"what the functions logged about it: {self.logged_about(workorder_no)}"
        )

    def logged_about(self, workorder_no: str, last: int = 12) -> list[str]:
        """The service log's last lines about one work order, a few fields each: what a
        failed step says about itself (the demo's and CI's only view of the functions)."""
        lines: list[str] = []
        with self.stack.service_log.open(encoding="utf-8") as log:
            for raw in log:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(line, dict) or line.get("workorder_no") != workorder_no:
                    continue
                if line.get("message") == "Billit call":  # one per request: crowds out the rest
                    continue
                function = str(line.get("function_name", "")).rsplit("-local-", 1)[-1]
                fields = (line.get(k) for k in ("error", "outcome", "receive_count"))
                extra = ",".join(str(value) for value in fields if value not in (None, ""))
                lines.append(
                    f"{function}: {line.get('message')}" + (f" [{extra}]" if extra else "")
                )
        return lines[-last:]

    def reconcile(self) -> None:
        self.step('Reconcile: the hourly schedule\'s event {"job": "reconcile"}')
        fanned = self.stack.invoke(SCHEDULER, {"job": "reconcile"})
        self.detail(f"scheduler: {json.dumps(fanned)}")
        report = self.stack.workers.drain()
        self.detail(
            "webhook processor read the open invoices back from Billit: "
            f"{report.handled['WebhookProcessorFunction']} job(s)"
        )

    def read_log(self) -> None:
        entries: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = "limit=100&lang=en" + (f"&cursor={cursor}" if cursor else "")
            page = self.call("GET", f"/tenants/{self.tenant}/sync-log?{query}").json()
            entries.extend(page["entries"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        self.result.log = entries

    # ------------------------------------------------------------------------ facts
    def invoices_for(self, row_id: str) -> list[dict[str, Any]]:
        reference = external_reference(self.tenant, row_id)
        return [
            order
            for order in self.stack.billit.orders(self.data.party_id)
            if order.get("ExternalProviderID") == reference
        ]

    def run(self) -> StoryResult:
        self.seed()
        self.register()
        self.connect()
        self.import_master_data()
        self.discover_and_export()
        self.billit_webhooks()
        self.recompletion()
        self.outage()
        self.reconcile()
        self.read_log()
        return self.result
