"""Stateful, in-memory fakes of Billit and OutSmart.

Each fake is one ``handle(httpx.Request) -> httpx.Response`` function over its own state, so the
same fake runs inside tests (respx or ``httpx.MockTransport`` route to ``handle``) and as a real
HTTP server on 127.0.0.1 (``tests.fakes.server.serve``) for the local demo.
"""
