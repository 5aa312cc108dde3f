"""``matcher serve``: the API and web page under uvicorn (the app is built by ``api.app.create_app``).

The connection layer is uvicorn's h11 protocol with three additions (``GuardedH11Protocol``), for what the app
itself never sees:

* a header deadline: a client has ``header_timeout`` seconds from connecting (or from its previous answer) to send
  a request's headers, else 408 and the connection is closed (uvicorn alone waits for ever for headers that trickle
  in, which lets a few hundred slow clients hold every connection);
* at most ``max_connections`` connections: beyond, 503 at once;
* those answers, and uvicorn's own 400 for a malformed request, are ``application/problem+json`` like every
  other error of the API.

Headers are limited to ``max_header_bytes`` (h11's ``max_incomplete_event_size``) and idle keep-alive connections
close after ``keep_alive_timeout`` seconds. The service is meant to run behind a reverse proxy (see the README:
"Running it in production"); ``forwarded_allow_ips`` names the proxies whose ``X-Forwarded-For`` is trusted.
"""

from __future__ import annotations

import asyncio
import json
import sys
from http import HTTPStatus
from typing import Any

from api.app import log_config
from api.errors import PROBLEM_JSON, TYPE_PREFIX
from matcher.config import Settings


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    """A complete HTTP/1.1 problem+json answer that closes the connection (written straight to the socket)."""
    body = json.dumps({"type": TYPE_PREFIX + code, "title": HTTPStatus(status).phrase, "status": status,
                       "detail": detail, "code": code}).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: {PROBLEM_JSON}\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\ncache-control: no-store\r\n"
            "x-content-type-options: nosniff\r\n\r\n")
    return head.encode("ascii") + body


def guarded_protocol(header_timeout: float, max_connections: int) -> type:
    """uvicorn's h11 protocol with a header deadline, a connection limit and problem+json answers."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None
        _started = False  # some bytes of the awaited request's headers have come

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.write(problem_bytes(503, "busy", "The service has too many open connections. Please try "
                                              "again in a minute."))
                transport.close()
                return
            self._arm_header_timer()

        def _waiting_for_headers(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm_header_timer(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._header_timeout)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_timeout(self) -> None:
            self._header_timer = None
            if self._waiting_for_headers() and not self.transport.is_closing():
                if self._started:  # a request began and did not finish its headers; an idle connection just closes
                    self.transport.write(problem_bytes(408, "request_timeout", "The request's headers came too "
                                                       "slowly. Please send the request again."))
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if data and self._waiting_for_headers():
                self._started = True
            super().data_received(data)

        def handle_events(self) -> None:
            super().handle_events()
            if self._waiting_for_headers():
                self._arm_header_timer()  # still (or again) waiting: the deadline set when the wait began holds
            else:
                self._disarm_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self._waiting_for_headers():
                self._started = False
                self._disarm_header_timer()
                self._arm_header_timer()  # the next request's headers have their own deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            self.transport.write(problem_bytes(400, "bad_request", "The request is not valid HTTP/1.1 (or its "
                                               "headers are too large)."))
            self.transport.close()

    return GuardedH11Protocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings ``matcher serve`` runs with (tests start a server with the same)."""
    s = settings
    return {
        "http": guarded_protocol(s.header_timeout, s.max_connections),
        "timeout_keep_alive": s.keep_alive_timeout,
        "h11_max_incomplete_event_size": s.max_header_bytes,
        "proxy_headers": bool(s.forwarded_allow_ips.strip()),
        "forwarded_allow_ips": s.forwarded_allow_ips or "127.0.0.1",
        # access_log=False: uvicorn's access log would add client addresses and query strings; the app logs one
        # line per request itself (request id, route, status, sizes, duration, occupation).
        "access_log": False,
        "workers": 1,
    }


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    s = settings
    host, port = host or s.host, port or s.port
    print(f"matcher: serving on http://{host}:{port}/ (API docs at /docs)", file=sys.stderr)
    # factory=True: the app is built by api.app.create_app() in the server process, never at import time.
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_config=log_config(),
                **uvicorn_options(s))
    return 0
