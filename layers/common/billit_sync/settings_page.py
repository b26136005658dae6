"""What the Billit settings page reads and saves: the tenant's settings with their notes."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError

from billit_sync.api.requests import UnprocessableBodyError
from billit_sync.errors import UnknownTenantError
from billit_sync.observability import logger
from billit_sync.store import SettingsStore, TenantStore
from billit_sync.tenant_settings import SETTINGS_NOTES, TenantSettings

if TYPE_CHECKING:
    # Only saving work statuses calls OutSmart: reading the settings loads no HTTP client.
    from billit_sync.outsmart import OutSmartClient

UNREADABLE_NOTE = (
    "The saved settings could not be read, so the defaults are shown; save to replace them."
)


@dataclass(frozen=True)
class SettingsView:
    settings: TenantSettings
    notes: tuple[str, ...] = field(default=SETTINGS_NOTES)

    def as_json(self) -> dict[str, object]:
        return {"settings": self.settings.model_dump(mode="json"), "notes": list(self.notes)}


WORKSTATUS_FIELDS = ("workstatus_after_export", "workstatus_when_paid")
MAX_LISTED_WORKSTATUSES = 30


class UnknownWorkStatusError(UnprocessableBodyError):
    """422: a work status in the export settings is no ``sta_code`` OutSmart knows."""


@dataclass
class SettingsPage:
    tenants: TenantStore
    settings: SettingsStore
    outsmart: "Callable[[str], OutSmartClient] | None" = None
    """tenant id → its OutSmart client, to check work statuses against ``/workstatusses/``."""

    def read(self, tenant_id: str) -> SettingsView:
        """The saved settings (defaults until the tenant saves)."""
        self._require_registered(tenant_id)
        try:
            return SettingsView(self.settings.get(tenant_id))
        except ValidationError as error:
            # Never a dead page: show the defaults and let the next save repair the item.
            logger.error(
                "stored settings are invalid; showing defaults",
                extra={"tenant_id": tenant_id, "errors": error.error_count()},
            )
            return SettingsView(TenantSettings(), (*SETTINGS_NOTES, UNREADABLE_NOTE))

    def save(self, tenant_id: str, settings: TenantSettings) -> SettingsView:
        """Replace the whole document (the page always saves all of it)."""
        self._require_registered(tenant_id)
        self._check_workstatuses(tenant_id, settings)
        self.settings.put(tenant_id, settings)
        logger.info("settings saved", extra={"tenant_id": tenant_id})
        return SettingsView(settings)

    def _check_workstatuses(self, tenant_id: str, settings: TenantSettings) -> None:
        """Each work status that changed must be one of OutSmart's ``sta_code`` values
        (outsmart-api.md §4.2 workstatusses): a typo would otherwise surface only when an
        invoice is made or paid. Unchanged ones are not read again (saving other switches
        never depends on OutSmart); OutSmart unreachable fails the save (503), nothing saved."""
        if self.outsmart is None:
            return
        try:
            saved = self.settings.get(tenant_id).exports
        except ValidationError:
            saved = None
        changed = {
            name: value
            for name in WORKSTATUS_FIELDS
            if (value := getattr(settings.exports, name))
            and (saved is None or getattr(saved, name) != value)
        }
        if not changed:
            return
        known = sorted(status.sta_code for status in self.outsmart(tenant_id).list_workstatusses())
        shown = ", ".join(known[:MAX_LISTED_WORKSTATUSES]) or "none"
        if len(known) > MAX_LISTED_WORKSTATUSES:
            shown += ", …"
        unknown = [
            {
                "field": f"exports.{name}",
                "problem": f"OutSmart has no work status '{value}' (known: {shown})",
            }
            for name, value in changed.items()
            if value not in known
        ]
        if unknown:
            raise UnknownWorkStatusError(unknown)

    def _require_registered(self, tenant_id: str) -> None:
        if self.tenants.get(tenant_id) is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
