"""VAT numbers: one canonical spelling, and a check before one reaches OutSmart or Billit.

Users type ``be 0411.905.847``; Billit and Peppol use ``BE0411905847``. A Belgian number is
checked fully (the mod-97 check digits), a Dutch one by its format (since 2020 sole traders
have numbers that fail the classic mod-11 test, so no checksum), and the other EU member
states by format only: their two-letter VIES prefix (Greece is ``EL``, Northern Ireland
``XI``) and 2 to 13 letters or digits. A number without a known prefix is not valid: the
country cannot be guessed safely.
"""

import re
from typing import Final

# VIES prefixes of the EU member states other than BE and NL, plus XI (Northern Ireland).
OTHER_EU_PREFIXES: Final = frozenset(
    {
        "AT", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
        "IT", "LT", "LU", "LV", "MT", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
    }
)  # fmt: skip

_SEPARATORS = re.compile(r"[\s.\-]+")
_BELGIAN = re.compile(r"BE([01]\d{9})")
_DUTCH = re.compile(r"NL\d{9}B\d{2}")
_OTHER = re.compile(r"([A-Z]{2})[A-Z0-9]{2,13}")


def normalise_vat_number(text: str) -> str:
    """Upper case without blanks, dots or hyphens: ``"be 0411.905.847"`` → ``"BE0411905847"``."""
    return _SEPARATORS.sub("", text).upper()


def _belgian_check_digits_ok(digits: str) -> bool:
    """The last two digits are 97 - (the first eight mod 97)."""
    return int(digits[8:]) == 97 - int(digits[:8]) % 97


def is_valid_vat_number(text: str) -> bool:
    """Whether ``text`` (in any spelling) is a well-formed EU VAT number; see the module doc."""
    number = normalise_vat_number(text)
    if not number.isascii():
        return False
    if number.startswith("BE"):
        match = _BELGIAN.fullmatch(number)
        return match is not None and _belgian_check_digits_ok(match[1])
    if number.startswith("NL"):
        return _DUTCH.fullmatch(number) is not None
    match = _OTHER.fullmatch(number)
    return match is not None and match[1] in OTHER_EU_PREFIXES
