"""One completed work order → exactly one Billit invoice → Handled in OutSmart.

The export ledger makes it exactly once, whatever crashes, redeliveries or duplicate triggers:

1. **claim** the work order in the ledger (a lease); handled or failed entries are final, and
   a live lease of another worker means someone is on it already;
2. **create** (only from ``pending``): with a deterministic idempotency key per (tenant, work
   order, attempt). A redelivered message first looks the invoice up by its external
   reference; a 409 replay or an unknown outcome (timeout after sending, 5xx) is resolved by
   that look-up before anything is sent again;
3. record the Billit order id **before** anything else happens to it;
4. a work order paid on site (``PaymentMethod``, settings) is **marked paid** in Billit
   (``PATCH`` ``Paid``/``PaidDate``, repeated harmlessly on a resumed run);
5. **send** it (when the tenant chose Peppol / e-mail) unless it breaks a plausibility limit
   (``plausibility``: then it stays a draft and the log panel warns, naming the value and the
   limit), then **mark the work order Handled** in OutSmart (and set the chosen work status) —
   each step recorded, so a crash resumes at the step that did not finish and never creates a
   second invoice (a resumed send checks the limits again on a fresh plan).

The customer's VAT regime is read from its Billit party at export time (``vat_regime``), not
copied at import: the office may change a customer's regime in Billit at any moment, and the
invoice must follow what Billit says now.

A work order the technician did not finish (``WorkFinished`` ``"0"``) is not exportable:
nothing is created or marked Handled (discovery tells the office why). The invoice date is
the day it is issued (today in OutSmart's zone), the service date when the work was done
(``invoice_builder``; without work periods the day the connector first saw the order
``Compleet``, from ``WorkOrderSightings``).

User-fixable problems end the work order as ``failed`` with a log-panel entry that says what
to fix; the Sync button resets it. Work orders the settings say not to invoice (``skip``)
end the same way with a warning. Transient problems release the lease and fail the SQS
record, so SQS retries it with backoff and finally parks it in the DLQ.
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import partial

from aws_lambda_powertools.metrics import MetricUnit

from billit_sync import messages
from billit_sync.billit import (
    BillitClient,
    BillitConflictError,
    BillitCredentials,
    BillitNotFoundError,
    BillitRequestError,
    BillitUnauthorizedError,
    BillitValidationError,
)
from billit_sync.billit.errors import ALREADY_SENT_RECENTLY, BillitApiError
from billit_sync.billit.orders import Attachment, OrderCustomer, TransportType
from billit_sync.connection.token_provider import (
    NotConnectedError,
    TenantTokenProvider,
    TokenRefreshOutcomeUnknownError,
    ensure_connected,
)
from billit_sync.errors import (
    AuthExpiredError,
    IntegrationError,
    OutcomeUnknownError,
    TransientError,
)
from billit_sync.observability import count_by, logger, metrics
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartAuthError
from billit_sync.outsmart.models import WorkOrder
from billit_sync.store import (
    Connection,
    ExportLedger,
    LedgerConflictError,
    LedgerEntry,
    LedgerState,
    MappedEntity,
    MappingStore,
    SettingsStore,
    Sighting,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
    WorkOrderSightings,
)
from billit_sync.store.clock import Clock
from billit_sync.sync.exports import problems
from billit_sync.sync.exports.discovery import completed_after, export_cutoff, outsmart_today
from billit_sync.sync.exports.invoice_builder import (
    HourTypeInfo,
    PaymentHandling,
    PlannedInvoice,
    ProductInfo,
    build_invoice,
    completion_date,
    payment_handling,
    workorder_number,
)
from billit_sync.sync.exports.jobs import ExportJob, external_reference
from billit_sync.sync.exports.plausibility import Breach, breach_params, breaches
from billit_sync.sync.exports.vat_regime import STANDARD, CustomerVat, customer_vat
from billit_sync.tenant_settings import ExportSettings, InvoiceDelivery, PaidOnSite

LEASE_SECONDS = 300  # below the export queue's 360 s visibility timeout
SHOWN_TRANSPORT = {InvoiceDelivery.PEPPOL: "Peppol", InvoiceDelivery.EMAIL: "e-mail"}
TRANSPORTS = {
    InvoiceDelivery.PEPPOL: TransportType.PEPPOL,
    InvoiceDelivery.EMAIL: TransportType.SMTP,
}

CredentialsFactory = Callable[[str, int], TenantTokenProvider]
BillitFactory = Callable[[BillitCredentials], BillitClient]
OutSmartFactory = Callable[[str], OutSmartClient]


class ExportOutcome(StrEnum):
    EXPORTED = "exported"
    ALREADY_DONE = "already_done"  # handled before (a duplicate trigger)
    FAILED_BEFORE = "failed_before"  # waits for the user's retry
    IN_PROGRESS = "in_progress"  # another worker holds the work order
    FAILED = "failed"  # user-fixable problem, logged
    NOT_CONNECTED = "not_connected"  # exported after the tenant reconnects (discovery)
    DISABLED = "disabled"
    NOT_EXPORTABLE = "not_exportable"  # no longer complete, or completed before connecting


class CreateNotVisibleYetError(TransientError):
    """Billit says the invoice exists (idempotency replay) but the look-up does not show it
    yet; retried later, never created again."""


@dataclass
class _Run:
    """What one export of one work order works with."""

    job: ExportJob
    connection: Connection
    settings: ExportSettings
    billit: BillitClient
    outsmart: OutSmartClient
    owner: str
    sighting: Sighting | None = None
    planned: PlannedInvoice | None = None


@dataclass
class ExportService:
    tenants: TenantStore
    settings: SettingsStore
    ledger: ExportLedger
    mappings: MappingStore
    sync_log: SyncLogStore
    credentials: CredentialsFactory
    billit: BillitFactory
    outsmart: OutSmartFactory
    clock: Clock
    sightings: WorkOrderSightings

    def export(self, job: ExportJob, *, owner: str, redelivered: bool = False) -> ExportOutcome:
        tenant_id = job.tenant_id
        try:
            connection = ensure_connected(self.tenants, tenant_id)
        except NotConnectedError:
            # Nothing is lost: the work order stays Compleet and is rediscovered later.
            return ExportOutcome.NOT_CONNECTED
        settings = self.settings.get(tenant_id).exports
        if not settings.enabled:
            return ExportOutcome.DISABLED
        try:
            entry = self.ledger.claim(
                tenant_id, job.row_id, job.workorder_no or job.row_id, owner, LEASE_SECONDS
            )
        except LedgerConflictError as conflict:
            return _conflict_outcome(conflict)
        credentials = self.credentials(tenant_id, int(str(connection.party_id)))
        run = _Run(
            job=job,
            connection=connection,
            settings=settings,
            billit=self.billit(credentials),
            outsmart=self.outsmart(tenant_id),
            owner=owner,
        )
        maybe_created_before = redelivered or entry.created_at != entry.updated_at
        return self._run_claimed(run, entry, credentials, maybe_created_before)

    def _run_claimed(
        self,
        run: _Run,
        entry: LedgerEntry,
        credentials: TenantTokenProvider,
        maybe_created_before: bool,
    ) -> ExportOutcome:
        """The claimed work order's remaining steps, and what each kind of failure means."""
        try:
            with credentials.expiring_on_revocation():
                return self._advance(run, entry, maybe_created_before=maybe_created_before)
        except problems.ExportProblem as problem:
            skipped = isinstance(problem, problems.ExportSkipped)
            self._fail(run, problem.message_key, problem.params, str(problem), skipped=skipped)
        except OutSmartAuthError:
            refused = problems.outsmart_token_refused()
            self._fail(run, refused.message_key, refused.params, str(refused))
        except AuthExpiredError:
            self._release(run)
            count_by("ExportFailures", kind="auth")
            return ExportOutcome.NOT_CONNECTED
        except Exception:
            # Transient (or unexpected): give the work order back; SQS redelivers the message.
            self._release(run)
            count_by("ExportFailures", kind="transient")
            raise
        return ExportOutcome.FAILED

    @staticmethod
    def _best_effort(what: str, row_id: str, step: Callable[[], object]) -> None:
        try:
            step()
        except IntegrationError as failure:
            logger.warning(
                f"exported, but the {what} could not be written",
                extra={"row_id": row_id, "error": type(failure).__name__},
            )

    def _release(self, run: _Run) -> None:
        """Give the lease back; a lease already gone (the entry finished or was retaken) is
        fine and must not hide the error that brought us here."""
        try:
            self.ledger.release(run.job.tenant_id, run.job.row_id, run.owner)
        except LedgerConflictError:
            logger.info("lease already released", extra={"row_id": run.job.row_id})

    # ------------------------------------------------------------------- steps
    def _advance(
        self, run: _Run, entry: LedgerEntry, *, maybe_created_before: bool
    ) -> ExportOutcome:
        job = run.job
        workorder: WorkOrder | None = None
        held: list[Breach] | None = None  # None: not checked in this run
        if entry.state is LedgerState.PENDING:
            workorder = run.outsmart.get_workorder(job.row_id)
            if not self._exportable(run, workorder):
                self.ledger.release(job.tenant_id, job.row_id, run.owner)
                return ExportOutcome.NOT_EXPORTABLE
            order_id = None
            if maybe_created_before:
                order_id = self._look_up(run)
            if order_id is None:
                planned = self._plan(run, workorder)
                held = breaches(planned, run.settings.limits)
                order_id = self._create(run, entry, workorder, planned)
            entry = self.ledger.record_created(
                job.tenant_id,
                job.row_id,
                owner=run.owner,
                order_id=str(order_id),
                order_number=None,
            )
            metrics.add_metric(name="InvoicesCreated", unit=MetricUnit.Count, value=1)
        order_id = int(str(entry.order_id))
        transport = TRANSPORTS.get(run.settings.delivery)
        if entry.state is LedgerState.CREATED:
            workorder = self._mark_paid_if_paid_on_site(run, order_id, entry, workorder)
        if entry.state is LedgerState.CREATED and transport is not None:
            if held is None:  # resumed after the create: check the limits on a fresh plan
                workorder = workorder or run.outsmart.get_workorder(job.row_id)
                held = breaches(self._plan(run, workorder), run.settings.limits)
            if not held:
                self._send(run, entry, order_id, transport)
                entry = self.ledger.record_sent(job.tenant_id, job.row_id, owner=run.owner)
        run.outsmart.mark_workorder_handled(job.row_id)
        if run.settings.workstatus_after_export:
            run.outsmart.set_workorder_status(job.row_id, run.settings.workstatus_after_export)
        self.ledger.record_handled(job.tenant_id, job.row_id, owner=run.owner)
        workorder_no = job.workorder_no or (workorder.workorder_no if workorder else None)
        level = SyncLogLevel.INFO
        if held:
            level = SyncLogLevel.WARNING
            message_key, params = problems.invoice_held_message(
                workorder_no or job.row_id, entry.order_number or "", order_id, breach_params(held)
            )
            count_by("InvoicesHeld", kind=held[0].kind.value)
            logger.warning(
                "invoice kept as a draft: over a plausibility limit",
                extra={"row_id": job.row_id, "limits": [breach.kind.value for breach in held]},
            )
        else:
            message_key, params = problems.exported_message(
                workorder_no or job.row_id,
                entry.order_number or "",
                order_id,
                sent_by=SHOWN_TRANSPORT.get(run.settings.delivery) if transport else None,
            )
        # Bookkeeping after the work order is done for good: a failure here must not fail
        # the message (the redelivery would find nothing left to do), so each step is
        # best-effort, the user's log entry first.
        self._best_effort(
            "log panel entry",
            job.row_id,
            lambda: self.sync_log.record(
                job.tenant_id,
                category=SyncLogCategory.EXPORT,
                level=level,
                message_key=message_key,
                params=params,
                workorder_no=workorder_no,
                invoice_number=entry.order_number or str(order_id),
            ),
        )
        for notice_key, notice_params in run.planned.notices if run.planned else ():
            self._best_effort(
                "log panel note",
                job.row_id,
                partial(
                    self.sync_log.record,
                    job.tenant_id,
                    category=SyncLogCategory.EXPORT,
                    level=SyncLogLevel.WARNING,
                    message_key=notice_key,
                    params=notice_params,
                    workorder_no=workorder_no,
                    invoice_number=entry.order_number or str(order_id),
                ),
            )
        self._best_effort(
            "last export time",
            job.row_id,
            lambda: self.tenants.record_export_finished(job.tenant_id, self.clock()),
        )
        logger.info(
            "work order exported",
            extra={"tenant_id": job.tenant_id, "row_id": job.row_id, "order_id": order_id},
        )
        return ExportOutcome.EXPORTED

    def _exportable(self, run: _Run, workorder: WorkOrder) -> bool:
        if not workorder.is_complete:
            logger.info("work order no longer complete", extra={"row_id": run.job.row_id})
            return False
        if not workorder.is_finished:
            # desc:2440 / desc:103: Compleet but unfinished work; discovery shows the reason.
            logger.info(
                "work order not finished by the technician", extra={"row_id": run.job.row_id}
            )
            return False
        run.sighting = self.sightings.get(run.job.tenant_id, run.job.row_id)
        if run.sighting is None:
            # Queued before discovery saw it (OutSmart's webhook). Before the first discovery
            # took the baseline it counts as already Compleet at the connection (the work
            # dates decide), after it as completed since.
            baseline = self.sightings.baseline_taken_at(run.job.tenant_id)
            run.sighting = self.sightings.record(
                run.job.tenant_id, run.job.row_id, at_connection=baseline is None
            )
        cutoff = export_cutoff(run.connection)
        if (
            run.settings.only_completed_after_connection
            and cutoff is not None
            and completed_after(workorder, cutoff, run.sighting) is False
        ):
            logger.info(
                "work order completed before the connection", extra={"row_id": run.job.row_id}
            )
            return False
        return True

    def _look_up(self, run: _Run) -> int | None:
        """The invoice of this work order, if Billit already has it."""
        found = run.billit.orders.find_orders_by_external_reference(
            external_reference(run.job.tenant_id, run.job.row_id)
        )
        return found[0].order_id if found else None

    def _create(
        self, run: _Run, entry: LedgerEntry, workorder: WorkOrder, planned: PlannedInvoice
    ) -> int:
        try:
            return run.billit.orders.create_order(planned.order, entry.idempotency_key)
        except BillitConflictError as conflict:
            if not conflict.is_idempotency_replay:
                raise
            order_id = self._look_up(run)
            if order_id is None:
                raise CreateNotVisibleYetError(
                    "Billit replayed the create; look-up pending"
                ) from None
            return order_id
        except TokenRefreshOutcomeUnknownError:
            raise  # nothing was sent to /v1/orders; do not spend the refresh token again
        except OutcomeUnknownError:
            order_id = self._look_up(run)
            if order_id is None:
                raise  # not created: retried later with the same idempotency key
            return order_id
        except BillitValidationError as refused:
            raise problems.billit_refused_from(
                workorder.workorder_no or run.job.row_id, refused
            ) from None
        except BillitUnauthorizedError as refused:
            # A 401 without a token code on create is about the data, not the login
            # (reference §7): a user-fixable problem, never an outage.
            raise self._customer_refused(run, planned, workorder, refused) from None

    def _customer_refused(
        self,
        run: _Run,
        planned: PlannedInvoice,
        workorder: WorkOrder,
        refused: BillitUnauthorizedError,
    ) -> problems.ExportProblem:
        """Re-check the customer the invoice named; clear its mapping when it is gone."""
        workorder_no = workorder.workorder_no or run.job.row_id
        party_id = planned.order.customer.party_id
        if party_id is None:
            return problems.billit_refused_from(workorder_no, refused)
        name = workorder.invoice_customer_name or planned.order.customer.name or ""
        try:
            run.billit.parties.get_party(party_id)
        except (BillitNotFoundError, BillitUnauthorizedError):
            return self._customer_gone(run, workorder, party_id, name)
        return problems.customer_refused(workorder_no, party_id, name)

    def _customer_gone(
        self, run: _Run, workorder: WorkOrder, party_id: int, name: str
    ) -> problems.ExportProblem:
        """The mapped Billit customer no longer exists (deleted in MyBillit, no signal:
        reference §9): clear the stale mapping so the retry looks the customer up again."""
        tenant_id, company = run.job.tenant_id, str(run.connection.party_id)
        forgotten = self.mappings.delete(tenant_id, company, MappedEntity.CUSTOMER, str(party_id))
        logger.warning(
            "Billit customer no longer exists; mapping cleared",
            extra={"row_id": run.job.row_id, "party_id": party_id, "mapping": bool(forgotten)},
        )
        debtor = forgotten.outsmart_key if forgotten else workorder.invoice_debtor_number
        workorder_no = workorder.workorder_no or run.job.row_id
        return problems.customer_gone(workorder_no, party_id, name, debtor or "")

    def _plan(self, run: _Run, workorder: WorkOrder) -> PlannedInvoice:
        tenant_id, party_id = run.job.tenant_id, str(run.connection.party_id)
        customer_party, new_customer = self._customer(run, workorder)
        regime = (
            self._customer_vat(run, workorder, customer_party)
            if customer_party is not None
            else STANDARD
        )
        codes = [m.code for m in workorder.materials if m.code]
        mapped_products = (
            self.mappings.get_many_by_outsmart_keys(
                tenant_id, party_id, MappedEntity.PRODUCT, codes
            )
            if codes
            else {}
        )
        products = {
            code: ProductInfo(
                billit_product_id=int(m.billit_id) if m.billit_id.isdigit() else None,
                vat_rate=_decimal(m.attributes.get("vat_rate")),
                unit=m.attributes.get("unit"),
            )
            for code, m in mapped_products.items()
        }
        hour_types = self._hour_types(run, workorder)
        attachment = None
        if run.settings.attach_workorder_pdf and workorder.pdf_url:
            content = run.outsmart.download_workorder_pdf(workorder.pdf_url)
            attachment = Attachment(
                file_name=f"werkbon-{workorder.workorder_no or workorder.id}.pdf",
                mime_type="application/pdf",
                file_content=base64.b64encode(content).decode("ascii"),
            )
        planned = build_invoice(
            workorder,
            tenant_id=tenant_id,
            customer_party_id=customer_party or 0,
            settings=run.settings,
            products=products,
            hour_types=hour_types,
            attachment=attachment,
            issued_on=outsmart_today(self.clock()),
            first_seen=self._first_seen(run),
            customer=regime,
        )
        if new_customer is not None:
            order = planned.order.model_copy(update={"customer": new_customer})
            planned = replace(planned, order=order)
        run.planned = planned
        return planned

    def _first_seen(self, run: _Run) -> date:
        """The day the connector first saw the work order ``Compleet`` (OutSmart's zone)."""
        seen = run.sighting.first_seen_at if run.sighting is not None else self.clock()
        return outsmart_today(seen)

    def _mark_paid_if_paid_on_site(
        self, run: _Run, order_id: int, entry: LedgerEntry, workorder: WorkOrder | None
    ) -> WorkOrder | None:
        """Paid on site (``PaymentMethod``) and the setting 'mark_paid': the new invoice is
        marked paid on the service date. Runs while the entry is ``created`` (before sending),
        also on a resumed run: repeating the PATCH changes nothing."""
        if run.settings.workorders.paid_on_site is not PaidOnSite.MARK_PAID:
            return workorder
        if workorder is None:
            workorder = run.outsmart.get_workorder(run.job.row_id)
        number = workorder_number(workorder)
        try:
            handling = payment_handling(workorder, number, run.settings)
        except problems.ExportProblem:
            return workorder  # the invoice exists already: the payment method changed since
        if handling is not PaymentHandling.MARK_PAID:
            return workorder
        if run.sighting is None:
            run.sighting = self.sightings.get(run.job.tenant_id, run.job.row_id)
        paid_on = completion_date(workorder, self._first_seen(run))
        method = " ".join(workorder.payment_method.split())
        params = {
            "workorder_no": number,
            "invoice_number": entry.order_number or str(order_id),
            "payment_method": method,
            "paid_date": (paid_on or outsmart_today(self.clock())).isoformat(),
        }
        try:
            run.billit.orders.mark_paid(order_id, paid_on or outsmart_today(self.clock()))
        except BillitValidationError:
            self._best_effort(
                "log panel entry",
                run.job.row_id,
                lambda: self._log_paid(
                    run, messages.EXPORT_MARK_PAID_FAILED, SyncLogLevel.WARNING, params
                ),
            )
            return workorder
        self._best_effort(
            "log panel entry",
            run.job.row_id,
            lambda: self._log_paid(run, messages.EXPORT_MARKED_PAID, SyncLogLevel.INFO, params),
        )
        return workorder

    def _log_paid(
        self, run: _Run, message_key: str, level: SyncLogLevel, params: dict[str, str]
    ) -> None:
        self.sync_log.record(
            run.job.tenant_id,
            category=SyncLogCategory.EXPORT,
            level=level,
            message_key=message_key,
            params=params,
            workorder_no=params["workorder_no"],
            invoice_number=params["invoice_number"],
        )

    def _customer_vat(self, run: _Run, workorder: WorkOrder, party_id: int) -> CustomerVat:
        """The customer's VAT regime as Billit has it now (the office may have changed it
        since the import); a party gone from Billit is a customer to fix, not a retry."""
        workorder_no = workorder.workorder_no or run.job.row_id
        try:
            party = run.billit.parties.get_party(party_id)
        except BillitNotFoundError:
            # Gone since the import (or a stale mapping): the same fix as a create that
            # Billit refuses for its customer (reference §7), one message for both.
            raise self._customer_gone(
                run, workorder, party_id, workorder.invoice_customer_name or ""
            ) from None
        return customer_vat(party, workorder_no)

    def _hour_types(self, run: _Run, workorder: WorkOrder) -> dict[str, HourTypeInfo]:
        """Hour types of the work order: imported from Billit (mapping) or, for those made in
        OutSmart, from OutSmart's own list (one call, only when needed)."""
        default = run.settings.workorders.default_hour_type or ""
        codes = sorted({p.hour_type.strip() or default for p in workorder.workperiods} - {""})
        if not codes or not run.settings.include_hours:
            return {}
        mapped = self.mappings.get_many_by_outsmart_keys(
            run.job.tenant_id, str(run.connection.party_id), MappedEntity.HOUR_TYPE, codes
        )
        found: dict[str, HourTypeInfo] = {}
        for code, mapping in mapped.items():
            price = _decimal(mapping.attributes.get("sale_price"))
            if price is not None:
                found[code] = HourTypeInfo(
                    name=mapping.attributes.get("name", code),
                    sale_price=price,
                    vat_rate=_decimal(mapping.attributes.get("vat_rate")),
                    billit_product_id=int(mapping.billit_id)
                    if mapping.billit_id.isdigit()
                    else None,
                )
        missing = [code for code in codes if code not in found]
        if missing:
            for hour_type in run.outsmart.list_hour_types():
                if hour_type.code in missing and hour_type.sale_price is not None:
                    found[hour_type.code] = HourTypeInfo(
                        name=hour_type.name or hour_type.code,
                        sale_price=hour_type.sale_price,
                        vat_rate=None,
                    )
        return found

    def _customer(self, run: _Run, workorder: WorkOrder) -> tuple[int | None, OrderCustomer | None]:
        """The Billit customer: the invoice debtor if present, else the work customer; through
        the id mapping, else Billit's own number, else a new one from the invoice address."""
        workorder_no = workorder.workorder_no or run.job.row_id
        debtor = workorder.invoice_debtor_number
        if debtor:
            mapping = self.mappings.get_by_outsmart_key(
                run.job.tenant_id, str(run.connection.party_id), MappedEntity.CUSTOMER, debtor
            )
            # A customer gone from Billit (import's comparison) has no party to invoice.
            if mapping is not None and mapping.billit_id.isdigit() and not mapping.is_gone:
                return int(mapping.billit_id), None
            found = run.billit.parties.find_customers(nr=debtor)
            if found:
                return found[0].party_id, None
        name = workorder.invoice_customer_name
        if not run.settings.create_missing_customers:
            raise problems.customer_not_found(workorder_no, debtor or "", name or "")
        return None, _new_customer(workorder, workorder_no, debtor)

    def _send(self, run: _Run, entry: LedgerEntry, order_id: int, transport: TransportType) -> None:
        try:
            run.billit.orders.send_orders(
                [order_id], transport, idempotency_key=f"send{entry.idempotency_key}"
            )
        except (BillitValidationError, BillitConflictError, BillitRequestError) as refused:
            if _already_sent(refused):
                # An earlier send went through or is queued (reference §7): sent, not refused.
                # The invoice stays non-final in the ledger, so the reconcile re-reads it.
                logger.info(
                    "Billit says the invoice was already sent or is queued; counted as sent",
                    extra={"row_id": run.job.row_id, "order_id": order_id},
                )
                return
            if isinstance(refused, BillitConflictError) and refused.is_idempotency_replay:
                return
            if not isinstance(refused, BillitValidationError):
                raise
            raise problems.billit_refused_from(
                run.job.workorder_no or run.job.row_id, refused
            ) from None
        except TokenRefreshOutcomeUnknownError:
            raise
        except OutcomeUnknownError:
            if not run.billit.orders.get_order(order_id).is_sent:
                raise

    def _fail(
        self,
        run: _Run,
        message_key: str,
        params: dict[str, str],
        reason: str,
        *,
        skipped: bool = False,
    ) -> None:
        """End the work order as ``failed``: a problem to fix (error) or, ``skipped``, not
        invoiced because the settings say so (warning); the retry button redoes either."""
        job = run.job
        self.ledger.record_failed(
            job.tenant_id,
            job.row_id,
            owner=run.owner,
            kind="skipped" if skipped else "user_fixable",
            reason=reason,
        )
        self.sync_log.record(
            job.tenant_id,
            category=SyncLogCategory.EXPORT,
            level=SyncLogLevel.WARNING if skipped else SyncLogLevel.ERROR,
            message_key=message_key,
            params=params,
            workorder_no=job.workorder_no or params.get("workorder"),
            retryable=True,
        )
        count_by("ExportFailures", kind="user_fixable")
        logger.warning(
            "work order not exported: needs a fix",
            extra={"tenant_id": job.tenant_id, "row_id": job.row_id, "problem": message_key},
        )


def _already_sent(error: BillitApiError) -> bool:
    """Billit's "already sent less than a minute ago, or still in the queue" (any status)."""
    return error.has_code(ALREADY_SENT_RECENTLY)


def _conflict_outcome(conflict: LedgerConflictError) -> ExportOutcome:
    actual = conflict.actual
    if actual is not None and actual.state is LedgerState.HANDLED:
        return ExportOutcome.ALREADY_DONE
    if actual is not None and actual.state is LedgerState.FAILED:
        return ExportOutcome.FAILED_BEFORE
    return ExportOutcome.IN_PROGRESS


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def _new_customer(workorder: WorkOrder, workorder_no: str, debtor: str | None) -> OrderCustomer:
    """A Billit customer from the work order's invoice address (Billit matches or creates it)."""
    invoice = workorder.has_invoice_customer
    name = workorder.invoice_customer_name
    street = workorder.customer_street_invoice if invoice else workorder.customer_street
    number = workorder.customer_street_no_invoice if invoice else workorder.customer_street_no
    zipcode = workorder.customer_zip_invoice if invoice else workorder.customer_zip
    city = workorder.customer_city_invoice if invoice else workorder.customer_city
    email = workorder.customer_email_invoice if invoice else workorder.customer_email
    missing = [
        label
        for label, value in (
            ("name", name),
            ("street", street),
            ("postal code", zipcode),
            ("city", city),
        )
        if not value
    ]
    if missing:
        raise problems.customer_incomplete(workorder_no, ", ".join(missing))
    return OrderCustomer(
        name=name,
        nr=debtor or None,
        email=email or None,
        street=street,
        street_number=number or None,
        zipcode=zipcode,
        city=city,
        party_type="Customer",
    )
