"""``download_workorder_pdf``: OutSmart's own document hosts only (outsmart-api.md §4.1
Documents: out-smart.com, werkbonapp.nl, wba-werkbonapp.nl and subdomains), http or https,
retried only on 429/5xx, and errors that never carry the link."""

import httpx
import pytest
import respx
from pydantic import SecretStr

from billit_sync.config import RuntimeConfig
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartDocumentError

BASE_URL = "https://www.out-smart.com/openapi/8"
PDF = b"%PDF-1.4\n%%EOF\n"


def client(http: httpx.Client, **kwargs: object) -> OutSmartClient:
    return OutSmartClient(
        http,
        BASE_URL,
        SecretStr("t"),
        SecretStr("s"),
        sleep=lambda _: None,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.wba-werkbonapp.nl/files/werkbon.pdf",  # desc:3998
        "https://werkbonapp.nl/mailpdf.php?sheet_id=1",
        "https://files.out-smart.com/mailpdf.php?sheet_id=1",
    ],
)
def test_outsmarts_document_hosts_and_their_subdomains_are_fetched(url: str) -> None:
    with respx.mock(assert_all_called=True) as router, httpx.Client() as http:
        router.get(url).respond(200, content=PDF)
        assert client(http).download_workorder_pdf(url) == PDF


def test_the_allow_list_is_configurable() -> None:
    config = RuntimeConfig.model_validate(
        {
            "STAGE": "t",
            "INTEGRATION_TABLE": "i",
            "SYNC_LOG_TABLE": "l",
            "APP_SECRET_NAME": "a",
            "TENANT_SECRET_PREFIX": "p",
            "BILLIT_ENVIRONMENT": "sandbox",
            "BILLIT_API_URL": "https://api.billit.test",
            "BILLIT_LOGIN_URL": "https://my.billit.test",
            "OUTSMART_BASE_URL": BASE_URL,
            "OUTSMART_DOCUMENT_HOSTS": " Docs.Example.org , out-smart.com",
        }
    )
    assert config.outsmart_document_hosts == ("docs.example.org", "out-smart.com")
    url = "https://cdn.docs.example.org/werkbon.pdf"
    with respx.mock() as router, httpx.Client() as http:
        router.get(url).respond(200, content=PDF)
        hosts = config.outsmart_document_hosts
        assert client(http, document_hosts=hosts).download_workorder_pdf(url) == PDF
        with pytest.raises(OutSmartDocumentError):
            client(http, document_hosts=hosts).download_workorder_pdf(
                "https://www.werkbonapp.nl/mailpdf.php?sheet_id=1"
            )


@pytest.mark.parametrize(
    ("status", "attempts", "reason"),
    [(404, 1, "HTTP 404"), (503, 3, "HTTP 503"), (200, 1, "did not return a PDF")],
)
def test_only_429_and_5xx_are_retried_and_the_error_never_shows_the_link(
    status: int, attempts: int, reason: str
) -> None:
    url = "https://www.out-smart.com/mailpdf.php?action=display&sheet_id=SECRET77"
    body = b"<html>not a pdf</html>"
    with respx.mock() as router, httpx.Client() as http:
        route = router.get(url).respond(status, content=body)
        with pytest.raises(OutSmartDocumentError) as raised:
            client(http).download_workorder_pdf(url)
    assert route.call_count == attempts
    assert "SECRET77" not in str(raised.value)
    assert reason in raised.value.reason
