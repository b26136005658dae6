"""What the Billit settings page reads and saves: the tenant's settings with their notes."""

from dataclasses import dataclass, field

from pydantic import ValidationError

from billit_sync.errors import UnknownTenantError
from billit_sync.observability import logger
from billit_sync.store import SettingsStore, TenantStore
from billit_sync.tenant_settings import SETTINGS_NOTES, TenantSettings

UNREADABLE_NOTE = (
    "The saved settings could not be read, so the defaults are shown; save to replace them."
)


@dataclass(frozen=True)
class SettingsView:
    settings: TenantSettings
    notes: tuple[str, ...] = field(default=SETTINGS_NOTES)

    def as_json(self) -> dict[str, object]:
        return {"settings": self.settings.model_dump(mode="json"), "notes": list(self.notes)}


@dataclass
class SettingsPage:
    tenants: TenantStore
    settings: SettingsStore

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
        self.settings.put(tenant_id, settings)
        logger.info("settings saved", extra={"tenant_id": tenant_id})
        return SettingsView(settings)

    def _require_registered(self, tenant_id: str) -> None:
        if self.tenants.get(tenant_id) is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
