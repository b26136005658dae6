"""Every text of the settings page, in English and Dutch (the office's languages).

The connection messages the log panel also shows (``Authentication expired…``) come from
``billit_sync.messages.CATALOGUE`` itself, so the page and the panel always say the same words;
the settings notes in English are ``tenant_settings.SETTINGS_NOTES`` (the JSON API's), with
their Dutch text here.
"""

from typing import Final

from billit_sync.messages import Language
from billit_sync.tenant_settings import SETTINGS_NOTES

UI_TEXTS: Final[dict[str, dict[Language, str]]] = {
    "page.title": {"en": "Billit settings", "nl": "Billit-instellingen"},
    "language": {"en": "Language", "nl": "Taal"},
    # --- connection
    "connection.title": {"en": "Connection", "nl": "Koppeling"},
    "connection.never_connected": {
        "en": "Billit is not connected yet. Open the settings to log in at Billit and choose "
        "the company to invoice.",
        "nl": "Billit is nog niet gekoppeld. Open de instellingen om in te loggen bij Billit en "
        "het bedrijf te kiezen waarop gefactureerd wordt.",
    },
    "connection.connected": {
        "en": "Connected to Billit company {company} (VAT number {vat}).",
        "nl": "Gekoppeld aan Billit-bedrijf {company} (btw-nummer {vat}).",
    },
    "connection.disconnected": {
        "en": "Disconnected from Billit. Nothing is imported or exported until you connect again.",
        "nl": "Ontkoppeld van Billit. Er wordt niets geïmporteerd of geëxporteerd tot u opnieuw "
        "koppelt.",
    },
    "connection.no_vat": {"en": "none", "nl": "geen"},
    "connection.since": {"en": "Connected since {at}", "nl": "Gekoppeld sinds {at}"},
    "connection.last_import": {"en": "Last import: {at}", "nl": "Laatste import: {at}"},
    "connection.open_settings": {"en": "Open settings", "nl": "Instellingen openen"},
    "connection.reconnect": {"en": "Reconnect", "nl": "Opnieuw koppelen"},
    "connection.company": {"en": "Billit company", "nl": "Billit-bedrijf"},
    "connection.switch": {"en": "Switch company", "nl": "Ander bedrijf kiezen"},
    "connection.import_now": {"en": "Import now", "nl": "Nu importeren"},
    "connection.result.connected": {
        "en": "Billit is connected.",
        "nl": "Billit is gekoppeld.",
    },
    "connection.result.not_connected": {
        "en": "Billit was not connected ({reason}). Nothing was changed.",
        "nl": "Billit werd niet gekoppeld ({reason}). Er is niets gewijzigd.",
    },
    "connection.result.error": {
        "en": "Billit could not be reached ({reason}). Try again in a moment.",
        "nl": "Billit was niet bereikbaar ({reason}). Probeer het zo meteen opnieuw.",
    },
    # --- disconnect (the power icon)
    "disconnect.icon": {"en": "Disconnect Billit", "nl": "Billit ontkoppelen"},
    "disconnect.question": {
        "en": "Disconnect Billit? Imports and exports stop; invoices already in Billit stay.",
        "nl": "Billit ontkoppelen? Import en export stoppen; facturen die al in Billit staan "
        "blijven.",
    },
    "disconnect.confirm": {"en": "Yes, disconnect", "nl": "Ja, ontkoppelen"},
    # --- settings form
    "settings.title": {"en": "Settings", "nl": "Instellingen"},
    "settings.imports": {
        "en": "Import from Billit into OutSmart",
        "nl": "Importeren uit Billit naar OutSmart",
    },
    "settings.exports": {
        "en": "Export completed work orders to Billit",
        "nl": "Afgeronde werkbonnen naar Billit exporteren",
    },
    "settings.exports.limits": {"en": "Plausibility limits", "nl": "Plausibiliteitsgrenzen"},
    "settings.exports.workorders": {
        "en": "Work orders and payment methods",
        "nl": "Werkbonnen en betaalwijzen",
    },
    "settings.save": {"en": "Save", "nl": "Opslaan"},
    "settings.invalid": {
        "en": "The settings were not saved: correct the fields marked below.",
        "nl": "De instellingen zijn niet opgeslagen: verbeter de velden die hieronder gemarkeerd "
        "zijn.",
    },
    "settings.one_per_line": {"en": "one per line", "nl": "één per regel"},
    "settings.notes": {"en": "Good to know", "nl": "Goed om te weten"},
    "settings.unreadable": {
        "en": "The saved settings could not be read, so the defaults are shown; save to replace "
        "them.",
        "nl": "De opgeslagen instellingen konden niet gelezen worden; de standaardwaarden worden "
        "getoond. Sla op om ze te vervangen.",
    },
    # --- field-level errors (pydantic's error types, by name)
    "error.missing": {"en": "Required.", "nl": "Verplicht."},
    "error.number": {"en": "Enter a number.", "nl": "Vul een getal in."},
    "error.greater_than_equal": {"en": "Must be at least {limit}.", "nl": "Minstens {limit}."},
    "error.greater_than": {"en": "Must be more than {limit}.", "nl": "Meer dan {limit}."},
    "error.less_than_equal": {"en": "Must be at most {limit}.", "nl": "Hoogstens {limit}."},
    "error.less_than": {"en": "Must be less than {limit}.", "nl": "Minder dan {limit}."},
    "error.choice": {"en": "Choose one of the options.", "nl": "Kies een van de opties."},
    "error.text": {"en": "Too long or invalid.", "nl": "Te lang of ongeldig."},
    "error.other": {"en": "Invalid value: {detail}", "nl": "Ongeldige waarde: {detail}"},
    # --- log panel
    "log.title": {"en": "Log", "nl": "Logboek"},
    "log.time": {"en": "Time", "nl": "Tijd"},
    "log.level": {"en": "Level", "nl": "Niveau"},
    "log.category": {"en": "Category", "nl": "Categorie"},
    "log.all": {"en": "All", "nl": "Alle"},
    "log.filter": {"en": "Filter", "nl": "Filteren"},
    "log.workorder": {"en": "Work order", "nl": "Werkbon"},
    "log.invoice": {"en": "Invoice", "nl": "Factuur"},
    "log.empty": {"en": "Nothing has happened yet.", "nl": "Er is nog niets gebeurd."},
    "log.older": {"en": "Older", "nl": "Ouder"},
    "log.newest": {"en": "Newest", "nl": "Nieuwste"},
    "log.sync": {"en": "Sync", "nl": "Sync"},
    "log.sync_all": {"en": "Sync all failed", "nl": "Alle mislukte opnieuw"},
    "log.level.info": {"en": "info", "nl": "info"},
    "log.level.warning": {"en": "warning", "nl": "waarschuwing"},
    "log.level.error": {"en": "error", "nl": "fout"},
    "log.category.connection": {"en": "connection", "nl": "koppeling"},
    "log.category.import": {"en": "import", "nl": "import"},
    "log.category.export": {"en": "export", "nl": "export"},
    "log.category.webhook": {"en": "Billit status", "nl": "Billit-status"},
    # --- notices after an action (Post/Redirect/Get)
    "notice.saved": {"en": "Settings saved.", "nl": "Instellingen opgeslagen."},
    "notice.retry_queued": {
        "en": "Queued for export again. The log shows the result.",
        "nl": "Opnieuw ingepland voor export. Het logboek toont het resultaat.",
    },
    "notice.retry_none": {
        "en": "There are no failed exports to retry.",
        "nl": "Er zijn geen mislukte exports om opnieuw te proberen.",
    },
    "notice.retry_deferred": {
        "en": "Some work orders could not be queued now; the next scheduled run exports them.",
        "nl": "Sommige werkbonnen konden nu niet ingepland worden; de volgende geplande run "
        "exporteert ze.",
    },
    "notice.retry_unknown": {
        "en": "That work order has no export to retry.",
        "nl": "Die werkbon heeft geen export om opnieuw te proberen.",
    },
    "notice.retry_not_failed": {
        "en": "That work order has not failed (any more); nothing to retry.",
        "nl": "Die werkbon is niet (meer) mislukt; niets opnieuw te proberen.",
    },
    "notice.import_queued": {
        "en": "Import queued. The log shows its summary.",
        "nl": "Import ingepland. Het logboek toont de samenvatting.",
    },
    "notice.import_off": {
        "en": "No import is switched on in the settings, so there is nothing to import.",
        "nl": "Er staat geen import aan in de instellingen, dus er is niets te importeren.",
    },
    "notice.disconnected": {"en": "Billit is disconnected.", "nl": "Billit is ontkoppeld."},
    "notice.company_selected": {
        "en": "Invoices now go to the chosen Billit company.",
        "nl": "Facturen gaan nu naar het gekozen Billit-bedrijf.",
    },
    "notice.not_connected": {
        "en": "Connect Billit first.",
        "nl": "Koppel eerst Billit.",
    },
    "notice.company_elsewhere": {
        "en": "That Billit company is connected to another OutSmart account.",
        "nl": "Dat Billit-bedrijf is gekoppeld aan een ander OutSmart-account.",
    },
    "notice.company_unknown": {
        "en": "That company is not one of the connected Billit account's companies.",
        "nl": "Dat bedrijf hoort niet bij het gekoppelde Billit-account.",
    },
    "notice.unavailable": {
        "en": "The service could not finish this; try again in a moment.",
        "nl": "De dienst kon dit niet afronden; probeer het zo meteen opnieuw.",
    },
    # --- refusals (own pages)
    "refused.session.title": {"en": "Session expired", "nl": "Sessie verlopen"},
    "refused.session": {
        "en": "This page's session has expired or was never opened here. Open the Billit "
        "settings in OutSmart again.",
        "nl": "De sessie van deze pagina is verlopen of werd hier nooit geopend. Open de "
        "Billit-instellingen opnieuw vanuit OutSmart.",
    },
    "refused.link.title": {"en": "Link expired", "nl": "Link verlopen"},
    "refused.link": {
        "en": "This link is not valid any more. Open the Billit settings in OutSmart again.",
        "nl": "Deze link is niet meer geldig. Open de Billit-instellingen opnieuw vanuit OutSmart.",
    },
    "refused.csrf.title": {"en": "Not saved", "nl": "Niet opgeslagen"},
    "refused.csrf": {
        "en": "This form was not sent from the settings page (or the page is too old), so "
        "nothing was changed. Reload the page and try again.",
        "nl": "Dit formulier kwam niet van de instellingenpagina (of de pagina is te oud), dus "
        "er is niets gewijzigd. Laad de pagina opnieuw en probeer nogmaals.",
    },
    "refused.back": {"en": "Back to the settings", "nl": "Terug naar de instellingen"},
}

FIELD_LABELS: Final[dict[str, dict[Language, str]]] = {
    "imports.customers": {"en": "Customers", "nl": "Klanten"},
    "imports.contact_persons": {"en": "Contact persons", "nl": "Contactpersonen"},
    "imports.products": {"en": "Products (materials)", "nl": "Producten (materialen)"},
    "imports.product_groups": {
        "en": "Product groups (categories)",
        "nl": "Productgroepen (categorieën)",
    },
    "imports.hour_types": {"en": "Hour types", "nl": "Uursoorten"},
    "imports.interval_minutes": {
        "en": "Minutes between imports (15 to 1440)",
        "nl": "Minuten tussen imports (15 tot 1440)",
    },
    "exports.enabled": {"en": "Export work orders", "nl": "Werkbonnen exporteren"},
    "exports.delivery": {"en": "Invoice delivery", "nl": "Factuur versturen"},
    "exports.payment_term_days": {
        "en": "Payment term (days, 0 to 365)",
        "nl": "Betaaltermijn (dagen, 0 tot 365)",
    },
    "exports.include_hours": {"en": "Hours on the invoice", "nl": "Uren op de factuur"},
    "exports.hour_rounding": {"en": "Round hours up to", "nl": "Uren naar boven afronden op"},
    "exports.include_materials": {
        "en": "Materials on the invoice",
        "nl": "Materialen op de factuur",
    },
    "exports.work_description_line": {
        "en": "Work description as a text line",
        "nl": "Werkomschrijving als tekstregel",
    },
    "exports.attach_workorder_pdf": {
        "en": "Attach the work order PDF",
        "nl": "Werkbon-pdf bijvoegen",
    },
    "exports.create_missing_customers": {
        "en": "Create missing Billit customers",
        "nl": "Ontbrekende Billit-klanten aanmaken",
    },
    "exports.default_vat_rate": {"en": "Default VAT rate (%)", "nl": "Standaard btw-tarief (%)"},
    "exports.billit_decimals": {
        "en": "Decimals in Billit (quantities and prices)",
        "nl": "Decimalen in Billit (aantallen en prijzen)",
    },
    "exports.limits.max_quantity_per_line": {
        "en": "Highest quantity on one line",
        "nl": "Hoogste aantal op één regel",
    },
    "exports.limits.max_hours_per_workorder": {
        "en": "Most hours for one work order",
        "nl": "Meeste uren voor één werkbon",
    },
    "exports.limits.max_invoice_total": {
        "en": "Highest invoice total incl. VAT (EUR)",
        "nl": "Hoogste factuurtotaal incl. btw (EUR)",
    },
    "exports.limits.allow_negative_lines": {
        "en": "Allow negative lines",
        "nl": "Negatieve regels toestaan",
    },
    "exports.limits.allow_negative_total": {
        "en": "Allow a negative total",
        "nl": "Negatief totaal toestaan",
    },
    "exports.only_completed_after_connection": {
        "en": "Only work orders completed after the connection",
        "nl": "Alleen werkbonnen afgerond na de koppeling",
    },
    "exports.workstatus_after_export": {
        "en": "Work status after the export (empty: keep)",
        "nl": "Werkstatus na de export (leeg: behouden)",
    },
    "exports.workstatus_when_paid": {
        "en": "Work status when paid (empty: keep)",
        "nl": "Werkstatus bij betaling (leeg: behouden)",
    },
    "exports.workorders.default_hour_type": {
        "en": "Hour type for periods without one",
        "nl": "Uursoort voor perioden zonder uursoort",
    },
    "exports.workorders.paid_on_site": {"en": "Paid on site", "nl": "Ter plaatse betaald"},
    "exports.workorders.fixed_price_quote": {
        "en": "Fixed price as per the quote",
        "nl": "Conform offerte",
    },
    "exports.workorders.unknown_payment_method": {
        "en": "Unknown payment method",
        "nl": "Onbekende betaalwijze",
    },
    "exports.workorders.on_account_methods": {
        "en": "Payment methods invoiced normally",
        "nl": "Betaalwijzen die gewoon gefactureerd worden",
    },
    "exports.workorders.paid_on_site_methods": {
        "en": "Payment methods that mean paid on site",
        "nl": "Betaalwijzen die ter plaatse betaald betekenen",
    },
    "exports.workorders.fixed_price_quote_methods": {
        "en": "Payment methods that mean as per the quote",
        "nl": "Betaalwijzen die conform offerte betekenen",
    },
    "exports.recompleted": {
        "en": "Work order completed again after its invoice",
        "nl": "Werkbon opnieuw afgerond na zijn factuur",
    },
    "exports.discovery_safety_net_minutes": {
        "en": "Look for missed work orders every … minutes while OutSmart's webhook works",
        "nl": "Zoek gemiste werkbonnen elke … minuten zolang de webhook van OutSmart werkt",
    },
}

CHOICE_LABELS: Final[dict[str, dict[Language, str]]] = {
    "exports.delivery=draft": {"en": "Draft in Billit", "nl": "Concept in Billit"},
    "exports.delivery=peppol": {"en": "Send by Peppol", "nl": "Versturen via Peppol"},
    "exports.delivery=email": {"en": "Send by e-mail", "nl": "Versturen per e-mail"},
    "exports.hour_rounding=none": {"en": "no rounding", "nl": "niet afronden"},
    "exports.hour_rounding=5": {"en": "5 minutes", "nl": "5 minuten"},
    "exports.hour_rounding=15": {"en": "15 minutes", "nl": "15 minuten"},
    "exports.hour_rounding=30": {"en": "30 minutes", "nl": "30 minuten"},
    "exports.workorders.paid_on_site=mark_paid": {
        "en": "Invoice and mark paid",
        "nl": "Factureren en als betaald markeren",
    },
    "exports.workorders.paid_on_site=invoice": {"en": "Invoice as unpaid", "nl": "Factureren"},
    "exports.workorders.paid_on_site=skip": {"en": "Do not invoice", "nl": "Niet factureren"},
    "exports.workorders.fixed_price_quote=skip": {
        "en": "Do not invoice (invoice the quote in Billit)",
        "nl": "Niet factureren (offerte in Billit factureren)",
    },
    "exports.workorders.fixed_price_quote=invoice_lines": {
        "en": "Invoice the work order's lines",
        "nl": "De regels van de werkbon factureren",
    },
    "exports.workorders.unknown_payment_method=review": {
        "en": "Stop and show it in the log",
        "nl": "Stoppen en in het logboek tonen",
    },
    "exports.workorders.unknown_payment_method=invoice": {
        "en": "Invoice normally",
        "nl": "Gewoon factureren",
    },
    "exports.recompleted=notify": {
        "en": "Only say so in the log",
        "nl": "Alleen melden in het logboek",
    },
    "exports.recompleted=extra_invoice": {
        "en": "Extra invoice for what was added",
        "nl": "Extra factuur voor wat erbij kwam",
    },
    "exports.recompleted=credit_and_reinvoice": {
        "en": "Credit note and a new invoice",
        "nl": "Creditnota en een nieuwe factuur",
    },
}

_NOTES_NL: Final[tuple[str, ...]] = (
    "Billit heeft geen medewerkers, dus medewerkers worden niet geïmporteerd: beheer ze verder "
    "in OutSmart.",
    "Contactpersonen worden samen met klanten geïmporteerd, en productgroepen (als categorieën) "
    "samen met producten: zet die dus ook aan.",
    "Producten met een uur als eenheid worden uursoorten (met hun verkoopprijs), geen materialen.",
    "Uren op een factuur worden naar boven afgerond op de gekozen stap (5, 15 of 30 minuten); "
    "'niet afronden' houdt de exacte tijd.",
    "Een werkbon met een eigen MinimumHours of RoundingAmount wordt gefactureerd zoals de klant "
    "tekende: de regel van de werkbon vervangt de stap hierboven en de extra tijd is een aparte "
    "regel.",
    "Het btw-regime van een klant (medecontractant, intracommunautair, export, buiten "
    "toepassing) komt van de klant in Billit: stel daar de ventilatiecode en het btw-nummer in.",
    "Een factuur boven een van de grenzen wordt in Billit als concept gemaakt en niet verstuurd; "
    "het logboek noemt de waarde en de grens.",
)

NOTES: Final[dict[Language, tuple[str, ...]]] = {"en": SETTINGS_NOTES, "nl": _NOTES_NL}


class _KeepMissing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def ui_text(key: str, language: Language, **params: object) -> str:
    return UI_TEXTS[key][language].format_map(_KeepMissing({k: str(v) for k, v in params.items()}))


def field_label(path: str, language: Language) -> str:
    return FIELD_LABELS[path][language]


def choice_label(path: str, value: str, language: Language) -> str:
    labels = CHOICE_LABELS.get(f"{path}={value}")
    return labels[language] if labels else value
