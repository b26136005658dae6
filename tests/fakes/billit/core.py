"""What the Billit fake's route handlers share: state behind one lock, ids, time, paging,
idempotency keys, ownership checks and the webhook outbox."""

import copy
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx

from tests.fakes.billit import invoicing, jsoncodec, odata
from tests.fakes.billit.errors import ApiError, generic, json_response
from tests.fakes.billit.oauth import OAuthServer
from tests.fakes.billit.state import (
    IDEMPOTENCY_KEY,
    Company,
    RecordedCall,
    User,
    order_status,
)
from tests.fakes.billit.webhooks import (
    WebhookDelivery,
    payload,
    signature,
)
from tests.fakes.faults import FaultPlan

Auth = Literal["none", "user", "company"]
# billit-api.md §6: "Idempotency-Key" (idempotent-tokens page, confac) or "Idempotent-Key"
# (header-values page); which one Billit reads is unknown. The fake honours exactly one,
# chosen per test (``BillitFake.idempotency_header``), and ignores the other.
IDEMPOTENCY_HEADER_NAMES = ("Idempotency-Key", "Idempotent-Key")


@dataclass
class Ctx:
    """What a route handler gets: the request, its path arguments and who is calling."""

    request: httpx.Request
    args: tuple[str, ...]
    user: User | None = None
    company: Company | None = None

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.url.params)

    @property
    def id(self) -> int:
        return int(self.args[0])

    def the_company(self) -> Company:
        assert self.company is not None, "route declared without company auth"
        return self.company

    def the_user(self) -> User:
        assert self.user is not None, "route declared without user auth"
        return self.user


Handler = Callable[[Ctx], httpx.Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: Auth


def empty(status: int = 200) -> httpx.Response:
    return httpx.Response(status)


def decimalize(value: Any) -> Any:
    """Seeded floats become exact decimals (``55.0`` -> ``Decimal('55.0')``)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: decimalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decimalize(item) for item in value]
    return value


def json_body(request: httpx.Request) -> Any:
    try:
        return jsoncodec.loads(request.content or b"null")
    except ValueError:
        raise generic("The request body is not valid JSON.") from None


def json_object(request: httpx.Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise generic("The request body must be a JSON object.")
    return body


def normalize_identifier(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


class BillitCore:
    """Everything the route handlers share; all of it is guarded by ``_lock``."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: Sequence[str],
        clock: Callable[[], float],
        faults: FaultPlan | None,
        page_size: int,
        access_token_lifetime: int,
    ) -> None:
        self.faults: FaultPlan = faults if faults is not None else FaultPlan()
        self.calls: list[RecordedCall] = []
        self.outbox: list[WebhookDelivery] = []
        self.page_size = page_size
        # Benchmarks that page through big lists nobody changes meanwhile set this: each list's
        # filtered, ordered rows are worked out once instead of for every page (the fake's CPU
        # would otherwise be measured as the client's). Never on while data changes.
        self.reuse_ordered_rows = False
        self._ordered_rows: dict[tuple[object, ...], list[dict[str, Any]]] = {}
        self.idempotency_header = IDEMPOTENCY_HEADER_NAMES[0]
        self.next_link_form: Literal["absolute", "relative", "http", "internal"] = "absolute"
        # Message events (billit-api.md §5): payload generation, the receiver's feedback as
        # an insert or an update, with or without its flow state.
        self.message_detail: Literal["current", "flat", "empty"] = "current"
        self.feedback_update_type: Literal["I", "U"] = "I"
        self.feedback_flow_state = True
        # Whether new delivery details move the order's LastModified: undocumented (§5
        # "Polling": the details "could be updated more than one time during a few days", so
        # open invoices are polled ~14 days whatever LastModified says).
        self.delivery_touches_last_modified = True
        # The body of the 401 for an unknown Customer.PartyID: "envelope" or "empty".
        self.unknown_customer_body: Literal["envelope", "empty"] = "envelope"
        self._clock = clock
        self._lock = threading.RLock()
        self._client_id = client_id
        self._oauth = OAuthServer(clock, access_token_lifetime)
        self._oauth.add_client(client_id, client_secret, redirect_uris)
        self._users: dict[str, User] = {}
        self._companies: dict[int, Company] = {}
        self._peppol_directory: set[str] | None = None  # None: every identifier is registered
        self._next_party_id = 512340
        self._next_product_id = 30001
        self._next_order_id = 2731904
        self._next_line_id = 20506599
        self._next_webhook_id = 101
        self._next_message_id = 690998

    def _now_moment(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC).replace(tzinfo=None)

    def _now(self) -> str:
        return invoicing.format_timestamp(self._now_moment())

    def _today(self) -> str:
        midnight = self._now_moment().replace(hour=0, minute=0, second=0, microsecond=0)
        return invoicing.format_timestamp(midnight)

    def _company(self, company_id: int) -> Company:
        company = self._companies.get(company_id)
        if company is None:
            raise KeyError(f"unknown company {company_id}")
        return company

    def _owned(self, ctx: Ctx, attribute: str, entity: str, entity_id: int) -> dict[str, Any]:
        """A record of the caller's company; 401 when another company owns it, else 404."""
        records: dict[int, dict[str, Any]] = getattr(ctx.the_company(), attribute)
        if entity_id in records:
            return records[entity_id]
        if any(entity_id in getattr(other, attribute) for other in self._companies.values()):
            raise ApiError(401, "Unauthorized", f"No access to {entity} {entity_id}.")
        raise ApiError(404, "NotFound", f"{entity} {entity_id} was not found.")

    def _page(
        self,
        ctx: Ctx,
        records: Sequence[dict[str, Any]],
        schema: odata.Schema,
        row: Callable[[dict[str, Any]], dict[str, Any]] = copy.deepcopy,
    ) -> httpx.Response:
        params = ctx.params
        page = odata.query(
            records,
            params,
            schema,
            self.page_size,
            reuse=self._ordered_rows if self.reuse_ordered_rows else None,
        )
        next_link = None
        if page.next_skip is not None:
            query = {key: value for key, value in params.items() if key != "$skip"}
            query["$skip"] = str(page.next_skip)
            url = ctx.request.url
            encoded = urlencode(query, quote_via=quote, safe="$'/:,")
            next_link = self._next_link(url, encoded)
        items = [row(item) for item in page.items]
        return json_response(200, {"Items": items, "NextPageLink": next_link, "Count": page.count})

    def _next_link(self, url: httpx.URL, encoded: str) -> str:
        """``NextPageLink`` in the form chosen per test (billit-api.md §4: the form is
        undocumented; absolute or relative, and scheme/host behind Billit's proxy unknown)."""
        form = self.next_link_form
        if form == "relative":
            return f"{url.path}?{encoded}"
        if form == "http":  # TLS terminated in front of the API: the link says http://
            return f"http://{url.netloc.decode()}{url.path}?{encoded}"
        if form == "internal":  # the proxy's inner host and path prefix leak into the link
            return f"http://billit-api-internal:8080/api{url.path}?{encoded}"
        return f"{url.scheme}://{url.netloc.decode()}{url.path}?{encoded}"

    def _idempotency_keys(self, ctx: Ctx) -> set[str]:
        value = ctx.request.headers.get(self.idempotency_header)
        keys = {value} if value is not None else set()
        for key in keys:
            if not IDEMPOTENCY_KEY.fullmatch(key):
                raise generic("The idempotency key must be alphanumeric (max 100 characters).")
            if key in ctx.the_company().idempotency_keys:
                raise ApiError(409, "Idempotent token already exists")
        return keys

    def _registered_on_peppol(self, party: dict[str, Any]) -> bool:
        if self._peppol_directory is None:
            return True
        candidates = (party.get("PeppolIdentifier"), party.get("VATNumber"))
        return any(
            isinstance(value, str) and normalize_identifier(value) in self._peppol_directory
            for value in candidates
        )

    def _touch(self, order: dict[str, Any]) -> None:
        order["OrderStatus"] = order_status(order)
        order["ToPay"] = Decimal("0.00") if order["Paid"] else order["TotalIncl"]
        order["LastModified"] = self._now()

    def _emit(
        self,
        company: Company,
        entity_type: str,
        update_type: str,
        entity_id: int,
        detail: dict[str, Any],
    ) -> None:
        """Queue one signed delivery per matching webhook of the company."""
        event = payload(entity_type, update_type, entity_id, detail)
        body = jsoncodec.dumps(event)
        timestamp = int(self._clock())
        for hook in company.webhooks.values():
            if hook["EntityType"] != entity_type or hook["EntityUpdateType"] != update_type:
                continue
            headers = {
                "Content-Type": "application/json",
                "Billit-Signature": signature(hook["Secret"], timestamp, body),
            }
            self.outbox.append(
                WebhookDelivery(
                    url=hook["WebhookURL"],
                    body=body,
                    headers=headers,
                    webhook_id=hook["WebhookID"],
                    entity_type=entity_type,
                    update_type=update_type,
                    payload=jsoncodec.loads(body),
                )
            )

    def _user(self, email: str) -> User:
        user = self._users.get(email.strip().lower())
        if user is None:
            raise ValueError(f"unknown user {email}")
        return user

    def _take_party_id(self) -> int:
        party_id = self._next_party_id
        self._next_party_id += 1
        return party_id

    def _insert_party(self, company: Company, fields: dict[str, Any]) -> dict[str, Any]:
        now = self._now()
        party_id = self._take_party_id()
        record: dict[str, Any] = {"PartyID": party_id, "PartyType": "Customer"}
        record.update(decimalize(fields))
        record.setdefault("Created", now)
        record.setdefault("LastModified", now)
        company.parties[party_id] = record
        return record
