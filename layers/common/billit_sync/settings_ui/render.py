"""HTML of the settings page: Jinja2 templates (autoescape on) and the security headers.

The Content-Security-Policy allows nothing by default: the page's one stylesheet from this
service, forms that post to this service (and, for the connect form, the redirect on to
Billit's login, which Chrome checks against ``form-action`` too), no script at all, and
``frame-ancestors`` exactly the return-URL allow-list (OutSmart's origins), so OutSmart can
show the page in an iframe and nobody else can.
"""

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Final

import httpx
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from billit_sync.messages import Language
from billit_sync.settings_ui.texts import UI_TEXTS

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
STYLESHEET: Final = "settings.css"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def _origin(url: str) -> str | None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return None
    if parsed.scheme not in {"https", "http"} or not parsed.host:
        return None
    port = "" if parsed.port is None else f":{parsed.port}"
    return f"{parsed.scheme}://{parsed.host}{port}"


def content_security_policy(frame_ancestors: Iterable[str], form_targets: Iterable[str]) -> str:
    ancestors = sorted({o for o in map(_origin, frame_ancestors) if o})
    targets = sorted({o for o in map(_origin, form_targets) if o})
    return "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "base-uri 'none'",
            "form-action " + " ".join(["'self'", *targets]),
            "frame-ancestors " + " ".join(["'self'", *ancestors]),
        ]
    )


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def message_page(language: Language, title_key: str, text_key: str, *, back: bool) -> str:
    texts = {key: value[language] for key, value in UI_TEXTS.items()}
    return render(
        "message.html",
        language=language,
        title=texts[title_key],
        text=texts[text_key],
        back=back,
        texts=texts,
    )


def stylesheet() -> str:
    return (STATIC_DIR / STYLESHEET).read_text(encoding="utf-8")
