"""Follow Billit's ``NextPageLink`` until it is null, as a stream of rows.

Safety rules: only the link's path and query are used, always against the configured API
(the bearer token is never sent elsewhere); a link that does not name the list falls back to
``$skip`` paging; a link seen before stops the walk; the number of pages is bounded.
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
    """Every row of a list endpoint, page by page (lazily: one page in memory at a time).

    The next page (reference §4): the link's path and query re-issued on the configured API
    when its path is the request's own (an absolute, relative or ``http://`` link all work;
    the token never leaves the configured origin); otherwise ``$skip`` = the previous
    ``$skip`` + the rows received, with the same ``$filter``/``$orderby``. Rows already seen
    (same id) are skipped: rows shift while data changes.
    """
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    current: dict[str, str] = dict(params or {})
    body = http.get_json(path, params=current, company=company)
    seen = {str(httpx.URL(http.endpoints.api(path), params=current))}
    seen_ids: set[tuple[str, str]] = set()
    pages = 1
    while True:
        items, link = split_page(body, path=path)
        for item in items:
            row_id = _row_id(item)
            if row_id is not None:
                if row_id in seen_ids:
                    continue
                seen_ids.add(row_id)
            yield item
        if link is None or not items:
            return
        next_params = _next_params(http, link, path=path)
        if next_params is None:
            skip = _int(current.get("$skip")) + len(items)
            next_params = {**current, "$skip": str(skip)}
            logger.info(
                "Billit NextPageLink not usable on the configured API; paging by $skip",
                extra={"path": path, "skip": skip},
            )
        next_url = str(httpx.URL(http.endpoints.api(path), params=next_params))
        if next_url in seen:
            logger.warning("Billit repeated a NextPageLink; stopping", extra={"path": path})
            return
        seen.add(next_url)
        if pages >= max_pages:
            raise BillitPaginationError(
                f"Billit GET {path}: more than {max_pages} pages; refusing to continue",
                path=path,
            )
        current = next_params
        body = http.get_json(path, params=current, company=company)
        pages += 1


# Row ids that identify a row of Billit's lists (dedupe across pages).
_ID_KEYS = ("orderid", "partyid", "productid", "webhookid")


def _row_id(row: Any) -> tuple[str, str] | None:
    if not isinstance(row, Mapping):
        return None
    for key, value in row.items():
        name = str(key).lower()
        if name in _ID_KEYS and value is not None:
            return name, str(value)
    return None


def _int(text: str | None) -> int:
    try:
        return max(0, int(text)) if text is not None else 0
    except ValueError:
        return 0


def _next_params(http: BillitHttp, link: str, *, path: str) -> dict[str, str] | None:
    """The query of the next page when the link names this very list, else None.

    Scheme, host and port of the link are ignored (Billit's proxy may show ``http://`` or an
    inner host, reference §4): the request always goes to the configured API.
    """
    try:
        url = httpx.URL(http.endpoints.api_url).join(link.strip())
    except (httpx.InvalidURL, ValueError):
        return None
    if url.path.rstrip("/").lower() != path.rstrip("/").lower():
        return None
    return dict(url.params.multi_items())
