"""Follow Billit's ``NextPageLink`` until it is null, as a stream of rows.

Safety rules: the link must stay on the configured API origin (the bearer token is never
sent elsewhere); a link seen before stops the walk; the number of pages is bounded.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from billit_sync.billit.errors import BillitProtocolError
from billit_sync.billit.http import BillitHttp
from billit_sync.observability import logger

# 500 pages of 120 rows = 60,000 rows: far above a tenant's customers or products.
DEFAULT_MAX_PAGES = 500
# ⚠ Billit's prose spells ``NextpageLink``: keys are read case-insensitively.
_NEXT_LINK_KEY = "nextpagelink"
_ITEMS_KEY = "items"


class BillitPaginationError(BillitProtocolError):
    """The page chain cannot be followed safely (foreign host, too many pages, bad shape)."""


def _key(mapping: Mapping[str, Any], name: str) -> Any:
    for key, value in mapping.items():
        if str(key).lower() == name:
            return value
    return None


def split_page(body: Any, *, path: str) -> tuple[list[Any], str | None]:
    """The rows and the next link of one page (a bare JSON list is one last page)."""
    if isinstance(body, list):
        return body, None
    if not isinstance(body, Mapping):
        raise BillitPaginationError("Billit list answer is not an object", path=path)
    items = _key(body, _ITEMS_KEY)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise BillitPaginationError("Billit list answer has no Items list", path=path)
    link = _key(body, _NEXT_LINK_KEY)
    if link is not None and not isinstance(link, str):
        raise BillitPaginationError("Billit NextPageLink is not a string", path=path)
    return items, (link or None)


def iter_rows(
    http: BillitHttp,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    company: bool = True,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[Any]:
    """Every row of a list endpoint, page by page (lazily: one page in memory at a time)."""
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    body = http.get_json(path, params=params, company=company)
    seen = {str(httpx.URL(http.endpoints.api(path), params=params))}
    pages = 1
    while True:
        items, link = split_page(body, path=path)
        yield from items
        if link is None:
            return
        next_url = _resolve(http, link, path=path)
        if str(next_url) in seen:
            logger.warning("Billit repeated a NextPageLink; stopping", extra={"path": path})
            return
        seen.add(str(next_url))
        if pages >= max_pages:
            raise BillitPaginationError(
                f"Billit GET {path}: more than {max_pages} pages; refusing to continue",
                path=path,
            )
        body = http.get_json(str(next_url), company=company)
        pages += 1


def _resolve(http: BillitHttp, link: str, *, path: str) -> httpx.URL:
    """An absolute next-page URL on the API origin; anything else is refused."""
    try:
        url = httpx.URL(http.endpoints.api_url).join(link)
    except (httpx.InvalidURL, ValueError):
        raise BillitPaginationError("Billit NextPageLink is not a URL", path=path) from None
    if not http.endpoints.is_api_origin(url):
        raise BillitPaginationError(
            f"Billit GET {path}: NextPageLink points outside the configured API; refused",
            path=path,
        )
    return url
