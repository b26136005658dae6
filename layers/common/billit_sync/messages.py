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
IMPORT_NO_LONGER_IN_BILLIT: Final = "import.no_longer_in_billit"
DISCOVERY_FAILED: Final = "discovery.failed"
DISCOVERY_UNREADABLE_WORKORDERS: Final = "discovery.unreadable_workorders"
# Export (issue 5): one key per problem the office has to fix, and the outcomes.
EXPORT_UNKNOWN_MATERIAL: Final = "export.unknown_material"
EXPORT_UNKNOWN_MATERIALS: Final = "export.unknown_materials"
EXPORT_UNKNOWN_HOUR_TYPE: Final = "export.unknown_hour_type"
EXPORT_MISSING_HOUR_TYPE: Final = "export.missing_hour_type"
EXPORT_CUSTOMER_NOT_FOUND: Final = "export.customer_not_found"
EXPORT_CUSTOMER_INCOMPLETE: Final = "export.customer_incomplete"
EXPORT_INVALID_VAT_NUMBER: Final = "export.invalid_vat_number"
EXPORT_NOTHING_TO_INVOICE: Final = "export.nothing_to_invoice"
EXPORT_BILLIT_REFUSED: Final = "export.billit_refused"
EXPORT_BILLIT_REFUSED_VAT_RATE: Final = "export.billit_refused.vat_rate"
EXPORT_BILLIT_REFUSED_PEPPOL: Final = "export.billit_refused.peppol"
EXPORT_OUTSMART_TOKEN_REFUSED: Final = "export.outsmart_token_refused"  # noqa: S105
EXPORT_INVALID_WORKORDER: Final = "export.invalid_workorder"
EXPORT_INVOICE_CREATED: Final = "export.invoice_created"
# Work-order fields (issue 11 item 3): OutSmart's own rules, payment methods, unfinished work.
EXPORT_MATERIAL_TOTAL_MISMATCH: Final = "export.material_total_mismatch"
EXPORT_MATERIAL_PRICES_CONTRADICT: Final = "export.material_prices_contradict"
EXPORT_IMPLAUSIBLE_VALUE: Final = "export.implausible_value"
EXPORT_PAID_ON_SITE_SKIPPED: Final = "export.paid_on_site_skipped"
EXPORT_FIXED_PRICE_QUOTE_SKIPPED: Final = "export.fixed_price_quote_skipped"
EXPORT_UNKNOWN_PAYMENT_METHOD: Final = "export.unknown_payment_method"
EXPORT_MARKED_PAID: Final = "export.marked_paid"
EXPORT_MARK_PAID_FAILED: Final = "export.mark_paid_failed"
EXPORT_EXTRA_HOURS_SEVERAL_TYPES: Final = "export.extra_hours_several_types"
EXPORT_WORK_NOT_FINISHED: Final = "export.work_not_finished"
EXPORT_INVOICE_SENT: Final = "export.invoice_sent"
EXPORT_ALREADY_EXPORTED: Final = "export.already_exported"
# Nothing silent (issue 12): every other reason a completed work order was not (fully) exported.
EXPORT_WORKORDER_DELETED: Final = "export.workorder_deleted"
EXPORT_OUTSMART_REFUSED: Final = "export.outsmart_refused"
EXPORT_NOT_EXPORTED: Final = "export.not_exported"
EXPORT_WORKSTATUS_NOT_SET: Final = "export.workstatus_not_set"
EXPORT_PDF_NOT_ATTACHED: Final = "export.pdf_not_attached"
EXPORT_SKIPPED_BEFORE_CONNECTION: Final = "export.skipped.before_connection"
EXPORT_SKIPPED_UNDATED: Final = "export.skipped.undated"
EXPORT_OUTAGE: Final = "export.outage"
EXPORT_RECOMPLETED_NOTIFY: Final = "export.recompleted.notify"
EXPORT_RECOMPLETED_NOTHING_ADDED: Final = "export.recompleted.nothing_added"
EXPORT_RECOMPLETED_EXTRA_INVOICE: Final = "export.recompleted.extra_invoice"
EXPORT_RECOMPLETED_CREDITED: Final = "export.recompleted.credited"
EXPORT_EARLIER_INVOICE_UNNUMBERED: Final = "export.recompleted.earlier_invoice_unnumbered"
EXPORT_RECOVERED: Final = "export.recovered_after_outage"
# Issue 11: the customer's VAT regime cannot be decided; an invoice kept as a draft.
EXPORT_VAT_REGIME_UNKNOWN_CODE: Final = "export.vat_regime.unknown_code"
EXPORT_VAT_REGIME_NO_VAT_NUMBER: Final = "export.vat_regime.no_vat_number"
EXPORT_VAT_REGIME_INVALID_VAT_NUMBER: Final = "export.vat_regime.invalid_vat_number"
EXPORT_VAT_REGIME_NOT_VAT_LIABLE: Final = "export.vat_regime.not_vat_liable"
EXPORT_VAT_REGIME_WRONG_COUNTRY: Final = "export.vat_regime.wrong_country"
EXPORT_INVOICE_HELD: Final = "export.invoice_held"
# Billit webhooks (issue 6): what Billit reported about an invoice the service created.
WEBHOOK_INVOICE_SENT: Final = "webhook.invoice_sent"
WEBHOOK_INVOICE_SENT_VIA: Final = "webhook.invoice_sent_via"
WEBHOOK_INVOICE_ACCEPTED: Final = "webhook.invoice_accepted"
WEBHOOK_INVOICE_DELIVERED: Final = "webhook.invoice_delivered"
WEBHOOK_INVOICE_REFUSED: Final = "webhook.invoice_refused"
WEBHOOK_INVOICE_REFUSED_NO_REASON: Final = "webhook.invoice_refused.no_reason"
WEBHOOK_INVOICE_NOT_DELIVERED: Final = "webhook.invoice_not_delivered"
WEBHOOK_INVOICE_NOT_DELIVERED_NO_REASON: Final = "webhook.invoice_not_delivered.no_reason"
WEBHOOK_INVOICE_PAID: Final = "webhook.invoice_paid"
WEBHOOK_INVOICE_PAID_WORKSTATUS: Final = "webhook.invoice_paid.workstatus_set"
WEBHOOK_WORKSTATUS_NOT_SET: Final = "webhook.workstatus_not_set"
# The same for a re-completion's credit note (issue 12's credit_and_reinvoice): a credit note
# sent by Peppol or e-mail can be refused or not delivered too.
WEBHOOK_CREDIT_NOTE_SENT: Final = "webhook.credit_note_sent"
WEBHOOK_CREDIT_NOTE_SENT_VIA: Final = "webhook.credit_note_sent_via"
WEBHOOK_CREDIT_NOTE_ACCEPTED: Final = "webhook.credit_note_accepted"
WEBHOOK_CREDIT_NOTE_DELIVERED: Final = "webhook.credit_note_delivered"
WEBHOOK_CREDIT_NOTE_REFUSED: Final = "webhook.credit_note_refused"
WEBHOOK_CREDIT_NOTE_REFUSED_NO_REASON: Final = "webhook.credit_note_refused.no_reason"
WEBHOOK_CREDIT_NOTE_NOT_DELIVERED: Final = "webhook.credit_note_not_delivered"
WEBHOOK_CREDIT_NOTE_NOT_DELIVERED_NO_REASON: Final = "webhook.credit_note_not_delivered.no_reason"
WEBHOOK_CREDIT_NOTE_PAID: Final = "webhook.credit_note_paid"
# Invoice status back from Billit (issue 13): customers Billit no longer knows, webhook secrets
# and quota, the reconcile backstop.
EXPORT_CUSTOMER_GONE: Final = "export.customer_gone"
EXPORT_CUSTOMER_REFUSED: Final = "export.customer_refused"
WEBHOOKS_AWAITING_SECRET: Final = "connection.webhooks_awaiting_secret"  # noqa: S105
WEBHOOKS_ACTIVE: Final = "connection.webhooks_active"
WEBHOOKS_QUOTA_FULL: Final = "connection.webhooks_quota_full"

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
        "are read from Billit every hour instead; reconnect the integration to get them as "
        "they happen.",
        "nl": "Billit aanvaardde de statusmeldingen niet ({reason}). Factuurstatussen worden "
        "in de plaats elk uur bij Billit opgehaald; verbind de integratie opnieuw om ze meteen "
        "te krijgen.",
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
    IMPORT_NO_LONGER_IN_BILLIT: {
        "en": "{count} record(s) are no longer in Billit (deleted or archived). Customers and "
        "hour types were set inactive in OutSmart; nothing was deleted, so old work orders keep "
        "them. Materials cannot be set inactive through OutSmart's API: remove them in OutSmart "
        "yourself once no work order needs them. {records}",
        "nl": "{count} record(s) staan niet meer in Billit (verwijderd of gearchiveerd). Klanten "
        "en uursoorten werden in OutSmart op inactief gezet; er werd niets verwijderd, dus oude "
        "werkbonnen behouden ze. Materialen kunnen niet via de API van OutSmart op inactief "
        "gezet worden: verwijder ze zelf in OutSmart zodra geen werkbon ze nog nodig heeft. "
        "{records}",
    },
    DISCOVERY_FAILED: {
        "en": "Completed work orders could not be read from OutSmart, so none are exported "
        "until this is fixed: {reason}",
        "nl": "Afgeronde werkbonnen konden niet uit OutSmart gelezen worden; er wordt niets "
        "geëxporteerd tot dit opgelost is: {reason}",
    },
    DISCOVERY_UNREADABLE_WORKORDERS: {
        "en": "{count} completed work order(s) could not be read and are not exported. Fix "
        "them in OutSmart and they are exported on the next run: {workorders}",
        "nl": "{count} afgeronde werkbon(nen) konden niet gelezen worden en worden niet "
        "geëxporteerd. Verbeter ze in OutSmart, dan worden ze bij de volgende ronde "
        "geëxporteerd: {workorders}",
    },
    EXPORT_UNKNOWN_MATERIAL: {
        "en": "Material '{material_code}' on work order {workorder_no} has no Billit product. "
        "Import products or create it in Billit.",
        "nl": "Materiaal '{material_code}' op werkbon {workorder_no} heeft geen Billit-product. "
        "Importeer de producten of maak het aan in Billit.",
    },
    EXPORT_UNKNOWN_MATERIALS: {
        "en": "Materials {material_codes} on work order {workorder_no} have no Billit product. "
        "Import products or create them in Billit.",
        "nl": "Materialen {material_codes} op werkbon {workorder_no} hebben geen Billit-product. "
        "Importeer de producten of maak ze aan in Billit.",
    },
    EXPORT_UNKNOWN_HOUR_TYPE: {
        "en": "Hour type '{hour_type}' on work order {workorder_no} has no price. Import hour "
        "types from Billit or give the hour type a sale price in OutSmart.",
        "nl": "Uursoort '{hour_type}' op werkbon {workorder_no} heeft geen prijs. Importeer de "
        "uursoorten uit Billit of geef de uursoort een verkoopprijs in OutSmart.",
    },
    EXPORT_MISSING_HOUR_TYPE: {
        "en": "Work order {workorder_no} has {hours} hours without an hour type (HourType is "
        "empty). Choose a default hour type in the export settings, or an hour type for these "
        "periods in OutSmart, and retry.",
        "nl": "Werkbon {workorder_no} heeft {hours} uur zonder uursoort (HourType is leeg). Kies "
        "een standaarduursoort in de exportinstellingen, of een uursoort voor deze periodes in "
        "OutSmart, en probeer opnieuw.",
    },
    EXPORT_MATERIAL_TOTAL_MISMATCH: {
        "en": "Work order {workorder_no}, material {material}: MaterialTotalPrice is "
        "{total_price}, but MaterialNr x MaterialPrice - discount is {computed} ({detail}). "
        "Correct the material line in OutSmart and retry.",
        "nl": "Werkbon {workorder_no}, materiaal {material}: MaterialTotalPrice is "
        "{total_price}, maar MaterialNr x MaterialPrice - korting is {computed} ({detail}). "
        "Verbeter de materiaalregel in OutSmart en probeer opnieuw.",
    },
    EXPORT_MATERIAL_PRICES_CONTRADICT: {
        "en": "Work order {workorder_no}, material {material}: MaterialPrice {price} is neither "
        "MaterialOriginalPrice {original_price} nor that price minus MaterialDiscountPercentage "
        "{discount} %. Correct the price or the discount in OutSmart and retry.",
        "nl": "Werkbon {workorder_no}, materiaal {material}: MaterialPrice {price} is noch "
        "MaterialOriginalPrice {original_price} noch die prijs min MaterialDiscountPercentage "
        "{discount} %. Verbeter de prijs of de korting in OutSmart en probeer opnieuw.",
    },
    EXPORT_IMPLAUSIBLE_VALUE: {
        "en": "Work order {workorder_no}: {field} '{value}' is not plausible (expected "
        "{expected}). Correct it in OutSmart and retry.",
        "nl": "Werkbon {workorder_no}: {field} '{value}' is niet aannemelijk (verwacht "
        "{expected}). Verbeter het in OutSmart en probeer opnieuw.",
    },
    EXPORT_PAID_ON_SITE_SKIPPED: {
        "en": "Work order {workorder_no} was paid on site (payment method '{payment_method}') "
        "and is not invoiced, as the export settings say. Make the invoice in Billit if the "
        "customer needs one.",
        "nl": "Werkbon {workorder_no} werd ter plaatse betaald (betaalwijze '{payment_method}') "
        "en wordt niet gefactureerd, zoals de exportinstellingen zeggen. Maak de factuur in "
        "Billit als de klant er een nodig heeft.",
    },
    EXPORT_FIXED_PRICE_QUOTE_SKIPPED: {
        "en": "Work order {workorder_no} is billed as per the quote (payment method "
        "'{payment_method}') and is not invoiced, as the export settings say. Invoice the "
        "quote amount in Billit.",
        "nl": "Werkbon {workorder_no} wordt gefactureerd conform offerte (betaalwijze "
        "'{payment_method}') en wordt niet gefactureerd, zoals de exportinstellingen zeggen. "
        "Factureer het offertebedrag in Billit.",
    },
    EXPORT_UNKNOWN_PAYMENT_METHOD: {
        "en": "Work order {workorder_no} has payment method '{payment_method}', which the export "
        "settings do not know. Add it to one of the payment-method lists (on account, paid on "
        "site, as per quote) and retry.",
        "nl": "Werkbon {workorder_no} heeft betaalwijze '{payment_method}', die de "
        "exportinstellingen niet kennen. Voeg ze toe aan een van de lijsten met betaalwijzen "
        "(op rekening, ter plaatse betaald, conform offerte) en probeer opnieuw.",
    },
    EXPORT_MARKED_PAID: {
        "en": "Invoice {invoice_number} of work order {workorder_no} marked paid on {paid_date} "
        "(paid on site: '{payment_method}').",
        "nl": "Factuur {invoice_number} van werkbon {workorder_no} als betaald gemarkeerd op "
        "{paid_date} (ter plaatse betaald: '{payment_method}').",
    },
    EXPORT_MARK_PAID_FAILED: {
        "en": "Invoice {invoice_number} of work order {workorder_no} was paid on site "
        "('{payment_method}') but could not be marked paid in Billit. Mark it paid in Billit.",
        "nl": "Factuur {invoice_number} van werkbon {workorder_no} werd ter plaatse betaald "
        "('{payment_method}') maar kon in Billit niet als betaald gemarkeerd worden. Markeer ze "
        "als betaald in Billit.",
    },
    EXPORT_EXTRA_HOURS_SEVERAL_TYPES: {
        "en": "Work order {workorder_no}: the {extra} hours added by MinimumHours/RoundingAmount "
        "were billed as '{hour_type}' (the longest period), but the work order has several "
        "hour types ({hour_types}). Check the invoice.",
        "nl": "Werkbon {workorder_no}: de {extra} uur die MinimumHours/RoundingAmount toevoegen "
        "werden gefactureerd als '{hour_type}' (de langste periode), maar de werkbon heeft "
        "meerdere uursoorten ({hour_types}). Controleer de factuur.",
    },
    EXPORT_WORK_NOT_FINISHED: {
        "en": "Work order {workorder_no} is complete in OutSmart but the technician did not "
        "finish the work (WorkFinished 0; reason: {reason}). It is invoiced once it is "
        "finished.",
        "nl": "Werkbon {workorder_no} is compleet in OutSmart, maar de technicus heeft het werk "
        "niet afgerond (WorkFinished 0; reden: {reason}). Hij wordt gefactureerd zodra het "
        "werk afgerond is.",
    },
    EXPORT_CUSTOMER_NOT_FOUND: {
        "en": "Work order {workorder_no}: no Billit customer with number {debtor_number} "
        "({customer_name}). Import customers, create it in Billit, or switch on 'create missing "
        "Billit customers'.",
        "nl": "Werkbon {workorder_no}: geen Billit-klant met nummer {debtor_number} "
        "({customer_name}). Importeer de klanten, maak de klant aan in Billit of zet "
        "'ontbrekende Billit-klanten aanmaken' aan.",
    },
    EXPORT_CUSTOMER_INCOMPLETE: {
        "en": "Work order {workorder_no}: the Billit customer cannot be created from the invoice "
        "address, which lacks {missing}. Complete the customer in OutSmart or create it in "
        "Billit.",
        "nl": "Werkbon {workorder_no}: de Billit-klant kan niet aangemaakt worden uit het "
        "factuuradres, want {missing} ontbreekt. Vul de klant aan in OutSmart of maak hem aan "
        "in Billit.",
    },
    EXPORT_INVALID_VAT_NUMBER: {
        "en": "Work order {workorder_no}: the VAT number '{vat_number}' of customer "
        "{customer_name} is not valid. Correct it in OutSmart or Billit.",
        "nl": "Werkbon {workorder_no}: het btw-nummer '{vat_number}' van klant {customer_name} "
        "is ongeldig. Verbeter het in OutSmart of Billit.",
    },
    EXPORT_NOTHING_TO_INVOICE: {
        "en": "Work order {workorder_no} has nothing to invoice: no hours, materials or work "
        "description, or the export settings leave them off. Complete the work order in "
        "OutSmart or change the export settings.",
        "nl": "Werkbon {workorder_no} bevat niets om te factureren: geen uren, materialen of "
        "werkomschrijving, of de exportinstellingen laten ze weg. Vul de werkbon aan in "
        "OutSmart of pas de exportinstellingen aan.",
    },
    EXPORT_BILLIT_REFUSED: {
        "en": "Billit refused the invoice for work order {workorder_no} ({detail}). Correct the "
        "data in OutSmart or Billit and retry.",
        "nl": "Billit weigerde de factuur voor werkbon {workorder_no} ({detail}). Verbeter de "
        "gegevens in OutSmart of Billit en probeer opnieuw.",
    },
    EXPORT_BILLIT_REFUSED_VAT_RATE: {
        "en": "Billit refused the invoice for work order {workorder_no}: a VAT rate is not valid "
        "for your company's country ({codes}). Check the VAT rate of the products in Billit and "
        "the default VAT rate in the export settings, then retry.",
        "nl": "Billit weigerde de factuur voor werkbon {workorder_no}: een btw-tarief is niet "
        "geldig voor het land van uw bedrijf ({codes}). Controleer het btw-tarief van de "
        "producten in Billit en het standaard btw-tarief in de exportinstellingen en probeer "
        "opnieuw.",
    },
    EXPORT_BILLIT_REFUSED_PEPPOL: {
        "en": "Billit cannot send the invoice for work order {workorder_no} over Peppol: the "
        "customer is not on Peppol, or your company's VAT or enterprise number in Billit is "
        "wrong ({codes}). Check both VAT numbers in Billit or choose e-mail delivery, then "
        "retry.",
        "nl": "Billit kan de factuur voor werkbon {workorder_no} niet via Peppol versturen: de "
        "klant is niet bereikbaar via Peppol, of het btw- of ondernemingsnummer van uw bedrijf "
        "in Billit klopt niet ({codes}). Controleer beide btw-nummers in Billit of kies "
        "verzending per e-mail en probeer opnieuw.",
    },
    EXPORT_OUTSMART_TOKEN_REFUSED: {
        "en": "OutSmart refused the API token of this integration. Check in OutSmart that the "
        "token is valid and the Billit integration is active, then connect it again.",
        "nl": "OutSmart weigerde de API-token van deze integratie. Controleer in OutSmart of de "
        "token geldig is en de Billit-integratie actief is, en verbind ze opnieuw.",
    },
    EXPORT_INVALID_WORKORDER: {
        "en": "Work order {workorder_no} contains a value that cannot be read: {detail}. "
        "Correct it in OutSmart and retry.",
        "nl": "Werkbon {workorder_no} bevat een waarde die niet gelezen kan worden: {detail}. "
        "Verbeter ze in OutSmart en probeer opnieuw.",
    },
    EXPORT_INVOICE_CREATED: {
        "en": "Work order {workorder_no} exported to Billit as invoice {invoice_number} "
        "(not sent).",
        "nl": "Werkbon {workorder_no} geëxporteerd naar Billit als factuur {invoice_number} "
        "(niet verstuurd).",
    },
    EXPORT_INVOICE_SENT: {
        "en": "Work order {workorder_no} exported to Billit as invoice {invoice_number} and sent "
        "by {transport}.",
        "nl": "Werkbon {workorder_no} geëxporteerd naar Billit als factuur {invoice_number} en "
        "verstuurd via {transport}.",
    },
    EXPORT_ALREADY_EXPORTED: {
        "en": "Work order {workorder_no} was already in Billit as invoice {invoice_number}; no "
        "second invoice was made.",
        "nl": "Werkbon {workorder_no} stond al in Billit als factuur {invoice_number}; er werd "
        "geen tweede factuur gemaakt.",
    },
    EXPORT_WORKORDER_DELETED: {
        "en": "Work order {workorder_no} no longer exists in OutSmart (deleted after it was "
        "queued for export), so it was not exported. If it was deleted by mistake, restore it "
        "in OutSmart and retry.",
        "nl": "Werkbon {workorder_no} bestaat niet meer in OutSmart (verwijderd nadat hij "
        "klaarstond voor export) en werd dus niet geëxporteerd. Werd hij per vergissing "
        "verwijderd, zet hem dan terug in OutSmart en probeer opnieuw.",
    },
    EXPORT_OUTSMART_REFUSED: {
        "en": "OutSmart refused a change to work order {workorder_no} ({detail}). Correct the "
        "work order in OutSmart and retry.",
        "nl": "OutSmart weigerde een wijziging aan werkbon {workorder_no} ({detail}). Verbeter de "
        "werkbon in OutSmart en probeer opnieuw.",
    },
    EXPORT_NOT_EXPORTED: {
        "en": "Work order {workorder_no} was not exported: {detail}. Correct it and retry.",
        "nl": "Werkbon {workorder_no} werd niet geëxporteerd: {detail}. Verbeter het en probeer "
        "opnieuw.",
    },
    EXPORT_WORKSTATUS_NOT_SET: {
        "en": "Work order {workorder_no} was exported as invoice {invoice_number} and marked "
        "Handled, but OutSmart did not set its work status to '{workstatus}' ({detail}). Check "
        "'work status after export' in the export settings against the work statuses in "
        "OutSmart.",
        "nl": "Werkbon {workorder_no} werd geëxporteerd als factuur {invoice_number} en op "
        "Afgehandeld gezet, maar OutSmart zette de werkstatus niet op '{workstatus}' ({detail}). "
        "Vergelijk 'werkstatus na export' in de exportinstellingen met de werkstatussen in "
        "OutSmart.",
    },
    EXPORT_PDF_NOT_ATTACHED: {
        "en": "The PDF of work order {workorder_no} could not be fetched from OutSmart "
        "({detail}); the invoice was made without it. Attach the PDF in Billit yourself if the "
        "customer needs it.",
        "nl": "De pdf van werkbon {workorder_no} kon niet uit OutSmart opgehaald worden "
        "({detail}); de factuur werd zonder pdf gemaakt. Voeg de pdf zelf toe in Billit als de "
        "klant hem nodig heeft.",
    },
    EXPORT_SKIPPED_BEFORE_CONNECTION: {
        "en": "Work order {workorder_no} was completed on {completed}, before Billit was "
        "connected ({connected}), so it is not exported (setting 'Export only work orders "
        "completed after the connection'). Set it to Handled in OutSmart, or switch the setting "
        "off to export it.",
        "nl": "Werkbon {workorder_no} werd afgerond op {completed}, vóór de koppeling met Billit "
        "({connected}), en wordt dus niet geëxporteerd (instelling 'Alleen werkbonnen exporteren "
        "die na de koppeling afgerond zijn'). Zet hem op Afgehandeld in OutSmart, of zet de "
        "instelling uit om hem te exporteren.",
    },
    EXPORT_SKIPPED_UNDATED: {
        "en": "Work order {workorder_no} has no date (no work period, planned or creation date), "
        "so it cannot be compared with the connection date and is not exported (setting 'Export "
        "only work orders completed after the connection'). Add a work period in OutSmart, or "
        "switch the setting off to export it.",
        "nl": "Werkbon {workorder_no} heeft geen datum (geen werkperiode, geplande of "
        "aanmaakdatum) en kan dus niet met de koppeldatum vergeleken worden; hij wordt niet "
        "geëxporteerd (instelling 'Alleen werkbonnen exporteren die na de koppeling afgerond "
        "zijn'). Voeg een werkperiode toe in OutSmart, of zet de instelling uit om hem te "
        "exporteren.",
    },
    EXPORT_OUTAGE: {
        "en": "Could not reach {service} for work order {workorder_no}; retried automatically "
        "{attempts} times. It is tried again on the next discovery run; nothing to do unless "
        "this message comes back.",
        "nl": "{service} was niet bereikbaar voor werkbon {workorder_no}; {attempts} keer "
        "automatisch opnieuw geprobeerd. Hij wordt bij de volgende ronde opnieuw geprobeerd; u "
        "hoeft niets te doen tenzij deze melding terugkomt.",
    },
    EXPORT_RECOMPLETED_NOTIFY: {
        "en": "Work order {workorder_no} was completed again after invoice {previous_invoice} "
        "(changes: {changes}). Nothing was invoiced (setting 'Re-completed work orders: notify "
        "only'); it is marked Handled again. Invoice the extra work in Billit yourself, or "
        "choose an extra invoice or a credit note in the export settings.",
        "nl": "Werkbon {workorder_no} werd opnieuw afgerond na factuur {previous_invoice} "
        "(wijzigingen: {changes}). Er werd niets gefactureerd (instelling 'Opnieuw afgeronde "
        "werkbonnen: enkel melden'); hij staat weer op Afgehandeld. Factureer het extra werk "
        "zelf in Billit, of kies een extra factuur of een creditnota in de exportinstellingen.",
    },
    EXPORT_RECOMPLETED_NOTHING_ADDED: {
        "en": "Work order {workorder_no} was completed again after invoice {previous_invoice} "
        "(changes: {changes}), but nothing was added, so no new invoice was made; it is marked "
        "Handled again. If lines were removed, correct invoice {previous_invoice} in Billit.",
        "nl": "Werkbon {workorder_no} werd opnieuw afgerond na factuur {previous_invoice} "
        "(wijzigingen: {changes}), maar er kwam niets bij, dus er werd geen nieuwe factuur "
        "gemaakt; hij staat weer op Afgehandeld. Werden er lijnen verwijderd, verbeter dan "
        "factuur {previous_invoice} in Billit.",
    },
    EXPORT_RECOMPLETED_EXTRA_INVOICE: {
        "en": "Work order {workorder_no} was completed again after invoice {previous_invoice} "
        "(changes: {changes}): extra invoice {invoice_number} made for what was added.",
        "nl": "Werkbon {workorder_no} werd opnieuw afgerond na factuur {previous_invoice} "
        "(wijzigingen: {changes}): extra factuur {invoice_number} gemaakt voor wat erbij kwam.",
    },
    EXPORT_RECOMPLETED_CREDITED: {
        "en": "Work order {workorder_no} was completed again after invoice {previous_invoice} "
        "(changes: {changes}): credit note {credit_note} for invoice {previous_invoice} and new "
        "invoice {invoice_number} made.",
        "nl": "Werkbon {workorder_no} werd opnieuw afgerond na factuur {previous_invoice} "
        "(wijzigingen: {changes}): creditnota {credit_note} voor factuur {previous_invoice} en "
        "nieuwe factuur {invoice_number} gemaakt.",
    },
    EXPORT_EARLIER_INVOICE_UNNUMBERED: {
        "en": "Work order {workorder_no} was completed again, but its earlier invoice (Billit "
        "order {order_id}) has no invoice number yet, so it cannot be credited. Finalise it in "
        "Billit and retry.",
        "nl": "Werkbon {workorder_no} werd opnieuw afgerond, maar de eerdere factuur (Billit-"
        "order {order_id}) heeft nog geen factuurnummer en kan dus niet gecrediteerd worden. "
        "Rond ze af in Billit en probeer opnieuw.",
    },
    EXPORT_RECOVERED: {
        "en": "Work order {workorder_no} was exported after the earlier outage ({since}).",
        "nl": "Werkbon {workorder_no} werd geëxporteerd na de eerdere storing ({since}).",
    },
    EXPORT_VAT_REGIME_UNKNOWN_CODE: {
        "en": "Work order {workorder_no}: customer {customer_name} has VAT ventilation code "
        "{code} in Billit, which cannot be invoiced automatically. In Billit, give the customer "
        "no ventilation code (normal VAT), or 21 (co-contractor), 51 or 55 (intra-EU goods or "
        "services), 70 (export) or 22 (outside scope), then retry.",
        "nl": "Werkbon {workorder_no}: klant {customer_name} heeft in Billit btw-ventilatiecode "
        "{code}, die niet automatisch gefactureerd kan worden. Geef de klant in Billit geen "
        "ventilatiecode (gewone btw), of 21 (medecontractant), 51 of 55 (intracommunautaire "
        "goederen of diensten), 70 (uitvoer) of 22 (buiten toepassingsgebied) en probeer "
        "opnieuw.",
    },
    EXPORT_VAT_REGIME_NO_VAT_NUMBER: {
        "en": "Work order {workorder_no}: customer {customer_name} is set to reverse charge "
        "(ventilation code {code}) in Billit but has no VAT number, so no invoice was made. "
        "Add the customer's VAT number in Billit, or remove the ventilation code if normal VAT "
        "applies, then retry.",
        "nl": "Werkbon {workorder_no}: klant {customer_name} staat in Billit op verlegging van "
        "heffing (ventilatiecode {code}) maar heeft geen btw-nummer, dus werd er geen factuur "
        "gemaakt. Vul het btw-nummer van de klant in Billit in, of verwijder de ventilatiecode "
        "als gewone btw geldt, en probeer opnieuw.",
    },
    EXPORT_VAT_REGIME_INVALID_VAT_NUMBER: {
        "en": "Work order {workorder_no}: customer {customer_name} is set to reverse charge "
        "(ventilation code {code}) in Billit, but its VAT number '{vat_number}' is not valid. "
        "Correct the VAT number in Billit, then retry.",
        "nl": "Werkbon {workorder_no}: klant {customer_name} staat in Billit op verlegging van "
        "heffing (ventilatiecode {code}), maar het btw-nummer '{vat_number}' is ongeldig. "
        "Verbeter het btw-nummer in Billit en probeer opnieuw.",
    },
    EXPORT_VAT_REGIME_NOT_VAT_LIABLE: {
        "en": "Work order {workorder_no}: customer {customer_name} has ventilation code {code} "
        "(reverse charge) in Billit but is marked as not liable for VAT; reverse charge needs a "
        "VAT-liable customer. Correct the customer's VAT liability or ventilation code in "
        "Billit, then retry.",
        "nl": "Werkbon {workorder_no}: klant {customer_name} heeft in Billit ventilatiecode "
        "{code} (verlegging van heffing) maar staat als niet btw-plichtig; verlegging vraagt "
        "een btw-plichtige klant. Verbeter de btw-plicht of de ventilatiecode van de klant in "
        "Billit en probeer opnieuw.",
    },
    EXPORT_VAT_REGIME_WRONG_COUNTRY: {
        "en": "Work order {workorder_no}: the ventilation code {code} of customer "
        "{customer_name} does not fit its country '{country}' in Billit (21: a Belgian or Dutch "
        "co-contractor; 51 and 55: a customer in another EU country; 70: a customer outside "
        "the EU). Correct the country or the ventilation code in Billit, then retry.",
        "nl": "Werkbon {workorder_no}: ventilatiecode {code} van klant {customer_name} past "
        "niet bij het land '{country}' in Billit (21: een Belgische of Nederlandse "
        "medecontractant; 51 en 55: een klant in een ander EU-land; 70: een klant buiten de "
        "EU). Verbeter het land of de ventilatiecode in Billit en probeer opnieuw.",
    },
    EXPORT_INVOICE_HELD: {
        "en": "Work order {workorder_no} exported to Billit as invoice {invoice_number}, but "
        "kept as a draft and NOT sent: {breaches}. Check the invoice in Billit and send it "
        "yourself, or delete it and correct the work order in OutSmart. The limits are in the "
        "export settings.",
        "nl": "Werkbon {workorder_no} geëxporteerd naar Billit als factuur {invoice_number}, "
        "maar als concept bewaard en NIET verstuurd: {breaches}. Controleer de factuur in "
        "Billit en verstuur ze zelf, of verwijder ze en verbeter de werkbon in OutSmart. De "
        "grenzen staan in de exportinstellingen.",
    },
    WEBHOOK_INVOICE_SENT: {
        "en": "Invoice {invoice_number} sent",
        "nl": "Factuur {invoice_number} verstuurd",
    },
    WEBHOOK_INVOICE_SENT_VIA: {
        "en": "Invoice {invoice_number} sent via {transport}",
        "nl": "Factuur {invoice_number} verstuurd via {transport}",
    },
    WEBHOOK_INVOICE_ACCEPTED: {
        "en": "Invoice {invoice_number} accepted via {transport}",
        "nl": "Factuur {invoice_number} aanvaard via {transport}",
    },
    WEBHOOK_INVOICE_DELIVERED: {
        "en": "Invoice {invoice_number} delivered via {transport}",
        "nl": "Factuur {invoice_number} afgeleverd via {transport}",
    },
    WEBHOOK_INVOICE_REFUSED: {
        "en": "Invoice {invoice_number} refused by the receiver: {reason}",
        "nl": "Factuur {invoice_number} geweigerd door de ontvanger: {reason}",
    },
    WEBHOOK_INVOICE_REFUSED_NO_REASON: {
        "en": "Invoice {invoice_number} refused by the receiver (no reason given)",
        "nl": "Factuur {invoice_number} geweigerd door de ontvanger (geen reden opgegeven)",
    },
    WEBHOOK_INVOICE_NOT_DELIVERED: {
        "en": "Invoice {invoice_number} could not be delivered via {transport}: {reason}",
        "nl": "Factuur {invoice_number} kon niet afgeleverd worden via {transport}: {reason}",
    },
    WEBHOOK_INVOICE_NOT_DELIVERED_NO_REASON: {
        "en": "Invoice {invoice_number} could not be delivered via {transport}",
        "nl": "Factuur {invoice_number} kon niet afgeleverd worden via {transport}",
    },
    WEBHOOK_INVOICE_PAID: {
        "en": "Invoice {invoice_number} paid",
        "nl": "Factuur {invoice_number} betaald",
    },
    WEBHOOK_INVOICE_PAID_WORKSTATUS: {
        "en": "Invoice {invoice_number} paid; work order {workorder_no} set to work status "
        "{workstatus}",
        "nl": "Factuur {invoice_number} betaald; werkbon {workorder_no} op werkstatus "
        "{workstatus} gezet",
    },
    WEBHOOK_WORKSTATUS_NOT_SET: {
        "en": "Invoice {invoice_number} is paid, but work order {workorder_no} could not be set "
        "to work status {workstatus}: {reason}. Check the work status in the export settings "
        "and in OutSmart.",
        "nl": "Factuur {invoice_number} is betaald, maar werkbon {workorder_no} kon niet op "
        "werkstatus {workstatus} gezet worden: {reason}. Controleer de werkstatus in de "
        "exportinstellingen en in OutSmart.",
    },
    WEBHOOK_CREDIT_NOTE_SENT: {
        "en": "Credit note {credit_note} (work order {workorder_no}) sent",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) verstuurd",
    },
    WEBHOOK_CREDIT_NOTE_SENT_VIA: {
        "en": "Credit note {credit_note} (work order {workorder_no}) sent via {transport}",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) verstuurd via {transport}",
    },
    WEBHOOK_CREDIT_NOTE_ACCEPTED: {
        "en": "Credit note {credit_note} (work order {workorder_no}) accepted via {transport}",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) aanvaard via {transport}",
    },
    WEBHOOK_CREDIT_NOTE_DELIVERED: {
        "en": "Credit note {credit_note} (work order {workorder_no}) delivered via {transport}",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) afgeleverd via {transport}",
    },
    WEBHOOK_CREDIT_NOTE_REFUSED: {
        "en": "Credit note {credit_note} (work order {workorder_no}) refused by the receiver: "
        "{reason}. The customer has not received the credit; correct it in Billit and send it "
        "again.",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) geweigerd door de ontvanger: "
        "{reason}. De klant heeft de creditering niet ontvangen; verbeter ze in Billit en "
        "verstuur ze opnieuw.",
    },
    WEBHOOK_CREDIT_NOTE_REFUSED_NO_REASON: {
        "en": "Credit note {credit_note} (work order {workorder_no}) refused by the receiver "
        "(no reason given). The customer has not received the credit; check it in Billit.",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) geweigerd door de ontvanger "
        "(geen reden opgegeven). De klant heeft de creditering niet ontvangen; controleer ze "
        "in Billit.",
    },
    WEBHOOK_CREDIT_NOTE_NOT_DELIVERED: {
        "en": "Credit note {credit_note} (work order {workorder_no}) could not be delivered via "
        "{transport}: {reason}. Send it again from Billit.",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) kon niet afgeleverd worden via "
        "{transport}: {reason}. Verstuur ze opnieuw vanuit Billit.",
    },
    WEBHOOK_CREDIT_NOTE_NOT_DELIVERED_NO_REASON: {
        "en": "Credit note {credit_note} (work order {workorder_no}) could not be delivered via "
        "{transport}. Send it again from Billit.",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) kon niet afgeleverd worden via "
        "{transport}. Verstuur ze opnieuw vanuit Billit.",
    },
    WEBHOOK_CREDIT_NOTE_PAID: {
        "en": "Credit note {credit_note} (work order {workorder_no}) settled (marked paid in "
        "Billit)",
        "nl": "Creditnota {credit_note} (werkbon {workorder_no}) verrekend (als betaald "
        "gemarkeerd in Billit)",
    },
    EXPORT_CUSTOMER_GONE: {
        "en": "Work order {workorder_no}: customer {customer_name} (Billit id {party_id}) no "
        "longer exists in this Billit company, so Billit refused the invoice. Import customers "
        "again or link debtor {debtor_number} to the right Billit customer, then retry.",
        "nl": "Werkbon {workorder_no}: klant {customer_name} (Billit-id {party_id}) bestaat niet "
        "meer in dit Billit-bedrijf, dus Billit weigerde de factuur. Importeer de klanten "
        "opnieuw of koppel debiteur {debtor_number} aan de juiste Billit-klant en probeer "
        "opnieuw.",
    },
    EXPORT_CUSTOMER_REFUSED: {
        "en": "Work order {workorder_no}: Billit refused the invoice for customer "
        "{customer_name} (Billit id {party_id}): no access to this customer in this Billit "
        "company. Check the customer in Billit, import customers again, then retry.",
        "nl": "Werkbon {workorder_no}: Billit weigerde de factuur voor klant {customer_name} "
        "(Billit-id {party_id}): geen toegang tot deze klant in dit Billit-bedrijf. Controleer "
        "de klant in Billit, importeer de klanten opnieuw en probeer opnieuw.",
    },
    WEBHOOKS_AWAITING_SECRET: {
        "en": "Billit status notifications are registered, but Billit has not sent their "
        "signing secret yet: invoice statuses (delivered, refused, paid) are not arriving by "
        "notification yet and are read from Billit every {minutes} minutes instead.",
        "nl": "De Billit-statusmeldingen zijn geregistreerd, maar Billit stuurde hun "
        "ondertekeningsgeheim nog niet: factuurstatussen (afgeleverd, geweigerd, betaald) komen "
        "nog niet via meldingen binnen en worden in de plaats elke {minutes} minuten bij "
        "Billit opgehaald.",
    },
    WEBHOOKS_ACTIVE: {
        "en": "Billit status notifications are active: invoice statuses arrive as they happen.",
        "nl": "De Billit-statusmeldingen zijn actief: factuurstatussen komen meteen binnen.",
    },
    WEBHOOKS_QUOTA_FULL: {
        "en": "Billit allows {limit} status notifications per company and {used} are taken by "
        "other integrations, so this one could not register its {needed}. Invoice statuses "
        "are read from Billit every {minutes} minutes instead. Remove unused webhooks in "
        "Billit and reconnect to get statuses as they happen.",
        "nl": "Billit staat {limit} statusmeldingen per bedrijf toe en {used} zijn in gebruik "
        "door andere integraties, dus deze kon haar {needed} niet registreren. "
        "Factuurstatussen worden in de plaats elke {minutes} minuten bij Billit opgehaald. "
        "Verwijder ongebruikte webhooks in Billit en verbind opnieuw om statussen meteen te "
        "krijgen.",
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
# Shown only when not 0: records gone from Billit, and products that changed group.
_GONE_WORDS: Final[dict[Language, tuple[str, str, str]]] = {
    "en": (
        "deactivated (no longer in Billit)",
        "moved to another group",
        "reported (no longer in Billit)",
    ),
    "nl": (
        "op inactief gezet (niet meer in Billit)",
        "naar een andere groep verplaatst",
        "gemeld (niet meer in Billit)",
    ),
}
_COMPARED: Final[dict[Language, str]] = {
    "en": "full comparison with Billit done",
    "nl": "volledige vergelijking met Billit gedaan",
}
COUNTS_PREFIX: Final = "counts."
COMPARED_PARAM: Final = "compared"
# An invoice kept as a draft: ``breach.<kind>`` = ``<value>`` or ``<value>/<limit>``.
BREACH_PREFIX: Final = "breach."
_BREACH_TEXTS: Final[dict[Language, dict[str, str]]] = {
    "en": {
        "quantity_per_line": "a line has quantity {value}, above the limit of {limit}",
        "hours_per_workorder": "{value} hours, above the limit of {limit} hours",
        "invoice_total": "the total is EUR {value}, above the limit of EUR {limit}",
        "negative_line": "a line has a negative amount (EUR {value})",
        "negative_total": "the total is negative (EUR {value})",
    },
    "nl": {
        "quantity_per_line": "een lijn heeft aantal {value}, boven de grens van {limit}",
        "hours_per_workorder": "{value} uur, boven de grens van {limit} uur",
        "invoice_total": "het totaal is EUR {value}, boven de grens van EUR {limit}",
        "negative_line": "een lijn heeft een negatief bedrag (EUR {value})",
        "negative_total": "het totaal is negatief (EUR {value})",
    },
}


def breach_summary(params: dict[str, str], language: Language) -> str:
    """``breach.invoice_total`` = ``1200000.00/25000`` → "the total is EUR 1200000.00, above
    the limit of EUR 25000"; several joined with "; "."""
    parts = []
    for key, value in params.items():
        if not key.startswith(BREACH_PREFIX):
            continue
        kind = key.removeprefix(BREACH_PREFIX)
        amount, _, limit = value.partition("/")
        if language == "nl":
            amount, limit = amount.replace(".", ","), limit.replace(".", ",")
        template = _BREACH_TEXTS[language].get(kind, kind + " {value} {limit}")
        parts.append(template.format(value=amount, limit=limit))
    return "; ".join(parts) or "-"


def import_summary(params: dict[str, str], language: Language) -> str:
    """``counts.<entity>`` = ``created/updated/skipped[/deactivated/moved/reported]`` →
    "customers 3 created, 1 updated, 0 skipped, 2 deactivated (no longer in Billit)…"."""
    parts = []
    words = (*_COUNT_WORDS[language], *_GONE_WORDS[language])
    for key, value in params.items():
        if not key.startswith(COUNTS_PREFIX):
            continue
        entity = key.removeprefix(COUNTS_PREFIX)
        numbers = [*value.split("/"), "0", "0", "0", "0", "0", "0"][:6]
        name = _ENTITY_NAMES[language].get(entity, entity)
        shown = [
            f"{number} {word}"
            for position, (number, word) in enumerate(zip(numbers, words, strict=True))
            if position < 3 or number not in ("0", "")
        ]
        parts.append(f"{name} " + ", ".join(shown))
    if params.get(COMPARED_PARAM) == "1":
        parts.append(_COMPARED[language])
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
    if message_key == EXPORT_INVOICE_HELD:
        values["breaches"] = breach_summary(params, language)
    if message_key in (IMPORT_FINISHED, IMPORT_PAUSED):
        values["summary"] = import_summary(params, language)
        if language == "nl" and "duration" in params:
            values["duration"] = params["duration"].replace(".", ",")
    return templates[language].format_map(values)


# Browser pages of the connect flow (issue 14): the confirmation and its refusals.
CONNECT_PAGES: Final[dict[str, dict[Language, str]]] = {
    "confirm.title": {"en": "Connect Billit?", "nl": "Billit verbinden?"},
    "confirm.question": {
        "en": "Connect OutSmart account {tenant} to Billit company {company} (VAT number {vat})?",
        "nl": "OutSmart-account {tenant} verbinden met Billit-bedrijf {company} "
        "(btw-nummer {vat})?",
    },
    "confirm.choose": {
        "en": "Connect OutSmart account {tenant} to which Billit company?",
        "nl": "Met welk Billit-bedrijf wilt u OutSmart-account {tenant} verbinden?",
    },
    "confirm.explain": {
        "en": "Invoices will be created in this company's name. Only confirm if you started "
        "this connection yourself from OutSmart.",
        "nl": "Facturen worden op naam van dit bedrijf gemaakt. Bevestig alleen als u deze "
        "koppeling zelf vanuit OutSmart gestart hebt.",
    },
    "confirm.yes": {"en": "Connect", "nl": "Verbinden"},
    "confirm.no": {"en": "Cancel", "nl": "Annuleren"},
    "confirm.no_vat": {"en": "none", "nl": "geen"},
    "confirm.taken": {
        "en": "(already connected to another OutSmart account)",
        "nl": "(al verbonden met een ander OutSmart-account)",
    },
    "taken.title": {
        "en": "Billit company already connected",
        "nl": "Billit-bedrijf al verbonden",
    },
    "taken.message": {
        "en": "Billit company {company} is already connected to another OutSmart account. "
        "Disconnect it there first, or choose another company. Nothing was changed.",
        "nl": "Billit-bedrijf {company} is al verbonden met een ander OutSmart-account. "
        "Verbreek die koppeling eerst, of kies een ander bedrijf. Er is niets gewijzigd.",
    },
    "expired.title": {"en": "Confirmation expired", "nl": "Bevestiging verlopen"},
    "expired.message": {
        "en": "This confirmation is unknown, has expired, was already used or was opened in "
        "another browser. Nothing was changed. Go back to OutSmart and connect again.",
        "nl": "Deze bevestiging is onbekend, verlopen, al gebruikt of in een andere browser "
        "geopend. Er is niets gewijzigd. Ga terug naar OutSmart en verbind opnieuw.",
    },
}


def page_text(key: str, language: Language, **params: str) -> str:
    return CONNECT_PAGES[key][language].format_map(_KeepMissing(params))
