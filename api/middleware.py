"""Two pure-ASGI middlewares.

``RequestContext`` (outermost) gives each request an id (answered as ``X-Request-ID``), writes one log line per
request and turns any exception that escaped the handlers into a problem answer. The log line carries only the
request id, method, route, status, sizes, duration and the chosen occupation clause: never a body, a file name, a
query string, a header or a client address; exceptions are logged by type and stack (file, line, function) only,
as their messages can quote input.

``Admission`` stands between the connection and the routes. In this order, it

1. checks the API key of a keyed route (``X-API-Key``) from the headers, before any of the body is read;
2. refuses a ``Content-Length`` over the limit at once (413);
3. counts the request against its client's concurrency and rate on the open endpoints (429 ``rate_limited``);
4. reads the body with a deadline (``body_timeout`` seconds, then at least ``min_body_rate`` bytes a second; else
   408 ``request_timeout``), up to its limit (413 as soon as a stream passes it) and within the memory budget of
   all bodies (429 ``busy``);
5. admits it among the ``max_pending`` POST requests in progress (429 ``busy``): a request counts as pending only
   once its body has arrived, so idle half-sent bodies cannot lock anyone out.

Every refusal before the body has been read asks the client to close the connection (``Connection: close``), so
the rest of the body is never read either.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import anyio
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import check_key
from api.errors import ApiError, problem
from api.limits import ByteBudget, ClientLimits
from matcher.config import Settings

log = logging.getLogger("matcher.api")

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

# Content-Security-Policy of every HTML answer: the web page loads its own script and style and nothing else.
PAGE_CSP = "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
# The docs page (Swagger UI) also needs inline styles and data: images, which its script sets.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
            "object-src 'none'; base-uri 'none'")


def _route_label(scope: Scope, status: int) -> str:
    """The route template (``/v1/occupations/{key}``), never a raw API path: a path can carry anything. Outside
    the API routes, a path answered with success is one of the web page's own files; any other is ``/*``."""
    template = getattr(scope.get("route"), "path", None)
    if template:
        return str(template)
    path = str(scope.get("path", ""))
    return path if status < 400 and len(path) <= 80 and path.isascii() else "/*"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        is_api = str(scope.get("path", "")).startswith("/v1/")
        is_docs = str(scope.get("path", "")).startswith("/docs")
        started = time.perf_counter()
        info = {"status": 0, "in": 0, "out": 0}

        async def receive_counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                info["in"] += len(message.get("body", b""))
            return message

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = DOCS_CSP if is_docs else PAGE_CSP
                if is_api:
                    headers["Cache-Control"] = "no-store"  # results quote the CV
            elif message["type"] == "http.response.body":
                info["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_counted, send_tagged)
        except Exception as exc:  # a bug, not bad input: every input error is a 4xx before it gets here
            stack = traceback.extract_tb(exc.__traceback__)
            frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in stack)
            log.error("unhandled %s in request %s (message withheld: it may quote input)\n%s",
                      type(exc).__name__, request_id, frames)
            if info["status"] == 0:
                response = problem(500, "internal_error", "Something went wrong on our side. The error has been "
                                   f"logged under request id {request_id}; please try again later.")
                await response(scope, receive, send_tagged)
        finally:
            log.info("request id=%s method=%s route=%s status=%d in=%dB out=%dB ms=%.1f occupation=%s",
                     request_id, scope.get("method"), _route_label(scope, info["status"]), info["status"],
                     info["in"], info["out"], (time.perf_counter() - started) * 1000,
                     state.get("occupation", "-"))


def client_of(scope: Scope) -> str:
    """The client's address (behind a trusted proxy: the one the proxy names), the key of the per-client limits."""
    client = scope.get("client")
    return str(client[0]) if client else "-"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _refuse(err: ApiError, scope: Scope, receive: Receive, send: Send, close: bool = True) -> None:
    headers = dict(err.headers or {})
    if close:
        headers["Connection"] = "close"
    await problem(err.status, err.code, err.detail, headers)(scope, receive, send)


class Admission:
    def __init__(self, app: ASGIApp, settings: Settings, clients: ClientLimits, limit_for: Callable[[str], int],
                 is_keyed: Callable[[Scope], bool]) -> None:
        self.app = app
        self.settings = settings
        self.clients = clients
        self.limit_for = limit_for
        self.is_keyed = is_keyed
        self.max_pending = settings.max_pending
        self.pending = 0
        self.buffer = ByteBudget(settings.max_body_buffer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keyed = self.is_keyed(scope)
        try:
            if keyed:
                check_key(self.settings.api_key, _header(scope, b"x-api-key"))
            limit = self.limit_for(str(scope.get("path", "")))
            declared = _header(scope, b"content-length")
            if declared is not None:
                try:
                    length = int(declared)
                except ValueError:
                    length = -1
                if length < 0:
                    raise ApiError(400, "bad_request", "The Content-Length header is not a number.")
                if length > limit:
                    raise _too_large(limit)
        except ApiError as err:
            await _refuse(err, scope, receive, send)
            return
        post = scope.get("method") == "POST"
        client = client_of(scope) if post and not keyed else None  # the open endpoints
        if client is not None:
            try:
                self.clients.enter(client)
            except ApiError as err:
                await _refuse(err, scope, receive, send)
                return
        held = 0
        try:
            chunks: list[bytes] = []
            started, size = time.monotonic(), 0
            while True:
                # the next part of the body must come before the deadline, which moves on with what has come
                deadline = started + self.settings.body_timeout + size / self.settings.min_body_rate
                with anyio.move_on_after(max(0.0, deadline - time.monotonic())) as waited:
                    message = await receive()
                if waited.cancelled_caught:
                    await _refuse(ApiError(408, "request_timeout", "The request body came too slowly or stopped "
                                           "coming. Please send it again."), scope, receive, send)
                    return
                if message["type"] == "http.disconnect":
                    return  # the client went away: nothing to answer
                body = message.get("body", b"")
                size += len(body)
                if size > limit:
                    await _refuse(_too_large(limit), scope, receive, send)
                    return
                if body:
                    if not self.buffer.take(len(body)):
                        await _refuse(_busy(), scope, receive, send)
                        return
                    held += len(body)
                    chunks.append(body)
                if not message.get("more_body", False):
                    break
            if post and self.pending >= self.max_pending:
                await _refuse(_busy(), scope, receive, send, close=False)
                return
            body_bytes = b"".join(chunks)
            chunks.clear()
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body_bytes, "more_body": False}
                return await receive()

            if post:
                self.pending += 1
            try:
                await self.app(scope, replay, send)
            finally:
                if post:
                    self.pending -= 1
        finally:
            self.buffer.give(held)
            if client is not None:
                self.clients.leave(client)


def _busy() -> ApiError:
    return ApiError(429, "busy", "The service is busy with other requests. Please try again in a minute.",
                    {"Retry-After": "30"})


def _too_large(limit: int) -> ApiError:
    mb = limit / (1024 * 1024)
    return ApiError(413, "too_large", f"The request is larger than the {mb:g} MB this service accepts. Please send "
                    "a smaller file.")
