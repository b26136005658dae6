"""``make dev``: the local stack kept running until Ctrl-C, to try the service by hand.

    python -m local.dev [--state-dir .local] [--schedule-seconds 60]

Seeds the fakes with the demo's office and registers its tenant (not connected: that is for
you to do, in the browser), runs the queues' event source mappings in the background and
fires the template's schedules (import, discovery, reconcile) every ``--schedule-seconds``.
Opens with the settings page's link; prints the OutSmart webhook URL and secret; then prints
what happens as it happens (each new log-panel entry: connected, import summaries, exports
with their invoice numbers, Billit's status changes). Type a command and Enter while it runs:
``expire`` (Billit stops accepting the connection's tokens, so "Authentication expired" can be
seen), ``link [nl|en]`` (a fresh settings page link), ``import``, ``discover``, ``help``.
Everything is also written to ``<state-dir>/endpoints.json``.
"""

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import urlencode

import httpx

from billit_sync.api.openapi import SWAGGER_FLAG, SWAGGER_PATH
from billit_sync.tickets import MAX_LIFETIME_SECONDS, TicketScope
from local.dataset import FULL, Dataset
from local.functions import HttpRoute
from local.screenshots import settings_page_url
from local.stack import DEFAULT_STATE_DIR, EMBED_PATH, LocalStack, running_stack
from local.story import SCHEDULER, Story

TICKET_TTL = MAX_LIFETIME_SECONDS[TicketScope.TENANT]
LINK_TTL = MAX_LIFETIME_SECONDS[TicketScope.SETTINGS]
MANAGEMENT_API = "ManagementApiFunction"
FOLLOW_SECONDS: Final = 1.0
MAX_FOLLOW_PAGES: Final = 10

COMMANDS: Final = """Commands (type one and Enter):
  link [nl|en]  a fresh settings page link (each link opens the page once, within 10 minutes)
  expire        Billit stops accepting the connection's tokens; the import it queues finds out,
                and the page shows "Authentication expired. Reconnect the integration to sync
                data." (Reconnect on the page to end it)
  import        import from Billit now (as the page's Import now)
  discover      look for completed work orders now (the 5-minute schedule)
  help          this list
Ctrl-C stops."""


class LogFollower:
    """Each new log-panel entry, oldest first, as one line: what the settings page's log
    panel shows, read from the same route OutSmart reads (``GET …/sync-log``)."""

    def __init__(self, stack: LocalStack, tenant_id: str, client: httpx.Client) -> None:
        self.stack = stack
        self.tenant_id = tenant_id
        self.client = client
        self.seen: set[str] = set()

    def _page(self, cursor: str | None) -> dict[str, Any]:
        ticket = self.stack.ticket(self.tenant_id, ttl=60)
        params = {"limit": "100", "lang": "en"} | ({"cursor": cursor} if cursor else {})
        response = self.client.get(
            f"{self.stack.api.url}/tenants/{self.tenant_id}/sync-log",
            params=params,
            headers={"Authorization": f"Bearer {ticket}"},
        )
        response.raise_for_status()
        page: dict[str, Any] = response.json()
        return page

    def new_lines(self) -> list[str]:
        fresh: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_FOLLOW_PAGES):
            page = self._page(cursor)
            unseen = [e for e in page["entries"] if e["id"] not in self.seen]
            fresh.extend(unseen)
            cursor = page.get("next_cursor")
            if len(unseen) < len(page["entries"]) or not cursor:
                break
        self.seen.update(entry["id"] for entry in fresh)
        return [self.line(entry) for entry in reversed(fresh)]

    @staticmethod
    def line(entry: dict[str, Any]) -> str:
        clock = str(entry["time"])[11:19]
        where = " ".join(
            part
            for part in (
                entry.get("workorder_no") or "",
                f"invoice {entry['invoice']}" if entry.get("invoice") else "",
            )
            if part
        )
        return f"  {clock}  {entry['level']:7} {entry['category']:10} {where:26} {entry['message']}"


class DevCommands:
    """What ``make dev`` does when you type a command."""

    def __init__(self, stack: LocalStack, data: Dataset, out: TextIO) -> None:
        self.stack = stack
        self.data = data
        self.out = out
        self.client = stack.browser()

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        ticket = self.stack.ticket(self.data.tenant_id, ttl=60)
        return self.client.request(
            method,
            f"{self.stack.api.url}/tenants/{self.data.tenant_id}{path}",
            headers={"Authorization": f"Bearer {ticket}"},
            json=body,
        )

    def _connected(self) -> bool:
        if self._call("GET", "/connection").json().get("status") == "connected":
            return True
        self._say("Billit is not connected: connect it on the settings page first (type link).")
        return False

    def import_now(self) -> None:
        if self._connected():
            queued = self._call("POST", "/sync", {"full": False}).status_code == 202
            self._say("import queued" if queued else "nothing to import (imports are off)")

    def expire(self) -> None:
        """Billit refuses the tokens from now on (as when the user's Billit password changed
        or Billit revoked the grant); the import queued now is the first to notice."""
        if not self._connected():
            return
        self.stack.billit.revoke_user_tokens(self.data.billit_user)
        self._call("POST", "/sync", {"full": False})
        self._say(
            f"Billit no longer accepts the tokens of {self.data.billit_user}; the import queued "
            "now finds out. Open a settings page link (type link) to see the message."
        )

    def handle(self, command_line: str) -> None:
        command, _, argument = command_line.strip().partition(" ")
        actions: dict[str, Callable[[], None]] = {
            "link": lambda: self._say(
                "Settings page: "
                + settings_page_url(
                    self.stack, self.data.tenant_id, argument.strip() if argument else None
                )
            ),
            "expire": self.expire,
            "import": self.import_now,
            "discover": lambda: self._say(
                f"discovery: {self.stack.invoke(SCHEDULER, {'job': 'discovery'})}"
            ),
            "help": lambda: self._say(COMMANDS),
        }
        action = actions.get(command.lower())
        if action is None:
            if command:
                self._say(f"unknown command {command!r}; type help")
            return
        action()


def _follow(follower: LogFollower, out: TextIO, stopped: threading.Event) -> None:
    while not stopped.wait(FOLLOW_SECONDS):
        try:
            lines = follower.new_lines()
        except httpx.HTTPError as failure:
            lines = [f"  (log panel not readable: {type(failure).__name__})"]
        if lines:
            out.write("\n".join(lines) + "\n")
            out.flush()


def _read_commands(commands: DevCommands, stopped: threading.Event) -> None:
    for command_line in sys.stdin:
        if stopped.is_set():
            return
        try:
            commands.handle(command_line)
        except Exception as failure:  # a typo must not stop the stack
            commands.out.write(f"command failed: {failure}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.dev", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--schedule-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    out = sys.stdout
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    data = FULL
    # Swagger UI on the management API: only here, never in the template (deployed).
    os.environ[SWAGGER_FLAG] = "true"
    with running_stack(args.state_dir) as stack:
        stack.api.routes.add(HttpRoute("GET", SWAGGER_PATH), stack.functions[MANAGEMENT_API])
        story = Story(stack, data, out)
        story.seed()
        story.register()
        stack.workers.start()
        tenant, api = data.tenant_id, stack.api.url
        settings_link = settings_page_url(stack, tenant)
        embedded_link = f"{stack.outsmart_server.url}{EMBED_PATH}?ticket=" + stack.ticket(
            tenant, TicketScope.SETTINGS
        )
        ticket = stack.ticket(tenant, ttl=TICKET_TTL)
        # OutSmart's own "Connect Billit" link: a single-use connect ticket, never the tenant's.
        connect_link = f"{api}/connect?" + urlencode(
            {
                "ticket": stack.ticket(tenant, TicketScope.CONNECT),
                "return_url": stack.return_url,
            }
        )
        webhook_url = str(story.result.register.get("outsmart_webhook_url"))
        webhook_secret = str(story.result.register.get("outsmart_webhook_secret"))
        environment = " ".join(f"{k}={v}" for k, v in stack.aws.environ.items())
        mint = (
            f"{environment} PYTHONPATH=layers/common .venv/bin/python -m "
            f"billit_sync.tickets --secret-name {stack.aws.app_secret_name} --tenant {tenant}"
        )
        path = stack.write_endpoints(
            {
                "tenant_id": tenant,
                "ticket": ticket,
                "routes": {
                    "settings_page": settings_link,
                    "connect": connect_link,
                    "settings": f"{api}/tenants/{tenant}/settings",
                    "log_panel": f"{api}/tenants/{tenant}/sync-log",
                    "connection": f"{api}/tenants/{tenant}/connection",
                    "outsmart_webhook": webhook_url,
                },
                "billit_login": {"email": data.billit_user, "password": data.billit_password},
            }
        )
        curl = f"curl --cacert {stack.certificate.cert_file} -H 'Authorization: Bearer {ticket}'"
        completed = data.work_orders[0].row_id
        out.write(
            "\nThe settings page (open it in a browser, accept the self-signed certificate; "
            "Open settings logs in\n"
            f"at the Billit fake as {data.billit_user} / {data.billit_password}):\n\n"
            f"  {settings_link}\n\n"
            f"(valid once, for {LINK_TTL // 60} minutes; type `link` for a new one). Or as "
            f"OutSmart shows it, in an iframe of its own page: {embedded_link}\n\n"
            f"The service runs on {api} (certificate {stack.certificate.cert_file}); Billit "
            f"fake {stack.billit_server.url},\nOutSmart fake {stack.outsmart_server.url}"
            f"/openapi/8, AWS (moto) {stack.aws.endpoint}.\n\n"
            f"OutSmart webhook (an OutSmart automation posts completed work orders here):\n"
            f"  URL     {webhook_url}\n"
            f"  secret  {webhook_secret}\n"
            f"  curl --cacert {stack.certificate.cert_file} -H 'X-OutSmart-Secret: "
            f'{webhook_secret}\' -d \'{{"row_id": "{completed}"}}\' {webhook_url}\n\n'
            f"The JSON API with a tenant ticket (valid {TICKET_TTL // 60} minutes; a new one: "
            f"{mint}), also in {path}:\n"
            f"  {curl} {api}/tenants/{tenant}/settings\n"
            f"  {curl} {api}/tenants/{tenant}/sync-log\n"
            f"OutSmart's own connect link (single use, {LINK_TTL // 60} minutes): "
            f"{connect_link}\n\n"
            f"The API contract (docs/openapi.json) in Swagger UI: {api}{SWAGGER_PATH}\n\n"
            "Schedules (import, discovery, reconcile) fire every "
            f"{args.schedule_seconds:.0f} s; queues are worked at once. "
            f"Service logs: {stack.service_log}.\n\n{COMMANDS}\n\n"
            "What happens (the log panel, as it is written):\n"
        )
        out.flush()
        follower = LogFollower(stack, tenant, stack.browser())
        threading.Thread(
            target=_follow, args=(follower, out, stopped), name="dev-log", daemon=True
        ).start()
        commands = DevCommands(stack, data, out)
        threading.Thread(
            target=_read_commands, args=(commands, stopped), name="dev-commands", daemon=True
        ).start()
        schedules = stack.functions[SCHEDULER].schedules
        try:
            while not stopped.wait(args.schedule_seconds):
                for event in schedules:
                    stack.invoke(SCHEDULER, event)
        except KeyboardInterrupt:
            pass
        stopped.set()
    out.write("\nStopped.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
