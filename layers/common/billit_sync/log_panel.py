"""The log panel as OutSmart's UI reads it: one tenant's sync log, newest first, in its language.

The sync-log store keeps message keys and parameters; this read model renders them in the
tenant's language (``en`` / ``nl``; a request may ask for the other one), and checks the
panel's query parameters: ``limit`` (1-100, default 25), ``level`` and ``category`` (one or
more values, comma-separated or repeated), ``cursor`` (opaque, from the previous page) and
``lang``. Wrong values are answered with the parameter's name, never with the value sent.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Final, get_args

from pydantic import BaseModel, ConfigDict

from billit_sync.errors import InvalidLogPanelQueryError, UnknownTenantError
from billit_sync.messages import Language, render
from billit_sync.store import SyncLogStore, TenantStore
from billit_sync.store.sync_log import (
    MAX_PAGE_SIZE,
    SyncLogCategory,
    SyncLogEntry,
    SyncLogLevel,
)

DEFAULT_PAGE_SIZE: Final = 25
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)

# The models below build their validators when a log panel is first read (``defer_build``):
# the management API's other routes and the settings page's redirects never read one (cold
# start, issue 16).


class LogPanelQuery(BaseModel):
    """What one page of the panel asks for, after the query string was checked."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    levels: frozenset[SyncLogLevel] = frozenset()
    categories: frozenset[SyncLogCategory] = frozenset()
    language: Language | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str] | None) -> "LogPanelQuery":
        """``query``: the query string parameters as API Gateway (payload 2.0) passes them,
        where a repeated parameter arrives as one comma-separated value."""
        query = query or {}
        problems: list[dict[str, str]] = []
        limit = DEFAULT_PAGE_SIZE
        raw_limit = query.get("limit", "").strip()
        if raw_limit:
            # ASCII digits only, and short: "²" is a digit to isdigit() but not to int(), and
            # int() refuses more than 4300 digits.
            plain = raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6
            if plain and 1 <= int(raw_limit) <= MAX_PAGE_SIZE:
                limit = int(raw_limit)
            else:
                problems.append(
                    {"field": "limit", "problem": f"must be a number from 1 to {MAX_PAGE_SIZE}"}
                )
        levels = _choices(query, "level", SyncLogLevel, problems)
        categories = _choices(query, "category", SyncLogCategory, problems)
        language: Language | None = None
        raw_language = query.get("lang", "").strip().lower()
        if raw_language:
            language = next((lang for lang in LANGUAGES if lang == raw_language), None)
            if language is None:
                problems.append({"field": "lang", "problem": f"must be one of {list(LANGUAGES)}"})
        if problems:
            raise InvalidLogPanelQueryError(problems)
        return cls(
            limit=limit,
            cursor=query.get("cursor") or None,
            levels=frozenset(levels),
            categories=frozenset(categories),
            language=language,
        )


def _choices[ChoiceT: (SyncLogLevel, SyncLogCategory)](
    query: Mapping[str, str],
    name: str,
    choice: type[ChoiceT],
    problems: list[dict[str, str]],
) -> set[ChoiceT]:
    values = {part.strip().lower() for part in query.get(name, "").split(",") if part.strip()}
    allowed = {member.value: member for member in choice}
    if not values <= allowed.keys():
        problems.append({"field": name, "problem": f"each value must be one of {list(allowed)}"})
        return set()
    return {allowed[value] for value in values}


class LogPanelEntry(BaseModel):
    """One line of the panel as the UI shows it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    time: str
    category: SyncLogCategory
    level: SyncLogLevel
    message: str
    message_key: str
    workorder_no: str | None
    invoice: str | None
    retryable: bool

    @classmethod
    def of(cls, entry: SyncLogEntry, language: Language) -> "LogPanelEntry":
        return cls(
            id=entry.entry_id or "",
            time=entry.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            category=entry.category,
            level=entry.level,
            message=render(entry.message_key, entry.params, language),
            message_key=entry.message_key,
            workorder_no=entry.workorder_no,
            invoice=entry.invoice_number,
            retryable=entry.retryable,
        )


class LogPanelPage(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    language: Language
    entries: list[LogPanelEntry]
    next_cursor: str | None

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass
class LogPanel:
    tenants: TenantStore
    sync_log: SyncLogStore

    def read(self, tenant_id: str, query: LogPanelQuery) -> LogPanelPage:
        """One page, newest first. A cursor that is not this tenant's own (edited, or minted
        for another tenant) raises ``InvalidCursorError`` (400)."""
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
        language = query.language or tenant.language
        page = self.sync_log.page(
            tenant_id,
            limit=query.limit,
            cursor=query.cursor,
            levels=set(query.levels),
            categories=set(query.categories),
        )
        return LogPanelPage(
            language=language,
            entries=[LogPanelEntry.of(entry, language) for entry in page.entries],
            next_cursor=page.next_cursor,
        )
