"""Serve a fake's ``handle`` function as a real HTTP server on 127.0.0.1 (never another host)."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]

LOOPBACK = "127.0.0.1"


@dataclass
class RunningServer:
    url: str
    server: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _request_handler(handle: Handler, hang_seconds: float) -> type[BaseHTTPRequestHandler]:
    class FakeRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("Host") or LOOPBACK
            request = httpx.Request(
                self.command,
                f"http://{host}{self.path}",
                headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
                content=body,
            )
            try:
                response = handle(request)
            except httpx.TimeoutException:
                time.sleep(hang_seconds)  # the client's own timeout fires first
                self.close_connection = True
                return
            except httpx.TransportError:
                self.close_connection = True  # dropped without an answer
                return
            content = response.read()
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: request lines carry tokens in their query strings."""

    return FakeRequestHandler


def start(handle: Handler, port: int = 0, hang_seconds: float = 5.0) -> RunningServer:
    server = ThreadingHTTPServer((LOOPBACK, port), _request_handler(handle, hang_seconds))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-http", daemon=True)
    thread.start()
    return RunningServer(
        url=f"http://{LOOPBACK}:{server.server_address[1]}", server=server, thread=thread
    )


@contextmanager
def serve(handle: Handler, port: int = 0, hang_seconds: float = 5.0) -> Iterator[RunningServer]:
    running = start(handle, port=port, hang_seconds=hang_seconds)
    try:
        yield running
    finally:
        running.stop()
