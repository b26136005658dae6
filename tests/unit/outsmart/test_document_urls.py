"""``PdfUrl`` as OutSmart gives it: every example is ``http://www.werkbonapp.nl/mailpdf.php``
(desc:2503, 2619) while the hosts serve https (``#/servers/1/url``). The client tries https on
the same host and path first, then the link as given, and never leaves OutSmart's hosts
(outsmart-api.md §4.1 Documents)."""

import httpx
import pytest
import respx

from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.errors import OutSmartDataError
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.unit.outsmart.conftest import MakeClient


def _pdf_link(tenant: OutSmartTenant) -> str:
    order = tenant.spec_example_workorder()
    link: str = order["PdfUrl"]
    assert link.startswith("http://www.werkbonapp.nl/mailpdf.php?action=display&sheet_id=")
    return link


def test_an_http_link_is_fetched_over_https_first(
    fake: OutSmartFake, tenant: OutSmartTenant, router: respx.MockRouter, client: OutSmartClient
) -> None:
    https = router.route(scheme="https", host="www.werkbonapp.nl").mock(side_effect=fake.handle)
    plain = router.route(scheme="http", host="www.werkbonapp.nl").mock(side_effect=fake.handle)

    content = client.download_workorder_pdf(_pdf_link(tenant))

    assert content.startswith(b"%PDF")
    assert https.call_count == 1
    assert plain.call_count == 0


def test_the_link_as_given_when_https_does_not_serve_it(
    fake: OutSmartFake, tenant: OutSmartTenant, router: respx.MockRouter, client: OutSmartClient
) -> None:
    https = router.route(scheme="https", host="www.werkbonapp.nl").mock(
        return_value=httpx.Response(404, text="Not found")
    )
    plain = router.route(scheme="http", host="www.werkbonapp.nl").mock(side_effect=fake.handle)

    content = client.download_workorder_pdf(_pdf_link(tenant))

    assert content.startswith(b"%PDF")
    assert (https.call_count, plain.call_count) == (1, 1)


@pytest.mark.parametrize(
    "link",
    [
        "http://evil.example/mailpdf.php?sheet_id=1",
        "ftp://www.werkbonapp.nl/mailpdf.php?sheet_id=1",
        "http://user:pw@www.werkbonapp.nl/mailpdf.php?sheet_id=1",
    ],
)
def test_links_outside_outsmart_are_never_fetched(
    link: str, router: respx.MockRouter, make_client: MakeClient, tenant: OutSmartTenant
) -> None:
    anything = router.route().mock(return_value=httpx.Response(200, content=b"%PDF-1.4"))
    with pytest.raises(OutSmartDataError):
        make_client().download_workorder_pdf(link)
    assert anything.call_count == 0
