"""Just enough of a browser for the connect flow: follow one redirect, fill in a form."""

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        if tag == "input" and attributes.get("type") == "hidden" and "name" in attributes:
            self.fields[attributes["name"]] = attributes.get("value", "")


def hidden_form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The first form's absolute action URL and its hidden fields."""
    parser = _FormParser()
    parser.feed(page.text)
    if parser.action is None:
        raise ValueError(f"no form on {page.url}")
    return urljoin(str(page.url), parser.action), parser.fields


def redirect_target(response: httpx.Response) -> str:
    if response.status_code not in {301, 302, 303, 307, 308}:
        raise ValueError(
            f"{response.request.url.path} answered {response.status_code}, not a redirect"
        )
    return urljoin(str(response.url), response.headers["Location"])
