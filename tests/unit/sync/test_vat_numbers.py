"""VAT numbers: normalised spelling, Belgian mod-97, Dutch and other EU formats."""

import pytest

from billit_sync.sync.vat_numbers import is_valid_vat_number, normalise_vat_number


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("BE0411905847", "BE0411905847"),
        ("be 0411.905.847", "BE0411905847"),
        (" BE 0403-170-701 ", "BE0403170701"),
        ("nl123456789b01", "NL123456789B01"),
        ("", ""),
    ],
)
def test_normalise(given: str, expected: str) -> None:
    assert normalise_vat_number(given) == expected


@pytest.mark.parametrize(
    "number",
    [
        "BE0411905847",
        "BE0403170701",
        "be 0411.905.847",
        "BE 0477.472.701",
        "BE1000000021",  # first digit 1: 97 - (10000000 mod 97) = 21
        "NL123456789B01",
        "nl 1234.56789.b01",
        "DE123456789",
        "FR12345678901",
        "EL123456789",
        "ATU12345678",
        "XI123456789",
        "ES X1234567 X",
    ],
)
def test_valid(number: str) -> None:
    assert is_valid_vat_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "BE0411905848",  # bad check digits
        "BE0403170702",  # bad check digits
        "BE0123",  # too short
        "BE04119058470",  # too long
        "BE2411905847",  # first digit must be 0 or 1
        "BE411905847",  # old 9-digit form, not accepted
        "0411905847",  # no country prefix
        "NL123456789",  # no B-suffix
        "NL123456789B1",
        "NL12345678AB01",
        "GR123456789",  # Greece is EL in VIES
        "US123456789",  # not an EU prefix
        "DE1",  # too short
        "DE12345678901234",  # too long
        "DE" + "\u0661" * 9,  # non-ASCII (Arabic-Indic) digits
        "BE04119058\u0664\u0667",
        "",
        "   ",
    ],
)
def test_invalid(number: str) -> None:
    assert not is_valid_vat_number(number)
