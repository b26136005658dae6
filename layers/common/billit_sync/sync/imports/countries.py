"""Billit's ISO country codes → the country *names* OutSmart's relations use.

OutSmart documents ``country`` only in spec.json's relation example, as the Dutch name
``"Nederland"``; its address examples use names too (``adr_country``), never ISO codes
(outsmart-api.md §4.2). So a relation gets the Dutch name of its country (``"BE"`` →
``"België"``), and no ``country`` at all when the code is not in this table: a missing country
is harmless, a code OutSmart shows as a name would not be.
"""

from typing import Final

DUTCH_COUNTRY_NAMES: Final[dict[str, str]] = {
    "AT": "Oostenrijk",
    "BE": "België",
    "BG": "Bulgarije",
    "CH": "Zwitserland",
    "CY": "Cyprus",
    "CZ": "Tsjechië",
    "DE": "Duitsland",
    "DK": "Denemarken",
    "EE": "Estland",
    "ES": "Spanje",
    "FI": "Finland",
    "FR": "Frankrijk",
    "GB": "Verenigd Koninkrijk",
    "GR": "Griekenland",
    "HR": "Kroatië",
    "HU": "Hongarije",
    "IE": "Ierland",
    "IS": "IJsland",
    "IT": "Italië",
    "LI": "Liechtenstein",
    "LT": "Litouwen",
    "LU": "Luxemburg",
    "LV": "Letland",
    "MC": "Monaco",
    "MT": "Malta",
    "NL": "Nederland",
    "NO": "Noorwegen",
    "PL": "Polen",
    "PT": "Portugal",
    "RO": "Roemenië",
    "SE": "Zweden",
    "SI": "Slovenië",
    "SK": "Slowakije",
    "TR": "Turkije",
    "UA": "Oekraïne",
    "US": "Verenigde Staten",
}


def dutch_country_name(code: str | None) -> str | None:
    """``"be"``/``"BE"`` → ``"België"``; ``None`` for a blank or unknown code."""
    if code is None:
        return None
    return DUTCH_COUNTRY_NAMES.get(code.strip().upper())
