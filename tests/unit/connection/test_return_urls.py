import pytest

from billit_sync.connection.return_urls import (
    ReturnUrlNotAllowedError,
    check_return_url,
    with_result,
)

ALLOWED = ("https://app.outsmart.test", "http://127.0.0.1:8080")


@pytest.mark.parametrize(
    "url",
    [
        "https://app.outsmart.test/settings/billit",
        "https://APP.outsmart.test:443/x?tab=billit",
        "http://127.0.0.1:8080/settings",
    ],
)
def test_allowed_origins_pass(url: str) -> None:
    assert check_return_url(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "/relative",
        "//evil.example/x",
        "https://evil.example/",
        "https://app.outsmart.test.evil.example/",
        "https://evil.example/?next=https://app.outsmart.test",
        "https://user:pw@app.outsmart.test/",
        "http://app.outsmart.test/",
        "https://app.outsmart.test:8443/",
        "http://127.0.0.1:9999/",
        "javascript:alert(1)",
        "https://app.outsmart.test/" + "a" * 3000,
    ],
)
def test_everything_else_is_refused(url: str | None) -> None:
    with pytest.raises(ReturnUrlNotAllowedError):
        check_return_url(url, ALLOWED)


def test_the_result_replaces_earlier_results_and_keeps_other_parameters() -> None:
    url = "https://app.outsmart.test/s?tab=billit&billit_connection=error&billit_reason=x"
    assert with_result(url, "connected") == (
        "https://app.outsmart.test/s?tab=billit&billit_connection=connected"
    )
    assert with_result(url, "not_connected", "access_denied").endswith(
        "billit_connection=not_connected&billit_reason=access_denied"
    )
