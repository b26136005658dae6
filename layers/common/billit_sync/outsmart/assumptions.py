"""Every ⚠ of the OutSmart reference (``shared/reference/outsmart-api.md``) decided in one place.

Each constant records the safe assumption taken where the documentation is uncertain or the
prose and the generated ``spec.json`` disagree. Change them here, verify on a test tenant.
"""

from typing import Final

# ⚠ §1: the Blueprint's HOST is out-smart.com; spec.json's ``servers`` names the legacy brand
# werkbonapp.nl. The base URL is configurable; this is only the default.
DEFAULT_BASE_URL: Final = "https://www.out-smart.com/openapi/8"
LEGACY_BASE_URL: Final = "https://www.werkbonapp.nl/openapi/8"

# ⚠ §2: ``Authorization: Bearer`` is not part of OpenAPI 8. When a tenant has one it is sent in
# addition to the query tokens, never instead of them (see ``OutSmartClient``).
BEARER_REPLACES_QUERY_TOKENS: Final = False

# ⚠ §4.1: spec.json lists an undocumented ``test`` parameter on GetWorkorders and the upserts.
# It is never sent.
NEVER_SENT_PARAMETERS: Final = frozenset({"test"})

# ⚠ §4.1: the prose table writes ``Id``, ``Order Nr`` and ``Status``; the example JSON uses
# ``id``, ``OrderNr`` and ``status``. Both spellings are accepted; the left one is canonical.
WORKORDER_KEY_VARIANTS: Final[dict[str, tuple[str, ...]]] = {
    "id": ("Id", "ID", "row_id"),
    "OrderNr": ("Order Nr", "OrderNo"),
    "status": ("Status",),
}

# ⚠ §4.1: the printed example is not valid JSON (``Documents`` is a malformed object); the
# nested collections other than Workperiods/Materials/Photos are therefore kept untyped.
UNTYPED_WORKORDER_COLLECTIONS: Final = ("Documents", "Forms", "Employees", "WorkObjects")

# ⚠ §4.1: UpdateWorkorder marks workdate/worktime/employee_nr "required", yet one of them is
# enough in practice; the client sends only what it changes and identifies the order by row_id.
UPDATE_WORKORDER_SENDS_ONLY_CHANGES: Final = True

# ⚠ §4.1: ``POST /UpdateWorkorder/`` (materials) exists only in spec.json, without semantics.
# The client does not use it.
USE_UPDATE_WORKORDER_MATERIALS_POST: Final = False

# ⚠ §4.2 / §9: upsert keys. Only ``cpn_code`` is documented as the insert-or-update key; the
# others are assumed and must be verified on a test tenant (a repeated POST must not duplicate).
UPSERT_KEYS: Final[dict[str, str]] = {
    "relations": "debtor_number",
    "contactpersons": "cpn_code",
    "materials": "code",
    "categories": "cat_code",
    "hourtypes": "code",
    "workstatusses": "sta_code",
}

# ⚠ §4.2: spec.json's POST examples send fields the prose does not document (relations: mobile,
# country, kvk_number, vat_number, language, …; materials: note, vat_code). The record models
# accept them as optional and leave them out of the body when unset.
SEND_UNDOCUMENTED_FIELDS_ONLY_WHEN_SET: Final = True

# ⚠ §4.1 / §4.2: decimals use a comma in materials ("4,55") and a dot in hour types ("50.00").
# Both are accepted on input; outgoing values follow the examples of each entity.
MATERIAL_PRICE_DECIMAL_SEPARATOR: Final = ","
HOURTYPE_PRICE_DECIMAL_SEPARATOR: Final = "."

# ⚠ §7 / §9: master-data POSTs are described as "sync" (upserts) and so assumed safe to retry;
# repeating ``GetWorkorder?update_status=true`` on a handled order is assumed harmless; setting
# the same WorkStatus again answers 1503 ("no data changed"), which is success. Every OutSmart
# call is therefore sent as a *safe* request (retried on 5xx, timeouts and 1007).
UPSERTS_ARE_IDEMPOTENT: Final = True
MARK_HANDLED_IS_IDEMPOTENT: Final = True

# ⚠ §9: no failure statuses are documented (only HTTP 200). Any non-200 status, a non-JSON body
# or envelope code 1007 is treated as transient and retried.
RETRYABLE_ENVELOPE_CODES: Final = frozenset({1007})

# ⚠ §9: lists are unpaged and can be large: generous read timeout (seconds).
READ_TIMEOUT_SECONDS: Final = 90.0
CONNECT_TIMEOUT_SECONDS: Final = 10.0

# ⚠ §8: prices on work orders and materials are assumed to exclude VAT.
PRICES_EXCLUDE_VAT: Final = True

# Not marked ⚠ in the reference but undocumented: OutSmart is Dutch software and gives local
# wall-clock times without a zone; parsed timestamps stay naive and mean this zone.
OUTSMART_TIME_ZONE_NAME: Final = "Europe/Amsterdam"
# PHP/MySQL back ends commonly render an unset date as zeros; such dates are treated as empty.
EMPTY_DATES: Final = frozenset({"00-00-0000", "0000-00-00"})
# Decimal places of hours when minutes/60 does not terminate ("00:20" → 0.333333).
NON_TERMINATING_HOURS_PLACES: Final = 6

# Work-order documents (``PdfUrl``) are served by OutSmart's web hosts, not necessarily the API
# host (outsmart-api.md §4.1 Documents: out-smart.com, werkbonapp.nl, wba-werkbonapp.nl and
# their subdomains); only these (and the configured API host) are fetched from, over http or
# https. Configurable (``OUTSMART_DOCUMENT_HOSTS``) should OutSmart add a host.
DOCUMENT_HOSTS: Final = ("out-smart.com", "werkbonapp.nl", "wba-werkbonapp.nl")
MAX_PDF_BYTES: Final = 10 * 1024 * 1024
