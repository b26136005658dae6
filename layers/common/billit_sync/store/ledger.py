"""The export ledger: one item per (tenant, OutSmart work order row), so that every completed
work order becomes exactly one Billit invoice whatever crashes or duplicate triggers happen.

States: ``pending`` → ``created`` (Billit order id known) → ``sent`` → ``handled``, or
``failed`` from any of the first three. A worker *claims* an entry (a lease with an owner and
a deadline) before working on it; every later step is a conditional write that requires the
worker to still own the lease and the entry to be in the state the step follows. A step that
loses a race raises ``LedgerConflictError`` with the entry as it really is, never overwrites.

The Billit idempotency key is derived from (tenant, row, attempt): a redelivered message
reuses it, so Billit answers with the same invoice; only ``reset_for_retry`` of an entry that
failed before an invoice existed starts a new attempt with a new key.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from billit_sync.errors import IntegrationError
from billit_sync.store import keys
from billit_sync.store.aws_errors import (
    AwsTransientError,
    is_conditional_check_failed,
    old_item_of,
    translate_aws_errors,
)
from billit_sync.store.clock import Clock, from_epoch, from_iso, to_epoch, to_iso
from billit_sync.store.dynamo import Item, Sleep, batch_get, decode_wire_item, query_all
from billit_sync.tenancy import validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_COMPLETION_SUFFIX = re.compile(r"-c[1-9][0-9]*$")
"""A work order's 2nd, 3rd… completion has its own entry, ``<row id>-c<n>`` (issue 12)."""
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-5c3d-9e7f-0a1b2c3d4e5f")


class LedgerState(StrEnum):
    PENDING = "pending"
    CREATED = "created"
    SENT = "sent"
    HANDLED = "handled"
    FAILED = "failed"


IN_FLIGHT_STATES = (LedgerState.PENDING, LedgerState.CREATED, LedgerState.SENT)


class Document(StrEnum):
    """The Billit documents one completion can make (issue 12): its invoice and, when a
    re-completion credits the earlier invoice, a credit note. Each has its own Billit order,
    reference and idempotency key, and Billit reports each one's fate on its own."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit"


_STATUS_ATTRIBUTES: dict[Document, tuple[str, str, str, str]] = {
    # document: (order id, status, status detail, status time) attributes of the entry
    Document.INVOICE: ("order_id", "invoice_status", "invoice_status_detail", "invoice_status_at"),
    Document.CREDIT_NOTE: (
        "credit_note_id",
        "credit_note_status",
        "credit_note_status_detail",
        "credit_note_status_at",
    ),
}


def idempotency_key_for(tenant_id: str, row_id: str, attempt: int) -> str:
    """Deterministic per (tenant, work order row, attempt): same inputs, same Billit key.

    Hex without dashes, because Billit documents its idempotency keys as alphanumeric.
    """
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{tenant_id}\n{row_id}\n{attempt}").hex


class LedgerEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: str
    row_id: str
    workorder_no: str | None = None
    state: LedgerState
    attempt: int
    idempotency_key: str
    order_id: str | None = None
    order_number: str | None = None
    invoice_status: str | None = None
    invoice_status_detail: str | None = None
    invoice_status_at: datetime | None = None
    failure_kind: str | None = None
    failure_reason: str | None = None
    failed_from: LedgerState | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    sent_at: datetime | None = None
    completion: int = 1
    """On a work order's first entry: its latest completion (issue 12, re-completions)."""
    lines: str | None = None
    """The invoice lines this completion gave (``recompletion.snapshot_of``, JSON)."""
    lines_fingerprint: str | None = None
    credit_note_id: str | None = None
    credit_note_number: str | None = None
    credit_note_status: str | None = None
    """What Billit reported about the credit note (sent, delivered, refused…), as for the
    invoice: a credit note sent by Peppol can be refused too."""
    credit_note_status_detail: str | None = None
    credit_note_status_at: datetime | None = None
    outage_at: datetime | None = None
    """When the tenant was told an outage used up the retries (issue 12); cleared when handled."""
    created_at: datetime
    updated_at: datetime

    @property
    def outsmart_row_id(self) -> str:
        """The OutSmart work order's row id: a re-completion's entry is ``1919-c2``."""
        return _COMPLETION_SUFFIX.sub("", self.row_id)

    @property
    def completion_number(self) -> int:
        """Which completion of the work order this entry is (1 for its own row)."""
        suffix = _COMPLETION_SUFFIX.search(self.row_id)
        return int(suffix.group()[2:]) if suffix else 1

    def document_of(self, order_id: str) -> Document | None:
        """Which of this entry's Billit documents the order is (None: neither)."""
        if order_id == self.order_id:
            return Document.INVOICE
        if order_id == self.credit_note_id:
            return Document.CREDIT_NOTE
        return None

    def order_id_of(self, document: Document) -> str | None:
        return self.order_id if document is Document.INVOICE else self.credit_note_id

    def number_of(self, document: Document) -> str | None:
        """Billit's number of the document (None until Billit numbered it)."""
        return self.order_number if document is Document.INVOICE else self.credit_note_number

    def status_of(self, document: Document) -> str | None:
        """The document's last status from Billit (None: nothing reported yet)."""
        return self.invoice_status if document is Document.INVOICE else self.credit_note_status

    def status_at_of(self, document: Document) -> datetime | None:
        """When the document's last status from Billit was recorded."""
        if document is Document.INVOICE:
            return self.invoice_status_at
        return self.credit_note_status_at

    def last_news_of(self, document: Document) -> datetime:
        """The latest moment something happened to the document that the ledger knows of:
        made, sent by the service, or a status from Billit. Billit's delivery details keep
        changing for about two weeks after that (the reconcile's window)."""
        moments = [self.created_at, self.sent_at, self.status_at_of(document)]
        return max(moment for moment in moments if moment is not None)

    def open_documents(self, final_statuses: frozenset[str]) -> list[Document]:
        """The documents Billit may still report on: made, and not in a final status."""
        return [
            document
            for document in Document
            if self.order_id_of(document) is not None
            and self.status_of(document) not in final_statuses
        ]

    def lease_is_live(self, now: datetime) -> bool:
        return self.lease_expires_at is not None and self.lease_expires_at > now


class LedgerConflictError(IntegrationError):
    """A ledger step lost a race or does not follow from the entry's state.

    ``actual`` is the entry as stored when the step was refused (None: there is none).
    """

    def __init__(self, operation: str, row_id: str, expected: str, actual: LedgerEntry | None):
        found = "no entry" if actual is None else f"state {actual.state.value}"
        if actual is not None and actual.lease_owner:
            found += " (leased)"
        super().__init__(f"ledger {operation} for row {row_id}: expected {expected}, found {found}")
        self.operation = operation
        self.row_id = row_id
        self.expected = expected
        self.actual = actual


class ExportLedger:
    def __init__(self, table: Table, clock: Clock, sleep: Sleep = time.sleep) -> None:
        self._table = table
        self._clock = clock
        self._sleep = sleep

    # ------------------------------------------------------------------- claims
    def claim(
        self, tenant_id: str, row_id: str, workorder_no: str, owner: str, lease_seconds: int
    ) -> LedgerEntry:
        """Take the work order for ``lease_seconds``: creates a pending entry, or takes an
        in-flight one whose lease expired (or is already the caller's).

        Refuses (``LedgerConflictError``) a handled entry, a failed one that was not reset,
        and one another owner holds a live lease on.
        """
        validate_tenant_id(tenant_id)
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        now = self._clock()
        values = {
            ":tenant": tenant_id,
            ":row": row_id,
            ":wo": workorder_no,
            ":owner": _owner(owner),
            ":lease_until": to_epoch(now + timedelta(seconds=lease_seconds)),
            ":now": to_iso(now),
            ":now_epoch": to_epoch(now),
            ":pending": LedgerState.PENDING.value,
            ":created": LedgerState.CREATED.value,
            ":sent": LedgerState.SENT.value,
            ":one": 1,
            ":key": idempotency_key_for(tenant_id, row_id, 1),
        }
        return self._update(
            "claim",
            tenant_id,
            row_id,
            expected="no entry, or pending/created/sent without a live lease of another owner",
            update=(
                "SET tenant_id = :tenant, row_id = :row, workorder_no = :wo, "
                "lease_owner = :owner, lease_expires_at = :lease_until, updated_at = :now, "
                "#state = if_not_exists(#state, :pending), attempt = if_not_exists(attempt, :one), "
                "idempotency_key = if_not_exists(idempotency_key, :key), "
                "created_at = if_not_exists(created_at, :now)"
            ),
            condition=(
                "attribute_not_exists(pk) OR (#state IN (:pending, :created, :sent) AND "
                "(attribute_not_exists(lease_owner) OR lease_owner = :owner "
                "OR lease_expires_at <= :now_epoch))"
            ),
            values=values,
        )

    def release(self, tenant_id: str, row_id: str, owner: str) -> LedgerEntry:
        """Give the lease up (e.g. after a transient failure) so a redelivery can claim it."""
        return self._update(
            "release",
            tenant_id,
            row_id,
            expected=f"lease owned by {owner}",
            update="SET updated_at = :now REMOVE lease_owner, lease_expires_at",
            condition="lease_owner = :owner",
            values={":owner": _owner(owner), ":now": to_iso(self._clock())},
        )

    # -------------------------------------------------------------------- steps
    def record_created(
        self,
        tenant_id: str,
        row_id: str,
        *,
        owner: str,
        order_id: str,
        order_number: str | None,
        lines: tuple[str, str] | None = None,
    ) -> LedgerEntry:
        """The Billit invoice exists. Repeating it with the same order id is harmless.

        ``lines``: (snapshot JSON, fingerprint) of the invoice lines, so a later completion
        of the same work order can say what changed."""
        values: dict[str, Any] = {
            ":owner": _owner(owner),
            ":pending": LedgerState.PENDING.value,
            ":created": LedgerState.CREATED.value,
            ":order": keys.last(order_id, "order id"),
            ":gpk": keys.ledger_order_gsi1pk(tenant_id, order_id),
            ":gsk": keys.ledger_sk(row_id),
            ":now": to_iso(self._clock()),
        }
        update = (
            "SET #state = :created, order_id = :order, gsi1pk = :gpk, gsi1sk = :gsk, "
            "updated_at = :now"
        )
        if order_number is not None:
            values[":number"] = order_number
            update += ", order_number = :number"
        if lines is not None:
            values[":lines"], values[":print"] = lines
            update += ", #lines = :lines, lines_fingerprint = :print"
        return self._update(
            "record_created",
            tenant_id,
            row_id,
            expected="pending (or created with the same order) under the caller's lease",
            update=update,
            condition=(
                "lease_owner = :owner AND "
                "(#state = :pending OR (#state = :created AND order_id = :order))"
            ),
            values=values,
        )

    def record_sent(self, tenant_id: str, row_id: str, *, owner: str) -> LedgerEntry:
        """The invoice went out by Peppol / e-mail."""
        return self._update(
            "record_sent",
            tenant_id,
            row_id,
            expected="created or sent under the caller's lease",
            update="SET #state = :sent, sent_at = :now, updated_at = :now",
            condition="lease_owner = :owner AND #state IN (:created, :sent)",
            values={
                ":owner": _owner(owner),
                ":created": LedgerState.CREATED.value,
                ":sent": LedgerState.SENT.value,
                ":now": to_iso(self._clock()),
            },
        )

    def record_handled(
        self,
        tenant_id: str,
        row_id: str,
        *,
        owner: str,
        without_invoice: tuple[str, str] | None = None,
    ) -> LedgerEntry:
        """The work order is Handled in OutSmart: done for good; the lease is dropped.

        ``without_invoice``: a completion that made no document by the tenant's choice (a
        re-completion under "notify only", or with nothing added): straight from ``pending``,
        remembering its lines (snapshot JSON, fingerprint)."""
        update, condition, values = self._handled_change(owner, without_invoice)
        return self._update(
            "record_handled",
            tenant_id,
            row_id,
            expected="created or sent under the caller's lease",
            update=update,
            condition=condition,
            values=values,
        )

    def record_handled_with_log(
        self,
        tenant_id: str,
        row_id: str,
        *,
        owner: str,
        log_items: Sequence[tuple[str, Item]],
        also: Sequence[dict[str, Any]] = (),
        without_invoice: tuple[str, str] | None = None,
    ) -> None:
        """``record_handled`` and the log-panel items ``(table name, item)`` that say so, in
        ONE transaction (issue 16: one DynamoDB operation instead of two or more per work
        order). Both or neither: a failure leaves the entry in flight, so the redelivered
        message marks it handled again and writes its entries once. ``also``: further
        transaction items (a note on the connection) that stand or fall with it;
        ``without_invoice`` as for ``record_handled``."""
        update, condition, values = self._handled_change(owner, without_invoice)
        items = [self._update_item(tenant_id, row_id, update, condition, values)]
        items += [_new_item(table_name, item) for table_name, item in log_items]
        items += also
        self._transact(
            "record_handled_with_log",
            tenant_id,
            row_id,
            items,
            expected=(
                "pending under the caller's lease"
                if without_invoice is not None
                else "created or sent under the caller's lease"
            ),
        )

    def _handled_change(
        self, owner: str, without_invoice: tuple[str, str] | None
    ) -> tuple[str, str, dict[str, Any]]:
        """``record_handled``'s update expression, condition and values."""
        values: dict[str, Any] = {
            ":owner": _owner(owner),
            ":created": LedgerState.CREATED.value,
            ":sent": LedgerState.SENT.value,
            ":handled": LedgerState.HANDLED.value,
            ":now": to_iso(self._clock()),
        }
        update = "SET #state = :handled, handled_at = :now, updated_at = :now"
        condition = "lease_owner = :owner AND #state IN (:created, :sent)"
        if without_invoice is not None:
            del values[":created"], values[":sent"]
            values[":pending"] = LedgerState.PENDING.value
            values[":lines"], values[":print"] = without_invoice
            update += ", #lines = :lines, lines_fingerprint = :print"
            condition = "lease_owner = :owner AND #state = :pending"
        return update + " REMOVE lease_owner, lease_expires_at, outage_at", condition, values

    def record_credit_note(
        self, tenant_id: str, row_id: str, *, owner: str, order_id: str, order_number: str | None
    ) -> LedgerEntry:
        """A re-completion's credit note exists (before its new invoice is made), so a crash
        in between never credits the earlier invoice twice. Same id again: harmless.

        Its pointer (the index entry that lets Billit's webhooks about the credit note find
        this entry) is written first: a pointer whose entry then names another credit note
        points nowhere (``find_by_order_id`` checks), a recorded credit note without its
        pointer would only be followed by the reconcile."""
        self._put_credit_note_pointer(tenant_id, row_id, order_id)
        values: dict[str, Any] = {
            ":owner": _owner(owner),
            ":pending": LedgerState.PENDING.value,
            ":credit": keys.last(order_id, "credit note id"),
            ":now": to_iso(self._clock()),
        }
        update = "SET credit_note_id = :credit, updated_at = :now"
        if order_number is not None:
            values[":number"] = order_number
            update += ", credit_note_number = :number"
        return self._update(
            "record_credit_note",
            tenant_id,
            row_id,
            expected="pending without another credit note, under the caller's lease",
            update=update,
            condition=(
                "lease_owner = :owner AND #state = :pending AND "
                "(attribute_not_exists(credit_note_id) OR credit_note_id = :credit)"
            ),
            values=values,
        )

    def _put_credit_note_pointer(self, tenant_id: str, row_id: str, order_id: str) -> None:
        item = {
            "pk": keys.credit_note_pointer_pk(tenant_id),
            "sk": keys.credit_note_pointer_sk(order_id),
            "tenant_id": validate_tenant_id(tenant_id),
            "row_id": keys.last(row_id, "work order row id"),
            "gsi1pk": keys.ledger_order_gsi1pk(tenant_id, order_id),
            "gsi1sk": keys.ledger_sk(row_id),
            "created_at": to_iso(self._clock()),
        }
        with translate_aws_errors("ExportLedger.record_credit_note"):
            self._table.put_item(Item=item)

    def advance_completion(self, tenant_id: str, row_id: str, completion: int) -> None:
        """Remember on the work order's first entry that ``completion`` was taken on, so
        discovery looks at that completion's entry from now on. Never goes back."""
        with contextlib.suppress(LedgerConflictError):  # already there, or further
            self._update(
                "advance_completion",
                tenant_id,
                row_id,
                expected=f"an entry whose latest completion is below {completion}",
                update="SET completion = :n",
                condition="attribute_exists(pk) AND "
                "(attribute_not_exists(completion) OR completion < :n)",
                values={":n": completion},
            )

    def record_failed(
        self, tenant_id: str, row_id: str, *, owner: str, kind: str, reason: str
    ) -> LedgerEntry:
        """A problem the user has to fix: no retries until ``reset_for_retry``.

        Remembers the state it failed in, so a retry resumes after an existing invoice
        instead of creating a second one.
        """
        update, condition, values = self._failed_change(owner, kind, reason)
        return self._update(
            "record_failed",
            tenant_id,
            row_id,
            expected="pending, created or sent under the caller's lease",
            update=update,
            condition=condition,
            values=values,
        )

    def record_failed_with_log(
        self,
        tenant_id: str,
        row_id: str,
        *,
        owner: str,
        kind: str,
        reason: str,
        log_item: tuple[str, Item],
    ) -> None:
        """``record_failed`` and the log-panel item ``(table name, item)`` that says why, in
        ONE transaction. Both or neither: a ``failed`` entry is never claimed again and
        discovery passes it by, so one without its entry would leave the work order
        uninvoiced with nothing said; a failure here leaves it in flight instead, and the
        redelivered message fails it again, entry and all."""
        update, condition, values = self._failed_change(owner, kind, reason)
        change = self._update_item(tenant_id, row_id, update, condition, values)
        self._transact(
            "record_failed_with_log",
            tenant_id,
            row_id,
            [change, _new_item(*log_item)],
            expected="pending, created or sent under the caller's lease",
        )

    def _failed_change(self, owner: str, kind: str, reason: str) -> tuple[str, str, dict[str, Any]]:
        """``record_failed``'s update expression, condition and values."""
        update = (
            "SET failed_from = #state, #state = :failed, failure_kind = :kind, "
            "failure_reason = :reason, failed_at = :now, updated_at = :now "
            "REMOVE lease_owner, lease_expires_at"
        )
        condition = "lease_owner = :owner AND #state IN (:pending, :created, :sent)"
        values: dict[str, Any] = {
            ":owner": _owner(owner),
            ":pending": LedgerState.PENDING.value,
            ":created": LedgerState.CREATED.value,
            ":sent": LedgerState.SENT.value,
            ":failed": LedgerState.FAILED.value,
            ":kind": kind,
            ":reason": reason,
            ":now": to_iso(self._clock()),
        }
        return update, condition, values

    def reset_for_retry(self, tenant_id: str, row_id: str) -> LedgerEntry:
        """Failed → back where it failed, so the user's Sync button can retry it.

        Failed before an invoice existed: ``pending`` with ``attempt + 1`` and a new
        idempotency key (Billit would otherwise repeat its earlier answer). Failed after the
        invoice was created or sent: back to that state, same attempt and key, never a
        second invoice.
        """
        current = self.get(tenant_id, row_id)
        if current is None or current.state is not LedgerState.FAILED:
            raise LedgerConflictError("reset_for_retry", row_id, "state failed", current)
        resume = current.failed_from or LedgerState.PENDING
        if current.order_id is not None and resume is LedgerState.PENDING:
            resume = LedgerState.CREATED
        values: dict[str, Any] = {
            ":failed": LedgerState.FAILED.value,
            ":attempt": current.attempt,
            ":resume": resume.value,
            ":now": to_iso(self._clock()),
        }
        update = "SET #state = :resume, updated_at = :now"
        if resume is LedgerState.PENDING:
            values[":next"] = current.attempt + 1
            values[":key"] = idempotency_key_for(tenant_id, row_id, current.attempt + 1)
            update += ", attempt = :next, idempotency_key = :key"
        update += " REMOVE failure_kind, failure_reason, failed_from, failed_at"
        return self._update(
            "reset_for_retry",
            tenant_id,
            row_id,
            expected=f"state failed at attempt {current.attempt}",
            update=update,
            condition="#state = :failed AND attempt = :attempt",
            values=values,
        )

    def record_outage(
        self,
        tenant_id: str,
        row_id: str,
        *,
        remind_after: timedelta,
        log_item: tuple[str, Item],
    ) -> bool:
        """An outage used up the message's deliveries: remember when the tenant was told, in
        ONE transaction with the log-panel item ``(table name, item)`` that tells it, so a
        lasting outage is said once per ``remind_after`` (discovery queues the work order
        again every few minutes) and the export that finally works can say it recovered. Both
        or neither: a failed write leaves nothing that would keep the next report back.
        False: told less than ``remind_after`` ago, or the entry is finished."""
        now = self._clock()
        update: dict[str, Any] = {
            "Update": {
                "TableName": self._table.name,
                "Key": self._key(tenant_id, row_id),
                "UpdateExpression": "SET outage_at = :now",
                "ConditionExpression": (
                    "#state IN (:pending, :created, :sent) AND "
                    "(attribute_not_exists(outage_at) OR outage_at <= :remind)"
                ),
                "ExpressionAttributeValues": {
                    ":now": to_iso(now),
                    ":remind": to_iso(now - remind_after),
                    ":pending": LedgerState.PENDING.value,
                    ":created": LedgerState.CREATED.value,
                    ":sent": LedgerState.SENT.value,
                },
                "ExpressionAttributeNames": {"#state": "state"},
            }
        }
        try:
            self._transact(
                "record_outage",
                tenant_id,
                row_id,
                [update, _new_item(*log_item)],
                expected="in flight, not told within the reminder interval",
            )
        except LedgerConflictError:
            return False
        return True

    def transition_invoice_status(
        self,
        entry: LedgerEntry,
        status: str,
        detail: str | None,
        log_items: Sequence[tuple[str, Item]] = (),
        document: Document = Document.INVOICE,
    ) -> LedgerEntry:
        """The status of ``entry``'s ``document`` (its invoice, or its credit note) →
        ``status``, only if it is still the one ``entry`` shows, in ONE transaction with the
        log-panel items ``(table name, item)``: of two processors (or a webhook and the
        reconcile) applying the same change, exactly one writes it and its log entry. The
        loser gets ``LedgerConflictError`` with the entry as it now is."""
        order_attribute, status_attribute, detail_attribute, at_attribute = _STATUS_ATTRIBUTES[
            document
        ]
        now = to_iso(self._clock())
        values: dict[str, Any] = {":status": status, ":now": now}
        update = f"SET {status_attribute} = :status, {at_attribute} = :now, updated_at = :now"
        if detail is None:
            update += f" REMOVE {detail_attribute}"
        else:
            values[":detail"] = detail
            update = update.replace("SET ", f"SET {detail_attribute} = :detail, ", 1)
        current = entry.status_of(document)
        if current is None:
            condition = (
                f"attribute_exists({order_attribute}) AND attribute_not_exists({status_attribute})"
            )
        else:
            condition = f"attribute_exists({order_attribute}) AND {status_attribute} = :old"
            values[":old"] = current
        # The table resource's client serializes Python values itself (boto3's transformation
        # handlers), as ``Table.update_item`` does.
        items = [self._update_item(entry.tenant_id, entry.row_id, update, condition, values)]
        items += [_new_item(table_name, item) for table_name, item in log_items]
        self._transact(
            "transition_invoice_status",
            entry.tenant_id,
            entry.row_id,
            items,
            expected=f"{document.value} status {current or 'none'}",
        )
        return entry.model_copy(
            update={status_attribute: status, detail_attribute: detail, at_attribute: from_iso(now)}
        )

    # -------------------------------------------------------------------- reads
    def get(self, tenant_id: str, row_id: str) -> LedgerEntry | None:
        with translate_aws_errors("ExportLedger.get"):
            response = self._table.get_item(Key=self._key(tenant_id, row_id), ConsistentRead=True)
        item = response.get("Item")
        return _entry(item) if item else None

    def get_many(self, tenant_id: str, row_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        """The entries that exist among ``row_ids``, by row id (discovery checks many)."""
        wanted = [self._key(tenant_id, row_id) for row_id in row_ids]
        items = batch_get(self._table, "ExportLedger.get_many", wanted, sleep=self._sleep)
        return {str(item["row_id"]): _entry(item) for item in items}

    def find_by_order_id(self, tenant_id: str, order_id: str) -> LedgerEntry | None:
        """The entry of the work order a Billit order was created for (webhooks): its
        invoice or its credit note (``LedgerEntry.document_of`` says which).

        The index is eventually consistent, so the entry is then read by its key.
        """
        items = query_all(
            self._table,
            "ExportLedger.find_by_order_id",
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :gpk",
            ExpressionAttributeValues={":gpk": keys.ledger_order_gsi1pk(tenant_id, order_id)},
        )
        for item in items:
            entry = self.get(tenant_id, str(item["row_id"]))
            if entry is not None and entry.document_of(order_id) is not None:
                return entry
        return None

    def find_by_workorder(self, tenant_id: str, workorder: str) -> LedgerEntry | None:
        """The entry of one work order by what the log panel shows: its row id, or its work
        order number (``WB-1936``). Reads the tenant's ledger partition with a filter for the
        number: a user-triggered, occasional operation (OutSmart's work-order screen, retry)."""
        if not workorder or len(workorder) > keys.MAX_COMPONENT_LENGTH:
            return None
        by_row = self.get(tenant_id, workorder)
        if by_row is not None and by_row.completion > 1:  # completed again: the latest one
            return self.get(tenant_id, f"{workorder}-c{by_row.completion}") or by_row
        if by_row is not None:
            return by_row
        items = query_all(
            self._table,
            "ExportLedger.find_by_workorder",
            KeyConditionExpression="pk = :pk",
            FilterExpression=Attr("workorder_no").eq(workorder),
            ExpressionAttributeValues={":pk": keys.ledger_pk(tenant_id)},
        )
        entries = sorted((_entry(item) for item in items), key=lambda e: e.updated_at)
        return entries[-1] if entries else None

    def list_open_invoices(
        self, tenant_id: str, final_statuses: frozenset[str]
    ) -> Iterator[LedgerEntry]:
        """Entries with a Billit invoice or credit note whose status is not final yet (the
        reconcile; ``open_documents`` says which). Reads the tenant's ledger partition with a
        filter, once per schedule."""
        finals = sorted(final_statuses)
        items = query_all(
            self._table,
            "ExportLedger.list_open_invoices",
            KeyConditionExpression="pk = :pk",
            FilterExpression=(
                Attr("order_id").exists()
                & (Attr("invoice_status").not_exists() | ~Attr("invoice_status").is_in(finals))
            )
            | (
                Attr("credit_note_id").exists()
                & (
                    Attr("credit_note_status").not_exists()
                    | ~Attr("credit_note_status").is_in(finals)
                )
            ),
            ExpressionAttributeValues={":pk": keys.ledger_pk(tenant_id)},
        )
        for item in items:
            yield _entry(item)

    def list_failed(self, tenant_id: str) -> Iterator[LedgerEntry]:
        """Failed entries of one tenant (retry-all). Reads the tenant's ledger partition
        with a filter: a user-triggered, occasional operation."""
        items = query_all(
            self._table,
            "ExportLedger.list_failed",
            KeyConditionExpression="pk = :pk",
            FilterExpression=Attr("state").eq(LedgerState.FAILED.value),
            ExpressionAttributeValues={":pk": keys.ledger_pk(tenant_id)},
        )
        for item in items:
            yield _entry(item)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _key(tenant_id: str, row_id: str) -> dict[str, str]:
        return {"pk": keys.ledger_pk(tenant_id), "sk": keys.ledger_sk(row_id)}

    def _transact(
        self,
        operation: str,
        tenant_id: str,
        row_id: str,
        items: list[dict[str, Any]],
        *,
        expected: str,
    ) -> None:
        """TransactWriteItems whose first item is the ledger entry's conditional change: its
        condition failing is a ``LedgerConflictError`` (with the entry as it now is), another
        writer's transaction on the same items a transient error (retried)."""
        try:
            with translate_aws_errors(f"ExportLedger.{operation}"):
                self._table.meta.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                actual = self.get(tenant_id, row_id)
                raise LedgerConflictError(operation, row_id, expected, actual) from None
            if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
                raise AwsTransientError(
                    f"ExportLedger.{operation}", "TransactionConflict"
                ) from error
            raise

    def _update_item(
        self,
        tenant_id: str,
        row_id: str,
        update: str,
        condition: str,
        values: dict[str, Any],
    ) -> dict[str, Any]:
        """The entry's conditional change as a transaction item (``_transact``'s first)."""
        change: dict[str, Any] = {
            "TableName": self._table.name,
            "Key": self._key(tenant_id, row_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        names = _names_in(update + condition)
        if names:
            change["ExpressionAttributeNames"] = names
        return {"Update": change}

    def _update(
        self,
        operation: str,
        tenant_id: str,
        row_id: str,
        *,
        expected: str,
        update: str,
        condition: str,
        values: dict[str, Any],
    ) -> LedgerEntry:
        request: dict[str, Any] = {
            "Key": self._key(tenant_id, row_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        names = _names_in(update + condition)
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            with translate_aws_errors(f"ExportLedger.{operation}"):
                response = self._table.update_item(**request)
        except ClientError as error:
            if not is_conditional_check_failed(error):
                raise
            old = old_item_of(error)
            actual = _entry(decode_wire_item(old)) if old else None
            raise LedgerConflictError(operation, row_id, expected, actual) from None
        return _entry(response["Attributes"])


def _names_in(expression: str) -> dict[str, str]:
    """The attribute names an expression uses (DynamoDB refuses unused ones)."""
    return {
        name: attribute
        for name, attribute in (("#state", "state"), ("#lines", "lines"))
        if name in expression
    }


def _new_item(table_name: str, item: Item) -> dict[str, Any]:
    """A transaction's Put of an item that must not exist yet (a log-panel entry)."""
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _owner(owner: str) -> str:
    if not owner or len(owner) > 200:
        raise ValueError("lease owner must be 1-200 characters")
    return owner


def _optional_str(item: Item, name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value)


def _entry(item: Item) -> LedgerEntry:
    lease_until = item.get("lease_expires_at")
    outage_at = item.get("outage_at")
    sent_at = item.get("sent_at")
    completion = item.get("completion")
    status_at = item.get("invoice_status_at")
    credit_status_at = item.get("credit_note_status_at")
    failed_from = item.get("failed_from")
    return LedgerEntry(
        tenant_id=str(item["tenant_id"]),
        row_id=str(item["row_id"]),
        workorder_no=_optional_str(item, "workorder_no"),
        state=LedgerState(str(item["state"])),
        attempt=int(item["attempt"]),
        idempotency_key=str(item["idempotency_key"]),
        order_id=_optional_str(item, "order_id"),
        order_number=_optional_str(item, "order_number"),
        invoice_status=_optional_str(item, "invoice_status"),
        invoice_status_detail=_optional_str(item, "invoice_status_detail"),
        invoice_status_at=from_iso(str(status_at)) if status_at else None,
        failure_kind=_optional_str(item, "failure_kind"),
        failure_reason=_optional_str(item, "failure_reason"),
        failed_from=LedgerState(str(failed_from)) if failed_from else None,
        lease_owner=_optional_str(item, "lease_owner"),
        lease_expires_at=from_epoch(lease_until) if lease_until is not None else None,
        sent_at=from_iso(str(sent_at)) if sent_at else None,
        completion=int(str(completion)) if completion is not None else 1,
        lines=_optional_str(item, "lines"),
        lines_fingerprint=_optional_str(item, "lines_fingerprint"),
        credit_note_id=_optional_str(item, "credit_note_id"),
        credit_note_number=_optional_str(item, "credit_note_number"),
        credit_note_status=_optional_str(item, "credit_note_status"),
        credit_note_status_detail=_optional_str(item, "credit_note_status_detail"),
        credit_note_status_at=from_iso(str(credit_status_at)) if credit_status_at else None,
        outage_at=from_iso(str(outage_at)) if outage_at else None,
        created_at=from_iso(str(item["created_at"])),
        updated_at=from_iso(str(item["updated_at"])),
    )
