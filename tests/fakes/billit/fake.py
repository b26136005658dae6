"""``BillitFake``: one stateful, in-memory Billit behind a single ``handle(request)`` function.

It answers on whatever host it is called: the login page under ``/Account/Logon``, the token
endpoints under ``/OAuth2/token`` and ``/OAuth2/revoke`` and the REST API under ``/v1/...``.
All state sits behind one lock, since ``tests.fakes.server`` serves it from several threads.
Tests seed it and look inside through plain methods; clients only ever talk HTTP to it.
"""

import copy
import hmac
import re
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.fakes.billit import invoicing, jsoncodec, odata
from tests.fakes.billit.core import (
    IDEMPOTENCY_HEADER_NAMES,
    Auth,
    Ctx,
    Handler,
    Route,
    decimalize,
    empty,
    json_object,
    normalize_identifier,
)
from tests.fakes.billit.errors import ApiError, OAuthError, generic, json_response
from tests.fakes.billit.oauth import error_page, login_page, redirect_location
from tests.fakes.billit.orders import OrderRoutes
from tests.fakes.billit.state import (
    PARTY_SCHEMA,
    PRODUCT_SCHEMA,
    Company,
    RecordedCall,
    User,
)
from tests.fakes.billit.webhooks import (
    ENTITY_TYPES,
    MAX_WEBHOOKS,
    UPDATE_TYPES,
    WebhookDelivery,
    payload,
    signature,
)
from tests.fakes.faults import FaultPlan, apply_faults


class BillitFake(OrderRoutes):
    """A stateful fake of Billit (OAuth, parties, products, orders, webhooks)."""

    def __init__(
        self,
        *,
        client_id: str = "outsmart-client",
        client_secret: str = "outsmart-client-secret",  # noqa: S107 - the fake's own default
        redirect_uris: Sequence[str] = ("https://connector.example/oauth/callback",),
        clock: Callable[[], float] = time.time,
        faults: FaultPlan | None = None,
        page_size: int = 120,
        access_token_lifetime: int = 3600,
        idempotency_header: str = IDEMPOTENCY_HEADER_NAMES[0],
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=redirect_uris,
            clock=clock,
            faults=faults,
            page_size=page_size,
            access_token_lifetime=access_token_lifetime,
        )
        if idempotency_header not in IDEMPOTENCY_HEADER_NAMES:
            raise ValueError(f"idempotency_header must be one of {IDEMPOTENCY_HEADER_NAMES}")
        self.idempotency_header = idempotency_header
        # The token endpoint's error body: OAuth2's (RFC 6749 §5.2) or Billit's envelope.
        self.token_error_shape: Literal["oauth", "billit"] = "oauth"
        self.account_requires_party_id = False
        self.webhook_secret_delivery: Literal["answer", "confirmation", "both"] = "answer"
        self.confirmation_secret_key = "Secret"
        self.confirmation_signed = True
        self._routes = self._build_routes()

    # == the entry point ===================================================================

    def handle(self, request: httpx.Request) -> httpx.Response:
        call = RecordedCall(
            method=request.method,
            path=request.url.path,
            query=dict(request.url.params),
            idempotency_key=request.headers.get(self.idempotency_header),
            party_id=request.headers.get("PartyID"),
        )
        with self._lock:
            self.calls.append(call)

        def process(req: httpx.Request) -> httpx.Response:
            response = self._process(req)
            call.status = response.status_code
            return response

        return apply_faults(self.faults, request, process)

    def _process(self, request: httpx.Request) -> httpx.Response:
        request.read()
        with self._lock:
            try:
                route, args = self._route(request)
                return route.handler(self._context(route, request, args))
            except (ApiError, OAuthError) as error:
                return error.response()
            except odata.ODataError as error:
                return generic(error.description).response()

    def _build_routes(self) -> list[Route]:
        table: list[tuple[str, str, Handler, Auth]] = [
            ("GET", r"/Account/Logon", self._get_logon, "none"),
            ("POST", r"/Account/Logon", self._post_logon, "none"),
            ("POST", r"/OAuth2/token", self._post_token, "none"),
            ("POST", r"/OAuth2/revoke", self._post_revoke, "none"),
            ("GET", r"/v1/account/accountInformation", self._get_account, "user"),
            ("GET", r"/v1/peppol/participantInformation/([^/]+)", self._get_peppol, "none"),
            ("GET", r"/v1/parties", self._list_parties, "company"),
            ("GET", r"/v1/parties/(\d+)", self._get_party, "company"),
            ("GET", r"/v1/products", self._list_products, "company"),
            ("GET", r"/v1/products/(\d+)", self._get_product, "company"),
            ("POST", r"/v1/orders", self._create_order, "company"),
            ("GET", r"/v1/orders", self._list_orders, "company"),
            ("POST", r"/v1/orders/commands/send", self._send_orders, "company"),
            ("GET", r"/v1/orders/(\d+)", self._get_order, "company"),
            ("PATCH", r"/v1/orders/(\d+)", self._patch_order, "company"),
            ("DELETE", r"/v1/orders/(\d+)", self._delete_order, "company"),
            ("POST", r"/v1/webhooks", self._create_webhook, "company"),
            ("GET", r"/v1/webhooks", self._list_webhooks, "company"),
            ("DELETE", r"/v1/webhooks/(\d+)", self._delete_webhook, "company"),
        ]
        return [
            Route(method, re.compile(pattern, re.IGNORECASE), handler, auth)
            for method, pattern, handler, auth in table
        ]

    def _route(self, request: httpx.Request) -> tuple[Route, tuple[str, ...]]:
        path = request.url.path.rstrip("/") or "/"
        path_known = False
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method == request.method.upper():
                return route, match.groups()
            path_known = True
        if path_known:
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed here.")
        raise ApiError(404, "NotFound", f"No resource at '{path}'.")

    def _context(self, route: Route, request: httpx.Request, args: tuple[str, ...]) -> Ctx:
        ctx = Ctx(request, args)
        if route.auth == "none":
            return ctx
        ctx.user = self._user(self._oauth.authenticate(request))
        if route.auth == "company":
            ctx.company = self._company_of(ctx.user, request.headers.get("PartyID"))
        return ctx

    def _company_of(self, user: User, header: str | None) -> Company:
        if not header:
            raise ApiError(401, "PartyIDRequired", "Company calls need the PartyID header.")
        party_id = int(header) if header.strip().isdigit() else None
        if party_id is None or party_id not in user.companies:
            raise ApiError(401, "NoAccessToParty", "The user has no access to this PartyID.")
        return self._companies[party_id]

    def _get_logon(self, ctx: Ctx) -> httpx.Response:
        params = ctx.params
        client_id, redirect_uri = params.get("client_id"), params.get("redirect_uri")
        problem = self._oauth.authorize_problem(client_id, redirect_uri)
        if problem or client_id is None or redirect_uri is None:
            return error_page(problem or "Invalid request.")
        return login_page(client_id, redirect_uri, params.get("state"))

    def _post_logon(self, ctx: Ctx) -> httpx.Response:
        form = dict(parse_qsl(ctx.request.content.decode(), keep_blank_values=True))
        client_id, redirect_uri = form.get("client_id"), form.get("redirect_uri")
        problem = self._oauth.authorize_problem(client_id, redirect_uri)
        if problem or client_id is None or redirect_uri is None:
            return error_page(problem or "Invalid request.")
        state = form.get("state")
        if form.get("action") == "deny":
            location = redirect_location(redirect_uri, {"error": "access_denied", "state": state})
            return httpx.Response(302, headers={"Location": location})
        user = self._users.get(form.get("email", "").strip().lower())
        if user is None or not hmac.compare_digest(form.get("password", ""), user.password):
            return login_page(client_id, redirect_uri, state, error="Invalid e-mail or password.")
        code = self._oauth.issue_code(client_id, redirect_uri, user.email)
        location = redirect_location(redirect_uri, {"code": code, "state": state})
        return httpx.Response(302, headers={"Location": location})

    def _post_token(self, ctx: Ctx) -> httpx.Response:
        request = ctx.request
        if "Authorization" in request.headers:
            raise OAuthError(
                400, "invalid_request", "Send the client credentials in the JSON body only."
            )
        if "json" not in request.headers.get("Content-Type", "").lower():
            raise OAuthError(400, "invalid_request", "The token request must be a JSON body.")
        try:
            body = jsoncodec.loads(request.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The token request must be a JSON object.")
        try:
            answer = self._oauth.token(body)
        except OAuthError as error:
            if self.token_error_shape == "billit":
                # billit-api.md §2: the token endpoint's error shape is undocumented; the
                # fake also plays Billit's REST envelope {"errors":[{"Code":…}]} (§7).
                raise ApiError(error.status, error.error, error.description) from None
            raise
        return json_response(200, answer, headers={"Cache-Control": "no-store"})

    def _post_revoke(self, ctx: Ctx) -> httpx.Response:
        self._oauth.revoke_bearer(ctx.request)
        return empty()

    def _get_account(self, ctx: Ctx) -> httpx.Response:
        user = ctx.the_user()
        if self.account_requires_party_id:
            # billit-api.md §2 ⚠: [doc: create-new-companies] "Include Party ID of one company
            # in the header"; [bmcp] sends none. Played per test: False (default) or True.
            self._company_of(user, ctx.request.headers.get("PartyID"))
        companies = [self._companies[party_id] for party_id in user.companies]
        return json_response(
            200,
            {
                "Email": user.email,
                "FirstName": user.first_name,
                "LastName": user.last_name,
                "Companies": [company.summary() for company in companies],
                "UserCompanyRoles": [
                    {"PartyID": company.party_id, "UserRoleTypes": ["Admin"]}
                    for company in companies
                ],
                "ExternalProviderID": None,
                "ExternalProviderTC": None,
                "LoginOrRegisterNeeded": False,
            },
        )

    def _get_peppol(self, ctx: Ctx) -> httpx.Response:
        identifier = normalize_identifier(ctx.args[0])
        registered = self._peppol_directory is None or identifier in self._peppol_directory
        return json_response(200, {"Identifier": ctx.args[0], "Registered": registered})

    def _list_parties(self, ctx: Ctx) -> httpx.Response:
        parties = list(ctx.the_company().parties.values())
        if term := ctx.params.get("fullTextSearch", "").strip().lower():
            searched = ("Name", "CommercialName", "DisplayName", "VATNumber", "Email", "Nr", "City")
            parties = [
                party
                for party in parties
                if any(term in str(party.get(name) or "").lower() for name in searched)
            ]
        return self._page(ctx, parties, PARTY_SCHEMA)

    def _get_party(self, ctx: Ctx) -> httpx.Response:
        return json_response(200, self._owned(ctx, "parties", "Party", ctx.id))

    def _list_products(self, ctx: Ctx) -> httpx.Response:
        return self._page(ctx, list(ctx.the_company().products.values()), PRODUCT_SCHEMA)

    def _get_product(self, ctx: Ctx) -> httpx.Response:
        return json_response(200, self._owned(ctx, "products", "Product", ctx.id))

    def _create_webhook(self, ctx: Ctx) -> httpx.Response:
        company = ctx.the_company()
        body = json_object(ctx.request)
        entity_type, update_type = body.get("EntityType"), body.get("EntityUpdateType")
        url = body.get("WebhookURL")
        if entity_type not in ENTITY_TYPES:
            raise generic(f"EntityType must be one of {', '.join(ENTITY_TYPES)}.")
        if update_type not in UPDATE_TYPES:
            raise generic(f"EntityUpdateType must be one of {', '.join(UPDATE_TYPES)}.")
        if not isinstance(url, str) or urlsplit(url).scheme != "https" or not urlsplit(url).netloc:
            raise generic("WebhookURL must be an HTTPS URL.")
        if len(company.webhooks) >= MAX_WEBHOOKS:
            raise generic(f"A company can have at most {MAX_WEBHOOKS} webhooks.")
        webhook = {
            "WebhookID": self._next_webhook_id,
            "EntityType": entity_type,
            "EntityUpdateType": update_type,
            "WebhookURL": url,
            "Secret": secrets.token_hex(32),
            "Created": self._now(),
        }
        self._next_webhook_id += 1
        company.webhooks[webhook["WebhookID"]] = webhook
        # billit-api.md §5: "This payload will provide you a Secret" (webhooks page) vs "a
        # Message confirmation will be sent as a webhook. This message does contain the
        # secret" (use-webhooks). Played per test: "answer", "confirmation" or "both".
        answer = dict(webhook)
        if self.webhook_secret_delivery == "confirmation":
            del answer["Secret"]
        if self.webhook_secret_delivery in ("confirmation", "both"):
            self._confirm_webhook(webhook)
        return json_response(200, answer)

    def _confirm_webhook(self, webhook: dict[str, Any]) -> None:
        """The "Message confirmation" delivery carrying the secret. ⚠ Its shape and signing
        are undocumented (§5): a Message-typed envelope whose detail names the webhook and
        holds the secret under ``confirmation_secret_key``; signed with that very secret,
        or not at all (``confirmation_signed``)."""
        detail = {
            "WebhookID": webhook["WebhookID"],
            "EntityType": webhook["EntityType"],
            "EntityUpdateType": webhook["EntityUpdateType"],
            "Description": "Webhook created",
            self.confirmation_secret_key: webhook["Secret"],
        }
        body = jsoncodec.dumps(payload("Message", "I", webhook["WebhookID"], detail))
        headers = {"Content-Type": "application/json"}
        if self.confirmation_signed:
            headers["Billit-Signature"] = signature(webhook["Secret"], int(self._clock()), body)
        self.outbox.append(
            WebhookDelivery(
                url=webhook["WebhookURL"],
                body=body,
                headers=headers,
                webhook_id=webhook["WebhookID"],
                entity_type="Message",
                update_type="I",
                payload=jsoncodec.loads(body),
            )
        )

    def _list_webhooks(self, ctx: Ctx) -> httpx.Response:
        hooks = [
            {key: value for key, value in hook.items() if key != "Secret"}
            for hook in ctx.the_company().webhooks.values()
        ]
        return json_response(200, hooks)

    def _delete_webhook(self, ctx: Ctx) -> httpx.Response:
        self._owned(ctx, "webhooks", "Webhook", ctx.id)
        del ctx.the_company().webhooks[ctx.id]
        return empty()

    def add_client(self, client_id: str, client_secret: str, redirect_uris: Sequence[str]) -> None:
        """Register another OAuth client (e.g. to check that only the issuer can refresh)."""
        with self._lock:
            self._oauth.add_client(client_id, client_secret, redirect_uris)

    def add_user(
        self,
        email: str,
        password: str = "demo",  # noqa: S107 - the demo users' password
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> None:
        key = email.strip().lower()
        local = key.split("@", 1)[0].split(".")
        with self._lock:
            if key in self._users:
                raise ValueError(f"user {email} already exists")
            self._users[key] = User(
                email=email,
                password=password,
                first_name=first_name if first_name is not None else local[0].title(),
                last_name=last_name if last_name is not None else " ".join(local[1:]).title(),
            )

    def add_company(
        self, user_email: str, name: str, vat_number: str, party_id: int | None = None
    ) -> int:
        """A company the user may act for; an existing ``party_id`` just gains the user."""
        with self._lock:
            user = self._user(user_email)
            if party_id is not None and party_id in self._companies:
                if party_id not in user.companies:
                    user.companies.append(party_id)
                return party_id
            if party_id is None:
                party_id = self._take_party_id()
            self._next_party_id = max(self._next_party_id, party_id + 1)
            self._companies[party_id] = Company(party_id, name, vat_number)
            user.companies.append(party_id)
            return party_id

    def set_decimals(
        self,
        company_id: int,
        decimals: int,
        excess: invoicing.ExcessDecimals = invoicing.ExcessDecimals.REFUSE,
    ) -> None:
        """The company's decimals for quantities and unit prices (MyBillit Settings → General:
        2, or 3-5 when extended) and what it does with more (unknown ⚠, billit-api.md §8)."""
        if decimals not in invoicing.ALLOWED_DECIMALS:
            raise ValueError(f"decimals must be one of {invoicing.ALLOWED_DECIMALS}")
        with self._lock:
            company = self._company(company_id)
            company.decimals = decimals
            company.excess_decimals = invoicing.ExcessDecimals(excess)

    @staticmethod
    def _check_fields(fields: dict[str, Any], allowed: frozenset[str], kind: str) -> None:
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(f"unknown {kind} field(s): {', '.join(unknown)}")

    def add_party(self, company_id: int, **fields: Any) -> dict[str, Any]:
        """A party (customer by default) in Billit's PascalCase shape; returns a copy."""
        self._check_fields(fields, invoicing.PARTY_FIELDS - {"PartyID"}, "Party")
        with self._lock:
            return copy.deepcopy(self._insert_party(self._company(company_id), fields))

    def update_party(self, company_id: int, party_id: int, **fields: Any) -> dict[str, Any]:
        self._check_fields(fields, invoicing.PARTY_FIELDS - {"PartyID"}, "Party")
        with self._lock:
            record = self._company(company_id).parties[party_id]
            record.update(decimalize(fields))
            record["LastModified"] = fields.get("LastModified", self._now())
            return copy.deepcopy(record)

    def delete_party(self, company_id: int, party_id: int) -> None:
        """The office deletes a customer in MyBillit: no webhook, no signal (billit-api.md §9
        "Deletions of parties and products are never signalled"); GET answers 404."""
        with self._lock:
            del self._company(company_id).parties[party_id]

    def add_product(self, company_id: int, **fields: Any) -> dict[str, Any]:
        self._check_fields(fields, invoicing.PRODUCT_FIELDS - {"ProductID"}, "Product")
        with self._lock:
            company = self._company(company_id)
            now = self._now()
            record: dict[str, Any] = {"ProductID": self._next_product_id}
            self._next_product_id += 1
            record.update(decimalize(fields))
            record.setdefault("Created", now)
            record.setdefault("LastModified", now)
            company.products[record["ProductID"]] = record
            return copy.deepcopy(record)

    def update_product(self, company_id: int, product_id: int, **fields: Any) -> dict[str, Any]:
        self._check_fields(fields, invoicing.PRODUCT_FIELDS - {"ProductID"}, "Product")
        with self._lock:
            record = self._company(company_id).products[product_id]
            record.update(decimalize(fields))
            record["LastModified"] = fields.get("LastModified", self._now())
            return copy.deepcopy(record)

    def restore_party(self, company_id: int, record: dict[str, Any]) -> None:
        """A party taken out of the archive: listed again under its own PartyID, unchanged."""
        with self._lock:
            self._company(company_id).parties[int(record["PartyID"])] = copy.deepcopy(record)

    def remove_product(self, company_id: int, product_id: int) -> None:
        """The product is deleted (or archived): gone from the list, unsignalled (§5, §9)."""
        with self._lock:
            del self._company(company_id).products[product_id]

    def set_peppol_registered(self, identifier: str, registered: bool = True) -> None:
        """Switch on the Peppol directory: from now on only registered identifiers (VAT
        numbers or Peppol ids) can receive over Peppol; by default everyone can."""
        with self._lock:
            if self._peppol_directory is None:
                self._peppol_directory = set()
            key = normalize_identifier(identifier)
            if registered:
                self._peppol_directory.add(key)
            else:
                self._peppol_directory.discard(key)

    def authorize(
        self,
        user_email: str,
        redirect_uri: str,
        state: str | None,
        *,
        allow: bool = True,
        client_id: str | None = None,
    ) -> str:
        """The redirect Location the login page would produce; ValueError where Billit would
        keep the user on its error page."""
        with self._lock:
            client = client_id if client_id is not None else self._client_id
            problem = self._oauth.authorize_problem(client, redirect_uri)
            if problem:
                raise ValueError(problem)
            if not allow:
                return redirect_location(redirect_uri, {"error": "access_denied", "state": state})
            user = self._user(user_email)
            code = self._oauth.issue_code(client, redirect_uri, user.email)
            return redirect_location(redirect_uri, {"code": code, "state": state})

    def revoke_user_tokens(self, user_email: str) -> None:
        with self._lock:
            self._oauth.revoke_user(self._user(user_email).email)

    def refresh_count(self) -> int:
        with self._lock:
            return self._oauth.refreshes

    def issued_secrets(self) -> set[str]:
        """Every access token, refresh token and code ever issued: what must never be logged."""
        with self._lock:
            return self._oauth.issued_values()

    def orders(self, company_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._company(company_id).orders.values()))

    def order(self, company_id: int, order_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._company(company_id).orders[order_id])

    def parties(self, company_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._company(company_id).parties.values()))

    def webhooks(self, company_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._company(company_id).webhooks.values()))

    def deliver_webhooks(self, http: httpx.Client) -> list[int]:
        """POST every queued delivery and clear the queue; 0 stands for a transport error."""
        with self._lock:
            pending = list(self.outbox)
            self.outbox.clear()
        statuses: list[int] = []
        for delivery in pending:
            try:
                response = http.post(delivery.url, content=delivery.body, headers=delivery.headers)
            except httpx.TransportError:
                statuses.append(0)
            else:
                statuses.append(response.status_code)
        return statuses
