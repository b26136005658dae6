import httpx

from billit_sync.http.redact import describe_request, safe_url


def test_safe_url_drops_query_fragment_and_credentials() -> None:
    url = "https://user:pw@www.out-smart.com/openapi/8/GetWorkorders/?token=T0K&software_token=S#x"
    assert safe_url(url) == "https://www.out-smart.com/openapi/8/GetWorkorders/"


def test_describe_request_keeps_method_and_path_only() -> None:
    request = httpx.Request("POST", "https://api.billit.test/v1/orders?code=abc")
    assert describe_request(request) == "POST https://api.billit.test/v1/orders"
