"""Where Billit lives. The URLs come from configuration (the SAM template maps the
``sandbox``/``production`` parameter to them); this package hard-codes no host.
"""

from dataclasses import dataclass

import httpx

# Plain http is accepted only for the local fakes on the loopback interface.
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_url(name: str, value: str) -> httpx.URL:
    url = httpx.URL(value)
    if url.scheme not in {"https", "http"} or not url.host:
        raise ValueError(f"{name} must be an absolute https URL")
    if url.scheme == "http" and url.host not in _LOOPBACK_HOSTS:
        raise ValueError(f"{name} must use https")
    if url.query or url.fragment or url.userinfo:
        raise ValueError(f"{name} must not carry a query, fragment or credentials")
    return url


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and effective port: what must match before a bearer token is sent."""
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    return (url.scheme, url.host.lower(), port)


@dataclass(frozen=True)
class BillitEndpoints:
    """The REST base URL (``https://api[.sandbox].billit.be``) and the full Logon URL."""

    api_url: str
    login_url: str

    def __post_init__(self) -> None:
        api = _check_url("api_url", self.api_url)
        _check_url("login_url", self.login_url)
        object.__setattr__(self, "api_url", str(api).rstrip("/"))

    def api(self, path: str) -> str:
        """An absolute URL for a REST path such as ``/v1/parties``."""
        if not path.startswith("/"):
            raise ValueError("API paths start with '/'")
        return f"{self.api_url}{path}"

    @property
    def token_url(self) -> str:
        """Token and revoke live outside ``/v1`` (reference §1)."""
        return self.api("/OAuth2/token")

    @property
    def revoke_url(self) -> str:
        return self.api("/OAuth2/revoke")

    def is_api_origin(self, url: httpx.URL) -> bool:
        """True when ``url`` points at the configured API (scheme, host and port)."""
        return origin_of(url) == origin_of(httpx.URL(self.api_url))
