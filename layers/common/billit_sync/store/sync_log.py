"""The log panel: what each sync did for one tenant, newest first, kept for a retention period.

Entries are stored under ``LOG#{entry id}`` where the entry id starts with the time (UTC,
fixed width) and ends in a random suffix, so a query in reverse key order is newest first and
two entries in the same microsecond never collide. Messages are stored as a key plus
parameters, so the log panel API can render them in the tenant's language (en / nl).

Pages are filled even when filters match few entries: the store keeps querying (a bounded
number of times) until it has ``limit`` matches. The cursor is opaque (urlsafe base64) and
bound to the tenant; the partition queried always comes from the caller's tenant id, never
from the cursor, so a cursor can at most move within the tenant's own log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from billit_sync.errors import BadInputError
from billit_sync.store import keys
from billit_sync.store.aws_errors import translate_aws_errors
from billit_sync.store.clock import Clock, as_utc, from_iso, to_epoch, to_iso
from billit_sync.store.dynamo import Item
from billit_sync.tenancy import TenantId, validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

MAX_PAGE_SIZE = 100
MAX_QUERIES_PER_PAGE = 10
_ENTRY_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{12}$")
_CURSOR_VERSION = 1


class SyncLogCategory(StrEnum):
    CONNECTION = "connection"
    IMPORT = "import"
    EXPORT = "export"
    WEBHOOK = "webhook"


class SyncLogLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class SyncLogEntry(BaseModel):
    """One line of the log panel. ``entry_id`` is assigned when the entry is appended."""

    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    at: AwareDatetime
    category: SyncLogCategory
    level: SyncLogLevel
    message_key: str = Field(min_length=1, max_length=100)
    params: dict[str, str] = Field(default_factory=dict)
    workorder_no: str | None = None
    invoice_number: str | None = None
    retryable: bool = False
    entry_id: str | None = None


class SyncLogPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: list[SyncLogEntry]
    next_cursor: str | None = None


class InvalidCursorError(BadInputError):
    """The cursor was not minted by this service for this tenant."""

    def __init__(self) -> None:
        super().__init__("invalid cursor")


_sequence = itertools.count()


def new_entry_id(at: datetime) -> str:
    """``20260121T093000123456Z-<12 hex>``: sorts by time, unique.

    The suffix starts with a per-process sequence number, so entries one worker writes within
    the same microsecond (or under a test's frozen clock) still list in the order written.
    """
    return f"{as_utc(at):%Y%m%dT%H%M%S%f}Z-{next(_sequence) % 16**6:06x}{secrets.token_hex(3)}"


class SyncLogStore:
    def __init__(
        self,
        table: Table,
        clock: Clock,
        retention_days: int = 90,
        cursor_key: bytes | None = None,
    ) -> None:
        """``cursor_key``: optional secret to sign cursors with (HMAC); without it cursors
        carry a plain checksum, which still binds them to the tenant and catches edits."""
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        self._table = table
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._cursor_key = cursor_key

    @property
    def table_name(self) -> str:
        return self._table.name

    def append(self, entry: SyncLogEntry) -> SyncLogEntry:
        """Store an entry; returns it with its ``entry_id``. Expires ``retention_days`` after
        ``entry.at``."""
        stored, item = self.prepare(entry)
        with translate_aws_errors("SyncLogStore.append"):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return stored

    def prepare(self, entry: SyncLogEntry) -> tuple[SyncLogEntry, Item]:
        """The entry with its ``entry_id`` and the item to store, for a caller that writes it
        in one transaction with something else (an invoice status change)."""
        entry_id = new_entry_id(entry.at)
        stored = entry.model_copy(update={"entry_id": entry_id})
        item: Item = {
            "pk": keys.tenant_pk(entry.tenant_id),
            "sk": keys.sync_log_sk(entry_id),
            "tenant_id": entry.tenant_id,
            "at": to_iso(entry.at),
            "category": entry.category.value,
            "level": entry.level.value,
            "message_key": entry.message_key,
            "params": dict(entry.params),
            "retryable": entry.retryable,
            "expires_at": to_epoch(entry.at + self._retention),
        }
        if entry.workorder_no is not None:
            item["workorder_no"] = entry.workorder_no
        if entry.invoice_number is not None:
            item["invoice_number"] = entry.invoice_number
        return stored, item

    def record(
        self,
        tenant_id: str,
        *,
        category: SyncLogCategory,
        level: SyncLogLevel,
        message_key: str,
        params: dict[str, str] | None = None,
        workorder_no: str | None = None,
        invoice_number: str | None = None,
        retryable: bool = False,
    ) -> SyncLogEntry:
        """``append`` an entry that happened now (by the store's clock)."""
        return self.append(
            SyncLogEntry(
                tenant_id=tenant_id,
                at=self._clock(),
                category=category,
                level=level,
                message_key=message_key,
                params=params or {},
                workorder_no=workorder_no,
                invoice_number=invoice_number,
                retryable=retryable,
            )
        )

    def page(
        self,
        tenant_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        levels: set[SyncLogLevel] | None = None,
        categories: set[SyncLogCategory] | None = None,
    ) -> SyncLogPage:
        """Up to ``limit`` entries, newest first, after ``cursor``; ``next_cursor`` is None
        when there is nothing more. Expired entries (not yet deleted by TTL) are skipped."""
        validate_tenant_id(tenant_id)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise BadInputError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        pk = keys.tenant_pk(tenant_id)
        start_sk = self._decode_cursor(tenant_id, cursor) if cursor else None
        filters: ConditionBase = Attr("expires_at").gt(to_epoch(self._clock()))
        if levels:
            filters &= Attr("level").is_in(sorted(level.value for level in levels))
        if categories:
            filters &= Attr("category").is_in(sorted(c.value for c in categories))
        # Unfiltered pages need limit+1 items to know whether more follow; filtered ones read
        # more per query so that sparse matches do not cost many round trips.
        batch = limit + 1 if not (levels or categories) else min(1000, (limit + 1) * 5)
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk)
            & Key("sk").begins_with(keys.SYNC_LOG_SK_PREFIX),
            "FilterExpression": filters,
            "ScanIndexForward": False,
            "Limit": batch,
        }
        if start_sk:
            query["ExclusiveStartKey"] = {"pk": pk, "sk": start_sk}
        matched: list[Item] = []
        last_evaluated: str | None = None
        for _ in range(MAX_QUERIES_PER_PAGE):
            with translate_aws_errors("SyncLogStore.page"):
                response = self._table.query(**query)
            matched += response.get("Items", [])
            last_key = response.get("LastEvaluatedKey")
            last_evaluated = str(last_key["sk"]) if last_key else None
            if len(matched) > limit or last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        entries = [_entry(item) for item in matched[:limit]]
        if len(matched) > limit:
            next_sk: str | None = str(matched[limit - 1]["sk"])
        else:
            next_sk = last_evaluated  # None when the log is exhausted
        return SyncLogPage(
            entries=entries,
            next_cursor=self._encode_cursor(tenant_id, next_sk) if next_sk else None,
        )

    # ------------------------------------------------------------------ cursors
    def _mac(self, tenant_id: str, sk: str) -> str:
        message = f"{_CURSOR_VERSION}\n{tenant_id}\n{sk}".encode()
        if self._cursor_key:
            digest = hmac.new(self._cursor_key, message, hashlib.sha256).digest()
        else:
            digest = hashlib.sha256(message).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def _encode_cursor(self, tenant_id: str, sk: str) -> str:
        payload = {"v": _CURSOR_VERSION, "sk": sk, "m": self._mac(tenant_id, sk)}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_cursor(self, tenant_id: str, cursor: str) -> str:
        try:
            if len(cursor) > 400:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw)
            sk = payload["sk"]
            mac = payload["m"]
            if payload.get("v") != _CURSOR_VERSION or not isinstance(sk, str):
                raise ValueError("unknown cursor")
            if not isinstance(mac, str):
                raise ValueError("unknown cursor")
        except (ValueError, TypeError, KeyError, binascii.Error):
            raise InvalidCursorError() from None
        entry_id = sk.removeprefix(keys.SYNC_LOG_SK_PREFIX)
        if not sk.startswith(keys.SYNC_LOG_SK_PREFIX) or not _ENTRY_ID.fullmatch(entry_id):
            raise InvalidCursorError()
        if not hmac.compare_digest(mac, self._mac(tenant_id, sk)):
            raise InvalidCursorError()
        return sk


def _entry(item: Item) -> SyncLogEntry:
    return SyncLogEntry(
        tenant_id=str(item["tenant_id"]),
        at=from_iso(str(item["at"])),
        category=SyncLogCategory(str(item["category"])),
        level=SyncLogLevel(str(item["level"])),
        message_key=str(item["message_key"]),
        params={str(k): str(v) for k, v in dict(item.get("params", {})).items()},
        workorder_no=str(item["workorder_no"]) if "workorder_no" in item else None,
        invoice_number=str(item["invoice_number"]) if "invoice_number" in item else None,
        retryable=bool(item.get("retryable", False)),
        entry_id=str(item["sk"]).removeprefix(keys.SYNC_LOG_SK_PREFIX),
    )
