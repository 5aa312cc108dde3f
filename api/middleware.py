"""Two pure-ASGI middlewares.

``RequestContext`` (outermost) gives each request an id (answered as ``X-Request-ID``), writes one log line per
request and turns any exception that escaped the handlers into a problem answer. The log line carries only the
request id, method, route, status, sizes, duration and the chosen occupation clause: never a body, a file name, a
query string, a header or a client address; exceptions are logged by type and stack (file, line, function) only,
as their messages can quote input.

``BodyLimit`` admits at most ``max_pending`` POST requests at once (the rest get 429 before their body is read)
and reads a body only up to its limit: a ``Content-Length`` over the limit is refused at once, and a body that
streams past it is refused as soon as it does, so an oversized request is never held in memory.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

log = logging.getLogger("matcher.api")

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


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


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int], max_pending: int) -> None:
        self.app = app
        self.limit_for = limit_for
        self.max_pending = max_pending
        self.pending = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.limit_for(path)
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await problem(400, "bad_request", "The Content-Length header is not a number.")(scope, receive, send)
                return
            if length > limit:
                await self._too_large(scope, receive, send, limit)
                return
        admitted = scope.get("method") == "POST"
        if admitted:
            if self.pending >= self.max_pending:
                await problem(429, "busy", "The service is busy with other requests. Please try again in a "
                              "minute.", {"Retry-After": "30"})(scope, receive, send)
                return
            self.pending += 1
        try:
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client went away: nothing to answer
                body = message.get("body", b"")
                size += len(body)
                if size > limit:
                    await self._too_large(scope, receive, send, limit)
                    return
                if body:
                    chunks.append(body)
                if not message.get("more_body", False):
                    break
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
        finally:
            if admitted:
                self.pending -= 1

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        mb = limit / (1024 * 1024)
        await problem(413, "too_large", f"The request is larger than the {mb:g} MB this service accepts. "
                      "Please send a smaller file.", {"Connection": "close"})(scope, receive, send)
