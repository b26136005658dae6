"""``make dev``: the local stack kept running until Ctrl-C, to try the service by hand.

    python -m local.dev [--state-dir .local] [--schedule-seconds 60]

Seeds the fakes with the demo's office and registers its tenant (not connected: that is for
you to do, in the browser), runs the queues' event source mappings in the background and
fires the template's schedules (import, discovery, reconcile) every ``--schedule-seconds``.
Prints the URLs to try and writes them to ``<state-dir>/endpoints.json``.
"""

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

from billit_sync.api.openapi import SWAGGER_FLAG, SWAGGER_PATH
from billit_sync.tickets import MAX_LIFETIME_SECONDS, TicketScope
from local.dataset import FULL
from local.functions import HttpRoute
from local.stack import DEFAULT_STATE_DIR, running_stack
from local.story import SCHEDULER, Story

TICKET_TTL = MAX_LIFETIME_SECONDS[TicketScope.TENANT]
CONNECT_TTL = MAX_LIFETIME_SECONDS[TicketScope.CONNECT]
MANAGEMENT_API = "ManagementApiFunction"


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
        ticket = stack.ticket(tenant, ttl=TICKET_TTL)
        # The browser link carries a single-use connect ticket, never the tenant ticket.
        connect_ticket = stack.ticket(tenant, TicketScope.CONNECT, ttl=CONNECT_TTL)
        connect = f"{api}/connect?" + urlencode(
            {"ticket": connect_ticket, "return_url": stack.return_url}
        )
        environment = " ".join(f"{k}={v}" for k, v in stack.aws.environ.items())
        mint = (
            f"{environment} PYTHONPATH=layers/common .venv/bin/python -m "
            f"billit_sync.tickets --secret-name {stack.aws.app_secret_name} --tenant {tenant}"
        )
        urls = {
            "connect": connect,
            "settings": f"{api}/tenants/{tenant}/settings",
            "log_panel": f"{api}/tenants/{tenant}/sync-log",
            "connection": f"{api}/tenants/{tenant}/connection",
        }
        path = stack.write_endpoints(
            {
                "tenant_id": tenant,
                "ticket": ticket,
                "routes": urls,
                "billit_login": {"email": data.billit_user, "password": data.billit_password},
            }
        )
        curl = f"curl --cacert {stack.certificate.cert_file} -H 'Authorization: Bearer {ticket}'"
        out.write(
            f"\nThe service runs on {api} "
            f"(self-signed certificate: {stack.certificate.cert_file}).\n"
            f"Billit fake {stack.billit_server.url}, OutSmart fake {stack.outsmart_server.url}"
            f"/openapi/8, AWS (moto) {stack.aws.endpoint}.\n\n"
            f"Tenant '{tenant}' is registered, not yet connected. Connect it in a browser (accept "
            f"the certificate; log in as {data.billit_user} / {data.billit_password}):\n\n"
            f"  {connect}\n\n"
            f"(valid once, for {CONNECT_TTL // 60} minutes; a new one: {mint} --scope connect)\n\n"
            f"Then, with the ticket (valid {TICKET_TTL // 60} minutes; a new one: {mint}) "
            f"in {path}:\n\n"
            f"  {curl} {urls['settings']}\n"
            f"  {curl} {urls['log_panel']}\n"
            f"  {curl} -X POST -d '{{}}' {api}/tenants/{tenant}/sync\n\n"
            f"The API contract (docs/openapi.json) in Swagger UI: {api}{SWAGGER_PATH}\n\n"
            "Schedules (import, discovery, reconcile) fire every "
            f"{args.schedule_seconds:.0f} s; queues are worked at once. "
            f"Service logs: {stack.service_log}. Ctrl-C stops.\n"
        )
        out.flush()
        schedules = stack.functions[SCHEDULER].schedules
        try:
            while not stopped.wait(args.schedule_seconds):
                for event in schedules:
                    stack.invoke(SCHEDULER, event)
        except KeyboardInterrupt:
            pass
    out.write("\nStopped.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
