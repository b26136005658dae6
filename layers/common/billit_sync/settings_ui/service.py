"""What the settings page shows and does, as view models; the handler only renders them.

Every action calls the same domain code as the JSON API (``SettingsPage``, ``LogPanel``,
``ExportRetry``, ``ManualSync``, ``ConnectionLifecycle``, ``LoginStart``), never the API.
Actions answer a *notice* key (shown after the redirect back to the page: Post/Redirect/Get,
so a reload never repeats a POST).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from billit_sync import messages
from billit_sync.connection.return_urls import REASON_PARAMETER, RESULT_PARAMETER
from billit_sync.errors import (
    BadInputError,
    CompanyConnectedElsewhereError,
    ConnectionRequiredError,
    ExportNotFailedError,
    ExportNotFoundError,
    InvalidLogPanelQueryError,
)
from billit_sync.log_panel import LogPanel, LogPanelEntry, LogPanelQuery
from billit_sync.messages import Language
from billit_sync.outsmart.assumptions import OUTSMART_TIME_ZONE_NAME
from billit_sync.settings_page import SettingsPage, UnknownWorkStatusError
from billit_sync.settings_ui.form import FormGroup, form_groups, read_form
from billit_sync.settings_ui.texts import NOTES, UI_TEXTS, ui_text
from billit_sync.store import Connection, SettingsStore, TenantStore
from billit_sync.store.sync_log import SyncLogCategory, SyncLogLevel
from billit_sync.store.tenants import ConnectionStatus

if TYPE_CHECKING:
    # Each only for the action that uses it (connect, disconnect and company switch; Sync;
    # import now): a page view loads neither the OAuth flow, the Billit client, the retry nor
    # the scheduler (cold start, issue 16).
    from billit_sync.connection.connect_outcomes import StartedLogin
    from billit_sync.connection.lifecycle import ConnectionLifecycle
    from billit_sync.connection.login_start import LoginStart
    from billit_sync.sync.exports.triggers import ExportRetry
    from billit_sync.sync.scheduler import ManualSync

PAGE_PATH: Final = "/ui/settings"
LOG_PAGE_SIZE: Final = 20
OFFICE_ZONE: Final = ZoneInfo(OUTSMART_TIME_ZONE_NAME)
CONNECT_RESULTS: Final = frozenset({"connected", "not_connected", "error"})
CONNECT_REASONS: Final = frozenset(
    {"access_denied", "billit_error", "login_expired", "billit_unavailable", "cancelled"}
)


def _when(value: datetime | None) -> str | None:
    return value.astimezone(OFFICE_ZONE).strftime("%d-%m-%Y %H:%M") if value else None


@dataclass(frozen=True)
class CompanyOption:
    party_id: str
    label: str
    selected: bool


@dataclass(frozen=True)
class ConnectionView:
    status: str
    message: str
    can_connect: bool
    can_disconnect: bool
    can_import: bool
    details: tuple[str, ...]
    companies: tuple[CompanyOption, ...]


@dataclass(frozen=True)
class LogRow:
    time: str
    level: str
    level_label: str
    category_label: str
    message: str
    workorder_no: str | None
    invoice: str | None
    retryable: bool


@dataclass(frozen=True)
class LogView:
    rows: tuple[LogRow, ...]
    levels: tuple[tuple[str, str, bool], ...]  # (value, label, selected)
    categories: tuple[tuple[str, str, bool], ...]
    level: str
    category: str
    next_cursor: str | None
    is_first_page: bool


@dataclass(frozen=True)
class PageView:
    language: Language
    tenant_id: str
    texts: Mapping[str, str]
    connection: ConnectionView
    groups: tuple[FormGroup, ...]
    notes: tuple[str, ...]
    log: LogView
    csrf_token: str
    notice: str | None = None
    notice_is_error: bool = False
    form_error: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """What the browser asked for in the URL (never a credential): language, log filters and
    page, the notice after an action and the connect flow's outcome."""

    language: Language | None = None
    level: str = ""
    category: str = ""
    cursor: str | None = None
    notice: str | None = None
    connect_result: str | None = None
    connect_reason: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str] | None) -> "PageRequest":
        query = query or {}
        language = query.get("lang")
        level = query.get("level", "")
        category = query.get("category", "")
        notice = query.get("notice")
        result = query.get(RESULT_PARAMETER)
        reason = query.get(REASON_PARAMETER)
        return cls(
            language="nl" if language == "nl" else "en" if language == "en" else None,
            level=level if level in {member.value for member in SyncLogLevel} else "",
            category=category if category in {m.value for m in SyncLogCategory} else "",
            cursor=query.get("cursor") or None,
            notice=notice if notice and f"notice.{notice}" in UI_TEXTS else None,
            connect_result=result if result in CONNECT_RESULTS else None,
            connect_reason=reason if reason in CONNECT_REASONS else None,
        )


@dataclass
class SettingsUi:
    tenants: TenantStore
    settings: SettingsStore
    settings_page: SettingsPage
    log_panel: LogPanel
    export_retry: "Callable[[], ExportRetry]"
    manual_sync: "Callable[[], ManualSync]"
    lifecycle: "Callable[[], ConnectionLifecycle]"
    login_start: "Callable[[], LoginStart]"
    page_url: str
    """This page's absolute URL: where the Billit login comes back to."""
    _texts_cache: dict[Language, dict[str, str]] = field(default_factory=dict)

    # ---------------------------------------------------------------------- reading
    def language_of(self, tenant_id: str, request: PageRequest) -> Language:
        if request.language is not None:
            return request.language
        tenant = self.tenants.get(tenant_id)
        return tenant.language if tenant is not None else "en"

    def page(
        self,
        tenant_id: str,
        csrf_token: str,
        request: PageRequest,
        *,
        form_document: dict[str, Any] | None = None,
        form_errors: Mapping[str, str] | None = None,
    ) -> PageView:
        language = self.language_of(tenant_id, request)
        notes = NOTES[language]
        if form_document is None:
            view = self.settings_page.read(tenant_id)
            form_document = view.settings.model_dump(mode="json")
            if len(view.notes) > len(notes):  # the stored settings could not be read
                notes = (*notes, ui_text("settings.unreadable", language))
        notice, is_error = self._notice(request, language)
        return PageView(
            language=language,
            tenant_id=tenant_id,
            texts=self._texts(language),
            connection=self._connection(self.tenants.registered_connection(tenant_id), language),
            groups=form_groups(form_document, form_errors or {}, language),
            notes=notes,
            log=self._log(tenant_id, request, language),
            csrf_token=csrf_token,
            notice=notice,
            notice_is_error=is_error,
            form_error=ui_text("settings.invalid", language) if form_errors else None,
        )

    def _texts(self, language: Language) -> dict[str, str]:
        cached = self._texts_cache.get(language)
        if cached is None:
            cached = {key: texts[language] for key, texts in UI_TEXTS.items()}
            self._texts_cache[language] = cached
        return cached

    def _notice(self, request: PageRequest, language: Language) -> tuple[str | None, bool]:
        if request.connect_result is not None:
            reason = request.connect_reason or "-"
            key = f"connection.result.{request.connect_result}"
            return ui_text(key, language, reason=reason), request.connect_result != "connected"
        if request.notice is not None:
            error = request.notice in {
                "retry_unknown",
                "retry_not_failed",
                "not_connected",
                "company_elsewhere",
                "company_unknown",
                "unavailable",
            }
            return ui_text(f"notice.{request.notice}", language), error
        return None, False

    def _connection(self, connection: Connection, language: Language) -> ConnectionView:
        status = connection.status
        details: list[str] = []
        companies: tuple[CompanyOption, ...] = ()
        if status is ConnectionStatus.CONNECTED:
            company = next(
                (c for c in connection.companies if c.party_id == connection.party_id), None
            )
            vat = (company.vat_number if company else None) or ui_text(
                "connection.no_vat", language
            )
            message = ui_text(
                "connection.connected",
                language,
                company=connection.company_name or connection.party_id or "?",
                vat=vat,
            )
            if len(connection.companies) > 1:
                companies = tuple(
                    CompanyOption(
                        c.party_id,
                        f"{c.name} ({c.vat_number or ui_text('connection.no_vat', language)})",
                        c.party_id == connection.party_id,
                    )
                    for c in connection.companies
                )
        elif status is ConnectionStatus.AUTH_EXPIRED:
            # Verbatim the log panel's own words (messages.CATALOGUE), in both languages.
            message = messages.render(messages.AUTH_EXPIRED, {}, language)
        elif status is ConnectionStatus.DISCONNECTED:
            message = ui_text("connection.disconnected", language)
        else:
            message = ui_text("connection.never_connected", language)
        for key, at in (
            ("connection.since", connection.connected_at),
            ("connection.last_import", connection.last_import_at),
        ):
            shown = _when(at)
            if shown and status is ConnectionStatus.CONNECTED:
                details.append(ui_text(key, language, at=shown))
        return ConnectionView(
            status=status.value,
            message=message,
            can_connect=status is not ConnectionStatus.CONNECTED,
            can_disconnect=status in (ConnectionStatus.CONNECTED, ConnectionStatus.AUTH_EXPIRED),
            can_import=status is ConnectionStatus.CONNECTED,
            details=tuple(details),
            companies=companies,
        )

    def _log(self, tenant_id: str, request: PageRequest, language: Language) -> LogView:
        query_string = {"limit": str(LOG_PAGE_SIZE), "lang": language}
        if request.level:
            query_string["level"] = request.level
        if request.category:
            query_string["category"] = request.category
        if request.cursor:
            query_string["cursor"] = request.cursor
        try:
            query = LogPanelQuery.from_query(query_string)
            page = self.log_panel.read(tenant_id, query)
        except (InvalidLogPanelQueryError, BadInputError):
            # An edited or stale cursor: show the newest page rather than an error page.
            query = LogPanelQuery.from_query(
                {k: v for k, v in query_string.items() if k != "cursor"}
            )
            page = self.log_panel.read(tenant_id, query)
            request = PageRequest(level=request.level, category=request.category)
        rows = tuple(self._row(entry, language) for entry in page.entries)
        return LogView(
            rows=rows,
            levels=tuple(
                (m.value, ui_text(f"log.level.{m.value}", language), m.value == request.level)
                for m in SyncLogLevel
            ),
            categories=tuple(
                (m.value, ui_text(f"log.category.{m.value}", language), m.value == request.category)
                for m in SyncLogCategory
            ),
            level=request.level,
            category=request.category,
            next_cursor=page.next_cursor,
            is_first_page=request.cursor is None,
        )

    @staticmethod
    def _row(entry: LogPanelEntry, language: Language) -> LogRow:
        at = datetime.fromisoformat(entry.time.replace("Z", "+00:00"))
        return LogRow(
            time=at.astimezone(OFFICE_ZONE).strftime("%d-%m-%Y %H:%M:%S"),
            level=entry.level.value,
            level_label=ui_text(f"log.level.{entry.level.value}", language),
            category_label=ui_text(f"log.category.{entry.category.value}", language),
            message=entry.message,
            workorder_no=entry.workorder_no,
            invoice=entry.invoice,
            retryable=entry.retryable and entry.workorder_no is not None,
        )

    # ---------------------------------------------------------------------- actions
    def save(
        self, tenant_id: str, form: Mapping[str, list[str]], language: Language
    ) -> tuple[bool, dict[str, Any], dict[str, str]]:
        """(saved, the document as sent merged into the saved one, field errors). Only the
        fields the form sent change; the rest keeps its saved value."""
        try:
            saved = self.settings.get(tenant_id)
        except ValidationError:
            saved = self.settings_page.read(tenant_id).settings
        outcome = read_form(saved, form, language)
        if outcome.settings is None:
            return False, outcome.document, outcome.errors
        try:
            self.settings_page.save(tenant_id, outcome.settings)
        except UnknownWorkStatusError as unknown:
            errors = {item["field"]: item["problem"] for item in unknown.fields}
            return False, outcome.document, errors
        return True, outcome.document, {}

    def retry(self, tenant_id: str, workorder_no: str | None) -> str:
        try:
            result = self.export_retry().retry(tenant_id, workorder_no=workorder_no or None)
        except ExportNotFoundError:
            return "retry_unknown"
        except ExportNotFailedError:
            return "retry_not_failed"
        except ConnectionRequiredError:
            return "not_connected"
        if not result.reset:
            return "retry_none"
        return "retry_deferred" if result.deferred else "retry_queued"

    def import_now(self, tenant_id: str) -> str:
        job = self.manual_sync().request_import(tenant_id, full=False)
        return "import_off" if job is None else "import_queued"

    def disconnect(self, tenant_id: str) -> str:
        self.lifecycle().disconnect(tenant_id)
        return "disconnected"

    def select_company(self, tenant_id: str, party_id: str | None) -> str:
        if not party_id or not party_id.isascii() or not party_id.isdigit() or len(party_id) > 18:
            return "company_unknown"
        try:
            self.lifecycle().select_company(tenant_id, int(party_id))
        except CompanyConnectedElsewhereError:
            return "company_elsewhere"
        except ConnectionRequiredError:
            return "not_connected"
        except BadInputError:
            return "company_unknown"
        return "company_selected"

    def start_connect(self, tenant_id: str, language: Language | None) -> "StartedLogin":
        """The Billit login, coming back to this page (``billit_connection=…``) in the
        language the user was reading it in."""
        page_url = self.page_url + (f"?lang={language}" if language else "")
        return self.login_start().start(tenant_id, page_url)
