"""Where the browser may be sent back to after the Billit login: only allow-listed origins."""

from typing import TYPE_CHECKING, Literal

from billit_sync.errors import BadInputError

if TYPE_CHECKING:
    import httpx

ConnectResult = Literal["connected", "not_connected", "error"]
RESULT_PARAMETER = "billit_connection"
REASON_PARAMETER = "billit_reason"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
MAX_RETURN_URL_LENGTH = 2048


class ReturnUrlNotAllowedError(BadInputError):
    """The return URL is not on the allow-list: refusing it prevents an open redirect."""


def _origin(url: "httpx.URL") -> str:
    default_port = {"https": 443, "http": 80}.get(url.scheme)
    port = "" if url.port in (None, default_port) else f":{url.port}"
    return f"{url.scheme}://{url.host.lower()}{port}"


def check_return_url(return_url: str | None, allow_list: tuple[str, ...]) -> str:
    """The return URL, if its origin (scheme, host, port) is exactly one of ``allow_list``.

    https only, except plain http on the loopback interface for the local stack.
    """
    import httpx  # noqa: PLC0415  (a settings page view needs only this module's parameter names)

    if not return_url or len(return_url) > MAX_RETURN_URL_LENGTH:
        raise ReturnUrlNotAllowedError("return_url is required")
    try:
        url = httpx.URL(return_url)
    except (httpx.InvalidURL, ValueError):
        raise ReturnUrlNotAllowedError("return_url is not a valid URL") from None
    secure = url.scheme == "https" or (url.scheme == "http" and url.host in _LOOPBACK_HOSTS)
    if not url.host or not secure or url.userinfo:
        raise ReturnUrlNotAllowedError("return_url must be an absolute https URL")
    allowed = {_origin(httpx.URL(origin)) for origin in allow_list}
    if _origin(url) not in allowed:
        raise ReturnUrlNotAllowedError("return_url is not on the allow-list of this service")
    return str(url)


def with_result(return_url: str, result: ConnectResult, reason: str | None = None) -> str:
    """The return URL with the outcome the settings page shows (``billit_connection=…``)."""
    import httpx  # noqa: PLC0415  (as in check_return_url)

    url = httpx.URL(return_url)
    params = url.params.remove(RESULT_PARAMETER).remove(REASON_PARAMETER)
    params = params.add(RESULT_PARAMETER, result)
    if reason:
        params = params.add(REASON_PARAMETER, reason)
    return str(url.copy_with(params=params))
