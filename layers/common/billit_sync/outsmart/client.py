"""The OutSmart OpenAPI 8 client: work orders out, master data in.

Every call carries the tenant ``token`` and our ``software_token`` as query parameters (so only
``describe_request``/``safe_url`` may ever put a request into a log line or an error). Replies
are the ``{"code","messages","response"}`` envelope, HTTP 200 even on failure: ``code`` decides,
and a code other than 200 becomes the typed error of ``errors.error_for_code``.

Retries (``RetryingSender``): any non-200 HTTP status, a non-JSON body and envelope code 1007 are
retryable, as are timeouts and connection errors. All OutSmart calls count as safe to repeat
(⚠ ``assumptions.UPSERTS_ARE_IDEMPOTENT`` / ``MARK_HANDLED_IS_IDEMPOTENT``).
"""

import dataclasses
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from billit_sync.http.redact import describe_request
from billit_sync.http.retry import (
    NO_RETRIES,
    RequestFailedError,
    RetryingSender,
    RetryPolicy,
    default_retryable_response,
)
from billit_sync.observability import logger
from billit_sync.outsmart.assumptions import (
    CONNECT_TIMEOUT_SECONDS,
    DOCUMENT_HOSTS,
    MAX_PDF_BYTES,
    READ_TIMEOUT_SECONDS,
    RETRYABLE_ENVELOPE_CODES,
)
from billit_sync.outsmart.errors import (
    NO_DATA_CHANGED,
    OK,
    OutSmartApiError,
    OutSmartDataError,
    OutSmartDocumentError,
    OutSmartProtocolError,
    OutSmartUnavailableError,
    error_for_code,
)
from billit_sync.outsmart.models import (
    CategoryRecord,
    ContactPersonRecord,
    HourTypeRecord,
    MaterialCategoryRecord,
    MaterialRecord,
    OutSmartModel,
    RelationRecord,
    UpsertRecord,
    WorkOrder,
    WorkStatus,
)

WORKORDER_STATUSES: Final = ("Alle", "Opgehaald", "Klaargezet", "Compleet", "Afgehandeld")
DEFAULT_TIMEOUT: Final = httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
DEFAULT_BATCH_SIZE: Final = 200

# The DeleteEntity calls this service makes: links between a material and a Billit product
# group (keys from desc:2703-2704). Relations, materials and hour types are never deleted (old
# work orders use them): relations and hour types are deactivated, materials reported.
DELETABLE: Final = frozenset({("material_category", "mct_mat_code")})

Params = list[tuple[str, str]]
RecordT = TypeVar("RecordT", bound=OutSmartModel)


def _envelope_code(body: object) -> int | None:
    """The integer ``code`` of an envelope, or ``None`` when ``body`` is not one."""
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def outsmart_retryable_response(response: httpx.Response) -> bool:
    """OutSmart replies worth another attempt: non-200 HTTP, no JSON envelope, or code 1007."""
    if response.status_code != 200:
        return True
    try:
        body = response.json()
    except ValueError:
        return True
    code = _envelope_code(body)
    return code is None or code in RETRYABLE_ENVELOPE_CODES


OUTSMART_RETRY_POLICY: Final = RetryPolicy(retryable_response=outsmart_retryable_response)


def _messages(body: dict[str, Any]) -> list[str]:
    raw = body.get("messages")
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(item) for item in raw]
    return [str(raw)]


def _validation_messages(exc: ValidationError) -> list[str]:
    """Field and problem only: no input values of whole records (they may be large)."""
    return [
        f"{'.'.join(str(part) for part in error['loc']) or 'record'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def _is_document_url(url: httpx.URL, base: httpx.URL, hosts: Sequence[str]) -> bool:
    """``http`` or ``https`` on the API's own host or one of OutSmart's document hosts (or a
    subdomain): OutSmart's own examples link ``http://www.werkbonapp.nl/mailpdf.php…``."""
    host = url.host.lower()
    own = host == base.host.lower() or any(
        host == allowed or host.endswith("." + allowed) for allowed in hosts
    )
    return url.scheme in {"http", "https"} and own and not url.userinfo


# A document is no JSON envelope: only 429/5xx are worth another attempt (outsmart-api.md
# §4.1 Documents), and a few at most: the invoice does not wait for it.
PDF_RETRY_POLICY: Final = RetryPolicy(max_attempts=3, max_total_delay=5.0)


class MissingRequiredFieldsError(ValueError):
    """A record lacks a field the Blueprint marks required: a caller's bug (the import checks
    every record first and skips it with a reason), so nothing of the batch is sent."""

    def __init__(self, endpoint: str, position: int, missing: tuple[str, ...]) -> None:
        super().__init__(f"{endpoint}[{position}] misses required field(s): {', '.join(missing)}")
        self.endpoint = endpoint
        self.position = position
        self.missing = missing


def _flag(value: bool) -> str:
    return "true" if value else "false"


class OutSmartClient:
    """One tenant's OutSmart connection. The ``httpx.Client`` is injected and owned by the caller.

    ``bearer_token`` (⚠ not part of OpenAPI 8) is sent as ``Authorization: Bearer`` *in addition
    to* the query tokens when a tenant has one.
    """

    def __init__(  # noqa: PLR0917 - the documented constructor takes these positionally
        self,
        http: httpx.Client,
        base_url: str,
        token: SecretStr,
        software_token: SecretStr,
        retry: RetryPolicy = OUTSMART_RETRY_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        bearer_token: SecretStr | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        rng: random.Random | None = None,
        document_hosts: Sequence[str] = DOCUMENT_HOSTS,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if retry.retryable_response is default_retryable_response:
            # The generic policy retries only 429/5xx; OutSmart needs its own judgement.
            retry = dataclasses.replace(retry, retryable_response=outsmart_retryable_response)
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._software_token = software_token
        self._bearer_token = bearer_token
        self._timeout = timeout
        self._batch_size = batch_size
        self._document_hosts = tuple(host.lower().strip(".") for host in document_hosts)
        jitter = rng if rng is not None else random.Random()  # noqa: S311 - jitter
        self._sender = RetryingSender(http, policy=retry, sleep=sleep, rng=jitter)
        self._pdf_sender = RetryingSender(http, policy=PDF_RETRY_POLICY, sleep=sleep, rng=jitter)
        self._pdf_probe = RetryingSender(http, policy=NO_RETRIES, sleep=sleep, rng=jitter)

    # -----------------------------------------------------------------------------------------
    # Work orders
    # -----------------------------------------------------------------------------------------

    def get_workorders(
        self,
        status: str = "Compleet",
        workstatus: str | None = None,
        *,
        on_invalid: Callable[[OutSmartDataError], None] | None = None,
    ) -> list[WorkOrder]:
        """All work orders with ``status`` (optionally one ``workstatus``), unpaged.

        Always sends ``update_status=false``: OutSmart's default ``true`` would mark every
        fetched work order handled. A work order that cannot be parsed raises
        ``OutSmartDataError``, or, when ``on_invalid`` is given, is reported there and skipped
        so one bad order does not hold up the others.
        """
        if status not in WORKORDER_STATUSES:
            raise ValueError(f"unknown work order status {status!r}; one of {WORKORDER_STATUSES}")
        params: Params = [("status", status), ("update_status", "false")]
        if workstatus:
            params.append(("workstatus", workstatus))
        response = self._call("GET", "GetWorkorders", params)
        rows = self._list_response(response, "GetWorkorders")
        orders: list[WorkOrder] = []
        for row in rows:
            try:
                orders.append(self._parse_workorder(row, "GetWorkorders"))
            except OutSmartDataError as exc:
                if on_invalid is None:
                    raise
                logger.warning(
                    "skipping unreadable OutSmart work order",
                    extra={"row_id": exc.record_id, "problems": exc.messages},
                )
                on_invalid(exc)
        return orders

    def get_workorder(self, row_id: str) -> WorkOrder:
        """One work order by row id, read only (``update_status=false``)."""
        response = self._call(
            "GET", "GetWorkorder", [("row_id", str(row_id)), ("update_status", "false")]
        )
        return self._parse_workorder(
            self._object_response(response, "GetWorkorder"), "GetWorkorder"
        )

    def get_workorder_by_number(self, workorder_no: str) -> WorkOrder:
        """One work order by its external ``WorkorderNo``, read only."""
        response = self._call(
            "GET", "GetWorkorder", [("workorder_no", workorder_no), ("update_status", "false")]
        )
        return self._parse_workorder(
            self._object_response(response, "GetWorkorder"), "GetWorkorder"
        )

    def mark_workorder_handled(self, row_id: str) -> None:
        """Set the work order to ``Afgehandeld``: the documented ``GetWorkorder`` with
        ``update_status=true``. Repeating it is assumed harmless (⚠). The returned work order is
        not parsed, so an odd value in it cannot turn a done mark into an error."""
        self._call("GET", "GetWorkorder", [("row_id", str(row_id)), ("update_status", "true")])
        logger.info("marked OutSmart work order handled", extra={"row_id": str(row_id)})

    def download_workorder_pdf(self, pdf_url: str) -> bytes:
        """The work order's PDF (``PdfUrl``), for attaching it to the invoice.

        outsmart-api.md §4.1 Documents: only from OutSmart's own hosts (``document_hosts``
        and the API host, subdomains included), ``http`` or ``https``, so a changed URL can
        never make the service fetch from elsewhere; an ``http`` link is tried over ``https``
        on the same host and path first (one attempt), then as given. Retried only on
        429/5xx (a PDF is no JSON envelope), at most ``MAX_PDF_BYTES``. Every failure is an
        ``OutSmartDocumentError`` whose message never holds the URL.
        """
        try:
            url = httpx.URL(pdf_url)
        except (httpx.InvalidURL, TypeError):
            raise OutSmartDocumentError("the PDF link is not a valid address") from None
        if not _is_document_url(url, httpx.URL(self._base_url), self._document_hosts):
            raise OutSmartDocumentError("the PDF link is not on an OutSmart address")
        if url.scheme == "http":
            try:
                return self._fetch_pdf(url.copy_with(scheme="https"), self._pdf_probe)
            except OutSmartDocumentError:
                logger.info("work order PDF not served over https; trying the link as given")
        return self._fetch_pdf(url, self._pdf_sender)

    def _fetch_pdf(self, url: httpx.URL, sender: RetryingSender) -> bytes:
        try:
            response = sender.send(
                lambda: self._http.build_request("GET", url, timeout=self._timeout)
            )
        except (RequestFailedError, httpx.HTTPError) as exc:
            reason = exc.__class__.__name__
            raise OutSmartDocumentError(f"OutSmart could not be reached ({reason})") from None
        content = response.content
        if response.status_code != 200:
            raise OutSmartDocumentError(f"OutSmart answered HTTP {response.status_code}")
        if not content.startswith(b"%PDF"):
            raise OutSmartDocumentError("OutSmart did not return a PDF")
        if len(content) > MAX_PDF_BYTES:
            raise OutSmartDocumentError("the PDF is too large to attach")
        return content

    def set_workorder_status(self, row_id: str, sta_code: str) -> bool:
        """Set the custom ``WorkStatus`` (a ``sta_code``). True when it changed; False when it
        already had that value (code 1503, which is success)."""
        response = self._call(
            "GET",
            "UpdateWorkorder",
            [("row_id", str(row_id)), ("workstatus", sta_code)],
            accept_codes=frozenset({NO_DATA_CHANGED}),
        )
        return _envelope_code(response) != NO_DATA_CHANGED

    # -----------------------------------------------------------------------------------------
    # Master data: upserts
    # -----------------------------------------------------------------------------------------

    def delete_entity(self, entity: str, key: str, value: str) -> int:
        """``DeleteEntity`` of the rows of ``entity`` whose ``key`` is ``value``; the number of
        rows removed (desc:2719).

        Always ``delete_all=false``: ``true`` removes every row of the entity whatever the key
        (outsmart-api.md §4.3). One ``key``/``value`` pair only: the array form is documented
        for ``object_part`` alone (desc:2714-2715). Only entities and keys of the Blueprint's
        table (desc:2686-2712) are allowed, and never one that work orders point at by
        accident: callers delete links (``material_category``), not relations or materials.
        """
        if (entity, key) not in DELETABLE:
            raise ValueError(f"DeleteEntity of {entity!r} by {key!r} is not allowed here")
        response = self._call(
            "GET",
            "DeleteEntity",
            [("delete_all", "false"), ("entity", entity), ("key", key), ("value", value)],
        )
        removed = response.get("response")
        return removed if isinstance(removed, int) and not isinstance(removed, bool) else 0

    def upsert_relations(self, records: Sequence[RelationRecord]) -> int:
        return self._upsert("relations", records)

    def upsert_contact_persons(self, records: Sequence[ContactPersonRecord]) -> int:
        return self._upsert("contactpersons", records)

    def upsert_materials(self, records: Sequence[MaterialRecord]) -> int:
        return self._upsert("materials", records)

    def upsert_categories(self, records: Sequence[CategoryRecord]) -> int:
        return self._upsert("categories", records)

    def upsert_material_categories(self, records: Sequence[MaterialCategoryRecord]) -> int:
        return self._upsert("material_categories", records)

    def upsert_hour_types(self, records: Sequence[HourTypeRecord]) -> int:
        return self._upsert("hourtypes", records)

    def upsert_workstatusses(self, records: Sequence[WorkStatus]) -> int:
        return self._upsert("workstatusses", records)

    # -----------------------------------------------------------------------------------------
    # Master data: full lists (unpaged)
    # -----------------------------------------------------------------------------------------

    def list_relations(self) -> list[RelationRecord]:
        return self._list("relations", RelationRecord)

    def list_contact_persons(self) -> list[ContactPersonRecord]:
        return self._list("contactpersons", ContactPersonRecord)

    def list_materials(self) -> list[MaterialRecord]:
        return self._list("materials", MaterialRecord)

    def list_categories(self) -> list[CategoryRecord]:
        return self._list("categories", CategoryRecord)

    def list_material_categories(self) -> list[MaterialCategoryRecord]:
        return self._list("material_categories", MaterialCategoryRecord)

    def list_hour_types(self) -> list[HourTypeRecord]:
        return self._list("hourtypes", HourTypeRecord)

    def list_workstatusses(self) -> list[WorkStatus]:
        return self._list("workstatusses", WorkStatus)

    # -----------------------------------------------------------------------------------------
    # Plumbing
    # -----------------------------------------------------------------------------------------

    def _url(self, endpoint: str) -> str:
        return f"{self._base_url}/{endpoint}/"

    def _build(
        self, method: str, endpoint: str, params: Params, body: list[dict[str, Any]] | None
    ) -> httpx.Request:
        query: Params = [
            ("token", self._token.get_secret_value()),
            ("software_token", self._software_token.get_secret_value()),
            *params,
        ]
        headers = {"Accept": "application/json"}
        if self._bearer_token is not None:
            headers["Authorization"] = f"Bearer {self._bearer_token.get_secret_value()}"
        return self._http.build_request(
            method,
            self._url(endpoint),
            params=tuple(query),  # a sequence of pairs keeps repeated keys
            headers=headers,
            json=body,
            timeout=self._timeout,
        )

    def _call(
        self,
        method: str,
        endpoint: str,
        params: Params,
        body: list[dict[str, Any]] | None = None,
        *,
        accept_codes: frozenset[int] = frozenset(),
    ) -> dict[str, Any]:
        """Send with retries; return the envelope of a successful reply or raise the typed error."""
        try:
            response = self._sender.send(lambda: self._build(method, endpoint, params, body))
        except RequestFailedError as exc:
            raise OutSmartUnavailableError(0, [str(exc)], endpoint=endpoint) from None
        where = describe_request(response.request)
        if response.status_code != 200:
            raise OutSmartUnavailableError(
                response.status_code,
                [f"{where}: HTTP {response.status_code}"],
                endpoint=endpoint,
                status_code=response.status_code,
            )
        try:
            envelope = response.json()
        except ValueError:
            raise OutSmartProtocolError(
                0, [f"{where}: reply is not JSON"], endpoint=endpoint
            ) from None
        code = _envelope_code(envelope)
        if code is None or not isinstance(envelope, dict):
            raise OutSmartProtocolError(
                0, [f"{where}: reply is not an OutSmart envelope"], endpoint=endpoint
            )
        if code != OK and code not in accept_codes:
            error = error_for_code(code, self._scrub(_messages(envelope)), endpoint=endpoint)
            logger.warning(
                "OutSmart refused a call",
                extra={"request": where, "code": code, "messages": error.messages},
            )
            raise error
        logger.debug("OutSmart call succeeded", extra={"request": where, "code": code})
        return envelope

    def _scrub(self, messages: list[str]) -> list[str]:
        """OutSmart's messages with our token values masked, should it ever echo them."""
        secrets = [
            secret.get_secret_value()
            for secret in (self._token, self._software_token, self._bearer_token)
            if secret is not None and secret.get_secret_value()
        ]
        scrubbed = []
        for message in messages:
            clean = message
            for secret in secrets:
                clean = clean.replace(secret, "***")
            scrubbed.append(clean)
        return scrubbed

    @staticmethod
    def _list_response(envelope: dict[str, Any], endpoint: str) -> list[Any]:
        data = envelope.get("response")
        if data is None:
            return []
        if not isinstance(data, list):
            raise OutSmartProtocolError(
                0, [f"expected a list in 'response', got {type(data).__name__}"], endpoint=endpoint
            )
        return data

    @staticmethod
    def _object_response(envelope: dict[str, Any], endpoint: str) -> dict[str, Any]:
        data = envelope.get("response")
        if isinstance(data, list) and len(data) == 1:
            data = data[0]  # defensive: a one-element list instead of the object
        if not isinstance(data, dict):
            raise OutSmartProtocolError(
                0,
                [f"expected an object in 'response', got {type(data).__name__}"],
                endpoint=endpoint,
            )
        return data

    @staticmethod
    def _parse_workorder(row: object, endpoint: str) -> WorkOrder:
        record_id = str(row.get("id") or row.get("Id") or "?") if isinstance(row, dict) else "?"
        try:
            return WorkOrder.model_validate(row)
        except ValidationError as exc:
            raise OutSmartDataError(
                record_id,
                [f"work order {record_id}: {problem}" for problem in _validation_messages(exc)],
                endpoint=endpoint,
            ) from None

    def _list(self, endpoint: str, model: type[RecordT]) -> list[RecordT]:
        rows = self._list_response(self._call("GET", endpoint, []), endpoint)
        records: list[RecordT] = []
        for index, row in enumerate(rows):
            try:
                records.append(model.model_validate(row))
            except ValidationError as exc:
                raise OutSmartDataError(
                    str(index),
                    [f"{endpoint}[{index}]: {problem}" for problem in _validation_messages(exc)],
                    endpoint=endpoint,
                ) from None
        return records

    def _upsert(self, endpoint: str, records: Sequence[UpsertRecord]) -> int:
        """POST the records in batches; the total of OutSmart's "rows synced" counts.

        An empty list sends nothing (OutSmart would answer 1008). A record missing a required
        field is never sent (``MissingRequiredFieldsError``): OutSmart would refuse the whole
        batch with ``xx01`` and ``response: null`` (desc:415-419), and whether it kept the good
        rows is undocumented. When a batch fails, the earlier batches stay synced; the error
        says how many rows that was (a rerun is safe: upserts are idempotent ⚠).
        """
        for position, record in enumerate(records):
            missing = record.missing_required()
            if missing:
                raise MissingRequiredFieldsError(endpoint, position, missing)
        synced = 0
        for start in range(0, len(records), self._batch_size):
            batch = [record.to_api() for record in records[start : start + self._batch_size]]
            try:
                envelope = self._call("POST", endpoint, [], batch)
            except OutSmartApiError as exc:
                if synced:
                    exc.add_note(f"{synced} row(s) of earlier batches were synced")
                raise
            synced += self._synced_count(envelope, len(batch), endpoint)
        logger.info(
            "OutSmart upsert done",
            extra={"endpoint": endpoint, "records": len(records), "synced": synced},
        )
        return synced

    @staticmethod
    def _synced_count(envelope: dict[str, Any], sent: int, endpoint: str) -> int:
        count = envelope.get("response")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
        if isinstance(count, str) and count.strip().isdigit():
            return int(count)
        logger.warning(
            "OutSmart upsert answered without a row count; counting the rows sent",
            extra={"endpoint": endpoint, "sent": sent},
        )
        return sent
