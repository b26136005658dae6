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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

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
from billit_sync.billit.orders import (
    Attachment,
    NewOrder,
    Order,
    OrderCustomer,
    TransportType,
)
from billit_sync.connection.token_provider import (
    NotConnectedError,
    TenantTokenProvider,
    TokenRefreshOutcomeUnknownError,
    require_connected,
)
from billit_sync.errors import (
    AuthExpiredError,
    IntegrationError,
    OutcomeUnknownError,
    TransientError,
    UserFixableError,
)
from billit_sync.observability import count_by, logger, metrics
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import (
    OutSmartApiError,
    OutSmartAuthError,
    OutSmartDocumentError,
)
from billit_sync.outsmart.models import WorkOrder
from billit_sync.sqs_batch import MAX_RECEIVE_COUNT
from billit_sync.store import (
    Connection,
    ExportLedger,
    IdMapping,
    LedgerConflictError,
    LedgerEntry,
    LedgerState,
    MappedEntity,
    MappingStore,
    SettingsStore,
    Sighting,
    SyncLogCategory,
    SyncLogEntry,
    SyncLogLevel,
    SyncLogStore,
    TenantStore,
    WorkOrderSightings,
)
from billit_sync.store.clock import Clock
from billit_sync.store.ledger import Document
from billit_sync.store.sightings import baseline_key as sightings_baseline_key
from billit_sync.store.sightings import baseline_of, sighting_key, sighting_of
from billit_sync.sync.exports import problems
from billit_sync.sync.exports.discovery import (
    completed_after,
    export_cutoff,
    outsmart_today,
    policy_skip_before_connection,
)
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
from billit_sync.sync.exports.notices import SkipNotices
from billit_sync.sync.exports.plausibility import Breach, breach_params, breaches
from billit_sync.sync.exports.recompletion import (
    changes_text,
    completion_row,
    credit_note,
    document_key,
    document_reference,
    dump_snapshot,
    extra_invoice,
    fingerprint,
    load_snapshot,
    snapshot_of,
)
from billit_sync.sync.exports.vat_regime import STANDARD, CustomerVat, customer_vat
from billit_sync.tenant_settings import (
    ExportSettings,
    InvoiceDelivery,
    PaidOnSite,
    RecompletionPolicy,
)

LEASE_SECONDS = 300  # below the export queue's 360 s visibility timeout
OUTAGE_REMINDER = timedelta(hours=6)
WEBHOOK_NOTE_EVERY = timedelta(hours=1)
"""How often an export triggered by OutSmart's webhook notes that on the connection."""
OUTAGE_REMINDER_ = None  # a lasting outage is said again after this
SHOWN_TRANSPORT = {InvoiceDelivery.PEPPOL: "Peppol", InvoiceDelivery.EMAIL: "e-mail"}
TRANSPORTS = {
    InvoiceDelivery.PEPPOL: TransportType.PEPPOL,
    InvoiceDelivery.EMAIL: TransportType.SMTP,
}

CredentialsFactory = Callable[[str, int], TenantTokenProvider]
MappingsByEntity = dict[MappedEntity, dict[str, IdMapping]]
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
    """The work order's sighting, read with the connection (``None``: not seen yet)."""
    baseline_taken_at: datetime | None = None
    """When the tenant's sightings baseline was taken, read with the connection."""
    planned: PlannedInvoice | None = None
    last_delivery: bool = False
    completion: int = 1
    lines: tuple[str, str] | None = None
    """The planned invoice's lines (snapshot JSON, fingerprint), kept in the ledger."""
    warnings: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """Log-panel warnings (key, params) about the invoice being made, written once it exists."""

    @property
    def ledger_row(self) -> str:
        """The export-ledger row of this completion (the row id for the first)."""
        return completion_row(self.job.row_id, self.completion)


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
    skip_notices: SkipNotices | None = None
    """Says each work order skipped by a setting once in the log panel (issue 12)."""

    def export(
        self,
        job: ExportJob,
        *,
        owner: str,
        redelivered: bool = False,
        last_delivery: bool = False,
    ) -> ExportOutcome:
        """Export one work order. ``last_delivery``: SQS parks the message in the dead-letter
        queue if this attempt fails too, so an outage is then said in the log panel."""
        tenant_id = job.tenant_id
        # One read for the connection, the settings, the work order's sighting and the
        # tenant's sightings baseline (issue 16: DynamoDB operations per work order).
        seen_key, baseline_key = (
            sighting_key(tenant_id, job.row_id),
            sightings_baseline_key(tenant_id),
        )
        tenant_items, found = self.tenants.read_with(tenant_id, [seen_key, baseline_key])
        connection, tenant_settings = tenant_items.connection(), tenant_items.settings()
        try:
            require_connected(connection)
        except NotConnectedError:
            # Nothing is lost: the work order stays Compleet and is rediscovered later.
            return ExportOutcome.NOT_CONNECTED
        settings = tenant_settings.exports
        if not settings.enabled:
            return ExportOutcome.DISABLED
        completion = job.completion or 1
        try:
            entry = self.ledger.claim(
                tenant_id,
                completion_row(job.row_id, completion),
                job.workorder_no or job.row_id,
                owner,
                LEASE_SECONDS,
            )
        except LedgerConflictError as conflict:
            return _conflict_outcome(conflict)
        if completion > 1:  # discovery looks at this completion's entry from now on
            self.ledger.advance_completion(tenant_id, job.row_id, completion)
        credentials = self.credentials(tenant_id, int(str(connection.party_id)))
        run = _Run(
            job=job,
            connection=connection,
            settings=settings,
            billit=self.billit(credentials),
            outsmart=self.outsmart(tenant_id),
            owner=owner,
            last_delivery=last_delivery,
            completion=completion,
            sighting=sighting_of(found.get((seen_key["pk"], seen_key["sk"]))),
            baseline_taken_at=baseline_of(found.get((baseline_key["pk"], baseline_key["sk"]))),
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
        except UserFixableError as error:
            # Every other problem the office has to fix (OutSmart 1500: deleted after it was
            # queued; 1504 or an unreadable value; …): a log-panel entry, never a DLQ trip.
            fixable = problems.from_user_fixable(run.job.workorder_no or run.job.row_id, error)
            self._fail(run, fixable.message_key, fixable.params, str(fixable))
        except AuthExpiredError:
            self._release(run)
            count_by("ExportFailures", kind="auth")
            return ExportOutcome.NOT_CONNECTED
        except Exception as error:
            # Transient (or unexpected): give the work order back; SQS redelivers the message.
            # The last delivery's outage is said first, so nothing after it can keep the
            # office from learning why the work order has no invoice yet.
            if run.last_delivery:
                self._report_outage(run, error)
            self._release(run)
            count_by("ExportFailures", kind="transient")
            raise
        return ExportOutcome.FAILED

    def _report_outage(self, run: _Run, error: Exception) -> None:
        """The last delivery failed too: SQS parks the message in the dead-letter queue. The
        work order stays in flight without a lease, so discovery queues it again (while it
        is *Compleet*); the tenant reads that once per ``OUTAGE_REMINDER`` (never hidden in
        the DLQ). Best effort: the original error is what the record fails with."""
        job = run.job
        service = "OutSmart" if isinstance(error, OutSmartApiError) else "Billit"
        said = SyncLogEntry(
            tenant_id=job.tenant_id,
            at=self.clock(),
            category=SyncLogCategory.EXPORT,
            level=SyncLogLevel.WARNING,  # retried by itself: nothing to fix yet
            message_key=messages.EXPORT_OUTAGE,
            params={
                "service": service,
                "workorder_no": job.workorder_no or job.row_id,
                "attempts": str(MAX_RECEIVE_COUNT),
            },
            workorder_no=job.workorder_no or job.row_id,
            retryable=False,
        )
        try:
            if self.ledger.record_outage(
                job.tenant_id,
                run.ledger_row,
                remind_after=OUTAGE_REMINDER,
                log_item=(self.sync_log.table_name, self.sync_log.prepare(said)[1]),
            ):
                count_by("ExportOutagesReported", kind="transient")
        except Exception as unreported:  # the record's own error wins
            logger.error(
                "outage could not be written to the log panel",
                extra={"row_id": job.row_id, "error": type(unreported).__name__},
            )

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
            self.ledger.release(run.job.tenant_id, run.ledger_row, run.owner)
        except LedgerConflictError:
            logger.info("lease already released", extra={"row_id": run.job.row_id})

    # ------------------------------------------------------------------- steps
    def _advance(
        self, run: _Run, entry: LedgerEntry, *, maybe_created_before: bool
    ) -> ExportOutcome:
        if run.completion > 1:
            return self._recompleted(run, entry, maybe_created_before=maybe_created_before)
        job = run.job
        outage_since = entry.outage_at
        workorder: WorkOrder | None = None
        held: list[Breach] | None = None  # None: not checked in this run
        if entry.state is LedgerState.PENDING:
            workorder = run.outsmart.get_workorder(job.row_id)
            if not self._exportable(run, workorder):
                self.ledger.release(job.tenant_id, run.ledger_row, run.owner)
                return ExportOutcome.NOT_EXPORTABLE
            order_id, number = None, None
            if maybe_created_before:
                found = self._look_up_order(run)
                if found is not None:
                    order_id, number = found.order_id, found.order_number
            if order_id is None:
                planned = self._plan(run, workorder)
                held = breaches(planned, run.settings.limits)
                order_id = self._create(run, entry, workorder, planned)
            if number is None:
                number = self._invoice_number(run, order_id)
            entry = self.ledger.record_created(
                job.tenant_id,
                run.ledger_row,
                owner=run.owner,
                order_id=str(order_id),
                order_number=number,
                lines=run.lines,
            )
            metrics.add_metric(name="InvoicesCreated", unit=MetricUnit.Count, value=1)
            self._write_warnings(run, job.workorder_no or workorder.workorder_no, str(order_id))
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
                entry = self.ledger.record_sent(job.tenant_id, run.ledger_row, owner=run.owner)
        run.outsmart.mark_workorder_handled(job.row_id)
        workorder_no = job.workorder_no or (workorder.workorder_no if workorder else None)
        status_refused = self._set_status_after_export(run)
        said = self._exported_entries(
            run,
            entry,
            order_id,
            workorder_no,
            sent_by=SHOWN_TRANSPORT.get(run.settings.delivery) if transport else None,
            held=held or [],
            outage_since=outage_since,
            status_refused=status_refused,
        )
        # Handled and what the log panel says about it in one transaction (issue 16): an
        # export never ends without its entry, and a redelivery after a failure writes it once.
        self.ledger.record_handled_with_log(
            job.tenant_id,
            run.ledger_row,
            owner=run.owner,
            log_items=[(self.sync_log.table_name, self.sync_log.prepare(e)[1]) for e in said],
            also=self._webhook_note(run),
        )
        logger.info(
            "work order exported",
            extra={"tenant_id": job.tenant_id, "row_id": job.row_id, "order_id": order_id},
        )
        return ExportOutcome.EXPORTED

    def _webhook_note(self, run: _Run) -> list[dict[str, Any]]:
        """An export OutSmart's webhook triggered is noted on the connection (in the same
        transaction, at most once per ``WEBHOOK_NOTE_EVERY``): while the webhook works, the
        scheduler polls OutSmart only as a safety net (issue 16)."""
        if run.job.trigger != "webhook":
            return []
        now = self.clock()
        noted = run.connection.outsmart_webhook_at
        if noted is not None and now - noted < WEBHOOK_NOTE_EVERY:
            return []
        return [self.tenants.outsmart_webhook_seen(run.job.tenant_id, now)]

    def _exported_entries(
        self,
        run: _Run,
        entry: LedgerEntry,
        order_id: int,
        workorder_no: str | None,
        *,
        sent_by: str | None,
        held: list[Breach],
        outage_since: datetime | None,
        status_refused: OutSmartApiError | None,
    ) -> list[SyncLogEntry]:
        """The log panel once the work order is done for good: the export (or the draft kept
        back by a plausibility limit), the builder's notes, a recovery after an outage, a
        refused work status. Written in one transaction with the ledger's ``handled``."""
        job = run.job
        invoice = entry.order_number or str(order_id)
        now = self.clock()

        def said(key: str, params: dict[str, str], level: SyncLogLevel) -> SyncLogEntry:
            return SyncLogEntry(
                tenant_id=job.tenant_id,
                at=now,
                category=SyncLogCategory.EXPORT,
                level=level,
                message_key=key,
                params=params,
                workorder_no=workorder_no,
                invoice_number=invoice,
            )

        if held:
            message_key, params = problems.invoice_held_message(
                workorder_no or job.row_id, entry.order_number or "", order_id, breach_params(held)
            )
            count_by("InvoicesHeld", kind=held[0].kind.value)
            logger.warning(
                "invoice kept as a draft: over a plausibility limit",
                extra={"row_id": job.row_id, "limits": [breach.kind.value for breach in held]},
            )
            entries = [said(message_key, params, SyncLogLevel.WARNING)]
        else:
            message_key, params = problems.exported_message(
                workorder_no or job.row_id,
                entry.order_number or "",
                order_id,
                sent_by=sent_by,
            )
            entries = [said(message_key, params, SyncLogLevel.INFO)]
        for notice_key, notice_params in run.planned.notices if run.planned else ():
            entries.append(said(notice_key, notice_params, SyncLogLevel.WARNING))
        if outage_since is not None:
            since = f"{outage_since:%d-%m-%Y %H:%M} UTC"
            entries.append(
                said(
                    messages.EXPORT_RECOVERED,
                    {"workorder_no": workorder_no or job.row_id, "since": since},
                    SyncLogLevel.INFO,
                )
            )
            logger.info("exported after an outage that reached the dead-letter queue")
        if status_refused is not None:
            status_key, status_params = problems.workstatus_not_set(
                workorder_no or job.row_id,
                invoice,
                run.settings.workstatus_after_export or "",
                status_refused,
            )
            entries.append(said(status_key, status_params, SyncLogLevel.WARNING))
        return entries

    @staticmethod
    def _set_status_after_export(run: _Run) -> OutSmartApiError | None:
        """The tenant's "work status after export", best effort (outsmart-api.md §4.1
        UpdateWorkorder, "Safe"): the invoice exists and the work order is Handled, so a refusal
        (an unknown ``sta_code``, 1504, or the "required" parameters it did not get) never
        fails the export or leaves the ledger at ``sent``; it is returned and shown to the user
        as a warning. Outages still raise, so SQS retries the (idempotent) last steps."""
        workstatus = run.settings.workstatus_after_export
        if not workstatus:
            return None
        try:
            run.outsmart.set_workorder_status(run.job.row_id, workstatus)
        except OutSmartAuthError:
            raise  # the token: the export's own problem, not the status's
        except OutSmartApiError as refused:
            if not isinstance(refused, UserFixableError):
                raise
            logger.warning(
                "work status after export refused by OutSmart",
                extra={"row_id": run.job.row_id, "code": refused.code},
            )
            return refused
        return None

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
        if run.sighting is None:
            # Queued before discovery saw it (OutSmart's webhook). Before the first discovery
            # took the baseline it counts as already Compleet at the connection (the work
            # dates decide), after it as completed since.
            run.sighting = self.sightings.record(
                run.job.tenant_id, run.job.row_id, at_connection=run.baseline_taken_at is None
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
            notices = self.skip_notices
            if notices is not None:
                skip = policy_skip_before_connection(workorder, run.job, cutoff, after=False)
                self._best_effort(
                    "skip notice",
                    run.job.row_id,
                    lambda: notices.say_once(run.job.tenant_id, [skip]),
                )
            return False
        return True

    def _look_up_order(self, run: _Run) -> Order | None:
        """The invoice of this work order, if Billit already has it."""
        found = run.billit.orders.find_orders_by_external_reference(
            external_reference(run.job.tenant_id, run.job.row_id)
        )
        return found[0] if found else None

    def _look_up(self, run: _Run) -> int | None:
        found = self._look_up_order(run)
        return found.order_id if found is not None else None

    @staticmethod
    def _invoice_number(run: _Run, order_id: int) -> str | None:
        """Billit's invoice number (it numbers invoices itself), read back once after the
        create so that every log-panel entry names the invoice by the number the office and
        the customer see, not by Billit's internal order id. Best effort: without it the
        entries show the order id until a webhook brings the number."""
        try:
            return run.billit.orders.get_order(order_id).order_number or None
        except IntegrationError as unread:
            logger.info("invoice number not read back", extra={"error": type(unread).__name__})
            return None

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
        tenant_id = run.job.tenant_id
        mapped = self._mappings(run, workorder)
        customer_party, new_customer = self._customer(run, workorder, mapped)
        regime = (
            self._customer_vat(run, workorder, customer_party)
            if customer_party is not None
            else STANDARD
        )
        mapped_products = mapped[MappedEntity.PRODUCT]
        products = {
            code: ProductInfo(
                billit_product_id=int(m.billit_id) if m.billit_id.isdigit() else None,
                vat_rate=_decimal(m.attributes.get("vat_rate")),
                unit=m.attributes.get("unit"),
            )
            for code, m in mapped_products.items()
        }
        hour_types = self._hour_types(run, workorder, mapped)
        attachment = self._attachment(run, workorder)
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
        snapshot = snapshot_of(planned.order)
        run.lines = (dump_snapshot(snapshot), fingerprint(snapshot))
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

    def _write_warnings(self, run: _Run, workorder_no: str | None, invoice: str) -> None:
        """The run's warnings, once the invoice exists (a retried create does not repeat
        them); best effort, like every entry about an invoice that already exists."""
        for key, params in run.warnings:

            def record(key: str = key, params: dict[str, str] = params) -> object:
                return self.sync_log.record(
                    run.job.tenant_id,
                    category=SyncLogCategory.EXPORT,
                    level=SyncLogLevel.WARNING,
                    message_key=key,
                    params=params,
                    workorder_no=workorder_no or None,
                    invoice_number=invoice,
                )

            self._best_effort("invoice warning", run.job.row_id, record)
        run.warnings.clear()

    @staticmethod
    def _attachment(run: _Run, workorder: WorkOrder) -> Attachment | None:
        """The work order's PDF, fetched once per invoice. A PDF that cannot be fetched does not
        block the invoice (outsmart-api.md §4.1 Documents: "send it without attachment,
        warn"): the invoice is made without it and the log panel says so, because the
        invoice itself is what the office is waiting for."""
        if not (run.settings.attach_workorder_pdf and workorder.pdf_url):
            return None
        try:
            content = run.outsmart.download_workorder_pdf(workorder.pdf_url)
        except OutSmartDocumentError as failed:
            logger.warning("work order PDF not attached", extra={"reason": failed.reason})
            run.warnings.append(
                problems.pdf_not_attached(workorder.workorder_no or workorder.id, failed.reason)
            )
            return None
        return Attachment(
            file_name=f"werkbon-{workorder.workorder_no or workorder.id}.pdf",
            mime_type="application/pdf",
            file_content=base64.b64encode(content).decode("ascii"),
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

    def _mappings(self, run: _Run, workorder: WorkOrder) -> MappingsByEntity:
        """Every id mapping the invoice needs (debtor, materials, hour types), in one
        BatchGetItem (issue 16: one DynamoDB operation instead of three per work order)."""
        wanted: dict[MappedEntity, list[str]] = {
            MappedEntity.CUSTOMER: [workorder.invoice_debtor_number]
            if workorder.invoice_debtor_number
            else [],
            MappedEntity.PRODUCT: [m.code for m in workorder.materials if m.code],
            MappedEntity.HOUR_TYPE: _hour_type_codes(
                workorder, run.settings.workorders.default_hour_type
            )
            if run.settings.include_hours
            else [],
        }
        return self.mappings.get_many_by_outsmart_keys_per_entity(
            run.job.tenant_id, str(run.connection.party_id), wanted
        )

    def _hour_types(
        self, run: _Run, workorder: WorkOrder, mapped: MappingsByEntity
    ) -> dict[str, HourTypeInfo]:
        """Hour types of the work order: imported from Billit (mapping) or, for those made in
        OutSmart, from OutSmart's own list (one call, only when needed)."""
        codes = _hour_type_codes(workorder, run.settings.workorders.default_hour_type)
        if not codes or not run.settings.include_hours:
            return {}
        found: dict[str, HourTypeInfo] = {}
        for code, mapping in mapped[MappedEntity.HOUR_TYPE].items():
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

    def _customer(
        self, run: _Run, workorder: WorkOrder, mapped: MappingsByEntity
    ) -> tuple[int | None, OrderCustomer | None]:
        """The Billit customer: the invoice debtor if present, else the work customer; through
        the id mapping, else Billit's own number, else a new one from the invoice address."""
        workorder_no = workorder.workorder_no or run.job.row_id
        debtor = workorder.invoice_debtor_number
        if debtor:
            mapping = mapped[MappedEntity.CUSTOMER].get(debtor)
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
        said = SyncLogEntry(
            tenant_id=job.tenant_id,
            at=self.clock(),
            category=SyncLogCategory.EXPORT,
            level=SyncLogLevel.WARNING if skipped else SyncLogLevel.ERROR,
            message_key=message_key,
            params=params,
            workorder_no=job.workorder_no or params.get("workorder_no"),
            retryable=True,
        )
        # One transaction: a failed entry is never claimed or discovered again, so it must
        # not exist without the entry that says why.
        self.ledger.record_failed_with_log(
            job.tenant_id,
            run.ledger_row,
            owner=run.owner,
            kind="skipped" if skipped else "user_fixable",
            reason=reason,
            log_item=(self.sync_log.table_name, self.sync_log.prepare(said)[1]),
        )
        count_by("ExportFailures", kind="user_fixable")
        logger.warning(
            "work order not exported: needs a fix",
            extra={"tenant_id": job.tenant_id, "row_id": job.row_id, "problem": message_key},
        )

    # ------------------------------------------------ re-completed work orders (issue 12)
    def _recompleted(
        self, run: _Run, entry: LedgerEntry, *, maybe_created_before: bool
    ) -> ExportOutcome:
        """Completion ``n`` (≥ 2) of a work order whose earlier completion was exported: what
        changed since, and what the tenant's ``recompleted`` setting makes of it. Each step is
        recorded in this completion's own ledger entry, so a crash resumes where it stopped
        and never makes a second extra invoice or credit note."""
        job = run.job
        earlier = self._earlier_completions(run)
        previous_lines = load_snapshot(earlier[-1].lines)
        invoiced = next((e for e in reversed(earlier) if e.order_id), None)
        policy = run.settings.recompleted
        held: list[Breach] | None = None  # None: not checked in this run
        if entry.state is LedgerState.PENDING:
            workorder = run.outsmart.get_workorder(job.row_id)
            # A completion that makes no document may find its work order Handled already:
            # an earlier delivery of this message marked it, then could not write the
            # ledger and the log panel (one transaction, so neither): finish and say it.
            if not workorder.is_complete and not workorder.is_handled:
                self.ledger.release(job.tenant_id, run.ledger_row, run.owner)
                return ExportOutcome.NOT_EXPORTABLE
            planned = self._plan(run, workorder)
            order = self._recompletion_invoice(run, planned, invoiced, previous_lines)
            if order is None:  # notify only, nothing added, or the earlier lines unknown
                current = snapshot_of(planned.order)
                return self._recompleted_without_invoice(run, invoiced, previous_lines, current)
            if not workorder.is_complete:  # Handled meanwhile: no invoice for it any more
                self.ledger.release(job.tenant_id, run.ledger_row, run.owner)
                return ExportOutcome.NOT_EXPORTABLE
            held = breaches(planned, run.settings.limits)  # the same limits as a first invoice
            if policy is RecompletionPolicy.CREDIT_AND_REINVOICE and entry.credit_note_id is None:
                entry = self._credit_earlier_invoice(run, entry, invoiced, maybe_created_before)
            order_id, number = self._create_document(
                run, entry, order, Document.INVOICE, maybe_created_before
            )
            entry = self.ledger.record_created(
                job.tenant_id,
                run.ledger_row,
                owner=run.owner,
                order_id=str(order_id),
                order_number=number,
                lines=run.lines,
            )
            metrics.add_metric(name="InvoicesCreated", unit=MetricUnit.Count, value=1)
        order_id = int(str(entry.order_id))
        transport = TRANSPORTS.get(run.settings.delivery)
        if entry.state is LedgerState.CREATED and transport is not None:
            if held is None:  # resumed after the create: check the limits on a fresh plan
                workorder = run.outsmart.get_workorder(job.row_id)
                held = breaches(self._plan(run, workorder), run.settings.limits)
            if not held:
                documents = [int(entry.credit_note_id)] if entry.credit_note_id else []
                self._send_documents(run, entry, [*documents, order_id], transport)
                entry = self.ledger.record_sent(job.tenant_id, run.ledger_row, owner=run.owner)
        run.outsmart.mark_workorder_handled(job.row_id)
        status_refused = self._set_status_after_export(run)
        earlier_number = _invoice_name(invoiced) if invoiced else "-"
        invoice = entry.order_number or str(order_id)
        params = {
            "workorder_no": entry.workorder_no or job.row_id,
            "previous_invoice": earlier_number,
            "changes": changes_text(previous_lines, load_snapshot(entry.lines) or {}),
            "invoice_number": invoice,
        }
        key = messages.EXPORT_RECOMPLETED_EXTRA_INVOICE
        if entry.credit_note_id:
            key = messages.EXPORT_RECOMPLETED_CREDITED
            params["credit_note"] = entry.credit_note_number or entry.credit_note_id
        said = [self._recompleted_entry(run, key, params, invoice)]
        said += self._held_entries(run, entry, order_id, held or [])
        if status_refused is not None:
            said.append(self._status_refused_entry(run, invoice, status_refused))
        self._handled_with(run, said)
        return ExportOutcome.EXPORTED

    def _held_entries(
        self, run: _Run, entry: LedgerEntry, order_id: int, held: list[Breach]
    ) -> list[SyncLogEntry]:
        """A re-completion's invoice over a plausibility limit stays a draft (with its credit
        note, sent together), said as for a first invoice (issue 11's hold-back)."""
        if not held:
            return []
        workorder_no = run.job.workorder_no or run.job.row_id
        key, params = problems.invoice_held_message(
            workorder_no, entry.order_number or "", order_id, breach_params(held)
        )
        count_by("InvoicesHeld", kind=held[0].kind.value)
        return [
            self._export_entry(
                run, key, params, SyncLogLevel.WARNING, entry.order_number or str(order_id)
            )
        ]

    def _handled_with(
        self, run: _Run, said: list[SyncLogEntry], without_invoice: tuple[str, str] | None = None
    ) -> None:
        """Handled and what the log panel says about it, in one transaction: a completion
        never ends without its entries, and a redelivery after a failure writes them once."""
        self.ledger.record_handled_with_log(
            run.job.tenant_id,
            run.ledger_row,
            owner=run.owner,
            log_items=[(self.sync_log.table_name, self.sync_log.prepare(e)[1]) for e in said],
            without_invoice=without_invoice,
        )

    def _earlier_completions(self, run: _Run) -> list[LedgerEntry]:
        """The entries of completions 1 … n-1 (one read of the few that exist)."""
        rows = [completion_row(run.job.row_id, n) for n in range(1, run.completion)]
        found = self.ledger.get_many(run.job.tenant_id, rows)
        earlier = [found[row] for row in rows if row in found]
        if not earlier:
            raise LedgerConflictError("recompletion", run.ledger_row, "earlier completions", None)
        return earlier

    def _reference(self, run: _Run, document: Document) -> str:
        return document_reference(run.job.tenant_id, run.job.row_id, run.completion, document)

    def _recompletion_invoice(
        self,
        run: _Run,
        planned: PlannedInvoice,
        invoiced: LedgerEntry | None,
        previous_lines: dict[str, str] | None,
    ) -> NewOrder | None:
        """The invoice the ``recompleted`` setting makes of this completion: for what was
        added, or complete (with a credit note for the earlier one); None: no invoice."""
        if invoiced is None or previous_lines is None:
            return None
        reference = self._reference(run, Document.INVOICE)
        policy = run.settings.recompleted
        if policy is RecompletionPolicy.EXTRA_INVOICE:
            return extra_invoice(planned.order, previous_lines, reference)
        if policy is RecompletionPolicy.CREDIT_AND_REINVOICE:
            return planned.order.model_copy(update={"external_provider_id": reference})
        return None

    def _recompleted_without_invoice(
        self,
        run: _Run,
        invoiced: LedgerEntry | None,
        previous_lines: dict[str, str] | None,
        current: dict[str, str],
    ) -> ExportOutcome:
        """Notify only (the default), or nothing was added: said, then Handled again."""
        job = run.job
        run.outsmart.mark_workorder_handled(job.row_id)
        status_refused = self._set_status_after_export(run)
        policy = run.settings.recompleted
        key = messages.EXPORT_RECOMPLETED_NOTIFY
        if policy is not RecompletionPolicy.NOTIFY and previous_lines is not None and invoiced:
            key = messages.EXPORT_RECOMPLETED_NOTHING_ADDED
        earlier_number = _invoice_name(invoiced) if invoiced else "-"
        params = {
            "workorder_no": job.workorder_no or job.row_id,
            "previous_invoice": earlier_number,
            "changes": changes_text(previous_lines, current),
        }
        said = [self._recompleted_entry(run, key, params, earlier_number if invoiced else None)]
        if status_refused is not None:
            said.append(self._status_refused_entry(run, earlier_number, status_refused))
        self._handled_with(
            run, said, without_invoice=(dump_snapshot(current), fingerprint(current))
        )
        return ExportOutcome.EXPORTED

    def _credit_earlier_invoice(
        self,
        run: _Run,
        entry: LedgerEntry,
        invoiced: LedgerEntry | None,
        maybe_created_before: bool,
    ) -> LedgerEntry:
        """The credit note for the earlier invoice, recorded before the new invoice is made."""
        if invoiced is None or invoiced.order_id is None:
            raise LedgerConflictError("credit note", run.ledger_row, "an earlier invoice", None)
        earlier = run.billit.orders.get_order(int(invoiced.order_id))
        number = earlier.order_number or invoiced.order_number
        workorder_no = run.job.workorder_no or run.job.row_id
        if not number:
            raise problems.earlier_invoice_unnumbered(workorder_no, invoiced.order_id)
        today = self.clock().date()
        note = credit_note(earlier, number, self._reference(run, Document.CREDIT_NOTE), today)
        credit_id, credit_number = self._create_document(
            run, entry, note, Document.CREDIT_NOTE, maybe_created_before
        )
        return self.ledger.record_credit_note(
            run.job.tenant_id,
            run.ledger_row,
            owner=run.owner,
            order_id=str(credit_id),
            order_number=credit_number,
        )

    def _create_document(
        self,
        run: _Run,
        entry: LedgerEntry,
        order: NewOrder,
        document: Document,
        maybe_created_before: bool,
    ) -> tuple[int, str | None]:
        """Create one document of a completion exactly once: looked up by its own
        ``ExternalProviderID`` when it may exist already, its own idempotency key, a replay
        or an unknown outcome resolved by that look-up (as for the first invoice)."""
        reference = str(order.external_provider_id)

        def look_up() -> Order | None:
            found = run.billit.orders.find_orders_by_external_reference(reference)
            return found[0] if found else None

        if maybe_created_before and (found := look_up()) is not None:
            return found.order_id, found.order_number
        try:
            order_id = run.billit.orders.create_order(
                order, document_key(entry.idempotency_key, document)
            )
        except BillitConflictError as conflict:
            if not conflict.is_idempotency_replay:
                raise
            if (found := look_up()) is None:
                raise CreateNotVisibleYetError(
                    "Billit replayed the create; look-up pending"
                ) from None
            return found.order_id, found.order_number
        except TokenRefreshOutcomeUnknownError:
            raise
        except OutcomeUnknownError:
            if (found := look_up()) is None:
                raise
            return found.order_id, found.order_number
        except BillitValidationError as refused:
            raise problems.billit_refused_from(
                run.job.workorder_no or run.job.row_id, refused
            ) from None
        return order_id, self._invoice_number(run, order_id)

    def _send_documents(
        self, run: _Run, entry: LedgerEntry, order_ids: list[int], transport: TransportType
    ) -> None:
        """The completion's documents (credit note and invoice) in one send, its own key."""
        try:
            run.billit.orders.send_orders(
                order_ids, transport, idempotency_key=f"send{entry.idempotency_key}"
            )
        except BillitConflictError as conflict:
            if not conflict.is_idempotency_replay:
                raise
        except TokenRefreshOutcomeUnknownError:
            raise
        except OutcomeUnknownError:
            if not all(run.billit.orders.get_order(i).is_sent for i in order_ids):
                raise
        except BillitValidationError as refused:
            raise problems.billit_refused_from(
                run.job.workorder_no or run.job.row_id, refused
            ) from None

    def _export_entry(
        self,
        run: _Run,
        key: str,
        params: dict[str, str],
        level: SyncLogLevel,
        invoice: str | None,
    ) -> SyncLogEntry:
        return SyncLogEntry(
            tenant_id=run.job.tenant_id,
            at=self.clock(),
            category=SyncLogCategory.EXPORT,
            level=level,
            message_key=key,
            params=params,
            workorder_no=params.get("workorder_no") or run.job.workorder_no or run.job.row_id,
            invoice_number=invoice,
        )

    def _recompleted_entry(
        self, run: _Run, key: str, params: dict[str, str], invoice: str | None
    ) -> SyncLogEntry:
        level = (
            SyncLogLevel.WARNING if key == messages.EXPORT_RECOMPLETED_NOTIFY else SyncLogLevel.INFO
        )
        return self._export_entry(run, key, params, level, invoice)

    def _status_refused_entry(
        self, run: _Run, invoice: str, refused: OutSmartApiError
    ) -> SyncLogEntry:
        workorder_no = run.job.workorder_no or run.job.row_id
        key, params = problems.workstatus_not_set(
            workorder_no, invoice, run.settings.workstatus_after_export or "", refused
        )
        return self._export_entry(run, key, params, SyncLogLevel.WARNING, invoice)


def _invoice_name(entry: LedgerEntry) -> str:
    return entry.order_number or entry.order_id or "-"


def _already_sent(error: BillitApiError) -> bool:
    """Billit's "already sent less than a minute ago, or still in the queue" (any status)."""
    return error.has_code(ALREADY_SENT_RECENTLY)


def _hour_type_codes(workorder: WorkOrder, default_hour_type: str | None) -> list[str]:
    """The work periods' hour types, the tenant's default for a period without one."""
    default = default_hour_type or ""
    return sorted({p.hour_type.strip() or default for p in workorder.workperiods} - {""})


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
