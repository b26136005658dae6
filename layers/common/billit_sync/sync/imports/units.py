"""Billit product units → OutSmart material units, in one table.

Billit's ``Unit`` is either a UN/ECE Rec 20 (UBL) code such as ``HUR`` or ``C62`` (the docs show
only ``NAR`` and ``PCE`` ⚠, reference §9) or free text typed by the user ("uur", "stuk", "kg").
OutSmart's material ``unit`` is free text shown to the technician; the Dutch short forms below
are what OutSmart's own examples and Dutch/Flemish users write.

Matching ignores case, surrounding blanks, inner runs of blanks and one trailing dot ("St." is
"st"). An empty unit means pieces (``DEFAULT_UNIT``): most Billit products are sold per piece and
OutSmart requires a unit. Anything else not in the table is unknown (``None``), so the product is
skipped and named in the sync log rather than imported with a wrong unit.
"""

import re
from typing import Final

DEFAULT_UNIT: Final = "st"
HOUR_UNIT: Final = "uur"

# OutSmart unit → the Billit spellings (UBL codes first, then free text in NL/FR/EN).
# fmt: off
UNIT_TABLE: Final[dict[str, tuple[str, ...]]] = {
    "st": (
        "C62", "PCE", "NAR", "H87", "EA", "NMB",
        "st", "stuk", "stuks", "stk", "pc", "pcs", "piece", "pieces", "pièce", "pièces",
        "unit", "units", "x",
    ),
    HOUR_UNIT: ("HUR", "uur", "uren", "u", "hour", "hours", "h", "hr", "hrs", "heure", "heures"),
    "min": ("MIN", "min", "minuut", "minuten", "minute", "minutes"),
    "dag": ("DAY", "dag", "dagen", "day", "days", "jour", "jours"),
    "week": ("WEE", "week", "weken", "weeks", "semaine", "semaines"),
    "maand": ("MON", "maand", "maanden", "month", "months", "mois"),
    "kg": ("KGM", "kg", "kilo", "kilos", "kilogram", "kilogramme"),
    "g": ("GRM", "g", "gr", "gram", "gramme"),
    "ton": ("TNE", "ton", "tonne", "tonnes"),
    "m": ("MTR", "m", "meter", "metre", "mètre", "mtr", "lm"),
    "cm": ("CMT", "cm"),
    "mm": ("MMT", "mm"),
    "km": ("KMT", "km"),
    "m2": ("MTK", "m2", "m²", "vierkante meter"),
    "m3": ("MTQ", "m3", "m³", "kubieke meter"),
    "l": ("LTR", "l", "liter", "litre", "ltr"),
    "set": ("SET", "set", "sets"),
    "paar": ("PR", "paar", "pair", "pairs", "paire"),
    "doos": ("BX", "doos", "dozen", "box", "boîte"),
    "rol": ("RO", "rol", "rollen", "roll", "rouleau"),
    "pak": ("PK", "PA", "pak", "pakken", "pack", "paquet"),
    "forfait": ("LS", "forfait", "forfaits", "lump sum"),
}
# fmt: on

_BLANKS = re.compile(r"\s+")


def _key(text: str) -> str:
    """The lookup form of a unit: trimmed, lower-case, single spaces, no trailing dot."""
    key = _BLANKS.sub(" ", text.strip()).casefold()
    return key[:-1].rstrip() if key.endswith(".") else key


def _lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for outsmart, aliases in UNIT_TABLE.items():
        for alias in aliases:
            if lookup.setdefault(_key(alias), outsmart) != outsmart:  # pragma: no cover
                raise AssertionError(f"unit {alias!r} is listed under two OutSmart units")
    return lookup


_LOOKUP: Final = _lookup()


def to_outsmart_unit(billit_unit: str | None) -> str | None:
    """OutSmart's unit for a Billit unit; ``DEFAULT_UNIT`` when empty, ``None`` when unknown."""
    if billit_unit is None or not billit_unit.strip():
        return DEFAULT_UNIT
    return _LOOKUP.get(_key(billit_unit))


def is_hour_unit(billit_unit: str | None) -> bool:
    """Whether a product with this unit is labour (an hour type), not a material."""
    return to_outsmart_unit(billit_unit) == HOUR_UNIT
