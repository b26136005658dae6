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


class SettingsPageVisitor:
    """The settings page as a browser without JavaScript uses it: the session cookie in the
    client's cookie jar, the CSRF token read from the page's forms (the demo's epilogue and
    the least-privilege story; the real browser tests use chromium)."""

    def __init__(self, client: httpx.Client, api_url: str) -> None:
        self.client = client
        self.api_url = api_url
        self.csrf_token = ""

    def open(self, ticket: str) -> httpx.Response:
        opened = self.client.get(f"{self.api_url}/ui/open", params={"ticket": ticket})
        return self.show(redirect_target(opened))

    def show(self, url: str | None = None) -> httpx.Response:
        page = self.client.get(url or f"{self.api_url}/ui/settings")
        page.raise_for_status()
        _, fields = hidden_form(page)
        self.csrf_token = fields.get("csrf_token", "")
        return page

    def post(self, path: str, fields: dict[str, str] | None = None) -> httpx.Response:
        """A form of the page; answers the page it redirects back to, or the redirect on to
        Billit's login. A refusal (403, 422…) raises ``httpx.HTTPStatusError``."""
        data = {"csrf_token": self.csrf_token} | (fields or {})
        answer = self.client.post(f"{self.api_url}{path}", data=data)
        if answer.status_code >= 400:
            answer.raise_for_status()
        if answer.status_code == 303 and answer.headers["Location"].startswith("/ui/"):
            return self.show(redirect_target(answer))
        return answer

    def connect(self, user: str, password: str) -> httpx.Response:
        """Open settings / Reconnect: Billit's login, the confirmation, back on the page."""
        login = self.client.get(redirect_target(self.post("/ui/connect")))
        action, fields = hidden_form(login)
        answer = self.client.post(
            action, data=fields | {"email": user, "password": password, "action": "allow"}
        )
        asked = self.client.get(redirect_target(answer))
        confirm_url, confirm_fields = hidden_form(asked)
        done = self.client.post(confirm_url, data=confirm_fields | {"decision": "connect"})
        return self.show(redirect_target(done))
