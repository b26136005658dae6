"""The HTTP API on 127.0.0.1: each request becomes an API Gateway HTTP API (payload 2.0) event
for the function whose template route matches, and its answer becomes the HTTP response."""

import base64
import json
import re
import ssl
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.functions import HttpRoute, LocalFunction

LOOPBACK = "127.0.0.1"
_TEXT_TYPES = re.compile(r"^(text/|application/(json|.*\+json|xml|.*\+xml|x-www-form-urlencoded))")


@dataclass(frozen=True)
class BoundRoute:
    route: HttpRoute
    function: LocalFunction
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, route: HttpRoute, function: LocalFunction) -> "BoundRoute":
        parts = re.split(r"(\{[A-Za-z0-9_]+\+?\})", route.path)
        regex = "".join(
            (f"(?P<{part[1:-2]}>.+)" if part.endswith("+}") else f"(?P<{part[1:-1]}>[^/]+)")
            if part.startswith("{")
            else re.escape(part)
            for part in parts
        )
        return cls(route, function, re.compile(regex))


class RouteTable:
    """The template's ``HttpApi`` routes; a literal segment wins over a path parameter."""

    def __init__(self, functions: Iterable[LocalFunction]) -> None:
        self.routes = [
            BoundRoute.of(route, function)
            for function in functions
            for route in function.http_routes
        ]
        # More literal characters first: /tenants/{id}/connection/company before /tenants/{id}.
        self.routes.sort(key=lambda bound: -len(re.sub(r"\{[^}]+\}", "", bound.route.path)))

    def add(self, route: HttpRoute, function: LocalFunction) -> None:
        """A route the template does not have (``make dev``'s Swagger UI), tried first."""
        self.routes.insert(0, BoundRoute.of(route, function))

    def match(self, method: str, path: str) -> tuple[BoundRoute, dict[str, str]] | None:
        for bound in self.routes:
            found = bound.pattern.fullmatch(path)
            if found and bound.route.method in {method.upper(), "ANY"}:
                return bound, found.groupdict()
        return None


def api_gateway_event(
    route: BoundRoute,
    path_parameters: dict[str, str],
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    domain: str,
    source_ip: str,
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event, as API Gateway builds it."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", maxsplit=1)[0],
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": route.route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if _TEXT_TYPES.match(joined.get("content-type", "").lower()):
            event["body"] = body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def answer_of(result: Any) -> Answer:
    """The HTTP response API Gateway makes of a handler's result (payload 2.0 rules)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result)
        return Answer(200, [("Content-Type", "application/json")], body.encode())
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw = str(result.get("body") or "")
    content = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    return Answer(int(result["statusCode"]), headers, content)


def _json_answer(status: int, message: str) -> Answer:
    body = json.dumps({"message": message}).encode()
    return Answer(status, [("Content-Type", "application/json")], body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that refuses the self-signed certificate hangs up: not worth a trace."""


class LocalHttpApi:
    """A threaded HTTPS server on 127.0.0.1 in front of the route table."""

    def __init__(self, routes: RouteTable, tls: ssl.SSLContext, port: int = 0) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str, int]] = []  # (route key or path, method, status)
        self._server = _QuietServer((LOOPBACK, port), self._request_handler())
        self._server.daemon_threads = True
        self._server.socket = tls.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-http-api", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def start(self) -> "LocalHttpApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def dispatch(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source: str
    ) -> Answer:
        split = urlsplit(target)
        found = self.routes.match(method, split.path)
        if found is None:
            answer = _json_answer(404, "Not Found")
            self.requests.append((split.path, method, answer.status))
            return answer
        bound, parameters = found
        host = next((v for k, v in headers if k.lower() == "host"), f"{LOOPBACK}:{self.port}")
        event = api_gateway_event(
            bound,
            parameters,
            method=method,
            raw_path=split.path,
            raw_query=split.query,
            headers=headers,
            body=body,
            domain=host,
            source_ip=source,
        )
        try:
            answer = answer_of(bound.function.invoke(event))
        except Exception:
            answer = _json_answer(500, "Internal Server Error")
        self.requests.append((bound.route.route_key, method, answer.status))
        return answer

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class ApiGatewayHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def setup(self) -> None:
                super().setup()
                self.connection.do_handshake()

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = api.dispatch(
                    self.command,
                    self.path,
                    list(self.headers.items()),
                    body,
                    self.client_address[0],
                )
                self.send_response(answer.status)
                for name, value in answer.headers:
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: request lines carry tickets and OAuth codes in their query strings."""

        return ApiGatewayHandler
