"""The tenant's choices on the Billit settings page, with defaults until the tenant saves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from billit_sync.store import keys
from billit_sync.store.aws_errors import translate_aws_errors
from billit_sync.store.clock import Clock, to_iso
from billit_sync.tenant_settings import TenantSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def settings_key(tenant_id: str) -> dict[str, str]:
    return {"pk": keys.tenant_pk(tenant_id), "sk": keys.SETTINGS_SK}


def settings_from_item(item: Mapping[str, Any] | None) -> TenantSettings:
    """The saved settings of a settings item, or the defaults when the tenant never saved."""
    if not item:
        return TenantSettings()
    return TenantSettings.model_validate(item["settings"])


class SettingsStore:
    """One item per tenant; saving replaces the whole document (the page saves all of it)."""

    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def get(self, tenant_id: str) -> TenantSettings:
        """The saved settings, or the defaults for a tenant that never saved any."""
        with translate_aws_errors("SettingsStore.get"):
            response = self._table.get_item(Key=settings_key(tenant_id), ConsistentRead=True)
        return settings_from_item(response.get("Item"))

    def put(self, tenant_id: str, settings: TenantSettings) -> None:
        """Save all settings (last writer wins, like any PUT of a whole form)."""
        with translate_aws_errors("SettingsStore.put"):
            self._table.put_item(
                Item={
                    "pk": keys.tenant_pk(tenant_id),
                    "sk": keys.SETTINGS_SK,
                    "tenant_id": tenant_id,
                    "settings": settings.model_dump(mode="json"),
                    "updated_at": to_iso(self._clock()),
                }
            )
