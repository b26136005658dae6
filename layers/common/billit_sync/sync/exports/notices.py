"""Work orders the export policy skips are said once each, naming the setting (issue 12).

Discovery meets a skipped work order on every run while it stays *Compleet*; without a marker
the office would either read nothing (the old behaviour: skipped silently) or the same line
every five minutes. ``SkipNotices.say_once`` writes one log-panel entry per (work order,
reason) and remembers it (``NoticeMarkers``). ``reason`` is free text so that every policy
skip (completed before the connection, undated, and others such as unfinished work or a
fixed price per quote) goes through the same door.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from billit_sync.observability import logger
from billit_sync.store import SyncLogCategory, SyncLogLevel, SyncLogStore
from billit_sync.store.notices import NoticeMarkers


@dataclass(frozen=True)
class PolicySkip:
    """One work order not exported because of a setting, and the entry that says so."""

    row_id: str
    workorder_no: str | None
    reason: str
    message_key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class SkipNotices:
    markers: NoticeMarkers
    sync_log: SyncLogStore

    def say_once(self, tenant_id: str, skips: Sequence[PolicySkip]) -> int:
        """Write the entries not written before; returns how many were written now."""
        pending = {(skip.row_id, skip.reason): skip for skip in skips}
        if not pending:
            return 0
        said = self.markers.already_said(tenant_id, list(pending))
        written = 0
        for (row_id, reason), skip in pending.items():
            if (row_id, reason) in said or not self.markers.mark(tenant_id, row_id, reason):
                continue
            try:
                self.sync_log.record(
                    tenant_id,
                    category=SyncLogCategory.EXPORT,
                    level=SyncLogLevel.INFO,
                    message_key=skip.message_key,
                    params=skip.params,
                    workorder_no=skip.workorder_no or row_id,
                )
            except Exception:
                self.markers.forget(tenant_id, row_id, reason)  # said on the next run instead
                raise
            written += 1
        if written:
            logger.info("policy skips said in the log panel", extra={"written": written})
        return written
