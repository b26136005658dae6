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
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from billit_sync.messages import Language
from billit_sync.settings_ui.texts import UI_TEXTS

if TYPE_CHECKING:
    from jinja2 import Environment

HERE: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
STYLESHEET: Final = "settings.css"


@cache
def environment() -> "Environment":
    """Built by the first answer that is a page: a redirect (opening the page, every button)
    and the stylesheet need no template engine, so loading one is left to this (issue 16)."""
    from jinja2 import (  # noqa: PLC0415 - only a page answer renders
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL (the default port left out), else None.
    The standard library's parser: every page computes these, and httpx is not needed to
    show one (cold start, issue 16)."""
    try:
        parsed = urlsplit(url)
        port = parsed.port
    except ValueError:
        return None
    scheme, host = parsed.scheme.lower(), parsed.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    shown = "" if port is None or port == _DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{host}{shown}"


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
