"""Small HTML pages for the browser routes (/connect and /oauth/callback)."""

import html

from aws_lambda_powertools.event_handler import Response, content_types

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto;">
<h1>{title}</h1><p>{message}</p></body></html>
"""


def html_page(status_code: int, title: str, message: str) -> Response[str]:
    body = _PAGE.format(title=html.escape(title), message=html.escape(message))
    return Response(
        status_code=status_code,
        content_type=content_types.TEXT_HTML,
        body=body,
        headers={"Cache-Control": "no-store"},
    )


def redirect(location: str) -> Response[str]:
    return Response(
        status_code=302,
        content_type=content_types.TEXT_PLAIN,
        body="",
        headers={"Location": location, "Cache-Control": "no-store"},
    )
