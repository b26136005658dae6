"""Small HTML pages for the browser routes (/connect, /oauth/callback, /oauth/confirm)."""

import html

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.shared.cookies import Cookie

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>{title}</h1>{body}</body></html>
"""
# Browser pages are never framed (clickjacking of the confirmation) and never cached.
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def html_page(
    status_code: int,
    title: str,
    message: str,
    *,
    lang: str = "en",
    cookies: list[Cookie] | None = None,
) -> Response[str]:
    return html_document(
        status_code, title, f"<p>{html.escape(message)}</p>", lang=lang, cookies=cookies
    )


def html_document(
    status_code: int,
    title: str,
    body_html: str,
    *,
    lang: str = "en",
    cookies: list[Cookie] | None = None,
) -> Response[str]:
    """``body_html`` is trusted markup: callers escape every value they put in it."""
    body = _PAGE.format(lang=html.escape(lang), title=html.escape(title), body=body_html)
    return Response(
        status_code=status_code,
        content_type=content_types.TEXT_HTML,
        body=body,
        headers=dict(_HEADERS),
        cookies=cookies,
    )


def redirect(location: str, *, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(
        status_code=302,
        content_type=content_types.TEXT_PLAIN,
        body="",
        headers={"Location": location, "Cache-Control": "no-store"},
        cookies=cookies,
    )
