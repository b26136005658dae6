"""Billit units → OutSmart units: UBL codes, free text, the empty default, unknown units."""

import pytest

from billit_sync.sync.imports.units import (
    DEFAULT_UNIT,
    HOUR_UNIT,
    UNIT_TABLE,
    is_hour_unit,
    to_outsmart_unit,
)


@pytest.mark.parametrize(
    ("billit", "outsmart"),
    [
        ("HUR", "uur"),
        ("C62", "st"),
        ("PCE", "st"),
        ("NAR", "st"),
        ("KGM", "kg"),
        ("MTR", "m"),
        ("LTR", "l"),
        ("MTK", "m2"),
        ("MTQ", "m3"),
        ("DAY", "dag"),
        ("SET", "set"),
        ("LS", "forfait"),
        ("uur", "uur"),
        ("Uur", "uur"),
        ("stuk", "st"),
        ("st", "st"),
        ("St.", "st"),
        ("stuks", "st"),
        ("hour", "uur"),
        ("h", "uur"),
        ("hr", "uur"),
        ("kg", "kg"),
        ("m", "m"),
        ("m²", "m2"),
        ("  vierkante   meter ", "m2"),
        ("pièce", "st"),
        ("heure", "uur"),
        ("min", "min"),
    ],
)
def test_known_units(billit: str, outsmart: str) -> None:
    assert to_outsmart_unit(billit) == outsmart


@pytest.mark.parametrize("billit", [None, "", "   "])
def test_empty_unit_means_pieces(billit: str | None) -> None:
    assert to_outsmart_unit(billit) == DEFAULT_UNIT == "st"
    assert not is_hour_unit(billit)


@pytest.mark.parametrize("billit", ["XYZ", "ANN", "uurtje", "kgs.", "m 2", "."])
def test_unknown_units(billit: str) -> None:
    assert to_outsmart_unit(billit) is None
    assert not is_hour_unit(billit)


@pytest.mark.parametrize(
    ("billit", "is_hour"),
    [
        *[("HUR", True), ("uur", True), ("uren", True), ("Hours", True), ("h", True), ("hr", True)],
        *[("MIN", False), ("DAY", False), ("C62", False), ("ANN", False), ("dag", False)],
    ],
)
def test_is_hour_unit(billit: str, is_hour: bool) -> None:
    assert is_hour_unit(billit) is is_hour


def test_every_table_entry_maps_to_its_own_unit() -> None:
    for outsmart, aliases in UNIT_TABLE.items():
        assert to_outsmart_unit(outsmart) == outsmart
        for alias in aliases:
            assert to_outsmart_unit(alias) == outsmart
            assert to_outsmart_unit(alias.upper()) == outsmart
    assert HOUR_UNIT in UNIT_TABLE
