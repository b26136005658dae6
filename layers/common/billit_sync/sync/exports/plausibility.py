"""Plausibility before anything is sent: an invoice over one of the tenant's limits is created
in Billit as a draft and not sent, and the log panel names each value and its limit.

An invoice sent by Peppol cannot be recalled; a typo in OutSmart (a quantity of 10^18) must
never reach the customer. The limits (``tenant_settings.PlausibilityLimits``) are checked on
what the invoice carries: the largest quantity of one line (before ``fit_to_decimals`` folds
it), the hours billed, the total incl. VAT, and negative lines or totals.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billit_sync.sync.exports.invoice_builder import PlannedInvoice, line_net
from billit_sync.tenant_settings import PlausibilityLimits


class BreachKind(StrEnum):
    """The log panel's words for each live in ``messages._BREACH_TEXTS``."""

    QUANTITY_PER_LINE = "quantity_per_line"
    HOURS_PER_WORKORDER = "hours_per_workorder"
    INVOICE_TOTAL = "invoice_total"
    NEGATIVE_LINE = "negative_line"
    NEGATIVE_TOTAL = "negative_total"


@dataclass(frozen=True)
class Breach:
    kind: BreachKind
    value: Decimal
    limit: Decimal | None = None

    @property
    def param(self) -> str:
        """``<value>/<limit>`` (or ``<value>``) in plain notation, never ``1.2E+18``."""
        shown = f"{self.value:f}"
        return shown if self.limit is None else f"{shown}/{self.limit:f}"


def breaches(planned: PlannedInvoice, limits: PlausibilityLimits) -> list[Breach]:
    """Every limit the invoice is over (empty: plausible, it may be sent)."""
    found: list[Breach] = []
    if abs(planned.largest_quantity) > limits.max_quantity_per_line:
        found.append(
            Breach(
                BreachKind.QUANTITY_PER_LINE, planned.largest_quantity, limits.max_quantity_per_line
            )
        )
    if planned.billed_hours > limits.max_hours_per_workorder:
        found.append(
            Breach(
                BreachKind.HOURS_PER_WORKORDER,
                planned.billed_hours.quantize(Decimal("0.01")),
                limits.max_hours_per_workorder,
            )
        )
    total = planned.expected.incl
    if total > limits.max_invoice_total:
        found.append(Breach(BreachKind.INVOICE_TOTAL, total, limits.max_invoice_total))
    if not limits.allow_negative_lines:
        lowest = min((line_net(line) for line in planned.order.order_lines), default=Decimal(0))
        if lowest < 0:
            found.append(Breach(BreachKind.NEGATIVE_LINE, lowest))
    if not limits.allow_negative_total and total < 0:
        found.append(Breach(BreachKind.NEGATIVE_TOTAL, total))
    return found


def breach_params(found: list[Breach]) -> dict[str, str]:
    """``{kind: "<value>/<limit>"}`` for ``problems.invoice_held_message``."""
    return {breach.kind.value: breach.param for breach in found}
