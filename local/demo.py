"""``make demo``: the whole service on this machine, one story from registration to payment.

    python -m local.demo [--small] [--state-dir .local]

Starts moto, the Billit and OutSmart fakes and the local HTTP API (all on 127.0.0.1), plays
the story (register → connect → import → discovery → export → Billit webhooks), prints the log
panel and a summary, writes ``<state-dir>/endpoints.json`` and exits 0 (1 if a step failed).
"""

import argparse
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from billit_sync.sync.exports.jobs import external_reference
from local.dataset import FULL, SMALL, Dataset, Problem
from local.screenshots import CHROMIUM, chromium_missing, screenshot_settings_page
from local.stack import DEFAULT_STATE_DIR, LocalStack, running_stack
from local.story import Story, StoryError, StoryResult

MESSAGE_WIDTH = 78
SCREENSHOT = "settings-page.png"


def log_table(entries: list[dict[str, Any]]) -> list[str]:
    """The log panel as the settings page shows it (newest first), one row per entry."""
    header = f"{'time':8}  {'level':7}  {'category':10}  {'work order':10}  {'invoice':10}  message"
    rows = [header, "-" * (len(header) + MESSAGE_WIDTH - 7)]
    for entry in entries:
        clock = str(entry["time"])[11:19]
        lines = textwrap.wrap(str(entry["message"]), MESSAGE_WIDTH) or [""]
        rows.append(
            f"{clock:8}  {entry['level']:7}  {entry['category']:10}  "
            f"{entry.get('workorder_no') or '':10}  {entry.get('invoice') or '':10}  {lines[0]}"
        )
        rows.extend(f"{'':54}{line}" for line in lines[1:])
    return rows


def invoice_states(stack: LocalStack, dataset: Dataset) -> Counter[str]:
    states: Counter[str] = Counter()
    for order in stack.billit.orders(dataset.party_id):
        states["created"] += 1
        states["sent"] += bool(order.get("IsSent"))
        states["paid"] += bool(order.get("Paid"))
        delivery = (order.get("CurrentDocumentDeliveryDetails") or {}).get("DocumentDeliveryStatus")
        if delivery in {"Delivered", "Refused"}:
            states[delivery.lower()] += 1
    return states


def reverse_charge_lines(stack: LocalStack, dataset: Dataset) -> list[str]:
    """The reverse-charged customers' invoices: 0 % VAT, the regime's code, the legal mention."""
    by_reference = {
        order.get("ExternalProviderID"): order for order in stack.billit.orders(dataset.party_id)
    }
    lines = []
    for seed in dataset.reverse_charged():
        customer = dataset.customer(seed.customer_nr)
        order = by_reference.get(external_reference(dataset.tenant_id, seed.row_id))
        if order is None:
            lines.append(f"  - {seed.workorder_no} {customer.name}: no invoice")
            continue
        mention = str(order.get("Comments") or "").splitlines()[1:]
        lines.append(
            f"  - {seed.workorder_no} {customer.name} ({customer.vat_number}): invoice "
            f"{order['OrderNumber']}, code {order.get('VentilationCode')}, "
            f"EUR {order['TotalExcl']} excl., VAT {order['TotalVAT']}, "
            f"total {order['TotalIncl']}"
        )
        lines.extend(f"      {text}" for text in mention)
    return [f"Reverse charge:      {len(dataset.reverse_charged())} customer(s)", *lines]


def summary(stack: LocalStack, result: StoryResult) -> list[str]:
    dataset = result.dataset
    office = stack.outsmart.tenant(dataset.outsmart_token)
    states = invoice_states(stack, dataset)
    result.invoice_states = states
    handled = sum(
        1 for w in dataset.work_orders if office.workorder(w.row_id)["status"] == "Afgehandeld"
    )
    imported = next((e for e in result.log if e["message_key"] == "import.finished"), None)
    imported_text = textwrap.wrap(imported["message"] if imported else "nothing", 92)
    lines = [
        f"Invoices in Billit:  {states['created']} created, {states['sent']} sent by Peppol, "
        f"{states['delivered']} delivered, {states['refused']} refused, {states['paid']} paid",
        f"Work orders:         {handled} of {len(dataset.work_orders)} marked Handled in OutSmart"
        f" (one invoice each)",
        f"Imported:            {imported_text[0]}",
        *(f"                     {line}" for line in imported_text[1:]),
    ]
    lines.extend(reverse_charge_lines(stack, dataset))
    before = dataset.with_problem(Problem.BEFORE_CONNECTION)
    if before:
        numbers = ", ".join(w.workorder_no for w in before)
        lines.append(f"Not exported:        {numbers}: completed before the connection (a setting)")
    problems = [e for e in result.log if e["level"] == "error"]
    lines.append(f"Errors to fix:       {len(problems)}")
    for entry in problems:
        wrapped = textwrap.wrap(str(entry["message"]), 92)
        lines.append(f"  - {wrapped[0]}")
        lines.extend(f"    {line}" for line in wrapped[1:])
    warnings = [e for e in result.log if e["level"] == "warning"]
    for entry in warnings:
        wrapped = textwrap.wrap(f"(warning) {entry['message']}", 92)
        lines.append(f"  - {wrapped[0]}")
        lines.extend(f"    {line}" for line in wrapped[1:])
    return lines


def settings_page_screenshot(stack: LocalStack, dataset: Dataset, state_dir: Path) -> str:
    """The settings page after the story, as the office sees it (chromium headless)."""
    if chromium_missing():
        return f"\nSettings page:       no screenshot ({CHROMIUM} is not installed)"
    path = screenshot_settings_page(stack, dataset.tenant_id, state_dir / SCREENSHOT)
    return f"\nSettings page:       {path} (screenshot, chromium headless)"


def run_demo(dataset: Dataset, state_dir: Path, out: TextIO) -> tuple[LocalStack, StoryResult]:
    """Play the story once; the stack is stopped when this returns (its fakes keep their
    state, for the end-to-end test)."""
    started = time.monotonic()
    out.write("OutSmart <-> Billit, on this machine: moto, the Billit and OutSmart fakes and the\n")
    out.write("HTTP API on 127.0.0.1, the same handlers as in AWS (routes and queues from\n")
    out.write("template.yaml). No AWS account, no network.\n")
    with running_stack(state_dir) as stack:
        out.write(
            f"\n    API       {stack.api.url}  (self-signed, {stack.certificate.cert_file})\n"
        )
        out.write(f"    Billit    {stack.billit_server.url}\n")
        out.write(f"    OutSmart  {stack.outsmart_server.url}/openapi/8\n")
        out.write(f"    AWS       {stack.aws.endpoint}  (moto)\n")
        story = Story(stack, dataset, out)
        result = story.run()
        stack.write_endpoints()
        out.write(f"\nLog panel (GET /tenants/{dataset.tenant_id}/sync-log, newest first)\n\n")
        out.write("\n".join(log_table(result.log)) + "\n")
        out.write("\nSummary\n\n" + "\n".join(summary(stack, result)) + "\n")
        result.dead_letters = stack.workers.dead_letters(stack.aws.queues)
        if any(result.dead_letters.values()):
            out.write(f"Dead-letter queues:  {result.dead_letters}\n")
        out.write(settings_page_screenshot(stack, dataset, state_dir) + "\n")
        out.write(
            f"\nDone in {time.monotonic() - started:.0f} s. The functions' own log lines (JSON, as "
            f"in CloudWatch): {stack.service_log}\n"
            "`make dev` keeps this stack running to try it by hand.\n"
        )
    return stack, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__)
    parser.add_argument(
        "--small", action="store_true", help="eight work orders instead of twenty-two"
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        run_demo(SMALL if args.small else FULL, args.state_dir, out)
    except StoryError as failure:
        out.write(f"\nThe demo stopped: {failure}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
