"""Debian's chromium, driven by Playwright (issue 15): the browser tests and the demo's
screenshot of the settings page. Playwright never downloads a browser here (no
``playwright install``): it launches ``/usr/bin/chromium``, which ``.ci/run`` installs on a
fresh Debian machine."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from billit_sync.tickets import TicketScope

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

    from local.stack import LocalStack

CHROMIUM = Path("/usr/bin/chromium")
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}


def chromium_missing() -> bool:
    return not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None


@contextlib.contextmanager
def chromium_page(viewport: ViewportSize | None = None) -> Iterator[Page]:
    """A page of a fresh headless chromium that accepts the local stack's self-signed
    certificate (only this throw-away browser does)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a dev dependency

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(
                ignore_https_errors=True, viewport=viewport or DESKTOP, locale="nl-BE"
            )
            yield context.new_page()
        finally:
            browser.close()


def settings_page_url(stack: LocalStack, tenant_id: str, language: str | None = None) -> str:
    """The link OutSmart puts in its iframe: a fresh single-use ``settings`` ticket."""
    ticket = stack.ticket(tenant_id, TicketScope.SETTINGS)
    suffix = f"&lang={language}" if language else ""
    return f"{stack.api.url}/ui/open?ticket={ticket}{suffix}"


def screenshot_settings_page(stack: LocalStack, tenant_id: str, path: Path) -> Path:
    """The settings page as the office sees it, saved as a PNG."""
    with chromium_page() as page:
        page.goto(settings_page_url(stack, tenant_id))
        page.wait_for_selector("#log")
        page.screenshot(path=str(path), full_page=True)
    return path
