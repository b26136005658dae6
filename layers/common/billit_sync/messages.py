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
IMPORT_FINISHED: Final = "import.finished"
IMPORT_PAUSED: Final = "import.paused"
IMPORT_RECORDS_SKIPPED: Final = "import.records_skipped"
IMPORT_FAILED: Final = "import.failed"

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
    IMPORT_FINISHED: {
        "en": "Import finished in {duration} s: {summary}",
        "nl": "Import klaar in {duration} s: {summary}",
    },
    IMPORT_PAUSED: {
        "en": "Import paused after {duration} s (large account); it continues by itself: {summary}",
        "nl": "Import gepauzeerd na {duration} s (groot account); hij gaat vanzelf verder: "
        "{summary}",
    },
    IMPORT_RECORDS_SKIPPED: {
        "en": "{count} Billit record(s) were not imported. Fix them in Billit and they are "
        "imported on the next run: {records}",
        "nl": "{count} Billit-record(s) werden niet geïmporteerd. Verbeter ze in Billit, dan "
        "worden ze bij de volgende import meegenomen: {records}",
    },
    IMPORT_FAILED: {
        "en": "Import failed: {reason}",
        "nl": "Import mislukt: {reason}",
    },
}

# Entries whose text is composed from structured parameters, per language.
_ENTITY_NAMES: Final[dict[Language, dict[str, str]]] = {
    "en": {
        "customers": "customers",
        "contact_persons": "contact persons",
        "products": "products",
        "product_groups": "product groups",
        "hour_types": "hour types",
    },
    "nl": {
        "customers": "klanten",
        "contact_persons": "contactpersonen",
        "products": "producten",
        "product_groups": "productgroepen",
        "hour_types": "uursoorten",
    },
}
_COUNT_WORDS: Final[dict[Language, tuple[str, str, str]]] = {
    "en": ("created", "updated", "skipped"),
    "nl": ("nieuw", "bijgewerkt", "overgeslagen"),
}
COUNTS_PREFIX: Final = "counts."


def import_summary(params: dict[str, str], language: Language) -> str:
    """``counts.<entity>`` = ``created/updated/skipped`` → "customers 3 created, 1 updated…"."""
    parts = []
    created_word, updated_word, skipped_word = _COUNT_WORDS[language]
    for key, value in params.items():
        if not key.startswith(COUNTS_PREFIX):
            continue
        entity = key.removeprefix(COUNTS_PREFIX)
        created, updated, skipped = [*value.split("/"), "0", "0", "0"][:3]
        name = _ENTITY_NAMES[language].get(entity, entity)
        parts.append(
            f"{name} {created} {created_word}, {updated} {updated_word}, {skipped} {skipped_word}"
        )
    return "; ".join(parts) or "-"


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(message_key: str, params: dict[str, str], language: Language) -> str:
    """The entry's text; an unknown key shows the key itself rather than failing the panel."""
    templates = CATALOGUE.get(message_key)
    if templates is None:
        return message_key
    values = _KeepMissing(params)
    if message_key in (IMPORT_FINISHED, IMPORT_PAUSED):
        values["summary"] = import_summary(params, language)
        if language == "nl" and "duration" in params:
            values["duration"] = params["duration"].replace(".", ",")
    return templates[language].format_map(values)
