"""Keep credentials out of logs: OutSmart puts its tokens in the query string."""

import httpx


def safe_url(url: httpx.URL | str) -> str:
    """The URL without query string or user info, fit for logs and error messages."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(query=None, fragment=None, username=None, password=None))


def describe_request(request: httpx.Request) -> str:
    """``METHOD https://host/path`` with the query string dropped."""
    return f"{request.method} {safe_url(request.url)}"
