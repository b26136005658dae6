"""``__Host-`` cookies of the browser routes, and reading one back from the event."""

from collections.abc import Iterable

from aws_lambda_powertools.shared.cookies import Cookie, SameSite


def host_cookie(
    name: str, value: str, *, max_age: int, same_site: SameSite, partitioned: bool = False
) -> Cookie:
    """``__Host-``: Secure, Path=/ and no Domain, so no sibling host can set or read it;
    HttpOnly, so no script can. ``partitioned`` (CHIPS) keeps a cookie that is used inside
    another site's iframe working where third-party cookies are blocked."""
    if not name.startswith("__Host-"):
        raise ValueError("browser cookies of this service are __Host- cookies")
    return Cookie(
        name=name,
        value=value,
        path="/",
        secure=True,
        http_only=True,
        same_site=same_site,
        max_age=max_age,
        custom_attributes=["Partitioned"] if partitioned else None,
    )


def cookie_value(cookies: Iterable[str] | None, name: str) -> str | None:
    """The value of cookie ``name`` from API Gateway's ``cookies`` list (payload 2.0)."""
    for cookie in cookies or []:
        key, _, value = cookie.partition("=")
        if key.strip() == name and value.strip():
            return value.strip()
    return None
