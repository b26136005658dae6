"""The log panel's messages in the tenant's language (en, nl).

Sync-log entries store a message key and its parameters; the text is rendered when the panel
is read, so a tenant who switches language sees every entry in the new one.
"""

from typing import Final, Literal

Language = Literal["en", "nl"]

AUTH_EXPIRED: Final = "connection.auth_expired"
CONNECTED: Final = "connection.connected"
DISCONNECTED: Final = "connection.disconnected"
WEBHOOKS_NOT_REGISTERED: Final = "connection.webhooks_not_registered"
COMPANY_SELECTED: Final = "connection.company_selected"

CATALOGUE: Final[dict[str, dict[Language, str]]] = {
    AUTH_EXPIRED: {
        "en": "Authentication expired. Reconnect the integration to sync data.",
        "nl": "Authenticatie verlopen. Verbind de integratie opnieuw om gegevens te "
        "synchroniseren.",
    },
    CONNECTED: {
        "en": "Connected to Billit (company {company})",
        "nl": "Verbonden met Billit (bedrijf {company})",
    },
    DISCONNECTED: {
        "en": "Disconnected from Billit (company {company})",
        "nl": "Verbinding met Billit verbroken (bedrijf {company})",
    },
    WEBHOOKS_NOT_REGISTERED: {
        "en": "Billit did not accept the status notifications ({reason}). Invoice statuses "
        "will not update until you reconnect the integration.",
        "nl": "Billit aanvaardde de statusmeldingen niet ({reason}). Factuurstatussen worden "
        "pas bijgewerkt als u de integratie opnieuw verbindt.",
    },
    COMPANY_SELECTED: {
        "en": "Invoices now go to Billit company {company}",
        "nl": "Facturen gaan nu naar Billit-bedrijf {company}",
    },
}


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(message_key: str, params: dict[str, str], language: Language) -> str:
    """The entry's text; an unknown key shows the key itself rather than failing the panel."""
    templates = CATALOGUE.get(message_key)
    if templates is None:
        return message_key
    return templates[language].format_map(_KeepMissing(params))
