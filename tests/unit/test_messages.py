import pytest

from billit_sync import messages


def test_auth_expired_is_word_for_word_in_both_languages() -> None:
    assert messages.render(messages.AUTH_EXPIRED, {}, "en") == (
        "Authentication expired. Reconnect the integration to sync data."
    )
    assert messages.render(messages.AUTH_EXPIRED, {}, "nl") == (
        "Authenticatie verlopen. Verbind de integratie opnieuw om gegevens te synchroniseren."
    )


def test_connected_names_the_company() -> None:
    params = {"company": "Claes BV"}
    assert (
        messages.render(messages.CONNECTED, params, "en")
        == "Connected to Billit (company Claes BV)"
    )
    assert (
        messages.render(messages.CONNECTED, params, "nl")
        == "Verbonden met Billit (bedrijf Claes BV)"
    )


@pytest.mark.parametrize("key", sorted(messages.CATALOGUE))
def test_every_message_exists_in_both_languages(key: str) -> None:
    assert set(messages.CATALOGUE[key]) == {"en", "nl"}


def test_unknown_keys_and_missing_parameters_never_break_the_panel() -> None:
    assert messages.render("no.such.key", {}, "en") == "no.such.key"
    assert (
        messages.render(messages.CONNECTED, {}, "en") == "Connected to Billit (company {company})"
    )
